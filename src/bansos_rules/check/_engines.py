"""The ``engines`` step: every engine other than ``native`` decides the generated applications as
``native`` does."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from bansos_rules._decision import Decision, Text
from bansos_rules._errors import EngineUnavailableError
from bansos_rules.check._model import CheckCase, CheckFinding, CheckSection, bilingual

if TYPE_CHECKING:
    from bansos_rules._models import Application
    from bansos_rules.check._context import Context
    from bansos_rules.ruleset.ir import Rule

_SHOWN_DIFFERENCES = 20  # applications listed for an engine that disagrees; the rest are counted


def engines(ctx: Context) -> CheckSection:
    """A case per engine other than ``native``; skipped with the reason when there is none."""
    others = [name for name in ctx.book.engines if name != "native"]
    if not others:
        return CheckSection("engines", skipped=bilingual("check-only-native"))
    cases = []
    for name in others:
        t0 = time.perf_counter()
        try:
            engine = ctx.book.engine(name)
        except EngineUnavailableError as exc:
            skipped = bilingual("check-engine-unavailable", engine=name, detail=exc)
            finding = CheckFinding("engines", "check-engine-unavailable", "warning", skipped)
            cases.append(CheckCase("engines", name, name, findings=(finding,), skipped=skipped))
            continue
        except Exception as exc:  # an engine that cannot compile the rules is an error
            detail = f"{type(exc).__name__}: {exc}"
            text = bilingual("check-engine-build", engine=name, detail=detail)
            finding = CheckFinding("engines", "check-engine-build", "error", text)
            cases.append(CheckCase("engines", name, name, findings=(finding,)))
            continue
        generated = ctx.decided()
        if isinstance(generated, Text):
            cases.append(CheckCase("engines", name, name, skipped=generated))
            continue
        rules = {rule.id: (rs.file, rule) for rs in ctx.book.rulesets for rule in rs.rules}
        decide: Callable[[Application, date], Decision] = engine.decide
        many = getattr(engine, "decide_many", None)
        if many is not None:  # an engine that decides in bulk (columnar): all at once
            decide = _bulk(many, generated.applications, ctx.on)
        findings = _compare_engines(
            name, decide, generated.applications, generated.native, ctx.on, rules
        )
        cases.append(
            CheckCase("engines", name, name, findings=findings, seconds=time.perf_counter() - t0)
        )
    return CheckSection("engines", tuple(cases))


def _bulk(
    many: Callable[[Sequence[Application], date], Sequence[Decision]],
    apps: Sequence[Application],
    on: date,
) -> Callable[[Application, date], Decision]:
    """``decide`` for ``apps`` from one bulk call (an error in it is raised for each)."""
    try:
        decided: dict[int, Decision] = dict(zip(map(id, apps), many(apps, on), strict=True))
    except Exception as exc:  # reported per application, like a raising single decision
        failure = exc

        def fail(app: Application, on: date) -> Decision:
            raise failure

        return fail
    return lambda app, on: decided[id(app)]


def _compare_engines(
    name: str,
    decide: Callable[[Application, date], Decision],
    apps: Sequence[Application],
    native: Sequence[Decision],
    on: date,
    rules: Mapping[str, tuple[str, Rule]],
) -> tuple[CheckFinding, ...]:
    """Findings where the engine ``name`` decides otherwise than native.

    A rule whose status differs gets a finding of its own at its file and line; differences no
    rule explains (the outcome, the aid, the fit ranking) and errors are reported once each.
    """
    by_rule: dict[str | None, list[str]] = {}
    raised: list[str] = []
    for index, (app, expected) in enumerate(zip(apps, native, strict=True)):
        app_id = f"#{index + 1} {app.id}"
        try:
            got = decide(app, on)
        except Exception as exc:  # an engine that raises disagrees; keep comparing the others
            raised.append(f"{app_id}: {type(exc).__name__}: {exc}")
            continue
        diff = decision_differences(expected, got)
        if not diff:
            continue
        culprits: list[str | None] = [
            a.rule_id
            for a, b in zip(expected.findings, got.findings, strict=True)
            if a.status != b.status
        ]
        for rule_id in culprits or [None]:
            by_rule.setdefault(rule_id, []).append(f"{app_id}: " + "; ".join(diff))
    groups: list[tuple[str, str | None, list[str]]] = [
        ("check-engine-disagrees", rule_id, lines) for rule_id, lines in by_rule.items()
    ]
    groups.append(("check-engine-raised", None, raised))
    findings = []
    for code, rule_id, lines in groups:
        if not lines:
            continue
        shown = lines[:_SHOWN_DIFFERENCES]
        if len(lines) > len(shown):
            shown.append(f"... {len(lines) - len(shown)} more")
        file, rule = rules.get(rule_id, (None, None)) if rule_id is not None else (None, None)
        findings.append(
            CheckFinding(
                "engines",
                code,
                "error",
                bilingual(code, engine=name, count=len(lines), total=len(apps)),
                file=file,
                line=rule.line if rule is not None else None,
                column=rule.column if rule is not None else None,
                rule=rule_id,
                details=tuple(shown),
            )
        )
    return tuple(findings)


def decision_differences(expected: Decision, got: Decision) -> list[str]:
    """How ``got`` differs from ``expected``: outcome, aid, each rule, referrals, fit ranking."""
    diff: list[str] = []
    engines = f"{expected.engine} vs {got.engine}"
    if expected.outcome != got.outcome:
        diff.append(f"outcome {expected.outcome.value} vs {got.outcome.value}")
    if expected.aid_value != got.aid_value:
        diff.append(f"aid_value {expected.aid_value} vs {got.aid_value}")
    for a, b in zip(expected.findings, got.findings, strict=True):
        if a.status != b.status:
            diff.append(f"{a.rule_id} {a.status.value} vs {b.status.value}")
    refs_a = [(r.agency, r.rule_id) for r in expected.referrals]
    refs_b = [(r.agency, r.rule_id) for r in got.referrals]
    if refs_a != refs_b:
        diff.append(f"referrals {[a for a, _ in refs_a]} vs {[a for a, _ in refs_b]}")
    recs_a = {r.business_type: r.score for r in expected.recommendations}
    recs_b = {r.business_type: r.score for r in got.recommendations}
    top_a = expected.recommendations[0].business_type if expected.recommendations else None
    top_b = got.recommendations[0].business_type if got.recommendations else None
    if top_a != top_b:
        diff.append(f"top_recommendation {top_a} vs {top_b}")
    for code, score in recs_a.items():
        if recs_b.get(code) != score:
            diff.append(f"fit score {code} {score} vs {recs_b.get(code)}")
    return [f"{d} ({engines})" for d in diff] if diff else []
