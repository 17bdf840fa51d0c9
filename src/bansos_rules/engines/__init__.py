"""Engines: ways to evaluate a :class:`~bansos_rules._book.RuleBook`.

Every engine fills the book's :class:`~bansos_rules._book.Layout` the same way, so decisions from
different engines can be compared slot by slot. Engines are contributed by plugins through the
``register_engines`` hook; the built-in ``native`` engine compiles the rules to Python.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook
    from bansos_rules._decision import Decision
    from bansos_rules._models import Application

__all__ = ["Engine", "EngineFactory"]


class Engine(Protocol):
    """Something that decides applications with one rule book."""

    name: str

    def decide(self, application: Application, on: date) -> Decision:
        """Decide one valid application with the rules in force on ``on``."""
        ...


EngineFactory = Callable[["RuleBook"], Engine]
"""Builds an engine for a rule book (compiling it, if the engine compiles)."""
