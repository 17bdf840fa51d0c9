"""The columnar engine: the rule tree compiled into Polars expressions, for registers.

::

    from datetime import date
    from bansos_rules import load_rules
    from bansos_rules.engines.columnar import ColumnarEngine, frame_of

    book = load_rules()
    engine = book.engine("columnar")                       # a ColumnarEngine
    records = engine.records(frame_of(applications), date(2025, 6, 1)).collect()
    for decision in engine.decisions(records):             # explained like any other engine's
        print(decision.outcome, decision.findings[0].message.en)

Inputs are frames in :func:`application_schema` form (struct columns for the application's parts,
list columns for its lists); :func:`read_applications` streams Parquet, CSV and JSON Lines files
in batches and validates them on columns. The output is a frame of decision records
(:data:`RECORD_COLUMNS`, a status column per rule and per score slot, a column per value read).
A function registered by a plugin declares its Polars form with :func:`columnar_form`.
"""

from __future__ import annotations

from bansos_rules.engines.columnar._compile import ColumnarCompileError
from bansos_rules.engines.columnar._engine import (
    RECORD_COLUMNS,
    ColumnarEngine,
    score_column,
    status_column,
    value_column,
)
from bansos_rules.engines.columnar._forms import Arg, ColumnarForm, columnar_form
from bansos_rules.engines.columnar._read import Batch, Invalid, read_applications
from bansos_rules.engines.columnar._records import record_dicts, record_lines, write_records
from bansos_rules.engines.columnar._schema import application_schema, frame_of

__all__ = [
    "RECORD_COLUMNS",
    "Arg",
    "Batch",
    "ColumnarCompileError",
    "ColumnarEngine",
    "ColumnarForm",
    "Invalid",
    "application_schema",
    "columnar_form",
    "frame_of",
    "read_applications",
    "record_dicts",
    "record_lines",
    "score_column",
    "status_column",
    "value_column",
    "write_records",
]
