"""Python source from the rule tree: what the native engine and invariants compile.

Generated names are hygienic by construction. Every name in the generated code starts with an
underscore — either one of the fixed names below or a kind letter and a number (``_v3`` a value,
``_p0`` a parameter, ``_x1`` a loop variable, ``_f2`` a registered function) — while nothing a
ruleset writes may start with one (the checker refuses it), and no name from a ruleset ever
becomes a Python name: loop variables are numbered, parameters and functions are looked up by
their keys. So no content of a ruleset can collide with a generated name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bansos_rules.ruleset import tree as t

__all__ = ["BUILTINS", "ROOTS", "Emitter"]

ROOTS: Mapping[str, str] = {
    "application": "_app",
    "applicant": "_a",
    "household": "_h",
    "plan": "_pl",
    "business_type": "_bt",
    "today": "_today",
    "fit": "_fit",
    "decision": "_dec",
}
"""The local that holds each root of the expression language."""

BUILTINS: Mapping[str, Any] = {
    "len": len,
    "any": any,
    "all": all,
    "sum": sum,
    "min": min,
    "max": max,
    "abs": abs,
    "Exception": Exception,
}
"""The only built-ins generated code can reach."""

_EMPTY = {"any": "False", "all": "True", "sum": "0", "count": "0", "min": "None", "max": "None"}


class Emitter:
    """Turns tree nodes into Python expressions over the fixed and numbered locals.

    :param values: the local that already holds each always-present path (read once).
    :param params: the local that holds each ``(ruleset, name, candidate)`` parameter value;
        a by-type parameter read for the planned type has ``candidate`` ``None``.
    :param functions: the registered functions the code may call.
    :param helpers: runtime helpers of computed fields (``_age``), by name.
    """

    def __init__(
        self,
        *,
        values: Mapping[str, str],
        params: Mapping[tuple[str, str, str | None], str],
        functions: Mapping[str, Callable[..., Any]],
        helpers: Mapping[str, Callable[..., Any]],
    ) -> None:
        self.values = values
        self.params = params
        self._functions = {name: f"_f{i}" for i, name in enumerate(sorted(functions))}
        self._helpers = {name: f"_d{i}" for i, name in enumerate(sorted(helpers))}
        self.namespace: dict[str, Any] = {"__builtins__": BUILTINS}
        for name, local in self._functions.items():
            self.namespace[local] = functions[name]
        for name, local in self._helpers.items():
            self.namespace[local] = helpers[name]
        self._loops: list[tuple[str, str]] = []
        self._counter = 0

    def helper(self, name: str) -> str:
        """The local that holds runtime helper ``name`` (of a computed field)."""
        return self._helpers[name]

    def expr(self, node: t.Node) -> str:
        """The Python expression that computes ``node``."""
        method: Callable[[Any], str] = getattr(self, "_" + type(node).__name__)
        return method(node)

    def define(self, node: t.Field) -> str:
        """The expression that computes an always-present value for its own local."""
        return self._read(node)

    # leaves -------------------------------------------------------------------------------
    def _Const(self, node: t.Const) -> str:
        return repr(node.value)

    def _Items(self, node: t.Items) -> str:
        return "(" + "".join(self.expr(item) + ", " for item in node.items) + ")"

    def _Root(self, node: t.Root) -> str:
        local = ROOTS.get(node.name)
        if local is None:
            raise ValueError(f"{node.name!r} is not a value")
        return local

    def _Field(self, node: t.Field) -> str:
        if node.always and node.path is not None:
            local = self.values.get(node.path)
            if local is not None:
                return local
        return self._read(node)

    def _read(self, node: t.Field) -> str:
        base = self.expr(node.base)
        if node.derived is not None:
            return f"{self._helpers[node.derived]}({base}, _today)"
        return f"{base}.{node.name}"

    def _Var(self, node: t.Var) -> str:
        for name, local in reversed(self._loops):
            if name == node.name:
                return local
        raise ValueError(f"loop variable {node.name!r} used outside its generator")

    def _Param(self, node: t.Param) -> str:
        return self.params[(node.ruleset, node.name, node.candidate)]

    # operators ----------------------------------------------------------------------------
    def _Compare(self, node: t.Compare) -> str:
        code = self.expr(node.operands[0])
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            code += f" {op} {self.expr(operand)}"
        return f"({code})"

    def _BoolOp(self, node: t.BoolOp) -> str:
        return "(" + f" {node.op} ".join(self.expr(v) for v in node.values) + ")"

    def _Not(self, node: t.Not) -> str:
        return f"(not {self.expr(node.operand)})"

    def _Negate(self, node: t.Negate) -> str:
        return f"(-{self.expr(node.operand)})"

    def _Arith(self, node: t.Arith) -> str:
        return f"({self.expr(node.left)} {node.op} {self.expr(node.right)})"

    def _IfElse(self, node: t.IfElse) -> str:
        test, body, orelse = self.expr(node.test), self.expr(node.body), self.expr(node.orelse)
        return f"({body} if {test} else {orelse})"

    def _Call(self, node: t.Call) -> str:
        args = ", ".join(self.expr(a) for a in node.args)
        if node.builtin:
            return f"{node.name}({args})"
        return f"{self._functions[node.name]}({args})"

    def _Aggregate(self, node: t.Aggregate) -> str:
        source = self.expr(node.source)
        if node.var is None:
            if node.name == "count":
                return f"len({source})"
            if node.name in ("min", "max"):
                return f"{node.name}(({source}), default=None)"
            return f"{node.name}({source})"
        assert node.element is not None
        local = f"_x{self._counter}"
        self._counter += 1
        self._loops.append((node.var, local))
        try:
            conditions = [self.expr(c) for c in node.conditions]
            element = self.expr(node.element)
        finally:
            self._loops.pop()
        if node.name == "count":
            if not conditions:
                conditions = [element]
            element = "1"
        where = "".join(f" if {c}" for c in conditions)
        generator = f"{element} for {local} in {source}{where}"
        if node.name == "count":
            code = f"sum({generator})"
        elif node.name in ("min", "max"):
            code = f"{node.name}(({generator}), default=None)"
        else:
            code = f"{node.name}({generator})"
        if source.isidentifier():
            # Lists such as earlier aid are usually empty: skip building a generator for them.
            code = f"({code} if {source} else {_EMPTY[node.name]})"
        return code
