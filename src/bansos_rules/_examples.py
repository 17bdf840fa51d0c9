"""Running the worked examples that ruleset files carry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bansos_rules._book import RuleBook
from bansos_rules._decision import Decision, Status
from bansos_rules.ruleset.ir import Example

__all__ = ["ExampleResult", "check_example", "run_examples"]


@dataclass(frozen=True)
class ExampleResult:
    """An example, the decision it got, and every way the decision differs from what it expects."""

    example: Example
    decision: Decision
    mismatches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the decision matches every expectation."""
        return not self.mismatches

    @property
    def location(self) -> str:
        """``file:line`` of the example."""
        return f"{self.example.file}:{self.example.line}"


def check_example(book: RuleBook, example: Example, *, engine: str = "native") -> ExampleResult:
    """Decide ``example``'s application and compare the decision with what it expects."""
    decision = book.evaluate(example.application, on=example.on, engine=engine)
    expect = example.expect
    problems: list[str] = []
    if expect.outcome is not None and decision.outcome.value != expect.outcome:
        problems.append(f"outcome: expected {expect.outcome}, got {decision.outcome.value}")
    if expect.aid_value is not None and decision.aid_value != expect.aid_value:
        problems.append(f"aid_value: expected {expect.aid_value}, got {decision.aid_value}")
    status = {f.rule_id: f for f in decision.findings}
    for rec in decision.recommendations:
        for f in rec.reasons:
            if rec.business_type == decision.business_type:
                status.setdefault(f.rule_id, f)
    for want, rule_ids in ((Status.FAILED, expect.failed), (Status.PASSED, expect.passed)):
        for rid in rule_ids:
            finding = status.get(rid)
            got = finding.status.value if finding else "absent"
            if got != want.value:
                detail = f" ({finding.message.en})" if finding and got != "absent" else ""
                problems.append(f"{rid}: expected {want.value}, got {got}{detail}")
    if expect.referrals is not None:
        got_refs = sorted(r.agency for r in decision.referrals)
        if got_refs != sorted(expect.referrals):
            problems.append(f"referrals: expected {sorted(expect.referrals)}, got {got_refs}")
    if expect.top_recommendation is not None:
        recs = decision.recommendations
        top = recs[0].business_type if recs else None
        if top != expect.top_recommendation:
            problems.append(f"top_recommendation: expected {expect.top_recommendation}, got {top}")
    return ExampleResult(example, decision, tuple(problems))


def run_examples(book: RuleBook, *, engine: str = "native") -> Iterator[ExampleResult]:
    """Check every example of every ruleset in ``book``."""
    for ruleset in book.rulesets:
        for example in ruleset.examples:
            yield check_example(book, example, engine=engine)
