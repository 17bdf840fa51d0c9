"""Loading a round file: YAML with positions → :class:`RoundFile` → a checked :class:`Round`.

The same machinery as the decision rulesets: the YAML reader that keeps ``file:line:column``,
the parameter checker (types, periods, references), the expression language and its type
checker. Every problem is a :class:`~bansos_rules._errors.Diagnostic`; loading raises one
:class:`~bansos_rules._errors.RulesetError` listing them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bansos_rules._errors import Diagnostic, RulesetError, path_of
from bansos_rules._models import Application
from bansos_rules._registry import Registry
from bansos_rules.engines._python import Emitter
from bansos_rules.round._schema import (
    RegencySpec,
    RoundExpectation,
    RoundFile,
    RoundInvariant,
    SlotsSpec,
)
from bansos_rules.ruleset import loader as _rl
from bansos_rules.ruleset import schema as rs_schema
from bansos_rules.ruleset._yaml import Located, lines_shown, load_yaml, read_ruleset_file
from bansos_rules.ruleset.expr import ExprError, Scope, compile_expr, suggest
from bansos_rules.ruleset.ir import Parameter
from bansos_rules.ruleset.tree import Expr, Field, Root
from bansos_rules.ruleset.types import BOOL, INT, STR, Attr, Obj, describe
from bansos_rules.ruleset.vocabulary import RUNTIME_HELPERS, roots

__all__ = ["NeedTermIR", "Regency", "Round", "load_round", "round_source", "shipped_round"]

REGENCY = Obj(
    "regency",
    {
        "code": Attr(STR, doc="Kemendagri code."),
        "name": Attr(STR, doc="Name of the regency/city."),
        "poverty_rate_bp": Attr(INT, doc="Poverty rate in basis points (0 when not given)."),
        "poor_population": Attr(INT, doc="Poor people (0 when not given)."),
    },
)
"""The type of ``regency`` in a need-score expression: the applicant's regency in the round."""


@dataclass(frozen=True, slots=True)
class Regency:
    """A regency or city of the round."""

    code: str
    name: str
    poverty_rate_bp: int
    poor_population: int
    slots: int | None
    reference: str


@dataclass(frozen=True)
class NeedTermIR:
    """A checked need-score term."""

    id: str
    title: rs_schema.Text
    reference: str
    weight: int
    source: str
    expr: Expr
    reason: rs_schema.Text
    line: int | None


@dataclass(frozen=True)
class RoundExampleIR:
    """A checked worked example of a round file."""

    name: str
    on: date
    application: Application
    expect: RoundExpectation
    line: int | None


@dataclass(frozen=True)
class Round:
    """A checked round ruleset: who may be selected, how many per regency, how need is scored."""

    id: str
    title: rs_schema.Text
    description: rs_schema.Text | None
    version: str | None
    file: str
    digest: str
    seed: str
    seed_reference: str
    parameters: Mapping[str, Parameter]
    regencies: tuple[Regency, ...]
    slots: SlotsSpec
    budget: str | None
    need: tuple[NeedTermIR, ...]
    invariants: tuple[RoundInvariant, ...]
    scorer: Callable[..., tuple[int, tuple[int, ...]]]
    """``scorer(application, today, regency, param_values)``: the need score and each term's
    value (true/false as 1/0)."""
    param_names: tuple[str, ...]
    """The parameters ``scorer`` reads, in the order of ``param_values``."""
    examples: tuple[RoundExampleIR, ...] = ()

    def need_of(self, application: Application, on: date) -> tuple[int, tuple[int, ...]]:
        """The need score of ``application`` on ``on`` and each term's value.

        :raises RulesetError: when a parameter the terms read has no value in force.
        """
        code = application.applicant.regency
        regency = self.regency(code) or Regency(code, code, 0, 0, 0, "")
        return self.scorer(application, on, regency, [self.param(n, on) for n in self.param_names])

    def run_examples(self) -> list[tuple[RoundExampleIR, list[str]]]:
        """Each worked example with what does not match (empty when it passes), in English."""
        found = []
        ids = [t.id for t in self.need]
        for ex in self.examples:
            score, values = self.need_of(ex.application, ex.on)
            wrong = []
            if ex.expect.score is not None and ex.expect.score != score:
                wrong.append(f"score: expected {ex.expect.score}, got {score}")
            for term, value in ex.expect.terms.items():
                got = values[ids.index(term)]
                if got != value:
                    wrong.append(f"{term}: expected {value}, got {got}")
            found.append((ex, wrong))
        return found

    def regency(self, code: str) -> Regency | None:
        """The regency with Kemendagri code ``code``, if it takes part."""
        for r in self.regencies:
            if r.code == code:
                return r
        return None

    def param(self, name: str | None, on: date) -> Any:
        """The value of parameter ``name`` in force on ``on`` (``None`` for no name).

        :raises RulesetError: when no value is in force.
        """
        if name is None:
            return None
        period = self.parameters[name].period_on(on)
        if period is None:
            raise RulesetError(
                [
                    Diagnostic(
                        "param-not-in-force",
                        {"name": name, "ruleset": self.id, "on": on.isoformat()},
                        file=self.file,
                        line=self.parameters[name].line,
                    )
                ]
            )
        return period.value


def shipped_round() -> Path | Traversable:
    """The round file shipped with the package: ``rulesets/rounds/allocation.yaml``."""
    from bansos_rules.plugins import shipped_ruleset

    return shipped_ruleset("rounds/allocation.yaml")


def round_source(path: str | Path | Traversable | None) -> tuple[str, str]:
    """The text and shown name of the round file ``path`` (the shipped one when ``None``)."""
    source = shipped_round() if path is None else path
    if isinstance(source, str):
        source = Path(source)
    shown = path_of(source) if isinstance(source, Path) else path_of(str(source))
    return read_ruleset_file(source, shown), shown


def load_round(
    path: str | Path | Traversable | None = None, registry: Registry | None = None
) -> Round:
    """Load and check a round file (the shipped one when ``path`` is ``None``).

    :param registry: the functions and business types expressions may use (those of the
        installed plugins when omitted: pass ``rules.registry``).
    :raises RulesetError: listing every problem, each with file:line:column.
    """
    if registry is None:
        from bansos_rules._manager import load_plugins

        registry, _ = load_plugins().collect()
    text, shown = round_source(path)
    return parse_round(text, shown, registry)


def parse_round(text: str, file: str, registry: Registry) -> Round:
    """Check the round file ``text`` (shown as ``file``)."""
    with lines_shown(text):
        located, problems = load_yaml(text, file)
        if located is None:
            raise RulesetError(problems)
        spec = _rl.validated(located, RoundFile)
        return _RoundChecker(located, spec, text, registry).round()


class _RoundChecker:
    def __init__(self, located: Located, spec: RoundFile, text: str, registry: Registry) -> None:
        self.located = located
        self.spec = spec
        self.registry = registry
        # The decision rulesets' checker does the parameters: same types, periods, references.
        shim = rs_schema.RulesetFile.model_construct(
            ruleset=spec.round, title=spec.title, parameters=spec.parameters, rules=[]
        )
        self.base = _rl._Checker(located, shim, text, registry, "round")
        self.problems = self.base.problems

    def diag(self, code: str, path: tuple[Any, ...], **kwargs: Any) -> None:
        self.problems.append(self.located.diagnostic(code, path, **kwargs))

    def round(self) -> Round:
        spec = self.spec
        parameters = self.base._parameters()
        regencies = self._regencies()
        self._slots()
        if spec.budget is not None:
            self._int_param(spec.budget, ("budget",), "budget")
        params_type = Obj(
            "params",
            {
                name: Attr(_rl._PARAM_TYPES[p.type], doc=p.description.en)
                for name, p in spec.parameters.items()
            },
        )
        scope = Scope(
            roots={**roots(self.base.types, with_fit=False), "regency": REGENCY},
            params=params_type,
            by_type=frozenset(n for n, p in spec.parameters.items() if p.by),
            functions=dict(self.registry.functions),
            ruleset=spec.round,
        )
        terms: list[NeedTermIR] = []
        seen: set[str] = set()
        for i, term in enumerate(spec.need):
            base = ("need", i)
            if term.id in seen:
                self.diag("rule-duplicate", (*base, "id"), rule=term.id, first_line="?")
                continue
            seen.add(term.id)
            expr = self._expr(term.score, (*base, "score"), scope, term.id)
            if expr is None:
                continue
            pos = self.located.where((*base, "id"))
            terms.append(
                NeedTermIR(
                    term.id,
                    term.title,
                    term.reference,
                    term.weight,
                    term.score,
                    expr,
                    term.reason,
                    pos.line if pos else None,
                )
            )
        examples = self._examples({t.id for t in spec.need})
        if self.problems:
            raise RulesetError(self.problems)
        scorer, names = _compile(spec.round, terms, self.registry)
        return Round(
            id=spec.round,
            title=spec.title,
            description=spec.description,
            version=spec.version,
            file=self.located.file,
            digest=self.base.digest,
            seed=spec.seed,
            seed_reference=spec.seed_reference,
            parameters=parameters,
            regencies=regencies,
            slots=spec.slots,
            budget=spec.budget,
            need=tuple(terms),
            invariants=tuple(spec.invariants),
            scorer=scorer,
            param_names=names,
            examples=examples,
        )

    def _examples(self, term_ids: set[str]) -> tuple[RoundExampleIR, ...]:
        found: list[RoundExampleIR] = []
        for i, ex in enumerate(self.spec.examples):
            base = ("examples", i)
            for term in ex.expect.terms:
                if term not in term_ids:
                    self.diag(
                        "example-invalid",
                        (*base, "expect", "terms", term),
                        key=True,
                        example=ex.name,
                        detail=f"no need term {term!r}{_hint(term, term_ids)}",
                    )
            app = _rl.example_application(
                self.located, ex, base, self.spec.applications, self.problems
            )
            if app is None:
                continue
            pos = self.located.where(base)
            found.append(RoundExampleIR(ex.name, ex.on, app, ex.expect, pos.line if pos else None))
        return tuple(found)

    def _regencies(self) -> tuple[Regency, ...]:
        found: list[Regency] = []
        seen: set[str] = set()
        for i, r in enumerate(self.spec.regencies):
            if r.code in seen:
                self.diag("round-regency-duplicate", ("regencies", i, "code"), regency=r.code)
                continue
            seen.add(r.code)
            found.append(_regency(r))
        method = self.spec.slots.method
        figure = {"by_poor_population": "poor_population"}.get(method)
        if figure is not None:
            for i, r in enumerate(self.spec.regencies):
                if getattr(r, figure) is None:
                    self.diag(
                        "round-figure-missing",
                        ("regencies", i),
                        method=method,
                        figure=figure,
                        regency=r.code,
                    )
        return tuple(found)

    def _slots(self) -> None:
        s = self.spec.slots
        needed = ("per_regency",) if s.method == "fixed" else ("total",)
        for name in needed:
            if getattr(s, name) is None and not (
                s.method == "fixed" and all(r.slots is not None for r in self.spec.regencies)
            ):
                self.diag("round-slots-param", ("slots",), method=s.method, field=name)
        for name in ("per_regency", "total", "minimum", "maximum"):
            value = getattr(s, name)
            if value is not None:
                self._int_param(value, ("slots", name), f"slots.{name}")

    def _int_param(self, name: str, path: tuple[Any, ...], field: str) -> None:
        param = self.spec.parameters.get(name)
        if param is None:
            self.diag(
                "round-param-unknown",
                path,
                field=field,
                name=name,
                suggestion=suggest(name, self.spec.parameters),
            )
        elif param.type != "int" or param.by is not None:
            self.diag("round-param-type", path, field=field, name=name)

    def _expr(self, source: str, path: tuple[Any, ...], scope: Scope, term: str) -> Expr | None:
        pos = self.located.where(path)
        locate = None if pos is None else _rl._locator(self.base.lines, pos, source)
        try:
            compiled = compile_expr(source, scope, locate=locate)
        except ExprError as err:
            self.base._expr_problem(err, source, path, term)
            return None
        if compiled.type not in (INT, BOOL):
            self.diag(
                "round-need-type",
                path,
                rule=term,
                type_id=describe(compiled.type, "id"),
                type_en=describe(compiled.type, "en"),
            )
            return None
        return compiled


def _regency(r: RegencySpec) -> Regency:
    return Regency(
        r.code, r.name, r.poverty_rate_bp or 0, r.poor_population or 0, r.slots, r.reference
    )


def _hint(name: str, candidates: set[str]) -> str:
    close = suggest(name, candidates)
    return f" (did you mean {close!r}?)" if close else ""


class _NeedEmitter(Emitter):
    def _Root(self, node: Root) -> str:
        if node.name == "regency":
            return "_rg"
        return super()._Root(node)


def _compile(
    round_id: str, terms: list[NeedTermIR], registry: Registry
) -> tuple[Callable[..., tuple[int, tuple[int, ...]]], tuple[str, ...]]:
    """One generated function computing every term's raw value, as the invariants are compiled."""
    names: list[str] = []
    values: dict[str, Field] = {}
    for term in terms:
        for name in term.expr.params:
            if name not in names:
                names.append(name)
        for key, node in term.expr.values.items():
            values.setdefault(key, node)
    emitter = _NeedEmitter(
        values={path: f"_v{i}" for i, path in enumerate(values)},
        params={(round_id, name, None): f"_p{i}" for i, name in enumerate(names)},
        functions={name: fn.impl for name, fn in registry.functions.items()},
        helpers=RUNTIME_HELPERS,
    )
    lines = [
        "def _need(_app, _today, _rg, _pv):",
        "    _a = _app.applicant",
        "    _h = _app.household",
        "    _pl = _app.plan",
        "    _bt = _pl.business_type",
    ]
    lines += [f"    _p{i} = _pv[{i}]" for i in range(len(names))]
    lines += [
        f"    {emitter.values[path]} = {emitter.define(node)}" for path, node in values.items()
    ]
    # Each term's value as a whole number (true/false as 1/0), then the weighted sum.
    for i, term in enumerate(terms):
        lines.append(f"    _t{i} = _int({emitter.expr(term.expr.tree)})")
    total = " + ".join(f"{term.weight} * _t{i}" for i, term in enumerate(terms)) or "0"
    items = "".join(f"_t{i}, " for i in range(len(terms)))
    lines.append(f"    return ({total}, ({items}))")
    namespace = emitter.namespace
    namespace["_int"] = int
    exec(compile("\n".join(lines) + "\n", f"<need score of round {round_id}>", "exec"), namespace)
    fn: Callable[..., tuple[int, tuple[int, ...]]] = namespace["_need"]
    return fn, tuple(names)
