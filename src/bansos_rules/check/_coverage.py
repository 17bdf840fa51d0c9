"""The ``coverage`` step: each rule seen both passing and failing in the examples' decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bansos_rules._decision import Status
from bansos_rules._messages import label
from bansos_rules.check._model import (
    CheckCase,
    CheckFinding,
    CheckSection,
    Coverage,
    RuleCoverage,
    bilingual,
    pct,
)

if TYPE_CHECKING:
    from bansos_rules.check._context import Context


def coverage(ctx: Context) -> CheckSection:
    """A case per rule (a warning when not seen both ways), and one for ``min_coverage``."""
    ctx.ensure_examples()
    rows = []
    cases = []
    for rs in ctx.book.rulesets:
        for rule in rs.rules:
            seen = ctx.seen[rule.id]
            row = RuleCoverage(
                rule.id,
                rs.id,
                rule.kind,
                rs.file,
                rule.line,
                seen[Status.PASSED],
                seen[Status.FAILED],
            )
            rows.append(row)
            findings: tuple[CheckFinding, ...] = ()
            if not row.covered:
                missing = [s for s, n in (("passed", row.passed), ("failed", row.failed)) if not n]
                findings = (
                    CheckFinding(
                        "coverage",
                        "check-uncovered",
                        "warning",
                        bilingual(
                            "check-uncovered",
                            missing_id=" maupun ".join(label(m, "id") for m in missing),
                            missing_en=" or ".join(label(m, "en") for m in missing),
                        ),
                        rs.file,
                        rule.line,
                        rule=rule.id,
                    ),
                )
            cases.append(CheckCase("coverage", rule.id, rs.id, rs.file, rule.line, findings))
    ctx.coverage = Coverage(tuple(rows), ctx.min_coverage)
    if ctx.min_coverage is not None:
        findings = ()
        if ctx.coverage.percent < ctx.min_coverage:
            findings = (
                CheckFinding(
                    "coverage",
                    "check-coverage-below",
                    "error",
                    bilingual(
                        "check-coverage-below",
                        percent=pct(ctx.coverage.percent, "en"),
                        percent_id=pct(ctx.coverage.percent, "id"),
                        minimum=pct(ctx.min_coverage, "en"),
                        minimum_id=pct(ctx.min_coverage, "id"),
                    ),
                ),
            )
        cases.append(CheckCase("coverage", "minimum", "coverage", findings=findings))
    return CheckSection("coverage", tuple(cases))
