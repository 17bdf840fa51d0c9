"""The allocation core: a pure function over plain rows.

Everything a round needs to know about an approved application is one :class:`Row`
(application id, family card, regency, need score, aid value, tie-break key). :func:`allocate_rows`
ranks and selects from rows alone, so another implementation (columnar, SQL) can be written
against it and compared row for row:

1. **Rank.** Within each regency, rows are ordered by score (highest first), then by tie-break
   key, then by application id; ``rank`` 1 is the most in need.
2. **Select.** All rows are visited in one global order (score, tie-break key, application id),
   so each regency is visited in its rank order. A row is
   - ``not_selected`` (``same_kk``) when its family card already has a selected row;
   - ``waitlisted`` when its regency's slots are full (``not_selected``/``no_slots`` when the
     regency has none);
   - ``not_selected`` (``budget``) once the budget ceiling is reached: the first row whose aid
     does not fit stops all further selection, so a cheaper, less needy row never overtakes it;
   - otherwise ``selected``.
   Withdrawn rows (and rows that failed verification) are ``withdrawn`` and take no slot.
3. **Waitlist.** A waitlisted row whose family card has a selected row elsewhere becomes
   ``not_selected`` (``same_kk``); the others are numbered in rank order per regency.

:func:`apportion` shares a total of slots between regencies by largest remainder, with a minimum
and maximum per regency.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "Allocation",
    "Placement",
    "Row",
    "Status",
    "allocate_rows",
    "apportion",
    "tiebreak_key",
]


def tiebreak_key(nik: str, seed: str) -> str:
    """The tie-break key of ``nik`` in a round with published ``seed``: BLAKE2b keyed with the
    seed (UTF-8, at most 64 bytes), 16-byte digest, as 32 hex digits. Anyone with the seed can
    recompute it: ``hashlib.blake2b(nik.encode(), key=seed.encode(), digest_size=16).hexdigest()``.
    """
    return hashlib.blake2b(nik.encode(), key=seed.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Row:
    """An approved application as the allocation sees it."""

    application_id: str
    kk: str
    regency: str
    score: int
    aid_value: int
    tiebreak: str


class Status(StrEnum):
    """Where an application ends up in the round."""

    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    NOT_SELECTED = "not_selected"
    NOT_APPROVED = "not_approved"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Placement:
    """A row's rank and status. ``reason`` is ``same_kk``, ``budget`` or ``no_slots`` for
    ``not_selected``; ``other`` the selected application of the same family card; ``position``
    the place on the regency's waitlist."""

    row: Row
    status: Status
    rank: int
    reason: str | None = None
    other: str | None = None
    position: int | None = None


@dataclass(frozen=True)
class Allocation:
    """The placements (by regency code, then rank), and per regency the slots, the number of
    ranked rows and the cut-off score (the lowest selected score, ``None`` if none selected)."""

    placements: tuple[Placement, ...]
    slots: Mapping[str, int]
    ranked: Mapping[str, int]
    cutoffs: Mapping[str, int | None]
    cutoff_ranks: Mapping[str, int]
    """Per regency, the rank of the last selected row (its slots when none is selected)."""
    budget: int | None
    committed: int

    def selected(self) -> list[Placement]:
        """The selected placements, in order."""
        return [p for p in self.placements if p.status is Status.SELECTED]


def _order(row: Row) -> tuple[int, str, str]:
    return (-row.score, row.tiebreak, row.application_id)


def allocate_rows(
    rows: Iterable[Row],
    slots: Mapping[str, int],
    budget: int | None = None,
    withdrawn: Iterable[str] = (),
) -> Allocation:
    """Rank and select ``rows`` (see the module's description).

    :param slots: slots per regency code; a regency not listed has none.
    :param budget: ceiling on the sum of selected aid values; none when ``None``.
    :param withdrawn: application ids that withdrew or failed verification.
    :returns: the same allocation whatever the order of ``rows``.
    :raises ValueError: when two rows have the same application id.
    """
    ordered = sorted(rows, key=_order)
    gone = frozenset(withdrawn)
    ranks: dict[str, int] = {}
    filled: dict[str, int] = {}
    chosen: dict[str, str] = {}  # family card -> selected application id
    result: list[tuple[Row, Status, int, str | None, str | None]] = []
    ids: set[str] = set()
    committed = 0
    stopped = False
    for row in ordered:
        if row.application_id in ids:
            raise ValueError(f"application id {row.application_id!r} appears twice")
        ids.add(row.application_id)
        rank = ranks.get(row.regency, 0) + 1
        ranks[row.regency] = rank
        if row.application_id in gone:
            result.append((row, Status.WITHDRAWN, rank, None, None))
            continue
        other = chosen.get(row.kk)
        if other is not None:
            result.append((row, Status.NOT_SELECTED, rank, "same_kk", other))
            continue
        room = slots.get(row.regency, 0)
        if room == 0:
            result.append((row, Status.NOT_SELECTED, rank, "no_slots", None))
        elif filled.get(row.regency, 0) >= room:
            result.append((row, Status.WAITLISTED, rank, None, None))
        elif stopped or (budget is not None and committed + row.aid_value > budget):
            stopped = True
            result.append((row, Status.NOT_SELECTED, rank, "budget", None))
        else:
            filled[row.regency] = filled.get(row.regency, 0) + 1
            chosen[row.kk] = row.application_id
            committed += row.aid_value
            result.append((row, Status.SELECTED, rank, None, None))
    placements: list[Placement] = []
    cutoffs: dict[str, int | None] = dict.fromkeys(slots)
    cutoff_ranks: dict[str, int] = dict(slots)
    for row, status, rank, reason, other in result:
        if status is Status.WAITLISTED and row.kk in chosen:
            status, reason, other = Status.NOT_SELECTED, "same_kk", chosen[row.kk]
        if status is Status.SELECTED:
            cutoffs[row.regency] = row.score  # visited best first: the last one is the lowest
            cutoff_ranks[row.regency] = rank
            cutoff_ranks[row.regency] = rank
        placements.append(Placement(row, status, rank, reason, other))
    placements.sort(key=lambda p: (p.row.regency, p.rank))
    numbered: list[Placement] = []
    position: dict[str, int] = {}
    for p in placements:
        if p.status is Status.WAITLISTED:
            n = position.get(p.row.regency, 0) + 1
            position[p.row.regency] = n
            p = Placement(p.row, p.status, p.rank, None, None, n)
        numbered.append(p)
    return Allocation(
        placements=tuple(numbered),
        slots=dict(slots),
        ranked=ranks,
        cutoffs=cutoffs,
        cutoff_ranks=cutoff_ranks,
        budget=budget,
        committed=committed,
    )


def apportion(
    total: int,
    weights: Mapping[str, int],
    minimum: int = 0,
    maximum: int | None = None,
) -> dict[str, int]:
    """Share ``total`` slots between regencies in proportion to ``weights`` by largest remainder
    (Hamilton), keeping each between ``minimum`` and ``maximum``.

    A regency whose share falls outside the bounds is fixed at the bound and the rest is shared
    again among the others. Remainders tie by regency code. With all weights zero, the shares
    are equal. The sum is ``total`` whenever the bounds allow it.
    """
    codes = sorted(weights)
    fixed: dict[str, int] = {}
    while True:
        free = [c for c in codes if c not in fixed]
        left = total - sum(fixed.values())
        if not free:
            return _settle({c: fixed[c] for c in codes}, total, weights, minimum, maximum)
        weight = {c: weights[c] for c in free}
        if sum(weight.values()) == 0:
            weight = dict.fromkeys(free, 1)
        whole = sum(weight.values())
        quotas = {c: Fraction(max(left, 0) * weight[c], whole) for c in free}
        shares = {c: int(q) for c, q in quotas.items()}
        rest = max(left, 0) - sum(shares.values())
        for c in sorted(free, key=lambda c: (-(quotas[c] - shares[c]), c))[:rest]:
            shares[c] += 1
        # Fix one side at a time: raising some to the minimum lowers the others' shares (and
        # capping some at the maximum raises them), so fixing both at once could miss the total.
        low = [c for c in free if shares[c] < minimum]
        high = [c for c in free if maximum is not None and shares[c] > maximum]
        if not low and not high:
            result = {c: fixed.get(c, shares.get(c, 0)) for c in codes}
            return _settle(result, total, weights, minimum, maximum)
        for c in low:
            fixed[c] = minimum
        if not low:
            for c in high:
                fixed[c] = maximum if maximum is not None else shares[c]


def _settle(
    shares: dict[str, int],
    total: int,
    weights: Mapping[str, int],
    minimum: int,
    maximum: int | None,
) -> dict[str, int]:
    """Meet ``total`` when the bounds pinned too many regencies: add the missing slots one at a
    time to those below the maximum (largest weight first, then by code), or take the excess
    from those above the minimum (smallest weight first)."""
    order = sorted(shares, key=lambda c: (-weights[c], c))
    while sum(shares.values()) < total:
        room = [c for c in order if maximum is None or shares[c] < maximum]
        if not room:
            break
        for c in room[: total - sum(shares.values())]:
            shares[c] += 1
    while sum(shares.values()) > total:
        room = [c for c in reversed(order) if shares[c] > minimum]
        if not room:
            break
        for c in room[: sum(shares.values()) - total]:
            shares[c] -= 1
    return shares
