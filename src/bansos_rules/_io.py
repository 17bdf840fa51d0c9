"""Reading applications from files: JSON, JSON Lines and CSV, each record with where it came from.

A record that cannot be parsed is yielded with its problem rather than raised, so one bad line never
stops a batch, and every record of a file is accounted for.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sys
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from pydantic import BaseModel

from bansos_rules._errors import BansosRulesError
from bansos_rules._models import Application, unwrap_annotation

__all__ = ["FORMATS", "Record", "UnreadableInput", "read_records"]

FORMATS = ("json", "jsonl", "csv")
_LIST_SEPARATOR = ";"


class UnreadableInput(BansosRulesError):
    """A whole input file cannot be read (missing, not text, not the format its name says)."""


@dataclass(frozen=True)
class Record:
    """One input record: its data, or the reason it could not be parsed, and where it is."""

    source: str
    number: int
    line: int | None
    data: dict[str, Any] | None
    problem: str | None = None
    text: str | None = None
    """The JSON text of a JSON Lines record read with ``raw=True``, not parsed yet."""

    def parsed(self) -> Record:
        """The record with its JSON text parsed into ``data`` (or a ``problem``)."""
        if self.text is None:
            return self
        return _line_record(self.source, self.number, self.line or 0, self.text)

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
    path: Path, fmt: str | None = None, *, shown: str | None = None, raw: bool = False
) -> Iterator[Record]:
    """Every record in ``path``, in order, read as it is consumed.

    The file is streamed: only the current line (JSON Lines, CSV) or the current element of a
    JSON array is held, so memory does not grow with the number of records.

    :param path: the file to read (``-`` reads JSON Lines from standard input).
    :param fmt: ``json``, ``jsonl`` or ``csv``; from the file name when omitted.
    :param shown: the name to show in messages.
    :param raw: leave JSON Lines records as their text (:attr:`Record.text`), for a reader that
        parses them itself; :meth:`Record.parsed` parses one as this function would.
    :raises UnreadableInput: when the file as a whole cannot be read; for a file that turns out
        to be unreadable part-way (bytes that are not UTF-8, a JSON array that breaks off), after
        the records before the problem.
    """
    if str(path) == "-":
        name, fmt = "<stdin>", fmt or "jsonl"
    else:
        name = shown or str(path)
        fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise UnreadableInput(f"{name}: unknown format {fmt!r}")
    if str(path) == "-":
        yield from _parse(sys.stdin, fmt, name, raw)
        return
    try:
        stream = path.open(encoding="utf-8-sig", newline="" if fmt == "csv" else None)
    except OSError as exc:
        raise UnreadableInput(f"{name}: cannot read: {exc}") from exc
    with stream:
        yield from _parse(stream, fmt, name, raw)


def _parse(stream: TextIO, fmt: str, name: str, raw: bool) -> Iterator[Record]:
    try:
        if fmt == "jsonl":
            yield from _jsonl(_lines(stream), name, raw)
        elif fmt == "json":
            yield from _json(stream, name)
        else:
            yield from _csv(_lines(stream), name)
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"{name}: cannot read: {exc}") from exc


def _lines(stream: TextIO) -> Iterator[str]:
    """The lines of ``stream`` one at a time, split exactly as ``str.splitlines`` splits."""
    for physical in stream:
        # A text stream splits at \n, \r and \r\n only; splitlines also at \f, \x1c, \u2028...
        yield from physical.splitlines() or ("",)


def _jsonl(lines: Iterable[str], name: str, raw: bool = False) -> Iterator[Record]:
    number = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        number += 1
        if raw:
            yield Record(name, number, lineno, None, None, line)
        else:
            yield _line_record(name, number, lineno, line)


def _line_record(name: str, number: int, lineno: int, line: str) -> Record:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return Record(name, number, lineno, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
    if not isinstance(data, dict):
        return Record(name, number, lineno, None, "a record must be a JSON object")
    return Record(name, number, lineno, data)


_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


class _Buffer:
    """Text read from a stream, parsed from the front; positions are kept as line and column."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.binary = cast(io.BufferedIOBase, stream.buffer)
        self.name = name
        # Bytes as they arrive (read1), so a pipe is parsed as it is written.
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.pos = 0
        self.line = 1  # line of text[0] in the document
        self.column = 1  # column of text[0]
        self.eof = False

    def fill(self) -> bool:
        """Read more; False at the end of the stream."""
        if self.eof:
            return False
        raw = self.binary.read1(_CHUNK)
        chunk = self.decoder.decode(raw, final=not raw)
        if not raw:
            self.eof = True
            if not chunk:
                return False
        done = self.text[: self.pos]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.column = self.pos - done.rfind("\n")
        else:
            self.column += self.pos
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True

    def skip_space(self) -> str:
        """The next non-space character (consumed not), or "" at the end."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def value(self) -> Any:
        """The JSON value starting here, reading more of the stream as needed."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                raise self.error(exc.msg, exc.pos) from exc
            at_end = end == len(self.text) and type(value) in (int, float)
            if at_end and not self.eof and self.fill():
                continue  # a number may go on in the next chunk: parse it again whole
            self.pos = end
            return value

    def error(self, message: str, pos: int | None = None) -> UnreadableInput:
        at = self.pos if pos is None else pos
        before = self.text[:at]
        newlines = before.count("\n")
        line = self.line + newlines
        column = at - before.rfind("\n") if newlines else self.column + at
        return UnreadableInput(f"{self.name}:{line}:{column}: invalid JSON: {message}")


def _json(stream: TextIO, name: str) -> Iterator[Record]:
    """The records of one JSON document: an array of objects (streamed) or a single object."""
    buf = _Buffer(stream, name)
    first = buf.skip_space()
    if first == "":
        raise buf.error("Expecting value")
    if first != "[":
        item = buf.value()
        if buf.skip_space():
            raise buf.error("Extra data")
        if isinstance(item, dict):
            yield Record(name, 1, 1, item)
        else:
            yield Record(name, 1, None, None, "a record must be a JSON object")
        return
    buf.pos += 1
    held: Any = _NOTHING
    number = 0
    if buf.skip_space() == "]":
        buf.pos += 1
    else:
        while True:
            if buf.skip_space() == "":
                raise buf.error("Expecting value")
            item = buf.value()
            if held is not _NOTHING:
                yield _element(name, number, None, held)
            number += 1
            held = item
            following = buf.skip_space()
            buf.pos += 1
            if following == "]":
                break
            if following != ",":
                buf.pos -= 1
                raise buf.error("Expecting ',' delimiter")
    if buf.skip_space():
        raise buf.error("Extra data")
    if held is not _NOTHING:
        yield _element(name, number, 1 if number == 1 else None, held)


_NOTHING = object()


def _element(name: str, number: int, line: int | None, item: Any) -> Record:
    if not isinstance(item, dict):
        return Record(name, number, None, None, "a record must be a JSON object")
    return Record(name, number, line, item)


def _csv(lines: Iterable[str], name: str) -> Iterator[Record]:
    reader = csv.DictReader(lines)
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
        annotation = unwrap_annotation(info.annotation)
        if typing.get_origin(annotation) is tuple:
            item = unwrap_annotation(typing.get_args(annotation)[0])
            model = item
            annotation_is_text_list = item is str or typing.get_origin(item) is typing.Literal
        else:
            model = annotation
            annotation_is_text_list = False
    return bool(annotation is not None and annotation_is_text_list)
