"""The example applications in ``examples/applications.jsonl`` stay valid input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bansos_rules._models import Application

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "applications.jsonl"


def example_lines() -> list[str]:
    return [line for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def line_id(line: str) -> str:
    try:
        return str(json.loads(line)["id"])
    except (ValueError, KeyError, TypeError):
        return line[:20]


@pytest.fixture(scope="module")
def applications() -> list[Application]:
    return [Application.model_validate_json(line) for line in example_lines()]


@pytest.mark.parametrize("line", example_lines(), ids=line_id)
def test_every_line_is_a_valid_application(line: str) -> None:
    Application.model_validate_json(line)


def test_ids_are_unique(applications: list[Application]) -> None:
    ids = [app.id for app in applications]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 12


def test_examples_are_internally_consistent(applications: list[Application]) -> None:
    for app in applications:
        assert app.applicant.kk_number == app.household.kk_number, app.id
        assert app.plan.location.regency == app.applicant.regency, app.id
        assert app.applicant.nik_matches_sex, app.id


def test_examples_cover_the_program(applications: list[Application]) -> None:
    assert {app.plan.business_type for app in applications} == {
        "food",
        "drinks",
        "fried_snacks",
        "chicken_farming",
        "cake_making",
        "workshop",
    }
    assert {app.applicant.sex for app in applications} == {"male", "female"}
    assert len({app.applicant.regency for app in applications}) >= 5
