"""The monitoring ruleset: file format, loading and checking, and its checked form.

A monitoring ruleset is YAML in the same language as the application rulesets: dated parameters
with references, expressions checked against typed roots (``case``, ``visit``, ``previous``,
``params``; invariants also ``alerts``), texts in ``id`` and ``en``, worked examples and
invariants. What time needs is given as facts of the case timeline, computed by each engine:

* **streaks**: a condition on one visit (and the ``previous`` one); ``case.streaks.NAME`` is the
  number of consecutive visits, up to the latest, that meet it ("on N consecutive visits");
* durations: ``case.days_since_handover``, ``case.days_since_contact`` (the last visit, or the
  handover when there was none), ``case.days_in_state``, ``case.months_in_state``;
* **transitions** between states, fired after an event when their ``when`` holds, or by a timer
  ``after_months`` (a parameter) in the state;
* **alerts**, open on a day when their ``when`` holds in one of their ``states``.

The file is told apart from an application ruleset by its top-level key ``monitoring:``.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError

from bansos_rules._errors import Diagnostic, RulesetError
from bansos_rules._types import Slug
from bansos_rules.monitoring import _messages  # noqa: F401  (registers the message codes)
from bansos_rules.ruleset._yaml import Located, lines_shown, load_yaml, read_ruleset_file
from bansos_rules.ruleset.expr import Scope, suggest
from bansos_rules.ruleset.ir import Parameter, Period
from bansos_rules.ruleset.loader import (
    ByKeys,
    check_parameters,
    checked_expr,
    validated,
)
from bansos_rules.ruleset.schema import (
    Expression,
    FileModel,
    InvariantSpec,
    ParameterValue,
    ParamType,
    RuleId,
    Text,
)
from bansos_rules.ruleset.tree import Expr
from bansos_rules.ruleset.types import BOOL, INT, STR, Attr, Obj, Opt, Prim, Seq, Ty

__all__ = [
    "CASE_FIELDS",
    "VISIT_FIELDS",
    "Alert",
    "MonitoringExample",
    "MonitoringInvariant",
    "MonitoringRuleset",
    "Streak",
    "Transition",
    "is_monitoring_file",
    "load_monitoring_ruleset",
    "monitoring_json_schema",
    "shipped_monitoring_file",
]

REGENCIES = ("6401", "6402", "6403", "6407", "6408", "6409", "6411", "6471", "6472", "6474")
"""East Kalimantan's regency/city codes (Kemendagri), the keys of a ``by: regency`` parameter."""

_PLACEHOLDER = re.compile(r"\{([^{}:]*)(?::[a-z]+)?\}")
_TOP_KEY = re.compile(rb"^(?:\xef\xbb\xbf)?[\"']?monitoring[\"']?[ \t]*:", re.MULTILINE)

CASE_FIELDS: dict[str, tuple[Ty, str]] = {
    "state": (STR, "the case's state"),
    "regency": (STR, "regency code of the applicant (Kemendagri)"),
    "business_type": (STR, "the planned business type"),
    "sex": (STR, "the applicant's sex (female, male)"),
    "handed_over": (BOOL, "whether the goods were handed over"),
    "handover_value": (INT, "rupiah handed over (0 before)"),
    "days_since_handover": (INT, "days since the handover (0 before)"),
    "visits": (INT, "visits since the handover"),
    "days_since_contact": (INT, "days since the last visit, or the handover when none (0 before)"),
    "days_in_state": (INT, "days since the case entered its state"),
    "months_in_state": (INT, "whole calendar months since the case entered its state"),
    "trainings": (INT, "training courses attended"),
    "closed": (BOOL, "a closure event was recorded"),
    "closure_reason": (STR, "moved, died, withdrew; empty when not closed"),
}
"""The facts of ``case`` besides ``case.streaks``: name → (type, description)."""

VISIT_FIELDS: dict[str, tuple[Ty, str]] = {
    "business_running": (BOOL, "the business was running"),
    "monthly_revenue": (Opt(INT), "revenue last month, rupiah"),
    "monthly_business_income": (Opt(INT), "business income (profit) last month, rupiah"),
    "household_monthly_income": (Opt(INT), "the household's income last month, rupiah"),
    "household_size": (Opt(INT), "people in the household"),
    "income_per_person": (Opt(INT), "household income // household size"),
    "assets_present": (Opt(BOOL), "the goods handed over are still there"),
    "livestock_count": (Opt(INT), "birds counted (chicken farming)"),
    "livestock_sold": (Opt(INT), "birds of the package sold (chicken farming)"),
}
"""The fields of ``visit`` and ``previous`` in streak conditions."""

MAX_TRANSITIONS_PER_EVENT = 8


# --------------------------------------------------------------------------------------------
# File format


class MonitoringParameterSpec(FileModel):
    """A policy figure, keyed by effective date; ``by: regency`` maps regency codes to values."""

    type: ParamType
    by: Literal["regency"] | None = Field(
        default=None, description="When set, each value maps regency codes ('*': any other)."
    )
    unit: str | None = None
    description: Text
    reference: str | None = Field(default=None, min_length=1)
    values: list[ParameterValue] = Field(min_length=1)


class StateSpec(FileModel):
    """A state a case can be in."""

    title: Text
    terminal: bool = Field(default=False, description="No transition leaves it; no alert opens.")


class StreakSpec(FileModel):
    """A condition on one visit; ``case.streaks.<id>`` counts the consecutive visits meeting it."""

    id: Slug
    title: Text
    visit: Expression = Field(description="True when a visit counts; may read `previous`.")


class TransitionSpec(FileModel):
    """A state change, with its reason."""

    id: RuleId
    title: Text
    reference: str = Field(min_length=1)
    source: list[Slug] = Field(alias="from", min_length=1, description="States it leaves.")
    to: Slug
    when: Expression | None = Field(
        default=None, description="Checked after every event (or at the timer, if any)."
    )
    after_months: Slug | None = Field(
        default=None,
        description="A parameter: months in the state after which the timer fires.",
    )
    reason: Text


class AlertSpec(FileModel):
    """Something a worker must act on."""

    id: RuleId
    title: Text
    reference: str = Field(min_length=1)
    severity: Literal["info", "warning", "urgent"] = "warning"
    states: list[Slug] | None = Field(
        default=None, description="States it may open in; every non-terminal state after the first."
    )
    when: Expression
    reason: Text


class CaseSpec(FileModel):
    """A case examples start from."""

    application_id: str = Field(min_length=1)
    regency: Annotated[str, StringConstraints(pattern=r"^64[0-9]{2}$")]
    business_type: Slug
    sex: Literal["female", "male"] = "female"


class MonitoringExpectation(FileModel):
    """What an example must give on its date."""

    state: Slug | None = None
    alerts: list[RuleId] | None = Field(default=None, description="Exactly these alerts are open.")
    history: list[Slug] | None = Field(
        default=None, description="The states entered, in order (after the first)."
    )


class MonitoringExampleSpec(FileModel):
    """A worked example: a case, its events, a day, what the engines must say."""

    name: str = Field(min_length=1, max_length=200)
    case: str | CaseSpec
    on: date
    events: list[dict[str, Any]] = Field(default_factory=list)
    expect: MonitoringExpectation


class MonitoringFile(FileModel):
    """A monitoring ruleset file."""

    monitoring: Slug = Field(description="The ruleset's id.")
    title: Text
    description: Text | None = None
    version: str | None = None
    states: dict[Slug, StateSpec] = Field(min_length=2)
    initial: Slug
    parameters: dict[Slug, MonitoringParameterSpec] = Field(default_factory=dict)
    streaks: list[StreakSpec] = Field(default_factory=list)
    transitions: list[TransitionSpec] = Field(min_length=1)
    alerts: list[AlertSpec] = Field(default_factory=list)
    cases: dict[str, CaseSpec] = Field(default_factory=dict)
    examples: list[MonitoringExampleSpec] = Field(default_factory=list)
    invariants: list[InvariantSpec] = Field(default_factory=list)


def monitoring_json_schema() -> dict[str, Any]:
    """The JSON Schema of a monitoring ruleset file."""
    schema = MonitoringFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bansos-rules monitoring ruleset file"
    return schema


# --------------------------------------------------------------------------------------------
# The checked form


@dataclass(frozen=True)
class Streak:
    """A checked streak condition."""

    id: str
    title: Text
    expr: Expr
    line: int | None


@dataclass(frozen=True)
class Transition:
    """A checked transition."""

    id: str
    title: Text
    reference: str
    source: frozenset[str]
    to: str
    when: Expr | None
    after_months: str | None
    reason: Text
    line: int | None


@dataclass(frozen=True)
class Alert:
    """A checked alert."""

    id: str
    title: Text
    reference: str
    severity: str
    states: frozenset[str]
    when: Expr
    reason: Text
    line: int | None


@dataclass(frozen=True)
class MonitoringInvariant:
    """A property of every case on every day, over ``case``, ``alerts`` and ``params``."""

    id: str
    title: Text
    when: Expr | None
    holds: Expr
    reference: str | None
    line: int | None


@dataclass(frozen=True)
class CaseInfo:
    """What a case knows of its application."""

    application_id: str
    regency: str
    business_type: str
    sex: str


@dataclass(frozen=True)
class MonitoringExample:
    """A worked example, its events validated."""

    name: str
    case: CaseInfo
    on: date
    events: tuple[Any, ...]
    state: str | None
    alerts: tuple[str, ...] | None
    history: tuple[str, ...] | None
    file: str
    line: int | None


@dataclass(frozen=True)
class MonitoringRuleset:
    """A checked monitoring ruleset, ready for the engines."""

    id: str
    title: Text
    version: str | None
    file: str
    digest: str
    states: Mapping[str, StateSpec]
    initial: str
    parameters: Mapping[str, Parameter]
    streaks: tuple[Streak, ...]
    transitions: tuple[Transition, ...]
    alerts: tuple[Alert, ...]
    examples: tuple[MonitoringExample, ...]
    invariants: tuple[MonitoringInvariant, ...]
    _changes: tuple[date, ...] = field(default=(), repr=False)

    @property
    def terminal(self) -> frozenset[str]:
        """The terminal states."""
        return frozenset(s for s, spec in self.states.items() if spec.terminal)

    def params_on(self, on: date, regency: str) -> dict[str, Any]:
        """Every parameter's value in force on ``on``, by-regency ones for ``regency``."""
        out: dict[str, Any] = {}
        for name, p in self.parameters.items():
            period = p.period_on(on)
            value = None if period is None else period.value
            if p.by is not None and isinstance(value, Mapping):
                value = value.get(regency, value.get("*"))
            out[name] = value
        return out

    def period_key(self, on: date) -> int:
        """Days with the same key have the same parameter values."""
        return bisect_right(self._changes, on)


# --------------------------------------------------------------------------------------------
# Loading

_PARAM_TYPES: dict[str, Ty] = {
    "int": INT,
    "bool": BOOL,
    "str": STR,
    "date": Prim("date"),
    "list[str]": Seq(STR),
    "list[int]": Seq(INT),
}


def is_monitoring_file(path: Path) -> bool:
    """Whether ``path`` is a monitoring ruleset (a top-level ``monitoring:`` key)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return _TOP_KEY.search(head) is not None


def shipped_monitoring_file() -> Path:
    """The monitoring ruleset shipped with the package (``rulesets/monitoring.yaml``)."""
    from importlib.resources import files

    packaged = files("bansos_rules") / "rulesets" / "monitoring.yaml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "rulesets" / "monitoring.yaml"


def load_monitoring_ruleset(path: Path | str | None = None) -> MonitoringRuleset:
    """Load and check a monitoring ruleset (default: the shipped one).

    :raises RulesetError: listing every problem, each with ``file:line:column``.
    """
    p = shipped_monitoring_file() if path is None else Path(path)
    return load_monitoring_text(read_ruleset_file(p, str(p)), str(p))


def load_monitoring_text(text: str, file: str) -> MonitoringRuleset:
    """Load and check a monitoring ruleset from its text."""
    with lines_shown(text):
        located, problems = load_yaml(text, file)
        if located is None:
            raise RulesetError(problems)
        spec = validated(located, MonitoringFile)
        return _Checker(located, spec, text).ruleset()


class _Checker:
    def __init__(self, located: Located, spec: MonitoringFile, text: str) -> None:
        self.located = located
        self.spec = spec
        self.lines = text.splitlines()
        self.problems: list[Diagnostic] = []
        self.digest = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        states = frozenset(spec.states)
        self.state_ty = Prim("str", choices=states)
        self.streak_ty = Obj("streaks", {s.id: Attr(INT, doc=s.title.en) for s in spec.streaks})
        case_fields = {n: Attr(ty, doc=doc) for n, (ty, doc) in CASE_FIELDS.items()}
        case_fields["state"] = Attr(self.state_ty, doc="the case's state")
        case_fields["streaks"] = Attr(self.streak_ty, doc="consecutive visits meeting each streak")
        self.case_ty = Obj("case", case_fields)
        self.visit_ty = Obj(
            "visit", {n: Attr(ty, doc=doc) for n, (ty, doc) in VISIT_FIELDS.items()}
        )
        self.params_ty = Obj(
            "params",
            {
                n: Attr(_PARAM_TYPES[p.type], doc=p.description.en)
                for n, p in spec.parameters.items()
            },
        )

    def diag(self, code: str, path: tuple[Any, ...], **kwargs: Any) -> None:
        self.problems.append(self.located.diagnostic(code, path, **kwargs))

    def line(self, path: tuple[Any, ...]) -> int | None:
        pos = self.located.where(path)
        return pos.line if pos else None

    def scope(self, roots: Mapping[str, Ty]) -> Scope:
        return Scope(
            roots=roots,
            params=self.params_ty,
            by_type=frozenset(),
            functions={},
            ruleset=self.spec.monitoring,
        )

    def expr(self, source: str, path: tuple[Any, ...], scope: Scope, rule: str) -> Expr | None:
        return checked_expr(self.located, self.lines, source, path, scope, rule, self.problems)

    def ruleset(self) -> MonitoringRuleset:
        spec = self.spec
        if spec.initial not in spec.states:
            self.diag(
                "monitoring-state-unknown",
                ("initial",),
                name=spec.initial,
                suggestion=suggest(spec.initial, spec.states),
            )
        parameters = self.parameters()
        streaks = self.streaks()
        transitions = self.transitions()
        alerts = self.alerts()
        examples = self.examples()
        invariants = self.invariants()
        if self.problems:
            raise RulesetError(self.problems)
        changes = sorted({d for p in parameters.values() for q in p.periods for d in _edges(q)})
        return MonitoringRuleset(
            id=spec.monitoring,
            title=spec.title,
            version=spec.version,
            file=self.located.file,
            digest=self.digest,
            states=spec.states,
            initial=spec.initial,
            parameters=parameters,
            streaks=streaks,
            transitions=transitions,
            alerts=alerts,
            examples=examples,
            invariants=invariants,
            _changes=tuple(changes),
        )

    # parameters ----------------------------------------------------------------------------
    def parameters(self) -> dict[str, Parameter]:
        by = {
            "regency": ByKeys(
                REGENCIES,
                "monitoring-regency-unknown",
                "monitoring-regency-missing",
                ("pemetaan kode kabupaten/kota ke nilai", "a mapping of regency codes to values"),
            )
        }
        return check_parameters(self.located, self.spec.parameters, by, self.problems)

    # streaks, transitions, alerts --------------------------------------------------------------
    def streaks(self) -> tuple[Streak, ...]:
        scope = self.scope({"visit": self.visit_ty, "previous": Opt(self.visit_ty)})
        found = []
        seen: set[str] = set()
        for i, s in enumerate(self.spec.streaks):
            base = ("streaks", i)
            if s.id in seen:
                self.diag("rule-duplicate", (*base, "id"), rule=s.id, first_line="?")
            seen.add(s.id)
            compiled = self.expr(s.visit, (*base, "visit"), scope, s.id)
            if compiled is not None:
                found.append(Streak(s.id, s.title, compiled, self.line(base)))
        return tuple(found)

    def placeholders(self, text: Text, path: tuple[Any, ...], rule: str) -> None:
        """Every ``{...}`` in a reason names a fact of the case or a parameter."""
        known = [f"case.{n}" for n in CASE_FIELDS]
        known += [f"case.streaks.{s.id}" for s in self.spec.streaks]
        known += [f"params.{n}" for n in self.spec.parameters]
        for lang in ("id", "en"):
            for m in _PLACEHOLDER.finditer(getattr(text, lang)):
                if m.group(1) not in known:
                    self.diag(
                        "monitoring-placeholder",
                        (*path, lang),
                        rule=rule,
                        name=m.group(1),
                        suggestion=suggest(m.group(1), known),
                    )

    def _state(self, name: str, path: tuple[Any, ...], rule: str) -> None:
        if name not in self.spec.states:
            self.diag(
                "monitoring-state-unknown",
                path,
                rule=rule,
                name=name,
                suggestion=suggest(name, self.spec.states),
            )

    def transitions(self) -> tuple[Transition, ...]:
        scope = self.scope({"case": self.case_ty})
        found = []
        first: dict[str, int] = {}
        terminal = {s for s, spec in self.spec.states.items() if spec.terminal}
        for i, r in enumerate(self.spec.transitions):
            base = ("transitions", i)
            line = self.line(base) or 0
            if r.id in first:
                self.diag("rule-duplicate", (*base, "id"), rule=r.id, first_line=first[r.id])
            first.setdefault(r.id, line)
            for j, s in enumerate(r.source):
                self._state(s, (*base, "from", j), r.id)
                if s in terminal:
                    self.diag("monitoring-terminal-source", (*base, "from", j), rule=r.id, name=s)
            self._state(r.to, (*base, "to"), r.id)
            if r.when is None and r.after_months is None:
                self.diag("monitoring-transition-trigger", base, rule=r.id)
            if r.after_months is not None:
                p = self.spec.parameters.get(r.after_months)
                if p is None or p.type != "int" or p.by is not None:
                    self.diag(
                        "monitoring-timer-param",
                        (*base, "after_months"),
                        rule=r.id,
                        name=r.after_months,
                        suggestion=suggest(r.after_months, self.spec.parameters),
                    )
            when = None
            if r.when is not None:
                when = self.expr(r.when, (*base, "when"), scope, r.id)
            self.placeholders(r.reason, (*base, "reason"), r.id)
            found.append(
                Transition(
                    r.id,
                    r.title,
                    r.reference,
                    frozenset(r.source),
                    r.to,
                    when,
                    r.after_months,
                    r.reason,
                    line,
                )
            )
        return tuple(found)

    def alerts(self) -> tuple[Alert, ...]:
        scope = self.scope({"case": self.case_ty})
        found = []
        live = frozenset(
            s
            for s, spec in self.spec.states.items()
            if not spec.terminal and s != self.spec.initial
        )
        first: dict[str, int] = {
            t.id: self.line(("transitions", i)) or 0 for i, t in enumerate(self.spec.transitions)
        }
        for i, a in enumerate(self.spec.alerts):
            base = ("alerts", i)
            if a.id in first:
                self.diag("rule-duplicate", (*base, "id"), rule=a.id, first_line=first[a.id])
            first.setdefault(a.id, self.line(base) or 0)
            states = live
            if a.states is not None:
                for j, s in enumerate(a.states):
                    self._state(s, (*base, "states", j), a.id)
                    if s in self.spec.states and self.spec.states[s].terminal:
                        self.diag(
                            "monitoring-terminal-alert", (*base, "states", j), rule=a.id, name=s
                        )
                states = frozenset(a.states)
            compiled = self.expr(a.when, (*base, "when"), scope, a.id)
            self.placeholders(a.reason, (*base, "reason"), a.id)
            if compiled is not None:
                found.append(
                    Alert(
                        a.id,
                        a.title,
                        a.reference,
                        a.severity,
                        states,
                        compiled,
                        a.reason,
                        self.line(base),
                    )
                )
        return tuple(found)

    def invariants(self) -> tuple[MonitoringInvariant, ...]:
        scope = self.scope({"case": self.case_ty, "alerts": Seq(STR)})
        found = []
        for i, inv in enumerate(self.spec.invariants):
            base = ("invariants", i)
            when = None
            if inv.when is not None:
                when = self.expr(inv.when, (*base, "when"), scope, inv.id)
            holds = self.expr(inv.holds, (*base, "holds"), scope, inv.id)
            if holds is not None:
                found.append(
                    MonitoringInvariant(
                        inv.id, inv.title, when, holds, inv.reference, self.line(base)
                    )
                )
        return tuple(found)

    # examples ---------------------------------------------------------------------------------
    def examples(self) -> tuple[MonitoringExample, ...]:
        from bansos_rules.monitoring._events import parse_event

        rule_ids = {t.id for t in self.spec.transitions} | {a.id for a in self.spec.alerts}
        found = []
        for i, ex in enumerate(self.spec.examples):
            base = ("examples", i)
            if isinstance(ex.case, str):
                spec = self.spec.cases.get(ex.case)
                if spec is None:
                    self.diag(
                        "monitoring-case-unknown",
                        (*base, "case"),
                        name=ex.case,
                        suggestion=suggest(ex.case, self.spec.cases),
                    )
                    continue
            else:
                spec = ex.case
            case = CaseInfo(spec.application_id, spec.regency, spec.business_type, spec.sex)
            events = []
            for j, raw in enumerate(ex.events):
                data = {
                    "event_id": f"{case.application_id}-ex{i + 1}-{j + 1}",
                    "application_id": case.application_id,
                    "recorded_by": "example",
                    "role": "psm",
                    **raw,
                }
                try:
                    events.append(parse_event(data))
                except ValidationError as exc:
                    for err in exc.errors():
                        loc = [
                            str(p)
                            for p in err["loc"]
                            if str(p) not in ("handover", "visit", "training", "closure")
                        ]
                        self.diag(
                            "field-invalid",
                            (*base, "events", j, *loc[:1]),
                            field=".".join(["events", str(j), *loc]),
                            detail=err["msg"],
                        )
            e = ex.expect
            if e.state is not None:
                self._state(e.state, (*base, "expect", "state"), "")
            for k, s in enumerate(e.history or ()):
                self._state(s, (*base, "expect", "history", k), "")
            for k, a in enumerate(e.alerts or ()):
                if a not in rule_ids:
                    self.diag(
                        "monitoring-alert-unknown",
                        (*base, "expect", "alerts", k),
                        name=a,
                        suggestion=suggest(a, rule_ids),
                    )
            found.append(
                MonitoringExample(
                    ex.name,
                    case,
                    ex.on,
                    tuple(events),
                    e.state,
                    None if e.alerts is None else tuple(e.alerts),
                    None if e.history is None else tuple(e.history),
                    self.located.file,
                    self.line(base),
                )
            )
        return tuple(found)


def _edges(p: Period) -> tuple[date, ...]:
    if p.until is None:
        return (p.start,)
    from datetime import timedelta

    return (p.start, p.until + timedelta(days=1))
