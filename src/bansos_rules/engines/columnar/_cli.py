"""``bansos-rules evaluate FILE --engine columnar``: registers decided in columns, batch by batch.

Each input file is read in batches (:func:`._read.read_applications`); each batch is decided in
columns and written before the next is read, so memory stays flat. With ``--output`` ending in
``.parquet`` or ``.csv`` the decision records are written as columns (a Parquet row group per
batch); ``.jsonl`` gets record lines (or explained decisions with ``--format jsonl``); without
``--output`` the decisions go to standard output in ``--format``, as with any other engine.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import polars as pl

from bansos_rules._errors import RulesetError, path_of
from bansos_rules._families import ApprovedFamilies
from bansos_rules._io import UnreadableInput
from bansos_rules._messages import Lang, label, render
from bansos_rules.engines.columnar._compile import ColumnarCompileError
from bansos_rules.engines.columnar._engine import ON, ColumnarEngine
from bansos_rules.engines.columnar._read import Batch, read_applications
from bansos_rules.engines.columnar._records import csv_ready, record_lines
from bansos_rules.engines.columnar._stream import single_date, stream_parquet
from bansos_rules.explain import explain

if TYPE_CHECKING:
    import pyarrow.parquet as pq

    from bansos_rules._book import RuleBook

__all__ = ["evaluate"]

_OUTCOMES = ("approved", "rejected", "needs_review")


class _Sink:
    """Where decision records go: a Parquet, CSV or JSON Lines file, or a text stream."""

    def __init__(self, args: argparse.Namespace, engine: ColumnarEngine, lang: Lang) -> None:
        self.args = args
        self.engine = engine
        self.lang = lang
        self.path: Path | None = args.output
        self.kind = self.path.suffix.lower() if self.path is not None else ""
        self._parquet: pq.ParquetWriter | None = None
        self._csv_header = True
        self._text: TextIO | None = None
        if self.kind not in (".parquet", ".csv"):
            self._text = self.path.open("w", encoding="utf-8") if self.path else sys.stdout

    def write(self, records: pl.DataFrame, names: list[str] | None) -> None:
        if self.kind == ".parquet":
            import pyarrow.parquet as pq

            table = records.to_arrow()
            if self._parquet is None:
                assert self.path is not None
                self._parquet = pq.ParquetWriter(self.path, table.schema)
            self._parquet.write_table(table)
            return
        if self.kind == ".csv":
            assert self.path is not None
            with self.path.open("w" if self._csv_header else "a", encoding="utf-8") as stream:
                csv_ready(records).write_csv(stream, include_header=self._csv_header)
            self._csv_header = False
            return
        out = self._text
        assert out is not None
        fmt = self.args.fmt
        if self.kind == ".jsonl" and fmt == "text":
            fmt = "records"
        if fmt == "records":
            for line in record_lines(records, self.engine.layout.value_paths):
                out.write(line + "\n")
            return
        for decision, name in zip(self.engine.decisions(records), names or [], strict=False):
            if fmt == "jsonl":
                out.write(decision.to_json() + "\n")
            else:
                text = explain(decision, lang=self.lang, name=name, verbose=self.args.verbose)
                out.write(text + "\n\n")

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self.kind == ".csv" and self._csv_header and self.path is not None:
            self.path.write_text("", encoding="utf-8")  # no record: an empty file all the same
        if self._text is not None and self.path is not None:
            self._text.close()


def evaluate(book: RuleBook, args: argparse.Namespace) -> int:
    """Run ``evaluate`` with the columnar engine; return the exit status."""
    from bansos_rules.cli import ExitCode

    lang: Lang = args.lang
    try:
        engine = book.engine("columnar")
    except ColumnarCompileError as exc:  # a rule it cannot express: said before reading input
        print(f"error: {exc.text(lang)}", file=sys.stderr)
        return int(ExitCode.ENGINE_UNAVAILABLE)
    assert isinstance(engine, ColumnarEngine)
    counts: Counter[str] = Counter()
    families = ApprovedFamilies()
    sink = _Sink(args, engine, lang)
    today = date.today()
    repeated: list[tuple[str, list[str]]] = []
    try:
        for file in args.files:
            try:
                if _streamed(engine, book, args, file, today, counts, repeated, lang):
                    continue
                batches = read_applications(file, book, fmt=args.input_format, shown=path_of(file))
                for batch in batches:
                    _decide(engine, batch, args.on, today, sink, counts, families, lang, file)
            except UnreadableInput as exc:
                counts["unreadable"] += 1
                print(f"error: {exc}", file=sys.stderr)
        for kk, ids in [*repeated, *families.repeated()]:
            print(render("batch-same-kk", lang, kk=kk, ids=", ".join(ids)), file=sys.stderr)
    finally:
        families.close()
        sink.close()
    _summary(counts, lang, sys.stderr if args.fmt != "text" or args.output else sys.stdout)
    if counts["unreadable"]:
        return int(ExitCode.UNREADABLE_INPUT)
    return int(ExitCode.INVALID_RECORDS if counts["invalid"] else ExitCode.OK)


def _streamed(
    engine: ColumnarEngine,
    book: RuleBook,
    args: argparse.Namespace,
    file: Path,
    today: date,
    counts: Counter[str],
    repeated: list[tuple[str, list[str]]],
    lang: Lang,
) -> bool:
    """Decide ``file`` as one streaming query when it can be (one Parquet file into a Parquet
    file, one date); return whether it was."""
    parquet_in = (args.input_format or file.suffix.lower().lstrip(".")) == "parquet"
    if not (parquet_in and len(args.files) == 1 and args.output is not None):
        return False
    if args.output.suffix.lower() != ".parquet" or not file.is_file():
        return False
    try:
        day = single_date(file, args.on, today)
        if day is None:
            return False
        engine.plan(day)
    except (RulesetError, pl.exceptions.PolarsError, OSError):
        return False  # the batch path reads it, and reports what it cannot decide row by row
    result = stream_parquet(engine, book, file, args.output, day, path_of(file))
    counts["records"] += result.records
    counts["invalid"] += len(result.invalid)
    for outcome, n in result.outcomes.items():
        counts[outcome] += n
    for invalid in result.invalid:
        for line in invalid.lines(lang):
            print(line, file=sys.stderr)
    repeated.extend(result.repeated)
    return True


def _decide(
    engine: ColumnarEngine,
    batch: Batch,
    on: date | None,
    today: date,
    sink: _Sink,
    counts: Counter[str],
    families: ApprovedFamilies,
    lang: Lang,
    file: Path,
) -> None:
    counts["records"] += batch.count
    for invalid in batch.invalid:
        counts["invalid"] += 1
        for line in invalid.lines(lang):
            print(line, file=sys.stderr)
    frame = batch.frame
    if frame.is_empty():
        return
    dates = frame.select(
        (
            pl.lit(on, dtype=pl.Date)
            if on is not None
            else pl.col("submitted_on").fill_null(pl.lit(today, dtype=pl.Date))
        ).alias(ON)
    ).to_series()
    for day in dates.unique().to_list():
        try:
            engine.plan(day)
        except RulesetError as exc:
            # No parameter value is in force on this date: its records cannot be decided.
            stuck = dates == day
            for app_id in frame.filter(stuck).get_column("id").to_list():
                counts["invalid"] += 1
                for d in exc.diagnostics:
                    print(
                        f"{path_of(file)} ({app_id}): {label('no_rules_on', lang)} "
                        f"{day.isoformat()}: {d.format(lang)}",
                        file=sys.stderr,
                    )
            frame, dates = frame.filter(~stuck), dates.filter(~stuck)
    if frame.is_empty():
        return
    records = engine.records_on(frame, dates)
    for outcome, n in records.get_column("outcome").value_counts().iter_rows():
        counts[outcome] += n
    approved = frame.select(pl.col("household").struct.field("kk_number"), pl.col("id")).filter(
        records.get_column("outcome") == "approved"
    )
    for kk, app_id in approved.iter_rows():
        families.add(kk, app_id)
    names: list[Any] | None = None
    if sink.kind not in (".parquet", ".csv") and sink.args.fmt == "text":
        names = frame.select(pl.col("applicant").struct.field("name")).to_series().to_list()
    sink.write(records, names)


def _summary(counts: Counter[str], lang: Lang, stream: TextIO) -> None:
    decided = sum(counts[o] for o in _OUTCOMES)
    parts = ", ".join(f"{counts[o]} {label(o, lang).lower()}" for o in _OUTCOMES)
    unreadable = ""
    if counts["unreadable"]:
        unreadable = f"; {counts['unreadable']} {label('unreadable_files', lang)}"
    print(
        f"{label('summary', lang)}: {counts['records']} {label('records', lang)} = "
        f"{decided} {label('decided', lang)} ({parts}) + "
        f"{counts['invalid']} {label('invalid', lang)}{unreadable}",
        file=stream,
    )
