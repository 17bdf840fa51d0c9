"""What plugins contribute: business types, referral agencies, expression functions, rulesets.

Plugins hand contributions to a ``register`` callback (see :mod:`bansos_rules.hookspecs`); the
:class:`Registry` keeps each with the plugin it came from and refuses a name given twice.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from bansos_rules._errors import PluginError
from bansos_rules.ruleset.types import Function, from_annotation

__all__ = ["Agency", "BusinessType", "Registry", "RulesetSource"]

_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _check_code(code: str, what: str) -> None:
    if not code or not code[0].isalpha() or not set(code) <= _CODE_CHARS or len(code) > 64:
        raise ValueError(f"{what} code {code!r} must be lower-case letters, digits and '_'")


@dataclass(frozen=True)
class BusinessType:
    """A kind of business the program funds, e.g. ``chicken_farming``."""

    code: str
    name_id: str
    name_en: str
    description_id: str = ""
    description_en: str = ""

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``id`` or ``en``)."""
        return self.name_id if lang == "id" else self.name_en


@dataclass(frozen=True)
class Agency:
    """An office an applicant can be referred to, e.g. ``disdukcapil``."""

    code: str
    name_id: str
    name_en: str

    def name(self, lang: str) -> str:
        """The name in ``lang`` (``id`` or ``en``)."""
        return self.name_id if lang == "id" else self.name_en


@dataclass(frozen=True)
class RulesetSource:
    """A ruleset file a plugin contributes: a path (or package resource) to read."""

    path: Path | Traversable

    @property
    def name(self) -> str:
        """The file name, as shown in messages."""
        return str(self.path)


@dataclass
class Registry:
    """Every contribution of every registered plugin, with the plugin it came from."""

    business_types: dict[str, tuple[BusinessType, str]] = field(default_factory=dict)
    agencies: dict[str, tuple[Agency, str]] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    rulesets: list[tuple[RulesetSource, str]] = field(default_factory=list)

    def add_business_type(self, plugin: str, item: BusinessType) -> None:
        """Register a business type from ``plugin``."""
        self._add(self.business_types, plugin, "register_business_types", item.code, item)

    def add_agency(self, plugin: str, item: Agency) -> None:
        """Register a referral agency from ``plugin``."""
        self._add(self.agencies, plugin, "register_agencies", item.code, item)

    def add_ruleset(self, plugin: str, source: RulesetSource | Path | Traversable) -> None:
        """Register a ruleset file from ``plugin``."""
        if not isinstance(source, RulesetSource):
            source = RulesetSource(source)
        self.rulesets.append((source, plugin))

    def add_function(self, plugin: str, fn: Callable[..., Any], name: str | None = None) -> None:
        """Register an expression function; its annotations give its signature."""
        hook = "register_functions"
        name = name or fn.__name__
        try:
            _check_code(name, "function")
            hints = typing.get_type_hints(fn)
            params = [
                from_annotation(hints[p.name]) for p in inspect.signature(fn).parameters.values()
            ]
            returns = from_annotation(hints["return"])
        except (KeyError, TypeError, ValueError, NameError) as exc:
            raise PluginError(plugin, hook, f"function {name!r} cannot be used: {exc}") from exc
        if name in self.functions:
            other = self.functions[name].plugin
            raise PluginError(plugin, hook, f"function {name!r} is already registered by {other}")
        doc = inspect.getdoc(fn) or ""
        self.functions[name] = Function(name, fn, tuple(params), returns, doc, plugin)

    def _add(self, table: dict[str, Any], plugin: str, hook: str, code: str, item: Any) -> None:
        try:
            _check_code(code, type(item).__name__)
        except ValueError as exc:
            raise PluginError(plugin, hook, str(exc)) from exc
        if code in table:
            raise PluginError(plugin, hook, f"{code!r} is already registered by {table[code][1]}")
        table[code] = (item, plugin)

    def business_type_codes(self) -> tuple[str, ...]:
        """Registered business-type codes, in registration order."""
        return tuple(self.business_types)
