"""Record frames out: the same JSON lines as ``evaluate --format records``, Parquet and CSV files.

A record frame's rows become, without building :class:`~bansos_rules._decision.Decision` objects,
exactly the record lines the other engines write (:func:`record_lines`, byte for byte the output of
:func:`bansos_rules.explain.record_json`). Parquet keeps every column as it is (values read as
structs and lists); CSV has no nested columns, so a value that is a list or a record is written as
its JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from bansos_rules.engines.columnar._engine import RECORD_COLUMNS, value_column

__all__ = ["OUTPUT_SUFFIXES", "csv_ready", "record_dicts", "record_lines", "write_records"]

OUTPUT_SUFFIXES = (".parquet", ".jsonl", ".csv")
"""The file kinds a record frame can be written to, by the output file's name."""

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def record_dicts(records: pl.DataFrame, value_paths: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Each row as the JSON-ready record :meth:`Decision.to_record` gives."""
    columns = [*RECORD_COLUMNS, *(value_column(p) for p in value_paths)]
    nvalues = len(value_paths)
    for row in records.select(columns).iter_rows():
        record: dict[str, Any] = {
            "application_id": row[0],
            "outcome": row[1],
            "aid_value": row[2],
            "business_type": row[3],
            "plan_total": row[4],
            "rules_applied_on": row[5].isoformat(),
            "engine": row[6],
            "ruleset_digest": row[7],
            "rules": row[8],
            "scores": row[9],
        }
        if row[10]:
            record["errors"] = json.loads(row[10])
        record["values"] = [_plain(v) for v in row[11 : 11 + nvalues]]
        yield record


def record_lines(records: pl.DataFrame, value_paths: Sequence[str]) -> Iterator[str]:
    """Each row as one compact JSON line (``evaluate --format records``), without a newline."""
    for record in record_dicts(records, value_paths):
        yield _dumps(record)


_FORMULA = r"^[=+\-@\t\r]"
"""A cell a spreadsheet would run as a formula (or a DDE call) when the file is opened."""


def csv_ready(records: pl.DataFrame) -> pl.DataFrame:
    """``records`` as cells: every nested column (lists, structs) as its JSON text, and every
    text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return first) written after a ``'``, so opening the file runs nothing."""
    nested = [
        name
        for name, dtype in records.schema.items()
        if isinstance(dtype, pl.List | pl.Struct | pl.Array)
    ]
    if nested:
        records = records.with_columns(
            pl.struct(pl.col(name).alias("v"))
            .struct.json_encode()
            .str.strip_prefix('{"v":')
            .str.strip_suffix("}")
            .alias(name)
            for name in nested
        )
    texts = [name for name, dtype in records.schema.items() if dtype == pl.String]
    return records.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )


def write_records(records: pl.DataFrame, path: Path, value_paths: Sequence[str]) -> None:
    """Write ``records`` to ``path`` in the kind its suffix names (:data:`OUTPUT_SUFFIXES`)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        records.write_parquet(path)
    elif suffix == ".csv":
        csv_ready(records).write_csv(path)
    else:
        with path.open("w", encoding="utf-8") as out:
            for line in record_lines(records, value_paths):
                out.write(line + "\n")
