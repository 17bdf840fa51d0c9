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
from operator import attrgetter
from typing import NamedTuple

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


class Row(NamedTuple):
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


class Placement(NamedTuple):
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


_BY_TIE = attrgetter("tiebreak", "application_id")
_BY_SCORE = attrgetter("score")


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
    # Two stable sorts with C key functions: by (tie-break, id), then by score, highest first.
    ordered = sorted(rows, key=_BY_TIE)
    ordered.sort(key=_BY_SCORE, reverse=True)
    gone = frozenset(withdrawn)
    ids: set[str] = set()
    filled: dict[str, int] = {}
    chosen: dict[str, str] = {}  # family card -> selected application id
    # Per regency, in rank order: (row, status, reason, other) as plain tuples.
    ranked: dict[str, list[tuple[Row, Status, str | None, str | None]]] = {}
    committed = 0
    stopped = False
    selected, waitlisted, not_selected = Status.SELECTED, Status.WAITLISTED, Status.NOT_SELECTED
    for row in ordered:
        app_id, regency = row.application_id, row.regency
        if app_id in ids:
            raise ValueError(f"application id {app_id!r} appears twice")
        ids.add(app_id)
        here = ranked.get(regency)
        if here is None:
            here = ranked[regency] = []
        if app_id in gone:
            here.append((row, Status.WITHDRAWN, None, None))
            continue
        other = chosen.get(row.kk)
        if other is not None:
            here.append((row, not_selected, "same_kk", other))
            continue
        room = slots.get(regency, 0)
        taken = filled.get(regency, 0)
        if room == 0:
            here.append((row, not_selected, "no_slots", None))
        elif taken >= room:
            here.append((row, waitlisted, None, None))
        elif stopped or (budget is not None and committed + row.aid_value > budget):
            stopped = True
            here.append((row, not_selected, "budget", None))
        else:
            filled[regency] = taken + 1
            chosen[row.kk] = app_id
            committed += row.aid_value
            here.append((row, selected, None, None))
    placements: list[Placement] = []
    cutoffs: dict[str, int | None] = dict.fromkeys(slots)
    cutoff_ranks: dict[str, int] = dict(slots)
    counts: dict[str, int] = {}
    new = tuple.__new__
    for regency in sorted(ranked):
        here = ranked[regency]
        counts[regency] = len(here)
        position = 0
        for rank, (row, status, reason, other) in enumerate(here, 1):
            if status is waitlisted:
                other = chosen.get(row.kk)
                if other is not None:
                    status, reason = not_selected, "same_kk"
                else:
                    position += 1
                    placements.append(new(Placement, (row, status, rank, None, None, position)))
                    continue
            elif status is selected:
                cutoffs[regency] = row.score  # in rank order: the last one is the lowest
                cutoff_ranks[regency] = rank
            placements.append(new(Placement, (row, status, rank, reason, other, None)))
    return Allocation(
        placements=tuple(placements),
        slots=dict(slots),
        ranked=counts,
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
