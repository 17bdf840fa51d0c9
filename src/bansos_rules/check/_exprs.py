"""The one place lint reads rule expressions: what a rule checks, in a form two rules compare by.

Lint finds rules whose checks are identical or each other's negation. It reads the rules' trees
(:mod:`bansos_rules.ruleset.tree`); tree nodes compare by structure, ignoring where they are
written, so two rules that check the same thing compare equal wherever they stand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bansos_rules.ruleset import tree as t

if TYPE_CHECKING:
    from bansos_rules.ruleset.ir import Rule


@dataclass(frozen=True)
class CheckShape:
    """What a rule checks, written canonically (``not (a < b)`` as ``a >= b``)."""

    scope: tuple[Any, ...]
    """The rule's kind, ``applies_to`` and canonical ``when``: rules compare only within one."""
    check: t.Node
    """The canonical check."""
    negation: t.Node
    """The canonical negation of the check."""


def check_shape(rule: Rule) -> CheckShape | None:
    """What ``rule`` checks (for score rules, for the first business type it scores)."""
    variant = next(iter(rule.variants.values()), None)
    if variant is None:
        return None
    check = _canonical(variant.check.tree)
    when = None if variant.when is None else _canonical(variant.when.tree)
    return CheckShape((rule.kind, rule.applies_to, when), check, _canonical(_negate(check)))


_COMPLEMENT: dict[str, t.CompareOp] = {
    "<": ">=",
    ">=": "<",
    ">": "<=",
    "<=": ">",
    "==": "!=",
    "!=": "==",
    "in": "not in",
    "not in": "in",
    "is": "is not",
    "is not": "is",
}


def _canonical(node: t.Node) -> t.Node:
    """``node`` with ``not (a < b)`` written as ``a >= b``, so that both compare equal."""
    if (
        isinstance(node, t.Not)
        and isinstance(node.operand, t.Compare)
        and len(node.operand.ops) == 1
    ):
        return _negate(node.operand)
    return node


def _negate(node: t.Node) -> t.Node:
    """The logical negation of ``node``, written the way a person would write it."""
    if isinstance(node, t.Not):
        return node.operand
    if isinstance(node, t.Compare) and len(node.ops) == 1:
        return replace(node, ops=(_COMPLEMENT[node.ops[0]],))
    return t.Not(ty=node.ty, operand=node, line=node.line, column=node.column)
