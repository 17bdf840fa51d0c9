"""The text rendering of a check report, for people, in Indonesian or English."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bansos_rules._messages import Lang, label
from bansos_rules.check._model import pct

if TYPE_CHECKING:
    from bansos_rules.check._model import CheckCase, CheckReport, CheckSection


def text(report: CheckReport, lang: Lang = "id", *, verbose: bool = False) -> str:
    """The report for people: a section per kind of check, then a summary line.

    :param verbose: also list every case that passed.
    """
    out: list[str] = []
    for section in report.sections:
        out.append(f"== {label('check_' + section.kind, lang)} ==")
        if section.skipped is not None and not section.cases:
            out.append(f"{label('check_skipped', lang)}: {section.skipped(lang)}")
            continue
        if section.kind == "coverage" and report.coverage is not None:
            out.append(_coverage_line(report, lang))
        for case in section.cases:
            out.extend(_case_lines(case, lang, verbose=verbose))
        out.append(_section_count(section, lang))
    out.append(report.summary(lang))
    return "\n".join(out) + "\n"


def _coverage_line(report: CheckReport, lang: Lang) -> str:
    cov = report.coverage
    assert cov is not None
    minimum = ""
    if cov.minimum is not None:
        minimum = f" ({label('check_minimum', lang)} {pct(cov.minimum, lang)})"
    return (
        f"{label('check_coverage', lang)}: {cov.covered}/{len(cov.rules)} "
        f"{label('check_rules', lang)} = {pct(cov.percent, lang)}{minimum}"
    )


def summary(report: CheckReport, lang: Lang = "id") -> str:
    """The one-line summary: the verdict, errors and warnings, what was checked, the time."""
    verdict = label("check_ok" if report.ok else "check_failed", lang)
    parts = [
        f"{report.errors} {label('check_errors', lang)}",
        f"{report.warnings} {label('check_warnings', lang)}",
    ]
    checked: list[str] = []
    for section in report.sections:
        if section.skipped is not None and not section.cases:
            continue
        name = label("check_" + section.kind, lang).lower()
        if section.kind == "coverage" and report.coverage is not None:
            checked.append(f"{name} {pct(report.coverage.percent, lang)}")
            continue
        statuses = [c.status for c in section.cases]
        shown = f"{name} {statuses.count('passed')}/{len(statuses)} {label('passed', lang)}"
        if statuses.count("skipped"):
            shown += f" ({statuses.count('skipped')} {label('check_skipped', lang)})"
        checked.append(shown)
    seconds = f"{report.seconds:.1f}"
    if lang == "id":
        seconds = seconds.replace(".", ",")
    tail = f" · {'; '.join(checked)}" if checked else ""
    return (
        f"{label('summary', lang)}: {verdict} — {', '.join(parts)}{tail} · "
        f"{seconds} {label('check_seconds', lang)}"
    )


def _case_lines(case: CheckCase, lang: Lang, *, verbose: bool) -> list[str]:
    lines: list[str] = []
    if not case.findings:
        if case.skipped is not None:
            mark = label("check_skipped", lang).upper()
            lines.append(f"{mark:11}{case.location or case.name}  {case.skipped(lang)}")
        elif verbose:
            lines.append(f"{label('example_ok', lang):11}{case.location}  {case.name}".rstrip())
        return lines
    for f in case.findings:
        mark = label("check_" + f.severity, lang).upper()
        rule = f"[{f.rule}] " if f.rule else ""
        where = f.location or case.location
        where += "  " if where else ""
        lines.append(f"{mark:11}{where}{rule}{f.message(lang)} ({f.code})")
        lines.extend(f"{'':11}    {d}" for d in f.details)
    return lines


def _section_count(section: CheckSection, lang: Lang) -> str:
    failed = sum(c.status == "failed" for c in section.cases)
    skipped = sum(c.status == "skipped" for c in section.cases)
    warnings = sum(f.severity == "warning" for f in section.findings)
    line = (
        f"{len(section.cases)} {label('check_checked', lang)}: "
        f"{len(section.cases) - failed - skipped} {label('passed', lang)}, "
        f"{failed} {label('failed', lang)}"
    )
    if skipped:
        line += f", {skipped} {label('check_skipped', lang)}"
    if warnings:
        line += f", {warnings} {label('check_warnings', lang)}"
    return line


# ---- running the checks ------------------------------------------------------------------------
