"""Reading applications from files: JSON, JSON Lines and CSV, each record with where it came from.

A record that cannot be parsed is yielded with its problem rather than raised, so one bad line never
stops a batch, and every record of a file is accounted for.
"""

from __future__ import annotations

import csv
import json
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bansos_rules.models import Application

__all__ = ["FORMATS", "Record", "UnreadableInput", "read_records"]

FORMATS = ("json", "jsonl", "csv")
_LIST_SEPARATOR = ";"


class UnreadableInput(Exception):
    """A whole input file cannot be read (missing, not text, not the format its name says)."""


@dataclass(frozen=True)
class Record:
    """One input record: its data, or the reason it could not be parsed, and where it is."""

    source: str
    number: int
    line: int | None
    data: dict[str, Any] | None
    problem: str | None = None

    @property
    def where(self) -> str:
        """``file:line`` when the line is known, else ``file (record N)``."""
        if self.line is not None:
            return f"{self.source}:{self.line}"
        return f"{self.source} (record {self.number})"


def detect_format(path: Path) -> str:
    """The format a file's name says: ``.json``, ``.jsonl``/``.ndjson`` or ``.csv``."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    raise UnreadableInput(f"{path}: unknown format {suffix!r}; use .json, .jsonl or .csv")


def read_records(
    path: Path, fmt: str | None = None, *, shown: str | None = None
) -> Iterator[Record]:
    """Every record in ``path``, in order.

    :param path: the file to read (``-`` reads JSON Lines from standard input).
    :param fmt: ``json``, ``jsonl`` or ``csv``; from the file name when omitted.
    :param shown: the name to show in messages.
    :raises UnreadableInput: when the file as a whole cannot be read.
    """
    if str(path) == "-":
        name, fmt, text = "<stdin>", fmt or "jsonl", sys.stdin.read()
    else:
        name = shown or str(path)
        fmt = fmt or detect_format(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise UnreadableInput(f"{name}: cannot read: {exc}") from exc
    if fmt == "jsonl":
        yield from _jsonl(text, name)
    elif fmt == "json":
        yield from _json(text, name)
    elif fmt == "csv":
        yield from _csv(text, name)
    else:
        raise UnreadableInput(f"{name}: unknown format {fmt!r}")


def _jsonl(text: str, name: str) -> Iterator[Record]:
    number = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        number += 1
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(
                name, number, lineno, None, f"invalid JSON at column {exc.colno}: {exc.msg}"
            )
            continue
        if not isinstance(data, dict):
            yield Record(name, number, lineno, None, "a record must be a JSON object")
            continue
        yield Record(name, number, lineno, data)


def _json(text: str, name: str) -> Iterator[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    items = data if isinstance(data, list) else [data]
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            yield Record(name, number, None, None, "a record must be a JSON object")
        else:
            yield Record(name, number, 1 if len(items) == 1 else None, item)


def _csv(text: str, name: str) -> Iterator[Record]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        return
    for number, row in enumerate(reader, 1):
        lineno = reader.line_num
        try:
            data = unflatten(row)
        except ValueError as exc:
            yield Record(name, number, lineno, None, str(exc))
            continue
        yield Record(name, number, lineno, data)


def unflatten(row: dict[str, str | None]) -> dict[str, Any]:
    """A nested application from a flat CSV row with dotted headers.

    ``applicant.nik`` sets a field; ``plan.items.0.name`` sets a field of a list item; a list of
    texts is written ``food;drinks``; a cell starting with ``[`` or ``{`` is read as JSON; an empty
    cell leaves the field out.
    """
    result: dict[str, Any] = {}
    for header, raw in row.items():
        if header is None:
            raise ValueError("the row has more cells than the header")
        value = (raw or "").strip()
        if not value:
            continue
        parts = header.strip().split(".")
        if value[0] in "[{":
            try:
                parsed: Any = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"column {header!r}: invalid JSON: {exc.msg}") from exc
        elif _is_text_list(parts):
            parsed = [v.strip() for v in value.split(_LIST_SEPARATOR) if v.strip()]
        else:
            parsed = value
        _put(result, parts, parsed, header)
    nested: dict[str, Any] = _lists(result)
    return nested


def _put(node: dict[str, Any], parts: list[str], value: Any, header: str) -> None:
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"column {header!r} conflicts with another column")
        node = child
    if parts[-1] in node:
        raise ValueError(f"column {header!r} conflicts with another column")
    node[parts[-1]] = value


def _lists(node: Any) -> Any:
    """Turn mappings whose keys are all digits (``items.0``, ``items.1``) into lists."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def _is_text_list(parts: list[str]) -> bool:
    """Whether the dotted path names a tuple-of-text field of the application model."""
    model: Any = Application
    annotation: Any = None
    for part in parts:
        if part.isdigit():
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return False
        info = model.model_fields.get(part)
        if info is None:
            return False
        annotation = _unwrap(info.annotation)
        if typing.get_origin(annotation) is tuple:
            item = _unwrap(typing.get_args(annotation)[0])
            model = item
            annotation_is_text_list = item is str or typing.get_origin(item) is typing.Literal
        else:
            model = annotation
            annotation_is_text_list = False
    return bool(annotation is not None and annotation_is_text_list)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation
