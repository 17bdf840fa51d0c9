"""Monitoring rulesets in ``check``: their validation, worked examples on both engines,
invariants and engine agreement on generated timelines, and transition/alert coverage, added
to the sections of the report like any other ruleset's."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from bansos_rules._decision import Text
from bansos_rules._errors import RulesetError, path_of
from bansos_rules.check._model import (
    CheckCase,
    CheckFinding,
    CheckSection,
    Coverage,
    Kind,
    RuleCoverage,
    bilingual,
)

__all__ = ["monitoring_files", "with_monitoring"]

TIMELINES_PER_GENERATED = 3
"""One generated timeline per this many generated applications asked for (``--generated``)."""
MAX_TIMELINES = 100


def monitoring_files(paths: Iterable[str | Path], *, shipped: bool) -> list[Path]:
    """The monitoring rulesets among ``paths`` (files, or directories' ``*.yaml``); the shipped
    one when ``shipped`` and ``paths`` name none."""
    from bansos_rules.monitoring._ruleset import is_monitoring_file, shipped_monitoring_file

    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        candidates = sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
        found.extend(q for q in candidates if is_monitoring_file(q))
    if not found and shipped:
        found.append(shipped_monitoring_file())
    return found


def with_monitoring(
    sections: Sequence[CheckSection],
    coverage: Coverage | None,
    files: Sequence[Path],
    *,
    generated: int,
    skip: frozenset[str],
) -> tuple[list[CheckSection], Coverage | None]:
    """``sections`` and ``coverage`` with the monitoring rulesets in ``files`` checked too."""
    from bansos_rules.monitoring._check import check_monitoring
    from bansos_rules.monitoring._ruleset import load_monitoring_ruleset
    from bansos_rules.monitoring._service import Monitor

    added: dict[Kind, list[CheckCase]] = {}
    rows: list[RuleCoverage] = []
    for path in files:
        shown = path_of(path)
        t0 = time.perf_counter()
        try:
            ruleset = load_monitoring_ruleset(path)
        except RulesetError as exc:
            problems = tuple(
                CheckFinding(
                    "validation",
                    d.code,
                    "error",
                    Text(d.message("id"), d.message("en")),
                    d.file,
                    d.line,
                    d.column,
                    d.rule,
                    details=d.excerpt(),
                )
                for d in exc.diagnostics
            )
            added.setdefault("validation", []).append(
                CheckCase("validation", shown, "files", shown, findings=problems)
            )
            continue
        added.setdefault("validation", []).append(
            CheckCase("validation", shown, ruleset.id, shown, 1, seconds=time.perf_counter() - t0)
        )
        monitor = Monitor(ruleset)
        timelines = 0
        if "invariants" not in skip and _have_hypothesis():
            timelines = min(MAX_TIMELINES, max(0, generated // TIMELINES_PER_GENERATED))
        engines: tuple[str, ...] = ("native", "durable")
        try:
            monitor.engine("durable")
        except Exception:
            engines = ("native",)
        result = check_monitoring(monitor, examples=timelines, engines=engines)
        fired: dict[str, int] = {}
        for engine in engines:
            for outcome in monitor.run_examples(engine):
                ex = outcome.example
                findings: tuple[CheckFinding, ...] = ()
                if outcome.problems:
                    findings = (
                        CheckFinding(
                            "examples",
                            "check-example-failed",
                            "error",
                            bilingual("check-example-failed", name=ex.name, engine=engine),
                            ex.file,
                            ex.line,
                            details=outcome.problems,
                        ),
                    )
                if engine == "native":
                    for rule in {h.rule for h in outcome.state.history} | set(
                        outcome.state.alert_ids
                    ):
                        fired[rule] = fired.get(rule, 0) + 1
                added.setdefault("examples", []).append(
                    CheckCase(
                        "examples", ex.name, f"{engine}.{ruleset.id}", ex.file, ex.line, findings
                    )
                )
        n = len(ruleset.examples)
        for rule, line in [(t.id, t.line) for t in ruleset.transitions] + [
            (a.id, a.line) for a in ruleset.alerts
        ]:
            row = RuleCoverage(
                rule,
                ruleset.id,
                "monitoring",
                shown,
                line,
                fired.get(rule, 0),
                n - fired.get(rule, 0),
            )
            rows.append(row)
            cov_findings: tuple[CheckFinding, ...] = ()
            if not row.passed:
                cov_findings = (
                    CheckFinding(
                        "coverage",
                        "monitoring-uncovered",
                        "warning",
                        bilingual("monitoring-uncovered"),
                        shown,
                        line,
                        rule=rule,
                    ),
                )
            added.setdefault("coverage", []).append(
                CheckCase("coverage", rule, ruleset.id, shown, line, cov_findings)
            )
        if timelines:
            inv = tuple(
                CheckFinding(
                    "invariants",
                    "monitoring-invariant",
                    "error",
                    bilingual("monitoring-invariant"),
                    shown,
                    details=(text,),
                )
                for text in result.invariant_failures
            )
            added.setdefault("invariants", []).append(
                CheckCase(
                    "invariants",
                    f"{ruleset.id} ({result.generated} timelines)",
                    ruleset.id,
                    shown,
                    findings=inv,
                )
            )
            agree = tuple(
                CheckFinding(
                    "engines",
                    "monitoring-disagree",
                    "error",
                    bilingual("monitoring-disagree"),
                    shown,
                    details=(text,),
                )
                for text in result.disagreements
            )
            added.setdefault("engines", []).append(
                CheckCase(
                    "engines",
                    f"{ruleset.id}: {' = '.join(engines)}",
                    ruleset.id,
                    shown,
                    findings=agree,
                )
            )
    out = [
        replace(s, cases=(*s.cases, *added.get(s.kind, ()))) if s.skipped is None else s
        for s in sections
    ]
    if coverage is not None and rows:
        coverage = Coverage((*coverage.rules, *rows), coverage.minimum)
    return out, coverage


def _have_hypothesis() -> bool:
    try:
        import hypothesis  # noqa: F401
    except ImportError:  # the invariants step says why it skipped
        return False
    return True
