"""The native engine and the decisions it makes."""

from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from bansos_rules import (
    Decision,
    EngineUnavailableError,
    InputError,
    Outcome,
    RulesetError,
    Status,
    UnknownBusinessTypeError,
    evaluate,
)
from tests._support import (
    base_application,
    base_application_data,
    book_of,
    builtin_book,
    rule,
    ruleset_text,
)

ON = date(2025, 6, 1)


def test_the_base_application_is_approved_with_its_plan_total() -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    assert decision.outcome is Outcome.APPROVED
    assert decision.aid_value == decision.plan_total == 4_800_000
    assert decision.engine == "native"
    assert decision.on == ON
    assert decision.digest == builtin_book().digest
    assert decision.digest.startswith("sha256:")


def test_every_requirement_rule_has_a_finding_with_messages_and_reference() -> None:
    book = builtin_book()
    decision = book.evaluate(base_application(), on=ON)
    ids = [f.rule_id for f in decision.findings]
    assert ids == [r.id for r in book.layout.rules]
    for finding in decision.findings:
        assert finding.message.id
        assert finding.message.en
        assert finding.reference
    age = next(f for f in decision.findings if f.rule_id == "eligibility.working_age")
    assert age.values == {"applicant.age": 40}
    assert age.thresholds == {"min_age": 18, "max_age": 59}
    assert age.message.id == "Usia 40 tahun, dalam rentang 18-59 tahun"


def test_a_failed_rule_explains_itself_with_the_values_it_read() -> None:
    app = base_application(plan__items__1__unit_price=2_000_000)
    decision = builtin_book().evaluate(app, on=ON)
    assert decision.outcome is Outcome.REJECTED
    assert decision.aid_value == 0
    (failed,) = decision.failed
    assert failed.rule_id == "aid_caps.maximum"
    assert failed.status is Status.FAILED
    assert failed.values == {"plan.total": 5_300_000}
    assert failed.thresholds == {"max_aid": 5_000_000}
    assert failed.message.id == "Nilai rencana Rp5.300.000 melebihi batas Rp5.000.000"
    assert failed.message.en == "Plan total Rp5,300,000 exceeds the limit Rp5,000,000"


def test_recommendations_rank_every_business_type() -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    recs = decision.recommendations
    assert {r.business_type for r in recs} == set(builtin_book().layout.business_types)
    assert recs[0].business_type == "food"
    assert [r.percent for r in recs] == sorted((r.percent for r in recs), reverse=True)
    assert recs[0].percent == 100


def test_same_input_gives_byte_identical_json() -> None:
    app = base_application()
    first = builtin_book().evaluate(app, on=ON).to_json()
    again = builtin_book().evaluate(base_application(), on=ON).to_json()
    assert first == again
    parsed = json.loads(first)
    assert parsed["outcome"] == "approved"
    assert parsed["ruleset_digest"] == builtin_book().digest
    assert len(parsed["findings"]) == len(builtin_book().layout.rules)


def test_decisions_are_immutable() -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    with pytest.raises(AttributeError):
        decision.outcome = Outcome.REJECTED  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decision.findings[0].passed = False  # type: ignore[misc]


def test_module_level_evaluate_uses_the_installed_plugins() -> None:
    assert evaluate(base_application_data(), on=ON).outcome is Outcome.APPROVED


def test_concurrent_evaluation_gives_the_same_decisions() -> None:
    book = builtin_book()
    apps = [base_application(applicant__dtsen_decile=d) for d in range(1, 11)] * 20
    expected = [book.evaluate(a, on=ON).to_json() for a in apps]
    results: dict[int, list[str]] = {}

    def work(k: int) -> None:
        results[k] = [book.evaluate(a, on=ON).to_json() for a in apps]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[k] == expected for k in range(4))


def test_invalid_mapping_lists_every_problem_with_its_path() -> None:
    data = base_application_data()
    data["applicant"]["nik"] = "64720352038500"
    data["plan"]["items"][0]["unit_price"] = 1.5
    data["household"]["monthly_income"] = -1
    with pytest.raises(InputError) as info:
        builtin_book().evaluate(data, on=ON)
    paths = {p.path for p in info.value.problems}
    assert paths == {"applicant.nik", "plan.items.0.unit_price", "household.monthly_income"}


def test_unknown_business_type_is_an_input_error_with_a_suggestion() -> None:
    data = base_application_data()
    data["plan"]["business_type"] = "chicken_farm"
    with pytest.raises(UnknownBusinessTypeError) as info:
        builtin_book().evaluate(data, on=ON)
    (problem,) = info.value.problems
    assert problem.path == "plan.business_type"
    assert "chicken_farming" in problem.message


def test_evaluate_many_keeps_going_past_bad_records() -> None:
    bad = base_application_data()
    del bad["plan"]
    items = [base_application_data(), bad, base_application_data()]
    results = list(builtin_book().evaluate_many(items, on=ON))
    assert [type(r) for r in results] == [Decision, InputError, Decision]


def test_unknown_engine_is_reported() -> None:
    with pytest.raises(EngineUnavailableError, match="native"):
        builtin_book().engine("quantum")


def test_parameter_values_follow_their_effective_dates() -> None:
    params = """\
    max_aid:
      type: int
      unit: rupiah
      description: {id: batas, en: cap}
      reference: test
      values:
        - {from: 2025-01-01, value: 5000000}
        - {from: 2026-01-01, value: 4000000, reference: decree 2}
    """
    book = book_of(ruleset_text(rule("plan.total <= params.max_aid"), params))
    app = base_application()
    assert book.evaluate(app, on=date(2025, 12, 31)).outcome is Outcome.APPROVED
    later = book.evaluate(app, on=date(2026, 1, 1))
    assert later.outcome is Outcome.REJECTED
    assert later.findings[0].thresholds == {"max_aid": 4_000_000}
    with pytest.raises(RulesetError, match="no value in force on 2024-12-31"):
        book.evaluate(app, on=date(2024, 12, 31))


def test_a_rule_that_raises_marks_only_itself_and_needs_review() -> None:
    book = book_of(
        ruleset_text(
            rule("plan.total // (applicant.age - 40) > 0", rule_id="t.divides")
            + rule("applicant.pkh_member", rule_id="t.pkh")
        )
    )
    decision = book.evaluate(base_application(), on=ON)
    assert decision.outcome is Outcome.NEEDS_REVIEW
    broken, fine = decision.findings
    assert broken.status is Status.ERROR
    assert broken.error is not None
    assert "ZeroDivisionError" in broken.error
    assert fine.status is Status.PASSED


def test_when_and_applies_to_make_a_rule_not_applicable() -> None:
    text = ruleset_text(
        rule("False", rule_id="t.only_chickens", extra="applies_to: [chicken_farming]\n")
        + rule("False", rule_id="t.only_men", extra="when: applicant.sex == 'male'\n")
    )
    decision = book_of(text).evaluate(base_application(), on=ON)
    assert [f.status for f in decision.findings] == [Status.NOT_APPLICABLE] * 2
    assert decision.outcome is Outcome.APPROVED


def test_on_fail_decides_the_outcome() -> None:
    text = ruleset_text(
        rule("False", rule_id="t.review", extra="on_fail: review\n")
        + rule("False", rule_id="t.note", extra="on_fail: none\nrefer: public_works\n")
    )
    decision = book_of(text).evaluate(base_application(), on=ON)
    assert decision.outcome is Outcome.NEEDS_REVIEW
    assert [r.agency for r in decision.referrals] == ["public_works"]
    text = ruleset_text(
        rule("False", rule_id="t.reject")
        + rule("False", rule_id="t.review2", extra="on_fail: review\n")
    )
    assert book_of(text).evaluate(base_application(), on=ON).outcome is Outcome.REJECTED


def test_engine_source_is_inspectable() -> None:
    source = builtin_book().engine().source
    assert source.startswith("def _decide(_app, _today, _pv, _pvb):")
    assert "import" not in source


def test_placeholders_may_name_the_business_type_and_the_date() -> None:
    text = ruleset_text(
        rule(
            "False",
            extra="reason: {id: '{business_type} pada {today}',"
            " en: '{business_type} on {today}'}\n",
        ).replace("  reason: {id: gagal, en: failed}\n", "")
    )
    (finding,) = book_of(text).evaluate(base_application(), on=ON).findings
    assert finding.message.en == "food on 2025-06-01"
    assert finding.message.id == "food pada 2025-06-01"


def test_rules_over_lists_and_records_show_what_they_read() -> None:
    app = base_application(applicant__prior_aid=[{"program": "kube", "year": 2023}])
    decision = builtin_book().evaluate(app, on=ON)
    (failed,) = decision.failed
    assert failed.rule_id == "eligibility.no_recent_business_aid"
    assert failed.values == {
        "applicant.prior_aid": app.applicant.prior_aid,
        "household.aid_history": (),
        "applicant.nik": app.applicant.nik,
    }
    row = json.loads(decision.to_json())["findings"]
    shown = next(f for f in row if f["rule"] == "eligibility.no_recent_business_aid")
    assert shown["values"] == {
        "applicant.prior_aid": [{"program": "kube", "year": 2023, "recipient_nik": None}],
        "household.aid_history": [],
        "applicant.nik": app.applicant.nik,
    }
    bank = next(f for f in decision.findings if f.rule_id == "eligibility.bank_account")
    assert set(bank.values) == {"applicant.bank_account"}


def test_explanations_show_records_readably() -> None:
    from bansos_rules.explain import explain

    app = base_application(applicant__prior_aid=[{"program": "kube", "year": 2023}])
    text = explain(builtin_book().evaluate(app, on=ON), lang="en")
    assert "applicant.prior_aid = program kube, year 2023" in text
