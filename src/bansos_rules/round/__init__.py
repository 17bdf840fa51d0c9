"""The round: one aid per family, slots per regency ranked by need, a reproducible selection,
the waitlist and appeals.

- :func:`load_round` reads a round file (``rulesets/rounds/allocation.yaml`` by default);
- :func:`allocate` decides applications with a rule book, then allocates the round;
  :func:`update` allocates again after withdrawals and corrections, with an audit trail;
- :func:`allocate_rows` is the allocation itself, a pure function over plain :class:`Row`
  values (what another implementation, columnar or SQL, must reproduce);
  :func:`allocate_frame` is the same on Polars columns, and :func:`allocate_columns` a whole
  round on columns (columnar engine, :func:`need_columns`, :func:`tiebreak_column`);
- :func:`family_findings` marks every further approval of a family card in a batch;
- :func:`to_jsonl`, :func:`to_text`, :func:`to_markdown`, :func:`to_html` render a result.
"""

from __future__ import annotations

from bansos_rules.round._columnar import allocate_frame, allocation_of_frame
from bansos_rules.round._core import (
    Allocation,
    Placement,
    Row,
    Status,
    allocate_rows,
    apportion,
    tiebreak_key,
)
from bansos_rules.round._family import FAMILY_RULE, FamilyBatch, FamilyFinding, family_findings
from bansos_rules.round._frame import allocate_columns, need_columns, tiebreak_column
from bansos_rules.round._loader import NeedTermIR, Regency, Round, load_round, parse_round
from bansos_rules.round._report import (
    to_audit_jsonl,
    to_html,
    to_jsonl,
    to_markdown,
    to_text,
)
from bansos_rules.round._run import (
    Change,
    Entry,
    Invalid,
    NeedPoints,
    RegencySummary,
    RoundResult,
    allocate,
    allocate_decided,
    slots_for,
    update,
)
from bansos_rules.round._schema import PROPERTIES, round_json_schema

__all__ = [
    "FAMILY_RULE",
    "PROPERTIES",
    "Allocation",
    "Change",
    "Entry",
    "FamilyBatch",
    "FamilyFinding",
    "Invalid",
    "NeedPoints",
    "NeedTermIR",
    "Placement",
    "Regency",
    "RegencySummary",
    "Round",
    "RoundResult",
    "Row",
    "Status",
    "allocate",
    "allocate_columns",
    "allocate_decided",
    "allocate_frame",
    "allocate_rows",
    "allocation_of_frame",
    "apportion",
    "family_findings",
    "load_round",
    "need_columns",
    "parse_round",
    "round_json_schema",
    "slots_for",
    "tiebreak_column",
    "tiebreak_key",
    "to_audit_jsonl",
    "to_html",
    "to_jsonl",
    "to_markdown",
    "to_text",
    "update",
]
