"""The monitoring API: a ruleset with its engines, over an event store.

:class:`Monitor` is what programs and the ``bansos-rules monitor`` commands use: enrol approved
applications as cases, ingest events durably, and read every case's state and alerts on a day,
on either engine.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from bansos_rules._errors import EngineUnavailableError, FieldProblem, InputError
from bansos_rules.monitoring._events import (
    Closure,
    EventLine,
    Handover,
    Training,
    Visit,
    event_json,
)
from bansos_rules.monitoring._native import NativeMonitor, Snapshot, SweepHit
from bansos_rules.monitoring._ruleset import (
    CaseInfo,
    MonitoringExample,
    MonitoringRuleset,
    load_monitoring_ruleset,
)
from bansos_rules.monitoring._store import AppendResult, EnrolledCase, Store
from bansos_rules.monitoring._timeline import CaseState

__all__ = [
    "ENGINES",
    "CaseEngine",
    "EnrolResult",
    "ExampleOutcome",
    "IngestProgress",
    "Monitor",
]

AnyEvent = Handover | Visit | Training | Closure
ENGINES = ("native", "durable")
DEFAULT_BATCH = 1000


class CaseEngine(Protocol):
    """An engine that decides a case's state and alerts from its events."""

    name: str

    def evaluate(self, case: CaseInfo, events: Iterable[AnyEvent], on: date) -> CaseState: ...


@dataclass
class EnrolResult:
    """What enrolling a file of applications did: ``records = enrolled + already + not
    approved + invalid``."""

    records: int = 0
    enrolled: int = 0
    already: int = 0
    not_approved: dict[str, str] = field(default_factory=dict)
    invalid: list[tuple[str, tuple[FieldProblem, ...]]] = field(default_factory=list)
    """Where each invalid record is, and its problems (each with an Indonesian text too)."""


@dataclass(frozen=True)
class IngestProgress:
    """Reported after each durable commit: ``committed`` is the number of events stored."""

    committed: int
    stored: int
    duplicates: int
    rejected: int
    lines: int

    def to_dict(self) -> dict[str, int]:
        return {
            "committed": self.committed,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "lines": self.lines,
        }


@dataclass(frozen=True)
class ExampleOutcome:
    """A worked example run on one engine."""

    example: MonitoringExample
    engine: str
    state: CaseState
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class Monitor:
    """A monitoring ruleset with its engines.

    :param ruleset: a checked ruleset, or the path of a monitoring ruleset file; the shipped
        ``rulesets/monitoring.yaml`` when omitted.
    """

    def __init__(self, ruleset: MonitoringRuleset | Path | str | None = None) -> None:
        if not isinstance(ruleset, MonitoringRuleset):
            ruleset = load_monitoring_ruleset(ruleset)
        self.ruleset = ruleset
        self.native = NativeMonitor(ruleset)
        self._durable: CaseEngine | None = None
        self._lock = threading.Lock()

    def engine(self, name: str = "native") -> CaseEngine:
        """The engine called ``name`` (``native`` or ``durable``)."""
        if name == "native":
            return self.native
        if name == "durable":
            with self._lock:
                if self._durable is None:
                    from bansos_rules.monitoring._durable import DurableMonitor

                    self._durable = DurableMonitor(self.ruleset)
                return self._durable
        raise EngineUnavailableError(
            f"no monitoring engine {name!r}; the engines are: {', '.join(ENGINES)}"
        )

    # one case ------------------------------------------------------------------------------
    def evaluate(
        self, case: CaseInfo, events: Iterable[AnyEvent], on: date, *, engine: str = "native"
    ) -> CaseState:
        """One case as of ``on`` from its events (in any order; later ones are not seen)."""
        return self.engine(engine).evaluate(case, events, on)

    def violations(self, state: CaseState) -> list[str]:
        """The ruleset's invariants that ``state`` breaks (their ids)."""
        return self.native.violations(state)

    def run_examples(self, engine: str = "native") -> list[ExampleOutcome]:
        """Every worked example of the ruleset, decided by ``engine``."""
        found = []
        eng = self.engine(engine)
        for ex in self.ruleset.examples:
            state = eng.evaluate(ex.case, ex.events, ex.on)
            problems = []
            if ex.state is not None and state.state != ex.state:
                problems.append(f"state: expected {ex.state}, got {state.state}")
            if ex.alerts is not None and sorted(state.alert_ids) != sorted(ex.alerts):
                problems.append(
                    f"alerts: expected {sorted(ex.alerts)}, got {sorted(state.alert_ids)}"
                )
            got = [h.to for h in state.history]
            if ex.history is not None and got != list(ex.history):
                problems.append(f"history: expected {list(ex.history)}, got {got}")
            found.append(ExampleOutcome(ex, eng.name, state, tuple(problems)))
        return found

    # a store -------------------------------------------------------------------------------
    def enrol(
        self,
        store: Store,
        applications: Iterable[tuple[str, Mapping[str, Any] | None, str | None]],
        *,
        on: date | None = None,
        rules: Any = None,
    ) -> EnrolResult:
        """Decide applications with the rules and enrol the approved ones as cases.

        :param applications: ``(where, data, problem)`` for each input record.
        :param on: the enrolment date and the date the rules are applied for; else each
            application's ``submitted_on``.
        :param rules: a :class:`~bansos_rules.RuleBook` (default: every installed plugin's).
        """
        from bansos_rules._api import default_rules
        from bansos_rules._decision import Outcome

        book = rules or default_rules()
        result = EnrolResult()
        cases: list[EnrolledCase] = []
        for where, data, problem in applications:
            result.records += 1
            if data is None:
                result.invalid.append((where, (FieldProblem("", problem or "unreadable"),)))
                continue
            try:
                app = book.validate(dict(data))
            except InputError as exc:
                result.invalid.append((where, exc.problems))
                continue
            day = on or app.submitted_on
            if day is None:
                missing = FieldProblem(
                    "submitted_on",
                    "needed when no enrolment date (--on) is given",
                    None,
                    "wajib bila tanggal pendaftaran (--on) tidak diberikan",
                )
                result.invalid.append((where, (missing,)))
                continue
            decision = book.evaluate(app, on=day)
            if decision.outcome is not Outcome.APPROVED:
                result.not_approved[app.id] = decision.outcome.value
                continue
            info = CaseInfo(
                app.id, app.applicant.regency, app.plan.business_type, app.applicant.sex
            )
            cases.append(EnrolledCase(info, day, decision.aid_value))
        result.enrolled = store.enrol(cases)
        result.already = len(cases) - result.enrolled
        return result

    def ingest(
        self,
        store: Store,
        lines: Iterable[EventLine],
        *,
        batch: int = DEFAULT_BATCH,
        rejected: list[EventLine] | None = None,
    ) -> Iterator[IngestProgress]:
        """Store the valid events of ``lines`` in durable batches; yield after each commit.

        A line that is not a valid event, names a case that is not enrolled, or reuses an event
        id for a different event is added to ``rejected`` (with its problems) and not stored;
        every other line is. ``lines = stored + duplicates + rejected``.
        """
        pending: list[tuple[EventLine, AnyEvent]] = []
        stored = duplicates = bad = count = 0
        yielded = False

        def flush() -> IngestProgress:
            nonlocal stored, duplicates, bad
            result: AppendResult = store.append([e for _, e in pending])
            stored += result.stored
            duplicates += result.duplicates
            conflicts = Counter((c.event_id, c.sent) for c in result.conflicts)
            unknown = set(result.unknown_cases)
            for line, event in pending:
                problem = None
                key = (event.event_id, event_json(event)) if conflicts else None
                if key is not None and conflicts[key] > 0:
                    problem = FieldProblem(
                        "event_id",
                        f"{event.event_id!r} is already used by a different event",
                        event.event_id,
                        f"{event.event_id!r} sudah dipakai oleh kejadian lain",
                    )
                    conflicts[key] -= 1
                elif event.event_id in unknown:
                    problem = FieldProblem(
                        "application_id",
                        f"case {event.application_id!r} is not enrolled (run monitor enrol)",
                        event.application_id,
                        f"kasus {event.application_id!r} belum terdaftar (jalankan monitor enrol)",
                    )
                if problem is not None:
                    bad += 1
                    if rejected is not None:
                        rejected.append(EventLine(line.source, line.line, None, (problem,)))
            pending.clear()
            return IngestProgress(result.total, stored, duplicates, bad, count)

        for line in lines:
            count += 1
            if line.event is None:
                bad += 1
                if rejected is not None:
                    rejected.append(line)
                continue
            pending.append((line, line.event))
            if len(pending) >= batch:
                yielded = True
                yield flush()
        if pending or not yielded:
            yield flush()

    def timelines(self, store: Store) -> dict[str, tuple[CaseInfo, list[AnyEvent]]]:
        """Every enrolled case with its stored events."""
        by_case: dict[str, list[AnyEvent]] = defaultdict(list)
        for event in store.events():
            by_case[event.application_id].append(event)
        return {
            c.info.application_id: (c.info, by_case.get(c.info.application_id, []))
            for c in store.cases()
        }

    def states(self, store: Store, on: date, *, engine: str = "native") -> list[CaseState]:
        """Every case as of ``on``, replayed from the event log, by application id."""
        eng = self.engine(engine)
        return [eng.evaluate(info, events, on) for info, events in self.timelines(store).values()]

    def replay(self, store: Store, on: date, *, engine: str = "native") -> str:
        """Every case's state as of ``on`` as JSON Lines: the same log gives the same bytes."""
        return "".join(s.to_json() + "\n" for s in self.states(store, on, engine=engine))

    def snapshots(self, store: Store) -> list[Snapshot]:
        """Each case's facts after its last event: where a daily sweep starts."""
        return [self.native.fold(info, events) for info, events in self.timelines(store).values()]

    def sweep(self, snapshots: Iterable[Snapshot], on: date) -> Iterator[SweepHit]:
        """The cases with open alerts on ``on`` (the workers' day) and their alert ids, from
        snapshots whose events are all on or before ``on``; ``native.state_on(hit.snapshot,
        on)`` gives a hit's full state."""
        return self.native.sweep(snapshots, on)


def event_lines(events: Iterable[AnyEvent]) -> str:
    """Events as JSON Lines, in their canonical form."""
    return "".join(event_json(e) + "\n" for e in events)
