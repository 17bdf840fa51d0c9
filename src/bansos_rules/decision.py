"""The output: a :class:`Decision` that explains itself.

An engine fills a decision with the raw result of every rule and every value the rules read; the
explanation (:attr:`Decision.findings`, :attr:`Decision.referrals`,
:attr:`Decision.recommendations`, :meth:`Decision.to_dict`) is built from those and the rules'
metadata when asked for. Nothing in it is recomputed from the application, so a decision is a
faithful record of what the engine saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pydantic import BaseModel

from bansos_rules.messages import Lang
from bansos_rules.ruleset.vocabulary import fit_percent

if TYPE_CHECKING:
    from bansos_rules.book import Layout
    from bansos_rules.ruleset.ir import Rule

__all__ = ["Decision", "Finding", "Outcome", "Recommendation", "Referral", "RuleError", "Status"]


class Outcome(StrEnum):
    """What was decided."""

    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"


class Status(StrEnum):
    """How one rule came out."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


_EMPTY: Mapping[str, Any] = MappingProxyType({})
_new_finding = tuple.__new__
_STATUS: dict[Any, Status] = {
    True: Status.PASSED,
    False: Status.FAILED,
    None: Status.NOT_APPLICABLE,
}


class RuleError:
    """The result of a rule whose expression raised while it ran (e.g. a division by zero)."""

    __slots__ = ("detail",)

    def __init__(self, exc: BaseException) -> None:
        self.detail = f"{type(exc).__name__}: {exc}"

    def __repr__(self) -> str:
        return f"RuleError({self.detail!r})"


class Text(NamedTuple):
    """A message in Bahasa Indonesia and English."""

    id: str
    en: str

    def __call__(self, lang: Lang) -> str:
        return self.id if lang == "id" else self.en


class Finding(NamedTuple):
    """The outcome of one rule for one application: what it read and what it concluded."""

    rule_id: str
    ruleset: str
    title: Text
    status: Status
    on_fail: str
    refer: str | None
    values: Mapping[str, Any]
    thresholds: Mapping[str, Any]
    message: Text
    reference: str
    error: str | None = None

    @property
    def passed(self) -> bool | None:
        """True or False when the rule applied and ran; ``None`` otherwise."""
        if self.status is Status.PASSED:
            return True
        if self.status is Status.FAILED:
            return False
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        result: dict[str, Any] = {
            "rule": self.rule_id,
            "ruleset": self.ruleset,
            "status": self.status.value,
            "on_fail": self.on_fail,
            "values": _json_mapping(self.values),
            "thresholds": _json_mapping(self.thresholds),
            "message": {"id": self.message.id, "en": self.message.en},
            "reference": self.reference,
        }
        if self.refer:
            result["refer"] = self.refer
        if self.error:
            result["error"] = self.error
        return result


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral to another agency, and the rule that made it."""

    agency: str
    agency_name: Text
    rule_id: str
    reason: Text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "agency": self.agency,
            "agency_name": {"id": self.agency_name.id, "en": self.agency_name.en},
            "rule": self.rule_id,
            "reason": {"id": self.reason.id, "en": self.reason.en},
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    """How well one business type fits the applicant, with the reasons."""

    business_type: str
    name: Text
    score: int
    max_score: int
    reasons: tuple[Finding, ...]

    @property
    def percent(self) -> int:
        """Score as a whole percentage of the maximum."""
        return fit_percent(self.score, self.max_score)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "business_type": self.business_type,
            "name": {"id": self.name.id, "en": self.name.en},
            "score": self.score,
            "max_score": self.max_score,
            "percent": self.percent,
            "reasons": [
                {
                    "rule": f.rule_id,
                    "status": f.status.value,
                    "message": {"id": f.message.id, "en": f.message.en},
                }
                for f in self.reasons
            ],
        }


class Decision(tuple[Any, ...]):
    """An immutable decision on one application, with everything needed to explain it.

    Built by engines through :meth:`build`; read it through its properties.
    """

    __slots__ = ()

    @classmethod
    def build(
        cls,
        application_id: str,
        outcome: Outcome,
        aid_value: int,
        on: date,
        engine: str,
        layout: Layout,
        business_type: str,
        plan_total: int,
        results: tuple[Any, ...],
        scores: tuple[Any, ...],
        values: tuple[Any, ...],
    ) -> Decision:
        """Assemble a decision from an engine's raw results (in ``layout``'s slot order)."""
        return tuple.__new__(
            cls,
            (
                application_id,
                outcome,
                aid_value,
                on,
                engine,
                layout,
                business_type,
                plan_total,
                results,
                scores,
                values,
            ),
        )

    def __getnewargs__(self) -> tuple[Any, ...]:  # pragma: no cover - pickling support
        return tuple(self)

    def __repr__(self) -> str:
        return (
            f"Decision(application_id={self.application_id!r}, outcome={self.outcome.value!r}, "
            f"aid_value={self.aid_value}, on={self.on.isoformat()!r}, engine={self.engine!r})"
        )

    @property
    def application_id(self) -> str:
        """The application's id."""
        return cast(str, self[0])

    @property
    def outcome(self) -> Outcome:
        """Approved, rejected, or needs review."""
        return cast(Outcome, self[1])

    @property
    def aid_value(self) -> int:
        """The aid approved, in rupiah: the plan total when approved, else 0."""
        return cast(int, self[2])

    @property
    def on(self) -> date:
        """The date the rules were applied for."""
        return cast(date, self[3])

    @property
    def engine(self) -> str:
        """The engine that decided."""
        return cast(str, self[4])

    @property
    def layout(self) -> Layout:
        """The rules the decision was made with."""
        return cast("Layout", self[5])

    @property
    def business_type(self) -> str:
        """The planned business type."""
        return cast(str, self[6])

    @property
    def plan_total(self) -> int:
        """Value of the plan, in rupiah."""
        return cast(int, self[7])

    @property
    def digest(self) -> str:
        """A digest of the exact content of every ruleset applied (``sha256:…``)."""
        return self.layout.digest

    @property
    def results(self) -> tuple[bool | RuleError | None, ...]:
        """The raw result of each requirement rule, in the layout's order."""
        return cast("tuple[bool | RuleError | None, ...]", self[8])

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The finding of every requirement rule, in ruleset order (built on access)."""
        layout = self.layout
        bt = self.business_type
        return tuple(
            self._finding(rule, result, bt)
            for rule, result in zip(layout.rules, self[8], strict=True)
        )

    @property
    def failed(self) -> tuple[Finding, ...]:
        """The findings of rules that failed or could not run."""
        return tuple(f for f in self.findings if f.status in (Status.FAILED, Status.ERROR))

    @property
    def referrals(self) -> tuple[Referral, ...]:
        """Referrals to other agencies made by failed rules, in rule order."""
        layout = self.layout
        bt = self.business_type
        return self._referrals(
            self._finding(rule, result, bt)
            for rule, result in zip(layout.rules, self[8], strict=True)
            if rule.refer and result is False
        )

    def _referrals(self, findings: Iterable[Finding]) -> tuple[Referral, ...]:
        agencies = self.layout.agencies
        found = []
        for f in findings:
            if f.refer and f.status is Status.FAILED:
                agency = agencies[f.refer]
                found.append(
                    Referral(f.refer, Text(agency.name_id, agency.name_en), f.rule_id, f.message)
                )
        return tuple(found)

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """Business types ranked by fit score (highest first, then by registration order)."""
        layout = self.layout
        by_type: dict[str, list[tuple[Rule, Any]]] = {t: [] for t in layout.business_types}
        for (rule, candidate), result in zip(layout.scores, self[9], strict=True):
            by_type[candidate].append((rule, result))
        recs = []
        for code, pairs in by_type.items():
            reasons = tuple(self._finding(rule, result, code) for rule, result in pairs)
            applicable = [(r, res) for r, res in pairs if res is not None]
            score = sum(r.points for r, res in applicable if res is True)
            max_score = sum(r.points for r, _ in applicable)
            bt = layout.business_types[code]
            recs.append(
                Recommendation(code, Text(bt.name_id, bt.name_en), score, max_score, reasons)
            )
        order = {code: i for i, code in enumerate(layout.business_types)}
        recs.sort(key=lambda r: (-r.percent, -r.score, order[r.business_type]))
        return tuple(recs)

    def _finding(self, rule: Rule, result: Any, business_type: str) -> Finding:
        layout = self.layout
        status = (
            _STATUS.get(result, Status.ERROR) if type(result) is not RuleError else Status.ERROR
        )
        read = self[10]
        values = {path: read[i] for path, i in layout.read_slots[rule.id]}
        thresholds = (
            layout.params_on(self[3]).thresholds(rule, business_type) if rule.params else _EMPTY
        )
        message = layout.message(rule, status, values, thresholds, business_type, self[3])
        # tuple.__new__ directly: Finding's generated __new__ costs more than the rest together.
        return _new_finding(
            Finding,
            (
                rule.id,
                rule.ruleset,
                layout.title(rule),
                status,
                rule.on_fail,
                rule.refer,
                values,
                thresholds,
                message,
                rule.reference,
                result.detail if isinstance(result, RuleError) else None,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """The whole decision and its explanation, JSON-ready, in both languages."""
        layout = self.layout
        findings = self.findings
        return {
            "application_id": self.application_id,
            "outcome": self.outcome.value,
            "aid_value": self.aid_value,
            "business_type": self.business_type,
            "plan_total": self.plan_total,
            "rules_applied_on": self.on.isoformat(),
            "engine": self.engine,
            "ruleset_digest": layout.digest,
            "rulesets": [{"id": rs.id, "digest": "sha256:" + rs.digest} for rs in layout.rulesets],
            "findings": [f.to_dict() for f in findings],
            "referrals": [r.to_dict() for r in self._referrals(findings)],
            "recommendations": [r.to_dict() for r in self.recommendations],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON; the same decision always gives the same bytes."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


_SCALARS = frozenset({int, str, bool, type(None)})


def _json_mapping(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every value JSON-ready; plain scalars (most of them) pass through."""
    return {k: v if type(v) in _SCALARS else _jsonable(v) for k, v in values.items()}


def _jsonable(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
