"""Reading registers in batches: Parquet, JSON Lines and CSV files into frames of applications.

Parquet is read a row group batch at a time (``pyarrow``), JSON Lines a block of lines at a time
(parsed by Polars), so memory stays flat whatever the file's size. Each batch is validated on
columns (:mod:`._validate`); the few rows the columns cannot clear are judged by the models
themselves, so a row is reported invalid exactly when the other engines would reject it — with its
row number (``file:line`` for JSON Lines, ``file (row N)`` for Parquet) and every field at fault —
and every other row is decided: ``records = decided + invalid``.

CSV and JSON files (the formats the per-record reader knows: dotted column names for nested
fields) are read record by record by :func:`bansos_rules._io.read_records`, validated by the
models, and decided in columns too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import ValidationError

from bansos_rules._errors import FieldProblem, InputError
from bansos_rules._io import UnreadableInput, read_records
from bansos_rules._models import Application
from bansos_rules.engines.columnar._schema import application_schema, frame_of
from bansos_rules.engines.columnar._validate import conform

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook

__all__ = ["INPUT_SUFFIXES", "Batch", "Invalid", "read_applications"]

INPUT_SUFFIXES = {
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".json": "json",
}
"""The input kinds, by file name."""

DEFAULT_BATCH = 65_536


@dataclass(frozen=True)
class Invalid:
    """A record that is not a valid application: where it is, and why."""

    where: str
    problems: tuple[FieldProblem, ...] = ()
    problem: str | None = None

    def lines(self, lang: str = "en") -> list[str]:
        """One message per problem, ``where: field: why`` (in ``lang`` where known)."""
        if self.problem is not None:
            return [f"{self.where}: {self.problem}"]
        return [f"{self.where}: {p.path}: {p.text(lang)}" for p in self.problems]  # type: ignore[arg-type]


@dataclass
class Batch:
    """Some records of a file: the valid applications as a frame, and the invalid ones."""

    frame: pl.DataFrame
    invalid: list[Invalid] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Records read: decided-to-be plus invalid."""
        return self.frame.height + len(self.invalid)


def read_applications(
    path: Path,
    book: RuleBook,
    *,
    fmt: str | None = None,
    shown: str | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> Iterator[Batch]:
    """The applications of ``path`` in batches of about ``batch_size`` records.

    :param fmt: ``parquet``, ``jsonl``, ``csv`` or ``json``; from the file name when omitted.
    :param shown: how to name the file in messages (default: ``path``).
    :raises UnreadableInput: when the file cannot be read at all.
    """
    name = shown or str(path)
    kind = fmt or INPUT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(INPUT_SUFFIXES)
        raise UnreadableInput(f"{name}: unknown format {path.suffix!r}; use {known}")
    if not path.is_file():
        raise UnreadableInput(f"{name}: no such file")
    reader = _Reader(book, name, batch_size)
    if kind == "parquet":
        return reader.parquet(path)
    if kind == "jsonl":
        return reader.jsonl(path)
    return reader.records(path, kind)


def _without_nulls(value: Any) -> Any:
    """A record read from columns, as the models read it: a null field is an absent one."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


class _Reader:
    def __init__(self, book: RuleBook, name: str, batch_size: int) -> None:
        self.book = book
        self.name = name
        self.batch_size = max(1, batch_size)
        self.registered = tuple(book.layout.business_types)

    def judge(self, where: str, data: Any) -> Application | Invalid:
        """The models' verdict on one record."""
        if not isinstance(data, dict):
            return Invalid(where, problem="a record must be a JSON object")
        try:
            return self.book.validate(data)
        except InputError as exc:
            return Invalid(where, exc.problems)

    def judge_text(self, where: str, text: bytes) -> Application | Invalid:
        try:
            line = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Invalid(where, problem=f"not UTF-8 text at byte {exc.start}")
        try:
            return self.book.validate(Application.model_validate_json(line))
        except (ValidationError, InputError):
            pass
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            return Invalid(where, problem=f"invalid JSON at column {exc.colno}: {exc.msg}")
        return self.judge(where, data)

    def settle(
        self,
        frame: pl.DataFrame,
        suspect: list[int],
        judged: list[Application | Invalid],
    ) -> Batch:
        """The batch: rows not suspect, plus suspects the models accepted, in input order."""
        if not suspect:
            return Batch(frame)
        invalid = [j for j in judged if isinstance(j, Invalid)]
        accepted = [
            (i, j) for i, j in zip(suspect, judged, strict=True) if not isinstance(j, Invalid)
        ]
        keep = pl.Series([True] * frame.height)
        keep[suspect] = False
        parts = [frame.with_row_index("__row").filter(keep)]
        if accepted:
            rows = pl.Series("__row", [i for i, _ in accepted], dtype=pl.UInt32)
            parts.append(frame_of([a for _, a in accepted]).with_columns(rows))
        merged = pl.concat(parts, how="diagonal").sort("__row").drop("__row")
        return Batch(merged.select(application_schema().names()), invalid)

    # Parquet ---------------------------------------------------------------------------------
    def parquet(self, path: Path) -> Iterator[Batch]:
        import pyarrow.parquet as pq

        try:
            file = pq.ParquetFile(path)
        except Exception as exc:
            raise UnreadableInput(f"{self.name}: not a Parquet file ({exc})") from None
        start = 0
        for chunk in file.iter_batches(batch_size=self.batch_size):
            raw = pl.from_arrow(chunk)
            assert isinstance(raw, pl.DataFrame)
            checked = conform(raw, self.registered)
            suspect = checked.suspect.arg_true().to_list()
            judged = [
                self.judge(
                    f"{self.name} (row {start + i + 1})", _without_nulls(raw.row(i, named=True))
                )
                for i in suspect
            ]
            yield self.settle(checked.frame, suspect, judged)
            start += raw.height

    # JSON Lines ------------------------------------------------------------------------------
    def jsonl(self, path: Path) -> Iterator[Batch]:
        lines: list[bytes] = []
        numbers: list[int] = []
        with path.open("rb") as stream:
            for number, raw in enumerate(stream, 1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if not raw.strip():
                    continue
                lines.append(raw.rstrip(b"\r\n"))
                numbers.append(number)
                if len(lines) >= self.batch_size:
                    yield self.lines(lines, numbers)
                    lines, numbers = [], []
        if lines:
            yield self.lines(lines, numbers)

    def lines(self, lines: list[bytes], numbers: list[int]) -> Batch:
        frame = _read_ndjson(lines)
        if frame is None:
            return self.line_by_line(lines, numbers)
        checked = conform(frame, self.registered)
        has_null = pl.Series(lines, dtype=pl.Binary).bin.contains(b"null")
        suspect = (checked.suspect | (checked.defaulted & has_null)).arg_true().to_list()
        judged = [self.judge_text(f"{self.name}:{numbers[i]}", lines[i]) for i in suspect]
        return self.settle(checked.frame, suspect, judged)

    def line_by_line(self, lines: list[bytes], numbers: list[int]) -> Batch:
        """A block Polars cannot read as one (bad JSON, mixed types): the good lines in columns,
        the others judged one by one."""
        good: list[int] = []
        invalid: list[Invalid] = []
        for i, line in enumerate(lines):
            try:
                data = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                data = None
            if isinstance(data, dict):
                good.append(i)
            else:
                judged = self.judge_text(f"{self.name}:{numbers[i]}", line)
                assert isinstance(judged, Invalid)
                invalid.append(judged)
        frame = _read_ndjson([lines[i] for i in good]) if good else None
        if frame is None:
            judged_all = [self.judge_text(f"{self.name}:{numbers[i]}", lines[i]) for i in good]
            apps = [j for j in judged_all if not isinstance(j, Invalid)]
            invalid += [j for j in judged_all if isinstance(j, Invalid)]
            return Batch(frame_of(apps), invalid)
        batch = self.lines([lines[i] for i in good], [numbers[i] for i in good])
        position = {n: i for i, n in enumerate(numbers)}
        ordered = sorted(
            invalid + batch.invalid,
            key=lambda inv: position.get(int(inv.where.rsplit(":", 1)[1]), 0),
        )
        return Batch(batch.frame, ordered)

    # CSV and JSON, record by record -----------------------------------------------------------
    def records(self, path: Path, kind: str) -> Iterator[Batch]:
        apps: list[Application] = []
        invalid: list[Invalid] = []
        for record in read_records(path, kind, shown=self.name):
            if record.data is None:
                invalid.append(Invalid(record.where, problem=record.problem))
            else:
                judged = self.judge(record.where, record.data)
                if isinstance(judged, Invalid):
                    invalid.append(judged)
                else:
                    apps.append(judged)
            if len(apps) + len(invalid) >= self.batch_size:
                yield Batch(frame_of(apps), invalid)
                apps, invalid = [], []
        if apps or invalid:
            yield Batch(frame_of(apps), invalid)


def _read_ndjson(lines: list[bytes]) -> pl.DataFrame | None:
    try:
        frame = pl.read_ndjson(io.BytesIO(b"\n".join(lines)), infer_schema_length=None)
    except Exception:  # any line Polars cannot read: the caller goes line by line
        return None
    return frame if frame.height == len(lines) else None
