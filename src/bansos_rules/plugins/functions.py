"""Functions rule expressions can call, beyond the built-in len/any/all/sum/count/min/max/abs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bansos_rules.hookspecs import hookimpl
from bansos_rules.ruleset.vocabulary import age_on


def overlaps(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """Whether the two lists have at least one item in common."""
    # The lists are a handful of items: a scan is several times faster than building a set.
    # Called for every business type on every decision, on lists of a few items: a plain loop
    # is three times faster than any() over a generator or building a set.
    for item in first:  # noqa: SIM110
        if item in second:
            return True
    return False


def years_between(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    if end < start:
        return -age_on(end, start)
    return age_on(start, end)


def days_between(start: date, end: date) -> int:
    """Days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start).days


@hookimpl
def register_functions(register: Callable[..., None]) -> None:
    """Register the built-in expression functions."""
    for fn in (overlaps, years_between, days_between):
        register(fn)
