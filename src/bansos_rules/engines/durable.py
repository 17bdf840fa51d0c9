"""The durable engine: the rule book compiled into `durable_rules`_ rulesets.

A second engine, built independently of the native one, so that the two can check each other
(``bansos-rules check`` compares them on generated applications). It translates each rule's tree
(:mod:`bansos_rules.ruleset.tree`) into durable_rules' JSON condition language; it shares with the
native engine only the checked rule tree, the models and the book's slot layout.

How a rule becomes durable_rules:

* Comparisons, ``and``/``or``, ``is None``, ``in`` a list of constants, a field ``in`` a list of
  the application, ``any``/``all``/``count`` over a list of the application and the built-in
  ``overlaps`` become durable conditions. ``not`` is pushed down to the leaves.
* Parameters and ``today`` are constants: the rulesets are built for each date decisions are
  asked for (and cached), with the values in force that day. A rule that reads ``business_type``
  or a by-business-type parameter is built once for each business type.
* What the expression language has and durable_rules lacks (other functions, ``sum``/``min``/
  ``max``/``len``/``abs``, ``//``, ``%``, ``*``, arithmetic that cannot be solved for one field)
  is computed by a small interpreter of the rule tree and added to the fact as a field that the
  durable condition tests. :attr:`DurableEngine.translation` lists which rules needed that.
* An application is asserted as one fact, every rule it satisfies fires, and the fact is
  retracted. Rules that read the fit score run in a second ruleset, after the score rules.

Everything this engine uses of durable_rules sits in :class:`_Core`: its C core, driven directly,
without the ``Host`` (whose timer threads run actions on other threads). Facts rather than events
(an event fires only one rule), a marker field every rule requires (the engine's own state object
is matched against rules too), one session per ruleset with every fact retracted after use (a
distinct session per record fails at the 1,024th), and a lock per engine (the core is not
thread-safe).

.. _durable_rules: https://github.com/jruizgit/rules
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bansos_rules._decision import Decision, Outcome, RuleError
from bansos_rules._errors import EngineUnavailableError
from bansos_rules.engines._conditions import FLIP, OPS, Cond, Constants
from bansos_rules.engines._python import Emitter
from bansos_rules.ruleset import tree as t
from bansos_rules.ruleset.types import Obj, Opt, Prim, Seq, Ty, model_type, strip_opt
from bansos_rules.ruleset.vocabulary import (
    RUNTIME_HELPERS,
    FitScore,
    fit_percent,
    overlaps,
    roots,
)

if TYPE_CHECKING:
    from bansos_rules._book import Layout, ResolvedParams, RuleBook
    from bansos_rules._models import Application
    from bansos_rules.ruleset.ir import Rule, Variant
    from bansos_rules.ruleset.types import Function

__all__ = ["DurableEngine", "RuleTranslation"]

_MARK = "bansos_rules"
_MARKED: Cond = {_MARK: 1}
_CONSTANTS = Constants(_MARK)
TRUE, FALSE = _CONSTANTS.true, _CONSTANTS.false
_all_of, _any_of = _CONSTANTS.all_of, _CONSTANTS.any_of
_PROGRAM_CACHE = 64  # dates whose rulesets are kept built

_FLIP = FLIP
_NEGATE = {"$lt": "$gte", "$lte": "$gt", "$gt": "$lte", "$gte": "$lt"}
_OPS = OPS


# --------------------------------------------------------------------------------------------
# The one place that talks to durable_rules.


class _Refused(Exception):
    """durable_rules refused to build some rules."""

    def __init__(self, rules: list[str], detail: str) -> None:
        super().__init__(detail)
        self.rules = rules
        self.detail = detail


class _Core:
    """The durable_rules C core: create and delete rulesets, fire the rules one fact satisfies."""

    def __init__(self) -> None:
        try:
            import durable_rules_engine as core  # type: ignore[import-not-found]
        except ImportError as exc:  # not installed, or no build for this interpreter
            raise EngineUnavailableError(
                "engine 'durable' needs the durable_rules package, which cannot be imported here "
                f"({exc}); install it with: pip install durable-rules "
                "(it builds from source and does not support Python 3.13 or later). "
                "The native engine works without it."
            ) from exc
        self._core = core
        self._ids = itertools.count(1)

    def create(self, name: str, rules: Mapping[str, Cond]) -> int:
        """Build a ruleset: each rule fires when one fact satisfies its condition."""
        definition = {
            rule: {"all": [{"m": {"$and": [_MARKED, cond]} if cond is not TRUE else _MARKED}]}
            for rule, cond in rules.items()
        }
        try:
            handle: int = self._core.create_ruleset(name, json.dumps(definition))
        except Exception as exc:
            # durable_rules limits how complex a condition may be (error 113): find which.
            refused = []
            for rule, body in definition.items():
                try:
                    self._core.delete_ruleset(
                        self._core.create_ruleset(f"{name}_{rule}", json.dumps({rule: body}))
                    )
                except Exception:
                    refused.append(rule)
            raise _Refused(refused, str(exc)) from exc
        return handle

    def delete(self, handle: int) -> None:
        """Free a ruleset."""
        self._core.delete_ruleset(handle)

    def fire(self, handle: int, members: str) -> set[str]:
        """Assert the fact of ``members`` (JSON object members), run every rule it satisfies,
        retract it; the names of the rules fired."""
        text = f'{{"{_MARK}":1,"id":{next(self._ids)}{"," if members else ""}{members}}}'
        core = self._core
        fired: set[str] = set()
        core.assert_fact(handle, text)
        try:
            started = core.start_action(handle)
            if started:
                message, action = started[1], started[2]
                while message:
                    # The message is {"<rule>":{...the fact...}}: only the rule name is needed.
                    fired.add(message[2 : message.index('"', 2)])
                    message = core.complete_and_start_action(handle, action)
        finally:
            core.retract_fact(handle, text)
        return fired

    def facts(self, handle: int) -> list[Any]:
        """Facts still held by the ruleset's session (empty between decisions)."""
        held: list[Any] = json.loads(self._core.get_facts(handle, "0"))
        return held


# --------------------------------------------------------------------------------------------
# Values as the translator sees them.


@dataclass(frozen=True)
class _Const:
    value: Any


@dataclass(frozen=True)
class _Path:
    """A value read from the fact (``applicant.age``) or from the current list item (``$i.age``)."""

    key: str
    ty: Ty
    item: bool = False


@dataclass(frozen=True)
class _Arith:
    op: str  # "$add" or "$sub"
    left: _Value
    right: _Value


_Value = _Const | _Path | _Arith


class _Fallback(Exception):
    """The node cannot be expressed in durable_rules' condition language."""


class _ItemScoped(_Fallback):
    """The node reads a loop variable, so it cannot be computed once per application."""


def _json_value(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool, float):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.toordinal()
    raise _Fallback(f"no JSON form for {type(value).__name__}")


# --------------------------------------------------------------------------------------------
# An interpreter of the expression language, for what durable_rules cannot say.


@dataclass(frozen=True)
class _Env:
    """What names mean for one rule variant on one date."""

    today: date
    business_type: str | None  # the candidate (score rules, per-type variants), else the plan's
    params: Mapping[str, Any]
    functions: Mapping[str, Function]


_DERIVED_HELPERS: dict[tuple[type, str], Callable[[Any, date], Any] | None] = {}


def _attribute(obj: Any, name: str, today: date) -> Any:
    """``obj.name``, computing the fields the models derive from the date (``age``)."""
    if obj is None:
        raise TypeError(f"cannot read .{name} of None")
    key = (type(obj), name)
    try:
        helper = _DERIVED_HELPERS[key]
    except KeyError:
        helper = None
        if isinstance(obj, BaseModel):
            spec = model_type(type(obj)).fields.get(name)
            if spec is not None and spec.derived is not None:
                helper = RUNTIME_HELPERS[spec.derived]
        _DERIVED_HELPERS[key] = helper
    return getattr(obj, name) if helper is None else helper(obj, today)


_ROOTS: dict[str, Callable[[Application, FitScore | None], Any]] = {
    "applicant": lambda app, fit: app.applicant,
    "household": lambda app, fit: app.household,
    "plan": lambda app, fit: app.plan,
    "application": lambda app, fit: app,
    "fit": lambda app, fit: fit,
}
"""The data an expression starts from, by root name."""


class _Interpreter:
    """Evaluates a checked expression directly from its rule tree."""

    def __init__(self, env: _Env) -> None:
        self.env = env

    def run(self, node: t.Node, app: Application, fit: FitScore | None) -> Any:
        roots: dict[str, Any] = {name: get(app, fit) for name, get in _ROOTS.items()}
        roots["today"] = self.env.today
        roots["business_type"] = self.env.business_type or app.plan.business_type
        return self._eval(node, roots, {})

    def _eval(self, node: t.Node, roots: dict[str, Any], loop: dict[str, Any]) -> Any:
        if isinstance(node, t.Const):
            return node.value
        if isinstance(node, t.Root):
            return roots[node.name]
        if isinstance(node, t.Var):
            return loop[node.name]
        if isinstance(node, t.Param):
            return self.env.params[node.name]
        if isinstance(node, t.Field):
            return _attribute(self._eval(node.base, roots, loop), node.name, self.env.today)
        if isinstance(node, t.BoolOp):
            is_and = node.op == "and"
            result: Any = is_and
            for value in node.values:
                result = self._eval(value, roots, loop)
                if bool(result) != is_and:
                    return result
            return result
        if isinstance(node, t.Not):
            return not self._eval(node.operand, roots, loop)
        if isinstance(node, t.Negate):
            return -self._eval(node.operand, roots, loop)
        if isinstance(node, t.Arith):
            left = self._eval(node.left, roots, loop)
            return _binop(node.op, left, self._eval(node.right, roots, loop))
        if isinstance(node, t.Compare):
            left = self._eval(node.operands[0], roots, loop)
            for op, operand in zip(node.ops, node.operands[1:], strict=True):
                right = self._eval(operand, roots, loop)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, t.IfElse):
            test = self._eval(node.test, roots, loop)
            return self._eval(node.body if test else node.orelse, roots, loop)
        if isinstance(node, t.Items):
            return tuple(self._eval(e, roots, loop) for e in node.items)
        if isinstance(node, t.Call):
            values = [self._eval(a, roots, loop) for a in node.args]
            if not node.builtin:
                return self.env.functions[node.name].impl(*values)
            if node.name == "len":
                return len(values[0])
            if node.name == "abs":
                return abs(values[0])
            return min(values) if node.name == "min" else max(values)
        if isinstance(node, t.Aggregate):
            items = self._items(node, roots, loop)
            if node.name == "any":
                return any(items)
            if node.name == "all":
                return all(items)
            if node.name in ("sum", "count"):
                return sum(items)
            found = list(items)
            return (min if node.name == "min" else max)(found) if found else None
        raise TypeError(f"cannot evaluate {type(node).__name__}")

    def _items(self, node: t.Aggregate, roots: dict[str, Any], loop: dict[str, Any]) -> list[Any]:
        counting = node.name == "count"
        source = self._eval(node.source, roots, loop)
        if node.var is None or node.element is None:
            return [1 for _ in source] if counting else list(source)
        out = []
        for item in source:
            inner = {**loop, node.var: item}
            if all(self._eval(cond, roots, inner) for cond in node.conditions):
                if counting and node.conditions:
                    out.append(1)
                elif counting:
                    out.append(1 if self._eval(node.element, roots, inner) else 0)
                else:
                    out.append(self._eval(node.element, roots, inner))
        return out


def _binop(op: str, left: Any, right: Any) -> Any:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "//":
        return left // right
    if op == "%":
        return left % right
    raise TypeError(f"unsupported operator {op}")


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "in":
        return left in right
    if op == "not in":
        return left not in right
    if op == "is":
        return left is right
    return left is not right


# --------------------------------------------------------------------------------------------
# What goes into a fact.


@dataclass
class _Shape:
    """The part of an application the durable conditions read, as nested field names."""

    fields: dict[str, _Shape | None] = field(default_factory=dict)

    def add(self, parts: Iterable[str]) -> _Shape:
        node = self
        for part in parts:
            child = node.fields.get(part)
            if child is None:
                child = node.fields[part] = _Shape()
            node = child
        return node


class _FactCode:
    """Generated Python that writes the facts of one date's rulesets as JSON, a function per round.

    Like the native engine's decide, the code is generated once from the rule tree's types: each
    record whose fields a round's conditions read gets a function that writes exactly those
    fields as one formatted string, each by its type (computed fields by their helper, dates as
    their ordinal); optional fields are left out when ``None`` (durable_rules matches a JSON
    ``null`` as both present and absent), and lists of records become lists of the item fields
    read. A round's function returns the fact's members, without the enclosing braces.
    """

    def __init__(self, roots: Mapping[str, Ty], emitter: Emitter) -> None:
        self.roots = roots
        self.emitter = emitter
        self.lines: list[str] = []
        self.constants: dict[str, str] = {}
        self._count = itertools.count()

    def function(self, name: str, shape: _Shape) -> None:
        """``name(_app, _today)``: the members of one round's fact, as JSON text."""
        members = []
        for root, child in shape.fields.items():
            base = "_app" if root == "application" else f"_app.{root}"
            value = self._value(base, self.roots[root], child or _Shape())
            members.append(f'"{root}":{{{value}}}')
        self.lines += [f"def {name}(_app, _today):", f"    return f'{','.join(members)}'", ""]

    def _constant(self, text: str) -> str:
        """A name for ``text`` in the generated code (it keeps quotes out of f-strings)."""
        found = self.constants.get(text)
        if found is None:
            found = self.constants[text] = f"_k{len(self.constants)}"
        return found

    def _value(self, code: str, ty: Ty, shape: _Shape) -> str:
        """An expression of the JSON text of ``code`` (of type ``ty``, not ``None``)."""
        ty = strip_opt(ty)
        if isinstance(ty, Seq):
            item = strip_opt(ty.item)
            if isinstance(item, Obj):
                return f"_objects({code}, {self._object(item, shape)}, _today)"
            return f"_list({code}, {self._encoder(item)})"
        if isinstance(ty, Obj):
            if not shape.fields:
                return self._constant("{}")  # an object tested only for being there
            return f"{self._object(ty, shape)}({code}, _today)"
        return f"{self._encoder(ty)}({code})"

    @staticmethod
    def _encoder(ty: Ty) -> str:
        """The helper that writes a value of the simple type ``ty`` as JSON."""
        if ty == Prim("date"):
            return "_date"
        if ty == Prim("bool"):
            return "_bool"
        return "_int" if ty == Prim("int") else "_text"

    def _object(self, ty: Obj, shape: _Shape) -> str:
        """The name of a generated function writing the fields ``shape`` reads of a ``ty``."""
        name = f"_o{next(self._count)}"
        required: list[str] = []
        optional: list[str] = []
        for field_name, child in shape.fields.items():
            attr = ty.fields[field_name]
            if attr.derived is not None:
                read = f"{self.emitter.helper(attr.derived)}(_x, _today)"
            else:
                read = f"_x.{field_name}"
            if isinstance(attr.type, Opt):
                local = f"_t{next(self._count)}"
                key = self._constant(f',"{field_name}":')
                value = self._value(local, attr.type, child or _Shape())
                optional.append(f"('' if ({local} := {read}) is None else {key} + {value})")
            else:
                value = self._value(read, attr.type, child or _Shape())
                required.append(f'"{field_name}":{{{value}}}')
        # Members that are always there first, so that each optional one can bring its comma.
        if required:
            text = "f'{{" + ",".join(required) + "'"
            text += "".join(f" + {part}" for part in optional) + " + '}'"
        else:
            text = "'{' + (" + " + ".join(optional) + ")[1:] + '}'"
        self.lines += [f"def {name}(_x, _today):", f"    return {text}", ""]
        return name

    def compile(self) -> dict[str, Any]:
        """The generated functions, by name."""
        namespace = {
            **self.emitter.namespace,
            **{name: text for text, name in self.constants.items()},
            "_int": int.__repr__,
            "_text": json.encoder.encode_basestring_ascii,  # as json.dumps writes text
            "_bool": {True: "true", False: "false"}.__getitem__,
            "_date": _date_ordinal,
            "_list": _json_list,
            "_objects": _json_objects,
        }
        exec(compile("\n".join(self.lines), "<bansos_rules.durable facts>", "exec"), namespace)
        return namespace


def _date_ordinal(value: date) -> str:
    return str(value.toordinal())


def _json_list(items: Iterable[Any], encode: Callable[[Any], str]) -> str:
    return "[" + ",".join(map(encode, items)) + "]"


def _json_objects(items: Iterable[Any], encode: Callable[[Any, date], str], today: date) -> str:
    return "[" + ",".join([encode(item, today) for item in items]) + "]"


# --------------------------------------------------------------------------------------------
# The translator.


def _type_of(ty: Ty, name: str) -> Ty:
    inner = strip_opt(ty)
    if isinstance(inner, Obj) and name in inner.fields:
        return inner.fields[name].type
    raise _Fallback(f"unknown field {name}")


class _Translator:
    """Translates the expressions of one rule variant into durable conditions."""

    def __init__(self, program: _Program, env: _Env, unit: int) -> None:
        self.program = program
        self.env = env
        self.unit = unit
        self.roots = program.root_types
        self.loop: tuple[str, Ty, str] | None = None  # generator variable, item type, list key
        self.uses_atoms = False  # whether a condition tests an existential computed first

    # -- booleans ------------------------------------------------------------------------------

    def cond(self, node: t.Node) -> Cond:
        """The condition under which ``node`` is true."""
        try:
            return self._cond(node)
        except _ItemScoped:
            raise
        except _Fallback:
            if self.loop is not None and _reads_var(node, self.loop[0]):
                raise _ItemScoped from None
            return {self.program.computed_field(node, self.env, self.unit, boolean=True): True}

    def _cond(self, node: t.Node) -> Cond:
        if isinstance(node, t.BoolOp):
            parts = [self.cond(v) for v in node.values]
            return _all_of(parts) if node.op == "and" else _any_of(parts)
        if isinstance(node, t.Not):
            return _negate(self.cond(node.operand))
        if isinstance(node, t.Compare):
            return _all_of([self._compare(*pair) for pair in node.pairs()])
        if isinstance(node, t.IfElse):
            test = self.cond(node.test)
            return _any_of(
                [
                    _all_of([test, self.cond(node.body)]),
                    _all_of([_negate(test), self.cond(node.orelse)]),
                ]
            )
        if isinstance(node, t.Aggregate) and node.name in ("any", "all"):
            return self._quantified(node.name, node)
        if isinstance(node, t.Call) and not node.builtin and node.name == "overlaps":
            return self._overlaps(node)
        value = self.value(node)
        if isinstance(value, _Const):
            return TRUE if value.value else FALSE
        if isinstance(value, _Path) and strip_opt(value.ty) == Prim("bool"):
            return {value.key: True}
        raise _Fallback("not a condition")

    def _quantified(self, name: str, node: t.Aggregate, *, counting: bool = False) -> Cond:
        if node.var is None or node.element is None or self.loop is not None:
            raise _Fallback("only a generator directly over a list")
        source = self.value(node.source)
        if not isinstance(source, _Path) or source.item:
            raise _Fallback("a generator over a list of the application")
        seq = strip_opt(source.ty)
        if not isinstance(seq, Seq):
            raise _Fallback("not a list")
        self.loop = (node.var, seq.item, source.key)
        try:
            # count(x for x in xs if c) counts the items that pass the ifs; without ifs, the
            # items whose body is true.
            body = TRUE if counting and node.conditions else self.cond(node.element)
            ifs = [self.cond(c) for c in node.conditions]
        except _ItemScoped:
            raise _Fallback("the generator's body needs computing") from None
        finally:
            self.loop = None
        if name == "any":
            return self._exists(source.key, _all_of([*ifs, body]))
        # all(body for x in xs if c)  ==  not any(c and not body for x in xs)
        return _negate(self._exists(source.key, _all_of([*ifs, _negate(body)])))

    def _exists(self, source: str, inner: Cond) -> Cond:
        self.uses_atoms = True
        return self.program.exists(source, inner)

    def _overlaps(self, node: t.Call) -> Cond:
        fn = self.env.functions.get("overlaps")
        if fn is None or fn.impl is not overlaps or len(node.args) != 2:
            raise _Fallback("not the built-in overlaps")
        first, second = (self.value(a) for a in node.args)
        if isinstance(first, _Const) and isinstance(second, _Path):
            first, second = second, first
        if not (isinstance(first, _Path) and isinstance(second, _Const)) or first.item:
            raise _Fallback("overlaps of two lists of the application")
        options = [{"$i": _json_value(v)} for v in second.value]
        return self._exists(first.key, _any_of(options))

    # -- comparisons ---------------------------------------------------------------------------

    def _compare(self, left_node: t.Node, op: str, right_node: t.Node) -> Cond:
        counted = _count_test(left_node, op, right_node)
        if counted is not None and self.loop is None:
            generator, some = counted
            found = self._quantified("any", generator, counting=True)
            return found if some else _negate(found)
        left, right = self.value(left_node), self.value(right_node)
        if op in ("in", "not in"):
            found = self._membership(left, right)
            return _negate(found) if op == "not in" else found
        if op in ("is", "is not"):
            return self._is_none(left, right, negated=op == "is not")
        name = _OPS[op]
        if isinstance(left, _Const) and isinstance(right, _Const):
            return TRUE if _compare(op, left.value, right.value) else FALSE
        if not _has_path(left):
            left, right, name = right, left, _FLIP[name]
        path, rhs, name = _isolate(left, right, name)
        cond = _comparison(path, name, _rhs(rhs))
        if name == "$neq" and isinstance(path.ty, Opt):
            # Python: None != x is true; durable_rules: a missing field matches nothing.
            return {"$or": [cond, {"$nex": {path.key: 1}}]}
        return cond

    def _membership(self, left: _Value, right: _Value) -> Cond:
        if isinstance(right, _Const):
            if isinstance(left, _Const):
                return TRUE if left.value in right.value else FALSE
            if not isinstance(left, _Path):
                raise _Fallback("membership of a computed value")
            return _any_of([_comparison(left, "$eq", _json_value(v)) for v in right.value])
        if isinstance(right, _Path) and not right.item and isinstance(strip_opt(right.ty), Seq):
            if isinstance(left, _Const):
                return self._exists(right.key, {"$i": _json_value(left.value)})
            if isinstance(left, _Path) and not left.item:
                return self._exists(right.key, {"$i": {"$m": left.key}})
        raise _Fallback("membership")

    def _is_none(self, left: _Value, right: _Value, *, negated: bool) -> Cond:
        if isinstance(left, _Const) and left.value is None:
            left, right = right, left
        if not (isinstance(right, _Const) and right.value is None):
            raise _Fallback("'is' compares with None only")
        if isinstance(left, _Const):
            return TRUE if (left.value is None) != negated else FALSE
        if not isinstance(left, _Path) or left.item:
            raise _Fallback("'is None' of a computed value")
        return {"$ex" if negated else "$nex": {left.key: 1}}

    # -- values --------------------------------------------------------------------------------

    def value(self, node: t.Node) -> _Value:
        """What ``node`` is: a constant, a field of the fact or item, or simple arithmetic."""
        try:
            return self._value(node)
        except _ItemScoped:
            raise
        except _Fallback:
            if self.loop is not None and _reads_var(node, self.loop[0]):
                raise _ItemScoped from None
            key = self.program.computed_field(node, self.env, self.unit, boolean=False)
            return _Path(key, Prim("computed"))

    def _value(self, node: t.Node) -> _Value:
        if isinstance(node, t.Const):
            return _Const(node.value)
        if isinstance(node, t.Items):
            items = [self._value(e) for e in node.items]
            if all(isinstance(i, _Const) for i in items):
                return _Const(tuple(i.value for i in items if isinstance(i, _Const)))
            raise _Fallback("a list with fields in it")
        if isinstance(node, t.Negate):
            inner = self._value(node.operand)
            if isinstance(inner, _Const):
                return _Const(-inner.value)
            return _Arith("$sub", _Const(0), inner)
        if isinstance(node, t.Arith):
            left, right = self._value(node.left), self._value(node.right)
            if isinstance(left, _Const) and isinstance(right, _Const):
                return _Const(_binop(node.op, left.value, right.value))
            if node.op in ("+", "-"):
                return _Arith("$add" if node.op == "+" else "$sub", left, right)
            raise _Fallback("only + and - are solved in durable_rules")
        if isinstance(node, t.Param):
            return _Const(self.env.params[node.name])
        if isinstance(node, t.Var):
            if self.loop is not None and node.name == self.loop[0]:
                return _Path("$i", self.loop[1], item=True)
            raise _Fallback(f"the loop variable {node.name}")
        if isinstance(node, t.Root):
            return self._root(node.name)
        if isinstance(node, t.Field):
            base = self._value(node.base)
            if isinstance(base, _Const):
                return _Const(getattr(base.value, node.name))
            if isinstance(base, _Path) and base.ty != Prim("computed"):
                ty = _type_of(base.ty, node.name)
                key = f"{base.key}.{node.name}"
                if base.item:
                    assert self.loop is not None
                    self.program.read(f"{self.loop[2]}.{key[3:]}", first=True)
                    return _Path(key, _optional(base.ty, ty), item=True)
                # Lists are only searched by the existentials of the first phase.
                self.program.read(key, first=isinstance(strip_opt(ty), Seq))
                return _Path(key, _optional(base.ty, ty))
            raise _Fallback("a field of a computed value")
        raise _Fallback(type(node).__name__)

    def _root(self, name: str) -> _Value:
        if name == "today":
            return _Const(self.env.today)
        if name == "business_type":
            if self.env.business_type is None:
                raise _Fallback("business_type outside a per-type rule")
            return _Const(self.env.business_type)
        if name in self.roots:
            return _Path(name, self.roots[name])
        raise _Fallback(f"name {name}")


def _count_test(left: t.Node, op: str, right: t.Node) -> tuple[t.Aggregate, bool] | None:
    """``count(gen) == 0`` and its kin, as (generator, whether some item counts)."""
    flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
    if isinstance(left, t.Const):
        left, right = right, left
        op = flipped.get(op, op)
    if not (
        isinstance(left, t.Aggregate)
        and left.name == "count"
        and left.var is not None
        and isinstance(right, t.Const)
        and type(right.value) is int
    ):
        return None
    tests = {
        ("==", 0): False,
        ("<=", 0): False,
        ("<", 1): False,
        ("!=", 0): True,
        (">", 0): True,
        (">=", 1): True,
    }
    some = tests.get((op, right.value))
    return None if some is None else (left, some)


def _optional(parent: Ty, child: Ty) -> Ty:
    return (
        Opt(strip_opt(child)) if isinstance(parent, Opt) and not isinstance(child, Opt) else child
    )


def _reads_var(node: t.Node, name: str) -> bool:
    return any(isinstance(n, t.Var) and n.name == name for n in t.walk(node))


def _has_path(value: _Value) -> bool:
    if isinstance(value, _Path):
        return True
    if isinstance(value, _Arith):
        return _has_path(value.left) or _has_path(value.right)
    return False


def _isolate(left: _Value, right: _Value, name: str) -> tuple[_Path, _Value, str]:
    """Solve ``left <name> right`` for the one field on the left: durable_rules needs it alone."""
    while isinstance(left, _Arith):
        a, b = left.left, left.right
        if _has_path(a) and _has_path(b):
            raise _Fallback("fields on both sides of + or -")
        if left.op == "$add":
            left, right = (
                (a, _Arith("$sub", right, b)) if _has_path(a) else (b, _Arith("$sub", right, a))
            )
        elif _has_path(a):  # a - b <op> r  ->  a <op> r + b
            left, right = a, _Arith("$add", right, b)
        else:  # a - b <op> r  ->  b <flipped op> a - r
            left, right, name = b, _Arith("$sub", a, right), _FLIP[name]
    assert isinstance(left, _Path)
    return left, _fold(right), name


def _fold(value: _Value) -> _Value:
    if isinstance(value, _Arith):
        left, right = _fold(value.left), _fold(value.right)
        if isinstance(left, _Const) and isinstance(right, _Const):
            return _Const(
                left.value + right.value if value.op == "$add" else left.value - right.value
            )
        return _Arith(value.op, left, right)
    return value


def _rhs(value: _Value) -> Any:
    if isinstance(value, _Const):
        return _json_value(value.value)
    if isinstance(value, _Path):
        if value.item:
            raise _Fallback("an item field on the right of a comparison")
        return {"$m": value.key}
    return {value.op: {"$l": _rhs(value.left), "$r": _rhs(value.right)}}


def _comparison(path: _Path, name: str, rhs: Any) -> Cond:
    if name == "$eq":
        return {path.key: rhs}
    return {name: {path.key: rhs}}


def _negate(cond: Cond) -> Cond:
    """The condition that holds exactly when ``cond`` does not (for the facts built here)."""
    if cond is TRUE:
        return FALSE
    if cond is FALSE:
        return TRUE
    ((key, body),) = cond.items()
    if key == "$and":
        return _any_of([_negate(c) for c in body])
    if key == "$or":
        return _all_of([_negate(c) for c in body])
    if key == "$ex":
        return {"$nex": body}
    if key == "$nex":
        return {"$ex": body}
    if key == "$neq":
        ((path, rhs),) = body.items()
        return {path: rhs}
    if key in _NEGATE:
        ((path, rhs),) = body.items()
        return {_NEGATE[key]: {path: rhs}}
    if key.startswith("$") and key != "$i" and not key.startswith("$i."):
        raise _Fallback(f"cannot negate {key}")
    # {path: value} is equality. Python: None != value, so a missing field satisfies the negation.
    other = {key: not body} if isinstance(body, bool) else {"$neq": {key: body}}
    if key.startswith("$i"):
        return other
    return {"$or": [other, {"$nex": {key: 1}}]}


# --------------------------------------------------------------------------------------------
# One date's compiled rules.


@dataclass(frozen=True)
class RuleTranslation:
    """How one rule was translated: fully into durable_rules, or with computed fields."""

    rule_id: str
    variants: int
    computed: tuple[str, ...]
    """Sub-expressions computed in Python and tested as fact fields (empty: all durable)."""

    @property
    def full(self) -> bool:
        """Whether durable_rules evaluates the whole rule."""
        return not self.computed


@dataclass
class _Unit:
    """One rule variant: where its result goes and the durable rules that decide it."""

    slot: int
    score: bool
    rule: Rule
    variant: Variant
    business_type: str | None  # the variant's business type, if the rule is built per type
    interpreter: _Interpreter
    phase: int = 1
    computed: list[str] = field(default_factory=list)

    def in_python(self, app: Application, fit: FitScore | None) -> Any:
        """The variant's result computed by the interpreter, as Python would, or its error.

        Used when a computed part raised: Python may not have evaluated that part at all
        (``a or b // 0``), so the whole rule is judged the way the expression reads.
        """
        try:
            when = self.variant.when
            if when is not None and not self.interpreter.run(when.tree, app, fit):
                return None
            return self.interpreter.run(self.variant.check.tree, app, fit)
        except Exception as exc:
            return RuleError(exc)


_PHASES = 3
"""1: existentials over lists (and rules that need nothing else); 2: rules that test
existentials; 3: rules that read the fit score, which needs every score rule's result."""

_MAX_DISJUNCTS = 16


class _Program:
    """The durable rulesets for one date, and how to build their facts."""

    def __init__(self, engine: DurableEngine, params: ResolvedParams) -> None:
        self.engine = engine
        layout = engine.layout
        self.today = params.on
        self.root_types: dict[str, Ty] = roots(layout.business_types, with_fit=True)
        self.shapes = [_Shape() for _ in range(_PHASES)]
        self._reads: list[str] = []
        self.computed: list[tuple[str, t.Node, _Interpreter, int, bool]] = []
        self.units: list[_Unit] = []
        self.conditions: list[dict[str, Cond]] = [{} for _ in range(_PHASES)]
        self.atoms: dict[str, tuple[str, ...]] = {}  # fact field -> durable rules, any of which
        self._atom_keys: dict[str, str] = {}
        functions = engine.functions
        for slot, (rule, candidate) in enumerate(layout.scores):
            env = _Env(self.today, candidate, _params(params, rule, candidate), functions)
            self._add(rule, env, slot, score=True, candidate=candidate)
        for slot, rule in enumerate(layout.rules):
            ruleset = next(rs for rs in layout.rulesets if rs.id == rule.ruleset)
            per_type = _reads_business_type(rule) or any(
                ruleset.parameters[p].by for p in rule.params
            )
            types = [
                t for t in layout.business_types if rule.applies_to is None or t in rule.applies_to
            ]
            if per_type:
                for bt in types:
                    env = _Env(self.today, bt, _params(params, rule, bt), functions)
                    self._add(rule, env, slot, score=False, candidate=bt)
            else:
                env = _Env(self.today, None, _params(params, rule, None), functions)
                self._add(rule, env, slot, score=False, candidate=None, types=types)
        # Per round: the rule variants it settles and the computed fields its fact needs.
        self.rounds = [
            (
                [(i, u) for i, u in enumerate(self.units) if u.phase == phase],
                [c for c in self.computed if self.units[c[3]].phase == phase],
            )
            for phase in range(1, _PHASES + 1)
        ]
        code = _FactCode(self.root_types, engine.emitter)
        for phase, shape in enumerate(self.shapes, start=1):
            code.function(f"_fact{phase}", shape)
        built = code.compile()
        self.facts: list[Callable[[Application, date], str]] = [
            built[f"_fact{phase}"] for phase in range(1, _PHASES + 1)
        ]
        self.settle = self._settle_code()
        self.handles = self._create(engine.core)

    def _settle_code(self) -> list[Callable[..., str]]:
        """Generated code that records each round's results from the durable rules that fired.

        A variant's result: true when its rule ``p<i>`` fired; not applicable when it has a
        condition and ``a<i>`` (the condition alone) did not fire; otherwise false, where the
        rule applies to the planned business type. A variant a computed part of which raised is
        judged whole by the interpreter, as Python would.
        """
        lines: list[str] = []
        for phase, (settled, _computed) in enumerate(self.rounds, start=1):
            lines.append(
                f"def _settle{phase}(_fired, _bt, _results, _scores, _failed, _app, _fit):"
            )
            for index, unit in settled:
                target = f"{'_scores' if unit.score else '_results'}[{unit.slot}]"
                pad = "    "
                if unit.business_type is not None:
                    # a per-type variant of a requirement: only for its own type
                    lines.append(f"    if _bt == {unit.business_type!r}:")
                    pad = "        "
                types = tuple(sorted(unit.rule.applies_to or ()))
                everywhere = unit.score or unit.rule.applies_to is None
                applies = "True" if everywhere else f"_bt in {types}"
                branches: list[tuple[str, str]] = []
                if unit.computed:
                    # a computed part raised: judge the variant whole, where it applies
                    judged = f"_units[{index}].in_python(_app, _fit) if {applies} else {target}"
                    branches.append((f"{index} in _failed", judged))
                branches.append((f"'p{index}' in _fired", "True"))
                if unit.variant.when is not None:
                    branches.append((f"'a{index}' not in _fired", "None"))
                branches.append((applies, "False"))
                for i, (condition, value) in enumerate(branches):
                    lines.append(f"{pad}{'if' if i == 0 else 'elif'} {condition}:")
                    lines.append(f"{pad}    {target} = {value}")
            if phase == 1 and self.atoms:
                # The list tests of the first round, as fact members for the later rounds.
                atoms = [
                    f"('\"{key}\":true' if "
                    + " or ".join(f"{name!r} in _fired" for name in names)
                    + f" else '\"{key}\":false')"
                    for key, names in self.atoms.items()
                ]
                lines.append("    return ','.join((" + "".join(a + ", " for a in atoms) + "))")
            else:
                lines.append("    return ''")
            lines.append("")
        namespace: dict[str, Any] = {"__builtins__": {}, "_units": self.units}
        exec(compile("\n".join(lines), "<bansos_rules.durable settle>", "exec"), namespace)
        return [namespace[f"_settle{phase}"] for phase in range(1, _PHASES + 1)]

    def _create(self, core: _Core) -> list[int | None]:
        handles: list[int | None] = []
        for phase, conditions in enumerate(self.conditions, start=1):
            if not conditions:
                handles.append(None)
                continue
            # A rule every fact satisfies: a fact that fired nothing would be lost silently.
            try:
                handle = core.create(
                    f"bansos_rules_{id(self)}_{phase}", {"seen": TRUE, **conditions}
                )
            except _Refused as exc:
                for built in handles:
                    if built is not None:
                        core.delete(built)
                names = sorted({self._rule_of(name) for name in exc.rules}) or ["?"]
                raise RuntimeError(
                    f"durable_rules cannot build the conditions of {', '.join(names)}"
                    f" ({exc.detail}); simplify the rule, or decide with the native engine"
                ) from None
            handles.append(handle)
        return handles

    def _rule_of(self, name: str) -> str:
        """The rule a durable rule name (``p3``, ``a3``, ``q1_0``) comes from."""
        if name[0] in "pa" and name[1:].isdigit():
            return self.units[int(name[1:])].rule.id
        return f"a list test ({name})"

    def _add(
        self,
        rule: Rule,
        env: _Env,
        slot: int,
        *,
        score: bool,
        candidate: str | None,
        types: list[str] | None = None,
    ) -> None:
        variant = rule.variants[candidate if score else None]
        uses_fit = any(expr.uses_fit for expr in variant.exprs)
        unit = _Unit(slot, score, rule, variant, None if score else candidate, _Interpreter(env))
        index = len(self.units)
        self.units.append(unit)
        self._reads = []
        guard: list[Cond] = []
        if not score:
            if candidate is not None:
                guard.append(self._plan_type_is([candidate]))
            elif types is not None and rule.applies_to is not None:
                guard.append(self._plan_type_is(types))
        translator = _Translator(self, env, index)
        rules: dict[str, Cond] = {}
        if variant.when is not None:
            guard.append(translator.cond(variant.when.tree))
            rules[f"a{index}"] = _all_of(guard)
        rules[f"p{index}"] = _all_of([*guard, translator.cond(variant.check.tree)])
        unit.phase = 3 if uses_fit else 2 if translator.uses_atoms else 1
        self.conditions[unit.phase - 1].update(rules)
        for key in self._reads:
            self.shapes[unit.phase - 1].add(key.split("."))

    def _plan_type_is(self, types: list[str]) -> Cond:
        self.read("plan.business_type")
        return _any_of([{"plan.business_type": t} for t in types])

    # -- what the fact must carry ---------------------------------------------------------------

    def read(self, key: str, *, first: bool = False) -> None:
        """The fact of the current rule's phase (or of the ``first``) must carry field ``key``."""
        if key.startswith("fit."):  # the fit score is added whole, after the score rules
            return
        if first:
            self.shapes[0].add(key.split("."))
        else:
            self._reads.append(key)

    def exists(self, source: str, inner: Cond) -> Cond:
        """A condition true when some item of list ``source`` satisfies ``inner``.

        Computed in the first phase as a fact field: durable_rules' ``$iall`` and an ``$or``
        inside ``$iany`` give wrong answers, so ``inner`` is spread into conjunctions, one
        ``$iany`` rule each, and "not any" becomes a test of the field being false.
        """
        if inner is FALSE:
            return FALSE
        if inner is TRUE:
            raise _Fallback("an item test that is always true")
        disjuncts = _dnf(inner)
        if len(disjuncts) > _MAX_DISJUNCTS:
            raise _Fallback("too many alternatives")
        signature = json.dumps([source, disjuncts], sort_keys=True)
        key = self._atom_keys.get(signature)
        if key is None:
            key = self._atom_keys[signature] = f"q{len(self.atoms)}"
            names = tuple(f"{key}_{j}" for j in range(len(disjuncts)))
            self.atoms[key] = names
            for name, conjunction in zip(names, disjuncts, strict=True):
                self.conditions[0][name] = {"$iany": {source: _all_of(conjunction)}}
        return {key: True}

    def computed_field(self, node: t.Node, env: _Env, unit: int, *, boolean: bool) -> str:
        """A fact field holding ``node``'s value, computed in Python."""
        key = f"x{len(self.computed)}"
        self.computed.append((key, node, _Interpreter(env), unit, boolean))
        self.units[unit].computed.append(t.unparse(node))
        return key


def _dnf(cond: Cond) -> list[list[Cond]]:
    """``cond`` as alternatives of conjunctions of leaves."""
    ((key, body),) = cond.items()
    if key == "$or":
        return [conj for part in body for conj in _dnf(part)]
    if key == "$and":
        result: list[list[Cond]] = [[]]
        for part in body:
            result = [done + conj for done in result for conj in _dnf(part)]
            if len(result) > _MAX_DISJUNCTS:
                break
        return result
    return [[cond]]


def _reads_business_type(rule: Rule) -> bool:
    return any(
        isinstance(n, t.Root) and n.name == "business_type"
        for expr in rule.variants[None].exprs
        for n in expr.nodes()
    )


def _params(params: ResolvedParams, rule: Rule, business_type: str | None) -> dict[str, Any]:
    return {name: params.value(rule.ruleset, name, business_type) for name in rule.params}


# --------------------------------------------------------------------------------------------
# The engine.


class DurableEngine:
    """Evaluates a rule book with durable_rules."""

    name = "durable"

    def __init__(self, book: RuleBook) -> None:
        self.core = _Core()
        self.layout: Layout = book.layout
        self.functions: Mapping[str, Function] = book.registry.functions
        self._programs: dict[date, _Program] = {}
        self._lock = threading.Lock()
        self._fit_table = _fit_table(self.layout)
        self.emitter = Emitter(
            values={path: f"_v{i}" for i, path in enumerate(self.layout.values)},
            params={},
            functions={name: fn.impl for name, fn in self.functions.items()},
            helpers=RUNTIME_HELPERS,
        )
        self._values = _values_function(self.layout, self.emitter)

    @property
    def translation(self) -> tuple[RuleTranslation, ...]:
        """How each rule was translated, for the rules in force today or on the last date used."""
        program = next(iter(self._programs.values()), None) or self._program(date.today())
        merged: dict[str, list[_Unit]] = {}
        for unit in program.units:
            merged.setdefault(unit.rule.id, []).append(unit)
        return tuple(
            RuleTranslation(
                rule_id,
                len(units),
                tuple(dict.fromkeys(c for u in units for c in u.computed)),
            )
            for rule_id, units in merged.items()
        )

    def _program(self, on: date) -> _Program:
        program = self._programs.get(on)
        if program is None:
            if len(self._programs) >= _PROGRAM_CACHE:
                oldest = next(iter(self._programs))
                for handle in self._programs.pop(oldest).handles:
                    if handle is not None:
                        self.core.delete(handle)
            program = _Program(self, self.layout.params_on(on))
            self._programs[on] = program
        return program

    def decide(self, application: Application, on: date) -> Decision:
        """Decide one valid application with the rules in force on ``on``."""
        with self._lock:
            return self._decide(application, on)

    def _decide(self, app: Application, on: date) -> Decision:
        program = self._program(on)
        layout = self.layout
        failed: set[int] = set()  # units a computed part of which raised
        scores: list[Any] = [None] * len(layout.scores)
        results: list[Any] = [None] * len(layout.rules)
        bt = app.plan.business_type
        fit: FitScore | None = None
        atoms = ""  # the first round's list tests, as fact members
        core = self.core
        for phase, handle in enumerate(program.handles, start=1):
            if phase == _PHASES:
                fit = self._fit(bt, scores)
            if handle is None:
                continue
            members = [program.facts[phase - 1](app, on)]
            members.append(atoms)
            if fit is not None:
                members.append(
                    f'"fit":{{"score":{fit.score},"max_score":{fit.max_score},'
                    f'"percent":{fit.percent}}}'
                )
            for entry in program.rounds[phase - 1][1]:
                _compute(members, entry, app, fit, failed)
            try:
                fired = core.fire(handle, ",".join(m for m in members if m))
                if "seen" not in fired:
                    raise RuntimeError("durable_rules did not process the application's fact")
            except Exception as exc:
                # durable_rules refused this application's fact (one of its lists is too large
                # for it, error 314): every rule still to settle is an error of this decision,
                # not a failure of the batch.
                fit = _refused(program, phase, bt, results, scores, exc)
                break
            tested = program.settle[phase - 1](fired, bt, results, scores, failed, app, fit)
            if phase == 1:
                atoms = tested
        if fit is None:
            fit = self._fit(bt, scores)
        outcome = _outcome(layout, results)
        total = app.plan.total
        values = self._values(app, on, fit)
        return Decision.build(
            app.id,
            outcome,
            total if outcome is Outcome.APPROVED else 0,
            on,
            self.name,
            layout,
            bt,
            total,
            tuple(results),
            tuple(scores),
            values,
        )

    def _fit(self, business_type: str, scores: list[Any]) -> FitScore:
        score = most = 0
        for slot, points in self._fit_table.get(business_type, ()):
            result = scores[slot]
            if result is None:
                continue
            most += points
            if result is True:
                score += points
        return FitScore(score, most, fit_percent(score, most))

    def held_facts(self) -> int:
        """Facts left in durable_rules' sessions (always 0 between decisions)."""
        with self._lock:
            return sum(
                len(self.core.facts(h))
                for program in self._programs.values()
                for h in program.handles
                if h is not None
            )


def _refused(
    program: _Program,
    phase: int,
    business_type: str,
    results: list[Any],
    scores: list[Any],
    exc: Exception,
) -> FitScore:
    """Mark every rule of rounds ``phase`` and later that applies to ``business_type`` as an
    error (durable_rules could not take the application's fact); the fit of the score rules
    settled before, with the rest unknown."""
    error = RuleError(RuntimeError(f"durable_rules cannot take this application's fact: {exc}"))
    for settled, _computed in program.rounds[phase - 1 :]:
        for _index, unit in settled:
            if unit.business_type is not None and unit.business_type != business_type:
                continue
            applies_to = unit.rule.applies_to
            if not unit.score and applies_to is not None and business_type not in applies_to:
                continue
            if unit.score:
                scores[unit.slot] = error
            else:
                results[unit.slot] = error
    return program.engine._fit(business_type, scores)


def _compute(
    members: list[str],
    entry: tuple[str, t.Node, _Interpreter, int, bool],
    app: Application,
    fit: FitScore | None,
    failed: set[int],
) -> None:
    """Add a computed field to a fact's members, or note that its rule variant raised."""
    key, node, interpreter, unit, boolean = entry
    try:
        value = interpreter.run(node, app, fit)
        member = bool(value) if boolean else _json_value(value)
    except Exception:
        failed.add(unit)
        return
    if member is not None:  # a missing field, as for every None in a fact
        members.append(f'"{key}":{json.dumps(member)}')


def _outcome(layout: Layout, results: list[Any]) -> Outcome:
    review = False
    for rule, result in zip(layout.rules, results, strict=True):
        if isinstance(result, RuleError):
            review = True
        elif result is False:
            if rule.on_fail == "reject":
                return Outcome.REJECTED
            if rule.on_fail == "review":
                review = True
    return Outcome.NEEDS_REVIEW if review else Outcome.APPROVED


def _fit_table(layout: Layout) -> dict[str, tuple[tuple[int, int], ...]]:
    table: dict[str, list[tuple[int, int]]] = {}
    for slot, (rule, candidate) in enumerate(layout.scores):
        table.setdefault(candidate, []).append((slot, rule.points))
    return {code: tuple(rows) for code, rows in table.items()}


def _values_function(
    layout: Layout, emitter: Emitter
) -> Callable[[Application, date, FitScore], tuple[Any, ...]]:
    """Generated code reading every value a decision records, as the native engine does."""
    lines = [
        "def _values(_app, _today, _fit):",
        "    _a = _app.applicant",
        "    _h = _app.household",
        "    _pl = _app.plan",
        "    _bt = _pl.business_type",
    ]
    for path, node in layout.values.items():
        lines.append(f"    {emitter.values[path]} = {emitter.define(node)}")
    lines.append(
        "    return (" + "".join(emitter.values[p] + ", " for p in layout.value_paths) + ")"
    )
    namespace = dict(emitter.namespace)
    exec(compile("\n".join(lines) + "\n", "<bansos_rules.durable values>", "exec"), namespace)
    function: Callable[[Application, date, FitScore], tuple[Any, ...]] = namespace["_values"]
    return function
