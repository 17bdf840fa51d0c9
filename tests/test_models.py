"""The input models: shape checks, error reporting, immutability and derived properties."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from bansos_rules._identity import nik_problems, parse_nik
from bansos_rules._models import (
    Application,
    Beneficiary,
    BusinessPlan,
    Household,
    HouseholdMember,
    PlanItem,
)

# Siti, born 12 March 1987, NIK issued in Samarinda (6472), district 01, serial 0007.
SITI_NIK = "6472015203870007"
SITI_KK = "6472011504150003"


def beneficiary_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nik": SITI_NIK,
        "kk_number": SITI_KK,
        "name": "Siti Rahmawati",
        "sex": "female",
        "birth_date": "1987-03-12",
        "regency": "6472",
        "dtks_registered": True,
        "dtsen_decile": 2,
        "pkh_member": True,
        "occupation": "homemaker",
        "interests": ["food"],
        "skills": ["cooking"],
        "bank_account": {"bank": "bankaltimtara", "number": "0012345678"},
    }
    data.update(changes)
    return data


def plan_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "business_type": "food",
        "items": [
            {"name": "Kompor gas 2 tungku", "category": "equipment", "quantity": 1,
             "unit_price": 650_000},
            {"name": "Etalase kaca", "category": "equipment", "quantity": 1,
             "unit_price": 1_750_000},
            {"name": "Beras 25 kg", "category": "raw_material", "quantity": 4,
             "unit_price": 350_000},
            {"name": "Kotak nasi kertas (isi 100)", "category": "packaging", "quantity": 5,
             "unit_price": 80_000},
        ],
        "location": {"regency": "6472", "district": "Sungai Kunjang"},
    }  # fmt: skip
    data.update(changes)
    return data


def household_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kk_number": SITI_KK,
        "members": [
            {"name": "Budi Santoso", "birth_date": "1983-07-01", "sex": "male", "relation": "head"},
            {"name": "Siti Rahmawati", "birth_date": "1987-03-12", "sex": "female",
             "relation": "spouse"},
            {"name": "Rizky", "birth_date": "2012-09-30", "sex": "male", "relation": "child",
             "in_school": True},
        ],
        "monthly_income": 2_400_000,
        "clean_water": True,
        "sanitation": True,
    }  # fmt: skip
    data.update(changes)
    return data


def application_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "KT-2025-0001",
        "submitted_on": "2025-05-14",
        "applicant": beneficiary_data(),
        "household": household_data(),
        "plan": plan_data(),
    }
    data.update(changes)
    return data


def error_locs(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[tuple[str | int, ...]]:
    return {tuple(error["loc"]) for error in excinfo.value.errors()}


def test_valid_application_parses() -> None:
    app = Application.model_validate(application_data())
    assert app.applicant.birth_date == date(1987, 3, 12)
    assert app.plan.total == 650_000 + 1_750_000 + 4 * 350_000 + 5 * 80_000


# --------------------------------------------------------------------------- NIK validation


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("6472019903870007", "birth day 99"),
        ("6472013203870007", "birth day 32"),
        ("6472017203870007", "birth day 72"),
        ("6472011213870007", "birth month 13"),
        ("6472011200870007", "birth month 00"),
        ("6472011203870000", "serial number must not be 0000"),
        ("0072011203870007", "province and regency codes"),
        ("6400011203870007", "province and regency codes"),
        ("6472013102870007", "does not exist in month 02"),
        ("6472017104870007", "does not exist in month 04"),
    ],
)
def test_bad_nik_is_rejected_at_its_field(nik: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Beneficiary.model_validate(beneficiary_data(nik=nik))
    errors = excinfo.value.errors()
    assert [tuple(e["loc"]) for e in errors] == [("nik",)]
    assert fragment in errors[0]["msg"]


def test_29_february_is_a_real_birth_day() -> None:
    # The century is not encoded, so 29 February must be accepted for any two-digit year.
    assert nik_problems("6472012902010001") == []
    assert nik_problems("6472016902010001") == []


@pytest.mark.parametrize("nik", ["647201520387000", "64720152038700071", "6472O15203870007", ""])
def test_nik_must_have_sixteen_digits(nik: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Beneficiary.model_validate(beneficiary_data(nik=nik))
    assert error_locs(excinfo) == {("nik",)}
    assert excinfo.value.errors()[0]["type"] == "string_pattern_mismatch"


def test_every_nik_problem_is_listed_in_one_message() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Beneficiary.model_validate(beneficiary_data(nik="6472019913870000"))
    message = excinfo.value.errors()[0]["msg"]
    assert "birth day 99" in message
    assert "birth month 13" in message
    assert "serial number must not be 0000" in message


def test_all_problems_are_reported_together_with_paths() -> None:
    data = application_data(
        id="KT 2025 0001",  # space not allowed
        applicant=beneficiary_data(nik="6472019903870007", name="", sex="x", dtsen_decile=11),
        household=household_data(monthly_income=-1),
        plan=plan_data(items=[]),
    )
    with pytest.raises(ValidationError) as excinfo:
        Application.model_validate(data)
    assert error_locs(excinfo) == {
        ("id",),
        ("applicant", "nik"),
        ("applicant", "name"),
        ("applicant", "sex"),
        ("applicant", "dtsen_decile"),
        ("household", "monthly_income"),
        ("plan", "items"),
    }


def test_nested_nik_paths_are_reported() -> None:
    aid = {"program": "kube", "year": 2023, "recipient_nik": "1"}
    applicant = beneficiary_data(prior_aid=[aid])
    with pytest.raises(ValidationError) as excinfo:
        Application.model_validate(application_data(applicant=applicant))
    assert error_locs(excinfo) == {("applicant", "prior_aid", 0, "recipient_nik")}


def test_whitespace_around_a_nik_is_stripped() -> None:
    assert Beneficiary.model_validate(beneficiary_data(nik=f" {SITI_NIK} ")).nik == SITI_NIK


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize("price", [1500.5, "1.500.000", "Rp1500000", -1, 10**13 + 1, None])
def test_unit_price_must_be_whole_non_negative_rupiah(price: object) -> None:
    item = {"name": "Blender", "category": "equipment", "quantity": 1, "unit_price": price}
    with pytest.raises(ValidationError) as excinfo:
        PlanItem.model_validate(item)
    assert error_locs(excinfo) == {("unit_price",)}


@pytest.mark.parametrize("income", [2_400_000.75, 2_400_000.0, True, "2400000"])
def test_income_must_be_written_as_a_whole_number(income: object) -> None:
    # Strict: a float, a boolean (true would be 1) or a text is not a whole number of rupiah.
    with pytest.raises(ValidationError) as excinfo:
        Household.model_validate(household_data(monthly_income=income))
    assert excinfo.value.errors()[0]["type"] == "int_type"


def test_money_is_stored_as_int() -> None:
    item = PlanItem(name="Mixer", category="equipment", quantity=2, unit_price=450_000)
    assert type(item.unit_price) is int
    assert item.subtotal == 900_000


# --------------------------------------------------------------------------- frozen, extra


def test_models_are_frozen() -> None:
    app = Application.model_validate(application_data())
    with pytest.raises(ValidationError) as excinfo:
        app.applicant.name = "Someone Else"
    assert excinfo.value.errors()[0]["type"] == "frozen_instance"
    with pytest.raises(ValidationError):
        app.plan.items[0].unit_price = 0
    assert isinstance(app.plan.items, tuple)


def test_unknown_fields_are_rejected_with_their_path() -> None:
    data = application_data(applicant=beneficiary_data(salary=1_000_000), notes="x")
    with pytest.raises(ValidationError) as excinfo:
        Application.model_validate(data)
    assert error_locs(excinfo) == {("applicant", "salary"), ("notes",)}
    assert {e["type"] for e in excinfo.value.errors()} == {"extra_forbidden"}


def test_json_round_trip() -> None:
    app = Application.model_validate(application_data())
    assert Application.model_validate_json(app.model_dump_json()) == app


# --------------------------------------------------------------------------- NIK properties


def test_nik_properties_for_a_woman() -> None:
    siti = Beneficiary.model_validate(beneficiary_data())
    assert siti.nik_province == "64"
    assert siti.nik_regency == "6472"
    assert siti.nik_matches_birth_date
    assert siti.nik_matches_sex


def test_nik_properties_for_a_man() -> None:
    budi = Beneficiary.model_validate(
        beneficiary_data(nik="6401030107830012", sex="male", birth_date="1983-07-01")
    )
    assert budi.nik_province == "64"
    assert budi.nik_regency == "6401"
    assert budi.nik_matches_birth_date
    assert budi.nik_matches_sex


def test_sex_mismatch_is_detected() -> None:
    # The NIK says female (day 52 = 12 + 40), the form says male.
    b = Beneficiary.model_validate(beneficiary_data(sex="male"))
    assert b.nik_matches_birth_date
    assert not b.nik_matches_sex


@pytest.mark.parametrize("stated", ["1987-03-21", "1987-12-03", "1988-03-12"])
def test_birth_date_mismatch_is_detected(stated: str) -> None:
    b = Beneficiary.model_validate(beneficiary_data(birth_date=stated))
    assert not b.nik_matches_birth_date
    assert b.nik_matches_sex


def test_century_is_not_encoded() -> None:
    # Only the two-digit year is compared; the stated date supplies the century.
    parts = parse_nik(SITI_NIK)
    assert parts.matches_birth_date(date(1987, 3, 12))
    assert parts.matches_birth_date(date(2087, 3, 12))


def test_nik_issued_outside_kaltim_is_still_valid_input() -> None:
    # Whether a NIK from South Kalimantan (63) may apply is for the rules, not the model.
    b = Beneficiary.model_validate(beneficiary_data(nik="6371015203870007"))
    assert b.nik_province == "63"
    assert b.nik_regency == "6371"


def test_parse_nik() -> None:
    parts = parse_nik(SITI_NIK)
    assert (parts.province, parts.regency, parts.district) == ("64", "6472", "647201")
    assert (parts.birth_day, parts.birth_month, parts.birth_year_2d) == (12, 3, 87)
    assert parts.sex == "female"
    assert parts.serial == "0007"


# --------------------------------------------------------------------------- plan, household


def test_plan_total_and_cash() -> None:
    plan = BusinessPlan.model_validate(plan_data())
    assert plan.total == 4_200_000
    assert not plan.has_cash_item
    cash = {"name": "Uang tunai modal kerja", "category": "cash", "quantity": 1,
            "unit_price": 500_000, "is_cash": True}  # fmt: skip
    with_cash = BusinessPlan.model_validate(plan_data(items=[*plan_data()["items"], cash]))
    assert with_cash.total == 4_700_000
    assert with_cash.has_cash_item


def test_plan_needs_at_least_one_item() -> None:
    with pytest.raises(ValidationError) as excinfo:
        BusinessPlan.model_validate(plan_data(items=[]))
    assert error_locs(excinfo) == {("items",)}


def test_household_size_and_income_per_person() -> None:
    household = Household.model_validate(household_data())
    assert household.size == 3
    assert household.income_per_person == 800_000
    empty = Household.model_validate(household_data(members=[], monthly_income=1_000_001))
    assert empty.size == 1
    assert empty.income_per_person == 1_000_001


def test_member_relation_is_restricted() -> None:
    with pytest.raises(ValidationError) as excinfo:
        HouseholdMember.model_validate(
            {"name": "X", "birth_date": "2000-01-01", "sex": "male", "relation": "cousin"}
        )
    assert error_locs(excinfo) == {("relation",)}


def test_nik_problems_come_in_both_languages() -> None:
    from bansos_rules._book import problems_of

    with pytest.raises(ValidationError) as info:
        Beneficiary.model_validate(beneficiary_data(nik="6472019913010000"))
    (problem,) = [p for p in problems_of(info.value) if p.path == "nik"]
    assert "birth month 13 must be 01-12" in problem.text("en")
    assert "serial number must not be 0000" in problem.text("en")
    assert "bulan lahir 13 harus 01-12" in problem.text("id")
    assert "nomor urut tidak boleh 0000" in problem.text("id")
