"""Every hook a bansos-rules plugin can implement.

A plugin is a module or object with functions marked ``@bansos_rules.hookimpl`` and named like the
hooks below. It is found through the ``bansos_rules`` entry-point group, exactly like the built-in
plugins in :mod:`bansos_rules.plugins`. Hooks are called with keyword arguments only, so a hook can
gain arguments later without breaking plugins: implement only the arguments you use.

Each hook hands the plugin a ``register`` callback; contributions go through it so that a name given
twice is refused with an error that names both plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from bansos_rules._registry import Agency, BusinessType
    from bansos_rules.engines import EngineFactory

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "bansos_rules"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_business_types(register: Callable[[BusinessType], None]) -> None:
    """Add business types the program can fund.

    :param register: call it with a :class:`~bansos_rules._registry.BusinessType` for each type.
    """


@hookspec
def register_agencies(register: Callable[[Agency], None]) -> None:
    """Add agencies that rules can refer applicants to (``refer:`` in a rule).

    :param register: call it with an :class:`~bansos_rules._registry.Agency` for each agency.
    """


@hookspec
def register_functions(register: Callable[..., None]) -> None:
    """Add functions that rule expressions can call.

    A function's type annotations are its signature in the expression language: use ``int``,
    ``bool``, ``str``, ``datetime.date``, ``tuple[str, ...]`` and ``X | None``. Functions must be
    pure and total: they get the values in the expression and return one value.

    :param register: call it as ``register(function)`` or ``register(function, name="other")``.
    """


@hookspec
def register_rulesets(register: Callable[[Path | Traversable], None]) -> None:
    """Add ruleset files.

    :param register: call it with the path (or package resource) of each YAML ruleset file.
    """


@hookspec
def register_engines(register: Callable[[str, EngineFactory], None]) -> None:
    """Add engines that evaluate rule books.

    :param register: call it as ``register(name, factory)``; ``factory(book)`` builds the engine.
    """


HOOKS: tuple[str, ...] = (
    "register_business_types",
    "register_agencies",
    "register_functions",
    "register_rulesets",
    "register_engines",
)
"""The hooks, in the order the plugin manager calls them."""
