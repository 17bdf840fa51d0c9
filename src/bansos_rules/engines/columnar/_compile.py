"""The rule tree compiled into Polars expressions: one expression per rule, score slot and value.

Each node of the tree (:mod:`bansos_rules.ruleset.tree`) becomes a :class:`Compiled`: the Polars
expression of its value, whether the value may be ``None``, the Python value when it is known at
compile time (literals, parameters, the date), and — for nodes that can raise in Python (a division
by zero, an ordering comparison with ``None``) — an expression giving the error text the native
engine records (``"ZeroDivisionError: ..."``), null where nothing raised. Python's semantics
are kept where Polars differs: ``None == x`` is false, not null; ``None in [...]`` is false;
``and``/``or`` short-circuit, so an error on the right counts only where the left did not decide.

Lists are list columns: a generator (``any(x.cash for x in plan.items)``) becomes ``list.eval`` on
the list column, its variable ``pl.element()``. Inside a generator an expression may read literals,
parameters, the date and the generator's own variable; one that reads another column or can raise
is refused with a :class:`ColumnarCompileError` naming the rule.

A by-business-type parameter read for the planned type becomes a ``when``/``then`` chain over the
registered business types, each branch compiled with that type's value.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl

from bansos_rules._errors import EngineUnavailableError
from bansos_rules._models import (
    Application,
    Assets,
    BankAccount,
    Beneficiary,
    BusinessLocation,
    BusinessPlan,
    Household,
    HouseholdMember,
    PlanItem,
    PriorAid,
)
from bansos_rules.engines.columnar._forms import Arg, form_of, whole_years
from bansos_rules.ruleset import tree as t
from bansos_rules.ruleset.types import BOOL, DATE, INT, STR, Obj, Opt, Prim, Seq, Ty, strip_opt
from bansos_rules.ruleset.types import Function as RegisteredFunction

__all__ = ["BT", "ColumnarCompileError", "Compiled", "Compiler", "fit_column"]

BT = "__bt"
"""The column holding each row's planned business type."""

_UNKNOWN: Any = object()


def fit_column(name: str) -> str:
    """The column holding ``fit.<name>`` (``score``, ``max_score``, ``percent``)."""
    return f"__fit_{name}"


class ColumnarCompileError(EngineUnavailableError):
    """A rule the columnar engine cannot express in Polars; the message names it and where.

    An :class:`~bansos_rules._errors.EngineUnavailableError`: the columnar engine cannot run these
    rules (``bansos-rules check`` warns and goes on; ``evaluate`` exits with code 5), while the
    other engines can."""

    def __init__(self, rule: str, where: str, en: str, id_: str) -> None:
        self.rule = rule
        self.where = where
        self.en = f"{where}: rule {rule}: the columnar engine cannot compile it: {en}"
        self.id = f"{where}: aturan {rule}: mesin kolom tidak dapat mengompilasinya: {id_}"
        super().__init__(self.en)

    def text(self, lang: str) -> str:
        """The message in ``lang`` (``id`` or ``en``)."""
        return self.id if lang == "id" else self.en


@dataclass(frozen=True)
class Compiled:
    """A compiled node: its expression, and what is known about it."""

    expr: pl.Expr
    ty: Ty
    nullable: bool = False
    value: Any = _UNKNOWN
    err: pl.Expr | None = None

    @property
    def known(self) -> bool:
        return self.value is not _UNKNOWN


def _fold_compare(ops: Sequence[str], values: Sequence[Any]) -> bool | None:
    """A chain of comparisons of known values, as Python decides it; ``None`` if it raises."""
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "in": lambda a, b: a in b,
        "not in": lambda a, b: a not in b,
        "is": lambda a, b: a is b,
        "is not": lambda a, b: a is not b,
    }
    try:
        return all(compare[op](values[i], values[i + 1]) for i, op in enumerate(ops))
    except TypeError:
        return None


def _const(value: Any, ty: Ty) -> Compiled:
    return Compiled(_lit(value, ty), ty, value is None, value)


def _dtype(ty: Ty) -> pl.DataType | None:
    base = strip_opt(ty)
    if isinstance(base, Prim):
        return {
            "int": pl.Int64(),
            "bool": pl.Boolean(),
            "str": pl.String(),
            "date": pl.Date(),
        }.get(base.name)
    if isinstance(base, Seq):
        inner = _dtype(base.item)
        return pl.List(inner) if inner is not None else None
    return None


def _lit(value: Any, ty: Ty) -> pl.Expr:
    dtype = _dtype(ty)
    if isinstance(value, tuple | list):
        return pl.lit(pl.Series([list(value)], dtype=dtype)).first()
    return pl.lit(value, dtype=dtype)


def _python_error(fn: Callable[[], Any]) -> str:
    """The text the native engine records for the error ``fn`` raises."""
    try:
        fn()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("expected an error")  # pragma: no cover


_SAMPLES: dict[str, Any] = {"int": 0, "str": "", "bool": False, "date": date(2000, 1, 1)}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "//": operator.floordiv,
    "%": operator.mod,
}


def _sample(ty: Ty) -> Any:
    base = strip_opt(ty)
    return _SAMPLES.get(base.name, 0) if isinstance(base, Prim) else 0


def _none_error(op: Callable[[Any, Any], Any], left: Compiled, right: Compiled) -> pl.Expr | None:
    """The TypeError text where an operand is None (as Python words it), null elsewhere."""
    if not (left.nullable or right.nullable):
        return None
    a, b = _sample(left.ty), _sample(right.ty)
    chain: Any = pl
    for l_none, r_none in ((True, True), (True, False), (False, True)):
        if (l_none and not left.nullable) or (r_none and not right.nullable):
            continue
        text = _python_error(
            lambda ln=l_none, rn=r_none: op(None if ln else a, None if rn else b)  # type: ignore[misc]
        )
        test = (left.expr.is_null() if l_none else left.expr.is_not_null()) & (
            right.expr.is_null() if r_none else right.expr.is_not_null()
        )
        chain = chain.when(test).then(pl.lit(text))
    result: pl.Expr = chain.otherwise(pl.lit(None, dtype=pl.String))
    return result


def _first_error(*errs: pl.Expr | None) -> pl.Expr | None:
    present = [e for e in errs if e is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return pl.coalesce(present)


def _only_where(test: pl.Expr, err: pl.Expr | None) -> pl.Expr | None:
    return None if err is None else pl.when(test).then(err)


def truthy(c: Compiled) -> pl.Expr:
    """The expression of Python's ``bool(value)`` (never null)."""
    base = strip_opt(c.ty)
    expr = c.expr
    if isinstance(base, Prim):
        if base.name == "int":
            expr = expr != 0
        elif base.name == "str":
            expr = expr.str.len_bytes() > 0
        elif base.name == "date":
            expr = expr.is_not_null()
    elif isinstance(base, Seq):
        expr = expr.list.len() > 0
    else:
        expr = expr.is_not_null()
    return expr.fill_null(False) if c.nullable or not isinstance(base, Prim) else expr


_MODELS: dict[str, type] = {
    m.__name__: m
    for m in (
        Application,
        Assets,
        BankAccount,
        Beneficiary,
        BusinessLocation,
        BusinessPlan,
        Household,
        HouseholdMember,
        PlanItem,
        PriorAid,
    )
}


def _pairs(nik: pl.Expr, start: int) -> pl.Expr:
    return nik.str.slice(start, 2).cast(pl.Int64, strict=False)


def _subtotal(item: pl.Expr) -> pl.Expr:
    return item.struct.field("quantity") * item.struct.field("unit_price")


def _members_size(household: pl.Expr) -> pl.Expr:
    return pl.max_horizontal(
        household.struct.field("members").list.len().cast(pl.Int64), pl.lit(1, pl.Int64)
    )


PROPERTIES: dict[tuple[str, str], Callable[[pl.Expr], pl.Expr]] = {
    ("Beneficiary", "nik_province"): lambda b: b.struct.field("nik").str.slice(0, 2),
    ("Beneficiary", "nik_regency"): lambda b: b.struct.field("nik").str.slice(0, 4),
    ("Beneficiary", "nik_matches_birth_date"): lambda b: (
        (
            (_pairs(b.struct.field("nik"), 6) == b.struct.field("birth_date").dt.day())
            | (_pairs(b.struct.field("nik"), 6) == b.struct.field("birth_date").dt.day() + 40)
        )
        & (_pairs(b.struct.field("nik"), 8) == b.struct.field("birth_date").dt.month())
        & (_pairs(b.struct.field("nik"), 10) == b.struct.field("birth_date").dt.year() % 100)
    ),
    ("Beneficiary", "nik_matches_sex"): lambda b: (
        (b.struct.field("nik").str.slice(6, 1) >= "4") == (b.struct.field("sex") == "female")
    ),
    ("Household", "size"): _members_size,
    ("Household", "income_per_person"): lambda h: (
        h.struct.field("monthly_income") // _members_size(h)
    ),
    ("PlanItem", "subtotal"): _subtotal,
    ("BusinessPlan", "total"): lambda p: (
        p.struct.field("items").list.eval(_subtotal(pl.element())).list.sum().cast(pl.Int64)
    ),
    ("BusinessPlan", "has_cash_item"): lambda p: (
        p.struct.field("items").list.eval(pl.element().struct.field("is_cash")).list.any()
    ),
}
"""The columnar form of each model property rules may read (``expose_property``)."""


def age_expr(born: pl.Expr, today: date) -> pl.Expr:
    """``age_on(born, today)`` for a column of birth dates."""
    return whole_years(born, pl.lit(today, dtype=pl.Date))


@dataclass
class _Ctx:
    rule: str
    where: str
    bt: str | None = None
    loop: str | None = None
    depth: int = 0
    loops: tuple[str, ...] = field(default_factory=tuple)


ParamValue = Callable[[str, str, str | None], Any]
"""``(ruleset, name, business type or None) -> value`` of a parameter in force."""


class Compiler:
    """Compiles rule-tree nodes for one date's parameter values.

    :param today: the date the rules are applied for.
    :param param: the value of a parameter in force on ``today``.
    :param functions: the registered functions rules may call.
    :param business_types: the registered business types (for by-type parameters).
    """

    def __init__(
        self,
        *,
        today: date,
        param: ParamValue,
        functions: Mapping[str, RegisteredFunction],
        business_types: tuple[str, ...],
    ) -> None:
        self.today = today
        self.param = param
        self.functions = functions
        self.business_types = business_types

    # entry points ---------------------------------------------------------------------------
    def compile(self, node: t.Node, *, rule: str, where: str, bt: str | None) -> Compiled:
        """``node`` for every row; ``bt`` fixes ``business_type`` (a score rule's candidate)."""
        return self._node(node, _Ctx(rule, where, bt))

    def needs_branch(self, node: t.Node) -> bool:
        """Whether ``node`` must be compiled once per business type (by-type parameters)."""
        return any(
            isinstance(n, t.Param) and n.by_type and n.candidate is None for n in t.walk(node)
        ) or any(
            isinstance(n, t.Aggregate)
            and any(isinstance(m, t.Root) and m.name == "business_type" for m in t.walk(n))
            for n in t.walk(node)
        )

    # helpers ---------------------------------------------------------------------------------
    def _refuse(self, ctx: _Ctx, node: t.Node, en: str, id_: str) -> ColumnarCompileError:
        where = f"{ctx.where}:{node.line}:{node.column}" if ctx.where else "?"
        return ColumnarCompileError(ctx.rule, where, en, id_)

    def _node(self, node: t.Node, ctx: _Ctx) -> Compiled:
        method: Callable[[Any, _Ctx], Compiled] = getattr(self, "_" + type(node).__name__)
        return method(node, ctx)

    def _column(self, name: str, node: t.Node, ctx: _Ctx) -> pl.Expr:
        if ctx.depth:
            raise self._refuse(
                ctx,
                node,
                f"a generator reads {name!r}, another column, besides its own variable",
                f"generator membaca {name!r}, kolom lain, selain variabelnya sendiri",
            )
        return pl.col(name)

    # leaves ----------------------------------------------------------------------------------
    def _Const(self, node: t.Const, ctx: _Ctx) -> Compiled:
        return _const(node.value, node.ty)

    def _Items(self, node: t.Items, ctx: _Ctx) -> Compiled:
        items = [self._node(i, ctx) for i in node.items]
        if all(i.known for i in items):
            return _const(tuple(i.value for i in items), node.ty)
        return Compiled(pl.concat_list([i.expr for i in items]), node.ty)

    def _Root(self, node: t.Root, ctx: _Ctx) -> Compiled:
        if node.name == "today":
            return _const(self.today, DATE)
        if node.name == "business_type":
            if ctx.bt is not None:
                return _const(ctx.bt, node.ty)
            return Compiled(self._column(BT, node, ctx), node.ty)
        if node.name in ("applicant", "household", "plan"):
            return Compiled(self._column(node.name, node, ctx), node.ty)
        if node.name == "application":
            return Compiled(pl.struct(pl.all()), node.ty)  # only read through its fields
        raise self._refuse(
            ctx, node, f"{node.name!r} is not a value here", f"{node.name!r} bukan nilai di sini"
        )

    def _Var(self, node: t.Var, ctx: _Ctx) -> Compiled:
        if ctx.loop != node.name:
            raise self._refuse(
                ctx,
                node,
                f"an inner generator reads {node.name!r}, the variable of an outer one",
                f"generator di dalam membaca {node.name!r}, variabel generator di luarnya",
            )
        return Compiled(pl.element(), node.ty)

    def _Param(self, node: t.Param, ctx: _Ctx) -> Compiled:
        candidate = node.candidate
        if node.by_type and candidate is None:
            candidate = ctx.bt
            if candidate is None:  # pragma: no cover - the rule is branched before
                raise self._refuse(ctx, node, "unbranched by-type parameter", "parameter per jenis")
        value = self.param(node.ruleset, node.name, candidate if node.by_type else None)
        return _const(tuple(value) if isinstance(value, list) else value, node.ty)

    def _Field(self, node: t.Field, ctx: _Ctx) -> Compiled:
        base_node = node.base
        if isinstance(base_node, t.Root) and base_node.name == "fit":
            return Compiled(self._column(fit_column(node.name), node, ctx), node.ty)
        if isinstance(base_node, t.Root) and base_node.name == "application":
            return Compiled(self._column(node.name, node, ctx), node.ty, isinstance(node.ty, Opt))
        base = self._node(base_node, ctx)
        base_ty = strip_opt(base.ty)
        if base_ty == DATE:
            if base.known:
                return _const(getattr(base.value, node.name), INT)
            part = {"year": base.expr.dt.year, "month": base.expr.dt.month, "day": base.expr.dt.day}
            return Compiled(
                part[node.name]().cast(pl.Int64), INT, base.nullable, err=self._attr(base, node)
            )
        if not isinstance(base_ty, Obj):
            raise self._refuse(
                ctx, node, f"cannot read .{node.name} here", f"tidak dapat membaca .{node.name}"
            )
        err = self._attr(base, node)
        if err is not None and ctx.depth:
            raise self._may_raise(ctx, node)
        model = _MODELS.get(base_ty.name)
        nullable = isinstance(node.ty, Opt) or base.nullable
        if node.derived == "_age":
            return Compiled(
                age_expr(base.expr.struct.field("birth_date"), self.today),
                node.ty,
                nullable,
                err=err,
            )
        if model is not None and node.name in getattr(model, "model_fields", {}):
            return Compiled(base.expr.struct.field(node.name), node.ty, nullable, err=err)
        prop = PROPERTIES.get((base_ty.name, node.name))
        if prop is None:
            raise self._refuse(
                ctx,
                node,
                f"no columnar form for {base_ty.name}.{node.name}",
                f"tidak ada bentuk kolom untuk {base_ty.name}.{node.name}",
            )
        return Compiled(prop(base.expr), node.ty, nullable, err=err)

    def _attr(self, base: Compiled, node: t.Field) -> pl.Expr | None:
        if not base.nullable:
            return None
        text = _python_error(lambda: getattr(None, node.name))
        return pl.when(base.expr.is_null()).then(pl.lit(text))

    def _may_raise(self, ctx: _Ctx, node: t.Node) -> ColumnarCompileError:
        return self._refuse(
            ctx,
            node,
            "an expression inside a generator may raise (a None operand, a division by zero)",
            "ekspresi di dalam generator dapat gagal (operand None, pembagian dengan nol)",
        )

    # operators -------------------------------------------------------------------------------
    def _Compare(self, node: t.Compare, ctx: _Ctx) -> Compiled:
        operands = [self._node(o, ctx) for o in node.operands]
        if all(o.known for o in operands):  # parameters and literals: decided now, as Python
            folded = _fold_compare(node.ops, [o.value for o in operands])
            if folded is not None:
                return _const(folded, BOOL)
        result: pl.Expr | None = None
        err: pl.Expr | None = _first_error(operands[0].err)
        for i, op in enumerate(node.ops):
            left, right = operands[i], operands[i + 1]
            value, op_err = self._compare(op, left, right, node, ctx)
            step_err = _first_error(right.err, op_err)
            if result is None:
                err = _first_error(err, step_err)
                result = value
            else:
                err = _first_error(err, _only_where(result, step_err))
                result = result & value
        assert result is not None
        if err is not None and ctx.depth:
            raise self._may_raise(ctx, node)
        return Compiled(result, BOOL, err=err)

    def _compare(
        self, op: str, left: Compiled, right: Compiled, node: t.Node, ctx: _Ctx
    ) -> tuple[pl.Expr, pl.Expr | None]:
        a, b = left.expr, right.expr
        if op == "==":
            return a.eq_missing(b), None
        if op == "!=":
            return a.ne_missing(b), None
        if op in ("is", "is not"):
            other = b if not right.known or right.value is not None else None
            if other is not None:
                raise self._refuse(ctx, node, "'is' only with None", "'is' hanya dengan None")
            return (a.is_null() if op == "is" else a.is_not_null()), None
        if op in ("in", "not in"):
            found = self._contains(left, right, node, ctx)
            return (found if op == "in" else ~found), None
        fn = _COMPARE[op]
        value = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op].fill_null(False)
        return value, _none_error(fn, left, right)

    def _contains(self, left: Compiled, right: Compiled, node: t.Node, ctx: _Ctx) -> pl.Expr:
        base = strip_opt(right.ty)
        if right.nullable:
            raise self._refuse(
                ctx, node, "'in' on a value that may be None", "'in' pada nilai yang bisa None"
            )
        if isinstance(base, Prim) and base.name == "str":
            if left.nullable:
                raise self._refuse(
                    ctx, node, "'in' text with None on the left", "'in' teks dengan None di kiri"
                )
            return right.expr.str.contains(left.expr, literal=True)
        if right.known:
            values = list(right.value)
            return left.expr.is_in(values).fill_null(None in values)
        return right.expr.list.contains(left.expr).fill_null(False)

    def _BoolOp(self, node: t.BoolOp, ctx: _Ctx) -> Compiled:
        # Python never evaluates what follows a value that decides the result: a known true
        # before 'or' (a known false before 'and') ends the compilation too, so a branch that
        # cannot run (`params.scope == "household" or x.nik == applicant.nik`) is not compiled.
        values: list[Compiled] = []
        for v in node.values:
            compiled = self._node(v, ctx)
            values.append(compiled)
            if compiled.known and bool(compiled.value) == (node.op == "or"):
                break
        if len(values) == 1 and values[0].known:
            return values[0]
        if strip_opt(node.ty) != BOOL:
            raise self._refuse(
                ctx, node, f"'{node.op}' of values other than true/false", f"'{node.op}' non-bool"
            )
        result = truthy(values[0])
        err = values[0].err
        for later in values[1:]:
            decides = result if node.op == "and" else ~result
            err = _first_error(err, _only_where(decides, later.err))
            result = (result & truthy(later)) if node.op == "and" else (result | truthy(later))
        return Compiled(result, BOOL, err=err)

    def _Not(self, node: t.Not, ctx: _Ctx) -> Compiled:
        operand = self._node(node.operand, ctx)
        return Compiled(~truthy(operand), BOOL, err=operand.err)

    def _Negate(self, node: t.Negate, ctx: _Ctx) -> Compiled:
        operand = self._node(node.operand, ctx)
        err = operand.err
        if operand.nullable:
            text = _python_error(lambda: -None)  # type: ignore[operator]
            err = _first_error(err, pl.when(operand.expr.is_null()).then(pl.lit(text)))
            if ctx.depth:
                raise self._may_raise(ctx, node)
        return Compiled(-operand.expr, node.ty, operand.nullable, err=err)

    def _Arith(self, node: t.Arith, ctx: _Ctx) -> Compiled:
        left, right = self._node(node.left, ctx), self._node(node.right, ctx)
        if strip_opt(left.ty) != INT or strip_opt(right.ty) != INT:
            if node.op == "+" and strip_opt(left.ty) == STR and strip_opt(right.ty) == STR:
                err = _first_error(left.err, right.err, _none_error(operator.add, left, right))
                return Compiled(pl.concat_str([left.expr, right.expr]), STR, err=err)
            raise self._refuse(
                ctx, node, f"'{node.op}' of non-numbers", f"'{node.op}' bukan bilangan"
            )
        fn = _ARITH[node.op]
        a, b = left.expr, right.expr
        expr = {"+": a + b, "-": a - b, "*": a * b, "//": a // b, "%": a % b}[node.op]
        err = _first_error(left.err, right.err, _none_error(fn, left, right))
        if node.op in ("//", "%") and not (right.known and right.value):
            text = _python_error(lambda: fn(1, 0))
            err = _first_error(err, pl.when(b == 0).then(pl.lit(text)))
        if err is not None and ctx.depth:
            raise self._may_raise(ctx, node)
        return Compiled(expr, INT, left.nullable or right.nullable, err=err)

    def _IfElse(self, node: t.IfElse, ctx: _Ctx) -> Compiled:
        test, body, orelse = (self._node(n, ctx) for n in (node.test, node.body, node.orelse))
        cond = truthy(test)
        err = _first_error(
            test.err,
            None
            if body.err is None and orelse.err is None
            else pl.when(cond)
            .then(body.err if body.err is not None else pl.lit(None, pl.String))
            .otherwise(orelse.err if orelse.err is not None else pl.lit(None, pl.String)),
        )
        return Compiled(
            pl.when(cond).then(body.expr).otherwise(orelse.expr),
            node.ty,
            body.nullable or orelse.nullable,
            err=err,
        )

    def _Call(self, node: t.Call, ctx: _Ctx) -> Compiled:
        args = [self._node(a, ctx) for a in node.args]
        err = _first_error(*(a.err for a in args))
        if node.builtin:
            return self._builtin(node, args, err, ctx)
        fn = self.functions.get(node.name)
        form = form_of(fn.impl) if fn is not None else None
        if form is None:
            raise self._refuse(
                ctx,
                node,
                f"the function {node.name}() has no columnar form (see columnar_form)",
                f"fungsi {node.name}() tidak punya bentuk kolom (lihat columnar_form)",
            )
        expr = form(*(Arg(a.expr, a.value, a.nullable) for a in args))
        return Compiled(expr, node.ty, isinstance(node.ty, Opt), err=err)

    def _builtin(
        self, node: t.Call, args: list[Compiled], err: pl.Expr | None, ctx: _Ctx
    ) -> Compiled:
        if node.name == "len":
            (arg,) = args
            if isinstance(strip_opt(arg.ty), Seq):
                return Compiled(arg.expr.list.len().cast(pl.Int64), INT, err=err)
            return Compiled(arg.expr.str.len_chars().cast(pl.Int64), INT, err=err)
        if node.name == "abs":
            (arg,) = args
            return Compiled(arg.expr.abs(), INT, arg.nullable, err=err)
        if node.name in ("min", "max") and len(args) > 1:
            if any(a.nullable for a in args):
                raise self._refuse(
                    ctx, node, f"{node.name}() of values that may be None", f"{node.name}() None"
                )
            fn = pl.min_horizontal if node.name == "min" else pl.max_horizontal
            return Compiled(fn(*(a.expr for a in args)), node.ty, err=err)
        raise self._refuse(
            ctx, node, f"no columnar form for {node.name}()", f"tidak ada bentuk {node.name}()"
        )

    def _Aggregate(self, node: t.Aggregate, ctx: _Ctx) -> Compiled:
        source = self._node(node.source, ctx)
        if source.nullable or source.err is not None:
            raise self._may_raise(ctx, node)
        src = source.expr
        if node.var is None:
            if node.name == "count":
                return Compiled(src.list.len().cast(pl.Int64), INT)
            return self._reduce(node.name, src, node.ty)
        assert node.element is not None
        inner = replace(ctx, loop=node.var, depth=ctx.depth + 1)
        conditions = [truthy(self._node(c, inner)) for c in node.conditions]
        element = self._node(node.element, inner)
        if node.name == "count":
            keep = conditions or [truthy(element)]
            cond = keep[0]
            for c in keep[1:]:
                cond = cond & c
            return Compiled(src.list.eval(cond.cast(pl.Int64)).list.sum().cast(pl.Int64), INT)
        elem = truthy(element) if node.name in ("any", "all") else element.expr
        if conditions:
            cond = conditions[0]
            for c in conditions[1:]:
                cond = cond & c
            elem = elem.filter(cond)
        lists = src.list.eval(elem)
        if node.name == "any":
            return Compiled(lists.list.any(), BOOL)
        if node.name == "all":
            return Compiled(lists.list.all(), BOOL)
        return self._reduce(node.name, lists, node.ty)

    @staticmethod
    def _reduce(name: str, lists: pl.Expr, ty: Ty) -> Compiled:
        if name == "any":
            return Compiled(lists.list.eval(pl.element().fill_null(False)).list.any(), BOOL)
        if name == "all":
            return Compiled(lists.list.eval(pl.element().fill_null(False)).list.all(), BOOL)
        if name == "sum":
            return Compiled(lists.list.sum().cast(pl.Int64), INT)
        if name == "min":
            return Compiled(lists.list.min(), ty, True)
        return Compiled(lists.list.max(), ty, True)
