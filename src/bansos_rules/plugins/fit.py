"""The ``fit`` ruleset. How well each business type fits the applicant, and what the planned type
needs.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path

from bansos_rules.hookspecs import hookimpl
from bansos_rules.plugins import shipped_ruleset


@hookimpl
def register_rulesets(register: Callable[[Path | Traversable], None]) -> None:
    """Register ``rulesets/fit.yaml``."""
    register(shipped_ruleset("fit.yaml"))
