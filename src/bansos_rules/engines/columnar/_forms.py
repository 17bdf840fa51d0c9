"""How a function rule expressions call is written in Polars: the columnar form of a function.

A function registered through ``register_functions`` runs on Python values in the native engine.
The columnar engine never calls it row by row: it needs the function's *columnar form*, a builder
that receives the arguments as :class:`Arg` (a Polars expression, and the Python value when the
argument is known when the rules are compiled, such as a parameter) and returns one Polars
expression computing the function for every row.

A plugin declares it with the :func:`columnar_form` decorator on the function it registers::

    import polars as pl
    from bansos_rules.engines.columnar import Arg, columnar_form

    def _starts_with_form(text: Arg, prefix: Arg) -> pl.Expr:
        return text.expr.str.starts_with(prefix.expr)

    @columnar_form(_starts_with_form)
    def starts_with(text: str, prefix: str) -> bool:
        return text.startswith(prefix)

A function without a columnar form makes the columnar engine refuse to compile, naming the rule
that calls it and where (:class:`~bansos_rules.engines.columnar.ColumnarCompileError`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import polars as pl

from bansos_rules.ruleset.vocabulary import overlaps

__all__ = ["COLUMNAR_ATTRIBUTE", "Arg", "ColumnarForm", "columnar_form", "form_of"]

COLUMNAR_ATTRIBUTE = "__bansos_columnar__"
"""The attribute :func:`columnar_form` sets on a function."""

_NO_VALUE: Any = object()


@dataclass(frozen=True)
class Arg:
    """One argument of a function call, as the columnar engine hands it to a builder.

    :param expr: the Polars expression of the argument (a literal when the value is known).
    :param value: the Python value when it is known at compile time (a parameter, a literal),
        else :attr:`unknown`.
    :param nullable: whether the value may be ``None`` for some rows.
    """

    expr: pl.Expr
    value: Any = _NO_VALUE
    nullable: bool = False

    @property
    def known(self) -> bool:
        """Whether :attr:`value` holds the argument's value for every row."""
        return self.value is not _NO_VALUE


ColumnarForm = Callable[..., pl.Expr]
"""A builder: ``form(*args: Arg) -> pl.Expr``, one expression for every row."""

F = TypeVar("F", bound=Callable[..., Any])


def columnar_form(form: ColumnarForm) -> Callable[[F], F]:
    """Declare ``form`` as the columnar form of the decorated function (see the module text)."""

    def mark(fn: F) -> F:
        setattr(fn, COLUMNAR_ATTRIBUTE, form)
        return fn

    return mark


# -- the built-in functions -----------------------------------------------------------------------


def _overlaps(first: Arg, second: Arg) -> pl.Expr:
    if second.known:
        return first.expr.list.eval(pl.element().is_in(list(second.value))).list.any()
    if first.known:
        return second.expr.list.eval(pl.element().is_in(list(first.value))).list.any()
    return first.expr.list.set_intersection(second.expr).list.len() > 0


def _whole_years(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """``age_on(start, end)``: whole years from ``start`` to ``end`` when ``start <= end``."""
    early = (end.dt.month() < start.dt.month()) | (
        (end.dt.month() == start.dt.month()) & (end.dt.day() < start.dt.day())
    )
    return end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64) - early.cast(pl.Int64)


def _years_between(start: Arg, end: Arg) -> pl.Expr:
    s, e = start.expr, end.expr
    return pl.when(e < s).then(-_whole_years(e, s)).otherwise(_whole_years(s, e))


def _days_between(start: Arg, end: Arg) -> pl.Expr:
    return (end.expr - start.expr).dt.total_days().cast(pl.Int64)


_BUILT_IN: dict[tuple[str, str], ColumnarForm] = {
    (overlaps.__module__, overlaps.__qualname__): _overlaps,
    # The built-in functions plugin's (named, not imported: engines import no built-in plugin).
    ("bansos_rules.plugins.functions", "years_between"): _years_between,
    ("bansos_rules.plugins.functions", "days_between"): _days_between,
}


def form_of(impl: Callable[..., Any]) -> ColumnarForm | None:
    """The columnar form of a registered function, if it has one."""
    form = getattr(impl, COLUMNAR_ATTRIBUTE, None)
    if form is not None:
        return form  # type: ignore[no-any-return]
    key = (getattr(impl, "__module__", ""), getattr(impl, "__qualname__", ""))
    return _BUILT_IN.get(key)


whole_years = _whole_years
