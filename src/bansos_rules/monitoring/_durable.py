"""The durable monitoring engine: the ruleset's conditions run in durable_rules.

A second implementation of the same ruleset, so the two engines can check each other. What
durable_rules decides: which visits extend each streak, which transition fires after an event or
at a timer, and which alerts are open. Each is one durable_rules ruleset (one rule per streak,
transition or alert) whose conditions are translated from the rule tree into durable_rules' JSON
condition language: comparisons, ``and``/``or``/``not``, ``is None``, ``in`` a list of
constants, ``+``/``-``. Parameters travel in the fact (``P_name``) and are compared with
``$m``, so one set of rulesets serves every date and regency.

Case state lives outside durable_rules, in this engine's own fold (and, for a program, in the
event store): a durable_rules session (``sid``) per case fails at the 1,024th, so each case's
facts are asserted into one session per ruleset, the rules that match are read, and the fact
is retracted. Timers (``after_months``) are computed from the state's start date by the fold
and their guard, if any, is decided by durable_rules on the due day; durable_rules' own timers
run on a background thread and are not used.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from bansos_rules._errors import EngineUnavailableError
from bansos_rules.engines._conditions import FLIP, OPS, Cond, Constants
from bansos_rules.monitoring._events import Closure, Handover, Training, Visit
from bansos_rules.monitoring._ruleset import (
    MAX_TRANSITIONS_PER_EVENT,
    VISIT_FIELDS,
    CaseInfo,
    MonitoringRuleset,
)
from bansos_rules.monitoring._timeline import (
    AlertOpen,
    CaseState,
    StateChange,
    add_months,
    months_between,
    next_due,
    ordered,
    placeholder_values,
    render,
)
from bansos_rules.ruleset import tree as t
from bansos_rules.ruleset.types import Opt

__all__ = ["DurableMonitor", "TranslationError"]

_MARK = "bansos_monitoring"
_CONSTANTS = Constants(_MARK)
TRUE, FALSE = _CONSTANTS.true, _CONSTANTS.false
_all, _any = _CONSTANTS.all_of, _CONSTANTS.any_of
_OPS, _FLIP = OPS, FLIP
_NEG = {"$lt": "$gte", "$lte": "$gt", "$gt": "$lte", "$gte": "$lt", "$eq": "$neq", "$neq": "$eq"}
_PREFIX = {"case": "c_", "visit": "v_", "previous": "p_"}
_names = itertools.count(1)

AnyEvent = Handover | Visit | Training | Closure


class TranslationError(EngineUnavailableError):
    """A condition durable_rules cannot express: the engine cannot run this ruleset (the
    message names the rule and why)."""


# --------------------------------------------------------------------------------------------
# Translation of rule trees into durable_rules conditions


def _key(node: t.Node) -> tuple[str, bool] | None:
    """The fact key of a field path, and whether it may be missing; None if not a path."""
    if isinstance(node, t.Param):
        return "P_" + node.name, False
    if not isinstance(node, t.Field):
        return None
    if isinstance(node.base, t.Root) and node.base.name in _PREFIX:
        return _PREFIX[node.base.name] + node.name, isinstance(node.ty, Opt)
    base = node.base
    if (
        isinstance(base, t.Field)
        and base.name == "streaks"
        and isinstance(base.base, t.Root)
        and base.base.name == "case"
    ):
        return "s_" + node.name, False
    return None


def _operand(node: t.Node) -> Any:
    """A right-hand side: a constant, another field (``$m``) or ``+``/``-`` of those."""
    if isinstance(node, t.Const):
        return node.value
    key = _key(node)
    if key is not None:
        return {"$m": key[0]}
    if isinstance(node, t.Arith) and node.op in ("+", "-"):
        op = "$add" if node.op == "+" else "$sub"
        return {op: {"$l": _operand(node.left), "$r": _operand(node.right)}}
    raise TranslationError(f"cannot use {t.unparse(node)!r} as a value in durable_rules")


def translate(node: t.Node, negated: bool = False) -> Cond:
    """The durable_rules condition that holds when ``node`` is true (false, if ``negated``).

    ``not`` is pushed down to the comparisons. A missing key stands for ``None``: a comparison
    on a field that may be ``None`` is false there in Python, so its negation is true there.
    """
    if isinstance(node, t.Not):
        return translate(node.operand, not negated)
    if isinstance(node, t.BoolOp):
        parts = [translate(v, negated) for v in node.values]
        is_and = (node.op == "and") != negated
        return _all(parts) if is_and else _any(parts)
    if isinstance(node, t.Const) and isinstance(node.value, bool):
        return TRUE if node.value != negated else FALSE
    key = _key(node)
    if key is not None:  # a true/false field
        return {key[0]: not negated}
    if isinstance(node, t.Compare):
        parts = [_compare(left, op, right, negated) for left, op, right in node.pairs()]
        return _any(parts) if negated else _all(parts)
    raise TranslationError(f"cannot translate {t.unparse(node)!r} for durable_rules")


def _compare(left: t.Node, op: str, right: t.Node, negated: bool) -> Cond:
    if op in ("is", "is not"):
        if isinstance(left, t.Const):
            left, right = right, left
        present = (op == "is not") != negated
        if isinstance(left, t.Root) and left.name == "previous":
            return {"c_has_previous": present}  # the first visit has no previous one
        key = _key(left)
        if key is None or not (isinstance(right, t.Const) and right.value is None):
            raise TranslationError("'is' compares a field with None only")
        return {"$ex" if present else "$nex": {key[0]: 1}}
    if op in ("in", "not in"):
        key = _key(left)
        if key is None or not isinstance(right, t.Items | t.Const):
            raise TranslationError("'in' needs a field and a list of constants")
        values = (
            [i.value for i in right.items if isinstance(i, t.Const)]
            if isinstance(right, t.Items)
            else list(right.value)  # type: ignore[arg-type]
        )
        inside = (op == "in") != negated
        if inside:
            return _any([{key[0]: v} for v in values])
        return _all([{"$neq": {key[0]: v}} for v in values])
    name = _OPS[op]
    lkey = _key(left)
    if lkey is None:
        left, right, name = right, left, _FLIP[name]
        lkey = _key(left)
    if lkey is None:
        raise TranslationError(f"no field to compare in {t.unparse(left)!r} {op}")
    rhs = _operand(right)
    rkey = _key(right)
    maybe_missing = lkey[1] or (rkey is not None and rkey[1])
    if negated:
        name = _NEG[name]
    cond: Cond = {lkey[0]: rhs} if name == "$eq" else {name: {lkey[0]: rhs}}
    if negated and maybe_missing:
        missing = [{"$nex": {k: 1}} for k in (lkey, rkey) if k is not None and k[1]]
        return _any([cond, *missing])
    if not negated and name == "$neq" and maybe_missing:
        missing = [{"$nex": {k: 1}} for k in (lkey, rkey) if k is not None and k[1]]
        return _any([cond, *missing])
    return cond


# --------------------------------------------------------------------------------------------
# The durable_rules core


class _Group:
    """One durable_rules ruleset: one rule per name, fired by one fact at a time."""

    def __init__(self, core: Any, label: str, rules: Mapping[str, Cond]) -> None:
        self._core = core
        self.order = list(rules)
        self._index = {name: i for i, name in enumerate(self.order)}
        definition = {
            f"r{i}": {"all": [{"m": _all([{_MARK: 1}, cond]) if cond is not TRUE else {_MARK: 1}}]}
            for i, cond in enumerate(rules.values())
        }
        self._names = {f"r{i}": name for i, name in enumerate(self.order)}
        self.handle: int | None = None
        if definition:
            self.handle = core.create_ruleset(
                f"bansos_monitoring_{next(_names)}_{label}", json.dumps(definition)
            )
        self._ids = itertools.count(1)

    def fire(self, fact: dict[str, Any]) -> list[str]:
        """The rules ``fact`` satisfies, in rule order."""
        if self.handle is None:
            return []
        fact = {k: v for k, v in fact.items() if v is not None}
        fact[_MARK] = 1
        fact["id"] = next(self._ids)
        text = json.dumps(fact, separators=(",", ":"))
        core = self._core
        fired: list[str] = []
        core.assert_fact(self.handle, text)
        try:
            started = core.start_action(self.handle)
            if started:
                message, action = started[1], started[2]
                while message:
                    fired.append(self._names[message[2 : message.index('"', 2)]])
                    message = core.complete_and_start_action(self.handle, action)
        finally:
            core.retract_fact(self.handle, text)
        return sorted(fired, key=self._index.__getitem__)

    def close(self) -> None:
        if self.handle is not None:
            self._core.delete_ruleset(self.handle)
            self.handle = None


class DurableMonitor:
    """Decides case states and alerts with durable_rules; agrees with :class:`NativeMonitor`."""

    name = "durable"

    def __init__(self, ruleset: MonitoringRuleset) -> None:
        try:
            import durable_rules_engine as core  # type: ignore[import-not-found]
        except ImportError as exc:
            raise EngineUnavailableError(
                f"engine 'durable' needs the durable_rules package ({exc}); "
                "the native engine works without it"
            ) from exc
        self.ruleset = ruleset
        self._lock = threading.Lock()
        rs = ruleset
        live = [s for s in rs.states if s not in rs.terminal]

        def in_states(states: Iterable[str]) -> Cond:
            return _any([{"c_state": s} for s in states if s in live])

        def safe(rule: str, node: t.Node) -> Cond:
            try:
                return translate(node)
            except TranslationError as exc:
                raise TranslationError(f"{rule}: {exc}") from None

        self._streaks = _Group(core, "streaks", {s.id: safe(s.id, s.expr.tree) for s in rs.streaks})
        self._events = _Group(
            core,
            "transitions",
            {
                tr.id: _all([in_states(tr.source), safe(tr.id, tr.when.tree)])
                for tr in rs.transitions
                if tr.after_months is None and tr.when is not None
            },
        )
        self._timed = [tr for tr in rs.transitions if tr.after_months is not None]
        self._guards = _Group(
            core,
            "timers",
            {
                tr.id: _all(
                    [in_states(tr.source), TRUE if tr.when is None else safe(tr.id, tr.when.tree)]
                )
                for tr in self._timed
            },
        )
        self._alerts = _Group(
            core,
            "alerts",
            {a.id: _all([in_states(a.states), safe(a.id, a.when.tree)]) for a in rs.alerts},
        )
        self._by_id = {tr.id: tr for tr in rs.transitions}
        self._alert_by_id = {a.id: a for a in rs.alerts}

    def close(self) -> None:
        """Free the durable_rules rulesets."""
        with self._lock:
            for g in (self._streaks, self._events, self._guards, self._alerts):
                g.close()

    def __del__(self) -> None:
        try:  # noqa: SIM105 - at interpreter exit, modules (contextlib too) may be gone
            self.close()
        except Exception:
            pass

    # ---------------------------------------------------------------------------------------
    def _params(self, day: date, regency: str) -> dict[str, Any]:
        return self.ruleset.params_on(day, regency)

    @staticmethod
    def _with_params(fact: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        for k, v in params.items():
            if isinstance(v, int | str | bool):
                fact["P_" + k] = v
        return fact

    def _case_fact(self, c: dict[str, Any], day: date) -> dict[str, Any]:
        handover = c["handover_on"]
        contact = c["last_visit_on"] or handover
        since = c["since"] or day
        fact = {
            "c_state": c["state"],
            "c_regency": c["case"].regency,
            "c_business_type": c["case"].business_type,
            "c_sex": c["case"].sex,
            "c_handed_over": handover is not None,
            "c_handover_value": c["handover_value"],
            "c_days_since_handover": (day - handover).days if handover else 0,
            "c_visits": c["visits"],
            "c_days_since_contact": (day - contact).days if contact else 0,
            "c_days_in_state": (day - since).days,
            "c_months_in_state": months_between(since, day),
            "c_trainings": c["trainings"],
            "c_closed": c["closed"],
            "c_closure_reason": c["closure_reason"],
        }
        for name, n in c["streaks"].items():
            fact["s_" + name] = n
        return fact

    @staticmethod
    def _plain(fact: Mapping[str, Any], streaks: Mapping[str, int]) -> dict[str, Any]:
        plain = {k[2:]: v for k, v in fact.items() if k.startswith("c_")}
        plain["streaks"] = dict(streaks)
        return plain

    def _move(
        self,
        c: dict[str, Any],
        rule: str,
        day: date,
        fact: dict[str, Any],
        params: Mapping[str, Any],
    ) -> None:
        tr = self._by_id[rule]
        values = placeholder_values(self.ruleset, self._plain(fact, c["streaks"]), params)
        c["history"].append(StateChange(day, c["state"], tr.to, tr.id, render(tr.reason, values)))
        c["state"] = tr.to
        c["since"] = day

    def _timers(self, c: dict[str, Any], until: date) -> None:
        terminal = self.ruleset.terminal
        for _ in range(MAX_TRANSITIONS_PER_EVENT):
            if c["state"] in terminal or c["since"] is None:
                return
            due_rules: list[tuple[date, str]] = []
            for tr in self._timed:
                if c["state"] not in tr.source:
                    continue
                assert tr.after_months is not None
                months = self._params(c["since"], c["case"].regency)[tr.after_months]
                due = add_months(c["since"], months)
                if due <= until:
                    due_rules.append((due, tr.id))
            moved = False
            for due, rule_id in due_rules:
                params = self._params(due, c["case"].regency)
                fact = self._case_fact(c, due)
                if rule_id in self._guards.fire(self._with_params(dict(fact), params)):
                    self._move(c, rule_id, due, fact, params)
                    moved = True
                    break
            if not moved:
                return

    def _visit(self, c: dict[str, Any], v: Visit) -> None:
        params = self._params(v.date, c["case"].regency)
        fact: dict[str, Any] = {}
        for name in VISIT_FIELDS:
            fact["v_" + name] = getattr(v, name)
            if c["previous"] is not None:
                fact["p_" + name] = getattr(c["previous"], name)
        fact["c_has_previous"] = c["previous"] is not None
        met = set(self._streaks.fire(self._with_params(fact, params)))
        for s in self.ruleset.streaks:
            c["streaks"][s.id] = c["streaks"][s.id] + 1 if s.id in met else 0
        c["previous"] = v
        c["visits"] += 1
        c["last_visit_on"] = v.date

    def _fold(self, case: CaseInfo, events: Iterable[AnyEvent], until: date) -> dict[str, Any]:
        c: dict[str, Any] = {
            "case": case,
            "state": self.ruleset.initial,
            "since": None,
            "handover_on": None,
            "handover_value": 0,
            "last_visit_on": None,
            "visits": 0,
            "trainings": 0,
            "closed": False,
            "closure_reason": "",
            "streaks": {s.id: 0 for s in self.ruleset.streaks},
            "history": [],
            "previous": None,
        }
        terminal = self.ruleset.terminal
        for e in ordered(events):
            if e.date > until:
                break
            if c["since"] is None:
                c["since"] = e.date
            self._timers(c, e.date)
            if c["state"] in terminal:
                continue
            if isinstance(e, Closure):
                c["closed"], c["closure_reason"] = True, e.reason
            elif isinstance(e, Handover):
                if c["handover_on"] is not None:
                    continue
                c["handover_on"], c["handover_value"] = e.date, e.value
            elif c["handover_on"] is None:
                continue
            elif isinstance(e, Training):
                c["trainings"] += 1
            else:
                self._visit(c, e)
            params = self._params(e.date, case.regency)
            for _ in range(MAX_TRANSITIONS_PER_EVENT):
                if c["state"] in terminal:
                    break
                fact = self._case_fact(c, e.date)
                fired = self._events.fire(self._with_params(dict(fact), params))
                if not fired:
                    break
                self._move(c, fired[0], e.date, fact, params)
        return c

    def evaluate(self, case: CaseInfo, events: Iterable[AnyEvent], on: date) -> CaseState:
        """The case as of ``on``, from its events."""
        with self._lock:
            c = self._fold(case, events, on)
            self._timers(c, on)
            params = self._params(on, case.regency)
            fact = self._case_fact(c, on)
            alerts: list[AlertOpen] = []
            live = c["state"] not in self.ruleset.terminal
            if live and c["state"] != self.ruleset.initial:
                values = placeholder_values(self.ruleset, self._plain(fact, c["streaks"]), params)
                for alert_id in self._alerts.fire(self._with_params(dict(fact), params)):
                    a = self._alert_by_id[alert_id]
                    alerts.append(
                        AlertOpen(a.id, a.severity, render(a.reason, values), a.reference)
                    )
        contact = c["last_visit_on"] or c["handover_on"]
        return CaseState(
            application_id=case.application_id,
            on=on,
            state=c["state"],
            since=c["since"],
            handover_on=c["handover_on"],
            last_visit_on=c["last_visit_on"],
            next_visit_due=next_due(contact, params["visit_cycle_days"]) if live else None,
            visits=c["visits"],
            alerts=tuple(alerts),
            history=tuple(c["history"]),
            engine=self.name,
            facts=self._plain(fact, c["streaks"]),
        )
