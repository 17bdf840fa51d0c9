"""Parquet in, Parquet out, as one streaming Polars query: the fast path for registers.

When one Parquet file is decided into a Parquet file with the rules of a single date, reading,
validation on columns, the decision and writing run as one streaming query
(``scan_parquet`` → :func:`._validate.conform_lazy` → the engine's plan → ``sink_parquet``), in
parallel and in bounded memory. The rows the columns cannot clear are collected by the same query
(their row numbers only), then read again from the file and judged by the models like in the
batch path; the few the models accept are decided and merged into the output in input order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from bansos_rules.engines.columnar._engine import ColumnarEngine, value_column
from bansos_rules.engines.columnar._read import Invalid, _Reader, _without_nulls
from bansos_rules.engines.columnar._schema import frame_of
from bansos_rules.engines.columnar._validate import conform_lazy

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook
    from bansos_rules._models import Application

__all__ = ["Streamed", "single_date", "stream_parquet"]

KK_PATH = "household.kk_number"
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
    progress: Callable[[str], None] | None = None,
) -> Streamed:
    """Decide ``source`` into ``target`` (see the module); the rules of ``on`` for every row."""
    registered = tuple(book.layout.business_types)
    scan = pl.scan_parquet(source).with_row_index("__row")
    base = conform_lazy(scan, registered, keep=("__row",))
    # One query, two outputs sharing the scan and the checks: the records of the rows the
    # checks clear, sunk to the file, and the numbers of the rows to judge.
    records = engine.records(base.filter(~pl.col("__suspect")), on)
    written = records.sink_parquet(target, compression=COMPRESSION, lazy=True)
    suspects = base.filter(pl.col("__suspect")).select("__row")
    _, flagged = pl.collect_all([written, suspects])
    rows = flagged.get_column("__row").to_list()
    result = Streamed()
    if rows:
        reader = _Reader(book, shown, 1)
        raw = pl.scan_parquet(source).with_row_index("__row").filter(pl.col("__row").is_in(rows))
        accepted: list[tuple[int, Application]] = []
        for row in raw.collect().iter_rows(named=True):
            number = row.pop("__row")
            judged = reader.judge(f"{shown} (row {number + 1})", _without_nulls(row))
            if isinstance(judged, Invalid):
                result.invalid.append(judged)
            else:
                accepted.append((number, judged))
        if accepted:
            _merge(engine, target, accepted, rows, on)
    written_records = pl.scan_parquet(target)
    counts = written_records.group_by("outcome").len().collect()
    result.outcomes = {str(o): int(n) for o, n in counts.iter_rows()}
    result.records = sum(result.outcomes.values()) + len(result.invalid)
    if value_column(KK_PATH) in written_records.collect_schema().names():
        twice = (
            written_records.filter(pl.col("outcome") == "approved")
            .group_by(value_column(KK_PATH), maintain_order=True)
            .agg(pl.col("application_id"))
            .filter(pl.col("application_id").list.len() > 1)
            .collect()
        )
        result.repeated = [(str(kk), list(ids)) for kk, ids in twice.iter_rows()]
    return result


def _merge(
    engine: ColumnarEngine,
    target: Path,
    accepted: list[tuple[int, Any]],
    suspects: list[int],
    on: date,
) -> None:
    """Add the records of suspect rows the models accepted to ``target``, in input order."""
    extra = engine.records(frame_of([a for _, a in accepted]), on).collect()
    extra = extra.with_columns(pl.Series("__row", [n for n, _ in accepted], dtype=pl.UInt32))
    written = pl.scan_parquet(target)
    total = written.select(pl.len()).collect().item() + len(suspects)
    valid_rows = pl.int_range(0, total, dtype=pl.UInt32, eager=True)
    valid_rows = valid_rows.filter(~valid_rows.is_in(suspects))
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".parquet", delete=False) as tmp:
        merged = Path(tmp.name)
    (
        pl.concat([written.with_columns(valid_rows.alias("__row")), extra.lazy()])
        .sort("__row")
        .drop("__row")
        .sink_parquet(merged, compression=COMPRESSION)
    )
    merged.replace(target)
