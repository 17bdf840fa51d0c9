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
