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
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import polars as pl

from bansos_rules._errors import RulesetError, path_of
from bansos_rules._families import ApprovedFamilies
from bansos_rules._io import UnreadableInput
from bansos_rules._messages import Lang, label
from bansos_rules._safe_output import neutralise
from bansos_rules.engines.columnar._compile import ColumnarCompileError
from bansos_rules.engines.columnar._engine import ON, ColumnarEngine
from bansos_rules.engines.columnar._read import Batch, read_applications
from bansos_rules.engines.columnar._records import csv_ready, record_lines
from bansos_rules.engines.columnar._stream import single_date, stream_parquet
from bansos_rules.explain import explain
from bansos_rules.round._family import (
    FAMILY_RULE,
    FamilyBatch,
    FamilyFinding,
    family_key,
    losers,
)

if TYPE_CHECKING:
    import pyarrow.parquet as pq

    from bansos_rules._book import RuleBook

__all__ = ["evaluate"]

_OUTCOMES = ("approved", "rejected", "needs_review")


class _Sink:
    """Where decision records go: a Parquet, CSV or JSON Lines file, or a text stream.

    One approval per family card (KK) holds here as with every engine: record and text lines
    are spooled (:class:`~bansos_rules.round._family.FamilyBatch`) and marked when the batch
    ends; a Parquet or CSV file of records gets the columns ``batch_rule`` and ``batch_other``
    when some card was approved twice.
    """

    def __init__(self, args: argparse.Namespace, engine: ColumnarEngine, lang: Lang) -> None:
        self.args = args
        self.engine = engine
        self.lang = lang
        self.path: Path | None = args.output
        self.kind = self.path.suffix.lower() if self.path is not None else ""
        self._parquet: pq.ParquetWriter | None = None
        self._csv_header = True
        self._text: TextIO | None = None
        self._batch: FamilyBatch | None = None
        self.families = ApprovedFamilies()
        self.fmt = args.fmt
        if self.kind == ".jsonl" and self.fmt == "text":
            self.fmt = "records"
        if self.kind not in (".parquet", ".csv"):
            self._text = self.path.open("w", encoding="utf-8") if self.path else sys.stdout
            self._batch = FamilyBatch(self._text, self.fmt, lang)

    def note(self, kk: str, app_id: str, on: date) -> None:
        """An approval to keep one per family card (column files)."""
        self.families.add(kk, family_key(on, app_id))

    def write(self, records: pl.DataFrame, kks: list[str], names: list[str] | None) -> None:
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
        batch = self._batch
        assert batch is not None
        keys = records.select("application_id", "outcome", "rules_applied_on").iter_rows()
        if self.fmt == "records":
            rendered: Iterable[str] = (
                line + "\n" for line in record_lines(records, self.engine.layout.value_paths)
            )
        elif self.fmt == "jsonl":
            rendered = (d.to_json() + "\n" for d in self.engine.decisions(records))
        else:
            rendered = (
                explain(d, lang=self.lang, name=name, verbose=self.args.verbose) + "\n\n"
                for d, name in zip(self.engine.decisions(records), names or [], strict=False)
            )
        for (app_id, outcome, on), kk, text in zip(keys, kks, rendered, strict=False):
            batch.note(app_id, on, outcome == "approved", kk, text)

    def finish(self) -> list[FamilyFinding]:
        """Write what was held back, marked for one approval per family card."""
        if self._batch is not None:
            return self._batch.finish()
        found = losers(self.families)
        if self.kind == ".parquet" and self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if found and self.path is not None and self.path.exists():
            _mark_columns(self.path, self.kind, found)
        return sorted(found.values(), key=lambda f: f.application_id)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        elif self.kind == ".csv" and self._csv_header and self.path is not None:
            self.path.write_text("", encoding="utf-8")  # no record: an empty file all the same
        if self._batch is not None:
            self._batch.close()
        self.families.close()
        if self._text is not None and self.path is not None:
            self._text.close()


def _mark_columns(path: Path, kind: str, found: dict[str, FamilyFinding]) -> None:
    """Add ``batch_rule`` and ``batch_other`` to a records file, streamed through a copy."""
    marks = pl.LazyFrame(
        {
            "application_id": list(found),
            "batch_rule": [FAMILY_RULE] * len(found),
            "batch_other": [f.other for f in found.values()],
        }
    )
    scan = pl.scan_parquet(path) if kind == ".parquet" else pl.scan_csv(path, infer_schema=False)
    marked = scan.join(marks, on="application_id", how="left", maintain_order="left")
    partial = path.with_name(path.name + ".partial")
    if kind == ".parquet":
        marked.sink_parquet(partial)
    else:
        marked.sink_csv(partial)
    partial.replace(path)


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
    sink = _Sink(args, engine, lang)
    today = date.today()
    try:
        for file in args.files:
            try:
                if _streamed(engine, book, args, file, today, counts, sink, lang):
                    continue
                batches = read_applications(file, book, fmt=args.input_format, shown=path_of(file))
                for batch in batches:
                    _decide(engine, batch, args.on, today, sink, counts, lang, file)
            except UnreadableInput as exc:
                counts["unreadable"] += 1
                print(neutralise(f"error: {exc}"), file=sys.stderr)
        for found in sink.finish():
            counts["same_kk"] += 1
            print(neutralise(f"{found.application_id}: {found.message(lang)}"), file=sys.stderr)
    finally:
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
    sink: _Sink,
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
            print(neutralise(line), file=sys.stderr)
    for kk, ids in result.repeated:  # one date: the smallest id keeps the approval
        for app_id in ids:
            sink.note(kk, app_id, day)
    return True


def _decide(
    engine: ColumnarEngine,
    batch: Batch,
    on: date | None,
    today: date,
    sink: _Sink,
    counts: Counter[str],
    lang: Lang,
    file: Path,
) -> None:
    counts["records"] += batch.count
    for invalid in batch.invalid:
        counts["invalid"] += 1
        for line in invalid.lines(lang):
            print(neutralise(line), file=sys.stderr)
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
                        neutralise(
                            f"{path_of(file)} ({app_id}): {label('no_rules_on', lang)} "
                            f"{day.isoformat()}: {d.format(lang)}"
                        ),
                        file=sys.stderr,
                    )
            frame, dates = frame.filter(~stuck), dates.filter(~stuck)
    if frame.is_empty():
        return
    records = engine.records_on(frame, dates)
    for outcome, n in records.get_column("outcome").value_counts().iter_rows():
        counts[outcome] += n
    kks = frame.select(pl.col("household").struct.field("kk_number")).to_series().to_list()
    if sink.kind in (".parquet", ".csv"):
        approved = pl.DataFrame(
            {
                "kk": kks,
                "id": records.get_column("application_id"),
                "on": records.get_column("rules_applied_on"),
            }
        ).filter(records.get_column("outcome") == "approved")
        for kk, app_id, on in approved.iter_rows():
            sink.note(kk, app_id, on)
    names: list[Any] | None = None
    if sink.kind not in (".parquet", ".csv") and sink.fmt == "text":
        names = frame.select(pl.col("applicant").struct.field("name")).to_series().to_list()
    sink.write(records, kks, names)


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
