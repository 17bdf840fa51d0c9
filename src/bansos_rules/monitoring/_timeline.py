"""What both engines share: the case, its snapshot and result types, dates, and message texts.

Nothing here decides anything: the engines (:mod:`._native`, :mod:`._durable`) do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bansos_rules.monitoring._events import Closure, Handover, Training, Visit
from bansos_rules.monitoring._ruleset import CaseInfo, MonitoringRuleset
from bansos_rules.ruleset.schema import Text

__all__ = [
    "AlertOpen",
    "CaseInfo",
    "CaseState",
    "StateChange",
    "add_months",
    "months_between",
    "ordered",
    "render",
]

AnyEvent = Handover | Visit | Training | Closure
_RANK = {"handover": 0, "visit": 1, "training": 2, "closure": 3}


def ordered(events: Iterable[AnyEvent]) -> list[AnyEvent]:
    """A case's events in timeline order: by date, then handover, visit, training, closure, then
    event id. The order events arrived in never matters."""
    return sorted(events, key=lambda e: (e.date, _RANK[e.type], e.event_id))


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months (the last day of a shorter month when needed)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)(?::(rupiah))?\}")


def _rupiah(value: Any, lang: str) -> str:
    text = f"{int(value):,}"
    return "Rp" + (text.replace(",", ".") if lang == "id" else text)


def render(template: Text, values: Mapping[str, Any]) -> Text:
    """A reason with its ``{case.x}``, ``{params.x}`` and ``{...:rupiah}`` placeholders filled."""

    def fill(text: str, lang: str) -> str:
        def one(m: re.Match[str]) -> str:
            value = values.get(m.group(1))
            if value is None:
                return "-"
            return _rupiah(value, lang) if m.group(2) else str(value)

        return _PLACEHOLDER.sub(one, text)

    if "{" not in template.id and "{" not in template.en:
        return template
    # Both texts come from a checked ruleset: no need to validate them again.
    return Text.model_construct(id=fill(template.id, "id"), en=fill(template.en, "en"))


def placeholders(template: Text) -> tuple[str, ...]:
    """The paths a reason's placeholders read."""
    return tuple(
        dict.fromkeys(
            m.group(1) for t in (template.id, template.en) for m in _PLACEHOLDER.finditer(t)
        )
    )


@dataclass(frozen=True)
class StateChange:
    """A case moved from ``source`` to ``to`` on ``on`` by transition ``rule``."""

    on: date
    source: str
    to: str
    rule: str
    reason: Text

    def to_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "from": self.source,
            "to": self.to,
            "rule": self.rule,
            "reason": {"id": self.reason.id, "en": self.reason.en},
        }


@dataclass(frozen=True)
class AlertOpen:
    """An alert open on a day."""

    id: str
    severity: str
    reason: Text
    reference: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "reason": {"id": self.reason.id, "en": self.reason.en},
            "reference": self.reference,
        }


@dataclass(frozen=True)
class CaseState:
    """A case as of a day: its state, open alerts, dates and history."""

    application_id: str
    on: date
    state: str
    since: date | None
    handover_on: date | None
    last_visit_on: date | None
    next_visit_due: date | None
    visits: int
    alerts: tuple[AlertOpen, ...]
    history: tuple[StateChange, ...]
    engine: str = field(default="native", compare=False)
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def alert_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        def d(x: date | None) -> str | None:
            return None if x is None else x.isoformat()

        return {
            "application_id": self.application_id,
            "on": self.on.isoformat(),
            "state": self.state,
            "since": d(self.since),
            "handover_on": d(self.handover_on),
            "last_visit_on": d(self.last_visit_on),
            "next_visit_due": d(self.next_visit_due),
            "visits": self.visits,
            "alerts": [a.to_dict() for a in self.alerts],
            "history": [h.to_dict() for h in self.history],
        }

    def to_json(self) -> str:
        """Compact JSON with a fixed key order: the same case, events and day give the same
        bytes, on either engine."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def next_due(last_contact: date | None, cycle_days: int | None) -> date | None:
    if last_contact is None or cycle_days is None:
        return None
    return last_contact + timedelta(days=cycle_days)


def placeholder_values(
    ruleset: MonitoringRuleset, facts: Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, Any]:
    """Values for reason placeholders: ``case.*``, ``case.streaks.*`` and ``params.*``."""
    values: dict[str, Any] = {f"params.{k}": v for k, v in params.items()}
    for k, v in facts.items():
        if k == "streaks":
            for s, n in v.items():
                values[f"case.streaks.{s}"] = n
        else:
            values[f"case.{k}"] = v
    return values
