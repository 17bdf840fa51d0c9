"""The round ruleset's file format, as pydantic models (and the JSON Schema editors use).

A round file is YAML with a top-level ``round:`` key. It shares the decision rulesets' parts:
texts in ``id``/``en``, parameters keyed by effective date with references
(:class:`bansos_rules.ruleset.schema.ParameterSpec`), and expressions in the rule language.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from bansos_rules._types import Slug
from bansos_rules.ruleset.schema import Expression, FileModel, ParameterSpec, RuleId, Text

__all__ = [
    "PROPERTIES",
    "NeedTerm",
    "RegencySpec",
    "RoundExample",
    "RoundExpectation",
    "RoundFile",
    "RoundInvariant",
    "SlotsSpec",
    "round_json_schema",
]

PROPERTIES = (
    "order_independent",
    "slots_respected",
    "one_per_family",
    "budget_respected",
    "more_slots_keep_selected",
    "more_need_never_lower_rank",
    "waitlist_below_selected",
)
"""The properties a round's ``invariants:`` may declare; ``bansos-rules check-round`` and the
tests check each on generated rounds."""

Property = Literal[
    "order_independent",
    "slots_respected",
    "one_per_family",
    "budget_respected",
    "more_slots_keep_selected",
    "more_need_never_lower_rank",
    "waitlist_below_selected",
]


class RegencySpec(FileModel):
    """A regency or city taking part in the round, and the figures the round may read."""

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] = Field(
        description="Kemendagri code, as in `applicant.regency`."
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    poverty_rate_bp: int | None = Field(
        default=None, ge=0, le=10_000, description="Poverty rate in basis points (8.63% = 863)."
    )
    poor_population: int | None = Field(default=None, ge=0, description="Poor people.")
    slots: int | None = Field(
        default=None, ge=0, description="Slots of this regency, overriding the slots rule."
    )
    reference: str = Field(min_length=1, description="Where the figures come from.")


class SlotsSpec(FileModel):
    """How many families each regency may select. Values are parameter names."""

    method: Literal["fixed", "by_eligible", "by_poor_population"] = Field(
        description="fixed: `per_regency` each; by_eligible / by_poor_population: `total` "
        "shared by largest remainder in proportion to approved applications or poor people."
    )
    per_regency: Slug | None = Field(default=None, description="int parameter (fixed).")
    total: Slug | None = Field(default=None, description="int parameter (shared methods).")
    minimum: Slug | None = Field(default=None, description="int parameter: at least this many.")
    maximum: Slug | None = Field(default=None, description="int parameter: at most this many.")


class NeedTerm(FileModel):
    """One term of the need score: ``weight`` times the value of ``score``."""

    id: RuleId
    title: Text
    reference: str = Field(min_length=1, description="Policy basis of the term and its weight.")
    weight: int = Field(ge=-1000, le=1000, description="Points per unit of `score`.")
    score: Expression = Field(
        description="A whole number or true/false (1/0); may read the application, `today`, "
        "`params` and `regency` (code, name, poverty_rate_bp, poor_population)."
    )
    reason: Text = Field(description="Shown with the rank; may use {value} and {points}.")


class RoundInvariant(FileModel):
    """A property the allocation must have, checked on generated rounds."""

    id: RuleId
    property: Property
    title: Text
    reference: str | None = Field(default=None, min_length=1)


class RoundExpectation(FileModel):
    """What an example's need score must be."""

    score: int | None = Field(default=None, description="The need score.")
    terms: dict[RuleId, int] = Field(
        default_factory=dict, description="Values of need terms (true/false as 1/0), by id."
    )


class RoundExample(FileModel):
    """A worked example: an application, the date, and the need score it must get."""

    name: str = Field(min_length=1, max_length=200)
    on: date
    given: str | dict[str, Any] = Field(
        description="A full application, or the name of one under `applications`."
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="Changes to the application by dotted path."
    )
    expect: RoundExpectation


class RoundFile(FileModel):
    """A round file."""

    round: Slug = Field(description="The round's id.")
    title: Text
    description: Text | None = None
    version: str | None = None
    seed: Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[ -~]+$")] = (
        Field(description="The published tie-break seed (printable ASCII, 8-64 characters).")
    )
    seed_reference: str = Field(min_length=1, description="Where the seed was published.")
    parameters: dict[Slug, ParameterSpec] = Field(default_factory=dict)
    regencies: list[RegencySpec] = Field(min_length=1)
    slots: SlotsSpec
    budget: Slug | None = Field(default=None, description="int parameter: ceiling, rupiah.")
    need: list[NeedTerm] = Field(min_length=1)
    invariants: list[RoundInvariant] = Field(default_factory=list)
    applications: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Named applications that examples start from."
    )
    examples: list[RoundExample] = Field(default_factory=list)


def round_json_schema() -> dict[str, Any]:
    """The JSON Schema of a round file."""
    schema = RoundFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bansos-rules round file"
    return schema
