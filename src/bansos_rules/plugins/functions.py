"""Functions rule expressions can call, beyond the built-in len/any/all/sum/count/min/max/abs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bansos_rules.hookspecs import hookimpl
from bansos_rules.ruleset.vocabulary import age_on, overlaps


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
