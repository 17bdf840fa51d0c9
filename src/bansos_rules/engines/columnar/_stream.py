"""Parquet in, Parquet out on one date: the fast path for registers.

When one Parquet file is decided into a Parquet file with the rules of a single date, the file is
taken a slice of rows at a time (:data:`SLICE_ROWS`): ``scan_parquet(...).slice`` →
:func:`._validate.conform_lazy` → the engine's plan, collected by Polars' engine in parallel, then
appended to the output as row groups. Memory stays flat whatever the file's size (Polars'
``sink_parquet`` of these nested columns grew with the file: 1.0 GiB at 1M rows, 7.7 GiB at 10M).
The rows the column checks cannot clear are read again from the file and judged by the models,
as in the batch path; the ones the models accept are decided with their slice, in input order.
Family cards approved twice are found at the end from a side file of the approvals.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from bansos_rules.engines.columnar._engine import ColumnarEngine, value_column
from bansos_rules.engines.columnar._read import Invalid, _Reader, _without_nulls
from bansos_rules.engines.columnar._schema import application_schema, frame_of
from bansos_rules.engines.columnar._validate import conform_lazy

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook
    from bansos_rules._models import Application

__all__ = ["Streamed", "single_date", "stream_parquet"]

KK_PATH = "household.kk_number"
SLICE_ROWS = 250_000
"""Rows decided at a time: memory stays about 1 GiB whatever the file's size."""
COMPRESSION: Final = "snappy"


@dataclass
class Streamed:
    """What one streamed file gave: counts, invalid records, family cards approved twice."""

    records: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    invalid: list[Invalid] = field(default_factory=list)
    repeated: list[tuple[str, list[str]]] = field(default_factory=list)


def single_date(source: Path, on: date | None, today: date) -> date | None:
    """The one date every row of ``source`` is decided on, or ``None`` when they differ."""
    if on is not None:
        return on
    dates = (
        pl.scan_parquet(source)
        .select(pl.col("submitted_on").fill_null(pl.lit(today, dtype=pl.Date)).unique())
        .collect()
        .to_series()
    )
    return dates.item() if dates.len() == 1 else None


def stream_parquet(
    engine: ColumnarEngine,
    book: RuleBook,
    source: Path,
    target: Path,
    on: date,
    shown: str,
    slice_rows: int = SLICE_ROWS,
) -> Streamed:
    """Decide ``source`` into ``target`` (see the module); the rules of ``on`` for every row."""
    import pyarrow.parquet as pq

    registered = tuple(book.layout.business_types)
    names = list(application_schema().names())
    scan = pl.scan_parquet(source).with_row_index("__row")
    total = pl.scan_parquet(source).select(pl.len()).collect().item()
    result = Streamed()
    outcomes: Counter[str] = Counter()
    reader = _Reader(book, shown, 1)
    kk = value_column(KK_PATH) if KK_PATH in book.layout.value_paths else None
    writer = approvals = None
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        try:
            for start in range(0, max(total, 1), slice_rows):
                part = conform_lazy(
                    scan.slice(start, slice_rows), registered, keep=("__row",)
                ).collect()
                flagged = part.filter(pl.col("__suspect")).get_column("__row").to_list()
                frame = part.filter(~pl.col("__suspect")).select("__row", *names)
                if flagged:
                    frame = _judged(reader, source, shown, flagged, frame, result)
                records = engine.records(frame.select(names), on).collect()
                outcomes.update(dict(records.get_column("outcome").value_counts().iter_rows()))
                table = records.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(target, table.schema, compression=COMPRESSION)
                writer.write_table(table)
                if kk is not None:
                    approved = records.filter(pl.col("outcome") == "approved").select(
                        "application_id", kk
                    )
                    if approvals is None:
                        approvals = pq.ParquetWriter(
                            Path(tmp) / "approved.parquet", approved.to_arrow().schema
                        )
                    approvals.write_table(approved.to_arrow())
        finally:
            if writer is not None:
                writer.close()
            if approvals is not None:
                approvals.close()
        if kk is not None and approvals is not None:
            twice = (
                pl.scan_parquet(Path(tmp) / "approved.parquet")
                .group_by(kk, maintain_order=True)
                .agg(pl.col("application_id"))
                .filter(pl.col("application_id").list.len() > 1)
                .collect()
            )
            result.repeated = [(str(k), list(ids)) for k, ids in twice.iter_rows()]
    result.outcomes = {str(o): int(n) for o, n in outcomes.items()}
    result.records = total
    return result


def _judged(
    reader: _Reader,
    source: Path,
    shown: str,
    flagged: list[int],
    frame: pl.DataFrame,
    result: Streamed,
) -> pl.DataFrame:
    """``frame`` plus the flagged rows the models accept (in input order); the others are
    added to ``result.invalid``."""
    raw = (
        pl.scan_parquet(source)
        .with_row_index("__row")
        .filter(pl.col("__row").is_in(flagged))
        .collect()
    )
    accepted: list[tuple[int, Application]] = []
    for row in raw.iter_rows(named=True):
        number = row.pop("__row")
        judged = reader.judge(f"{shown} (row {number + 1})", _without_nulls(row))
        if isinstance(judged, Invalid):
            result.invalid.append(judged)
        else:
            accepted.append((number, judged))
    if not accepted:
        return frame
    extra = frame_of([a for _, a in accepted]).with_columns(
        pl.Series("__row", [n for n, _ in accepted], dtype=frame.schema["__row"])
    )
    return pl.concat([frame, extra.select(frame.columns)]).sort("__row")
