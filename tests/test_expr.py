"""The rule-expression language: what it accepts, how it types, what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from bansos_rules.ruleset import tree
from bansos_rules.ruleset.expr import ExprError, Scope, compile_expr
from bansos_rules.ruleset.types import BOOL, INT, STR, Attr, Obj, Opt, Seq
from bansos_rules.ruleset.vocabulary import roots
from tests._support import base_application, book_of, registry, rule, ruleset_text

PARAMS = Obj(
    "params",
    {
        "min_age": Attr(INT),
        "codes": Attr(Seq(STR)),
        "skills": Attr(Seq(STR)),
    },
)


def scope(*, candidate: str | None = None) -> Scope:
    reg = registry()
    return Scope(
        roots=roots(reg.business_type_codes(), with_fit=candidate is None),
        params=PARAMS,
        by_type=frozenset({"skills"}),
        functions=reg.functions,
        candidate=candidate,
    )


def check(source: str, **kwargs: object) -> tree.Expr:
    return compile_expr(source, scope(**kwargs))  # type: ignore[arg-type]


def error(source: str) -> ExprError:
    with pytest.raises(ExprError) as info:
        check(source)
    return info.value


@pytest.mark.parametrize(
    ("source", "ty"),
    [
        ("applicant.age >= params.min_age", BOOL),
        ("applicant.age + 1", INT),
        ("plan.total // 2 - 3 * 4 % 5", INT),
        ("applicant.dtsen_decile", Opt(INT)),
        ("applicant.name", STR),
        ("today.year - applicant.birth_date.year", INT),
        ("count(m for m in household.members if m.in_school == False)", INT),
        ("sum(item.quantity * item.unit_price for item in plan.items)", INT),
        ("len(plan.items) > 0 and all(i.quantity > 0 for i in plan.items)", BOOL),
        ("max(applicant.age, 18)", INT),
        ("min(m.age for m in household.members)", Opt(INT)),
        ("overlaps(applicant.skills, params.skills)", BOOL),
        ("applicant.occupation in ['civil_servant', 'police']", BOOL),
        ("1 if applicant.pkh_member else 0", INT),
        ("fit.percent >= 50", BOOL),
        ("years_between(applicant.birth_date, today) >= 18", BOOL),
    ],
)
def test_accepted_expressions_have_their_type(source: str, ty: object) -> None:
    assert check(source).type == ty


def test_safe_paths_are_always_present_values_and_recorded_as_reads() -> None:
    compiled = compile_expr(
        "applicant.assets.yard_area_m2 >= params.min_age and applicant.age > 1", scope()
    )
    assert compiled.reads == ("applicant.assets.yard_area_m2", "applicant.age")
    assert compiled.params == ("min_age",)
    assert list(compiled.values) == [
        "applicant.assets",
        "applicant.assets.yard_area_m2",
        "applicant.age",
    ]
    age = compiled.values["applicant.age"]
    assert (age.name, age.derived, age.always) == ("age", "_age", True)
    assert isinstance(age.base, tree.Root)
    assert age.base.name == "applicant"


def test_paths_below_an_optional_value_are_not_always_present() -> None:
    compiled = compile_expr(
        "applicant.bank_account is not None and applicant.bank_account.bank == 'bankaltimtara'",
        scope(),
    )
    assert "applicant.bank_account.bank" not in compiled.values
    assert "applicant.bank_account.bank" not in compiled.reads
    bank = next(n for n in compiled.nodes() if isinstance(n, tree.Field) and n.name == "bank")
    assert not bank.always


@pytest.mark.parametrize(
    "source",
    [
        "applicant.dtsen_decile is not None and applicant.dtsen_decile <= 4",
        "applicant.dtsen_decile is None or applicant.dtsen_decile <= 4",
        "applicant.dtsen_decile <= 4 if applicant.dtsen_decile is not None else True",
    ],
)
def test_a_none_guard_narrows_an_optional_value(source: str) -> None:
    assert check(source).type == BOOL


def test_an_optional_value_without_a_guard_is_refused() -> None:
    err = error("applicant.dtsen_decile <= 4")
    assert err.code == "expr-type"
    assert "is not None" in err.args_["detail_en"]
    assert err.col == 0


@pytest.mark.parametrize(
    ("source", "name", "suggestion"),
    [("aplicant.age > 1", "aplicant", "applicant"), ("houshold.size > 1", "houshold", "household")],
)
def test_unknown_names_suggest_the_closest(source: str, name: str, suggestion: str) -> None:
    err = error(source)
    assert (err.code, err.args_["name"], err.args_["suggestion"]) == (
        "expr-unknown-name",
        name,
        suggestion,
    )


def test_unknown_fields_and_parameters_suggest_the_closest() -> None:
    err = error("applicant.agee > 1")
    assert (err.code, err.args_["suggestion"]) == ("expr-unknown-field", "age")
    err = error("applicant.age > params.min_agee")
    assert (err.args_["owner"], err.args_["suggestion"]) == ("params", "min_age")
    assert err.col == len("applicant.age > params.")


@pytest.mark.parametrize(
    ("source", "construct"),
    [
        ("__import__('os')", "the name '__import__'"),
        ("applicant.__class__", "the attribute '__class__'"),
        ("(lambda: 1)()", "calling a method"),
        ("2 ** 1000 > 1", "'**' (power)"),
        ("[x for x in plan.items]", "a list comprehension"),
        ("applicant.name.upper() == 'X'", "calling a method"),
        ("plan.items[0].quantity > 1", "indexing with [...]"),
        ("{'a': 1}", "a dict literal"),
        ("plan.total / 2 > 1", "'/' (use '//' for whole-number division)"),
        ("f'{applicant.name}' == 'x'", "an f-string"),
        ("(x := 1) > 0", "assignment (:=)"),
        ("any(1 for a in plan.items for b in plan.items)", "more than one 'for' in a generator"),
        ("len(plan.items, key=1) > 0", "keyword arguments"),
    ],
)
def test_unsafe_constructs_are_refused(source: str, construct: str) -> None:
    err = error(source)
    assert err.code == "expr-unsafe"
    assert err.args_["construct"] == construct


def test_size_and_literals_are_bounded() -> None:
    assert error(" or ".join(["applicant.pkh_member"] * 200)).code == "expr-too-large"
    assert error("plan.total > 10000000000000000").code == "expr-type"
    assert error("plan.total > 1.5").code == "expr-type"
    assert error("applicant.name == '" + "x" * 500 + "'").code == "expr-type"


@pytest.mark.parametrize(
    "source",
    [
        "applicant.age >= '18'",
        "applicant.pkh_member + 1 > 0",
        "applicant.name < 'b'",
        "applicant.age and applicant.pkh_member",
        "not applicant.age",
        "'x' in applicant.age",
        "applicant.age in applicant.skills",
        "applicant.age is 3",
        "len(applicant.age) > 1",
        "overlaps(applicant.skills, applicant.age)",
        "overlaps(applicant.skills) ",
        "sum(i.name for i in plan.items) > 1",
        "1 if applicant.pkh_member else 'x'",
        "today - applicant.birth_date",
    ],
)
def test_type_errors_are_refused(source: str) -> None:
    assert error(source).code == "expr-type"


def test_text_literals_must_be_among_a_fields_choices() -> None:
    err = error("applicant.occupation == 'civil_sevant'")
    assert err.code == "expr-literal"
    assert err.args_["suggestion"] == "civil_servant"
    assert error("applicant.occupation in ['police', 'pensiner']").code == "expr-literal"


def test_unknown_functions_suggest_the_closest() -> None:
    err = error("overlap(applicant.skills, params.codes)")
    assert (err.code, err.args_["suggestion"]) == ("expr-unknown-function", "overlaps")


def test_loop_names_cannot_shadow_and_do_not_leak() -> None:
    assert error("any(applicant for applicant in plan.items)").code == "expr-type"
    assert error("any(i.is_cash for i in plan.items) and i.is_cash").code == "expr-unknown-name"


def test_score_rules_see_the_candidate_as_a_constant() -> None:
    compiled = check("business_type in applicant.interests", candidate="food")
    assert isinstance(compiled.tree, tree.Compare)
    assert compiled.tree.operands[0] == tree.Const(ty=STR, value="food")
    params = [
        n
        for n in check("overlaps(applicant.skills, params.skills)", candidate="food").nodes()
        if isinstance(n, tree.Param)
    ]
    assert [(p.name, p.by_type, p.candidate) for p in params] == [("skills", True, "food")]


def test_syntax_errors_carry_their_column() -> None:
    err = error("applicant.age >= ")
    assert err.code == "expr-syntax"


@pytest.mark.parametrize(
    ("check_source", "changes", "expected"),
    [
        ("applicant.age == 40", {}, True),
        ("applicant.age == 40", {"applicant__birth_date": "1985-06-02"}, False),
        ("household.size == 2 and household.income_per_person == 1050000", {}, True),
        ("count(m for m in household.members if m.age < 18) == 1", {}, True),
        ("all(i.subtotal > 0 for i in plan.items) and plan.total == 4800000", {}, True),
        ("applicant.nik_matches_birth_date", {"applicant__birth_date": "1985-03-13"}, False),
        ("applicant.nik_matches_sex", {"applicant__sex": "male"}, False),
        ("not plan.has_cash_item", {"plan__items__0__is_cash": True}, False),
        ("min(m.age for m in household.members) == 12", {}, True),
        ("days_between(applicant.birth_date, today) > 14000", {}, True),
    ],
)
def test_compiled_rules_compute_what_they_say(
    check_source: str, changes: dict[str, object], expected: bool
) -> None:
    book = book_of(ruleset_text(rule(check_source)))
    decision = book.evaluate(base_application(**changes), on=date(2025, 6, 1))
    assert decision.results == (expected,)


def test_a_guard_narrows_any_expression_not_only_paths() -> None:
    source = (
        "min(m.age for m in household.members) is not None"
        " and min(m.age for m in household.members) >= 18"
    )
    assert check(source).type == BOOL


def test_list_types_read_naturally() -> None:
    from bansos_rules.ruleset.types import describe

    assert describe(Seq(INT)) == "a list of whole numbers"
    assert describe(Seq(INT), "id") == "daftar bilangan bulat"
