"""Rule expressions: parse with an allow-list, type-check against the models, emit Python.

An expression reads like Python (``applicant.age >= params.min_age and applicant.pkh_member``)
and is parsed by Python's own :mod:`ast`, but only the nodes below are accepted. There is no way
to import, call anything but a registered function, reach an attribute that is not a declared
field, loop (a generator may only range over a list in the input, inside ``any``/``all``/
``sum``/``count``/``min``/``max``), or build a large value (no ``**``, no string arithmetic,
bounded literals and size).

Checking and code generation are one pass: every node is typed, and the Python source that computes
it is built at the same time. Paths into the application that cannot fail (no optional value on
the way) are *hoisted*: computed once per evaluation into a local variable that every rule shares,
which is both faster and how a finding knows the values it read.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

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

__all__ = ["Compiled", "ExprError", "Hoister", "Scope", "compile_expr", "param_code", "suggest"]

MAX_SOURCE = 2000
MAX_NODES = 300
MAX_INT = 10**15
MAX_STR = 200
MAX_LIST = 64

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


@dataclass
class Hoister:
    """The shared locals of a compiled program: each safe path is computed once per evaluation."""

    entries: dict[str, tuple[str, str, Ty, bool]] = field(default_factory=dict)

    def local(self, path: str, code: str, ty: Ty, after_fit: bool) -> str:
        """The local variable that holds ``path``, creating it on first use."""
        entry = self.entries.get(path)
        if entry is None:
            entry = ("L_" + path.replace(".", "__"), code, ty, after_fit)
            self.entries[path] = entry
        return entry[0]


@dataclass(frozen=True)
class Scope:
    """What names an expression may use.

    :param roots: top-level names (``applicant``, ``plan`` …) with their type and Python code.
    :param params: the parameters of the ruleset, as an object type.
    :param by_type: parameters whose value depends on the business type.
    :param functions: registered functions by name.
    :param candidate: for score rules, the business type being scored (a constant).
    """

    roots: Mapping[str, tuple[Ty, str]]
    params: Obj
    by_type: frozenset[str]
    functions: Mapping[str, Function]
    candidate: str | None = None
    param_prefix: str = "P_"
    data_roots: frozenset[str] = frozenset({"applicant", "household", "plan", "application"})


@dataclass(frozen=True)
class Compiled:
    """A checked expression and the Python code that computes it."""

    source: str
    code: str
    type: Ty
    reads: tuple[str, ...]
    params: tuple[str, ...]
    uses_fit: bool
    functions: frozenset[str]


@dataclass(frozen=True)
class _R:
    """A typed node: its type, code, dotted path (if a plain path) and whether it cannot fail."""

    ty: Ty
    code: str
    path: str | None = None
    safe: bool = False
    root: str | None = None
    const: Any = None
    guarded: bool = False


def param_code(name: str, by_type: bool, candidate: str | None, prefix: str = "P_") -> str:
    """The local variable that holds parameter ``name`` (for ``candidate``, if by business type)."""
    if by_type and candidate is not None:
        return f"{prefix}{name}__{candidate}"
    return f"{prefix}{name}"


def compile_expr(source: str, scope: Scope, hoister: Hoister) -> Compiled:
    """Check ``source`` in ``scope`` and generate its Python code.

    :raises ExprError: at the first problem found.
    """
    if len(source) > MAX_SOURCE:
        raise ExprError("expr-too-large", None, size=len(source), limit=MAX_SOURCE)
    stripped = source.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        err = ExprError("expr-syntax", None, detail=exc.msg)
        err.lineno = exc.lineno or 1
        err.col = max(0, (exc.offset or 1) - 1)
        raise err from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expr-too-large", None, size=len(source), limit=MAX_SOURCE) from None
    size = sum(1 for _ in ast.walk(tree))
    if size > MAX_NODES:
        raise ExprError("expr-too-large", tree.body, size=size, limit=MAX_NODES)
    checker = _Checker(scope, hoister)
    try:
        result = checker.visit(tree.body, {}, frozenset())
    except ExprError as err:
        # ast columns count UTF-8 bytes; report characters, as SyntaxError does.
        err.col = _char_col(stripped, err.lineno, err.col)
        raise
    return Compiled(
        source=source,
        code=result.code,
        type=result.ty,
        reads=tuple(dict.fromkeys(checker.reads)),
        params=tuple(dict.fromkeys(checker.params)),
        uses_fit=checker.uses_fit,
        functions=frozenset(checker.functions),
    )


def _char_col(source: str, lineno: int, col: int) -> int:
    """The character column of byte column ``col`` on line ``lineno`` of ``source``."""
    rows = _LINE_BREAK.split(source)
    if not 0 < lineno <= len(rows):
        return col
    return len(rows[lineno - 1].encode("utf-8")[:col].decode("utf-8", errors="ignore"))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_Vars = Mapping[str, Ty]


class _Checker:
    def __init__(self, scope: Scope, hoister: Hoister) -> None:
        self.scope = scope
        self.hoister = hoister
        self.reads: list[str] = []
        self.params: list[str] = []
        self.functions: list[str] = []
        self.uses_fit = False

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
            result = replace(result, ty=result.ty.inner, guarded=True)
        return result

    # leaves -------------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        value = node.value
        if value is None:
            return _R(NONE, "None", const=None)
        if isinstance(value, bool):
            return _R(BOOL, repr(value), const=value)
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise _type_error(
                    node,
                    f"number {value} is too large (at most {MAX_INT:,})",
                    f"angka {value} terlalu besar (paling besar {MAX_INT:,})",
                )
            return _R(INT, repr(value), const=value)
        if isinstance(value, str):
            if len(value) > MAX_STR:
                raise _type_error(
                    node,
                    f"text is too long (at most {MAX_STR} characters)",
                    f"teks terlalu panjang (paling banyak {MAX_STR} karakter)",
                )
            return _R(STR, repr(value), const=value)
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
            return _R(vars_[name], "v_" + name, path=name, safe=True, root=None)
        if name == "params":
            return _R(self.scope.params, "params", path="params", safe=True, root="params")
        if name in self.scope.roots:
            ty, code = self.scope.roots[name]
            if name == "fit":
                self.uses_fit = True
            if name == "business_type" and self.scope.candidate is not None:
                return _R(ty, repr(self.scope.candidate), const=self.scope.candidate)
            return _R(ty, code, path=name, safe=True, root=name)
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
            safe = base.safe and not base.guarded
            return self._path(_R(INT, f"{base.code}.{attr}", path, safe, base.root))
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
        code = f"{spec.derived}({base.code}, TODAY)" if spec.derived else f"{base.code}.{attr}"
        return self._path(_R(spec.type, code, path, base.safe and not base.guarded, base.root))

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
        code = param_code(
            name, name in self.scope.by_type, self.scope.candidate, self.scope.param_prefix
        )
        return _R(spec.type, code, path=f"params.{name}", safe=True, root="params")

    def _path(self, r: _R) -> _R:
        """Hoist a safe path into the application into a shared local, and record the read.

        Records and lists of records are recorded only where they are used as values (ranged
        over, compared with None, passed to a function), not where a field is read from them.
        """
        if not (r.safe and r.path and r.root in (*self.scope.data_roots, "fit")):
            return r
        scalar = not isinstance(strip_opt(r.ty), Obj) and not (
            isinstance(r.ty, Seq) and isinstance(r.ty.item, Obj)
        )
        if scalar:
            self.reads.append(r.path)
        local = self.hoister.local(r.path, r.code, r.ty, after_fit=r.root == "fit")
        return _R(r.ty, local, r.path, True, r.root)

    def _record(self, r: _R) -> None:
        """Record a hoisted path used as a whole value (a record, or a list of them)."""
        if r.safe and r.path and r.root in (*self.scope.data_roots, "fit"):
            self.reads.append(r.path)

    # operators ----------------------------------------------------------------------------
    def visit_BoolOp(self, node: ast.BoolOp, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        is_and = isinstance(node.op, ast.And)
        codes = []
        for value in node.values:
            r = self.visit(value, vars_, narrowed)
            self._want_bool(value, r, "and" if is_and else "or")
            codes.append(r.code)
            narrowed = narrowed | _narrowing(value, when_true=is_and)
        joiner = " and " if is_and else " or "
        return _R(BOOL, "(" + joiner.join(codes) + ")")

    def visit_UnaryOp(self, node: ast.UnaryOp, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        operand = self.visit(node.operand, vars_, narrowed)
        if isinstance(node.op, ast.Not):
            self._want_bool(node.operand, operand, "not")
            return _R(BOOL, f"(not {operand.code})")
        if isinstance(node.op, ast.USub | ast.UAdd):
            if operand.ty != INT:
                raise _type_error(
                    node,
                    f"'-' needs a whole number, got {describe(operand.ty)}",
                    f"'-' memerlukan bilangan bulat, bukan {describe(operand.ty, 'id')}",
                )
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            return _R(INT, f"({sign}{operand.code})")
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
        return _R(INT, f"({left.code} {op} {right.code})")

    def visit_Compare(self, node: ast.Compare, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        operands = [node.left, *node.comparators]
        results = [self.visit(o, vars_, narrowed) for o in operands]
        code = results[0].code
        for i, op_node in enumerate(node.ops):
            op = _CMP[type(op_node)]
            self._check_compare(node, op, operands[i], results[i], operands[i + 1], results[i + 1])
            code += f" {op} {results[i + 1].code}"
        return _R(BOOL, f"({code})")

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
                        self._check_literal(elt, _R(STR, "", const=elt.value), lt, left.path)
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
        return _R(ty, f"({body.code} if {test.code} else {orelse.code})")

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
        return _R(Seq(item_ty), "(" + "".join(r.code + ", " for r in items) + ")")

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
        codes = []
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
            codes.append(got.code)
        self.functions.append(name)
        return _R(fn.returns, f"F_{name}({', '.join(codes)})")

    def _builtin(self, node: ast.Call, name: str, vars_: _Vars, narrowed: frozenset[str]) -> _R:
        args = node.args
        if name in ("len", "abs") or (name in ("min", "max") and len(args) > 1):
            results = [self.visit(a, vars_, narrowed) for a in args]
            for r in results:
                self._record(r)
            if name == "len":
                if len(results) != 1 or not isinstance(results[0].ty, Seq):
                    raise _type_error(node, "len() takes one list", "len() memerlukan satu daftar")
                return _R(INT, f"len({results[0].code})")
            if name == "abs":
                if len(results) != 1 or results[0].ty != INT:
                    raise _type_error(
                        node, "abs() takes one whole number", "abs() memerlukan satu bilangan bulat"
                    )
                return _R(INT, f"abs({results[0].code})")
            first = results[0].ty
            if first not in (INT, DATE) or any(r.ty != first for r in results):
                raise _type_error(
                    node,
                    f"{name}() compares whole numbers or dates of one kind",
                    f"{name}() membandingkan bilangan bulat atau tanggal yang sejenis",
                )
            return _R(first, f"{name}({', '.join(r.code for r in results)})")
        if len(args) != 1:
            raise _type_error(
                node,
                f"{name}() takes one list or one 'x for x in ...' generator",
                f"{name}() memerlukan satu daftar atau satu generator 'x for x in ...'",
            )
        (arg,) = args
        source = None
        if isinstance(arg, ast.GeneratorExp):
            elt, head, source = self._generator(arg, vars_, narrowed, counting=name == "count")
        else:
            r = self.visit(arg, vars_, narrowed)
            self._record(r)
            if not isinstance(r.ty, Seq):
                raise _type_error(
                    arg,
                    f"{name}() needs a list, got {describe(r.ty)}",
                    f"{name}() memerlukan daftar, bukan {describe(r.ty, 'id')}",
                )
            elt, head = r.ty.item, None
            if name == "count":
                return _R(INT, f"len({r.code})")
            gen_code = r.code
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
        if head is not None:
            gen_code = head
        if name == "count":
            result = _R(INT, f"sum({gen_code})")
        elif name in ("min", "max"):
            result = _R(Opt(elt), f"{name}(({gen_code}), default=None)")
        else:
            result = _R(want or elt, f"{name}({gen_code})")
        if source is not None and source.isidentifier():
            # Lists such as earlier aid are usually empty: skip building a generator for them.
            empty = {"any": "False", "all": "True", "sum": "0", "count": "0"}.get(name, "None")
            result = replace(result, code=f"({result.code} if {source} else {empty})")
        return result

    def _generator(
        self, node: ast.GeneratorExp, vars_: _Vars, narrowed: frozenset[str], *, counting: bool
    ) -> tuple[Ty, str, str]:
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
            conds.append(r.code)
            narrowed = narrowed | _narrowing(cond, when_true=True)
        elt = self.visit(node.elt, inner, narrowed)
        where = "".join(f" if {c}" for c in conds)
        head = "1" if counting else elt.code
        if counting and not conds:
            self._want_bool(node.elt, elt, "count")
            head, where = "1", f" if {elt.code}"
        return elt.ty, f"{head} for v_{var} in {source.code}{where}", source.code

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
