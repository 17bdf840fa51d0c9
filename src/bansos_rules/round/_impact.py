"""The allocation impact of a change: who enters and who leaves the selection, per regency.

Used by ``bansos-rules diff OLD NEW --applications FILE --allocation``: the round's applications
are decided and allocated with each side's rulesets and each side's round file
(``rounds/allocation.yaml`` next to the side's rulesets, read from the git revision for a
revision; the shipped one when a side has none), and the two selections are compared.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bansos_rules._messages import Lang
from bansos_rules.round._core import Status
from bansos_rules.round._loader import load_round
from bansos_rules.round._run import RoundResult, Source, allocate

__all__ = ["AllocationImpact", "RegencyImpact", "allocation_impact", "diff_allocation"]

ROUND_FILE = "rounds/allocation.yaml"

_LABELS: dict[str, tuple[str, str]] = {
    "heading": ("Dampak pada putaran", "Impact on the round"),
    "intro": (
        "{n} aplikasi diputuskan dan dialokasikan per {on} dengan kedua sisi: "
        "{entered} masuk dan {left} keluar dari daftar terpilih.",
        "{n} applications decided and allocated as of {on} with both sides: "
        "{entered} enter and {left} leave the selection.",
    ),
    "table": (
        "| Kabupaten/kota | Terpilih (lama) | Terpilih (baru) | Masuk | Keluar |",
        "| Regency/city | Selected (old) | Selected (new) | Enter | Leave |",
    ),
    "entered": ("masuk", "enters"),
    "left": ("keluar", "leaves"),
    "rank": ("peringkat", "rank"),
}


def _l(key: str, lang: Lang, **args: object) -> str:
    return _LABELS[key][0 if lang == "id" else 1].format(**args)


@dataclass(frozen=True)
class RegencyImpact:
    """One regency: how many were selected on each side, who enters and who leaves."""

    code: str
    name: str
    old_selected: int
    new_selected: int
    entered: tuple[tuple[str, int | None], ...]
    """(application id, new rank)."""
    left: tuple[tuple[str, int | None, str], ...]
    """(application id, old rank, new status)."""


@dataclass(frozen=True)
class AllocationImpact:
    """The selections of two sides compared, per regency."""

    on: date
    applications: int
    regencies: tuple[RegencyImpact, ...]

    @property
    def changed(self) -> int:
        """How many applications enter or leave the selection."""
        return sum(len(r.entered) + len(r.left) for r in self.regencies)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "on": self.on.isoformat(),
            "applications": self.applications,
            "changed": self.changed,
            "regencies": [
                {
                    "regency": r.code,
                    "name": r.name,
                    "old_selected": r.old_selected,
                    "new_selected": r.new_selected,
                    "entered": [{"application_id": a, "rank": k} for a, k in r.entered],
                    "left": [
                        {"application_id": a, "old_rank": k, "status": s} for a, k, s in r.left
                    ],
                }
                for r in self.regencies
            ],
        }

    def to_markdown(self, lang: Lang = "id") -> str:
        """A section for the diff report."""
        entered = sum(len(r.entered) for r in self.regencies)
        left = sum(len(r.left) for r in self.regencies)
        lines = [
            f"## {_l('heading', lang)}",
            "",
            _l("intro", lang, n=self.applications, on=self.on, entered=entered, left=left),
            "",
            _l("table", lang),
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for r in self.regencies:
            lines.append(
                f"| {r.name} ({r.code}) | {r.old_selected} | {r.new_selected} | "
                f"{len(r.entered)} | {len(r.left)} |"
            )
        for r in self.regencies:
            if not r.entered and not r.left:
                continue
            lines += ["", f"### {r.name} ({r.code})", ""]
            lines += [
                f"- `{a}` {_l('entered', lang)} ({_l('rank', lang)} {k})" for a, k in r.entered
            ]
            lines += [
                f"- `{a}` {_l('left', lang)} ({_l('rank', lang)} {k} → {s})" for a, k, s in r.left
            ]
        return "\n".join(lines) + "\n"


def allocation_impact(old: RoundResult, new: RoundResult) -> AllocationImpact:
    """Compare two allocations of the same applications."""
    before, after = old.by_id(), new.by_id()
    names = {r.code: r.name for r in (*old.round.regencies, *new.round.regencies)}
    codes = sorted({e.regency for e in (*old.entries, *new.entries)})
    found = []
    for code in codes:
        was = {i for i, e in before.items() if e.regency == code and e.status is Status.SELECTED}
        now = {i for i, e in after.items() if e.regency == code and e.status is Status.SELECTED}
        if not was and not now:
            continue
        entered = tuple((i, after[i].rank) for i in sorted(now - was))
        left = tuple(
            (i, before[i].rank, after[i].status.value if i in after else "missing")
            for i in sorted(was - now)
        )
        found.append(RegencyImpact(code, names.get(code, code), len(was), len(now), entered, left))
    return AllocationImpact(new.on, len(after), tuple(found))


def _round_path(spec: str, commit: str | None, cwd: Path, tmp: Path) -> Path | None:
    """The round file of a diff side, or ``None`` for the shipped one."""
    path = Path(spec) if Path(spec).is_absolute() else cwd / spec
    if path.exists():
        base = path if path.is_dir() else path.parent
        found = base / ROUND_FILE
        return found if found.is_file() else None
    if commit is None:
        return None
    _, colon, inner = spec.partition(":")
    inner = inner.strip("/").removeprefix("./") if colon else "rulesets"
    if inner.endswith((".yaml", ".yml")):
        inner = inner.rpartition("/")[0]
    name = f"{inner}/{ROUND_FILE}" if inner else ROUND_FILE
    shown = subprocess.run(
        ["git", "show", f"{commit}:{name}"], cwd=cwd, capture_output=True, check=False
    )
    if shown.returncode != 0:
        return None
    target = tmp / f"{commit[:12]}-allocation.yaml"
    target.write_bytes(shown.stdout)
    return target


def diff_allocation(
    old: str,
    new: str,
    applications: Sequence[Source | tuple[str, Source | None, str | None]],
    *,
    on: date,
    block: Iterable[str] = (),
    only: bool = False,
    cwd: Path | None = None,
) -> AllocationImpact:
    """Allocate ``applications`` with each side (rulesets and round file) and compare."""
    from bansos_rules.diff._sources import load_books, open_side

    where = cwd or Path.cwd()
    with (
        open_side(old, cwd=where) as a,
        open_side(new, cwd=where) as b,
        tempfile.TemporaryDirectory(prefix="bansos-rules-round-") as tmp,
    ):
        books = load_books(a, b, only=only, block=block)
        results = []
        for side, book in zip((a, b), books, strict=True):
            round_ = load_round(
                _round_path(side.spec, side.commit, where, Path(tmp)), book.registry
            )
            results.append(allocate(book, applications, on=on, round=round_))
    return allocation_impact(results[0], results[1])
