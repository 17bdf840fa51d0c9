"""JSON from untrusted files, decoded within limits, each problem with the field it is in.

:func:`decode` parses one record's text. Problems the standard decoder would either accept silently
(the same key twice in an object: the last one wins) or fail on with a bare ``RecursionError`` or
``ValueError`` (deep nesting, a number thousands of digits long) become a
:class:`~bansos_rules._input_problems.RecordProblem` naming the field.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from bansos_rules._input_problems import LIMITS, RecordProblem
from bansos_rules._models import unwrap_annotation

__all__ = [
    "BAD_BYTES",
    "DECODER",
    "check_value",
    "decode",
    "deep_place",
    "fields_given",
    "id_number_problem",
    "may_repeat_keys",
    "quick_object",
]


class _Duplicate(dict[str, Any]):
    """An object with a key written twice (the decoder's result for it, to be reported)."""

    key: str = ""


class _LongNumber:
    """A number with more digits than :data:`LIMITS` allows (not converted)."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


class _NotFinite:
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's decoder accepts them, JSON does not."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    duplicate = _Duplicate(pairs)
    for key, _ in pairs:
        if key in seen:
            duplicate.key = key
            break
        seen.add(key)
    return duplicate


_MAX_DIGITS = LIMITS["digits"]


def _int(text: str) -> Any:
    if len(text) > _MAX_DIGITS:
        return _LongNumber(len(text.lstrip("-")))
    return int(text)


def _float(text: str) -> Any:
    if len(text) > 4 * _MAX_DIGITS:
        return _LongNumber(len(text))
    return float(text)


DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_NotFinite
)
"""A decoder whose results :func:`check_value` can check (also for streaming with raw_decode)."""


def decode(text: str) -> tuple[Any, RecordProblem | None]:
    """The value of ``text`` and the first problem in it (``None``: the value is usable)."""
    try:
        value = DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return None, RecordProblem("json-invalid", None, {"column": exc.colno, "detail": exc.msg})
    except RecursionError:
        path, _ = deep_place(text) or ("", 0)
        return None, RecordProblem("too-deep", path or None, {"limit": LIMITS["depth"]})
    return value, check_value(value)


BAD_BYTES = re.compile("[\udc80-\udcff]")
"""Bytes that are not UTF-8, as a file read with ``errors="surrogateescape"`` holds them."""

_ID_FIELDS = {"nik": 16, "kk_number": 16, "recipient_nik": 16}
_MANGLED = re.compile(r"^[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+$")


def id_number_problem(key: str, value: Any, path: str) -> RecordProblem | None:
    """A NIK or KK number that a spreadsheet turned into a number in scientific notation."""
    digits = _ID_FIELDS.get(key)
    if digits is None:
        return None
    if isinstance(value, float) or (isinstance(value, str) and _MANGLED.match(value.strip())):
        shown = value.strip() if isinstance(value, str) else repr(value)
        return RecordProblem("number-mangled", path, {"value": shown, "digits": digits})
    return None


def check_value(value: Any) -> RecordProblem | None:
    """The first problem in a decoded value: depth, sizes, repeated keys, mangled numbers.

    Containers are walked with their path as a tuple, made into text only for the problem found;
    texts, whole numbers, booleans and ``null`` are checked where they stand.
    """
    stack: list[tuple[Any, tuple[Any, ...], int]] = [({"": value}, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return RecordProblem("too-deep", _dotted(path), {"limit": _MAX_DEPTH})
        if type(node) is list:
            if len(node) > _MAX_ITEMS:
                return RecordProblem("list-too-long", _dotted(path), {
                    "length": len(node), "limit": _MAX_ITEMS})  # fmt: skip
            items: Any = enumerate(node)
        else:
            if type(node) is _Duplicate:
                where = _dotted((*path, node.key))
                return RecordProblem("duplicate-key", where, {"key": node.key})
            items = node.items()
        for key, child in items:
            kind = type(child)
            if kind is dict or kind is list or kind is _Duplicate:
                stack.append((child, (*path, key) if depth else (), depth + 1))
            elif kind is str:
                if len(child) > _MAX_TEXT or (not child.isascii() and BAD_BYTES.search(child)):
                    return _text_problem(child, _dotted((*path, key) if depth else ()))
                if key in _ID_FIELDS and _MANGLED.match(child.strip()):
                    return id_number_problem(key, child, _dotted((*path, key)) or key)
            elif kind is int or kind is bool or child is None:
                pass
            else:
                problem = _scalar_problem(key, child, _dotted((*path, key) if depth else ()))
                if problem is not None:
                    return problem
            if type(key) is str and (len(key) > _MAX_TEXT or not key.isascii()):
                problem = _text_problem(key, _dotted((*path, key)))
                if problem is not None:
                    return problem
    return None


_MAX_DEPTH = LIMITS["depth"]
_MAX_TEXT = LIMITS["text_chars"]
_MAX_ITEMS = LIMITS["list_items"]


def _dotted(path: tuple[Any, ...]) -> str | None:
    return ".".join(map(str, path)) or None


def _text_problem(text: str, where: str | None) -> RecordProblem | None:
    if len(text) > _MAX_TEXT:
        return RecordProblem("text-too-long", where, {"length": len(text), "limit": _MAX_TEXT})
    if BAD_BYTES.search(text):
        return RecordProblem("not-utf8-text", where)
    return None


def _scalar_problem(key: Any, value: Any, where: str | None) -> RecordProblem | None:
    if type(value) is _LongNumber:
        return RecordProblem("number-too-long", where, {
            "digits": value.digits, "limit": _MAX_DIGITS})  # fmt: skip
    if type(value) is _NotFinite:
        return RecordProblem("number-not-finite", where, {"value": value.text})
    if type(key) is str:
        return id_number_problem(key, value, where or key)
    return None


def _refuse(constant: str) -> Any:
    raise ValueError(constant)


def quick_object(text: str) -> dict[str, Any] | None:
    """The JSON object ``text`` holds, by the standard decoder alone (C speed), or ``None`` when
    it must be read the careful way (:func:`decode`): it is not an object, it is not plain JSON
    (``NaN``, a number too long to convert, nesting past the recursion limit), or a key may be
    written twice. The last is told by the colons: re-encoding the value keeps every text and
    every distinct key, so one fewer colon than in ``text`` means a key was dropped."""
    try:
        value = _PLAIN(text)
    except (ValueError, RecursionError):
        return None
    if type(value) is not dict or text.count(":") != _ENCODE(value).count(":"):
        return None
    return value


_PLAIN = json.JSONDecoder(parse_constant=_refuse).decode
_ENCODE = json.JSONEncoder(check_circular=False).encode  # decoded JSON has no cycles


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[\[\]{},]')


def deep_place(text: str, limit: int | None = None) -> tuple[str, int] | None:
    """The field path and offset where ``text`` first nests deeper than ``limit``."""
    limit = LIMITS["depth"] if limit is None else limit
    stack: list[list[Any]] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            if token.endswith(":") and stack and stack[-1][0] == "{":
                try:
                    stack[-1][1] = json.loads(token[: token.rindex('"') + 1])
                except ValueError:
                    stack[-1][1] = "?"
        elif first in "[{":
            if len(stack) >= limit:
                return _path(stack), match.start()
            stack.append([first, 0 if first == "[" else None])
        elif first in "]}":
            if stack:
                stack.pop()
        elif stack and stack[-1][0] == "[":
            stack[-1][1] += 1
    return None


def _path(stack: list[list[Any]]) -> str:
    return ".".join(str(part) for _, part in stack if part is not None)


def _submodels(cls: type[BaseModel]) -> list[tuple[str, bool, type[BaseModel]]]:
    """The fields of ``cls`` that hold a model (``False``) or a tuple of models (``True``)."""
    rows: list[tuple[str, bool, type[BaseModel]]] = []
    for name, info in cls.model_fields.items():
        annotation = unwrap_annotation(info.annotation)
        many = typing.get_origin(annotation) is tuple
        if many:
            annotation = unwrap_annotation(typing.get_args(annotation)[0])
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.append((name, many, annotation))
    return rows


_COUNTERS: dict[type[BaseModel], Callable[[Any], int]] = {}


def _counter(cls: type[BaseModel]) -> Callable[[Any], int]:
    """A function counting the fields set in a ``cls`` and the models inside it, generated from
    the model's fields (read on every JSON Lines record: straight-line code, no lookups)."""
    counter = _COUNTERS.get(cls)
    if counter is not None:
        return counter
    lines: list[str] = []
    namespace: dict[str, Any] = {}
    order: list[type[BaseModel]] = []
    pending = [cls]
    while pending:
        model = pending.pop()
        if model in order:
            continue
        order.append(model)
        lines += [f"def _c{id(model)}(m):", "    n = len(m.__pydantic_fields_set__)"]
        for name, many, sub in _submodels(model):
            pending.append(sub)
            if many:
                lines += [f"    for x in m.{name}:", f"        n += _c{id(sub)}(x)"]
            else:
                lines += [f"    v = m.{name}", "    if v is not None:"]
                lines.append(f"        n += _c{id(sub)}(v)")
        lines.append("    return n")
    exec(compile("\n".join(lines) + "\n", "<bansos_rules fields_given>", "exec"), namespace)
    for model in order:
        _COUNTERS.setdefault(model, namespace[f"_c{id(model)}"])
    return _COUNTERS[cls]


def fields_given(model: BaseModel) -> int:
    """How many fields the input of ``model`` set, in it and every model inside it: for a model
    validated from JSON, the number of distinct keys of its objects."""
    return _counter(type(model))(model)


def may_repeat_keys(text: str, model: BaseModel) -> bool:
    """Whether the JSON ``text`` that validated into ``model`` may have written a key twice
    (pydantic keeps the last silently). ``False`` is certain: an object key is followed by a
    colon, so when there are no more colons than distinct keys, no key is repeated."""
    return text.count(":") != _counter(type(model))(model)
