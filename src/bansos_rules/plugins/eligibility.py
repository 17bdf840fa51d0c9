"""The ``eligibility`` ruleset. Who may receive the aid: DTKS/DTSEN, PKH family, NIK issued in East
Kalimantan, working age, occupation, one per KK per round, no earlier business aid.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path

from bansos_rules.hookspecs import hookimpl
from bansos_rules.plugins import shipped_ruleset


@hookimpl
def register_rulesets(register: Callable[[Path | Traversable], None]) -> None:
    """Register ``rulesets/eligibility.yaml``."""
    register(shipped_ruleset("eligibility.yaml"))
