"""The round's properties, checked with hypothesis on generated rounds.

A round file declares, under ``invariants:``, which properties its allocation must have (the
names in :data:`~._schema.PROPERTIES`). :func:`check_round` draws rounds of a few dozen rows over
the round's regencies, with small slots and budgets so that slots fill, families collide and
budgets bind, and searches with hypothesis for a round that breaks each property; when one is
found it is shrunk to a minimal counterexample. The search is derandomized by default: the same
round file gives the same result on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from bansos_rules.round._core import Allocation, Row, Status, allocate_rows, tiebreak_key
from bansos_rules.round._loader import Round
from bansos_rules.round._schema import RoundInvariant

__all__ = [
    "PROPERTY_CHECKS",
    "Allocator",
    "RoundInvariantResult",
    "Scenario",
    "check_round",
    "scenarios",
    "violation",
]

Allocator = Callable[..., Allocation]
"""``allocator(rows, slots, budget)``: :func:`allocate_rows` or another implementation."""


@dataclass(frozen=True)
class Scenario:
    """A generated round: rows, slots per regency, a budget (or none), and a shuffle seed."""

    rows: tuple[Row, ...]
    slots: dict[str, int]
    budget: int | None
    shuffle: int
    pick: int
    """Which row a property that changes one row changes (modulo the number of rows)."""
    extra: int
    """How much a property that adds slots or need adds."""


def scenarios(
    regencies: Sequence[str] = ("6401", "6402", "6472"), seed: str = "uji-benih-1"
) -> st.SearchStrategy[Scenario]:
    """Rounds of up to 40 rows over ``regencies``: scores 0-30 so ties are common, 12 family
    cards so families collide, slots 0-6 per regency, budgets that bind or none."""

    @st.composite
    def build(draw: st.DrawFn) -> Scenario:
        n = draw(st.integers(0, 40))
        rows = []
        for i in range(n):
            app = f"A{i:03d}"
            rows.append(
                Row(
                    app,
                    f"KK{draw(st.integers(0, 11)):02d}",
                    draw(st.sampled_from(list(regencies))),
                    draw(st.integers(0, 30)),
                    draw(st.integers(1, 5)) * 1_000_000,
                    tiebreak_key(f"64720{i:011d}", seed),
                )
            )
        slots = {code: draw(st.integers(0, 6)) for code in regencies}
        budget = draw(st.none() | st.integers(0, 40).map(lambda m: m * 1_000_000))
        return Scenario(
            tuple(rows),
            slots,
            budget,
            draw(st.integers(0, 2**32)),
            draw(st.integers(0, 1000)),
            draw(st.integers(1, 5)),
        )

    return build()


def _selected_kks(a: Allocation) -> set[str]:
    return {p.row.kk for p in a.placements if p.status is Status.SELECTED}


def _order_independent(s: Scenario, allocate: Allocator) -> str | None:
    shuffled = list(s.rows)
    random.Random(s.shuffle).shuffle(shuffled)
    if allocate(s.rows, s.slots, s.budget) != allocate(shuffled, s.slots, s.budget):
        return "the allocation differs when the rows come in another order"
    return None


def _slots_respected(s: Scenario, allocate: Allocator) -> str | None:
    a = allocate(s.rows, s.slots, s.budget)
    for code, room in s.slots.items():
        taken = sum(
            1 for p in a.placements if p.row.regency == code and p.status is Status.SELECTED
        )
        if taken > room:
            return f"regency {code} selects {taken} with {room} slots"
    return None


def _one_per_family(s: Scenario, allocate: Allocator) -> str | None:
    a = allocate(s.rows, s.slots, s.budget)
    kks = [p.row.kk for p in a.placements if p.status is Status.SELECTED]
    if len(kks) != len(set(kks)):
        return "a family card is selected twice"
    return None


def _budget_respected(s: Scenario, allocate: Allocator) -> str | None:
    a = allocate(s.rows, s.slots, s.budget)
    total = sum(p.row.aid_value for p in a.placements if p.status is Status.SELECTED)
    if total != a.committed or (s.budget is not None and total > s.budget):
        return f"committed {total} with a budget of {s.budget}"
    return None


def _more_slots_keep_selected(s: Scenario, allocate: Allocator) -> str | None:
    # Holds when the budget does not bind: a binding budget shared by all regencies can be
    # taken by the families that more slots let in.
    if not s.slots:
        return None
    code = sorted(s.slots)[s.pick % len(s.slots)]
    before = _selected_kks(allocate(s.rows, s.slots, None))
    after = _selected_kks(allocate(s.rows, {**s.slots, code: s.slots[code] + s.extra}, None))
    lost = before - after
    if lost:
        return f"{s.extra} more slots in {code} remove family cards {sorted(lost)}"
    return None


def _more_need_never_lower_rank(s: Scenario, allocate: Allocator) -> str | None:
    if not s.rows:
        return None
    i = s.pick % len(s.rows)
    row = s.rows[i]
    rows = list(s.rows)
    rows[i] = row._replace(score=row.score + s.extra)
    rank = {p.row.application_id: p.rank for p in allocate(s.rows, s.slots, s.budget).placements}
    again = {p.row.application_id: p.rank for p in allocate(rows, s.slots, s.budget).placements}
    if again[row.application_id] > rank[row.application_id]:
        return f"{row.application_id} falls from rank {rank[row.application_id]} to " + str(
            again[row.application_id]
        )
    return None


def _waitlist_below_selected(s: Scenario, allocate: Allocator) -> str | None:
    a = allocate(s.rows, s.slots, s.budget)
    for code in {r.regency for r in s.rows}:
        here = [p for p in a.placements if p.row.regency == code]
        selected = [p.rank for p in here if p.status is Status.SELECTED]
        waiting = [p.rank for p in here if p.status is Status.WAITLISTED]
        if selected and waiting and min(waiting) < max(selected):
            return f"in {code}, waitlisted rank {min(waiting)} is above selected {max(selected)}"
    return None


PROPERTY_CHECKS: dict[str, Callable[[Scenario, Allocator], str | None]] = {
    "order_independent": _order_independent,
    "slots_respected": _slots_respected,
    "one_per_family": _one_per_family,
    "budget_respected": _budget_respected,
    "more_slots_keep_selected": _more_slots_keep_selected,
    "more_need_never_lower_rank": _more_need_never_lower_rank,
    "waitlist_below_selected": _waitlist_below_selected,
}
"""Each property: a function of a scenario and an allocator giving a violation or ``None``."""


def violation(prop: str, scenario: Scenario, allocate: Allocator = allocate_rows) -> str | None:
    """How ``scenario`` breaks property ``prop`` under ``allocate``, or ``None``."""
    return PROPERTY_CHECKS[prop](scenario, allocate)


@dataclass(frozen=True)
class RoundInvariantResult:
    """How a declared property fared: ``counterexample`` is the smallest breaking round found."""

    invariant: RoundInvariant
    ok: bool
    counterexample: Scenario | None
    problem: str | None


def check_round(
    round_: Round,
    *,
    max_examples: int = 200,
    derandomize: bool = True,
    allocate: Allocator = allocate_rows,
    only: Sequence[str] | None = None,
    shrink: bool = True,
) -> list[RoundInvariantResult]:
    """Search for a generated round that breaks each of ``round_``'s declared properties
    (those named in ``only``, when given), allocated by ``allocate``; a counterexample is shrunk
    to a minimal one unless ``shrink`` is false."""
    codes = [r.code for r in round_.regencies][:3] or ["6401"]
    strategy = scenarios(codes, round_.seed)
    config = settings(
        max_examples=max_examples,
        derandomize=derandomize,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate],
    )
    results = []
    for inv in round_.invariants:
        if only is not None and inv.property not in only:
            continue
        check = PROPERTY_CHECKS[inv.property]

        def breaks(s: Scenario, check: Callable[[Scenario, Allocator], str | None] = check) -> bool:
            return check(s, allocate) is not None

        try:
            found = find(strategy, breaks, settings=config)
        except NoSuchExample:
            results.append(RoundInvariantResult(inv, True, None, None))
            continue
        results.append(RoundInvariantResult(inv, False, found, check(found, allocate)))
    return results
