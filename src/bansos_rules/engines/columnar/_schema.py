"""The application as columns: the Polars schema the models describe, and frames of models.

Every field of :class:`~bansos_rules._models.Application` becomes a column of the same name:
nested models are struct columns (``applicant``, ``household``, ``plan``) and lists (plan items,
household members, aid history, skills) are list columns, of structs where the items are models.
Whole numbers are ``Int64``, dates ``Date``, texts and choices ``String``.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

import polars as pl
from pydantic import BaseModel

from bansos_rules._models import Application, unwrap_annotation

__all__ = ["application_schema", "dtype_of", "frame_of"]


def dtype_of(annotation: Any) -> pl.DataType:
    """The Polars type of a model field's annotation."""
    inner = unwrap_annotation(annotation)
    origin = typing.get_origin(inner)
    if origin is typing.Literal or inner is str:
        return pl.String()
    if inner is bool:
        return pl.Boolean()
    if inner is int:
        return pl.Int64()
    if inner is date:
        return pl.Date()
    if origin in (tuple, list):
        return pl.List(dtype_of(typing.get_args(inner)[0]))
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return pl.Struct(_fields(inner))
    raise TypeError(f"no column type for {annotation!r}")


def _fields(model: type[BaseModel]) -> dict[str, pl.DataType]:
    return {name: dtype_of(info.annotation) for name, info in model.model_fields.items()}


@cache
def application_schema() -> pl.Schema:
    """The schema of a frame of applications (one column per field of the model)."""
    return pl.Schema(_fields(Application))


def frame_of(applications: Iterable[Application]) -> pl.DataFrame:
    """A frame of valid applications, in the :func:`application_schema`."""
    rows = [app.model_dump() for app in applications]
    return pl.DataFrame(rows, schema=application_schema(), orient="row" if not rows else None)
