"""The ``aid_caps`` ruleset. The plan's value and content: within the cap, goods and materials
only, allowed categories.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path

from bansos_rules.hookspecs import hookimpl
from bansos_rules.plugins import shipped_ruleset


@hookimpl
def register_rulesets(register: Callable[[Path | Traversable], None]) -> None:
    """Register ``rulesets/aid_caps.yaml``."""
    register(shipped_ruleset("aid_caps.yaml"))
