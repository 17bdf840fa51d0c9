"""Reading applications from files: JSON, JSON Lines and CSV, each record with where it came from.

A record that cannot be parsed is yielded with its problem rather than raised, so one bad line never
stops a batch, and every record of a file is accounted for. What one record may hold is bounded
(:data:`~bansos_rules._input_problems.LIMITS`): a record beyond a bound is invalid, the records
around it are read as usual.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import json
import re
import sys
import typing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from pydantic import BaseModel

from bansos_rules._errors import BansosRulesError
from bansos_rules._input_problems import LIMITS, RecordProblem
from bansos_rules._jsonscan import (
    BAD_BYTES,
    DECODER,
    check_value,
    decode,
    deep_place,
    id_number_problem,
)
from bansos_rules._messages import Lang
from bansos_rules._models import Application, unwrap_annotation

__all__ = ["DELIMITERS", "FORMATS", "Record", "UnreadableInput", "read_records"]

FORMATS = ("json", "jsonl", "csv")
DELIMITERS = (",", ";", "\t", "|")
"""CSV cell separators: sniffed from the header line unless one is given."""
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
    """Why the record cannot be used, in English (:meth:`message` gives either language)."""
    text: str | None = None
    """The JSON text of a JSON Lines record read with ``raw=True``, not parsed yet."""
    issue: RecordProblem | None = None
    """The problem as data: its code, the field it is about, its message in both languages."""

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

    def message(self, lang: Lang = "en") -> str | None:
        """:attr:`problem` in ``lang`` (``None`` for a usable record)."""
        if self.issue is not None:
            return self.issue.text(lang)
        return self.problem


def _invalid(name: str, number: int, line: int | None, issue: RecordProblem) -> Record:
    return Record(name, number, line, None, issue.text("en"), None, issue)


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
    path: Path,
    fmt: str | None = None,
    *,
    shown: str | None = None,
    raw: bool = False,
    delimiter: str | None = None,
    decimal_comma: bool | None = None,
) -> Iterator[Record]:
    """Every record in ``path``, in order, read as it is consumed.

    The file is streamed: only the current line (JSON Lines, CSV) or the current element of a
    JSON array is held, so memory does not grow with the number of records.

    :param path: the file to read (``-`` reads JSON Lines from standard input).
    :param fmt: ``json``, ``jsonl`` or ``csv``; from the file name when omitted.
    :param shown: the name to show in messages.
    :param raw: leave JSON Lines records as their text (:attr:`Record.text`), for a reader that
        parses them itself; :meth:`Record.parsed` parses one as this function would.
    :param delimiter: the CSV cell separator (one of :data:`DELIMITERS`); sniffed from the
        header line when omitted.
    :param decimal_comma: CSV numbers are written ``4.500.000,00`` (a decimal comma, dots between
        thousands), as spreadsheets set up for Indonesian save them; when omitted, true for a
        file separated by ``;``.
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
    if delimiter is not None and delimiter not in DELIMITERS:
        raise UnreadableInput(f"{name}: unknown CSV delimiter {delimiter!r}")
    csv_options = (delimiter, decimal_comma)
    if str(path) == "-":
        binary = getattr(sys.stdin, "buffer", None)
        if binary is None:
            yield from _parse(sys.stdin, fmt, name, raw, csv_options)
            return
        stdin = io.TextIOWrapper(
            binary, encoding="utf-8-sig", errors="surrogateescape", newline=_NEWLINE[fmt]
        )
        try:
            yield from _parse(stdin, fmt, name, raw, csv_options)
        finally:
            stdin.detach()
        return
    try:
        # Bytes that are not UTF-8 are kept (as lone surrogates) and make their record invalid.
        stream = path.open(encoding="utf-8-sig", errors="surrogateescape", newline=_NEWLINE[fmt])
    except OSError as exc:
        raise UnreadableInput(f"{name}: cannot read: {exc}") from exc
    with stream:
        yield from _parse(stream, fmt, name, raw, csv_options)


# JSON Lines end at \n only (U+2028, U+0085 and a lone \r may be inside a record); csv needs "".
_NEWLINE = {"jsonl": "\n", "json": None, "csv": ""}


def _parse(
    stream: TextIO, fmt: str, name: str, raw: bool, csv_options: tuple[str | None, bool | None]
) -> Iterator[Record]:
    try:
        if fmt == "jsonl":
            yield from _jsonl(stream, name, raw)
        elif fmt == "json":
            yield from _json(stream, name)
        else:
            yield from _csv(stream, name, *csv_options)
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"{name}: cannot read: {exc}") from exc


_MAX_RECORD = LIMITS["record_chars"]


def _bounded_lines(
    stream: TextIO, oversized: set[int] | None = None, ends: str = "\n"
) -> Iterator[str | None]:
    """Each line of ``stream`` with its line ending (one of ``ends``); ``None`` for a line longer
    than the record limit (read through, not kept; its number goes into ``oversized``)."""
    for lineno in itertools.count(1):
        line = stream.readline(_MAX_RECORD + 1)
        if not line:
            return
        if len(line) > _MAX_RECORD and line[-1] not in ends:
            while (rest := stream.readline(_MAX_RECORD)) and rest[-1] not in ends:
                pass
            if oversized is not None:
                oversized.add(lineno)
            yield None
        else:
            yield line


def _jsonl(stream: TextIO, name: str, raw: bool = False) -> Iterator[Record]:
    number = 0
    for lineno, physical in enumerate(_bounded_lines(stream), 1):
        if physical is None:
            number += 1
            yield _invalid(name, number, lineno, RecordProblem("record-too-large", None, {
                "limit": _MAX_RECORD}))  # fmt: skip
            continue
        line = physical[:-1] if physical.endswith("\n") else physical
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        number += 1
        if not line.isascii() and (bad := BAD_BYTES.search(line)):
            yield _invalid(name, number, lineno, RecordProblem("not-utf8", None, {
                "column": bad.start() + 1}))  # fmt: skip
            continue
        if raw:
            yield Record(name, number, lineno, None, None, line)
        else:
            yield _line_record(name, number, lineno, line)


def _line_record(name: str, number: int, lineno: int, line: str) -> Record:
    data, problem = decode(line)
    if problem is not None:
        return _invalid(name, number, lineno, problem)
    if not isinstance(data, dict):
        return _invalid(name, number, lineno, RecordProblem("not-an-object"))
    return Record(name, number, lineno, data)


_CHUNK = 1 << 16
_SPACE = " \t\n\r"


class _Buffer:
    """Text read from a stream, parsed from the front; positions are kept as line and column."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.binary = cast(io.BufferedIOBase, stream.buffer)
        self.name = name
        # Bytes as they arrive (read1), so a pipe is parsed as it is written.
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="surrogateescape")
        self.text = ""
        self.pos = 0
        self.line = 1  # line of text[0] in the document
        self.column = 1  # column of text[0]
        self.eof = False
        self._counted = (0, 1)  # (offset, line there): lines counted so far in text

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
        self._counted = (0, self.line)
        return True

    def line_here(self) -> int:
        """The line of the document at :attr:`pos`."""
        offset, line = self._counted
        if offset > self.pos:
            offset, line = 0, self.line
        line += self.text.count("\n", offset, self.pos)
        self._counted = (self.pos, line)
        return line

    def skip_space(self) -> str:
        """The next non-space character (consumed not), or "" at the end."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""

    def value(self) -> tuple[Any, RecordProblem | None]:
        """The JSON value starting here, reading more of the stream as needed, and the problem
        that makes it unusable as a record (the value is then skipped, not kept)."""
        while True:
            if len(self.text) - self.pos > _MAX_RECORD:
                self.skip_value()
                return None, RecordProblem("record-too-large", None, {"limit": _MAX_RECORD})
            try:
                value, end = DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                raise self.error(exc.msg, exc.pos) from exc
            except RecursionError:
                # The path is read from the text at hand: the value's start, before it is skipped.
                path, _ = deep_place(self.text[self.pos :]) or ("", 0)
                self.skip_value()
                return None, RecordProblem("too-deep", path or None, {"limit": LIMITS["depth"]})
            at_end = end == len(self.text) and self.text[end - 1].isdigit()
            if at_end and not self.eof and self.fill():
                continue  # a number may go on in the next chunk: parse it again whole
            self.pos = end
            return value, check_value(value)

    def skip_value(self) -> None:
        """Move past the object or array starting here, reading on as needed but keeping only
        the current chunk (for a value too large or too deep to decode)."""
        if self.skip_space() not in '[{"':  # a number or literal: up to what follows it
            while (end := _SCALAR_END.search(self.text, self.pos)) is None:
                self.pos = len(self.text)
                if not self.fill():
                    return
            self.pos = end.start()
            return
        depth = 0
        in_string = False
        while True:
            text, pos = self.text, self.pos
            pattern = _IN_STRING if in_string else _STRUCTURE
            match = pattern.search(text, pos)
            if match is None or (match.group() == "\\" and match.end() >= len(text)):
                keep = len(text) if match is None else match.start()
                self.pos = keep
                if not self.fill():
                    raise self.error("Unterminated value")
                continue
            token = match.group()
            self.pos = match.end()
            if token == "\\":
                self.pos += 1
            elif token == '"':
                in_string = not in_string
                if not in_string and depth == 0:
                    return  # the value was a text
            elif token[0] in "[{":
                depth += len(token)
            elif len(token) >= depth:
                self.pos = match.start() + max(depth, 1)
                return
            else:
                depth -= len(token)

    def error(self, message: str, pos: int | None = None) -> UnreadableInput:
        at = self.pos if pos is None else pos
        before = self.text[:at]
        newlines = before.count("\n")
        line = self.line + newlines
        column = at - before.rfind("\n") if newlines else self.column + at
        return UnreadableInput(f"{self.name}:{line}:{column}: invalid JSON: {message}")


_STRUCTURE = re.compile(r'"|[\[{]+|[\]}]+')
_IN_STRING = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]}\s]")


def _json(stream: TextIO, name: str) -> Iterator[Record]:
    """The records of one JSON document: an array of objects (streamed) or a single object."""
    buf = _Buffer(stream, name)
    first = buf.skip_space()
    if first == "":
        raise buf.error("Expecting value")
    if first != "[":
        item, problem = buf.value()
        if buf.skip_space():
            raise buf.error("Extra data")
        yield _element(name, 1, 1, item, problem)
        return
    buf.pos += 1
    held: tuple[int, Any, RecordProblem | None] | None = None
    number = 0
    if buf.skip_space() == "]":
        buf.pos += 1
    else:
        while True:
            if buf.skip_space() == "":
                raise buf.error("Expecting value")
            line = buf.line_here()
            item, problem = buf.value()
            if held is not None:
                yield _element(name, number, *held)
            number += 1
            held = (line, item, problem)
            following = buf.skip_space()
            buf.pos += 1
            if following == "]":
                break
            if following != ",":
                buf.pos -= 1
                raise buf.error("Expecting ',' delimiter")
    if buf.skip_space():
        raise buf.error("Extra data")
    if held is not None:
        yield _element(name, number, *held)


def _element(
    name: str, number: int, line: int | None, item: Any, problem: RecordProblem | None
) -> Record:
    if problem is not None:
        return _invalid(name, number, line, problem)
    if not isinstance(item, dict):
        return _invalid(name, number, line, RecordProblem("not-an-object"))
    return Record(name, number, line, item)


# ---------------------------------------------------------------------------------------- CSV


def _sniff(header: str) -> str:
    """The separator of a header line: the most frequent of :data:`DELIMITERS` (``,`` on a tie)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _csv(
    stream: TextIO, name: str, delimiter: str | None, decimal_comma: bool | None
) -> Iterator[Record]:
    oversized: set[int] = set()  # lines too long (read as empty), then lines not UTF-8
    bad_bytes: set[int] = set()
    lines = _csv_lines(_bounded_lines(stream, oversized, "\r\n"), bad_bytes)
    header_text = next(lines, None)
    if header_text is None:
        return
    if 1 in oversized:
        raise UnreadableInput(f"{name}:1: the header line is longer than {_MAX_RECORD} characters")
    if delimiter is None:
        delimiter = _sniff(header_text)
    comma = delimiter == ";" if decimal_comma is None else decimal_comma
    reader = csv.reader(itertools.chain([header_text], lines), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        where = f"{name}:{reader.line_num}"
        raise UnreadableInput(f"{where}: the header cannot be read: {exc}") from exc
    header_line = reader.line_num
    counts = Counter(header)
    repeated = next((h for h in header if h and counts[h] > 1), None)
    number = 0
    last = header_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            first, last = last + 1, reader.line_num
            yield _invalid(name, number, first, RecordProblem("csv-syntax", None, {
                "detail": str(exc)}))  # fmt: skip
            continue
        first, last = last + 1, reader.line_num
        if oversized and any(n in oversized for n in range(first, last + 1)):
            number += 1
            yield _invalid(name, number, first, RecordProblem("record-too-large", None, {
                "limit": _MAX_RECORD}))  # fmt: skip
            continue
        if not row:
            continue  # an empty line
        number += 1
        if bad_bytes and any(n in bad_bytes for n in range(first, last + 1)):
            yield _invalid(name, number, first, RecordProblem("not-utf8-text"))
            continue
        if repeated is not None:
            yield _invalid(name, number, first, RecordProblem("csv-duplicate-column", repeated, {
                "column": repeated, "header_line": header_line}))  # fmt: skip
            continue
        if len(row) > len(header):
            yield _invalid(name, number, first, RecordProblem("csv-extra-cells", None, {
                "cells": len(row), "columns": len(header)}))  # fmt: skip
            continue
        try:
            data = unflatten(dict(zip(header, row, strict=False)), decimal_comma=comma)
        except RecordProblemError as exc:
            yield _invalid(name, number, first, exc.problem)
            continue
        yield Record(name, number, first, data)


def _csv_lines(lines: Iterator[str | None], bad_bytes: set[int]) -> Iterator[str]:
    """The physical lines for the csv module: an empty line for one too long, and the numbers of
    lines holding bytes that are not UTF-8 noted in ``bad_bytes``."""
    for lineno, line in enumerate(lines, 1):
        if line is None:
            yield "\n"
            continue
        if not line.isascii() and BAD_BYTES.search(line):
            bad_bytes.add(lineno)
        yield line


class RecordProblemError(BansosRulesError, ValueError):
    """A CSV row cannot become an application (:attr:`problem` says why, in both languages)."""

    def __init__(self, problem: RecordProblem) -> None:
        super().__init__(problem.text("en"))
        self.problem = problem


def unflatten(row: dict[str, str | None], *, decimal_comma: bool = False) -> dict[str, Any]:
    """A nested application from a flat CSV row with dotted headers.

    ``applicant.nik`` sets a field; ``plan.items.0.name`` sets a field of a list item; a list of
    texts is written ``food;drinks``; a cell starting with ``[`` or ``{`` is read as JSON; an empty
    cell leaves the field out. A cell of a whole-number field is read as a number (``4500000``,
    ``4,500,000`` or ``4500000.00``; with ``decimal_comma``, ``4.500.000`` or ``4500000,00``); a
    cell of a yes/no field may also say ``BENAR``/``SALAH`` or ``ya``/``tidak``.

    :raises RecordProblemError: (a ``ValueError``) naming the column at fault.
    """
    result: dict[str, Any] = {}
    max_cell = LIMITS["cell_chars"]
    for header, raw in row.items():
        if header is None:
            raise RecordProblemError(RecordProblem("csv-extra-cells", None, {
                "cells": len(row), "columns": len(row) - 1}))  # fmt: skip
        value = (raw or "").strip()
        if not value:
            continue
        if len(value) > max_cell:
            raise RecordProblemError(RecordProblem("csv-cell-too-large", header, {
                "length": len(value), "limit": max_cell}))  # fmt: skip
        parts = header.strip().split(".")
        kind = _kind(tuple("#" if p.isdigit() else p for p in parts))
        parsed: Any
        if value[0] in "[{":
            parsed, problem = decode(value)
            if problem is not None and problem.code == "json-invalid":
                raise RecordProblemError(RecordProblem("csv-cell-json", header, {
                    "column": header, "detail": problem.args["detail"]}))  # fmt: skip
            if problem is not None:
                inner = f"{header}.{problem.field}" if problem.field else header
                raise RecordProblemError(RecordProblem(problem.code, inner, problem.args))
        elif kind == "textlist":
            parsed = [v.strip() for v in value.split(_LIST_SEPARATOR) if v.strip()]
        elif kind == "int":
            parsed = _whole(value, decimal_comma)
        elif kind == "bool":
            parsed = _YES_NO.get(value.lower(), value)
        else:
            problem = id_number_problem(parts[-1], value, header)
            if problem is not None:
                raise RecordProblemError(problem)
            parsed = value
        _put(result, parts, parsed, header)
    nested: dict[str, Any] = _lists(result)
    return nested


_THOUSANDS = {
    False: re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"),
    True: re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$"),
}
# Yes and no as a spreadsheet with Indonesian settings writes them (BENAR/SALAH are Excel's TRUE
# and FALSE there); anything else is left to the model (true/false, yes/no, 1/0).
_YES_NO = {"benar": True, "salah": False, "ya": True, "tidak": False}
_NUMBER = re.compile(r"^[+-]?\d+(?:\.(\d*))?$")


def _whole(text: str, decimal_comma: bool) -> Any:
    """A cell of a whole-number field as an ``int`` when it is one; else the text, for the model
    to report."""
    if _THOUSANDS[decimal_comma].match(text):
        text = text.replace("." if decimal_comma else ",", "")
    if decimal_comma:
        text = text.replace(",", ".")
    match = _NUMBER.match(text)
    if match is None or len(text) > LIMITS["digits"]:
        return text
    fraction = match.group(1)
    if fraction and fraction.strip("0"):
        return text
    return int(text.split(".", 1)[0])


def _put(node: dict[str, Any], parts: list[str], value: Any, header: str) -> None:
    conflict = RecordProblem("csv-column-conflict", header, {"column": header})
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise RecordProblemError(conflict)
        node = child
    if parts[-1] in node:
        raise RecordProblemError(conflict)
    node[parts[-1]] = value


def _lists(node: Any) -> Any:
    """Turn mappings whose keys are all digits (``items.0``, ``items.1``) into lists."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


@functools.lru_cache(maxsize=512)
def _kind(parts: tuple[str, ...]) -> str:
    """What the dotted path names in the application model: ``textlist`` (a tuple of texts),
    ``int`` (a whole number), ``bool`` or ``""`` (anything else, or nothing)."""
    model: Any = Application
    annotation: Any = None
    for part in parts:
        if part == "#":
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return ""
        info = model.model_fields.get(part)
        if info is None:
            return ""
        annotation = unwrap_annotation(info.annotation)
        if typing.get_origin(annotation) is tuple:
            model = unwrap_annotation(typing.get_args(annotation)[0])
        else:
            model = annotation
    if annotation is None:
        return ""
    if typing.get_origin(annotation) is tuple:
        item = unwrap_annotation(typing.get_args(annotation)[0])
        text = item is str or typing.get_origin(item) is typing.Literal
        return "textlist" if text else ""
    if annotation is bool:
        return "bool"
    return "int" if annotation is int else ""
