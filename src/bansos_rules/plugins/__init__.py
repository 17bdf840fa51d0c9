"""The built-in plugins.

Each module here is a plugin registered through the ``bansos_rules`` entry-point group, exactly
like a third-party package's: business types, referral agencies, expression functions, the native
engine, and the program's rulesets (eligibility, business-type fit, aid caps, referrals).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["shipped_ruleset"]


def shipped_ruleset(name: str) -> Path | Traversable:
    """A ruleset file of the built-in plugins.

    The files live in the project's ``rulesets/`` folder, where analysts edit them; a wheel
    carries them inside the package (``bansos_rules/rulesets``). From a source checkout or an
    editable install they are read where they are edited.
    """
    packaged = files("bansos_rules") / "rulesets" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "rulesets" / name
