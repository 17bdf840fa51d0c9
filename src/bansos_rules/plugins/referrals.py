"""The ``referrals`` ruleset. Layered referrals to other agencies: public works, PKH facilitator,
civil registry, training.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path

from bansos_rules.hookspecs import hookimpl
from bansos_rules.plugins import shipped_ruleset


@hookimpl
def register_rulesets(register: Callable[[Path | Traversable], None]) -> None:
    """Register ``rulesets/referrals.yaml``."""
    register(shipped_ruleset("referrals.yaml"))
