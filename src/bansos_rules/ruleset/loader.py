"""Loading a ruleset file: YAML → file-format models → a checked :class:`.ir.Ruleset`.

Every problem is collected as a :class:`~bansos_rules._errors.Diagnostic` with ``file:line:column``
and the rule id where there is one; loading raises one :class:`~bansos_rules._errors.RulesetError`
that lists them all, never a traceback.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import re
import string
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bansos_rules._errors import Diagnostic, RulesetError
from bansos_rules._messages import field_message_id, render
from bansos_rules._models import Application
from bansos_rules._registry import Registry
from bansos_rules.ruleset import schema
from bansos_rules.ruleset._yaml import Located, Position, lines_shown, load_yaml
from bansos_rules.ruleset.expr import ExprError, Locate, Scope, compile_expr, suggest
from bansos_rules.ruleset.ir import (
    ANY_TYPE,
    CONTEXT_PLACEHOLDERS,
    Example,
    Invariant,
    Parameter,
    Period,
    Placeholder,
    Rule,
    Ruleset,
    Variant,
)
from bansos_rules.ruleset.tree import Const, Expr, Field
from bansos_rules.ruleset.types import BOOL, DATE, INT, STR, Attr, Obj, Seq, Ty, describe
from bansos_rules.ruleset.vocabulary import invariant_roots, roots

__all__ = [
    "ByKeys",
    "check_parameters",
    "checked_expr",
    "example_application",
    "load_ruleset",
    "validated",
]

_PARAM_TYPES: dict[str, Ty] = {
    "int": INT,
    "bool": BOOL,
    "str": STR,
    "date": DATE,
    "list[str]": Seq(STR),
    "list[int]": Seq(INT),
}
_EXPECTED = {
    "int": ("bilangan bulat", "a whole number"),
    "bool": ("true atau false", "true or false"),
    "str": ("teks", "text"),
    "date": ("tanggal (YYYY-MM-DD)", "a date (YYYY-MM-DD)"),
    "list[str]": ("daftar teks", "a list of texts"),
    "list[int]": ("daftar bilangan bulat", "a list of whole numbers"),
}
_UNIT_RANGES: dict[str, tuple[int, int]] = {
    "years": (0, 150),
    "months": (0, 1_800),
    "days": (0, 55_000),
    "rupiah": (0, 10**13),
    "m2": (0, 1_000_000),
    "percent": (0, 100),
    "decile": (1, 10),
    "people": (0, 1_000),
}
"""The values a whole-number parameter may take, by its unit: no negative ages or amounts."""
_BY_TYPE_EXPECTED = ("pemetaan jenis usaha ke nilai", "a mapping of business types to values")
_PLACEHOLDER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_ITEMS = {"rules": "rule", "invariants": "invariant"}
_FORMAT_FIELDS = sorted(
    {
        name
        for model in (
            schema.RulesetFile,
            schema.RuleSpec,
            schema.ParameterSpec,
            schema.ParameterValue,
            schema.ExampleSpec,
            schema.Expectation,
            schema.InvariantSpec,
            schema.Text,
        )
        for name, info in model.model_fields.items()
        for name in (info.alias or name,)
    }
)


def load_ruleset(text: str, file: str, registry: Registry, *, plugin: str = "<direct>") -> Ruleset:
    """Load and check one ruleset file.

    :param text: the file's content.
    :param file: the name to show in messages (a path).
    :param registry: business types, agencies and functions the rules may name.
    :param plugin: the plugin the file comes from.
    :raises RulesetError: listing every problem found.
    """
    with lines_shown(text):
        located, problems = load_yaml(text, file)
        if located is None:
            raise RulesetError(problems)
        spec = validated(located, schema.RulesetFile)
        return _Checker(located, spec, text, registry, plugin).ruleset()


_Spec = TypeVar("_Spec", bound=BaseModel)


def validated(located: Located, model: type[_Spec]) -> _Spec:
    """The file's data as ``model`` (a file-format model), or every problem at its place.

    :raises RulesetError: when the data is not a mapping or does not fit the model.
    """
    data = located.data
    if not isinstance(data, dict):
        raise RulesetError(
            [
                located.diagnostic(
                    "field-invalid",
                    (),
                    field="(file)",
                    detail="must be a mapping of keys to values (a key: value on each line)",
                    detail_id="harus berupa pemetaan kunci ke nilai (kunci: nilai di tiap baris)",
                )
            ]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RulesetError(_pydantic_diagnostics(located, exc)) from None


def _rule_id_at(located: Located, loc: tuple[Any, ...]) -> str | None:
    """The id of the rule (or invariant) that ``loc`` is inside, if any."""
    if len(loc) >= 2 and loc[0] in _ITEMS and isinstance(loc[1], int):
        rules = located.data.get(loc[0])
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rid = rules[loc[1]].get("id")
            return rid if isinstance(rid, str) else None
    return None


def _pydantic_diagnostics(located: Located, exc: ValidationError) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for err in exc.errors():
        loc = tuple(err["loc"])
        rule = _rule_id_at(located, loc)
        kind = err["type"]
        if kind == "string_too_short" and loc and loc[-1] == "reference":
            what = (
                f"{_ITEMS[str(loc[0])]} '{rule}'"
                if rule is not None
                else ".".join(str(p) for p in loc[:-1])
            )
            diag = located.diagnostic("reference-missing", loc, rule=rule, what=what)
        elif kind == "missing":
            parent, name = loc[:-1], loc[-1]
            if name == "reference" and rule is not None:
                diag = located.diagnostic(
                    "reference-missing", parent, rule=rule, what=f"rule '{rule}'"
                )
            else:
                diag = located.diagnostic("field-missing", parent, rule=rule, field=name)
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            diag = located.diagnostic(
                "field-unknown",
                loc,
                key=True,
                rule=rule,
                field=name,
                suggestion=suggest(name, _FORMAT_FIELDS),
            )
        else:
            # Union members add a type name to the location ("given", "str"): drop those.
            while loc and not _has_position(located, loc):
                loc = loc[:-1]
            key = (loc, kind)
            if key in seen:
                continue
            seen.add(key)
            detail_id, detail_en = _pydantic_detail(err)
            diag = located.diagnostic(
                "field-invalid",
                loc,
                rule=rule,
                field=_shown_path(loc),
                detail=detail_en,
                detail_id=detail_id,
            )
        found.append(diag)
    return found


def _shown_path(loc: tuple[Any, ...]) -> str:
    """A field path as analysts count: ``rules[1].points`` for the first rule's points."""
    shown = ""
    for part in loc:
        if isinstance(part, int):
            shown += f"[{part + 1}]"
        else:
            shown += ("." if shown else "") + str(part)
    return shown or "(file)"


_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


def _pydantic_detail(err: Any) -> tuple[str, str]:
    """A pydantic error in Indonesian and English, with how to fix a day-first date."""
    kind = err["type"]
    en = str(err["msg"])
    id_ = field_message_id(kind, err.get("ctx")) or en
    value = err.get("input")
    if kind.startswith("date") and isinstance(value, str):
        found = _DAY_FIRST.match(value)
        example = "2026-01-31"
        if found:
            day, month, year = found.groups()
            example = f"{year}-{int(month):02d}-{int(day):02d}"
        id_ = (
            f"'{value}' bukan tanggal yang dikenali: tulis tanggal sebagai TTTT-BB-HH, "
            f"misalnya {example}"
        )
        en = f"'{value}' is not a date: write dates as YYYY-MM-DD, for example {example}"
    elif isinstance(value, str | int | float) and len(repr(value)) <= 60:
        id_ += f" (tertulis {value!r})"
        en += f" (got {value!r})"
    return id_, en


def _has_position(located: Located, loc: tuple[Any, ...]) -> bool:
    return loc in located.positions


class _Checker:
    """Checks one validated file against the registry and compiles its expressions."""

    def __init__(
        self,
        located: Located,
        spec: schema.RulesetFile,
        text: str,
        registry: Registry,
        plugin: str,
    ) -> None:
        self.located = located
        self.spec = spec
        self.lines = text.splitlines()
        self.registry = registry
        self.plugin = plugin
        self.problems: list[Diagnostic] = []
        self.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.types = registry.business_type_codes()

    def diag(self, code: str, path: tuple[Any, ...], **kwargs: Any) -> None:
        self.problems.append(self.located.diagnostic(code, path, **kwargs))

    def ruleset(self) -> Ruleset:
        parameters = self._parameters()
        params_type = Obj(
            "params",
            {
                name: Attr(_param_type(p.type, parameters.get(name)), doc=p.description.en)
                for name, p in self.spec.parameters.items()
            },
        )
        by_type = frozenset(n for n, p in self.spec.parameters.items() if p.by)
        rules = self._rules(params_type, by_type)
        examples = self._examples()
        invariants = self._invariants(params_type, by_type)
        if self.problems:
            raise RulesetError(self.problems)
        id_pos = self.located.where(("ruleset",))
        return Ruleset(
            id=self.spec.ruleset,
            title=self.spec.title,
            description=self.spec.description,
            version=self.spec.version,
            file=self.located.file,
            digest=self.digest,
            plugin=self.plugin,
            parameters=parameters,
            rules=rules,
            examples=examples,
            line=id_pos.line if id_pos else None,
            column=id_pos.column if id_pos else None,
            invariants=invariants,
        )

    # parameters ----------------------------------------------------------------------------
    def _parameters(self) -> dict[str, Parameter]:
        by = {
            "business_type": ByKeys(
                self.types, "business-type-unknown", "param-keys", _BY_TYPE_EXPECTED
            )
        }
        return check_parameters(self.located, self.spec.parameters, by, self.problems)

    # rules ---------------------------------------------------------------------------------
    def _rules(self, params_type: Obj, by_type: frozenset[str]) -> tuple[Rule, ...]:
        rules: list[Rule] = []
        first_line: dict[str, int] = {}
        for i, r in enumerate(self.spec.rules):
            base = ("rules", i)
            pos = self.located.where((*base, "id"))
            line = pos.line if pos else 0
            if r.id in first_line:
                # 'rule' is both the diagnostic's rule id and an argument of its message.
                dup = self.located.diagnostic("rule-duplicate", (*base, "id"), rule=r.id)
                self.problems.append(
                    Diagnostic(
                        dup.code,
                        {"rule": r.id, "first_line": first_line[r.id]},
                        dup.file,
                        dup.line,
                        dup.column,
                        rule=r.id,
                    )
                )
                continue
            first_line[r.id] = line
            rule = self._rule(r, base, params_type, by_type, pos)
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def _rule(
        self,
        r: schema.RuleSpec,
        base: tuple[Any, ...],
        params_type: Obj,
        by_type: frozenset[str],
        pos: Position | None,
    ) -> Rule | None:
        before = len(self.problems)
        applies = None
        if r.applies_to is not None:
            applies = frozenset(r.applies_to)
            for j, code in enumerate(r.applies_to):
                if code not in self.types:
                    self.diag(
                        "business-type-unknown",
                        (*base, "applies_to", j),
                        rule=r.id,
                        name=code,
                        suggestion=suggest(code, self.types),
                    )
        if r.refer is not None and r.refer not in self.registry.agencies:
            self.diag(
                "agency-unknown",
                (*base, "refer"),
                rule=r.id,
                name=r.refer,
                suggestion=suggest(r.refer, self.registry.agencies),
            )
        if r.kind == "score" and r.points is None:
            self.diag("score-needs-points", base, rule=r.id)
        if r.kind != "score" and r.points is not None:
            self.diag("points-not-score", (*base, "points"), rule=r.id)
        functions = dict(self.registry.functions)
        candidates: list[str | None]
        if r.kind == "score":
            candidates = [t for t in self.types if applies is None or t in applies]
        else:
            candidates = [None]
        variants: dict[str | None, Variant] = {}
        placeholders: tuple[Placeholder, ...] = ()
        for candidate in candidates:
            scope = Scope(
                roots=roots(self.types, with_fit=r.kind != "score"),
                params=params_type,
                by_type=by_type,
                functions=functions,
                candidate=candidate,
                ruleset=self.spec.ruleset,
            )
            values: dict[str, Field] = {}
            when = self._expr(r.when, (*base, "when"), scope, values, r.id) if r.when else None
            check = self._expr(r.check, (*base, "check"), scope, values, r.id)
            if candidate is candidates[0]:
                placeholders = self._placeholders(r, base, scope, values)
            if check is not None and (r.when is None or when is not None):
                variants[candidate] = Variant(check, when, values)
            if len(self.problems) > before:
                break
        if len(self.problems) > before:
            return None
        if not variants:
            # A score rule for business types none of which is registered: nothing to compile.
            return None
        return Rule(
            id=r.id,
            ruleset=self.spec.ruleset,
            title=r.title,
            reference=r.reference,
            kind=r.kind,
            applies_to=applies,
            on_fail=r.on_fail if r.kind == "requirement" else "none",
            refer=r.refer,
            points=r.points or 0,
            reason=r.reason,
            passed=r.passed,
            check_source=r.check,
            when_source=r.when,
            variants=variants,
            placeholders=placeholders,
            line=pos.line if pos else None,
            column=pos.column if pos else None,
        )

    def _expr(
        self, source: str, path: tuple[Any, ...], scope: Scope, values: dict[str, Field], rule: str
    ) -> Expr | None:
        compiled = checked_expr(self.located, self.lines, source, path, scope, rule, self.problems)
        if compiled is not None:
            for key, node in compiled.values.items():
                values.setdefault(key, node)
        return compiled

    def _expr_problem(self, err: ExprError, source: str, path: tuple[Any, ...], rule: str) -> None:
        self.problems.append(_expr_diagnostic(self.located, self.lines, err, source, path, rule))

    def _placeholders(
        self, r: schema.RuleSpec, base: tuple[Any, ...], scope: Scope, values: dict[str, Field]
    ) -> tuple[Placeholder, ...]:
        found: dict[tuple[str, str], Placeholder] = {}
        texts = [("reason", r.reason), ("passed", r.passed)]
        for key, text in texts:
            if text is None:
                continue
            for lang in ("id", "en"):
                path = (*base, key, lang)
                try:
                    parsed = list(string.Formatter().parse(getattr(text, lang)))
                except ValueError as exc:
                    self.diag(
                        "placeholder",
                        path,
                        rule=r.id,
                        name="?",
                        detail_id=f"kurung kurawal tidak seimbang ({exc})",
                        detail_en=str(exc),
                    )
                    continue
                for _literal, name, spec, conversion in parsed:
                    if name is None:
                        continue
                    problem = self._placeholder_problem(name, spec or "", conversion, scope, values)
                    if problem:
                        self._placeholder_at(path, getattr(text, lang), name, problem, r.id)
                        continue
                    found[(name, spec or "")] = Placeholder(name, name, spec or "")
        return tuple(found.values())

    def _placeholder_at(
        self, path: tuple[Any, ...], text: str, name: str, problem: tuple[str, str], rule: str
    ) -> None:
        found = self.located.diagnostic(
            "placeholder", path, rule=rule, name=name, detail_id=problem[0], detail_en=problem[1]
        )
        pos = self.located.where(path)
        stripped = text.strip()
        offset = stripped.find("{" + name)
        if pos is not None and offset >= 0:
            lineno = stripped.count("\n", 0, offset) + 1
            col = offset - (stripped.rfind("\n", 0, offset) + 1)
            line, column = _in_scalar(self.lines, pos, text, lineno, col)
            found = Diagnostic(found.code, found.args, found.file, line, column, rule=rule)
        self.problems.append(found)

    def _placeholder_problem(
        self, name: str, spec: str, conversion: str | None, scope: Scope, values: dict[str, Field]
    ) -> tuple[str, str] | None:
        """What is wrong with a placeholder, in Indonesian and English; ``None`` if nothing."""
        if conversion is not None or not _PLACEHOLDER.match(name):
            return (
                "harus berupa nama seperti {applicant.age} atau {params.min_age}",
                "must be a name such as {applicant.age} or {params.min_age}",
            )
        if spec not in ("", "rupiah"):
            return ("satu-satunya format adalah ':rupiah'", "the only format is ':rupiah'")
        if name in CONTEXT_PLACEHOLDERS:
            return None
        root = name.split(".", 1)[0]
        if root not in ("applicant", "household", "plan", "application", "params", "fit"):
            return (
                "hanya boleh menyebut applicant., household., plan., application., params., "
                "fit., business_type atau today",
                "may only name applicant., household., plan., application., params., fit., "
                "business_type or today",
            )
        try:
            found = compile_expr(name, scope)
        except ExprError as err:
            return render(err.code, "id", **err.args_), render(err.code, "en", **err.args_)
        for key, node in found.values.items():
            values.setdefault(key, node)
        if not name.startswith("params.") and name not in found.values:
            return (
                "harus berupa nilai yang selalu ada (bukan di dalam nilai yang bisa kosong)",
                "must be a value that is always present (not inside an optional value)",
            )
        return None

    # invariants ----------------------------------------------------------------------------
    def _invariants(self, params_type: Obj, by_type: frozenset[str]) -> tuple[Invariant, ...]:
        own = [r.id for r in self.spec.rules if r.kind == "requirement"]
        prefixes = {r.id.split(".", 1)[0] for r in self.spec.rules}
        result: list[Invariant] = []
        first_line: dict[str, int] = {}
        for i, spec in enumerate(self.spec.invariants):
            base = ("invariants", i)
            pos = self.located.where((*base, "id"))
            if spec.id in first_line:
                self.problems.append(
                    Diagnostic(
                        "invariant-duplicate",
                        {"invariant": spec.id, "first_line": first_line[spec.id]},
                        self.located.file,
                        pos.line if pos else None,
                        pos.column if pos else None,
                        rule=spec.id,
                    )
                )
                continue
            first_line[spec.id] = pos.line if pos else 0
            # Ids of rules in other rulesets cannot be checked here: accept them, and let the
            # whole book check them (invariants.check_invariants). Ids that look like this
            # ruleset's own are checked now, with a "did you mean".
            rule_ids = _RuleIds(own, prefixes)
            scope = Scope(
                roots=invariant_roots(self.types, rule_ids, self.registry.agencies),
                params=params_type,
                by_type=by_type,
                functions=dict(self.registry.functions),
                ruleset=self.spec.ruleset,
            )
            values: dict[str, Field] = {}
            when = None
            if spec.when is not None:
                when = self._expr(spec.when, (*base, "when"), scope, values, spec.id)
            holds = self._expr(spec.holds, (*base, "holds"), scope, values, spec.id)
            if holds is None or (spec.when is not None and when is None):
                continue
            others = tuple(
                dict.fromkeys(
                    node.value
                    for expr in (when, holds)
                    if expr is not None
                    for node in expr.nodes()
                    if isinstance(node, Const)
                    and isinstance(node.value, str)
                    and rule_ids.foreign(node.value)
                )
            )
            result.append(
                Invariant(
                    id=spec.id,
                    ruleset=self.spec.ruleset,
                    title=spec.title,
                    holds=holds,
                    when=when,
                    values=values,
                    reference=spec.reference,
                    other_rules=others,
                    line=pos.line if pos else None,
                    column=pos.column if pos else None,
                )
            )
        return tuple(result)

    # examples ------------------------------------------------------------------------------
    def _examples(self) -> tuple[Example, ...]:
        result: list[Example] = []
        for i, ex in enumerate(self.spec.examples):
            base = ("examples", i)
            app = example_application(self.located, ex, base, self.spec.applications, self.problems)
            if app is None:
                continue
            pos = self.located.where(base)
            positions: dict[str, tuple[int, int]] = {}
            for kind in ("failed", "passed"):
                for j, rid in enumerate(getattr(ex.expect, kind)):
                    at = self.located.where((*base, "expect", kind, j))
                    if at is not None:
                        positions.setdefault(rid, (at.line, at.column))
            result.append(
                Example(
                    ex.name,
                    ex.on,
                    app,
                    ex.expect,
                    self.spec.ruleset,
                    self.located.file,
                    pos.line if pos else None,
                    positions,
                )
            )
        return tuple(result)


def example_application(
    located: Located,
    ex: Any,
    base: tuple[Any, ...],
    applications: Mapping[str, Any],
    problems: list[Diagnostic],
) -> Application | None:
    """The application a worked example decides: its named or written application with the
    example's ``set:`` changes, validated; ``None`` after adding every problem at its place (the
    change that made a field invalid, else the field in the application).

    :param ex: the example (``name``, ``given``, ``set``), as :class:`.schema.ExampleSpec`.
    :param base: where the example is in the file (``("examples", 3)``).
    """

    def diag(where: tuple[Any, ...], *, key: bool = False, **args: Any) -> None:
        problems.append(located.diagnostic("example-invalid", where, key=key, **args))

    if isinstance(ex.given, str):
        source = applications.get(ex.given)
        if source is None:
            problems.append(
                located.diagnostic(
                    "example-base-unknown",
                    (*base, "given"),
                    example=ex.name,
                    name=ex.given,
                    suggestion=suggest(ex.given, applications),
                )
            )
            return None
    else:
        source = ex.given
    data = copy.deepcopy(source)
    for dotted, value in ex.set.items():
        problem = _set_path(data, dotted, value)
        if problem:
            diag((*base, "set", dotted), key=True, example=ex.name, detail=problem)
            return None
    try:
        return Application.model_validate(data)
    except ValidationError as exc:
        origin = ("applications", ex.given) if isinstance(ex.given, str) else (*base, "given")
        for e in exc.errors():
            loc = tuple(e["loc"])
            changed = _changed_by(ex.set, loc)
            detail_id, detail_en = _pydantic_detail(e)
            diag(
                (*base, "set", changed) if changed is not None else (*origin, *loc),
                key=changed is not None,
                example=ex.name,
                detail=f"{_shown_path(loc)}: {detail_en}",
                detail_id=f"{_shown_path(loc)}: {detail_id}",
            )
        return None


def checked_expr(
    located: Located,
    lines: list[str],
    source: str,
    path: tuple[Any, ...],
    scope: Scope,
    rule: str,
    problems: list[Diagnostic],
) -> Expr | None:
    """The true/false expression ``source`` written at ``path``, checked in ``scope`` with its
    nodes placed in the file; ``None`` after adding the problem, at its place, to ``problems``.
    """
    pos = located.where(path)
    locate = None if pos is None else _locator(lines, pos, source)
    try:
        compiled = compile_expr(source, scope, locate=locate)
    except ExprError as err:
        problems.append(_expr_diagnostic(located, lines, err, source, path, rule))
        return None
    if compiled.type != BOOL:
        problems.append(
            located.diagnostic(
                "expr-not-bool",
                path,
                rule=rule,
                field=path[-1],
                type_id=describe(compiled.type, "id"),
                type_en=describe(compiled.type, "en"),
            )
        )
        return None
    return compiled


def _expr_diagnostic(
    located: Located,
    lines: list[str],
    err: ExprError,
    source: str,
    path: tuple[Any, ...],
    rule: str,
) -> Diagnostic:
    pos = located.where(path)
    line = column = None
    if pos is not None:
        line, column = _in_scalar(lines, pos, source, err.lineno, err.col)
    return Diagnostic(err.code, err.args_, located.file, line, column, rule=rule)


@dataclass(frozen=True)
class ByKeys:
    """What the keys of a parameter written ``by:`` something may be: the known codes, the
    diagnostic for an unknown key and for missing ones, and how the expected value is described
    (Indonesian, English). ``*`` stands for every code not written."""

    known: Collection[str]
    unknown: str
    missing: str
    expected: tuple[str, str]


def check_parameters(
    located: Located,
    specs: Mapping[str, Any],
    by: Mapping[str, ByKeys],
    problems: list[Diagnostic],
) -> dict[str, Parameter]:
    """Check the ``parameters:`` of a file (any kind: rulesets, rounds, monitoring) and build
    them; every problem is added to ``problems`` at its place.

    Each spec has ``type``, ``by``, ``unit``, ``description``, ``reference`` and ``values``
    (``from``, ``until``, ``value``, ``reference``), as :class:`.schema.ParameterSpec`.
    """
    return _ParameterChecker(located, by, problems).check(specs)


class _ParameterChecker:
    def __init__(
        self, located: Located, by: Mapping[str, ByKeys], problems: list[Diagnostic]
    ) -> None:
        self.located = located
        self.by = by
        self.problems = problems

    def diag(self, code: str, path: tuple[Any, ...], **kwargs: Any) -> None:
        self.problems.append(self.located.diagnostic(code, path, **kwargs))

    def check(self, specs: Mapping[str, Any]) -> dict[str, Parameter]:
        result: dict[str, Parameter] = {}
        for name, p in specs.items():
            base = ("parameters", name)
            periods: list[Period] = []
            for i, v in enumerate(p.values):
                where = (*base, "values", i)
                reference = v.reference or p.reference
                if reference is None:
                    self.diag("reference-missing", where, what=f"parameter '{name}' ({v.start})")
                if v.until is not None and v.until < v.start:
                    self.diag("param-period", where, name=name, start=v.start, until=v.until)
                value = self.value(name, p, v.value, (*where, "value"))
                periods.append(Period(v.start, v.until, value, reference or ""))
            ordered = sorted(periods, key=lambda q: q.start)
            for a, b in itertools.pairwise(ordered):
                if a.start == b.start or (a.until is not None and a.until >= b.start):
                    self.diag(
                        "param-overlap",
                        (*base, "values", periods.index(b)),
                        name=name,
                        first=_period_text(a),
                        second=_period_text(b),
                    )
            pos = self.located.where(base, key=True)
            result[name] = Parameter(
                name, p.type, p.by, p.unit, p.description, tuple(periods), pos.line if pos else None
            )
        return result

    def value(self, name: str, p: Any, value: Any, where: tuple[Any, ...]) -> Any:
        keys = self.by.get(p.by) if p.by else None
        if keys is None:
            return self.typed(name, p, value, where)
        if not isinstance(value, dict):
            self.diag(
                "param-value",
                where,
                name=name,
                expected_id=keys.expected[0],
                expected_en=keys.expected[1],
                got=value,
            )
            return {}
        resolved = {}
        for key, item in value.items():
            key = str(key)
            if key != ANY_TYPE and key not in keys.known:
                self.diag(
                    keys.unknown,
                    (*where, key),
                    key=True,
                    name=key,
                    suggestion=suggest(key, keys.known),
                )
            resolved[key] = self.typed(name, p, item, (*where, key))
        missing = [k for k in keys.known if k not in resolved]
        if missing and ANY_TYPE not in resolved:
            self.diag(keys.missing, where, name=name, missing=", ".join(missing))
        return resolved

    def typed(self, name: str, p: Any, value: Any, where: tuple[Any, ...]) -> Any:
        ptype = p.type
        ok: bool
        if ptype == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif ptype == "bool":
            ok = isinstance(value, bool)
        elif ptype == "str":
            ok = isinstance(value, str)
        elif ptype == "date":
            ok = isinstance(value, date)
        elif ptype == "list[str]":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, list) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            )
        if not ok:
            expected_id, expected_en = _EXPECTED[ptype]
            self.diag(
                "param-value",
                where,
                name=name,
                expected_id=expected_id,
                expected_en=expected_en,
                got=value,
            )
            return None
        bounds = _UNIT_RANGES.get(p.unit or "")
        if bounds is not None and ptype in ("int", "list[int]"):
            low, high = bounds
            items = value if isinstance(value, list) else [value]
            for i, v in enumerate(items):
                if not low <= v <= high:
                    at = (*where, i) if isinstance(value, list) else where
                    self.diag(
                        "param-range", at, name=name, value=v, unit=p.unit, low=low, high=high
                    )
                    return None
        return tuple(value) if isinstance(value, list) else value


class _RuleIds(frozenset[str]):
    """The requirement rule ids an invariant may name: this ruleset's own, and any text shaped
    like the id of a rule in another ruleset (those are checked against the whole book)."""

    prefixes: frozenset[str]

    def __new__(cls, own: Iterable[str], prefixes: Iterable[str]) -> _RuleIds:
        ids = super().__new__(cls, own)
        ids.prefixes = frozenset(prefixes)
        return ids

    def foreign(self, text: str) -> bool:
        """Whether ``text`` looks like the id of a rule in another ruleset."""
        return bool(_RULE_ID.match(text)) and text.split(".", 1)[0] not in self.prefixes

    def __contains__(self, value: object) -> bool:
        if frozenset.__contains__(self, value):
            return True
        return isinstance(value, str) and self.foreign(value)


_SET_PART = re.compile(r"[a-z_][a-z0-9_]*|0|[1-9][0-9]{0,3}")


def _changed_by(changes: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    """The ``set:`` key that changed what ``loc`` (a field path) is in, if one did."""
    parts = tuple(str(p) for p in loc)
    for key in changes:
        mine = tuple(key.split("."))
        n = min(len(mine), len(parts))
        if mine[:n] == parts[:n]:
            return key
    return None


def _set_path(data: Any, dotted: str, value: Any) -> str | None:
    """Set ``data[a][b]...`` for ``a.b...``; list indexes are numbers. A problem, or ``None``."""
    parts = dotted.split(".")
    bad = next((p for p in parts if not _SET_PART.fullmatch(p)), None)
    if bad is not None or len(parts) > 8:
        shown = bad if bad is not None else "…"
        return (
            f"'{dotted}' is not a field path ('{shown}'): write field names joined by dots, "
            "such as applicant.age or plan.items.0.quantity (list positions count from 0)"
        )
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return f"'{dotted}': no item {part}"
            if last:
                node[int(part)] = value
                return None
            node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return None
            if part not in node:
                node[part] = {}
            node = node[part]
        else:
            return f"'{dotted}': '{parts[depth - 1]}' is not a mapping"
    return None


def _in_scalar(
    lines: list[str], pos: Position, source: str, lineno: int, col: int
) -> tuple[int, int]:
    """The file line and column of ``(lineno, col)`` (1-based, 0-based) in ``source.strip()``.

    ``source`` is the value of the YAML scalar at ``pos``. YAML drops indentation and folds line
    breaks into spaces (``>`` blocks, multi-line plain and quoted scalars) but keeps every other
    character, so the place is found by counting the non-blank characters before it in the value
    and walking the same number of non-blank characters through the file.
    """
    text = source.strip()
    rows = _LINE_BREAK.split(text)
    head = "".join(rows[: lineno - 1]) + (rows[lineno - 1][:col] if 0 < lineno <= len(rows) else "")
    skip = sum(not c.isspace() for c in head)
    total = sum(not c.isspace() for c in text)
    past_end = skip >= total
    if past_end:
        if total == 0:
            return pos.line, pos.column
        skip = total - 1  # just after the last character
    if pos.style in ("|", ">"):
        row, start = pos.line, 0  # the content starts on the line after the indicator
    else:
        row, start = pos.line - 1, pos.column - 1 + (pos.style in ("'", '"'))
    seen = 0
    for r in range(row, len(lines)):
        text_line = lines[r]
        for c in range(start if r == row else 0, len(text_line)):
            if text_line[c].isspace():
                continue
            if seen == skip:
                return r + 1, c + 1 + past_end
            seen += 1
    return pos.line, pos.column


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _locator(lines: list[str], pos: Position, source: str) -> Locate:
    """Where each place of the expression ``source`` (the YAML scalar at ``pos``) is in the file.

    The same walk as :func:`_in_scalar`, done once for the whole expression: the file position of
    every non-blank character, and for each row of the expression the count of non-blank
    characters before it.
    """
    text = source.strip()
    rows = _LINE_BREAK.split(text)
    before = [0]
    for row in rows:
        before.append(before[-1] + sum(not c.isspace() for c in row))
    total = before[-1]
    if pos.style in ("|", ">"):
        first, start = pos.line, 0
    else:
        first, start = pos.line - 1, pos.column - 1 + (pos.style in ("'", '"'))
    places: list[tuple[int, int]] = []
    for r in range(first, len(lines)):
        if len(places) >= total:
            break
        row_text = lines[r]
        for c in range(start if r == first else 0, len(row_text)):
            if not row_text[c].isspace():
                places.append((r + 1, c + 1))
                if len(places) >= total:
                    break

    def locate(lineno: int, col: int) -> tuple[int, int]:
        if not 0 < lineno <= len(rows) or not places:
            return pos.line, pos.column
        skip = before[lineno - 1] + sum(not c.isspace() for c in rows[lineno - 1][:col])
        if skip >= len(places):
            line, column = places[-1]
            return line, column + 1
        return places[skip]

    return locate


def _param_type(ptype: str, parameter: Parameter | None) -> Ty:
    """The expression type of a parameter; a list's limit is its longest value's length."""
    ty = _PARAM_TYPES[ptype]
    if not isinstance(ty, Seq) or parameter is None:
        return ty
    lengths = [
        len(v)
        for period in parameter.periods
        for v in (period.value.values() if isinstance(period.value, dict) else [period.value])
        if isinstance(v, tuple)
    ]
    return Seq(ty.item, max(lengths, default=0))


def _period_text(p: Period) -> str:
    return f"{p.start}..{p.until or ''}"
