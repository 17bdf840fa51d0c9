"""The diff report: structural changes between two sides and, when asked, their impact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bansos_rules._decision import Text
from bansos_rules.diff._impact import Impact, Population, impact
from bansos_rules.diff._sources import default_new, load_books, open_side
from bansos_rules.diff._structure import StructuralDiff, structural_diff


@dataclass(frozen=True)
class DiffReport:
    """Structural changes between two sides and, when a population was given, their impact."""

    old: str
    """How the old side is named (a path, or ``REV:path (commit)``)."""
    new: str
    structure: StructuralDiff
    impact: Impact | None
    business_types: Mapping[str, Text] = field(default_factory=dict)
    """Names of the registered business types."""

    @property
    def flips(self) -> int:
        """How many decisions change outcome (0 without a population)."""
        return self.impact.total.changed if self.impact else 0


def diff_report(
    old: str,
    new: str | None = None,
    *,
    population: Population | None = None,
    on: date | None = None,
    examples: int = 3,
    only: bool = False,
    block: Iterable[str] = (),
    cwd: Path | None = None,
    today: date | None = None,
) -> DiffReport:
    """Compare the rulesets named by ``old`` and ``new`` (see :func:`open_side`).

    :param new: default: the working tree's ``rulesets/`` (see :func:`default_new`).
    :param population: what to measure the impact on (see :func:`impact`); ``None``: no impact.
    :raises DiffSourceError: when a side cannot be found.
    :raises RulesetError: when a side's rulesets do not load.
    """
    with open_side(old, cwd=cwd) as a, open_side(new or default_new(cwd), cwd=cwd) as b:
        books = load_books(a, b, only=only, block=block)
        labels = (a.label, b.label)
    structure = structural_diff(*books)
    found = None
    if population is not None:
        found = impact(*books, population, on=on, examples=examples, today=today)
    names = {
        code: Text(bt.name_id, bt.name_en) for code, bt in books[1].layout.business_types.items()
    }
    return DiffReport(labels[0], labels[1], structure, found, names)
