"""The rule tree: every checked expression as typed nodes, the one form all engines compile from.

The type checker (:mod:`bansos_rules.ruleset.expr`) parses an expression's source once and builds
this tree; nobody parses the source again. Each node carries its type (:mod:`.types`) and where it
is written (``line`` and ``column`` in the ruleset file, both 1-based; for an expression checked
outside a file, within the expression). Engines translate the tree into their own form — the
native engine into Python, the durable engine into durable_rules conditions — and lint, coverage,
invariants and diff read it.

The tree says *what* is computed, never *how* an engine names things: there are no generated
names in it, so nothing written in a ruleset can collide with an engine's internals.

Node kinds::

    Node
    ├── Const        a literal: whole number, text, true/false, None
    ├── Items        a list literal  [a, b, c]
    ├── Root         a top-level name: applicant, household, plan, application, today,
    │                business_type, fit, decision
    ├── Field        base.name (a model field, a computed field such as age, a date part)
    ├── Var          the variable of a generator  (x in  any(x.cash for x in plan.items))
    ├── Param        params.name: a ruleset parameter in force on the decision's date
    ├── Compare      a < b <= c, a == b, a in b, a is None …  (chained like Python)
    ├── BoolOp       and / or
    ├── Not          not a
    ├── Negate       -a
    ├── Arith        a + b, a - b, a * b, a // b, a % b
    ├── IfElse       a if test else b
    ├── Call         len(a), abs(a), min(a, b), max(a, b), or a registered function
    └── Aggregate    any/all/sum/count/min/max over a list or a generator
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from bansos_rules.ruleset.types import Seq, Ty

__all__ = [
    "Aggregate",
    "Arith",
    "BoolOp",
    "Call",
    "Compare",
    "Const",
    "Expr",
    "Field",
    "IfElse",
    "Items",
    "Negate",
    "Node",
    "Not",
    "Param",
    "Root",
    "Var",
    "walk",
]

DATA_ROOTS = frozenset({"applicant", "household", "plan", "application"})
"""Roots that are parts of the application (as opposed to today, params, fit, decision)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A typed node of the rule tree, and where it is written."""

    ty: Ty = field(compare=False)
    line: int = field(default=1, compare=False)
    column: int = field(default=1, compare=False)

    def children(self) -> tuple[Node, ...]:
        """The nodes directly below this one, in evaluation order."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Const(Node):
    """A literal value."""

    value: int | str | bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Items(Node):
    """A list literal of simple values."""

    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True, kw_only=True)
class Root(Node):
    """A top-level name (``applicant``, ``today``, ``business_type``, ``fit``, ``decision`` …)."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Field(Node):
    """``base.name``: a field of a record, a computed field, or a part of a date.

    ``path`` is the dotted path from the root (``household.members``) when ``base`` is a root or
    another such field, else ``None`` (inside a generator, say). ``always`` is true when the path
    starts at an application part or ``fit`` and no optional value lies on the way: such a value
    exists for every application, so an engine may read it once per decision and share it between
    rules; those are also the values a decision records as read. ``derived`` names the runtime
    helper that computes a computed field (``_age``), else ``None``.
    """

    base: Node
    name: str
    path: str | None
    always: bool
    derived: str | None = None

    def children(self) -> tuple[Node, ...]:
        return (self.base,)

    @property
    def root(self) -> str | None:
        """The name the path starts from, if this is a path from a root."""
        return self.path.split(".", 1)[0] if self.path else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Var(Node):
    """The variable of the innermost generator that declares ``name``."""

    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Param(Node):
    """A parameter of ``ruleset``; ``candidate`` fixes a by-business-type one to that type.

    When ``by_type`` is true and ``candidate`` is ``None``, the value is the one for the planned
    business type of the application.
    """

    ruleset: str
    name: str
    by_type: bool
    candidate: str | None = None


CompareOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare(Node):
    """``operands[0] ops[0] operands[1] ops[1] operands[2] …``, chained as in Python."""

    ops: tuple[CompareOp, ...]
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands

    def pairs(self) -> Iterator[tuple[Node, CompareOp, Node]]:
        """Each ``(left, op, right)`` of the chain."""
        for i, op in enumerate(self.ops):
            yield self.operands[i], op, self.operands[i + 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class BoolOp(Node):
    """``values[0] and values[1] …`` (or ``or``), short-circuiting left to right."""

    op: Literal["and", "or"]
    values: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.values


@dataclass(frozen=True, slots=True, kw_only=True)
class Not(Node):
    """``not operand``."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True, kw_only=True)
class Negate(Node):
    """``-operand``."""

    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


ArithOp = Literal["+", "-", "*", "//", "%"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Arith(Node):
    """Whole-number arithmetic."""

    op: ArithOp
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True, kw_only=True)
class IfElse(Node):
    """``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node

    def children(self) -> tuple[Node, ...]:
        return (self.test, self.body, self.orelse)


@dataclass(frozen=True, slots=True, kw_only=True)
class Call(Node):
    """A call: a built-in (``len``, ``abs``, ``min``/``max`` of several values) or a function
    registered by a plugin (``builtin`` false)."""

    name: str
    args: tuple[Node, ...]
    builtin: bool

    def children(self) -> tuple[Node, ...]:
        return self.args


AggregateName = Literal["any", "all", "sum", "count", "min", "max"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Aggregate(Node):
    """``name(source)`` over a list, or ``name(element for var in source if conditions…)``.

    For a plain list ``var`` and ``element`` are ``None``. ``count`` counts the items for which
    ``element`` (a condition) is true, or that pass ``conditions``; ``min``/``max`` of nothing are
    ``None``.
    """

    name: AggregateName
    source: Node
    var: str | None = None
    element: Node | None = None
    conditions: tuple[Node, ...] = ()

    def children(self) -> tuple[Node, ...]:
        rest = () if self.element is None else (self.element,)
        return (self.source, *self.conditions, *rest)


UNKNOWN_LIST_LIMIT = 1_000
"""The length assumed for a list whose most items are not declared (a plugin's list type)."""


def list_limit(node: Node) -> int:
    """The most items the list ``node`` can hold."""
    if isinstance(node, Items):
        return len(node.items)
    ty = node.ty
    limit = ty.limit if isinstance(ty, Seq) else None
    return UNKNOWN_LIST_LIMIT if limit is None else limit


def work(node: Node) -> int:
    """An upper bound on the steps evaluating ``node`` takes, from the lists' maximum lengths.

    Every node is one step; a generator repeats its element and conditions once per item of its
    list; ``x in list``, an aggregate over a list and a function given a list each step once per
    item. Engines differ in constant factors only, so one bound serves them all.
    """
    if isinstance(node, Aggregate):
        per_item = 1 + sum(work(c) for c in node.conditions)
        if node.element is not None:
            per_item += work(node.element)
        return 1 + work(node.source) + list_limit(node.source) * per_item
    steps = 1 + sum(work(c) for c in node.children())
    if isinstance(node, Compare):
        steps += sum(
            list_limit(right)
            for _, op, right in node.pairs()
            if op in ("in", "not in") and isinstance(right.ty, Seq)
        )
    elif isinstance(node, Call) and not node.builtin:
        steps += sum(list_limit(a) for a in node.args if isinstance(a.ty, Seq))
    return steps


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


@dataclass(frozen=True)
class Expr:
    """A checked expression: its source, its tree and what it reads.

    :param source: the expression as written.
    :param tree: the root node.
    :param reads: paths into the application (and ``fit``) whose values an explanation shows.
    :param params: names of the ruleset parameters it reads.
    :param values: the always-present paths it reads (:attr:`Field.always`), each with its node,
        in an order where a path comes after the paths it is read through.
    """

    source: str
    tree: Node
    reads: tuple[str, ...]
    params: tuple[str, ...]
    values: dict[str, Field] = field(compare=False)

    @property
    def type(self) -> Ty:
        """The type of the value."""
        return self.tree.ty

    @property
    def uses_fit(self) -> bool:
        """Whether it reads the planned business type's fit score."""
        return any(isinstance(n, Root) and n.name == "fit" for n in walk(self.tree))

    def nodes(self) -> Iterator[Node]:
        """Every node of the tree."""
        return walk(self.tree)


def unparse(node: Node) -> str:
    """``node`` written back in the expression language (normalised spacing and brackets)."""
    if isinstance(node, Const):
        return repr(node.value)
    if isinstance(node, Items):
        return "[" + ", ".join(unparse(i) for i in node.items) + "]"
    if isinstance(node, Root):
        return node.name
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Field):
        return f"{unparse(node.base)}.{node.name}"
    if isinstance(node, Param):
        return f"params.{node.name}"
    if isinstance(node, Compare):
        parts = [unparse(node.operands[0])]
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            parts += [op, unparse(operand)]
        return "(" + " ".join(parts) + ")"
    if isinstance(node, BoolOp):
        return "(" + f" {node.op} ".join(unparse(v) for v in node.values) + ")"
    if isinstance(node, Not):
        return f"(not {unparse(node.operand)})"
    if isinstance(node, Negate):
        return f"(-{unparse(node.operand)})"
    if isinstance(node, Arith):
        return f"({unparse(node.left)} {node.op} {unparse(node.right)})"
    if isinstance(node, IfElse):
        return f"({unparse(node.body)} if {unparse(node.test)} else {unparse(node.orelse)})"
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(unparse(a) for a in node.args) + ")"
    if isinstance(node, Aggregate):
        if node.var is None or node.element is None:
            return f"{node.name}({unparse(node.source)})"
        ifs = "".join(f" if {unparse(c)}" for c in node.conditions)
        return f"{node.name}({unparse(node.element)} for {node.var} in {unparse(node.source)}{ifs})"
    raise TypeError(f"not a rule-tree node: {node!r}")
