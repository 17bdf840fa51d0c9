"""The ``invariants`` step: the rulesets' invariants, judged on the check's population."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bansos_rules._decision import Text
from bansos_rules.check._model import CheckCase, CheckFinding, CheckSection, bilingual

if TYPE_CHECKING:
    from bansos_rules.check._context import Context
    from bansos_rules.invariants import InvariantResult


def invariants(ctx: Context) -> CheckSection:
    """A case per invariant; a failing one carries its counterexample as an example to paste."""
    declared = [inv for rs in ctx.book.rulesets for inv in getattr(rs, "invariants", ())]
    if not declared:
        return CheckSection("invariants")
    if ctx.generated <= 0:
        return CheckSection("invariants", skipped=bilingual("check-skipped-generated"))
    try:
        # hypothesis is imported when invariants are checked, not when check is imported.
        from bansos_rules.invariants import check_invariants, dates_to_try
    except ImportError as exc:
        reason = (
            "check-skipped-hypothesis"
            if "hypothesis" in (getattr(exc, "name", "") or "") or "hypothesis" in str(exc)
            else "check-skipped-invariants"
        )
        return CheckSection("invariants", skipped=bilingual(reason))
    try:
        dates_to_try(ctx.book)  # raises when no date can be tried
        population = ctx.population()
        if isinstance(population, Text):
            return CheckSection("invariants", skipped=population)
        results = check_invariants(ctx.book, max_examples=ctx.generated, population=population)
    except ValueError as exc:
        finding = CheckFinding(
            "invariants",
            "check-invariant-error",
            "error",
            bilingual("check-invariant-error", invariant="*", detail=exc),
        )
        return CheckSection("invariants", (CheckCase("invariants", "*", "*", findings=(finding,)),))
    files = {rs.id: rs.file for rs in ctx.book.rulesets}
    cases = []
    for result in results:
        inv = result.invariant
        file = files[inv.ruleset]
        judged = _invariant_finding(result, file)
        cases.append(
            CheckCase(
                "invariants",
                inv.id,
                inv.ruleset,
                file,
                inv.line,
                () if judged is None else (judged,),
            )
        )
    return CheckSection("invariants", tuple(cases))


def _invariant_finding(result: InvariantResult, file: str) -> CheckFinding | None:
    inv = result.invariant
    if result.error:
        text = bilingual("check-invariant-error", invariant=inv.id, detail=result.error)
        return CheckFinding("invariants", "check-invariant-error", "error", text, file, inv.line)
    if not result.ok:
        text = bilingual(
            "check-invariant-failed",
            invariant=inv.id,
            title_id=inv.title.id,
            title_en=inv.title.en,
            application=result.counterexample.id if result.counterexample else "?",
            on=result.on.isoformat() if result.on else "?",
        )
        snippet = tuple((result.snippet or "").rstrip().splitlines())
        return CheckFinding(
            "invariants", "check-invariant-failed", "error", text, file, inv.line, details=snippet
        )
    if not result.relevant:
        text = bilingual("check-invariant-irrelevant", invariant=inv.id, tried=result.tried)
        return CheckFinding(
            "invariants", "check-invariant-irrelevant", "warning", text, file, inv.line
        )
    return None
