"""The types of the rule-expression language, and how model fields map onto them."""

from __future__ import annotations

import types as pytypes
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from bansos_rules._messages import Lang

__all__ = [
    "BOOL",
    "DATE",
    "INT",
    "NONE",
    "STR",
    "Attr",
    "Obj",
    "Opt",
    "Prim",
    "Seq",
    "Ty",
    "assignable",
    "describe",
    "from_annotation",
    "model_type",
]


class Ty:
    """A type in the expression language."""


@dataclass(frozen=True)
class Prim(Ty):
    """A scalar: ``int``, ``bool``, ``str``, ``date`` or ``none``; text may list its choices."""

    name: str
    choices: frozenset[str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Opt(Ty):
    """A value that may be missing (``None``)."""

    inner: Ty


@dataclass(frozen=True)
class Seq(Ty):
    """A list of values of one type; ``limit`` is the most items it can hold, when known."""

    item: Ty
    limit: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Attr:
    """A field of an object type; ``derived`` names a runtime helper that computes it."""

    type: Ty
    derived: str | None = None
    doc: str = ""


@dataclass(frozen=True, eq=False)
class Obj(Ty):
    """A record with named fields (a model, the parameters, the fit score)."""

    name: str
    fields: Mapping[str, Attr]


INT = Prim("int")
BOOL = Prim("bool")
STR = Prim("str")
DATE = Prim("date")
NONE = Prim("none")

_NAMES: dict[str, tuple[str, str]] = {
    "int": ("bilangan bulat", "a whole number"),
    "bool": ("benar/salah", "true/false"),
    "str": ("teks", "text"),
    "date": ("tanggal", "a date"),
    "none": ("kosong (None)", "None"),
}


_PLURALS = {
    "int": "whole numbers",
    "bool": "true/false values",
    "str": "texts",
    "date": "dates",
    "none": "Nones",
}


def describe(ty: Ty, lang: Lang = "en") -> str:
    """A readable name of ``ty`` in ``lang``."""
    i = 0 if lang == "id" else 1
    if isinstance(ty, Prim):
        return _NAMES[ty.name][i]
    if isinstance(ty, Opt):
        return describe(ty.inner, lang) + (" atau kosong" if lang == "id" else " or None")
    if isinstance(ty, Seq):
        if lang == "en" and isinstance(ty.item, Prim):
            return "a list of " + _PLURALS[ty.item.name]
        return ("daftar " if lang == "id" else "a list of ") + describe(ty.item, lang)
    assert isinstance(ty, Obj)
    return ty.name


def same_base(a: Ty, b: Ty) -> bool:
    """Whether two types are the same, ignoring text choices."""
    if isinstance(a, Prim) and isinstance(b, Prim):
        return a.name == b.name
    if isinstance(a, Opt) and isinstance(b, Opt):
        return same_base(a.inner, b.inner)
    if isinstance(a, Seq) and isinstance(b, Seq):
        return same_base(a.item, b.item)
    return a is b


def assignable(value: Ty, target: Ty) -> bool:
    """Whether a value of type ``value`` may be passed where ``target`` is expected."""
    if same_base(value, target):
        return True
    if isinstance(target, Opt):
        return value == NONE or assignable(value, target.inner)
    return False


def strip_opt(ty: Ty) -> Ty:
    """``T`` for ``Opt(T)``, else ``ty``."""
    return ty.inner if isinstance(ty, Opt) else ty


# Fields computed from the evaluation date, by model: name -> (type, helper, doc).
DerivedSpec = tuple[Ty, str, str]
_DERIVED: dict[str, dict[str, DerivedSpec]] = {}
_PROPERTIES: dict[type[BaseModel], dict[str, tuple[Ty, str]]] = {}
_CACHE: dict[type[BaseModel], Obj] = {}


def register_derived(model: type[BaseModel], name: str, ty: Ty, helper: str, doc: str) -> None:
    """Expose ``model.name`` to expressions, computed by the runtime ``helper(obj, today)``."""
    _DERIVED.setdefault(model.__name__, {})[name] = (ty, helper, doc)
    _CACHE.pop(model, None)


def expose_property(model: type[BaseModel], name: str, ty: Ty, doc: str) -> None:
    """Expose a read-only property of ``model`` to expressions."""
    _PROPERTIES.setdefault(model, {})[name] = (ty, doc)
    _CACHE.pop(model, None)


def model_type(model: type[BaseModel]) -> Obj:
    """The object type of a pydantic model: its fields, exposed properties and derived fields."""
    cached = _CACHE.get(model)
    if cached is not None:
        return cached
    fields: dict[str, Attr] = {}
    for name, info in model.model_fields.items():
        ty = from_annotation(info.annotation)
        if isinstance(ty, Seq):
            limits = [m.max_length for m in info.metadata if hasattr(m, "max_length")]
            ty = Seq(ty.item, min(limits) if limits else None)
        fields[name] = Attr(ty, doc=info.description or "")
    for name, (ty, doc) in _PROPERTIES.get(model, {}).items():
        fields[name] = Attr(ty, doc=doc)
    for name, (ty, helper, doc) in _DERIVED.get(model.__name__, {}).items():
        fields[name] = Attr(ty, derived=helper, doc=doc)
    obj = Obj(model.__name__, fields)
    _CACHE[model] = obj
    return obj


def from_annotation(annotation: Any) -> Ty:
    """The expression type of a Python type annotation (as pydantic stores it)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return from_annotation(args[0])
    if origin in (typing.Union, pytypes.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return Opt(from_annotation(rest[0]))
        raise TypeError(f"unsupported union {annotation!r}")
    if origin is Literal:
        return Prim("str", frozenset(str(a) for a in args))
    if origin in (tuple, list, Sequence, typing.Sequence) or (
        isinstance(origin, type) and issubclass(origin, (tuple, list))
    ):
        return Seq(from_annotation(args[0]))
    if annotation is bool:
        return BOOL
    if annotation is int:
        return INT
    if annotation is str:
        return STR
    if annotation is date:
        return DATE
    if annotation is None or annotation is type(None):
        return NONE
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_type(annotation)
    raise TypeError(f"unsupported annotation {annotation!r}")


@dataclass(frozen=True)
class Function:
    """A function rule expressions may call."""

    name: str
    impl: Callable[..., Any]
    params: tuple[Ty, ...]
    returns: Ty
    doc: str
    plugin: str = "?"
