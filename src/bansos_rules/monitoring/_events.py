"""Monitoring events from field workers (PSM, TKSK): the models and reading them from files.

Every event has ``event_id`` (unique), ``application_id``, ``type``, ``date``, ``recorded_by``
and ``role``. Four types carry their own fields: ``handover``, ``visit``, ``training`` and
``closure``. JSON Lines and CSV files are read line by line; a line that is not a valid event is
reported with its line number and every field at fault (in Indonesian and English), and the
other lines are still read, so ``lines = events + problems``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from bansos_rules._errors import FieldProblem
from bansos_rules._io import UnreadableInput
from bansos_rules._messages import field_message_id

__all__ = [
    "EVENT_TYPES",
    "Closure",
    "Event",
    "EventLine",
    "Handover",
    "Training",
    "Visit",
    "event_json",
    "parse_event",
    "read_events",
]

EVENT_TYPES = ("handover", "visit", "training", "closure")
_Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")]
_Rupiah = Annotated[int, Field(ge=0, le=10**13)]
_Count = Annotated[int, Field(ge=0, le=10**6)]


class _EventBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: _Id = Field(description="Unique id of the event, given by the worker's tool.")
    application_id: _Id = Field(description="The case: the approved application's id.")
    date: dt.date = Field(description="The day the event happened.")
    recorded_by: _Id = Field(description="The worker's id.")
    role: Literal["psm", "tksk"] = Field(description="psm (village) or tksk (sub-district).")


class Handover(_EventBase):
    """The goods and materials were handed over to the beneficiary."""

    type: Literal["handover"] = "handover"
    value: _Rupiah = Field(description="Value handed over, in rupiah.")


class Visit(_EventBase):
    """A monitoring visit and what the worker saw."""

    type: Literal["visit"] = "visit"
    business_running: bool
    monthly_revenue: _Rupiah | None = None
    monthly_business_income: int | None = Field(default=None, ge=-(10**13), le=10**13)
    household_monthly_income: _Rupiah | None = None
    household_size: Annotated[int, Field(ge=1, le=50)] | None = None
    assets_present: bool | None = None
    livestock_count: _Count | None = Field(default=None, description="Chicken farming only.")
    livestock_sold: _Count | None = Field(
        default=None,
        description="Birds of the package sold since the last visit (chicken farming).",
    )

    @property
    def income_per_person(self) -> int | None:
        """Household income per person per month (whole rupiah, rounded down)."""
        if self.household_monthly_income is None or self.household_size is None:
            return None
        return self.household_monthly_income // self.household_size


class Training(_EventBase):
    """A training course attended (Disnakertrans, Disperindagkop ...)."""

    type: Literal["training"] = "training"
    agency: _Id
    course: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Closure(_EventBase):
    """The case closes before graduation."""

    type: Literal["closure"] = "closure"
    reason: Literal["moved", "died", "withdrew"]


Event = Annotated[Handover | Visit | Training | Closure, Field(discriminator="type")]
"""Any monitoring event."""

_ADAPTER: TypeAdapter[Handover | Visit | Training | Closure] = TypeAdapter(Event)


def parse_event(data: Any) -> Handover | Visit | Training | Closure:
    """Validate one event (a mapping); raises pydantic's ``ValidationError``."""
    return _ADAPTER.validate_python(data)


def parse_event_json(text: str | bytes) -> Handover | Visit | Training | Closure:
    """Validate one event from its JSON text; raises pydantic's ``ValidationError``."""
    return _ADAPTER.validate_json(text)


def event_json(event: Handover | Visit | Training | Closure) -> str:
    """The canonical JSON of an event: fields in model order, no ``null``s, no spaces.

    Two events with the same content have the same canonical JSON, whatever order or spacing
    their source had; the store compares events by it.
    """
    return event.model_dump_json(exclude_none=True)


@dataclass(frozen=True, slots=True)
class EventLine:
    """One line of an event file: the event, or the problems that keep it out."""

    source: str
    line: int
    event: Handover | Visit | Training | Closure | None
    problems: tuple[FieldProblem, ...] = ()

    def describe(self, lang: Literal["id", "en"] = "en") -> str:
        """``file:line: field: message; ...`` in ``lang``."""
        parts = [f"{p.path}: {p.text(lang)}" if p.path else p.text(lang) for p in self.problems]
        return f"{self.source}:{self.line}: " + "; ".join(parts)


def _problems(exc: ValidationError) -> tuple[FieldProblem, ...]:
    found = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in EVENT_TYPES:
            loc = loc[1:]  # the union member pydantic tried
        kind = err["type"]
        if kind == "union_tag_invalid":
            message = "type must be one of: " + ", ".join(EVENT_TYPES)
            message_id = "type harus salah satu dari: " + ", ".join(EVENT_TYPES)
            loc = ["type"]
        elif kind == "union_tag_not_found":
            message, message_id, loc = "missing required field", "kolom wajib tidak ada", ["type"]
        else:
            message = err["msg"]
            message_id = field_message_id(kind, err.get("ctx")) or message
        found.append(FieldProblem(".".join(loc), message, err.get("input"), message_id=message_id))
    return tuple(found)


def _line(source: str, number: int, data: Any) -> EventLine:
    if not isinstance(data, dict):
        problem = FieldProblem("", "a line must be a JSON object", None, "baris harus objek JSON")
        return EventLine(source, number, None, (problem,))
    try:
        return EventLine(source, number, parse_event(data))
    except ValidationError as exc:
        return EventLine(source, number, None, _problems(exc))


def _jsonl(lines: Iterable[str], source: str) -> Iterator[EventLine]:
    fast = _ADAPTER.validate_json
    for number, text in enumerate(lines, 1):
        try:  # nearly every line: validated straight from its text by pydantic's JSON parser
            yield EventLine(source, number, fast(text))
            continue
        except ValidationError:
            pass  # read again below, so that its problems are reported as for any input
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = FieldProblem(
                "",
                f"not valid JSON: {exc.msg} (column {exc.colno})",
                None,
                f"bukan JSON yang valid: {exc.msg} (kolom {exc.colno})",
            )
            yield EventLine(source, number, None, (problem,))
            continue
        yield _line(source, number, data)


def _csv(text: Iterable[str], source: str) -> Iterator[EventLine]:
    reader = csv.DictReader(text)
    for row in reader:
        number = reader.line_num
        extra = row.pop(None, None)
        data = {k.strip(): v.strip() for k, v in row.items() if k and v is not None and v.strip()}
        if extra:
            problem = FieldProblem(
                "", "more values than columns", extra, "nilai lebih banyak daripada kolom"
            )
            yield EventLine(source, number, None, (problem,))
            continue
        if not data:
            continue
        yield _line(source, number, data)


def read_events(path: Path | str, fmt: str | None = None) -> Iterator[EventLine]:
    """Every line of an event file (``.jsonl``/``.ndjson`` or ``.csv``; ``-`` is stdin as JSON
    Lines), as it is read. Raises :class:`~bansos_rules.UnreadableInput` when the file cannot be
    read at all."""
    import sys

    source = str(path)
    if source == "-":
        yield from _jsonl(sys.stdin, "<stdin>")
        return
    p = Path(path)
    if fmt is None:
        suffix = p.suffix.lower()
        fmt = "csv" if suffix == ".csv" else "jsonl" if suffix in (".jsonl", ".ndjson") else None
        if fmt is None:
            raise UnreadableInput(f"{p}: unknown format {suffix!r}; use .jsonl or .csv")
    try:
        handle = p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise UnreadableInput(f"{p}: {exc.strerror or exc}") from None
    with handle:
        try:
            if fmt == "csv":
                yield from _csv(handle, source)
            else:
                yield from _jsonl(handle, source)
        except UnicodeDecodeError:
            raise UnreadableInput(f"{p}: not UTF-8 text") from None


def read_event_text(text: str, source: str = "<text>", fmt: str = "jsonl") -> Iterator[EventLine]:
    """The lines of event data held in memory (JSON Lines or CSV)."""
    if fmt == "csv":
        yield from _csv(io.StringIO(text, newline=""), source)
    else:
        yield from _jsonl(text.splitlines(), source)
