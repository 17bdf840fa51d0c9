"""Hypothesis strategies for monitoring: cases and their event timelines.

Timelines are drawn near the ruleset's thresholds, so that generated cases graduate, fail, fall
at risk, recover and close: visits every 20 to 45 days (sometimes a long gap), household income
per person around the poverty line, business income around the regency's UMK, revenue that
rises and falls, goods sometimes missing and, for chicken farming, birds sometimes sold; a
closure now and then; and the odd event that should change nothing (a visit before the handover,
a second handover).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from hypothesis import strategies as st

from bansos_rules.monitoring._events import Closure, Handover, Training, Visit
from bansos_rules.monitoring._ruleset import REGENCIES, CaseInfo

__all__ = ["AnyEvent", "case_infos", "event_timelines", "synthetic_program", "timelines"]

AnyEvent = Handover | Visit | Training | Closure

_BUSINESS_TYPES = ("food", "drinks", "fried_snacks", "chicken_farming", "cake_making", "workshop")
_REASONS: st.SearchStrategy[Literal["moved", "died", "withdrew"]] = st.sampled_from(
    ("moved", "died", "withdrew")
)
_EARLY: st.SearchStrategy[Literal["moved", "died", "withdrew"]] = st.sampled_from(
    ("moved", "withdrew")
)
POVERTY_LINE = 853_997
UMK_NEAR = 3_800_000


@st.composite
def case_infos(draw: st.DrawFn, application_id: str | None = None) -> CaseInfo:
    """A case: application id, regency (Kemendagri code), business type and sex."""
    app_id = application_id or f"KT-2025-{draw(st.integers(1, 999_999)):06d}"
    return CaseInfo(
        application_id=app_id,
        regency=draw(st.sampled_from(REGENCIES)),
        business_type=draw(st.sampled_from(_BUSINESS_TYPES)),
        sex=draw(st.sampled_from(("female", "male"))),
    )


def _near(draw: st.DrawFn, centre: int, spread: int) -> int:
    return max(0, centre + draw(st.integers(-spread, spread)))


@st.composite
def event_timelines(
    draw: st.DrawFn,
    case: CaseInfo,
    *,
    start: date = date(2025, 3, 1),
    max_visits: int = 14,
) -> list[AnyEvent]:
    """Events of one case, in no particular order (the engines order them)."""
    app = case.application_id
    counter = iter(range(1, 10_000))
    role = draw(st.sampled_from(("psm", "tksk")))
    worker = f"{role.upper()}-{draw(st.integers(1, 99)):02d}"

    def base(day: date) -> dict[str, Any]:
        return {
            "event_id": f"{app}-e{next(counter):04d}",
            "application_id": app,
            "date": day,
            "recorded_by": worker,
            "role": role,
        }

    events: list[AnyEvent] = []
    day = start + timedelta(days=draw(st.integers(0, 120)))
    if draw(st.integers(0, 9)) == 0:  # a visit before the handover changes nothing
        events.append(Visit(**base(day - timedelta(days=5)), business_running=True))
    if draw(st.integers(0, 14)) == 0:  # closed before the handover
        events.append(Closure(**base(day), reason=draw(_EARLY)))
        return events
    events.append(Handover(**base(day), value=draw(st.integers(4_500_000, 5_000_000))))
    if draw(st.integers(0, 19)) == 0:
        events.append(Handover(**base(day + timedelta(days=3)), value=4_600_000))
    size = draw(st.integers(1, 6))
    per_person = _near(draw, POVERTY_LINE, 250_000)
    revenue = draw(st.integers(500_000, 6_000_000))
    business = _near(draw, UMK_NEAR, 600_000)
    chickens = case.business_type == "chicken_farming"
    flock = draw(st.integers(25, 50))
    running_bias = draw(st.integers(0, 10))
    for _ in range(draw(st.integers(0, max_visits))):
        gap = draw(st.one_of(st.integers(20, 45), st.integers(25, 35), st.integers(46, 120)))
        day += timedelta(days=gap)
        kind = draw(st.integers(0, 19))
        if kind == 0:
            events.append(
                Training(
                    **base(day),
                    agency=draw(st.sampled_from(("disnakertrans", "disperindagkop"))),
                    course="Manajemen usaha",
                )
            )
            continue
        if kind == 1:
            events.append(Closure(**base(day), reason=draw(_REASONS)))
            if draw(st.booleans()):
                break
            continue
        running = draw(st.integers(0, 10)) <= running_bias
        per_person = max(0, per_person + draw(st.integers(-120_000, 120_000)))
        revenue = max(0, revenue + draw(st.integers(-700_000, 600_000)))
        business = max(0, business + draw(st.integers(-400_000, 400_000)))
        sold = None
        count = None
        if chickens:
            sold = draw(st.sampled_from((0, 0, 0, 0, 2, None)))
            flock = max(0, flock + draw(st.integers(-5, 8)))
            count = flock
        events.append(
            Visit(
                **base(day),
                business_running=running,
                monthly_revenue=draw(st.sampled_from((revenue, revenue, revenue, None))),
                monthly_business_income=draw(st.sampled_from((business, business, None))),
                household_monthly_income=per_person * size if draw(st.integers(0, 7)) else None,
                household_size=size,
                assets_present=draw(st.sampled_from((True, True, True, True, False, None))),
                livestock_count=count,
                livestock_sold=sold,
            )
        )
    return events


@st.composite
def timelines(draw: st.DrawFn, /, **kwargs: Any) -> tuple[CaseInfo, list[AnyEvent]]:
    """A case and its events."""
    case = draw(case_infos())
    return case, draw(event_timelines(case, **kwargs))


def synthetic_program(
    families: int = 1500,
    months: int = 24,
    *,
    seed: int = 2025,
    start: date = date(2025, 6, 2),
) -> tuple[list[CaseInfo], list[AnyEvent]]:
    """A whole program's cases and events, reproducible from ``seed`` (not hypothesis: for
    benchmarks and load tests): ``families`` cases spread over the ten regencies, each with a
    handover and a visit about every month for ``months`` months (a few missed), trainings and
    closures now and then; events sorted by date, as field workers' tools send them.
    """
    import random

    rng = random.Random(seed)
    cases: list[CaseInfo] = []
    events: list[AnyEvent] = []
    for i in range(families):
        regency = REGENCIES[i % len(REGENCIES)]
        case = CaseInfo(
            f"KT-2025-{i + 1:06d}",
            regency,
            _BUSINESS_TYPES[rng.randrange(len(_BUSINESS_TYPES))],
            rng.choice(("female", "male")),
        )
        cases.append(case)
        role: Literal["psm", "tksk"] = rng.choice(("psm", "tksk"))
        worker = f"{role.upper()}-{regency}-{rng.randrange(1, 15):02d}"
        n = 0

        def base(
            day: date,
            app: str = case.application_id,
            who: str = worker,
            role: Literal["psm", "tksk"] = role,
        ) -> dict[str, Any]:
            nonlocal n
            n += 1
            return {
                "event_id": f"{app}-{n:03d}",
                "application_id": app,
                "date": day,
                "recorded_by": who,
                "role": role,
            }

        day = start + timedelta(days=rng.randrange(0, 45))
        events.append(Handover(**base(day), value=rng.randrange(4_500_000, 5_000_001, 5_000)))
        size = rng.randint(2, 6)
        per_person = rng.randint(450_000, 1_000_000)
        trend = rng.randint(-25_000, 45_000)
        revenue = rng.randint(800_000, 5_000_000)
        chickens = case.business_type == "chicken_farming"
        failing = rng.random() < 0.12
        flock = rng.randint(25, 50)
        for m in range(months):
            day += timedelta(days=rng.randint(27, 33))
            roll = rng.random()
            if roll < 0.04:
                continue  # a missed visit
            if roll < 0.07:
                events.append(
                    Training(**base(day), agency="disnakertrans", course="Manajemen usaha")
                )
                continue
            if roll < 0.075:
                events.append(Closure(**base(day), reason=rng.choice(_CLOSURES)))
                break
            running = not (failing and m > 3) and rng.random() > 0.04
            per_person = max(0, per_person + trend + rng.randint(-60_000, 60_000))
            revenue = max(0, revenue + rng.randint(-400_000, 450_000))
            flock = max(0, flock + rng.randint(-3, 6))
            events.append(
                Visit(
                    **base(day),
                    business_running=running,
                    monthly_revenue=revenue if running else 0,
                    monthly_business_income=revenue // 3 if running else 0,
                    household_monthly_income=per_person * size,
                    household_size=size,
                    assets_present=rng.random() > 0.02,
                    livestock_count=flock if chickens else None,
                    livestock_sold=(2 if rng.random() < 0.03 else 0) if chickens else None,
                )
            )
    events.sort(key=lambda e: (e.date, e.event_id))
    return cases, events


_CLOSURES: tuple[Literal["moved", "died", "withdrew"], ...] = ("moved", "died", "withdrew")
