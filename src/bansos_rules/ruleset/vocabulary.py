"""The names a rule expression starts from, and the fields computed at evaluation time.

``applicant``, ``household``, ``plan`` and ``application`` are the input models; ``today`` is the
date the rules are applied for; ``business_type`` is the business type the rule is judged for (the
plan's, or for score rules each candidate in turn); ``fit`` is the planned type's fit score;
``params`` are the ruleset's parameters in force on ``today``. Invariants may also read
``decision``, what the rules decided (:func:`decision_type`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from bansos_rules._models import (
    Application,
    Beneficiary,
    BusinessPlan,
    Household,
    HouseholdMember,
    PlanItem,
)
from bansos_rules.ruleset.types import (
    BOOL,
    DATE,
    INT,
    STR,
    Attr,
    Obj,
    Prim,
    Seq,
    Ty,
    expose_property,
    model_type,
    register_derived,
)

__all__ = [
    "FIT",
    "OUTCOMES",
    "RUNTIME_HELPERS",
    "FitScore",
    "age_on",
    "decision_type",
    "fit_percent",
    "invariant_roots",
    "overlaps",
    "roots",
]


def age_on(born: date, on: date) -> int:
    """Age in whole years on ``on``."""
    # Runs for the applicant and every household member on every decision: branches are about
    # twice as fast as comparing (month, day) tuples.
    age = on.year - born.year
    if on.month < born.month or (on.month == born.month and on.day < born.day):
        age -= 1
    return age


def overlaps(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """Whether the two lists have at least one item in common.

    Registered by the built-in ``functions`` plugin; it lives here so that engines that express
    it in their own terms (the durable engine's list test) can recognise it without importing
    a plugin.
    """
    # Called for every business type on every decision, on lists of a few items: a plain loop
    # is three times faster than any() over a generator or building a set.
    for item in first:  # noqa: SIM110
        if item in second:
            return True
    return False


def _age(person: Beneficiary | HouseholdMember, today: date) -> int:
    return age_on(person.birth_date, today)


def fit_percent(score: int, max_score: int) -> int:
    """``score`` as a whole percentage of ``max_score`` (0 when nothing could be scored)."""
    return score * 100 // max_score if max_score else 0


class FitScore(NamedTuple):
    """How well the planned business type fits: points earned, points possible, percent."""

    score: int
    max_score: int
    percent: int


FIT = Obj(
    "fit",
    {
        "score": Attr(INT, doc="Points earned by the planned business type."),
        "max_score": Attr(INT, doc="Points it could earn."),
        "percent": Attr(INT, doc="score as a whole percentage of max_score (0-100)."),
    },
)

RUNTIME_HELPERS: Mapping[str, Any] = {"_age": _age}

_AGE_DOC = "Age in whole years on the date the rules are applied for."
register_derived(Beneficiary, "age", INT, "_age", _AGE_DOC)
register_derived(HouseholdMember, "age", INT, "_age", _AGE_DOC)
expose_property(Beneficiary, "nik_province", STR, "Province code the NIK was issued in.")
expose_property(Beneficiary, "nik_regency", STR, "Regency/city code the NIK was issued in.")
expose_property(
    Beneficiary, "nik_matches_birth_date", BOOL, "The NIK's birth date agrees with the stated one."
)
expose_property(Beneficiary, "nik_matches_sex", BOOL, "The NIK's sex agrees with the stated one.")
expose_property(Household, "size", INT, "People on the family card (at least 1).")
expose_property(Household, "income_per_person", INT, "Monthly income per person, rupiah.")
expose_property(PlanItem, "subtotal", INT, "Quantity times unit price, rupiah.")
expose_property(BusinessPlan, "total", INT, "Value of all items, rupiah.")
expose_property(BusinessPlan, "has_cash_item", BOOL, "Some line is cash.")


def roots(business_types: Iterable[str], *, with_fit: bool) -> dict[str, Ty]:
    """The top-level names of an expression, with their type."""
    result: dict[str, Ty] = {
        "applicant": model_type(Beneficiary),
        "household": model_type(Household),
        "plan": model_type(BusinessPlan),
        "application": model_type(Application),
        "today": DATE,
        "business_type": Prim("str", frozenset(business_types)),
    }
    if with_fit:
        result["fit"] = FIT
    return result


OUTCOMES = ("approved", "rejected", "needs_review")
"""The values of ``decision.outcome`` (those of :class:`bansos_rules._decision.Outcome`)."""


def decision_type(rule_ids: Iterable[str], agencies: Iterable[str]) -> Obj:
    """The type of ``decision`` in an invariant: what the rules decided about the application.

    :param rule_ids: the requirement rule ids ``decision.failed``, ``passed`` and ``errors`` may
        contain; a text compared with them must be one of these (so a misspelt id is an error).
    :param agencies: the agency codes ``decision.referrals`` may contain.
    """
    rule = Prim("str", rule_ids if isinstance(rule_ids, frozenset) else frozenset(rule_ids))
    return Obj(
        "decision",
        {
            "outcome": Attr(
                Prim("str", frozenset(OUTCOMES)), doc="approved, rejected or needs_review."
            ),
            "aid_value": Attr(
                INT, doc="Aid approved, rupiah: the plan total when approved, else 0."
            ),
            "plan_total": Attr(INT, doc="Value of the plan, rupiah."),
            "referrals": Attr(
                Seq(Prim("str", frozenset(agencies))),
                doc="Agencies referred to, once per failed rule with `refer`, in rule order.",
            ),
            "failed": Attr(
                Seq(rule),
                doc="Ids of the requirement rules that failed, in rule order.",
            ),
            "passed": Attr(
                Seq(rule),
                doc="Ids of the requirement rules that passed, in rule order.",
            ),
            "errors": Attr(Seq(rule), doc="Ids of the requirement rules that failed to run."),
        },
    )


def invariant_roots(
    business_types: Iterable[str], rule_ids: Iterable[str], agencies: Iterable[str]
) -> dict[str, Ty]:
    """The top-level names of an invariant's expressions: a requirement rule's, and ``decision``."""
    result = roots(business_types, with_fit=True)
    result["decision"] = decision_type(rule_ids, agencies)
    return result
