"""Every error bansos-rules raises to its users is a ``BansosRulesError``."""

from __future__ import annotations

import importlib
import inspect
from datetime import date
from pathlib import Path

import pytest
from hypothesis.errors import InvalidArgument

from bansos_rules import load_rules
from bansos_rules._errors import BansosRulesError, UsageError
from bansos_rules.diff import DiffSourceError, open_side
from bansos_rules.invariants import check_invariants
from bansos_rules.testing import Population, StrategyArgumentError, applications

PUBLIC = (
    "bansos_rules",
    "bansos_rules._errors",
    "bansos_rules._io",
    "bansos_rules.explain",
    "bansos_rules.check",
    "bansos_rules.diff",
    "bansos_rules.testing",
)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_exception_is_under_the_base(name: str) -> None:
    module = importlib.import_module(name)
    for attr in getattr(module, "__all__", dir(module)):
        value = getattr(module, attr)
        if inspect.isclass(value) and issubclass(value, Exception):
            assert issubclass(value, BansosRulesError), f"{name}.{attr}"


def test_a_bad_argument_to_check_invariants_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="max_examples") as raised:
        check_invariants(load_rules(), max_examples=0)
    assert isinstance(raised.value, ValueError)


def test_a_bad_strategy_argument_is_both_kinds_of_error() -> None:
    for bad in (
        lambda: applications(on="2025-06-01"),  # type: ignore[arg-type]
        lambda: Population(None, dates=[]),
        lambda: Population(None, kinds=["nobody"]),  # type: ignore[list-item]
    ):
        with pytest.raises(StrategyArgumentError) as raised:
            bad()
        assert isinstance(raised.value, BansosRulesError)
        assert isinstance(raised.value, InvalidArgument)


def test_a_missing_diff_side_is_a_bansos_rules_error(tmp_path: Path) -> None:
    with pytest.raises(DiffSourceError) as raised, open_side("no/such/dir", cwd=tmp_path):
        pass
    assert isinstance(raised.value, BansosRulesError)


def test_a_population_follows_the_book_on_its_dates() -> None:
    cases = Population(load_rules(), dates=[date(2025, 6, 1)]).draw(5)
    assert [c.kind for c in cases] == ["near_cap", "any", "eligible", "cash_line", "ineligible"]
    assert {c.on for c in cases} == {date(2025, 6, 1)}
