"""The built-in rulesets: every worked example, and properties that hold for any application."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bansos_rules import Application, Outcome, Status
from bansos_rules._examples import check_example
from bansos_rules._models import PlanItem
from bansos_rules.testing import applications, business_plans
from tests._support import builtin_book

ON = date(2025, 6, 1)
EXAMPLES = [ex for rs in builtin_book().rulesets for ex in rs.examples]


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.ruleset}: {e.name}" for e in EXAMPLES])
def test_ruleset_example(example: object) -> None:
    result = check_example(builtin_book(), example)  # type: ignore[arg-type]
    assert result.ok, f"{result.location}: " + "; ".join(result.mismatches)


def test_every_rule_is_exercised_by_an_example_both_ways() -> None:
    book = builtin_book()
    seen: dict[str, set[Status]] = {r.id: set() for r in book.layout.rules}
    for ex in EXAMPLES:
        decision = book.evaluate(ex.application, on=ex.on)
        for finding in decision.findings:
            seen[finding.rule_id].add(finding.status)
    missing = {
        rid: sorted(s.value for s in {Status.PASSED, Status.FAILED} - statuses)
        for rid, statuses in seen.items()
        if not {Status.PASSED, Status.FAILED} <= statuses
    }
    assert not missing, f"rules never seen passing/failing in an example: {missing}"


def decide(app: Application):  # type: ignore[no-untyped-def]
    return builtin_book().evaluate(app, on=ON)


def cap() -> tuple[int, int]:
    params = builtin_book().layout.params_on(ON)
    return params.value("aid_caps", "min_aid"), params.value("aid_caps", "max_aid")


@given(applications(on=ON))
def test_aid_is_the_plan_total_when_approved_and_zero_otherwise(app: Application) -> None:
    decision = decide(app)
    if decision.outcome is Outcome.APPROVED:
        assert decision.aid_value == app.plan.total
    else:
        assert decision.aid_value == 0


@given(applications(on=ON, near_cap=True))
def test_no_approved_plan_lies_outside_the_cap(app: Application) -> None:
    low, high = cap()
    decision = decide(app)
    if decision.outcome is Outcome.APPROVED:
        assert low <= decision.aid_value <= high


@given(applications(eligible=False, on=ON))
def test_an_ineligible_applicant_never_gets_aid(app: Application) -> None:
    decision = decide(app)
    assert decision.outcome is not Outcome.APPROVED
    assert decision.aid_value == 0
    assert any(f.ruleset == "eligibility" and f.passed is False for f in decision.findings)


@given(applications(on=ON), st.integers(min_value=0, max_value=2_000_000))
def test_adding_a_cash_line_never_makes_a_plan_valid(app: Application, amount: int) -> None:
    before = decide(app)
    cash = PlanItem(
        name="Modal tunai", category="cash", quantity=1, unit_price=amount, is_cash=True
    )
    plan = app.plan.model_copy(update={"items": (*app.plan.items, cash)})
    after = decide(app.model_copy(update={"plan": plan}))
    assert after.outcome is Outcome.REJECTED
    assert after.aid_value == 0
    if before.outcome is not Outcome.APPROVED:
        assert after.outcome is not Outcome.APPROVED


@given(applications(on=ON), st.integers(min_value=0, max_value=500))
def test_more_yard_never_makes_chicken_farming_a_worse_fit(app: Application, extra: int) -> None:
    def chicken(a: Application) -> int:
        rec = next(r for r in decide(a).recommendations if r.business_type == "chicken_farming")
        return rec.score

    assets = app.applicant.assets
    bigger = assets.model_copy(update={"yard_area_m2": assets.yard_area_m2 + extra})
    applicant = app.applicant.model_copy(update={"assets": bigger})
    assert chicken(app.model_copy(update={"applicant": applicant})) >= chicken(app)


@given(applications(on=ON))
def test_a_household_without_clean_water_is_always_referred(app: Application) -> None:
    household = app.household.model_copy(update={"clean_water": False})
    decision = decide(app.model_copy(update={"household": household}))
    assert "public_works" in [r.agency for r in decision.referrals]


@given(applications(on=ON))
def test_referrals_alone_never_reject(app: Application) -> None:
    decision = decide(app)
    blocking = [f for f in decision.findings if f.status is Status.FAILED and f.on_fail == "reject"]
    assert (decision.outcome is Outcome.REJECTED) == bool(blocking)


@given(applications(on=ON, business_type="workshop"))
def test_a_workshop_without_mechanical_skill_is_reviewed_and_referred(app: Application) -> None:
    skilled = {"mechanics", "welding"}
    assume(not skilled & {*app.applicant.skills, *app.applicant.certificates})
    decision = decide(app)
    assert decision.outcome is not Outcome.APPROVED
    assert "disnakertrans" in [r.agency for r in decision.referrals]


@given(business_plans(total_between=(4_500_000, 5_000_000)))
def test_a_plan_total_within_the_cap_passes_both_cap_rules(plan: object) -> None:
    low, high = cap()
    assert low <= plan.total <= high  # type: ignore[attr-defined]


@given(applications(on=ON))
def test_decisions_are_deterministic(app: Application) -> None:
    assert (
        decide(app).to_json()
        == decide(Application.model_validate_json(app.model_dump_json())).to_json()
    )
