"""The ``lint`` step: parameters and references, checks that repeat or negate each other, and what
rules do on the generated applications."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bansos_rules._decision import RuleError, Status, Text
from bansos_rules.check._exprs import check_shape
from bansos_rules.check._model import CheckCase, CheckFinding, CheckSection, Severity, bilingual

if TYPE_CHECKING:
    from bansos_rules.check._context import Context
    from bansos_rules.ruleset.ir import Rule

_STATUS = {True: Status.PASSED, False: Status.FAILED, None: Status.NOT_APPLICABLE}
_MIN_SHARED = 10  # applications two rules must both apply to before "never met together" counts
_PLACEHOLDER_REFERENCE = re.compile(
    r"^[\W_]*(todo|tbd|fixme|xx+|n/?a|none|null|nil|test|uji|kosong|belum ada|tidak ada|"
    r"lorem ipsum|isi nanti|tba)?[\W_]*$",
    re.IGNORECASE,
)

Found = dict[str, list[CheckFinding]]
"""Findings by rule id, or by ``ruleset/param/name`` for a parameter."""


@dataclass
class _Tally:
    """What one rule did across many decisions."""

    applied: int = 0
    passed: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    applied_mask: int = 0
    passed_mask: int = 0

    def add(self, index: int, status: Status, application_id: str, error: str | None) -> None:
        if status is Status.NOT_APPLICABLE:
            return
        self.applied += 1
        self.applied_mask |= 1 << index
        if status is Status.PASSED:
            self.passed += 1
            self.passed_mask |= 1 << index
        elif status is Status.FAILED:
            self.failed += 1
        else:
            self.errors.append((application_id, error or "?"))


def _lint(
    code: str,
    file: str,
    line: int | None,
    *,
    rule: Rule | None = None,
    severity: Severity = "warning",
    details: tuple[str, ...] = (),
    **args: Any,
) -> CheckFinding:
    return CheckFinding(
        "lint",
        code,
        severity,
        bilingual(code, **args),
        file,
        line,
        rule=rule.id if rule else None,
        details=details,
    )


def lint(ctx: Context) -> CheckSection:
    """Every lint, a case per rule and per parameter."""
    ctx.ensure_examples()
    found: Found = defaultdict(list)
    _lint_sources(ctx, found)
    _lint_same_checks(ctx, found)
    problem = _lint_generated(ctx, found)
    cases = []
    for rs in ctx.book.rulesets:
        for rule in rs.rules:
            cases.append(
                CheckCase("lint", rule.id, rs.id, rs.file, rule.line, tuple(found[rule.id]))
            )
        for name, param in rs.parameters.items():
            key = f"{rs.id}/param/{name}"
            cases.append(
                CheckCase("lint", f"params.{name}", rs.id, rs.file, param.line, tuple(found[key]))
            )
    if problem is not None:
        cases.append(CheckCase("lint", "generated", "generated", skipped=problem))
    return CheckSection("lint", tuple(cases))


def _lint_sources(ctx: Context, found: Found) -> None:
    """Parameters nothing uses, and references that are only a placeholder."""
    for rs in ctx.book.rulesets:
        used = set(ctx.book.layout.used_params.get(rs.id, ()))
        for inv in getattr(rs, "invariants", ()):
            used.update(getattr(inv, "params", ()))
        for name, param in rs.parameters.items():
            key = f"{rs.id}/param/{name}"
            if name not in used:
                found[key].append(_lint("lint-param-unused", rs.file, param.line, name=name))
            for ref in dict.fromkeys(p.reference for p in param.periods):
                if _PLACEHOLDER_REFERENCE.match(ref):
                    found[key].append(
                        _lint("lint-param-reference", rs.file, param.line, name=name, reference=ref)
                    )
        for rule in rs.rules:
            if _PLACEHOLDER_REFERENCE.match(rule.reference):
                found[rule.id].append(
                    _lint(
                        "lint-rule-reference",
                        rs.file,
                        rule.line,
                        rule=rule,
                        reference=rule.reference,
                    )
                )


def _lint_same_checks(ctx: Context, found: Found) -> None:
    """Rules with the same check, or each other's negation, in the same scope."""
    first: dict[tuple[Any, ...], Rule] = {}
    negations: dict[tuple[Any, ...], Rule] = {}
    for rule in ctx.rules:
        shape = check_shape(rule)
        if shape is None:
            continue
        key = (*shape.scope, shape.check)
        other = first.get(key)
        if other is not None:
            found[rule.id].append(
                _lint(
                    "lint-same-check",
                    ctx.file_of(rule),
                    rule.line,
                    rule=rule,
                    other=other.id,
                    where=ctx.where(other),
                )
            )
        else:
            first[key] = rule
        if rule.kind != "requirement" or rule.on_fail == "none":
            continue
        other = negations.get(key)
        if other is not None:
            ctx.negated.add(frozenset((rule.id, other.id)))
            found[rule.id].append(
                _lint(
                    "lint-negated-check",
                    ctx.file_of(rule),
                    rule.line,
                    rule=rule,
                    other=other.id,
                    where=ctx.where(other),
                )
            )
        negations.setdefault((*shape.scope, shape.negation), rule)


def _lint_generated(ctx: Context, found: Found) -> Text | None:
    """What rules do on the generated applications; the reason when there are none."""
    generated = ctx.decided()
    if isinstance(generated, Text):
        return generated
    tallies: dict[str, _Tally] = {r.id: _Tally() for r in ctx.rules}
    layout = ctx.book.layout
    for index, decision in enumerate(generated.native):
        app_id = f"#{index + 1} {decision.application_id}"
        for rule, result in zip(layout.rules, decision.results, strict=True):
            if isinstance(result, RuleError):
                tallies[rule.id].add(index, Status.ERROR, app_id, result.detail)
            else:
                tallies[rule.id].add(index, _STATUS[result], app_id, None)
        for rec in decision.recommendations:
            for finding in rec.reasons:
                tallies[finding.rule_id].add(index, finding.status, app_id, finding.error)
    count = len(generated.native)
    for rule in ctx.rules:
        tally = tallies[rule.id]
        seen = ctx.seen[rule.id]
        where = (ctx.file_of(rule), rule.line)
        if tally.errors:
            app_id, detail = tally.errors[0]
            found[rule.id].append(
                _lint(
                    "lint-rule-error",
                    *where,
                    rule=rule,
                    severity="error",
                    count=len(tally.errors),
                    application=app_id,
                    detail=detail,
                )
            )
        if tally.applied == 0:
            if not (seen[Status.PASSED] or seen[Status.FAILED]):
                found[rule.id].append(_lint("lint-never-applies", *where, rule=rule, count=count))
            continue
        if tally.failed == 0 and not tally.errors and not seen[Status.FAILED]:
            found[rule.id].append(_lint("lint-never-fails", *where, rule=rule, count=count))
        if tally.passed == 0 and not seen[Status.PASSED]:
            found[rule.id].append(
                _lint("lint-never-passes", *where, rule=rule, count=tally.applied)
            )
    _lint_never_together(ctx, tallies, found)
    return None


def _lint_never_together(ctx: Context, tallies: dict[str, _Tally], found: Found) -> None:
    """Blocking rules that each pass, but never on the same application."""
    blocking = [r for r in ctx.book.layout.rules if r.on_fail != "none"]
    for i, a in enumerate(blocking):
        ta = tallies[a.id]
        for b in blocking[i + 1 :]:
            tb = tallies[b.id]
            shared = ta.applied_mask & tb.applied_mask
            if shared.bit_count() < _MIN_SHARED:
                continue
            if not (ta.passed_mask & shared and tb.passed_mask & shared):
                continue  # one of them never passes: reported on its own
            if ta.passed_mask & tb.passed_mask & shared or (a.id, b.id) in ctx.met_together:
                continue
            if frozenset((a.id, b.id)) in ctx.negated:
                continue
            found[b.id].append(
                _lint(
                    "lint-never-together",
                    ctx.file_of(b),
                    b.line,
                    rule=b,
                    other=a.id,
                    where=ctx.where(a),
                    count=shared.bit_count(),
                )
            )
