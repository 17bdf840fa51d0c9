"""Round files in ``check``: their validation, worked examples and declared properties, added
to the sections of the report like any other ruleset's.

A round file (``rulesets/rounds/*.yaml``, a top-level ``round:`` key) is found beside the
rulesets ``check`` is given, or is the shipped one when the plugins' rulesets are checked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bansos_rules._decision import Text
from bansos_rules._errors import RulesetError, path_of
from bansos_rules.check._model import CheckCase, CheckFinding, CheckSection, Kind, bilingual
from bansos_rules.check._monitoring import _have_hypothesis

__all__ = ["round_files", "with_rounds"]

_TOP_KEY = re.compile(rb"(?m)^round\s*:")
ROUNDS_PER_GENERATED = 2
"""One generated round per this many generated applications asked for (``--generated``)."""
MAX_ROUNDS = 200


def _is_round_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return _TOP_KEY.search(handle.read(65536)) is not None
    except OSError:
        return False


def round_files(paths: Iterable[str | Path], *, shipped: bool) -> list[Path | Any]:
    """The round files among ``paths`` (and in a ``rounds/`` folder of each directory); the
    shipped one when ``shipped`` and ``paths`` name none."""
    found: list[Path | Any] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            candidates = [*sorted(p.glob("*.y*ml")), *sorted((p / "rounds").glob("*.y*ml"))]
        else:
            candidates = [p]
        found.extend(q for q in candidates if _is_round_file(q))
    if not found and shipped:
        from bansos_rules.round._loader import shipped_round

        found.append(shipped_round())
    return found


def _error(
    kind: Kind, code: str, text: Text, file: str | None, line: int | None, **kw: Any
) -> CheckFinding:
    return CheckFinding(kind, code, "error", text, file, line, **kw)


def with_rounds(
    sections: Sequence[CheckSection],
    files: Sequence[Path | Any],
    registry: Any,
    *,
    generated: int,
    skip: frozenset[str],
) -> list[CheckSection]:
    """``sections`` with the round files in ``files`` checked too."""
    from bansos_rules.round._invariants import check_round
    from bansos_rules.round._loader import load_round

    added: dict[Kind, list[CheckCase]] = {}
    for source in files:
        shown = path_of(source) if isinstance(source, Path) else path_of(str(source))
        t0 = time.perf_counter()
        try:
            round_ = load_round(source, registry)
        except RulesetError as exc:
            problems = tuple(
                _error(
                    "validation",
                    d.code,
                    Text(d.message("id"), d.message("en")),
                    d.file,
                    d.line,
                    column=d.column,
                    rule=d.rule,
                    details=d.excerpt(),
                )
                for d in exc.diagnostics
            )
            added.setdefault("validation", []).append(
                CheckCase("validation", shown, "files", shown, findings=problems)
            )
            continue
        added.setdefault("validation", []).append(
            CheckCase("validation", shown, round_.id, shown, 1, seconds=time.perf_counter() - t0)
        )
        if "examples" not in skip:
            for example, wrong in round_.run_examples():
                findings: tuple[CheckFinding, ...] = ()
                if wrong:
                    text = bilingual("check-example-failed", name=example.name, engine="round")
                    findings = (
                        _error(
                            "examples",
                            "check-example-failed",
                            text,
                            shown,
                            example.line,
                            details=tuple(wrong),
                        ),
                    )
                added.setdefault("examples", []).append(
                    CheckCase(
                        "examples",
                        example.name,
                        f"round.{round_.id}",
                        shown,
                        example.line,
                        findings,
                    )
                )
        rounds = min(MAX_ROUNDS, generated // ROUNDS_PER_GENERATED)
        if "invariants" in skip or rounds <= 0 or not _have_hypothesis():
            continue  # without hypothesis the invariants step says why it skipped
        t0 = time.perf_counter()
        for result in check_round(round_, max_examples=rounds):
            inv = result.invariant
            findings = ()
            if not result.ok:
                findings = (
                    _error(
                        "invariants",
                        "round-property-broken",
                        bilingual("round-property-broken", property=inv.property),
                        shown,
                        None,
                        rule=inv.id,
                        details=(result.problem or "", repr(result.counterexample)),
                    ),
                )
            added.setdefault("invariants", []).append(
                CheckCase(
                    "invariants",
                    inv.id,
                    round_.id,
                    shown,
                    None,
                    findings,
                    seconds=time.perf_counter() - t0,
                )
            )
    return [
        replace(s, cases=(*s.cases, *added.get(s.kind, ()))) if s.skipped is None else s
        for s in sections
    ]
