"""Decisions as text for people, in Bahasa Indonesia or English."""

from __future__ import annotations

from bansos_rules._decision import Decision, Finding, Status
from bansos_rules._messages import Lang, label
from bansos_rules._safe_output import neutralise
from bansos_rules.explain._format import format_value

__all__ = ["explain"]

_MARK = {
    Status.PASSED: "✓",
    Status.FAILED: "✗",
    Status.NOT_APPLICABLE: "·",
    Status.ERROR: "!",
}


def _money(value: int, lang: Lang) -> str:
    return format_value(value, "rupiah", lang)


def _details(finding: Finding, lang: Lang) -> str:
    parts = [f"{k} = {format_value(v, '', lang)}" for k, v in finding.values.items()]
    parts += [
        f"{label('threshold', lang)} {k} = {format_value(v, '', lang)}"
        for k, v in finding.thresholds.items()
    ]
    return "; ".join(parts)


def _finding_lines(finding: Finding, lang: Lang, *, verbose: bool) -> list[str]:
    lines = [f"  {_MARK[finding.status]} [{finding.rule_id}] {finding.message(lang)}"]
    if verbose or finding.status in (Status.FAILED, Status.ERROR):
        details = _details(finding, lang)
        if details:
            lines.append(f"      {label('value_read', lang)}: {details}")
        lines.append(f"      {label('reference', lang)}: {finding.reference}")
        if finding.error:
            lines.append(f"      {label('error', lang)}: {finding.error}")
    return lines


def explain(
    decision: Decision, *, lang: Lang = "id", name: str | None = None, verbose: bool = False
) -> str:
    """A readable explanation of ``decision``.

    :param lang: ``id`` (default) or ``en``.
    :param name: the applicant's name, shown in the heading.
    :param verbose: also list the rules that passed, with the values they read.

    Control characters, terminal escapes, line breaks and bidirectional controls in the texts it
    shows (the name, values read) are shown as escapes (``\\x1b``), never passed to the terminal.
    """
    bt = decision.manifest.business_types[decision.business_type]
    heading = " · ".join(p for p in (decision.application_id, name, bt(lang)) if p)
    lines = [f"== {heading} =="]
    outcome = label(decision.outcome.value, lang)
    aid = f"{label('aid_value', lang)}: {_money(decision.aid_value, lang)}"
    total = f"{label('plan_total', lang)}: {_money(decision.plan_total, lang)}"
    lines.append(f"{outcome} — {aid} ({total})")
    findings = decision.findings
    failed = [f for f in findings if f.status in (Status.FAILED, Status.ERROR)]
    blocking = [f for f in failed if f.on_fail != "none" or f.status is Status.ERROR]
    if blocking:
        lines.append(f"{label('findings_failed', lang)}:")
        for f in blocking:
            lines.extend(_finding_lines(f, lang, verbose=True))
    referrals = decision.referrals
    if referrals:
        lines.append(f"{label('referrals', lang)}:")
        for r in referrals:
            lines.append(f"  → {r.agency_name(lang)}: {r.reason(lang)} [{r.rule_id}]")
    recs = decision.recommendations
    if recs:
        lines.append(f"{label('recommendations', lang)}:")
        for i, rec in enumerate(recs[:3], 1):
            mark = " *" if rec.business_type == decision.business_type else ""
            reasons = ", ".join(
                f"{_MARK[f.status]} {f.message(lang)}"
                for f in rec.reasons
                if f.status is not Status.NOT_APPLICABLE
            )
            lines.append(
                f"  {i}. {rec.name(lang)}{mark}: {rec.percent}% "
                f"({rec.score}/{rec.max_score}) — {reasons}"
            )
    passed = [f for f in findings if f.status is Status.PASSED]
    if verbose:
        lines.append(f"{label('findings_passed', lang)}:")
        for f in passed:
            lines.extend(_finding_lines(f, lang, verbose=True))
    else:
        more = "(--verbose)"
        lines.append(f"{label('findings_passed', lang)}: {len(passed)} {more}")
    lines.append(
        f"{label('rules_applied_on', lang)} {decision.on.isoformat()} · "
        f"{label('engine', lang)} {decision.engine} · "
        f"{label('digest', lang)} {decision.digest[:19]}…"
    )
    # Names and values come from input files: each line stays one line of visible characters.
    return "\n".join(map(neutralise, lines))
