"""The output: a :class:`Decision` that explains itself.

A decision is a compact record, plain data: what the engine found (the outcome, the raw result of
every rule and score rule, every value the rules read, the date, the engine) and a handle on the
manifest of the rules it was made with (:mod:`bansos_rules.explain`), which pickles as the ruleset
digest. The explanation (:attr:`Decision.findings`, :attr:`Decision.referrals`,
:attr:`Decision.recommendations`, :meth:`Decision.to_dict`, :meth:`Decision.to_json`) is rendered
from record and manifest when asked for. Nothing in it is recomputed from the application, so a
decision is a faithful record of what the engine saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pydantic import BaseModel

from bansos_rules._messages import Lang
from bansos_rules.ruleset.vocabulary import fit_percent

if TYPE_CHECKING:
    from bansos_rules._book import Layout
    from bansos_rules.explain import Manifest

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


class RuleError:
    """The result of a rule whose expression raised while it ran (e.g. a division by zero)."""

    __slots__ = ("detail",)

    def __init__(self, exc: BaseException) -> None:
        self.detail = f"{type(exc).__name__}: {exc}"

    @classmethod
    def from_detail(cls, detail: str) -> RuleError:
        """The error of a rule as a decision record wrote it (``"ZeroDivisionError: ..."``)."""
        error = cls.__new__(cls)
        error.detail = detail
        return error

    def __getstate__(self) -> str:
        return self.detail

    def __setstate__(self, state: str) -> None:
        self.detail = state

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RuleError):
            return self.detail == other.detail
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.detail)

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
    """An immutable decision on one application: a compact record plus its rules' manifest.

    Built by engines through :meth:`build`; read it through its properties. A decision is plain
    data: it pickles, deep-copies and compares equal. Its manifest pickles as the ruleset digest
    alone, so a list of decisions carries no texts; a decision unpickled in a process that has
    loaded rulesets with the same digest explains itself there, and one unpickled elsewhere keeps
    its record (outcome, aid value, results, values) but raises
    :class:`~bansos_rules.explain.UnknownDigestError` when asked for an explanation until such
    rulesets are loaded.
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
        layout: Layout | Manifest,
        business_type: str,
        plan_total: int,
        results: tuple[Any, ...],
        scores: tuple[Any, ...],
        values: tuple[Any, ...],
    ) -> Decision:
        """Assemble a decision from an engine's raw results (in ``layout``'s slot order).

        :param layout: the book's layout, or the manifest of another decision (``decision[5]``),
            for an engine that derives its decisions from another engine's.
        """
        # Only a manifest (or the placeholder of an unpickled one) can resolve itself.
        manifest = layout if hasattr(layout, "resolve") else layout.manifest
        return tuple.__new__(
            cls,
            (
                application_id,
                outcome,
                aid_value,
                on,
                engine,
                manifest,
                business_type,
                plan_total,
                results,
                scores,
                values,
            ),
        )

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
    def manifest(self) -> Manifest:
        """The texts, references and parameters of the rules the decision was made with.

        :raises UnknownDigestError: for a decision unpickled where no rulesets with its digest
            are loaded.
        """
        return cast("Manifest", self[5].resolve())

    @property
    def layout(self) -> Layout:
        """The rules the decision was made with (in this process; see :attr:`manifest`)."""
        return self.manifest.layout

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
        return cast(str, self[5].digest)

    @property
    def results(self) -> tuple[bool | RuleError | None, ...]:
        """The raw result of each requirement rule, in the layout's order."""
        return cast("tuple[bool | RuleError | None, ...]", self[8])

    @property
    def scores(self) -> tuple[bool | RuleError | None, ...]:
        """The raw result of each score rule for each business type, in the layout's order."""
        return cast("tuple[bool | RuleError | None, ...]", self[9])

    @property
    def values(self) -> tuple[Any, ...]:
        """Every value the rules read, in the order of :attr:`Manifest.value_paths`."""
        return cast("tuple[Any, ...]", self[10])

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The finding of every requirement rule, in ruleset order (built on access)."""
        return self.manifest.findings(self)

    @property
    def failed(self) -> tuple[Finding, ...]:
        """The findings of rules that failed or could not run."""
        return tuple(f for f in self.findings if f.status in (Status.FAILED, Status.ERROR))

    @property
    def referrals(self) -> tuple[Referral, ...]:
        """Referrals to other agencies made by failed rules, in rule order."""
        return self.manifest.referrals(self)

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """Business types ranked by fit score (highest first, then by registration order)."""
        return self.manifest.recommendations(self)

    def to_dict(self) -> dict[str, Any]:
        """The whole decision and its explanation, JSON-ready, in both languages."""
        manifest = self.manifest
        findings = manifest.findings(self)
        referrals = [
            Referral(f.refer, manifest.agencies[f.refer], f.rule_id, f.message)
            for f in findings
            if f.refer and f.status is Status.FAILED
        ]
        return {
            "application_id": self.application_id,
            "outcome": self.outcome.value,
            "aid_value": self.aid_value,
            "business_type": self.business_type,
            "plan_total": self.plan_total,
            "rules_applied_on": self.on.isoformat(),
            "engine": self.engine,
            "ruleset_digest": manifest.digest,
            "rulesets": [{"id": rs, "digest": digest} for rs, digest in manifest.rulesets],
            "findings": [f.to_dict() for f in findings],
            "referrals": [r.to_dict() for r in referrals],
            "recommendations": [r.to_dict() for r in manifest.recommendations(self)],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON; the same decision always gives the same bytes."""
        return self.manifest.to_json(self)

    def to_record(self) -> dict[str, Any]:
        """The compact decision record, JSON-ready (the schema is in ``docs/cli.md``)."""
        from bansos_rules.explain import to_record

        return to_record(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any], manifest: Manifest) -> Decision:
        """The decision a record written by :meth:`to_record` describes.

        :param manifest: the manifest of the rulesets the record was made with.
        :raises UnknownDigestError: when the record's digest is not ``manifest``'s.
        :raises RecordError: when the record is malformed.
        """
        from bansos_rules.explain import from_record

        return from_record(record, manifest)


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
