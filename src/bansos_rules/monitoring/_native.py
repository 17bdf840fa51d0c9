"""The native monitoring engine: a fold over each case's timeline, with the ruleset's expressions
compiled to Python from the rule tree (the same emitter as the application engine's).

For each event, in timeline order (:func:`._timeline.ordered`):

1. timers due on or before the event's day fire (``after_months`` in the state), each on its due
   day;
2. the event updates the case's facts (handover, visit counts and streaks, trainings, closure);
3. the transitions fired by events are tried in file order, with the facts of that day, until
   none applies (at most :data:`MAX_TRANSITIONS_PER_EVENT`).

Events before the handover other than a closure, a second handover, and events after a terminal
state change nothing. On the day asked for, due timers fire, then the alerts of the case's state
are evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any, ClassVar

from bansos_rules.engines._python import Emitter
from bansos_rules.monitoring._events import Closure, Handover, Training, Visit
from bansos_rules.monitoring._ruleset import (
    CASE_FIELDS,
    MAX_TRANSITIONS_PER_EVENT,
    CaseInfo,
    MonitoringRuleset,
    Transition,
)
from bansos_rules.monitoring._timeline import (
    AlertOpen,
    CaseState,
    StateChange,
    add_months,
    months_between,
    next_due,
    ordered,
    placeholders,
    render,
)
from bansos_rules.ruleset import tree as t
from bansos_rules.ruleset.schema import Text

__all__ = ["NativeMonitor", "Snapshot"]

AnyEvent = Handover | Visit | Training | Closure


class _RootEmitter(Emitter):
    _LOCALS: ClassVar[dict[str, str]] = {
        "case": "_c",
        "visit": "_v",
        "previous": "_pv",
        "alerts": "_al",
        "params": "_P",
    }

    def _Root(self, node: t.Root) -> str:
        return self._LOCALS[node.name]


def compile_predicate(expr: t.Expr) -> Callable[..., bool]:
    """``expr`` as a Python function of ``(_c, _v, _pv, _P, _al)``."""
    emitter = _RootEmitter(values={}, params=_ParamLocals(), functions={}, helpers={})
    code = emitter.expr(expr.tree)
    namespace = dict(emitter.namespace)
    exec(
        f"def _pred(_c=None, _v=None, _pv=None, _P=None, _al=None):\n    return {code}\n",
        namespace,
    )
    fn: Callable[..., bool] = namespace["_pred"]
    return fn


class _ParamLocals(dict[tuple[str, str, str | None], str]):
    """Every parameter is read from the ``_P`` namespace by name."""

    def __missing__(self, key: tuple[str, str, str | None]) -> str:
        return f"_P.{key[1]}"


class _Streaks:
    """The streak counts as attributes; shares its dict with the snapshot's."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.__dict__ = counts


class _Facts:
    """``case`` as the expressions see it on a day: durations computed when read."""

    __slots__ = ("snap", "streaks", "today")

    def __init__(self, snap: Snapshot, today: date) -> None:
        self.snap = snap
        self.today = today
        self.streaks = _Streaks(snap.streaks)

    @property
    def state(self) -> str:
        return self.snap.state

    @property
    def regency(self) -> str:
        return self.snap.case.regency

    @property
    def business_type(self) -> str:
        return self.snap.case.business_type

    @property
    def sex(self) -> str:
        return self.snap.case.sex

    @property
    def handed_over(self) -> bool:
        return self.snap.handover_on is not None

    @property
    def handover_value(self) -> int:
        return self.snap.handover_value

    @property
    def days_since_handover(self) -> int:
        h = self.snap.handover_on
        return (self.today - h).days if h is not None else 0

    @property
    def visits(self) -> int:
        return self.snap.visits

    @property
    def days_since_contact(self) -> int:
        contact = self.snap.last_visit_on or self.snap.handover_on
        return (self.today - contact).days if contact is not None else 0

    @property
    def days_in_state(self) -> int:
        return (self.today - (self.snap.since or self.today)).days

    @property
    def months_in_state(self) -> int:
        return months_between(self.snap.since or self.today, self.today)

    @property
    def trainings(self) -> int:
        return self.snap.trainings

    @property
    def closed(self) -> bool:
        return self.snap.closed

    @property
    def closure_reason(self) -> str:
        return self.snap.closure_reason

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in CASE_FIELDS}
        out["streaks"] = dict(self.snap.streaks)
        return out


@dataclass
class Snapshot:
    """A case's facts after its last event: what the daily sweep starts from."""

    case: CaseInfo
    state: str
    since: date | None
    handover_on: date | None
    handover_value: int
    last_visit_on: date | None
    visits: int
    trainings: int
    closed: bool
    closure_reason: str
    streaks: dict[str, int]
    history: list[StateChange]
    previous: Visit | None = None


class NativeMonitor:
    """Decides case states and alerts from event timelines."""

    name = "native"

    def __init__(self, ruleset: MonitoringRuleset) -> None:
        self.ruleset = ruleset
        self._streaks = [(s.id, compile_predicate(s.expr)) for s in ruleset.streaks]
        self._event_rules = [
            (tr, compile_predicate(tr.when))
            for tr in ruleset.transitions
            if tr.after_months is None and tr.when is not None
        ]
        self._timers = [
            (tr, None if tr.when is None else compile_predicate(tr.when))
            for tr in ruleset.transitions
            if tr.after_months is not None
        ]
        self._alerts = [(a, compile_predicate(a.when)) for a in ruleset.alerts]
        self._invariants = [
            (
                inv,
                None if inv.when is None else compile_predicate(inv.when),
                compile_predicate(inv.holds),
            )
            for inv in ruleset.invariants
        ]
        self._terminal = ruleset.terminal
        self._params: dict[tuple[int, str], tuple[SimpleNamespace, dict[str, Any]]] = {}
        self._paths: dict[str, tuple[str, ...]] = {}

    # parameters ---------------------------------------------------------------------------
    def params(self, on: date, regency: str) -> tuple[SimpleNamespace, dict[str, Any]]:
        key = (self.ruleset.period_key(on), regency)
        found = self._params.get(key)
        if found is None:
            values = self.ruleset.params_on(on, regency)
            found = (SimpleNamespace(**values), values)
            self._params[key] = found
        return found

    # facts --------------------------------------------------------------------------------
    @staticmethod
    def _facts(snap: Snapshot, today: date) -> _Facts:
        return _Facts(snap, today)

    def _move(
        self,
        snap: Snapshot,
        tr: Transition,
        day: date,
        facts: _Facts,
        values: dict[str, Any],
    ) -> None:
        reason = render(tr.reason, self._placeholders(tr.id, tr.reason, facts, values))
        snap.history.append(StateChange(day, snap.state, tr.to, tr.id, reason))
        snap.state = tr.to
        snap.since = day

    def _placeholders(
        self, rule: str, template: Text, facts: _Facts, params: dict[str, Any]
    ) -> dict[str, Any]:
        """The values of the placeholders of a reason, and only those."""
        paths = self._paths.get(rule)
        if paths is None:
            paths = self._paths[rule] = placeholders(template)
        values: dict[str, Any] = {}
        for path in paths:
            root, _, rest = path.partition(".")
            if root == "params":
                values[path] = params.get(rest)
            elif rest.startswith("streaks."):
                values[path] = facts.snap.streaks.get(rest[8:])
            elif root == "case":
                values[path] = getattr(facts, rest, None)
        return values

    def _fire_timers(self, snap: Snapshot, until: date) -> None:
        for _ in range(MAX_TRANSITIONS_PER_EVENT):
            if snap.state in self._terminal or snap.since is None:
                return
            fired = False
            for tr, guard in self._timers:
                if snap.state not in tr.source:
                    continue
                p, values = self.params(snap.since, snap.case.regency)
                assert tr.after_months is not None
                due = add_months(snap.since, getattr(p, tr.after_months))
                if due > until:
                    continue
                p, values = self.params(due, snap.case.regency)
                facts = self._facts(snap, due)
                if guard is None or guard(facts, None, None, p):
                    self._move(snap, tr, due, facts, values)
                    fired = True
                    break
            if not fired:
                return

    def _apply(self, snap: Snapshot, event: AnyEvent) -> bool:
        """Update the facts; whether the event counted."""
        if snap.state in self._terminal:
            return False
        if isinstance(event, Closure):
            snap.closed = True
            snap.closure_reason = event.reason
            return True
        if isinstance(event, Handover):
            if snap.handover_on is not None:
                return False
            snap.handover_on = event.date
            snap.handover_value = event.value
            return True
        if snap.handover_on is None:
            return False
        if isinstance(event, Training):
            snap.trainings += 1
            return True
        p, _ = self.params(event.date, snap.case.regency)
        previous = snap.previous
        for name, pred in self._streaks:
            snap.streaks[name] = snap.streaks[name] + 1 if pred(None, event, previous, p) else 0
        snap.previous = event
        snap.visits += 1
        snap.last_visit_on = event.date
        return True

    def _after_event(self, snap: Snapshot, day: date) -> None:
        p, values = self.params(day, snap.case.regency)
        for _ in range(MAX_TRANSITIONS_PER_EVENT):
            if snap.state in self._terminal:
                return
            facts = self._facts(snap, day)
            for tr, pred in self._event_rules:
                if snap.state in tr.source and pred(facts, None, None, p):
                    self._move(snap, tr, day, facts, values)
                    break
            else:
                return

    def fold(
        self, case: CaseInfo, events: Iterable[AnyEvent], until: date | None = None
    ) -> Snapshot:
        """The case's snapshot after its events (up to ``until``, inclusive, when given)."""
        snap = Snapshot(
            case,
            self.ruleset.initial,
            None,
            None,
            0,
            None,
            0,
            0,
            False,
            "",
            {s.id: 0 for s in self.ruleset.streaks},
            [],
        )
        for event in ordered(events):
            if until is not None and event.date > until:
                break
            if snap.since is None:
                snap.since = event.date
            self._fire_timers(snap, event.date)
            if self._apply(snap, event):
                self._after_event(snap, event.date)
        return snap

    def state_on(self, snap: Snapshot, on: date) -> CaseState:
        """The case as of ``on``, from a snapshot whose events are all on or before ``on``:
        due timers fire, then alerts open."""
        snap = Snapshot(
            **{**vars(snap), "history": list(snap.history), "streaks": dict(snap.streaks)}
        )
        self._fire_timers(snap, on)
        p, values = self.params(on, snap.case.regency)
        facts = self._facts(snap, on)
        alerts: list[AlertOpen] = []
        if snap.state not in self._terminal and snap.state != self.ruleset.initial:
            for alert, pred in self._alerts:
                if snap.state in alert.states and pred(facts, None, None, p):
                    fill = self._placeholders(alert.id, alert.reason, facts, values)
                    reason = render(alert.reason, fill)
                    alerts.append(AlertOpen(alert.id, alert.severity, reason, alert.reference))
        contact = snap.last_visit_on or snap.handover_on
        live = snap.state not in self._terminal
        plain_facts = facts.to_dict()
        return CaseState(
            application_id=snap.case.application_id,
            on=on,
            state=snap.state,
            since=snap.since,
            handover_on=snap.handover_on,
            last_visit_on=snap.last_visit_on,
            next_visit_due=next_due(contact, p.visit_cycle_days) if live else None,
            visits=snap.visits,
            alerts=tuple(alerts),
            history=tuple(snap.history),
            engine=self.name,
            facts=plain_facts,
        )

    def sweep(self, snapshots: Iterable[Snapshot], on: date) -> Iterator[CaseState]:
        """The cases with an open alert on ``on``, from their snapshots.

        Most cases have no due timer and no alert: for those only the alert conditions are
        evaluated, on facts built once; a case with a due timer or an alert gets the full
        :meth:`state_on`.
        """
        terminal = self._terminal
        initial = self.ruleset.initial
        timers = self._timers
        alerts = self._alerts
        for snap in snapshots:
            state = snap.state
            if state in terminal or state == initial:
                continue
            regency = snap.case.regency
            p, _ = self.params(on, regency)
            due = False
            for tr, _guard in timers:
                if state in tr.source and snap.since is not None:
                    assert tr.after_months is not None
                    months = getattr(self.params(snap.since, regency)[0], tr.after_months)
                    if add_months(snap.since, months) <= on:
                        due = True
                        break
            if not due:
                facts = self._facts(snap, on)
                if not any(state in a.states and pred(facts, None, None, p) for a, pred in alerts):
                    continue
            result = self.state_on(snap, on)
            if result.alerts:
                yield result

    def evaluate(self, case: CaseInfo, events: Iterable[AnyEvent], on: date) -> CaseState:
        """The case as of ``on``, from its events (those after ``on`` are not seen)."""
        return self.state_on(self.fold(case, events, until=on), on)

    def violations(self, state: CaseState) -> list[str]:
        """The ids of the ruleset's invariants that ``state`` breaks."""
        facts = SimpleNamespace(
            **{**state.facts, "streaks": SimpleNamespace(**state.facts["streaks"])}
        )
        p, _ = self.params(state.on, str(state.facts["regency"]))
        alerts = state.alert_ids
        broken = []
        for inv, when, holds in self._invariants:
            if when is not None and not when(facts, None, None, p, alerts):
                continue
            if not holds(facts, None, None, p, alerts):
                broken.append(inv.id)
        return broken
