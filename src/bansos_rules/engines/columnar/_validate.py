"""Validation of applications on columns, equivalent to the pydantic models.

:func:`conform` takes a frame as a reader found it (any column types) and returns it in the
:func:`~._schema.application_schema`, with two row masks:

``suspect``
    rows the models might judge differently from a plain reading of the columns: a missing
    required value, a value outside its constraints (``ge``/``le``, lengths, patterns, choices, the
    NIK's structure), a type other than the schema's (a text where a number belongs), an unknown
    field, a text with surrounding spaces, an unregistered business type;
``defaulted``
    rows where a field that has a default (``occupation``, ``assets``, lists) is null: absent
    fields read as null, so the default is filled in, as the models do for an absent field.

The constraints are read from the models' own field metadata, so a constraint added to a model is
checked here too; a model with a validator this module does not know makes every row suspect
(still correct, only slower). The reader then hands each suspect row to the models themselves,
which either reject it — its problems, with field paths, are reported exactly as the other engines
report them — or accept it, and the row is decided like any other. So every row the models reject
is reported and every other row is decided, while valid rows never leave the columns.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import annotated_types as at
import polars as pl
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bansos_rules._identity import _DAYS_IN_MONTH
from bansos_rules._models import Application, unwrap_annotation
from bansos_rules.engines.columnar._schema import application_schema, dtype_of

__all__ = ["Conformed", "conform", "conform_lazy"]

_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _nik_bad(nik: pl.Expr) -> pl.Expr:
    """Where :func:`bansos_rules._identity.nik_problems` finds a problem in a 16-digit NIK."""
    day = nik.str.slice(6, 2).cast(pl.Int64, strict=False)
    month = nik.str.slice(8, 2).cast(pl.Int64, strict=False)
    ok_day = day.is_between(1, 31) | day.is_between(41, 71)
    ok_month = month.is_between(1, 12)
    days = month.replace_strict(
        list(range(13)), list(_DAYS_IN_MONTH), default=0, return_dtype=pl.Int64
    )
    return (
        ~ok_day
        | ~ok_month
        | (ok_day & ok_month & (day % 40 > days))
        | (nik.str.slice(12, 4) == "0000")
        | (nik.str.slice(0, 2) == "00")
        | (nik.str.slice(2, 2) == "00")
    ).fill_null(True)


_KNOWN_VALIDATORS: dict[tuple[str, str], tuple[str, Callable[[pl.Expr], pl.Expr]]] = {
    ("Beneficiary", "_nik_well_formed"): ("nik", _nik_bad),
}
"""The models' field validators, each with the field it checks and its columnar form."""


@dataclass
class _Checks:
    """What a value must satisfy (gathered from a field's annotation and metadata)."""

    ge: list[int] = field(default_factory=list)
    le: list[int] = field(default_factory=list)
    gt: list[int] = field(default_factory=list)
    lt: list[int] = field(default_factory=list)
    min_len: list[int] = field(default_factory=list)
    max_len: list[int] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    unknown: bool = False

    def add(self, meta: Any) -> None:
        if isinstance(meta, at.Ge):
            self.ge.append(int(meta.ge))  # type: ignore[call-overload]
        elif isinstance(meta, at.Le):
            self.le.append(int(meta.le))  # type: ignore[call-overload]
        elif isinstance(meta, at.Gt):
            self.gt.append(int(meta.gt))  # type: ignore[call-overload]
        elif isinstance(meta, at.Lt):
            self.lt.append(int(meta.lt))  # type: ignore[call-overload]
        elif isinstance(meta, at.MinLen):
            self.min_len.append(meta.min_length)
        elif isinstance(meta, at.MaxLen):
            self.max_len.append(meta.max_length)
        elif isinstance(meta, FieldInfo):
            for inner in meta.metadata:
                self.add(inner)
        else:
            found = False
            lists: dict[str, list[Any]] = {
                "pattern": self.patterns,
                "min_length": self.min_len,
                "max_length": self.max_len,
            }
            for name, target in lists.items():
                value = getattr(meta, name, None)
                if value is not None:
                    found = True
                    target.append(value)
            others = ("strip_whitespace", "to_upper", "to_lower", "strict", "ascii_only")
            if any(getattr(meta, n, None) for n in others) or (
                not found and type(meta).__name__ not in ("_PydanticGeneralMetadata",)
            ):
                self.unknown = True


def _annotation_checks(annotation: Any, checks: _Checks) -> Any:
    """Gather the constraints written in an annotation; return the annotation's inner type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *metas = typing.get_args(annotation)
            for m in metas:
                checks.add(m)
            annotation = base
        elif origin in (typing.Union, __import__("types").UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                checks.unknown = True
                return annotation
            annotation = args[0]
        else:
            return annotation


@dataclass
class Conformed:
    """A frame in the application schema, and which rows need the models' judgement."""

    frame: pl.DataFrame
    suspect: pl.Series
    defaulted: pl.Series


class _Conformer:
    def __init__(self, registered: Sequence[str]) -> None:
        self.registered = list(registered)

    def value(
        self, expr: pl.Expr, have: Any, annotation: Any, checks: _Checks
    ) -> tuple[pl.Expr, list[pl.Expr]]:
        """``expr`` (read as ``have``) as the schema's type for ``annotation``; where it is bad.

        Masks are at the level of ``expr`` (elements, inside a list) and true only where the
        value is present.
        """
        optional = _is_optional(annotation)
        inner = _annotation_checks(annotation, checks)
        want = dtype_of(inner)
        origin = typing.get_origin(inner)
        bad: list[pl.Expr] = []
        present = expr.is_not_null()
        if isinstance(have, pl.Null):
            return pl.lit(None, dtype=want), []
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            if not isinstance(have, pl.Struct):
                return pl.lit(None, dtype=want), [present]
            out, inner_bad = self.model(expr, have, inner)
            if optional:
                out = pl.when(present).then(out)
            bad += [present & b for b in inner_bad]
        elif origin in (tuple, list):
            if not isinstance(have, pl.List):
                return pl.lit(None, dtype=want), [present]
            elem_ann = typing.get_args(inner)[0]
            elem_out, elem_bad = self.value(pl.element(), have.inner, elem_ann, _Checks())
            out = expr.list.eval(elem_out)
            if not _is_optional(elem_ann):
                elem_bad = [pl.element().is_null(), *elem_bad]
            if elem_bad:
                bad.append(expr.list.eval(pl.any_horizontal(elem_bad)).list.any().fill_null(False))
            length = expr.list.len()
            bad += [present & (length < n) for n in checks.min_len]
            bad += [present & (length > n) for n in checks.max_len]
        elif inner is date:
            if isinstance(have, pl.Date):
                out = expr
            elif isinstance(have, pl.String):
                out = expr.str.to_date("%Y-%m-%d", strict=False)
                bad.append(present & (out.is_null() | ~expr.str.contains(_DATE_TEXT)))
            else:
                return pl.lit(None, dtype=want), [present]
        elif inner is bool:
            if not isinstance(have, pl.Boolean):
                return pl.lit(None, dtype=want), [present]
            out = expr
        elif inner is int:
            if not have.is_integer():
                return pl.lit(None, dtype=want), [present]
            out = expr.cast(pl.Int64, strict=False)
            bad.append(present & out.is_null())
            bad += [present & (out < n) for n in checks.ge]
            bad += [present & (out > n) for n in checks.le]
            bad += [present & (out <= n) for n in checks.gt]
            bad += [present & (out >= n) for n in checks.lt]
        elif inner is str or origin is typing.Literal:
            if not isinstance(have, pl.String):
                return pl.lit(None, dtype=want), [present]
            out = expr
            bad.append(present & (expr != expr.str.strip_chars()))
            length = expr.str.len_chars()
            bad += [present & (length < n) for n in checks.min_len]
            bad += [present & (length > n) for n in checks.max_len]
            bad += [present & ~expr.str.contains(p) for p in checks.patterns]
            if origin is typing.Literal:
                choices = [str(a) for a in typing.get_args(inner)]
                bad.append(present & ~expr.is_in(choices))
        else:  # pragma: no cover - every model field type is listed above
            return pl.lit(None, dtype=want), [present]
        if checks.unknown:
            bad.append(present)
        return out, [b.fill_null(True) for b in bad]

    def model(
        self, expr: pl.Expr, have: pl.Struct, model: type[BaseModel]
    ) -> tuple[pl.Expr, list[pl.Expr]]:
        """A struct value checked field by field (``expr`` is not null where this is used)."""
        have_fields = {f.name: f.dtype for f in have.fields}
        fields, bad = self._fields(lambda name: expr.struct.field(name), have_fields, model)
        return pl.struct(fields), bad

    def _fields(
        self,
        get: Callable[[str], pl.Expr],
        have_fields: Mapping[str, Any],
        model: type[BaseModel],
    ) -> tuple[list[pl.Expr], list[pl.Expr]]:
        out: list[pl.Expr] = []
        bad: list[pl.Expr] = []
        for name in have_fields:
            if name not in model.model_fields:  # extra="forbid"
                bad.append(get(name).is_not_null())
        validators = model.__pydantic_decorators__
        known = {v: _KNOWN_VALIDATORS.get((model.__name__, v)) for v in validators.field_validators}
        unknown = any(k is None for k in known.values()) or bool(validators.model_validators)
        for name, info in model.model_fields.items():
            checks = _Checks()
            for meta in info.metadata:
                checks.add(meta)
            want = dtype_of(info.annotation)
            if name in have_fields:
                value, value_bad = self.value(get(name), have_fields[name], info.annotation, checks)
                source = get(name)
            else:
                value, value_bad, source = pl.lit(None, dtype=want), [], pl.lit(None)
            bad += value_bad
            optional = _is_optional(info.annotation)
            if info.is_required():
                bad.append(source.is_null())
            elif not optional:
                value = _fill_default(value, info, want)
            for spec in known.values():
                if spec is not None and spec[0] == name:
                    bad.append(source.is_not_null() & spec[1](value))
            if model is Application and name == "plan":
                bt = value.struct.field("business_type")
                bad.append(bt.is_not_null() & ~bt.is_in(self.registered))
            out.append(value.alias(name))
        if unknown:
            bad.append(pl.lit(True))
        return out, bad

    def nulls(self, schema: Mapping[str, Any]) -> pl.Expr:
        """Where a field that has a default is null (anywhere in the record)."""
        masks: list[pl.Expr] = []
        _null_defaults(lambda n: pl.col(n), schema, Application, masks, pl.lit(True))
        return pl.any_horizontal(masks) if masks else pl.lit(False)


def _null_defaults(
    get: Callable[[str], pl.Expr],
    have_fields: Mapping[str, Any],
    model: type[BaseModel],
    masks: list[pl.Expr],
    present: pl.Expr,
) -> None:
    for name, info in model.model_fields.items():
        have = have_fields.get(name)
        if have is None:
            continue
        value = get(name)
        if not info.is_required() and not _is_optional(info.annotation):
            masks.append(present & value.is_null())
        inner = unwrap_annotation(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel) and isinstance(have, pl.Struct):
            sub = {f.name: f.dtype for f in have.fields}
            _null_defaults(
                _field_of(value),
                sub,
                inner,
                masks,
                present & value.is_not_null(),
            )
        elif typing.get_origin(inner) in (tuple, list) and isinstance(have, pl.List):
            elem = unwrap_annotation(typing.get_args(inner)[0])
            if (
                isinstance(elem, type)
                and issubclass(elem, BaseModel)
                and isinstance(have.inner, pl.Struct)
            ):
                sub = {f.name: f.dtype for f in have.inner.fields}
                inner_masks: list[pl.Expr] = []
                _null_defaults(
                    lambda n: pl.element().struct.field(n), sub, elem, inner_masks, pl.lit(True)
                )
                if inner_masks:
                    masks.append(
                        value.list.eval(pl.any_horizontal(inner_masks)).list.any().fill_null(False)
                    )


def _field_of(struct: pl.Expr) -> Callable[[str], pl.Expr]:
    return lambda name: struct.struct.field(name)


def _is_optional(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_optional(typing.get_args(annotation)[0])
    return origin in (typing.Union, __import__("types").UnionType) and type(
        None
    ) in typing.get_args(annotation)


def _fill_default(value: pl.Expr, info: FieldInfo, want: pl.DataType) -> pl.Expr:
    default = info.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        # A struct of defaults: its fields were filled one by one (they are all null here).
        return value
    if isinstance(default, tuple | list):
        empty = pl.lit(pl.Series([list(default)], dtype=want)).first()
        return pl.when(value.is_null()).then(empty).otherwise(value)
    return value.fill_null(pl.lit(default, dtype=want))


def conform_lazy(
    frame: pl.LazyFrame, registered: Sequence[str], *, keep: Sequence[str] = ()
) -> pl.LazyFrame:
    """``frame`` in the application schema plus the ``__suspect`` and ``__defaulted`` columns
    (and the columns ``keep``), for a streaming query."""
    conformer = _Conformer(registered)
    have = {k: v for k, v in frame.collect_schema().items() if k not in keep}
    fields, bad = conformer._fields(lambda n: pl.col(n), have, Application)
    schema = application_schema()
    return frame.select(
        *(pl.col(k) for k in keep),
        *(f.cast(schema[f.meta.output_name()]) for f in fields),
        (pl.any_horizontal(bad) if bad else pl.lit(False)).alias("__suspect"),
        conformer.nulls(have).alias("__defaulted"),
    )


def conform(frame: pl.DataFrame, registered: Sequence[str]) -> Conformed:
    """``frame`` in the application schema, with its suspect and defaulted rows (see above).

    :param registered: the registered business types.
    """
    result = conform_lazy(frame.lazy(), registered).collect()
    out = result.select(list(application_schema().names()))
    return Conformed(out, result.get_column("__suspect"), result.get_column("__defaulted"))
