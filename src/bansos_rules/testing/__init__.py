"""Hypothesis strategies and generated populations for testing rulesets and code built on
:mod:`bansos_rules`.

Built on hypothesis, which is installed with the package.
Pass ``book=`` (a :class:`~bansos_rules.RuleBook`) to aim at the figures and business types of
your own rulesets and plugins instead of the 2025 round's; :class:`Population` is the mix of
generated applications ``check``, the invariants and ``diff`` try. See ``docs/testing.md``.
"""

from bansos_rules.testing.population import (
    DEFAULT_SEED,
    KINDS,
    Case,
    Kind,
    Population,
    example_yaml,
)
from bansos_rules.testing.strategies import (
    BUSINESS_AID_PROGRAMS,
    BUSINESS_TYPES,
    DEFAULT_REFERENCE_DATE,
    EXCLUDED_OCCUPATIONS,
    FIGURES_2025,
    ITEM_CATEGORIES,
    KALTIM_REGENCIES,
    SKILLS,
    Figures,
    StrategyArgumentError,
    applications,
    beneficiaries,
    business_plans,
    figures,
    household_members,
    households,
    kk_numbers,
    niks,
    plan_items,
)
from bansos_rules.testing.timelines import (
    case_infos,
    event_timelines,
    synthetic_program,
    timelines,
)

__all__ = [
    "BUSINESS_AID_PROGRAMS",
    "BUSINESS_TYPES",
    "DEFAULT_REFERENCE_DATE",
    "DEFAULT_SEED",
    "EXCLUDED_OCCUPATIONS",
    "FIGURES_2025",
    "ITEM_CATEGORIES",
    "KALTIM_REGENCIES",
    "KINDS",
    "SKILLS",
    "Case",
    "Figures",
    "Kind",
    "Population",
    "StrategyArgumentError",
    "applications",
    "beneficiaries",
    "business_plans",
    "case_infos",
    "event_timelines",
    "example_yaml",
    "figures",
    "household_members",
    "households",
    "kk_numbers",
    "niks",
    "plan_items",
    "synthetic_program",
    "timelines",
]
