"""The ruleset file format, as pydantic models.

A ruleset file is YAML; these models say what it may contain, and :func:`ruleset_json_schema`
turns them into the JSON Schema that editors use to validate and complete the files.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bansos_rules._types import Slug

__all__ = [
    "ExampleSpec",
    "Expectation",
    "InvariantSpec",
    "ParameterSpec",
    "ParameterValue",
    "RuleSpec",
    "RulesetFile",
    "Text",
    "ruleset_json_schema",
]

RuleId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=80)
]
"""A stable rule id: lower-case words joined by dots, e.g. ``eligibility.working_age``."""

ParamType = Literal["int", "bool", "str", "date", "list[str]", "list[int]"]
"""The type of a parameter's value."""

Expression = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
"""A rule expression; see the ruleset reference for what it may contain."""


class FileModel(BaseModel):
    """Base of the file-format models: unknown fields are errors, so typos do not go unnoticed."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Text(FileModel):
    """A text in Bahasa Indonesia and English."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    en: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ParameterValue(FileModel):
    """A value of a parameter and the period it is in force."""

    start: date = Field(alias="from", description="First day the value is in force.")
    until: date | None = Field(
        default=None, description="Last day it is in force; open-ended when omitted."
    )
    value: Any = Field(description="The value, of the parameter's type.")
    reference: str | None = Field(
        default=None, min_length=1, description="Decree, article or source; else the parameter's."
    )


class ParameterSpec(FileModel):
    """A policy figure: typed, referenced, and keyed by effective date."""

    type: ParamType
    by: Literal["business_type"] | None = Field(
        default=None,
        description="When set, each value maps business-type codes ('*': any other) to values.",
    )
    unit: str | None = Field(default=None, description="e.g. `rupiah`, `years`, `m2`.")
    description: Text
    reference: str | None = Field(default=None, min_length=1)
    values: list[ParameterValue] = Field(min_length=1)


class RuleSpec(FileModel):
    """One rule: a check that passes or fails, and what failing means."""

    id: RuleId
    title: Text
    reference: str = Field(min_length=1, description="Legal or policy basis of the rule.")
    kind: Literal["requirement", "score"] = Field(
        default="requirement",
        description="A requirement decides the outcome; a score adds to a business type's fit.",
    )
    applies_to: list[Slug] | None = Field(
        default=None, description="Business types the rule applies to; all when omitted."
    )
    when: Expression | None = Field(
        default=None, description="The rule applies only when this is true."
    )
    check: Expression = Field(description="True when the requirement is met.")
    on_fail: Literal["reject", "review", "none"] = Field(
        default="reject", description="What a failed check does to the outcome."
    )
    refer: Slug | None = Field(default=None, description="Agency to refer to when the check fails.")
    points: int | None = Field(default=None, ge=1, le=1000, description="Score rules: points.")
    reason: Text = Field(description="Shown when the check fails; may use {placeholders}.")
    passed: Text | None = Field(default=None, description="Shown when the check passes.")


class Expectation(FileModel):
    """What an example's decision must show."""

    outcome: Literal["approved", "rejected", "needs_review"] | None = None
    aid_value: int | None = Field(default=None, ge=0)
    failed: list[RuleId] = Field(default_factory=list, description="Rules that must fail.")
    passed: list[RuleId] = Field(default_factory=list, description="Rules that must pass.")
    referrals: list[Slug] | None = Field(
        default=None, description="Exactly these agencies are referred to (in any order)."
    )
    top_recommendation: Slug | None = None


class ExampleSpec(FileModel):
    """A worked example: an application, the date, and what the decision must be."""

    name: str = Field(min_length=1, max_length=200)
    on: date
    given: str | dict[str, Any] = Field(
        description="A full application, or the name of one under `applications`."
    )
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Changes to the application by dotted path: `applicant.pkh_member: false`.",
    )
    expect: Expectation


class InvariantSpec(FileModel):
    """A property every decided application must have, tested on generated applications."""

    id: RuleId = Field(description="A stable id, by convention starting with the ruleset id.")
    title: Text
    when: Expression | None = Field(
        default=None,
        description="Judge only applications for which this is true; all when omitted.",
    )
    holds: Expression = Field(
        description="Must be true for every decided application; may read `decision`."
    )
    reference: str | None = Field(
        default=None, min_length=1, description="The policy the property comes from."
    )


class RulesetFile(FileModel):
    """A ruleset file."""

    ruleset: Slug = Field(description="The ruleset's id, unique among loaded rulesets.")
    title: Text
    description: Text | None = None
    version: str | None = None
    parameters: dict[Slug, ParameterSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(min_length=1)
    applications: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Named applications that examples start from."
    )
    examples: list[ExampleSpec] = Field(default_factory=list)
    invariants: list[InvariantSpec] = Field(
        default_factory=list, description="Properties every decision must have (`check`)."
    )


def ruleset_json_schema() -> dict[str, Any]:
    """The JSON Schema of a ruleset file, for editors and validators."""
    schema = RulesetFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bansos-rules ruleset file"
    return schema
