"""The durable_rules engine: same decisions as the native engine, no leaks, safe with threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bansos_rules import Decision, EngineUnavailableError, load_rules
from bansos_rules._examples import run_examples
from bansos_rules._models import Application
from bansos_rules.testing import applications
from tests._support import base_application, book_of, builtin_book, rule, ruleset_text

pytest.importorskip("durable_rules_engine", reason="durable_rules cannot be installed here")

ON = date(2025, 6, 1)

population = st.one_of(
    applications(),
    applications(eligible=True),
    applications(eligible=True, near_cap=True),
)


def comparable(decision: Decision) -> tuple[Any, ...]:
    """Everything a decision holds except the engine's name (errors compared by their text)."""
    return (
        decision.application_id,
        decision.outcome,
        decision.aid_value,
        decision.on,
        decision.business_type,
        decision.plan_total,
        tuple(repr(r) for r in decision[8]),
        tuple(repr(s) for s in decision[9]),
        tuple(repr(v) for v in decision[10]),
    )


def test_every_worked_example_holds_on_the_durable_engine() -> None:
    results = list(run_examples(builtin_book(), engine="durable"))
    assert results
    assert [r.location for r in results if not r.ok] == []


def test_the_builtin_rules_translate_entirely_into_durable_rules() -> None:
    translation = builtin_book().engine("durable").translation  # type: ignore[attr-defined]
    assert {t.rule_id for t in translation} == {
        r.id for rs in builtin_book().rulesets for r in rs.rules
    }
    assert [t.rule_id for t in translation if not t.full] == []


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(app=population, on=st.sampled_from([date(2025, 1, 2), ON, date(2026, 2, 28)]))
def test_durable_decides_exactly_as_native(app: Application, on: date) -> None:
    book = builtin_book()
    native = book.engine("native").decide(app, on)
    durable = book.engine("durable").decide(app, on)
    assert durable.engine == "durable"
    assert comparable(durable) == comparable(native)
    assert durable.to_dict()["findings"] == native.to_dict()["findings"]


# A ruleset using what durable_rules cannot say directly (computed in Python, then tested) next to
# what it can (comparisons of two fields, arithmetic solved for one field, None tests, per-type
# parameters, quantifiers with alternatives inside).
EDGE_RULES = ruleset_text(
    rule("len(household.members) <= params.max_members", rule_id="t.len")
    + rule(
        "sum(item.quantity for item in plan.items) < 40 or plan.total // 0 > 1",
        rule_id="t.raises_sometimes",
    )
    + rule("years_between(applicant.birth_date, today) >= 18", rule_id="t.function")
    + rule("today.year - applicant.business_experience_years > 2015", rule_id="t.arith")
    + rule("applicant.kk_number == household.kk_number", rule_id="t.two_fields")
    + rule(
        "applicant.dtsen_decile != 3 and (applicant.existing_business is None"
        " or applicant.existing_business != business_type)",
        rule_id="t.optional",
    )
    + rule(
        "all(item.category in params.categories or item.unit_price < 100000"
        " for item in plan.items if not item.is_cash)",
        rule_id="t.all_or",
    )
    + rule(
        "not any(m.age < 5 and m.relation == 'child' or m.age > 90 for m in household.members)",
        rule_id="t.not_any",
    )
    + rule("max(applicant.business_experience_years, 1) * 2 < 20", rule_id="t.mult")
    + rule(
        "applicant.birth_date < today and all(m.birth_date <= today for m in household.members)",
        rule_id="t.dates",
    )
    + rule(
        "applicant.name != 'Siti Rahmawati' and applicant.village != 'Loa Bakung ü'",
        rule_id="t.text",
    )
    + rule(
        "(plan.total if applicant.pkh_member else 0) >= 4000000",
        rule_id="t.ifexp",
        extra="when: applicant.assets.has_kitchen\non_fail: review\n",
    ),
    parameters="""\
    max_members:
      type: int
      description: {id: Anggota, en: Members}
      reference: test
      values: [{from: 2025-01-01, value: 6}]
    categories:
      type: list[str]
      by: business_type
      description: {id: Kategori, en: Categories}
      reference: test
      values:
        - from: 2025-01-01
          value: {"*": [equipment], food: [equipment, raw_material, packaging]}
    """,
)


@pytest.fixture(scope="module")
def edge_book() -> Any:
    return book_of(EDGE_RULES)


def test_the_edge_ruleset_says_which_rules_needed_python(edge_book: Any) -> None:
    translation = {t.rule_id: t for t in edge_book.engine("durable").translation}
    computed = {rule_id for rule_id, t in translation.items() if not t.full}
    assert computed == {"t.len", "t.raises_sometimes", "t.function", "t.mult", "t.ifexp"}
    assert translation["t.function"].computed == ("years_between(applicant.birth_date, today)",)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(app=population)
def test_durable_agrees_on_rules_it_cannot_say_directly(edge_book: Any, app: Application) -> None:
    native = edge_book.engine("native").decide(app, ON)
    durable = edge_book.engine("durable").decide(app, ON)
    assert comparable(durable) == comparable(native)


def test_a_rule_that_raises_is_an_error_finding_on_both_engines(edge_book: Any) -> None:
    data = base_application().model_dump(mode="json")
    data["plan"]["items"][0]["quantity"] = 50
    app = Application.model_validate(data)
    for engine in ("native", "durable"):
        decision = edge_book.engine(engine).decide(app, ON)
        finding = next(f for f in decision.findings if f.rule_id == "t.raises_sometimes")
        assert finding.status.value == "error", engine
        assert "ZeroDivisionError" in (finding.error or "")


def test_no_fact_is_left_behind_and_rulesets_per_date_are_bounded() -> None:
    book = load_rules()
    engine: Any = book.engine("durable")
    app = base_application()
    first = engine.decide(app, ON)
    for day in range(1, 80):
        engine.decide(app, date(2025, 1, 1).replace(day=1 + day % 28, month=1 + day // 28))
    assert len(engine._programs) <= 64
    assert engine.held_facts() == 0
    assert comparable(engine.decide(app, ON)) == comparable(first)


def test_threads_sharing_one_engine_get_the_sequential_answers() -> None:
    book = builtin_book()
    engine = book.engine("durable")
    apps = [base_application(applicant__dtsen_decile=d % 10 + 1) for d in range(40)]
    expected = [comparable(engine.decide(a, ON)) for a in apps]
    got: list[list[tuple[Any, ...]]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            got.append([comparable(engine.decide(a, ON)) for a in apps for _ in range(5)][::5])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert got == [expected] * 4


def test_without_durable_rules_the_core_works_and_the_engine_says_why() -> None:
    script = """
import sys
sys.modules["durable_rules_engine"] = None  # as on an interpreter it cannot be built for
from datetime import date
import bansos_rules
from bansos_rules import EngineUnavailableError, load_rules
from bansos_rules.cli import main
book = load_rules()
app = book.rulesets[0].examples[0].application
print(book.evaluate(app, on=date(2025, 6, 1)).outcome.value)
try:
    book.engine("durable")
except EngineUnavailableError as exc:
    print("unavailable:", exc)
sys.exit(main(["examples", "--engine", "durable"]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.splitlines()[0] == "approved"
    assert "unavailable: engine 'durable' needs the durable_rules package" in done.stdout
    assert "pip install durable-rules" in done.stdout
    assert done.returncode == 5
    assert "durable_rules" in done.stderr


def test_an_unavailable_engine_is_an_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)
    with pytest.raises(EngineUnavailableError, match="native engine works without it"):
        load_rules().engine("durable")


def test_a_condition_durable_rules_refuses_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import durable_rules_engine

    real = durable_rules_engine.create_ruleset

    def limited(name: str, definition: str) -> int:
        if '"p3"' in definition:  # as durable_rules does for too complex a condition (error 113)
            raise durable_rules_engine.error("Could not create ruleset, error code: 113")
        handle: int = real(name, definition)
        return handle

    monkeypatch.setattr(durable_rules_engine, "create_ruleset", limited)
    book = load_rules()
    engine: Any = book.engine("durable")
    with pytest.raises(
        RuntimeError, match=r"cannot build the conditions of fit\.\w+.*error code: 113"
    ):
        engine.decide(base_application(), ON)


def test_texts_with_quotes_and_non_ascii_reach_durable_rules_intact(edge_book: Any) -> None:
    for name, village in [
        ('Siti "Ani" Rahmawati', "Loa Bakung ü"),
        ("Siti Rahmawati", 'Loa \\ Bakung "ü"'),
        ("Siti Rahmawati", "Loa Bakung ü"),
    ]:
        app = base_application(applicant__name=name, applicant__village=village)
        native = edge_book.engine("native").decide(app, ON)
        durable = edge_book.engine("durable").decide(app, ON)
        assert comparable(durable) == comparable(native), (name, village)
