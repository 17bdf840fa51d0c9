"""Invariants: declared in ruleset files, checked like rules, tested on generated applications.

Generating applications is the slow part (tens of milliseconds each), so the searches run once per
module on small samples and the tests read their results.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bansos_rules import Outcome, RuleBook, load_rules
from bansos_rules import invariants as inv_module
from bansos_rules._errors import RulesetError
from bansos_rules._examples import check_example
from bansos_rules.invariants import InvariantResult, check_invariants, dates_to_try
from bansos_rules.ruleset._yaml import load_yaml
from bansos_rules.ruleset.ir import Invariant
from bansos_rules.ruleset.loader import load_ruleset
from bansos_rules.ruleset.vocabulary import OUTCOMES, decision_type
from tests._support import book_of, builtin_book, registry, rule, ruleset_text

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "rulesets"


def with_invariants(text: str, invariants: str) -> str:
    """``text`` (a ruleset file) with an ``invariants:`` list of the given items."""
    return text + "invariants:\n" + textwrap.indent(textwrap.dedent(invariants), "  ")


def invariant(holds: str, *, inv_id: str = "t.inv", when: str | None = None) -> str:
    """One invariant item."""
    text = f"- id: {inv_id}\n  title: {{id: Invarian uji, en: Test invariant}}\n"
    if when is not None:
        text += f"  when: {when!r}\n"
    return text + f"  holds: {holds!r}\n"


def load_error(text: str) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        load_ruleset(text, "t.yaml", registry())
    return info.value


# --- loading ---------------------------------------------------------------------------------


def test_an_invariant_is_carried_in_the_ruleset() -> None:
    text = with_invariants(
        ruleset_text(
            rule("plan.total <= params.cap"),
            "cap: {type: int, description: "
            "{id: a, en: b}, reference: r, values: [{from: 2025-01-01, value: 5}]}\n",
        ),
        invariant("decision.aid_value <= params.cap", when='decision.outcome == "approved"')
        + "  reference: Keputusan uji\n",
    )
    rs = load_ruleset(text, "t.yaml", registry())
    (inv,) = rs.invariants
    assert isinstance(inv, Invariant)
    assert (inv.id, inv.ruleset, inv.reference) == ("t.inv", "t", "Keputusan uji")
    assert inv.params == ("cap",)
    assert inv.when is not None
    assert inv.when.source == 'decision.outcome == "approved"'
    assert inv.line == text.splitlines().index("  - id: t.inv") + 1
    assert inv.column == 9
    assert inv.other_rules == ()


def test_a_ruleset_without_invariants_has_none() -> None:
    assert (
        load_ruleset(ruleset_text(rule("applicant.pkh_member")), "t.yaml", registry()).invariants
        == ()
    )


@pytest.mark.parametrize(
    ("holds", "code", "facts"),
    [
        ('decision.outcome == "aproved"', "expr-literal", ("'aproved'", "'approved'")),
        (
            '"public_work" in decision.referrals',
            "expr-literal",
            ("'public_work'", "'public_works'"),
        ),
        ('"t.rul" in decision.failed', "expr-literal", ("'t.rul'", "'t.rule'")),
        ("decision.aid_valu == 0", "expr-unknown-field", ("'aid_valu'", "'aid_value'")),
        ("decision.outcome", "expr-not-bool", ("'holds'",)),
        ("decison.aid_value == 0", "expr-unknown-name", ("'decison'", "'decision'")),
    ],
)
def test_invariant_expressions_are_type_checked(
    holds: str, code: str, facts: tuple[str, ...]
) -> None:
    error = load_error(
        with_invariants(ruleset_text(rule("applicant.pkh_member")), invariant(holds))
    )
    (d,) = error.diagnostics
    assert (d.code, d.rule) == (code, "t.inv"), d.format()
    assert d.line is not None
    assert d.column is not None
    for lang in ("id", "en"):
        for fact in facts:
            assert fact in d.message(lang)


def test_a_score_rule_is_not_a_possible_failed_rule() -> None:
    score = rule(
        "applicant.assets.has_kitchen", rule_id="t.kitchen", extra="kind: score\npoints: 10\n"
    )
    text = with_invariants(
        ruleset_text(rule("applicant.pkh_member") + score),
        invariant('"t.kitchen" not in decision.failed'),
    )
    (d,) = load_error(text).diagnostics
    assert d.code == "expr-literal"


def test_when_must_be_true_or_false() -> None:
    text = with_invariants(
        ruleset_text(rule("applicant.pkh_member")),
        invariant("decision.aid_value == 0", when="decision.plan_total"),
    )
    (d,) = load_error(text).diagnostics
    assert d.code == "expr-not-bool"
    assert "'when'" in d.message("en")


def test_rules_cannot_read_the_decision() -> None:
    (d,) = load_error(ruleset_text(rule('decision.outcome == "approved"'))).diagnostics
    assert d.code == "expr-unknown-name"
    assert "'decision'" in d.message("en")


def test_an_empty_reference_is_reported_for_the_invariant() -> None:
    text = with_invariants(
        ruleset_text(rule("applicant.pkh_member")),
        invariant("decision.aid_value >= 0") + '  reference: ""\n',
    )
    (d,) = load_error(text).diagnostics
    assert d.code == "reference-missing"
    assert "invariant 't.inv'" in d.message("en")


def test_ids_of_other_rulesets_are_left_to_the_book() -> None:
    text = with_invariants(
        ruleset_text(rule("applicant.pkh_member")),
        invariant(
            '"eligibility.dtks_registered" in decision.failed or "t.rule" in decision.passed'
        ),
    )
    (inv,) = load_ruleset(text, "t.yaml", registry()).invariants
    assert inv.other_rules == ("eligibility.dtks_registered",)


def test_invariants_may_read_fit_and_call_functions() -> None:
    text = with_invariants(
        ruleset_text(rule("applicant.pkh_member")),
        invariant("fit.percent >= 0 and years_between(applicant.birth_date, today) >= 0"),
    )
    (inv,) = load_ruleset(text, "t.yaml", registry()).invariants
    assert inv.uses_fit


def test_the_decision_vocabulary_matches_what_is_judged() -> None:
    assert set(OUTCOMES) == {o.value for o in Outcome}
    fields = set(decision_type(("a.b",), ("public_works",)).fields)
    view_fields = {
        name
        for name in (*vars(inv_module._DecisionView), "outcome", "aid_value", "plan_total")
        if not name.startswith("_") and name not in ("fit",)
    }
    assert fields == view_fields


# --- the shipped rulesets --------------------------------------------------------------------

SHIPPED = 100
BROKEN = 80
SMALL_BUDGET = 20
"""Fewer draws for shrinking than the default, to keep these tests quick."""


@pytest.fixture(scope="module")
def shipped() -> list[InvariantResult]:
    return check_invariants(builtin_book(), max_examples=SHIPPED)


def test_every_shipped_invariant_holds_and_is_tested(shipped: list[InvariantResult]) -> None:
    declared = [inv.id for rs in builtin_book().rulesets for inv in rs.invariants]
    assert [r.invariant.id for r in shipped] == declared
    for r in shipped:
        assert r.ok, (r.invariant.id, r.error, r.snippet)
        assert r.tried == SHIPPED
        # An invariant whose `when` is never met proves nothing: the strategies must reach it.
        assert 0 < r.relevant <= r.tried, r.invariant.id
        assert not r.vacuous
        assert (r.counterexample, r.decision, r.snippet, r.error) == (None, None, None, None)


def test_the_program_s_properties_are_declared(shipped: list[InvariantResult]) -> None:
    sources = {r.invariant.id: (r.invariant.when, r.invariant.holds) for r in shipped}
    text = {k: " ".join(c.source for c in v if c is not None) for k, v in sources.items()}
    wanted = {
        "aid_caps.approved_within_max": "params.max_aid",
        "aid_caps.approved_at_least_min": "params.min_aid",
        "aid_caps.no_aid_unless_approved": "decision.aid_value == 0",
        "aid_caps.cash_never_approved": "is_cash",
        "eligibility.unregistered_never_approved": "dtks_registered",
        "referrals.no_clean_water_referred": '"public_works" in decision.referrals',
    }
    for inv_id, fragment in wanted.items():
        assert fragment in text[inv_id], inv_id


def test_dates_follow_the_parameters() -> None:
    text = ruleset_text(
        rule("plan.total <= params.cap"),
        "cap: {type: int, description: {id: a, en: b}, reference: r, values: "
        "[{from: 2025-01-01, until: 2025-06-30, value: 5}, {from: 2025-07-01, value: 6}]}\n",
    )
    days = [d.isoformat() for d in dates_to_try(book_of(text))]
    # Not 2024-12-31: no value of 'cap' is in force then.
    assert days == ["2025-01-01", "2025-06-01", "2025-06-30", "2025-07-01"]


# --- invariants that do not hold -------------------------------------------------------------

BROKEN_INVARIANTS = """\
  - id: aid_caps.water_means_rejection
    title:
      id: Tanpa air bersih berarti ditolak (salah)
      en: No clean water means rejection (wrong)
    holds: household.clean_water or decision.outcome == "rejected"
  - id: aid_caps.divides_by_aid
    title: {id: Membagi dengan nilai bantuan, en: Divides by the aid value}
    when: decision.outcome == "rejected"
    holds: 100 // decision.aid_value >= 0
  - id: aid_caps.never_met
    title: {id: Tidak pernah berlaku, en: Never applies}
    when: applicant.age > 200
    holds: decision.aid_value == 0
  - id: aid_caps.names_a_misspelt_rule
    title: {id: Salah ketik aturan, en: Misspelt rule}
    holds: '"eligibility.dtks_registerd" not in decision.errors'
  - id: aid_caps.names_another_ruleset
    title: {id: Aturan ruleset lain, en: Another ruleset's rule}
    when: decision.outcome == "approved"
    holds: '"eligibility.dtks_registered" in decision.passed'
"""


@pytest.fixture(scope="module")
def broken_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of the shipped rulesets; aid_caps lets Rp100,000 past the maximum and has wrong
    invariants."""
    folder = tmp_path_factory.mktemp("rulesets")
    for path in RULESETS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    caps = folder / "aid_caps.yaml"
    text = caps.read_text(encoding="utf-8")
    assert "check: plan.total <= params.max_aid\n" in text
    text = text.replace(
        "check: plan.total <= params.max_aid\n", "check: plan.total <= params.max_aid + 100000\n"
    )
    caps.write_text(text + BROKEN_INVARIANTS, encoding="utf-8")
    return folder


def quickly(book: RuleBook, *, budget: int, **kwargs: Any) -> list[InvariantResult]:
    """:func:`check_invariants`, with ``budget`` draws for shrinking."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inv_module, "_SHRINK_DRAWS", budget)
        return check_invariants(book, **kwargs)


def book_in(folder: Path) -> RuleBook:
    return load_rules(sorted(folder.glob("*.yaml")), plugin_rulesets=False)


@pytest.fixture(scope="module")
def broken(broken_dir: Path) -> dict[str, InvariantResult]:
    results = quickly(book_in(broken_dir), budget=SMALL_BUDGET, max_examples=BROKEN)
    return {r.invariant.id: r for r in results}


def test_a_loosened_rule_breaks_a_shipped_invariant(broken: dict[str, InvariantResult]) -> None:
    r = broken["aid_caps.approved_within_max"]
    assert not r.ok
    assert r.error is None
    assert r.decision is not None
    assert r.counterexample is not None
    assert r.on is not None
    assert r.decision.outcome is Outcome.APPROVED
    assert 5_000_000 < r.decision.aid_value <= 5_100_000
    assert r.counterexample.plan.total == r.decision.aid_value
    # The others still hold.
    assert broken["aid_caps.no_aid_unless_approved"].ok


def test_a_wrong_invariant_gets_a_counterexample(
    broken: dict[str, InvariantResult], broken_dir: Path
) -> None:
    r = broken["aid_caps.water_means_rejection"]
    assert not r.ok
    assert r.error is None
    assert r.relevant == r.tried == BROKEN
    app, decision = r.counterexample, r.decision
    assert app is not None
    assert decision is not None
    assert r.on is not None
    assert not app.household.clean_water
    assert decision.outcome is not Outcome.REJECTED
    # The decision is the rules' own.
    again = book_in(broken_dir).evaluate(app, on=r.on)
    assert again.to_json() == decision.to_json()


def test_an_invariant_wrong_only_exactly_at_the_cap_is_caught(tmp_path: Path) -> None:
    # Plans near the caps land on the cap itself often enough for < versus <= to show.
    for path in RULESETS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    caps = tmp_path / "aid_caps.yaml"
    caps.write_text(
        caps.read_text(encoding="utf-8")
        + """\
  - id: aid_caps.strictly_below_max
    title: {id: Di bawah maksimum (salah), en: Below the maximum (wrong)}
    holds: decision.outcome == "rejected" or plan.total < params.max_aid
""",
        encoding="utf-8",
    )
    # Wrong only where a plan of exactly the cap is not rejected (approved, or sent to review
    # for its fit): a fifth of the draws are near a cap, and a third of those land on one.
    results = quickly(book_in(tmp_path), budget=SMALL_BUDGET, max_examples=BROKEN)
    (r,) = [r for r in results if r.invariant.id == "aid_caps.strictly_below_max"]
    assert not r.ok
    assert r.decision is not None
    assert r.counterexample is not None
    assert r.counterexample.plan.total == 5_000_000
    assert r.decision.outcome is not Outcome.REJECTED


def test_an_expression_that_raises_is_reported(broken: dict[str, InvariantResult]) -> None:
    r = broken["aid_caps.divides_by_aid"]
    assert not r.ok
    assert r.error is not None
    assert r.error.startswith("ZeroDivisionError")
    assert r.decision is not None
    assert r.decision.outcome is Outcome.REJECTED
    assert r.snippet is not None


def test_a_vacuous_invariant_shows(broken: dict[str, InvariantResult]) -> None:
    r = broken["aid_caps.never_met"]
    assert r.ok
    assert r.vacuous
    assert (r.tried, r.relevant) == (BROKEN, 0)


def test_rule_ids_of_other_rulesets_are_checked_against_the_book(
    broken: dict[str, InvariantResult],
) -> None:
    misspelt = broken["aid_caps.names_a_misspelt_rule"]
    assert not misspelt.ok
    assert (misspelt.tried, misspelt.relevant) == (0, 0)
    assert misspelt.error is not None
    assert "'eligibility.dtks_registerd'" in misspelt.error
    assert "did you mean 'eligibility.dtks_registered'?" in misspelt.error
    assert misspelt.counterexample is None
    assert broken["aid_caps.names_another_ruleset"].ok


def test_snippets_paste_into_the_ruleset_and_pass(
    broken: dict[str, InvariantResult], broken_dir: Path, tmp_path: Path
) -> None:
    failing = [r for r in broken.values() if r.snippet is not None]
    assert {r.invariant.id for r in failing} == {
        "aid_caps.approved_within_max",
        "aid_caps.water_means_rejection",
        "aid_caps.divides_by_aid",
    }
    for path in broken_dir.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    caps = tmp_path / "aid_caps.yaml"
    text = caps.read_text(encoding="utf-8")
    head, marker, tail = text.partition("\nexamples:\n")
    assert marker
    pasted = "".join(r.snippet for r in failing if r.snippet)
    caps.write_text(head + marker + pasted + tail, encoding="utf-8")
    book = book_in(tmp_path)
    by_name = {ex.name: ex for rs in book.rulesets for ex in rs.examples}
    for r in failing:
        assert r.snippet is not None
        lines = r.snippet.splitlines()
        assert lines[0] == f"  # Melanggar invarian {r.invariant.id}: {r.invariant.title.id}"
        assert lines[1] == f"  # Breaks invariant {r.invariant.id}: {r.invariant.title.en}"
        assert re.match(r"  - name: ", lines[2])
        example = by_name[f"Contoh penyangkal invarian {r.invariant.id}"]
        assert example.application == r.counterexample
        assert example.on == r.on
        result = check_example(book, example)
        assert result.ok, result.mismatches
        assert r.decision is not None
        assert example.expect.outcome == r.decision.outcome.value
        assert example.expect.aid_value == r.decision.aid_value


# --- the search itself -----------------------------------------------------------------------

TINY = with_invariants(
    ruleset_text(
        rule("applicant.pkh_member"),
        "late: {type: int, description: {id: a, en: b}, reference: r, "
        "values: [{from: 2025-07-01, value: 1}]}\n",
    ),
    invariant("household.size <= 2", inv_id="t.small_households")
    + invariant("params.late == 1", inv_id="t.late"),
)


def run_tiny(*, budget: int = SMALL_BUDGET, **kwargs: Any) -> list[InvariantResult]:
    return quickly(book_of(TINY), budget=budget, **kwargs)


@pytest.fixture(scope="module")
def tiny() -> list[InvariantResult]:
    return run_tiny(max_examples=20)


def test_the_search_is_repeatable(tiny: list[InvariantResult]) -> None:
    again = run_tiny(max_examples=20)
    assert [(r.ok, r.tried, r.relevant, r.on, r.snippet, r.error) for r in tiny] == [
        (r.ok, r.tried, r.relevant, r.on, r.snippet, r.error) for r in again
    ]


def test_the_counterexample_is_shrunk(tiny: list[InvariantResult]) -> None:
    (unshrunk, _) = run_tiny(budget=0, max_examples=20)
    shrunk = tiny[0]
    assert not shrunk.ok
    assert not unshrunk.ok
    assert shrunk.counterexample is not None
    assert unshrunk.counterexample is not None
    # The smallest household that breaks "at most two people" has three.
    assert len(shrunk.counterexample.household.members) == 3
    assert len(unshrunk.counterexample.household.members) > 3


def test_a_parameter_not_in_force_is_an_error(tiny: list[InvariantResult]) -> None:
    late = tiny[1]
    assert not late.ok
    assert late.on is not None
    assert late.on.isoformat() < "2025-07-01"
    assert late.error == (
        f"invariant 't.late': parameter 'late' has no value in force on {late.on.isoformat()}"
    )


def test_random_searches_work_too() -> None:
    text = with_invariants(ruleset_text(rule("applicant.pkh_member")), invariant("False"))
    (never,) = quickly(book_of(text), budget=5, max_examples=5, derandomize=False)
    assert not never.ok
    assert never.tried == 5
    assert never.counterexample is not None


def test_at_least_one_example_is_needed() -> None:
    with pytest.raises(ValueError, match="max_examples"):
        check_invariants(book_of(TINY), max_examples=0)


def test_a_snippet_is_plain_yaml(tiny: list[InvariantResult]) -> None:
    small = tiny[0]
    assert small.snippet is not None
    assert "&id" not in small.snippet
    assert "*id" not in small.snippet
    located, problems = load_yaml(textwrap.dedent(small.snippet), "snippet.yaml")
    assert located is not None, problems
    (item,) = located.data
    assert set(item) == {"name", "on", "given", "expect"}
    assert item["on"] == small.on
    assert item["expect"]["referrals"] == sorted(
        r.agency
        for r in small.decision.referrals  # type: ignore[union-attr]
    )
