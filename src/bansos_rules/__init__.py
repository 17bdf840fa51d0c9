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
    from bansos_rules._book import RuleBook
    from bansos_rules._decision import (
        Decision,
        Finding,
        Outcome,
        Recommendation,
        Referral,
        Status,
    )
    from bansos_rules._errors import (
        BansosRulesError,
        Diagnostic,
        EngineUnavailableError,
        InputError,
        PluginError,
        RulesetError,
        UnknownBusinessTypeError,
    )
    from bansos_rules._manager import PluginInfo, Plugins, load_plugins
    from bansos_rules._models import (
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
    from bansos_rules._registry import Agency, BusinessType
    from bansos_rules.hookspecs import hookimpl

# Names are imported on first use: ``import bansos_rules`` (and the pytest plugin, which every
# pytest session of a project that installs this package loads) stays cheap.
_LAZY = {
    "default_rules": "bansos_rules._api",
    "evaluate": "bansos_rules._api",
    "load_rules": "bansos_rules._api",
    "PluginInfo": "bansos_rules._manager",
    "Plugins": "bansos_rules._manager",
    "load_plugins": "bansos_rules._manager",
    "RuleBook": "bansos_rules._book",
    "Decision": "bansos_rules._decision",
    "Finding": "bansos_rules._decision",
    "Outcome": "bansos_rules._decision",
    "Recommendation": "bansos_rules._decision",
    "Referral": "bansos_rules._decision",
    "Status": "bansos_rules._decision",
    "BansosRulesError": "bansos_rules._errors",
    "Diagnostic": "bansos_rules._errors",
    "EngineUnavailableError": "bansos_rules._errors",
    "InputError": "bansos_rules._errors",
    "PluginError": "bansos_rules._errors",
    "RulesetError": "bansos_rules._errors",
    "UnknownBusinessTypeError": "bansos_rules._errors",
    "hookimpl": "bansos_rules.hookspecs",
    "Application": "bansos_rules._models",
    "Assets": "bansos_rules._models",
    "BankAccount": "bansos_rules._models",
    "Beneficiary": "bansos_rules._models",
    "BusinessLocation": "bansos_rules._models",
    "BusinessPlan": "bansos_rules._models",
    "Household": "bansos_rules._models",
    "HouseholdMember": "bansos_rules._models",
    "PlanItem": "bansos_rules._models",
    "PriorAid": "bansos_rules._models",
    "Agency": "bansos_rules._registry",
    "BusinessType": "bansos_rules._registry",
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
