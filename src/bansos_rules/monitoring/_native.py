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

from collections.abc import Callable, Iterable, Iterator, Mapping
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

__all__ = ["NativeMonitor", "Snapshot", "SweepHit"]

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


class _FactsView(Mapping[str, Any]):
    """A case's facts on a day as a read-only mapping, computed when read."""

    def __init__(self, facts: _Facts) -> None:
        self._facts = facts
        self._plain: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._plain is None:
            self._plain = self._facts.to_dict()
        return self._plain

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


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


@dataclass(frozen=True, slots=True)
class SweepHit:
    """A case with open alerts on the day of a sweep."""

    snapshot: Snapshot
    alerts: tuple[str, ...]

    @property
    def application_id(self) -> str:
        return self.snapshot.case.application_id


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
        # The rules that may leave each state, in file order.
        self._event_rules_from = {
            s: [(tr, f) for tr, f in self._event_rules if s in tr.source] for s in ruleset.states
        }
        self._timers_from = {
            s: [(tr, g) for tr, g in self._timers if s in tr.source] for s in ruleset.states
        }
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
        self._texts: dict[tuple[Any, ...], Text] = {}
        self._sweeper: Callable[..., Iterator[tuple[Snapshot, Any]]] | None = None

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
        reason = self._render(tr.id, tr.reason, facts, values)
        snap.history.append(StateChange(day, snap.state, tr.to, tr.id, reason))
        snap.state = tr.to
        snap.since = day

    def _render(self, rule: str, template: Text, facts: _Facts, params: dict[str, Any]) -> Text:
        """A reason filled in; the same values give the same (cached) texts."""
        values = self._placeholders(rule, template, facts, params)
        key = (rule, *values.values())
        found = self._texts.get(key)
        if found is None:
            if len(self._texts) > 100_000:
                self._texts.clear()
            found = self._texts[key] = render(template, values)
        return found

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
            for tr, guard in self._timers_from.get(snap.state, ()):
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
        by_state = self._event_rules_from
        for _ in range(MAX_TRANSITIONS_PER_EVENT):
            rules = by_state.get(snap.state)
            if not rules:  # a terminal state, or one no event leaves
                return
            facts = _Facts(snap, day)
            for tr, pred in rules:
                if pred(facts, None, None, p):
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
        if any(snap.state in tr.source for tr, _ in self._timers):
            # Timers may fire: on a copy, so that the snapshot stays as its events left it.
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
                    reason = self._render(alert.id, alert.reason, facts, values)
                    alerts.append(AlertOpen(alert.id, alert.severity, reason, alert.reference))
        contact = snap.last_visit_on or snap.handover_on
        live = snap.state not in self._terminal
        plain_facts = _FactsView(facts)
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

    def sweep(self, snapshots: Iterable[Snapshot], on: date) -> Iterator[SweepHit]:
        """The cases with an open alert on ``on``, from their snapshots, and the ids of their
        alerts (``state_on(hit.snapshot, on)`` gives the full state, reasons and all).

        The alert conditions are compiled into one loop over the snapshots (:func:`_sweeper`),
        reading each fact once per case; only a case whose timer is due (its state may change
        first) goes through :meth:`state_on`.
        """
        if self._sweeper is None:
            self._sweeper = _sweeper(self.ruleset)
        terminal = self._terminal | {self.ruleset.initial}
        timed = {s for tr, _ in self._timers for s in tr.source}
        by_regency: dict[str, SimpleNamespace] = {}

        def params(regency: str) -> SimpleNamespace:
            found = by_regency.get(regency)
            if found is None:
                found = by_regency[regency] = self.params(on, regency)[0]
            return found

        def timer_due(snap: Snapshot) -> bool:
            for tr, _ in self._timers:
                if snap.state in tr.source and snap.since is not None:
                    assert tr.after_months is not None
                    p, _v = self.params(snap.since, snap.case.regency)
                    if add_months(snap.since, getattr(p, tr.after_months)) <= on:
                        return True
            return False

        states = [a.states for a, _ in self._alerts]
        ids = [a.id for a, _ in self._alerts]
        for snap, hits in self._sweeper(
            snapshots, on, params, terminal, timed, timer_due, states, months_between
        ):
            if hits is None:  # a timer is due: decide the day in full
                result = self.state_on(snap, on)
                if result.alerts:
                    yield SweepHit(snap, result.alert_ids)
            else:
                yield SweepHit(snap, tuple(ids[i] for i in hits))

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


_CASE_CODE = {
    "state": "_st",
    "regency": "_snap.case.regency",
    "business_type": "_snap.case.business_type",
    "sex": "_snap.case.sex",
    "handed_over": "(_snap.handover_on is not None)",
    "handover_value": "_snap.handover_value",
    "days_since_handover": "((_on - _snap.handover_on).days if _snap.handover_on else 0)",
    "visits": "_snap.visits",
    "days_since_contact": "((_on - _ct).days if _ct else 0)",
    "days_in_state": "(_on - (_snap.since or _on)).days",
    "months_in_state": "_months(_snap.since or _on, _on)",
    "trainings": "_snap.trainings",
    "closed": "_snap.closed",
    "closure_reason": "_snap.closure_reason",
}
"""How the sweep computes each fact of ``case`` from a snapshot ``_snap`` on ``_on``."""


class _FlatEmitter(_RootEmitter):
    """Reads ``case.x`` and ``case.streaks.x`` from locals the sweep computes once per case."""

    def __init__(self) -> None:
        super().__init__(values={}, params=_ParamLocals(), functions={}, helpers={})
        self.case_fields: dict[str, None] = {}
        self.streaks: dict[str, str] = {}
        """Each streak read, and the numbered local that holds its count."""

    def _Field(self, node: t.Field) -> str:
        base = node.base
        if isinstance(base, t.Root) and base.name == "case" and node.name in _CASE_CODE:
            self.case_fields[node.name] = None
            return f"_c_{node.name}"
        if (
            isinstance(base, t.Field)
            and base.name == "streaks"
            and isinstance(base.base, t.Root)
            and base.base.name == "case"
        ):
            local = self.streaks.get(node.name)
            if local is None:
                local = self.streaks[node.name] = f"_s{len(self.streaks)}"
            return local
        return super()._Field(node)


def _sweeper(ruleset: MonitoringRuleset) -> Callable[..., Iterator[tuple[Snapshot, Any]]]:
    """One generated loop that yields each snapshot with an open alert (and the alerts' indexes)
    or a due timer (and ``None``).

    Generated names are hygienic as in the native engine: fixed names and numbered locals, all
    starting with an underscore; a streak's name only ever appears as a string constant.
    """
    emitter = _FlatEmitter()
    tests: list[str] = []
    for i, alert in enumerate(ruleset.alerts):
        code = emitter.expr(alert.when.tree)
        tests.append(f"        if _st in _states[{i}] and {code}:\n            _h.append({i})")
    fields = list(emitter.case_fields)
    lines = [
        "def _sweep(_snaps, _on, _params, _skip, _timed, _timer_due, _states, _months):",
        "    for _snap in _snaps:",
        "        _st = _snap.state",
        "        if _st in _skip:",
        "            continue",
        "        if _st in _timed and _timer_due(_snap):",
        "            yield _snap, None",
        "            continue",
        "        _P = _params(_snap.case.regency)",
        "        _ct = _snap.last_visit_on or _snap.handover_on",
        "        _sk = _snap.streaks",
    ]
    for name in fields:
        lines.append(f"        _c_{name} = {_CASE_CODE[name]}")
    for name, local in emitter.streaks.items():
        lines.append(f"        {local} = _sk[{name!r}]")
    lines.append("        _h = []")
    lines.extend(tests)
    lines.append("        if _h:")
    lines.append("            yield _snap, _h")
    namespace = dict(emitter.namespace)
    exec("\n".join(lines) + "\n", namespace)
    fn: Callable[..., Iterator[tuple[Snapshot, Any]]] = namespace["_sweep"]
    return fn
