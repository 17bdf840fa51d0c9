"""Rule expressions: parse with an allow-list, type-check against the models, build the rule tree.

An expression reads like Python (``applicant.age >= params.min_age and applicant.pkh_member``)
and is parsed by Python's own :mod:`ast`, but only the nodes below are accepted. There is no way
to import, call anything but a registered function, reach an attribute that is not a declared
field, loop (a generator may only range over a list in the input, inside ``any``/``all``/
``sum``/``count``/``min``/``max``), or build a large value (no ``**``, no string arithmetic,
bounded literals and size).

The source is parsed once, here. Checking builds the engine-neutral rule tree
(:mod:`bansos_rules.ruleset.tree`) in the same pass: every node typed and placed at its line and
column. Paths into the application that cannot fail (no optional value on the way) are marked
``always``: engines may read them once per decision and share them between rules, and they are
the values a finding reports as read.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from bansos_rules.ruleset import tree as t
from bansos_rules.ruleset.types import (
    BOOL,
    DATE,
    INT,
    NONE,
    STR,
    Function,
    Obj,
    Opt,
    Prim,
    Seq,
    Ty,
    assignable,
    describe,
    same_base,
    strip_opt,
)

__all__ = ["ExprError", "Locate", "Scope", "compile_expr", "suggest"]

MAX_SOURCE = 2000
MAX_NODES = 300
MAX_INT = 10**15
MAX_STR = 200
MAX_LIST = 64
MAX_WORK = 50_000
"""The most steps one expression may take on the largest application the models accept
(:func:`.tree.work`): a rule at the limit decides in a few milliseconds at worst. The built-in
rulesets' largest is under 2,000."""

_UNSAFE: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.Subscript: "indexing with [...]",
    ast.Slice: "slicing",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Starred: "unpacking (*)",
    ast.Dict: "a dict literal",
    ast.Set: "a set literal",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Pow: "'**' (power)",
    ast.Div: "'/' (use '//' for whole-number division)",
    ast.MatMult: "'@'",
    ast.BitAnd: "'&' (use 'and')",
    ast.BitOr: "'|' (use 'or')",
    ast.BitXor: "'^'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.Invert: "'~' (use 'not')",
}

_CMP = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}
_AGGREGATES = ("any", "all", "sum", "count", "min", "max")
_BUILTIN_CALLS = (*_AGGREGATES, "len", "abs")


class ExprError(Exception):
    """A problem in an expression, at a 1-based line and 0-based column within its source."""

    def __init__(self, code: str, node: ast.AST | None, **args: Any) -> None:
        self.code = code
        self.args_ = args
        self.lineno = getattr(node, "lineno", 1) if node is not None else 1
        self.col = getattr(node, "col_offset", 0) if node is not None else 0
        if (
            isinstance(node, ast.Attribute)
            and node.end_col_offset is not None
            and node.end_lineno == node.lineno
        ):
            # Point at the field name after the dot, not at the start of the whole path.
            self.col = node.end_col_offset - len(node.attr)
        super().__init__(code)


def _type_error(node: ast.AST, en: str, id_: str) -> ExprError:
    return ExprError("expr-type", node, detail_en=en, detail_id=id_)


def suggest(name: str, candidates: Iterable[str]) -> str:
    """The closest candidate to ``name``, or an empty string."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else ""


@dataclass(frozen=True)
class Scope:
    """What names an expression may use.

    :param roots: top-level names (``applicant``, ``plan`` …) with their type.
    :param params: the parameters of the ruleset, as an object type.
    :param by_type: parameters whose value depends on the business type.
    :param functions: registered functions by name.
    :param candidate: for score rules, the business type being scored (a constant).
    :param ruleset: the id of the ruleset whose parameters ``params`` are.
    """

    roots: Mapping[str, Ty]
    params: Obj
    by_type: frozenset[str]
    functions: Mapping[str, Function]
    candidate: str | None = None
    ruleset: str = ""


Locate = Callable[[int, int], tuple[int, int]]
"""Maps a place in an expression (1-based line, 0-based character column) to where it is
written in its file (1-based line and column)."""


def _within(lineno: int, col: int) -> tuple[int, int]:
    return lineno, col + 1


@dataclass(frozen=True)
class _R:
    """A typed node, and what the checker knows of it beyond its type.

    :param path: the dotted path, if the node is a plain path from a root or a loop variable.
    :param safe: the path exists whenever its root does (no optional value on the way).
    :param root: the name the path starts from (``None`` for a loop variable).
    :param const: the value of a literal.
    :param guarded: an optional value known not to be ``None`` here.
    """

    node: t.Node
    path: str | None = None
    safe: bool = False
    root: str | None = None
    const: Any = None
    guarded: bool = False

    @property
    def ty(self) -> Ty:
        return self.node.ty


def compile_expr(source: str, scope: Scope, *, locate: Locate | None = None) -> t.Expr:
    """Check ``source`` in ``scope`` and build its rule tree.

    :param locate: where the expression's characters are in their file, for node positions.
    :raises ExprError: at the first problem found.
    """
    if len(source) > MAX_SOURCE:
        raise ExprError("expr-too-large", None, size=len(source), limit=MAX_SOURCE)
    stripped = source.strip()
    _names_as_written(stripped)
    try:
        parsed = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        err = ExprError("expr-syntax", None, detail=exc.msg)
        err.lineno = exc.lineno or 1
        err.col = max(0, (exc.offset or 1) - 1)
        raise err from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expr-too-large", None, size=len(source), limit=MAX_SOURCE) from None
    size = sum(1 for _ in ast.walk(parsed))
    if size > MAX_NODES:
        raise ExprError("expr-too-large", parsed.body, size=size, limit=MAX_NODES)
    checker = _Checker(scope, stripped, locate or _within)
    try:
        result = checker.visit(parsed.body, {}, frozenset())
    except ExprError as err:
        # ast columns count UTF-8 bytes; report characters, as SyntaxError does.
        err.col = _char_col(stripped, err.lineno, err.col)
        raise
    steps = t.work(result.node)
    if steps > MAX_WORK:
        culprit = checker.outermost_loop(result.node) or parsed.body
        heavy = ExprError("expr-too-much-work", culprit, work=steps, limit=MAX_WORK)
        heavy.col = _char_col(stripped, heavy.lineno, heavy.col)
        raise heavy
    return t.Expr(
        source=source,
        tree=result.node,
        reads=tuple(dict.fromkeys(checker.reads)),
        params=tuple(dict.fromkeys(checker.params)),
        values=checker.values,
    )


def _names_as_written(source: str) -> None:
    """Refuse names that Python would fold into others (NFKC): ``applicant`` typed in fullwidth
    letters is not ``applicant``. Every name the language knows is plain ASCII, so any other is
    a disguise."""
    if source.isascii():
        return
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and not token.string.isascii():
                err = ExprError("expr-name-not-ascii", None, name=token.string)
                err.lineno, err.col = token.start
                raise err
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return  # ast.parse reports the syntax error with its place


def _char_col(source: str, lineno: int, col: int) -> int:
    """The character column of byte column ``col`` on line ``lineno`` of ``source``."""
    rows = _LINE_BREAK.split(source)
    if not 0 < lineno <= len(rows):
        return col
    return len(rows[lineno - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore"))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_Vars = Mapping[str, Ty]


class _Checker:
    def __init__(self, scope: Scope, source: str, locate: Locate) -> None:
        self.scope = scope
        self.source = source
        self.locate = locate
        self.reads: list[str] = []
        self.params: list[str] = []
        self.values: dict[str, t.Field] = {}
        self.loops: dict[int, ast.AST] = {}

    def outermost_loop(self, tree: t.Node) -> ast.AST | None:
        """Where the outermost list loop of ``tree`` whose work is over the limit is written."""
        for node in t.walk(tree):
            if isinstance(node, t.Aggregate) and id(node) in self.loops and t.work(node) > MAX_WORK:
                return self.loops[id(node)]
        return None

    def at(self, node: ast.AST) -> dict[str, Any]:
        """The ``ty``-less keyword arguments that place a tree node where ``node`` is written."""
        lineno = getattr(node, "lineno", 1)
        col = _char_col(self.source, lineno, getattr(node, "col_offset", 0))
        line, column = self.locate(lineno, col)
        return {"line": line, "column": column}

    # dispatch -----------------------------------------------------------------------------
    def visit(self, node: ast.AST, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        unsafe = _UNSAFE.get(type(node))
        if unsafe is not None:
            raise ExprError("expr-unsafe", node, construct=unsafe)
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise ExprError("expr-unsafe", node, construct=f"'{type(node).__name__}'")
        result: _R = method(node, vars_, narrowed)
        if isinstance(result.ty, Opt) and _key(node) in narrowed:
            # Known not to be None here ('x is not None and ...'): use it as its inner type.
            result = replace(result, node=replace(result.node, ty=result.ty.inner), guarded=True)
        return result

    # leaves -------------------------------------------------------------------------------
    def _const(self, node: ast.AST, ty: Ty, value: Any) -> _R:
        return _R(t.Const(ty=ty, value=value, **self.at(node)), const=value)

    def visit_Constant(self, node: ast.Constant, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        value = node.value
        if value is None:
            return self._const(node, NONE, None)
        if isinstance(value, bool):
            return self._const(node, BOOL, value)
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise _type_error(
                    node,
                    f"number {value} is too large (at most {MAX_INT:,})",
                    f"angka {value} terlalu besar (paling besar {MAX_INT:,})",
                )
            return self._const(node, INT, value)
        if isinstance(value, str):
            if len(value) > MAX_STR:
                raise _type_error(
                    node,
                    f"text is too long (at most {MAX_STR} characters)",
                    f"teks terlalu panjang (paling banyak {MAX_STR} karakter)",
                )
            return self._const(node, STR, value)
        if isinstance(value, float):
            raise _type_error(
                node,
                "decimal numbers are not allowed; amounts are whole rupiah",
                "angka desimal tidak diizinkan; nilai uang dalam rupiah bulat",
            )
        raise ExprError("expr-unsafe", node, construct=f"the literal {value!r}")

    def visit_Name(self, node: ast.Name, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        name = node.id
        if name.startswith("_"):
            raise ExprError("expr-unsafe", node, construct=f"the name '{name}'")
        if name in vars_:
            return _R(t.Var(ty=vars_[name], name=name, **self.at(node)), path=name, safe=True)
        if name == "params":
            node_ = t.Root(ty=self.scope.params, name="params", **self.at(node))
            return _R(node_, path="params", safe=True, root="params")
        if name in self.scope.roots:
            ty = self.scope.roots[name]
            if name == "business_type" and self.scope.candidate is not None:
                return self._const(node, ty, self.scope.candidate)
            return _R(t.Root(ty=ty, name=name, **self.at(node)), path=name, safe=True, root=name)
        if name in ("True", "False", "None"):
            raise ExprError("expr-syntax", node, detail=name)
        candidates = [*self.scope.roots, "params", *vars_]
        raise ExprError("expr-unknown-name", node, name=name, suggestion=suggest(name, candidates))

    def visit_Attribute(self, node: ast.Attribute, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        attr = node.attr
        if attr.startswith("_"):
            raise ExprError("expr-unsafe", node, construct=f"the attribute '{attr}'")
        base = self.visit(node.value, vars_, narrowed)
        base_ty = base.ty
        if isinstance(base_ty, Opt):
            shown = base.path or "this value"
            raise _type_error(
                node,
                f"'{shown}' may be empty (None); write '{shown} is not None and ...' first",
                f"'{shown}' bisa kosong (None); tulis '{shown} is not None and ...' dulu",
            )
        path = f"{base.path}.{attr}" if base.path else None
        if base.root == "params":
            return self._param(node, attr)
        if base_ty == DATE:
            if attr not in ("year", "month", "day"):
                raise ExprError(
                    "expr-unknown-field",
                    node,
                    owner=base.path or "date",
                    name=attr,
                    suggestion=suggest(attr, ["year", "month", "day"]),
                )
            return self._field(node, base, attr, INT, path, None)
        if not isinstance(base_ty, Obj):
            raise _type_error(
                node,
                f"'{base.path or 'this value'}' is {describe(base_ty)}, which has no fields",
                f"'{base.path or 'nilai ini'}' adalah {describe(base_ty, 'id')}, tanpa kolom",
            )
        spec = base_ty.fields.get(attr)
        if spec is None:
            raise ExprError(
                "expr-unknown-field",
                node,
                owner=base.path or base_ty.name,
                name=attr,
                suggestion=suggest(attr, base_ty.fields),
            )
        return self._field(node, base, attr, spec.type, path, spec.derived)

    def _field(
        self, node: ast.AST, base: _R, attr: str, ty: Ty, path: str | None, derived: str | None
    ) -> _R:
        """A field read; a path into the application that always exists is recorded as a value.

        Records and lists of records are recorded as read only where they are used as values
        (ranged over, compared with None, passed to a function), not where a field is read from
        them.
        """
        safe = base.safe and not base.guarded
        always = bool(safe and path and base.root in (*t.DATA_ROOTS, "fit"))
        field_ = t.Field(
            ty=ty,
            base=base.node,
            name=attr,
            path=path if base.root is not None else None,
            always=always,
            derived=derived,
            **self.at(node),
        )
        if always:
            assert path is not None
            if not isinstance(strip_opt(ty), Obj) and not (
                isinstance(ty, Seq) and isinstance(ty.item, Obj)
            ):
                self.reads.append(path)
            self.values.setdefault(path, field_)
        return _R(field_, path, safe, base.root)

    def _param(self, node: ast.Attribute, name: str) -> _R:
        spec = self.scope.params.fields.get(name)
        if spec is None:
            raise ExprError(
                "expr-unknown-field",
                node,
                owner="params",
                name=name,
                suggestion=suggest(name, self.scope.params.fields),
            )
        self.params.append(name)
        by_type = name in self.scope.by_type
        param = t.Param(
            ty=spec.type,
            ruleset=self.scope.ruleset,
            name=name,
            by_type=by_type,
            candidate=self.scope.candidate if by_type else None,
            **self.at(node),
        )
        return _R(param, path=f"params.{name}", safe=True, root="params")

    def _record(self, r: _R) -> None:
        """Record a path used as a whole value (a record, or a list of them)."""
        if isinstance(r.node, t.Field) and r.node.always:
            assert r.path is not None
            self.reads.append(r.path)

    # operators ----------------------------------------------------------------------------
    def visit_BoolOp(self, node: ast.BoolOp, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        is_and = isinstance(node.op, ast.And)
        values = []
        for value in node.values:
            r = self.visit(value, vars_, narrowed)
            self._want_bool(value, r, "and" if is_and else "or")
            values.append(r.node)
            narrowed = narrowed | _narrowing(value, when_true=is_and)
        op: Any = "and" if is_and else "or"
        return _R(t.BoolOp(ty=BOOL, op=op, values=tuple(values), **self.at(node)))

    def visit_UnaryOp(self, node: ast.UnaryOp, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        operand = self.visit(node.operand, vars_, narrowed)
        if isinstance(node.op, ast.Not):
            self._want_bool(node.operand, operand, "not")
            return _R(t.Not(ty=BOOL, operand=operand.node, **self.at(node)))
        if isinstance(node.op, ast.USub | ast.UAdd):
            if operand.ty != INT:
                raise _type_error(
                    node,
                    f"'-' needs a whole number, got {describe(operand.ty)}",
                    f"'-' memerlukan bilangan bulat, bukan {describe(operand.ty, 'id')}",
                )
            if isinstance(node.op, ast.UAdd):
                return _R(operand.node)
            return _R(t.Negate(ty=INT, operand=operand.node, **self.at(node)))
        raise ExprError("expr-unsafe", node, construct="this operator")

    def visit_BinOp(self, node: ast.BinOp, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        op = _ARITH.get(type(node.op))
        if op is None:
            raise ExprError(
                "expr-unsafe", node, construct=_UNSAFE.get(type(node.op), "this operator")
            )
        left = self.visit(node.left, vars_, narrowed)
        right = self.visit(node.right, vars_, narrowed)
        if left.ty != INT or right.ty != INT:
            raise _type_error(
                node,
                f"'{op}' needs whole numbers on both sides, got "
                f"{describe(left.ty)} and {describe(right.ty)}",
                f"'{op}' memerlukan bilangan bulat di kedua sisi, bukan "
                f"{describe(left.ty, 'id')} dan {describe(right.ty, 'id')}",
            )
        arith = t.Arith(ty=INT, op=cast(t.ArithOp, op), left=left.node, right=right.node)
        return _R(replace(arith, **self.at(node)))

    def visit_Compare(self, node: ast.Compare, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        operands = [node.left, *node.comparators]
        results = [self.visit(o, vars_, narrowed) for o in operands]
        ops: list[t.CompareOp] = []
        for i, op_node in enumerate(node.ops):
            op = _CMP[type(op_node)]
            self._check_compare(node, op, operands[i], results[i], operands[i + 1], results[i + 1])
            ops.append(cast(t.CompareOp, op))
        compare = t.Compare(
            ty=BOOL, ops=tuple(ops), operands=tuple(r.node for r in results), **self.at(node)
        )
        return _R(compare)

    def _check_compare(
        self, node: ast.AST, op: str, ln: ast.AST, left: _R, rn: ast.AST, right: _R
    ) -> None:
        lt, rt = left.ty, right.ty
        if op in ("is", "is not"):
            if rt != NONE and lt != NONE:
                raise _type_error(
                    node,
                    f"'{op}' only compares with None; use '==' or '!=' for values",
                    f"'{op}' hanya untuk membandingkan dengan None; pakai '==' atau '!='",
                )
            self._record(left)
            self._record(right)
            return
        if op in ("in", "not in"):
            if not isinstance(rt, Seq):
                raise _type_error(
                    node,
                    f"'{op}' needs a list on its right, got {describe(rt)}",
                    f"'{op}' memerlukan daftar di sebelah kanan, bukan {describe(rt, 'id')}",
                )
            if not same_base(strip_opt(lt), strip_opt(rt.item)):
                raise _type_error(
                    node,
                    f"cannot look for {describe(lt)} in {describe(rt)}",
                    f"tidak bisa mencari {describe(lt, 'id')} dalam {describe(rt, 'id')}",
                )
            self._check_literal(ln, left, rt.item, right.path)
            if isinstance(rn, ast.List | ast.Tuple):
                for elt in rn.elts:
                    if isinstance(elt, ast.Constant):
                        self._check_literal(elt, self._const(elt, STR, elt.value), lt, left.path)
            return
        if op in ("==", "!="):
            if not (
                same_base(strip_opt(lt), strip_opt(rt))
                or (NONE in (lt, rt) and (isinstance(lt, Opt) or isinstance(rt, Opt)))
            ):
                raise _type_error(
                    node,
                    f"cannot compare {describe(lt)} with {describe(rt)}",
                    f"tidak bisa membandingkan {describe(lt, 'id')} dengan {describe(rt, 'id')}",
                )
            self._check_literal(ln, left, rt, right.path)
            self._check_literal(rn, right, lt, left.path)
            return
        for side in (left, right):
            if isinstance(side.ty, Opt):
                shown = side.path or "this value"
                raise _type_error(
                    node,
                    f"'{shown}' may be empty (None); write '{shown} is not None and ...' first",
                    f"'{shown}' bisa kosong (None); tulis '{shown} is not None and ...' dulu",
                )
        if not (lt == rt and lt in (INT, DATE)):
            raise _type_error(
                node,
                f"'{op}' compares two whole numbers or two dates, got "
                f"{describe(lt)} and {describe(rt)}",
                f"'{op}' membandingkan dua bilangan bulat atau dua tanggal, bukan "
                f"{describe(lt, 'id')} dan {describe(rt, 'id')}",
            )

    def _check_literal(self, node: ast.AST, value: _R, other: Ty, owner: str | None) -> None:
        """A text literal compared with a field that has fixed choices must be one of them."""
        other = strip_opt(other)
        if not (isinstance(value.const, str) and isinstance(other, Prim) and other.choices):
            return
        if value.const not in other.choices:
            raise ExprError(
                "expr-literal",
                node,
                value=value.const,
                owner=owner or "business_type",
                choices=", ".join(sorted(other.choices)),
                suggestion=suggest(value.const, other.choices),
            )

    def visit_IfExp(self, node: ast.IfExp, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        test = self.visit(node.test, vars_, narrowed)
        self._want_bool(node.test, test, "if")
        body = self.visit(node.body, vars_, narrowed | _narrowing(node.test, when_true=True))
        orelse = self.visit(node.orelse, vars_, narrowed | _narrowing(node.test, when_true=False))
        ty = _join(body.ty, orelse.ty)
        if ty is None:
            raise _type_error(
                node,
                f"both branches must have one type, got {describe(body.ty)} "
                f"and {describe(orelse.ty)}",
                f"kedua cabang harus bertipe sama, bukan {describe(body.ty, 'id')} "
                f"dan {describe(orelse.ty, 'id')}",
            )
        return _R(
            t.IfElse(ty=ty, test=test.node, body=body.node, orelse=orelse.node, **self.at(node))
        )

    def visit_List(self, node: ast.List | ast.Tuple, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        if len(node.elts) > MAX_LIST:
            raise ExprError("expr-too-large", node, size=len(node.elts), limit=MAX_LIST)
        if not node.elts:
            raise _type_error(
                node,
                "an empty list is not allowed here",
                "daftar kosong tidak diizinkan di sini",
            )
        items = [self.visit(e, vars_, narrowed) for e in node.elts]
        item_ty = items[0].ty
        for e, r in zip(node.elts, items, strict=True):
            if not same_base(r.ty, item_ty) or isinstance(r.ty, Obj):
                raise _type_error(
                    e,
                    "every item of a list must have the same simple type",
                    "semua isi daftar harus bertipe sederhana yang sama",
                )
        nodes = tuple(r.node for r in items)
        return _R(t.Items(ty=Seq(item_ty), items=nodes, **self.at(node)))

    visit_Tuple = visit_List

    # calls --------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        if not isinstance(node.func, ast.Name):
            raise ExprError("expr-unsafe", node, construct="calling a method")
        if node.keywords:
            raise ExprError("expr-unsafe", node, construct="keyword arguments")
        name = node.func.id
        if name.startswith("_"):
            raise ExprError("expr-unsafe", node.func, construct=f"the name '{name}'")
        if name in _BUILTIN_CALLS:
            return self._builtin(node, name, vars_, narrowed)
        fn = self.scope.functions.get(name)
        if fn is None:
            candidates = [*_BUILTIN_CALLS, *self.scope.functions]
            raise ExprError(
                "expr-unknown-function", node, name=name, suggestion=suggest(name, candidates)
            )
        if len(node.args) != len(fn.params):
            raise _type_error(
                node,
                f"{name}() takes {len(fn.params)} argument(s), got {len(node.args)}",
                f"{name}() memerlukan {len(fn.params)} argumen, bukan {len(node.args)}",
            )
        args = []
        for i, (arg, want) in enumerate(zip(node.args, fn.params, strict=True), 1):
            got = self.visit(arg, vars_, narrowed)
            self._record(got)
            if not assignable(got.ty, want):
                raise _type_error(
                    arg,
                    f"argument {i} of {name}() must be {describe(want)}, got {describe(got.ty)}",
                    f"argumen ke-{i} {name}() harus {describe(want, 'id')}, "
                    f"bukan {describe(got.ty, 'id')}",
                )
            args.append(got.node)
        call = t.Call(ty=fn.returns, name=name, args=tuple(args), builtin=False, **self.at(node))
        return _R(call)

    def _builtin(self, node: ast.Call, name: str, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        args = node.args
        where = self.at(node)
        if name in ("len", "abs") or (name in ("min", "max") and len(args) > 1):
            results = [self.visit(a, vars_, narrowed) for a in args]
            for r in results:
                self._record(r)
            nodes = tuple(r.node for r in results)
            if name == "len":
                if len(results) != 1 or not isinstance(results[0].ty, Seq):
                    raise _type_error(node, "len() takes one list", "len() memerlukan satu daftar")
                return _R(t.Call(ty=INT, name=name, args=nodes, builtin=True, **where))
            if name == "abs":
                if len(results) != 1 or results[0].ty != INT:
                    raise _type_error(
                        node, "abs() takes one whole number", "abs() memerlukan satu bilangan bulat"
                    )
                return _R(t.Call(ty=INT, name=name, args=nodes, builtin=True, **where))
            first = results[0].ty
            if first not in (INT, DATE) or any(r.ty != first for r in results):
                raise _type_error(
                    node,
                    f"{name}() compares whole numbers or dates of one kind",
                    f"{name}() membandingkan bilangan bulat atau tanggal yang sejenis",
                )
            return _R(t.Call(ty=first, name=name, args=nodes, builtin=True, **where))
        if len(args) != 1:
            raise _type_error(
                node,
                f"{name}() takes one list or one 'x for x in ...' generator",
                f"{name}() memerlukan satu daftar atau satu generator 'x for x in ...'",
            )
        (arg,) = args
        aggregate = cast(t.AggregateName, name)
        if isinstance(arg, ast.GeneratorExp):
            elt, found = self._generator(arg, vars_, narrowed, aggregate, where)
        else:
            r = self.visit(arg, vars_, narrowed)
            self._record(r)
            if not isinstance(r.ty, Seq):
                raise _type_error(
                    arg,
                    f"{name}() needs a list, got {describe(r.ty)}",
                    f"{name}() memerlukan daftar, bukan {describe(r.ty, 'id')}",
                )
            elt = r.ty.item
            found = t.Aggregate(ty=INT, name=aggregate, source=r.node, **where)
            if name == "count":
                self.loops[id(found)] = node
                return _R(found)
        want = {"any": BOOL, "all": BOOL, "sum": INT}.get(name)
        if name in ("min", "max") and elt not in (INT, DATE):
            want = INT
        if want is not None and elt != want and name != "count":
            raise _type_error(
                arg,
                f"{name}() needs items that are {describe(want)}, got {describe(elt)}",
                f"{name}() memerlukan isi berupa {describe(want, 'id')}, "
                f"bukan {describe(elt, 'id')}",
            )
        if name == "count":
            ty: Ty = INT
        elif name in ("min", "max"):
            ty = Opt(elt)
        else:
            ty = want or elt
        loop = replace(found, ty=ty)
        self.loops[id(loop)] = node
        return _R(loop)

    def _generator(
        self,
        node: ast.GeneratorExp,
        vars_: _Vars,
        narrowed: frozenset[str],
        name: t.AggregateName,
        where: dict[str, Any],
    ) -> tuple[Ty, t.Aggregate]:
        if len(node.generators) != 1:
            raise ExprError("expr-unsafe", node, construct="more than one 'for' in a generator")
        gen = node.generators[0]
        if not isinstance(gen.target, ast.Name):
            raise ExprError("expr-unsafe", gen.target, construct="unpacking in 'for'")
        var = gen.target.id
        if var.startswith("_") or var in self.scope.roots or var in vars_ or var == "params":
            raise _type_error(
                gen.target,
                f"the loop name '{var}' is already in use; pick another",
                f"nama '{var}' sudah dipakai; pilih nama lain",
            )
        source = self.visit(gen.iter, vars_, narrowed)
        self._record(source)
        if not isinstance(source.ty, Seq):
            raise _type_error(
                gen.iter,
                f"'for ... in' needs a list, got {describe(source.ty)}",
                f"'for ... in' memerlukan daftar, bukan {describe(source.ty, 'id')}",
            )
        inner = {**vars_, var: source.ty.item}
        conds = []
        for cond in gen.ifs:
            r = self.visit(cond, inner, narrowed)
            self._want_bool(cond, r, "if")
            conds.append(r.node)
            narrowed = narrowed | _narrowing(cond, when_true=True)
        elt = self.visit(node.elt, inner, narrowed)
        if name == "count" and not conds:
            self._want_bool(node.elt, elt, "count")
        found = t.Aggregate(
            ty=INT,
            name=name,
            source=source.node,
            var=var,
            element=elt.node,
            conditions=tuple(conds),
            **where,
        )
        return elt.ty, found

    def _want_bool(self, node: ast.AST, r: _R, where: str) -> None:
        if r.ty != BOOL:
            raise _type_error(
                node,
                f"'{where}' needs true/false, got {describe(r.ty)}",
                f"'{where}' memerlukan benar/salah, bukan {describe(r.ty, 'id')}",
            )


def _narrowing(node: ast.AST, *, when_true: bool) -> frozenset[str]:
    """Paths known not to be None after ``node`` evaluated to ``when_true``."""
    if (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value is None
    ):
        op = node.ops[0]
        if (isinstance(op, ast.IsNot) and when_true) or (isinstance(op, ast.Is) and not when_true):
            return frozenset({_key(node.left)})
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) and when_true:
        found: frozenset[str] = frozenset()
        for value in node.values:
            found |= _narrowing(value, when_true=True)
        return found
    return frozenset()


def _key(node: ast.AST) -> str:
    """How a guard names an expression: its source, normalised (``a.b``, ``min(x for x in y)``)."""
    return ast.unparse(node)


def _join(a: Ty, b: Ty) -> Ty | None:
    if same_base(a, b):
        return a
    if a == NONE:
        return b if isinstance(b, Opt) else Opt(b)
    if b == NONE:
        return a if isinstance(a, Opt) else Opt(a)
    if isinstance(a, Opt) and same_base(a.inner, b):
        return a
    if isinstance(b, Opt) and same_base(b.inner, a):
        return b
    return None
