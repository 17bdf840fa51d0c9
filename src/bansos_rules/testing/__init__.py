"""Hypothesis strategies for testing rulesets and code built on :mod:`bansos_rules`.

Requires the ``test`` extra (``pip install bansos-rules[test]``), which installs hypothesis.
"""

from bansos_rules.testing.strategies import (
    BUSINESS_AID_PROGRAMS,
    BUSINESS_TYPES,
    DEFAULT_REFERENCE_DATE,
    EXCLUDED_OCCUPATIONS,
    ITEM_CATEGORIES,
    KALTIM_REGENCIES,
    SKILLS,
    applications,
    beneficiaries,
    business_plans,
    household_members,
    households,
    kk_numbers,
    niks,
    plan_items,
)

__all__ = [
    "BUSINESS_AID_PROGRAMS",
    "BUSINESS_TYPES",
    "DEFAULT_REFERENCE_DATE",
    "EXCLUDED_OCCUPATIONS",
    "ITEM_CATEGORIES",
    "KALTIM_REGENCIES",
    "SKILLS",
    "applications",
    "beneficiaries",
    "business_plans",
    "household_members",
    "households",
    "kk_numbers",
    "niks",
    "plan_items",
]
