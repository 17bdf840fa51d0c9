"""A :class:`RuleBook`: loaded rulesets plus what plugins registered, ready to evaluate.

The book fixes a :class:`Layout` — which rule occupies which result slot, which values are read —
that every engine fills in the same way, so their decisions can be compared slot by slot and
explained by the same code.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bansos_rules._decision import Decision
from bansos_rules._errors import (
    Diagnostic,
    EngineUnavailableError,
    FieldProblem,
    InputError,
    RulesetError,
    UnknownBusinessTypeError,
    UsageError,
)
from bansos_rules._messages import field_message_id
from bansos_rules._models import Application
from bansos_rules._registry import Agency, BusinessType, Registry
from bansos_rules.explain import Manifest
from bansos_rules.ruleset.expr import suggest
from bansos_rules.ruleset.ir import Rule, Ruleset, for_business_type
from bansos_rules.ruleset.tree import Field

if TYPE_CHECKING:
    from bansos_rules.engines import Engine, EngineFactory
    from bansos_rules.round import Round, RoundResult

__all__ = ["Layout", "ResolvedParams", "RuleBook"]


class ResolvedParams:
    """Every parameter's value in force on one date."""

    def __init__(self, layout: Layout, on: date) -> None:
        self.on = on
        self._values: dict[tuple[str, str], Any] = {}
        self._thresholds: dict[tuple[str, str], Mapping[str, Any]] = {}
        missing: list[Diagnostic] = []
        for rs in layout.rulesets:
            for name, param in rs.parameters.items():
                period = param.period_on(on)
                if period is None:
                    if name in layout.used_params.get(rs.id, ()):
                        missing.append(
                            Diagnostic(
                                "param-not-in-force",
                                {"name": name, "on": on.isoformat()},
                                file=rs.file,
                                line=param.line,
                            )
                        )
                    continue
                self._values[(rs.id, name)] = period.value
        if missing:
            raise RulesetError(missing)
        self.locals = tuple(
            self._local(rs_id, name, candidate) for rs_id, name, candidate in layout.param_slots
        )
        self.by_type = tuple(self._values.get(key) for key in layout.by_type_slots)

    def _local(self, ruleset: str, name: str, candidate: str | None) -> Any:
        value = self._values.get((ruleset, name))
        return value if candidate is None else for_business_type(value, candidate)

    def value(self, ruleset: str, name: str, business_type: str | None = None) -> Any:
        """The value of ``ruleset``'s parameter ``name`` (for ``business_type``, if by type)."""
        value = self._values.get((ruleset, name))
        if isinstance(value, dict) and business_type is not None:
            return for_business_type(value, business_type)
        return value

    def thresholds(self, rule: Rule, business_type: str) -> Mapping[str, Any]:
        """The parameters ``rule`` compares against, for ``business_type`` (read-only, cached)."""
        key = (rule.id, business_type)
        found = self._thresholds.get(key)
        if found is None:
            found = MappingProxyType(
                {name: self.value(rule.ruleset, name, business_type) for name in rule.params}
            )
            self._thresholds[key] = found
        return found


@dataclass(eq=False)
class Layout:
    """Which rule fills which slot, which values are read, and what names mean."""

    rulesets: tuple[Ruleset, ...]
    business_types: dict[str, BusinessType]
    agencies: dict[str, Agency]
    # Everything below is derived from the rulesets in __post_init__.
    rules: tuple[Rule, ...] = field(init=False)
    scores: tuple[tuple[Rule, str], ...] = field(init=False)
    values: dict[str, Field] = field(init=False, repr=False)
    """Every always-present path a rule reads, with its node, in an order where a path comes after
    the paths it is read through; engines may read each once per decision."""
    local_index: dict[str, int] = field(init=False)
    read_slots: dict[str, tuple[tuple[str, int], ...]] = field(init=False, repr=False)
    param_slots: tuple[tuple[str, str, str | None], ...] = field(init=False)
    """``(ruleset, parameter, business type or None)`` of every fixed parameter value read."""
    by_type_slots: tuple[tuple[str, str], ...] = field(init=False)
    """``(ruleset, parameter)`` of by-business-type parameters read for the planned type."""
    used_params: dict[str, frozenset[str]] = field(init=False)
    digest: str = field(init=False)
    _params: dict[date, ResolvedParams] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rules: list[Rule] = []
        scores: list[tuple[Rule, str]] = []
        for rs in self.rulesets:
            for rule in rs.rules:
                if rule.kind == "score":
                    scores.extend((rule, c) for c in rule.variants if c is not None)
                else:
                    rules.append(rule)
        self.rules = tuple(rules)
        self.scores = tuple(scores)
        self.values = {}
        self._params = {}
        for rule in (*self.rules, *(r for r, _ in self.scores)):
            for variant in rule.variants.values():
                for path, node in variant.values.items():
                    self.values.setdefault(path, node)
        # A decision records the values some rule reads (its findings show them); values read
        # only on the way to others (a record whose field a rule reads) are not recorded.
        read = {path for rule in (*self.rules, *(r for r, _ in self.scores)) for path in rule.reads}
        self.local_index = {path: i for i, path in enumerate(p for p in self.values if p in read)}
        self.read_slots = {
            rule.id: tuple((path, self.local_index[path]) for path in rule.reads)
            for rule in (*self.rules, *(r for r, _ in self.scores))
        }
        slots: dict[tuple[str, str, str | None], None] = {}
        by_type: dict[tuple[str, str], None] = {}
        used: dict[str, set[str]] = {}
        for rs in self.rulesets:
            for rule in rs.rules:
                used.setdefault(rs.id, set()).update(rule.params)
                for candidate in rule.variants:
                    for name in rule.params:
                        if rs.parameters[name].by and candidate is None:
                            by_type[(rs.id, name)] = None
                        else:
                            cand = candidate if rs.parameters[name].by else None
                            slots[(rs.id, name, cand)] = None
        self.param_slots = tuple(slots)
        self.by_type_slots = tuple(by_type)
        self.used_params = {k: frozenset(v) for k, v in used.items()}
        digest = hashlib.sha256()
        for rs in self.rulesets:
            digest.update(f"{rs.id}\0{rs.digest}\0".encode())
        self.digest = "sha256:" + digest.hexdigest()
        self._lock = threading.Lock()

    @property
    def value_paths(self) -> tuple[str, ...]:
        """The paths of the values a decision records, in their order."""
        return tuple(self.local_index)

    def params_on(self, on: date) -> ResolvedParams:
        """Parameter values in force on ``on`` (cached per date)."""
        found = self._params.get(on)
        if found is None:
            found = ResolvedParams(self, on)
            with self._lock:
                if len(self._params) > 4096:
                    self._params.clear()
                self._params[on] = found
        return found

    @cached_property
    def manifest(self) -> Manifest:
        """The texts, references and parameters that explain this layout's decisions."""
        return Manifest(self)


class RuleBook:
    """Rulesets and plugin contributions, checked together, that engines evaluate.

    Build one with :func:`bansos_rules.load_rules`. A book is immutable and safe to share between
    threads; engines are compiled on first use and cached.
    """

    def __init__(
        self,
        rulesets: Sequence[Ruleset],
        registry: Registry,
        engines: Mapping[str, EngineFactory],
    ) -> None:
        self._check(rulesets)
        self.registry = registry
        self.layout = Layout(
            tuple(rulesets),
            {code: bt for code, (bt, _) in registry.business_types.items()},
            {code: ag for code, (ag, _) in registry.agencies.items()},
        )
        # Built now so that it is registered by digest while the book lives: decisions
        # unpickled in this process find their texts.
        self.manifest = self.layout.manifest
        self._engine_factories = dict(engines)
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _check(rulesets: Sequence[Ruleset]) -> None:
        problems: list[Diagnostic] = []
        owner: dict[str, Ruleset] = {}
        # A file given by path goes last: a clash is reported in the file being edited, not in
        # the installed ruleset it clashes with.
        for rs in sorted(rulesets, key=lambda r: r.plugin == "--rulesets"):
            for rule in rs.rules:
                other = owner.get(rule.id)
                if other is not None:
                    problems.append(
                        Diagnostic(
                            "rule-duplicate-across",
                            {"rule": rule.id, "other": other.id},
                            file=rs.file,
                            line=rule.line,
                            column=rule.column,
                            rule=rule.id,
                        )
                    )
                owner[rule.id] = rs
        for rs in rulesets:
            for ex in rs.examples:
                for rid in (*ex.expect.failed, *ex.expect.passed):
                    if rid not in owner:
                        problems.append(
                            Diagnostic(
                                "example-rule-unknown",
                                {
                                    "example": ex.name,
                                    "name": rid,
                                    "suggestion": suggest(rid, owner),
                                },
                                file=rs.file,
                                line=ex.positions.get(rid, (ex.line, None))[0],
                                column=ex.positions.get(rid, (None, None))[1],
                            )
                        )
        if problems:
            raise RulesetError(problems)

    @property
    def rulesets(self) -> tuple[Ruleset, ...]:
        """The loaded rulesets, in evaluation order."""
        return self.layout.rulesets

    @property
    def digest(self) -> str:
        """A digest of the exact content of every ruleset (``sha256:…``)."""
        return self.layout.digest

    @property
    def engines(self) -> tuple[str, ...]:
        """Names of the engines that can evaluate this book."""
        return tuple(self._engine_factories)

    def engine(self, name: str = "native") -> Engine:
        """The engine ``name`` with this book compiled into it (compiled once, then cached).

        :raises EngineUnavailableError: when no plugin registered it or it cannot run here.
        """
        found = self._engines.get(name)
        if found is not None:
            return found
        factory = self._engine_factories.get(name)
        if factory is None:
            known = ", ".join(self._engine_factories) or "none"
            raise EngineUnavailableError(f"engine {name!r} is not registered (available: {known})")
        with self._lock:
            found = self._engines.get(name)
            if found is None:
                found = factory(self)
                self._engines[name] = found
        return found

    def evaluate(
        self, application: Application | Mapping[str, Any], *, on: date, engine: str = "native"
    ) -> Decision:
        """Decide one application with the rules in force on ``on``.

        :param application: an :class:`~bansos_rules._models.Application` or a mapping to validate.
        :param on: the date whose parameter values apply.
        :param engine: the engine to use.
        :raises InputError: when the application is invalid or names an unknown business type.
        """
        day = _a_date(on)
        app = self.validate(application)
        return self.engine(engine).decide(app, day)

    def validate(self, application: Application | Mapping[str, Any]) -> Application:
        """The application as a model, checked against the registered business types.

        :raises InputError: listing every invalid field.
        """
        if isinstance(application, Application):
            app = application
        else:
            try:
                app = Application.model_validate(application)
            except ValidationError as exc:
                raise InputError(problems_of(exc)) from None
        code = app.plan.business_type
        if code not in self.layout.business_types:
            known = tuple(self.layout.business_types)
            hint = suggest(code, known)
            message = f"business type {code!r} is not registered (known: {', '.join(known)})"
            message_id = f"jenis usaha {code!r} tidak terdaftar (yang dikenal: {', '.join(known)})"
            if hint:
                message += f"; did you mean {hint!r}?"
                message_id += f"; maksud Anda {hint!r}?"
            raise UnknownBusinessTypeError(
                [FieldProblem("plan.business_type", message, code, message_id)]
            )
        return app

    def evaluate_many(
        self,
        applications: Iterable[Application | Mapping[str, Any]],
        *,
        on: date,
        engine: str = "native",
    ) -> Iterator[Decision | InputError]:
        """Decide each application in turn; an invalid one yields its :class:`InputError`.

        The batch never stops at a bad record: every item gets a decision or an error.
        """
        decide = self.engine(engine).decide
        on = _a_date(on)
        for item in applications:
            try:
                app = self.validate(item)
            except InputError as exc:
                yield exc
                continue
            yield decide(app, on)

    def allocate(
        self,
        applications: Iterable[Application | Mapping[str, Any]],
        *,
        on: date,
        round: Round | None = None,
        engine: str = "native",
        withdrawn: Iterable[str] = (),
    ) -> RoundResult:
        """Decide every application on ``on``, then allocate the round (the shipped round file
        when ``round`` is omitted): :func:`bansos_rules.round.allocate` with this book."""
        from bansos_rules.round import allocate

        return allocate(self, applications, on=on, round=round, engine=engine, withdrawn=withdrawn)


def problems_of(exc: ValidationError) -> list[FieldProblem]:
    """Every problem of a pydantic validation error, with its dotted field path."""
    return [
        FieldProblem(
            ".".join(str(p) for p in err["loc"]) or "(record)",
            err["msg"],
            err.get("input"),
            field_message_id(err["type"], err.get("ctx")),
        )
        for err in exc.errors()
    ]


def _a_date(on: object) -> date:
    """``on`` if it is a day (a ``date``, not a ``datetime``); else a :class:`UsageError`."""
    if isinstance(on, date) and not isinstance(on, datetime):
        return on
    raise UsageError(f"on={on!r} must be a datetime.date (for example date(2025, 6, 1))")
