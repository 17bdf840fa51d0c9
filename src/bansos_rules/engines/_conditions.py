"""durable_rules conditions as data, shared by the engines that translate the rule tree into
them (decisions: :mod:`bansos_rules.engines.durable`; monitoring:
:mod:`bansos_rules.monitoring._durable`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["FLIP", "OPS", "Cond", "Constants"]

Cond = dict[str, Any]
"""A durable_rules condition, as the JSON its rulesets are written in."""

OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
"""durable_rules' operator for each comparison of the rule language."""
FLIP = {"$lt": "$gt", "$lte": "$gte", "$gt": "$lt", "$gte": "$lte", "$eq": "$eq", "$neq": "$neq"}
"""The operator with its two sides swapped (``a < b`` is ``b > a``)."""


class Constants:
    """The conditions always true and always false for facts carrying the field ``mark``, and
    ``$and``/``$or`` that fold them (compared by identity: ``part is constants.true``)."""

    def __init__(self, mark: str) -> None:
        self.true: Cond = {"$ex": {mark: 1}}
        self.false: Cond = {"$nex": {mark: 1}}

    def all_of(self, parts: Sequence[Cond]) -> Cond:
        """``$and`` of ``parts``, with the constants folded."""
        if any(p is self.false for p in parts):
            return self.false
        kept = [p for p in parts if p is not self.true]
        if not kept:
            return self.true
        return kept[0] if len(kept) == 1 else {"$and": kept}

    def any_of(self, parts: Sequence[Cond]) -> Cond:
        """``$or`` of ``parts``, with the constants folded."""
        if any(p is self.true for p in parts):
            return self.true
        kept = [p for p in parts if p is not self.false]
        if not kept:
            return self.false
        return kept[0] if len(kept) == 1 else {"$or": kept}
