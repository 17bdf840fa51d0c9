"""The checked, typed form of a ruleset: what the loader produces and the engines compile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from bansos_rules._models import Application
from bansos_rules.ruleset.schema import Expectation, Text
from bansos_rules.ruleset.tree import Expr, Field

__all__ = [
    "Example",
    "Invariant",
    "Parameter",
    "Period",
    "Placeholder",
    "Rule",
    "Ruleset",
    "Variant",
]

ANY_TYPE = "*"


def for_business_type(values: Mapping[str, Any] | None, business_type: str) -> Any:
    """A by-business-type parameter's value for ``business_type``, else its ``"*"`` value."""
    if values is None:
        return None
    return values.get(business_type, values.get(ANY_TYPE))


CONTEXT_PLACEHOLDERS = ("business_type", "today")
"""Message placeholders filled from the decision rather than from values a rule read."""


@dataclass(frozen=True)
class Period:
    """A parameter value in force from ``start`` to ``until`` (inclusive; open when ``None``)."""

    start: date
    until: date | None
    value: Any
    reference: str

    def covers(self, on: date) -> bool:
        """Whether the value is in force on ``on``."""
        return self.start <= on and (self.until is None or on <= self.until)


@dataclass(frozen=True)
class Parameter:
    """A policy figure with its values over time."""

    name: str
    type: str
    by: str | None
    unit: str | None
    description: Text
    periods: tuple[Period, ...]
    line: int | None = None

    def period_on(self, on: date) -> Period | None:
        """The period in force on ``on``: the latest that started on or before it and covers it."""
        found = None
        for period in self.periods:
            if period.covers(on) and (found is None or period.start > found.start):
                found = period
        return found


@dataclass(frozen=True)
class Placeholder:
    """A ``{path}`` or ``{path:rupiah}`` in a message, and the local that holds its value."""

    field: str
    path: str
    spec: str


@dataclass(frozen=True)
class Variant:
    """A rule's checked condition for one business type (score rules have one per candidate).

    ``values`` are the always-present paths the rule reads (check, condition and message), each
    with its tree node, in an order where a path comes after the paths it is read through.
    """

    check: Expr
    when: Expr | None
    values: dict[str, Field]

    @property
    def exprs(self) -> tuple[Expr, ...]:
        """The condition (if any) and the check."""
        return (self.check,) if self.when is None else (self.when, self.check)


@dataclass(frozen=True)
class Rule:
    """A checked rule, ready to compile into an engine."""

    id: str
    ruleset: str
    title: Text
    reference: str
    kind: str
    applies_to: frozenset[str] | None
    on_fail: str
    refer: str | None
    points: int
    reason: Text
    passed: Text | None
    check_source: str
    when_source: str | None
    variants: dict[str | None, Variant]
    placeholders: tuple[Placeholder, ...] = ()
    line: int | None = None
    column: int | None = None

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """Paths into the application the rule reads (check, condition and message)."""
        paths: list[str] = []
        variant = next(iter(self.variants.values()))
        for expr in variant.exprs:
            paths.extend(expr.reads)
        paths.extend(
            p.path
            for p in self.placeholders
            if not p.path.startswith("params.") and p.path not in CONTEXT_PLACEHOLDERS
        )
        return tuple(dict.fromkeys(paths))

    @cached_property
    def params(self) -> tuple[str, ...]:
        """Parameters the rule compares against: its thresholds."""
        names: list[str] = []
        variant = next(iter(self.variants.values()))
        for expr in variant.exprs:
            names.extend(expr.params)
        names.extend(p.path[7:] for p in self.placeholders if p.path.startswith("params."))
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Example:
    """A worked example from a ruleset file."""

    name: str
    on: date
    application: Application
    expect: Expectation
    ruleset: str
    file: str
    line: int | None
    positions: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Where each rule id under ``expect`` is written: rule id -> (line, column)."""


@dataclass(frozen=True)
class Invariant:
    """A checked invariant: a property every decided application must have.

    ``holds`` (and ``when``, if given) were checked like a requirement rule's check, with the
    extra name ``decision``; ``values`` holds the always-present paths they read.
    """

    id: str
    ruleset: str
    title: Text
    holds: Expr
    when: Expr | None
    values: dict[str, Field]
    reference: str | None = None
    other_rules: tuple[str, ...] = ()
    """Texts in the expressions that look like ids of rules in *other* rulesets: the loader cannot
    see those rulesets, so they are checked when the invariant is run against a whole book."""
    line: int | None = None
    column: int | None = None

    @property
    def params(self) -> tuple[str, ...]:
        """Parameters of the ruleset the invariant compares against."""
        compiled = (self.holds,) if self.when is None else (self.when, self.holds)
        return tuple(dict.fromkeys(name for c in compiled for name in c.params))

    @property
    def uses_fit(self) -> bool:
        """Whether the invariant reads the planned business type's fit score."""
        return self.holds.uses_fit or (self.when is not None and self.when.uses_fit)


@dataclass(frozen=True)
class Ruleset:
    """A loaded, checked ruleset."""

    id: str
    title: Text
    description: Text | None
    version: str | None
    file: str
    digest: str
    plugin: str
    parameters: dict[str, Parameter]
    rules: tuple[Rule, ...]
    examples: tuple[Example, ...] = field(default=())
    line: int | None = None
    column: int | None = None
    invariants: tuple[Invariant, ...] = field(default=())
