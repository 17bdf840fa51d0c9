"""Property tests of the public hypothesis strategies in :mod:`bansos_rules.testing`."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from bansos_rules import BusinessType, Outcome, RuleBook, hookimpl, load_plugins, load_rules
from bansos_rules._identity import nik_problems, parse_nik
from bansos_rules._models import (
    Application,
    Beneficiary,
    BusinessPlan,
    Household,
    HouseholdMember,
    PlanItem,
)
from bansos_rules._types import Sex
from bansos_rules.testing import (
    BUSINESS_TYPES,
    DEFAULT_REFERENCE_DATE,
    FIGURES_2025,
    ITEM_CATEGORIES,
    KALTIM_REGENCIES,
    SKILLS,
    applications,
    beneficiaries,
    business_plans,
    figures,
    household_members,
    households,
    kk_numbers,
    niks,
    plan_items,
)

ON = DEFAULT_REFERENCE_DATE

# Whole households and applications take ~10 ms each to draw: run them on half the examples of
# the active profile (25 with `dev`, 50 with `ci`) to keep the suite at a few seconds.
heavy = settings(max_examples=max(10, settings().max_examples // 2))
EXCLUDED = {"civil_servant", "military", "police", "pensioner"}
BUSINESS_AID = {"uep", "kube", "pena", "prokus"}
SEXES: tuple[Sex, ...] = ("male", "female")


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def eligibility_failures(b: Beneficiary, on: date, *, window: int) -> list[str]:
    """Which listed conditions ``b`` breaks; business aid counts if within ``window`` years."""
    failures = []
    if not b.dtks_registered:
        failures.append("not in DTKS")
    if b.dtsen_decile is not None and b.dtsen_decile > 4:
        failures.append("decile above 4")
    if not b.pkh_member:
        failures.append("not PKH")
    if b.occupation in EXCLUDED:
        failures.append("excluded occupation")
    if b.nik_regency not in KALTIM_REGENCIES:
        failures.append("NIK issued outside East Kalimantan")
    if any(a.program in BUSINESS_AID and on.year - a.year <= window for a in b.prior_aid):
        failures.append("recent business aid")
    if b.bank_account is None:
        failures.append("no bank account")
    return failures


def school_age(household: Household, on: date) -> list[bool | None]:
    return [m.in_school for m in household.members if 7 <= age_on(m.birth_date, on) <= 18]


def adequacy_failures(household: Household, on: date) -> list[str]:
    failures = []
    if not household.clean_water:
        failures.append("no clean water")
    if not household.sanitation:
        failures.append("no sanitation")
    if household.slum_area:
        failures.append("slum")
    if any(in_school is not True for in_school in school_age(household, on)):
        failures.append("school-age child not in school")
    return failures


# --------------------------------------------------------------------------- identity numbers


@given(niks())
def test_niks_are_well_formed_and_from_kaltim(nik: str) -> None:
    assert len(nik) == 16
    assert nik.isdigit()
    assert nik_problems(nik) == []
    assert nik[:4] in KALTIM_REGENCIES
    assert 1 <= int(nik[4:6]) <= 20


@given(st.data(), st.dates(date(1940, 1, 1), date(2010, 12, 31)), st.sampled_from(SEXES))
def test_niks_encode_the_birth_date_and_sex(data: st.DataObject, born: date, sex: Sex) -> None:
    nik = data.draw(niks(regency="6371", birth_date=born, sex=sex))
    parts = parse_nik(nik)
    assert parts.regency == "6371"
    assert parts.matches_birth_date(born)
    assert parts.sex == sex


@given(kk_numbers(regency="6411"))
def test_kk_numbers(kk: str) -> None:
    assert len(kk) == 16
    assert kk.isdigit()
    assert kk.startswith("6411")
    assert kk[12:] != "0000"


# --------------------------------------------------------------------------- beneficiaries


@given(beneficiaries())
def test_beneficiaries_have_a_consistent_identity(b: Beneficiary) -> None:
    assert b.nik_matches_birth_date
    assert b.nik_matches_sex
    assert 18 <= age_on(b.birth_date, ON) <= 59
    assert b.kk_number[:4] == b.regency
    assert set(b.interests) <= set(BUSINESS_TYPES)
    assert set(b.skills) <= set(SKILLS)
    assert b.name.split()[0][0].isupper()


@given(beneficiaries(regency="6411", sex="female", ages=(30, 30), on=date(2024, 2, 29)))
def test_beneficiary_options_are_honoured(b: Beneficiary) -> None:
    assert b.regency == "6411"
    assert b.sex == "female"
    assert int(b.nik[6:8]) > 40
    assert age_on(b.birth_date, date(2024, 2, 29)) == 30
    assert b.nik_matches_birth_date


@given(beneficiaries(eligible=True))
def test_eligible_beneficiaries_meet_every_condition(b: Beneficiary) -> None:
    # window=5: even aid exactly five years ago (2020 for 2025) would count.
    assert eligibility_failures(b, ON, window=5) == []
    assert b.nik_province == "64"
    assert b.dtks_registered
    assert b.pkh_member
    assert b.bank_account is not None


@given(beneficiaries(eligible=False, on=date(2030, 1, 15)))
def test_ineligible_beneficiaries_break_a_condition(b: Beneficiary) -> None:
    # window=4: only aid in the four years before counts, the narrowest reading of "five years".
    assert eligibility_failures(b, date(2030, 1, 15), window=4) != []
    assert b.nik_matches_birth_date


@given(household_members(relation="child", ages=(7, 18)))
def test_household_members(member: HouseholdMember) -> None:
    assert member.relation == "child"
    assert 7 <= age_on(member.birth_date, ON) <= 18
    assert member.in_school is not None


# --------------------------------------------------------------------------- households


@heavy
@given(households(kk_number="6472010101200001", adequate=True))
def test_adequate_households(household: Household) -> None:
    assert household.kk_number == "6472010101200001"
    assert adequacy_failures(household, ON) == []
    assert all(m.in_school is not False for m in household.members)
    assert sum(m.relation == "head" for m in household.members) == 1


@heavy
@given(households(adequate=False))
def test_inadequate_households(household: Household) -> None:
    assert adequacy_failures(household, ON) != []


@heavy
@given(households())
def test_household_members_have_plausible_ages(household: Household) -> None:
    heads = [m for m in household.members if m.relation == "head"]
    assert len(heads) == 1
    head_age = age_on(heads[0].birth_date, ON)
    for member in household.members:
        if member.relation == "child":
            assert age_on(member.birth_date, ON) <= max(head_age - 15, 17)


# --------------------------------------------------------------------------- plans


@given(plan_items(business_type="chicken_farming"))
def test_plan_items_for_a_type(item: PlanItem) -> None:
    assert item.category in ITEM_CATEGORIES["chicken_farming"]
    assert not item.is_cash
    assert item.unit_price % 1000 == 0


@given(plan_items(allow_cash=True))
def test_cash_plan_items_are_marked(item: PlanItem) -> None:
    assert item.is_cash == (item.category == "cash")


@given(st.data(), st.integers(0, 20_000_000), st.integers(0, 2_000_000))
def test_total_between_is_honoured(data: st.DataObject, lo: int, width: int) -> None:
    hi = lo + width
    plan = data.draw(business_plans(total_between=(lo, hi)))
    assert lo <= plan.total <= hi
    assert not plan.has_cash_item
    assert {item.category for item in plan.items} <= set(ITEM_CATEGORIES[plan.business_type])
    assert len({item.name for item in plan.items}) == len(plan.items)


@given(business_plans(business_type="workshop", allow_cash=True, regency="6474"))
def test_business_plan_options(plan: BusinessPlan) -> None:
    assert plan.business_type == "workshop"
    assert plan.location.regency == "6474"
    assert 3_000_000 <= plan.total <= 6_000_000
    allowed = {*ITEM_CATEGORIES["workshop"], "cash"}
    assert {item.category for item in plan.items} <= allowed


# --------------------------------------------------------------------------- applications


@heavy
@given(applications())
def test_applications_hang_together(app: Application) -> None:
    applicant = app.applicant
    assert applicant.kk_number == app.household.kk_number
    assert app.plan.location.regency == applicant.regency
    assert app.plan.business_type in applicant.interests
    assert not app.plan.has_cash_item
    assert 3_000_000 <= app.plan.total <= 6_000_000
    assert applicant.nik_matches_birth_date
    assert applicant.nik_matches_sex
    assert app.submitted_on is not None
    assert app.submitted_on < ON
    listed = [(m.name, m.birth_date, m.sex) for m in app.household.members]
    assert (applicant.name, applicant.birth_date, applicant.sex) in listed
    if not applicant.pkh_member:
        assert all(aid.program != "pkh" for aid in app.household.aid_history)


@heavy
@given(applications(eligible=True, business_type="cake_making", regency="6407"))
def test_eligible_applications(app: Application) -> None:
    assert eligibility_failures(app.applicant, ON, window=5) == []
    assert app.plan.business_type == "cake_making"
    assert app.applicant.regency == "6407"


@heavy
@given(applications(near_cap=True, eligible=False))
def test_near_cap_applications(app: Application) -> None:
    total = app.plan.total
    assert any(abs(total - cap) <= 50_000 for cap in (4_500_000, 5_000_000))
    assert eligibility_failures(app.applicant, ON, window=4) != []


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "make",
    [
        lambda: niks(regency="64"),
        lambda: niks(regency=6472),  # type: ignore[arg-type]
        lambda: niks(regency="0072"),
        lambda: niks(sex="m"),  # type: ignore[arg-type]
        lambda: niks(birth_date="1990-01-01"),  # type: ignore[arg-type]
        lambda: kk_numbers(regency="64720"),
        lambda: beneficiaries(eligible="yes"),  # type: ignore[arg-type]
        lambda: beneficiaries(ages=(60, 18)),
        lambda: beneficiaries(ages=(18,)),  # type: ignore[arg-type]
        lambda: beneficiaries(on=date(1800, 1, 1)),
        lambda: household_members(relation="cousin"),  # type: ignore[arg-type]
        lambda: households(kk_number="123"),
        lambda: households(adequate=1),  # type: ignore[arg-type]
        lambda: plan_items(business_type="laundry"),
        lambda: business_plans(total_between=(5_000_000, 4_500_000)),
        lambda: business_plans(total_between=(-1, 10)),
        lambda: business_plans(total_between=(1.5, 10)),  # type: ignore[arg-type]
        lambda: business_plans(allow_cash=None),  # type: ignore[arg-type]
        lambda: applications(near_cap=True, total_between=(1, 2)),
        lambda: applications(business_type="Food"),
    ],
)
def test_bad_arguments_raise_invalid_argument(make: Callable[[], object]) -> None:
    with pytest.raises(InvalidArgument):
        make()


# --------------------------------------------------------------------------- steering by a book

RULESETS = Path(__file__).parent.parent / "rulesets"
# Other figures than 2025's, in edited copies of the built-in rulesets.
EDITS = {
    "aid_caps.yaml": [
        ("        value: 4500000\n", "        value: 2000000\n"),
        ("        value: 5000000\n", "        value: 3000000\n"),
    ],
    "eligibility.yaml": [
        ("        value: 18\n", "        value: 25\n"),
        ("        value: 59\n", "        value: 45\n"),
        ("        value: 4\n", "        value: 2\n"),
        ("        value: 3\n", "        value: 5\n"),
    ],
    "referrals.yaml": [
        ("        value: 7\n", "        value: 6\n"),
        ("        value: 18\n", "        value: 15\n"),
    ],
}


class TailoringPlugin:
    """A third-party plugin: one more business type (its plans use the "*" categories)."""

    @hookimpl
    def register_business_types(self, register: Callable[[BusinessType], None]) -> None:
        register(BusinessType("tailoring", "Usaha jahit", "Tailoring"))


@functools.cache
def other_book() -> RuleBook:
    """The built-in rulesets with the figures in EDITS, plus the tailoring business type."""
    folder = Path(tempfile.mkdtemp(prefix="bansos-figures-"))
    for name, edits in EDITS.items():
        text = (RULESETS / name).read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        (folder / name).write_text(text, encoding="utf-8")
    plugins = load_plugins(extra=[("tailoring", TailoringPlugin())])
    return load_rules([folder], plugins=plugins)


def test_figures_are_read_from_the_book() -> None:
    fig = figures(other_book(), on=ON)
    assert fig.caps == (2_000_000, 3_000_000)
    assert fig.ages == (25, 45)
    assert fig.max_decile == 2
    assert fig.lookback_years == 5
    assert fig.school_ages == (6, 15)
    assert set(fig.business_types) == {*BUSINESS_TYPES, "tailoring"}
    assert fig.categories_for("tailoring") == ("equipment", "raw_material")
    assert fig.categories_for("workshop") == ITEM_CATEGORIES["workshop"]
    assert fig.excluded_occupations == FIGURES_2025.excluded_occupations
    # The 2025 figures agree with the built-in rulesets.
    builtin = figures(load_rules(), on=ON)
    for name in ("caps", "ages", "max_decile", "lookback_years", "school_ages"):
        assert getattr(builtin, name) == getattr(FIGURES_2025, name), name
    assert set(FIGURES_2025.business_aid_programs) <= set(builtin.business_aid_programs)
    assert dict(builtin.item_categories).items() >= dict(FIGURES_2025.item_categories).items()


@heavy
@given(applications(eligible=True, near_cap=True, book=other_book()))
def test_eligible_by_the_books_figures(app: Application) -> None:
    decision = other_book().evaluate(app, on=ON)
    failed = [f.rule_id for f in decision.findings if f.ruleset == "eligibility" and not f.passed]
    assert failed == []
    assert 25 <= age_on(app.applicant.birth_date, ON) <= 45
    assert app.applicant.dtsen_decile is None or app.applicant.dtsen_decile <= 2
    assert any(abs(app.plan.total - cap) <= 50_000 for cap in (2_000_000, 3_000_000))


@heavy
@given(applications(eligible=False, book=other_book()))
def test_ineligible_by_the_books_figures(app: Application) -> None:
    decision = other_book().evaluate(app, on=ON)
    assert decision.outcome is not Outcome.APPROVED
    assert any(f.ruleset == "eligibility" and f.passed is False for f in decision.findings)


@heavy
@given(applications(business_type="tailoring", book=other_book()))
def test_a_plugins_business_type(app: Application) -> None:
    assert app.plan.business_type == "tailoring"
    assert "tailoring" in app.applicant.interests
    assert {item.category for item in app.plan.items} <= {"equipment", "raw_material"}
    assert 2_000_000 * 2 // 3 <= app.plan.total <= 3_000_000 * 6 // 5
    assert other_book().validate(app) == app


@given(plan_items(book=other_book()))
def test_plan_items_of_every_registered_type(item: PlanItem) -> None:
    assert not item.is_cash
    assert item.unit_price > 0


@heavy
@given(households(adequate=True, book=other_book()))
def test_adequate_by_the_books_school_ages(household: Household) -> None:
    for member in household.members:
        if 6 <= age_on(member.birth_date, ON) <= 15:
            assert member.in_school is True


@pytest.mark.parametrize(
    "make",
    [
        lambda: applications(business_type="tailoring"),
        lambda: business_plans(business_type="tailoring"),
        lambda: applications(book="rules"),  # type: ignore[arg-type]
        lambda: plan_items(business_type="laundry", book=other_book()),
    ],
)
def test_unknown_business_types_and_bad_books_raise_invalid_argument(
    make: Callable[[], object],
) -> None:
    with pytest.raises(InvalidArgument):
        make()
