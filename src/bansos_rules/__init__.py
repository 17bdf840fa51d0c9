"""bansos-rules: editable, verifiable rulesets for social-aid programs.

Load the rules once, then decide applications::

    from datetime import date
    from bansos_rules import load_rules

    rules = load_rules()
    decision = rules.evaluate(application, on=date(2025, 6, 1))
    decision.outcome, decision.aid_value, decision.findings

Plugins add rulesets, business types, agencies, expression functions and engines; mark their hooks
with :data:`hookimpl`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bansos_rules._api import default_rules, evaluate, load_rules
    from bansos_rules._manager import PluginInfo, Plugins, load_plugins
    from bansos_rules.book import RuleBook
    from bansos_rules.decision import (
        Decision,
        Finding,
        Outcome,
        Recommendation,
        Referral,
        Status,
    )
    from bansos_rules.errors import (
        BansosRulesError,
        Diagnostic,
        EngineUnavailableError,
        InputError,
        PluginError,
        RulesetError,
        UnknownBusinessTypeError,
    )
    from bansos_rules.hookspecs import hookimpl
    from bansos_rules.models import (
        Application,
        Assets,
        BankAccount,
        Beneficiary,
        BusinessLocation,
        BusinessPlan,
        Household,
        HouseholdMember,
        PlanItem,
        PriorAid,
    )
    from bansos_rules.registry import Agency, BusinessType

# Names are imported on first use: ``import bansos_rules`` (and the pytest plugin, which every
# pytest session of a project that installs this package loads) stays cheap.
_LAZY = {
    "default_rules": "bansos_rules._api",
    "evaluate": "bansos_rules._api",
    "load_rules": "bansos_rules._api",
    "PluginInfo": "bansos_rules._manager",
    "Plugins": "bansos_rules._manager",
    "load_plugins": "bansos_rules._manager",
    "RuleBook": "bansos_rules.book",
    "Decision": "bansos_rules.decision",
    "Finding": "bansos_rules.decision",
    "Outcome": "bansos_rules.decision",
    "Recommendation": "bansos_rules.decision",
    "Referral": "bansos_rules.decision",
    "Status": "bansos_rules.decision",
    "BansosRulesError": "bansos_rules.errors",
    "Diagnostic": "bansos_rules.errors",
    "EngineUnavailableError": "bansos_rules.errors",
    "InputError": "bansos_rules.errors",
    "PluginError": "bansos_rules.errors",
    "RulesetError": "bansos_rules.errors",
    "UnknownBusinessTypeError": "bansos_rules.errors",
    "hookimpl": "bansos_rules.hookspecs",
    "Application": "bansos_rules.models",
    "Assets": "bansos_rules.models",
    "BankAccount": "bansos_rules.models",
    "Beneficiary": "bansos_rules.models",
    "BusinessLocation": "bansos_rules.models",
    "BusinessPlan": "bansos_rules.models",
    "Household": "bansos_rules.models",
    "HouseholdMember": "bansos_rules.models",
    "PlanItem": "bansos_rules.models",
    "PriorAid": "bansos_rules.models",
    "Agency": "bansos_rules.registry",
    "BusinessType": "bansos_rules.registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bansos_rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "Agency",
    "Application",
    "Assets",
    "BankAccount",
    "BansosRulesError",
    "Beneficiary",
    "BusinessLocation",
    "BusinessPlan",
    "BusinessType",
    "Decision",
    "Diagnostic",
    "EngineUnavailableError",
    "Finding",
    "Household",
    "HouseholdMember",
    "InputError",
    "Outcome",
    "PlanItem",
    "PluginError",
    "PluginInfo",
    "Plugins",
    "PriorAid",
    "Recommendation",
    "Referral",
    "RuleBook",
    "RulesetError",
    "Status",
    "UnknownBusinessTypeError",
    "default_rules",
    "evaluate",
    "hookimpl",
    "load_plugins",
    "load_rules",
]

__version__ = "0.1.0"
