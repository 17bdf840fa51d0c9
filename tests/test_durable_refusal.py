"""An application durable_rules cannot take is an error of that decision, not of the batch."""

from __future__ import annotations

from datetime import date

import pytest

from bansos_rules import Outcome
from bansos_rules._decision import Status
from bansos_rules._models import PriorAid
from tests._support import base_application, builtin_book

pytest.importorskip("durable_rules_engine", reason="durable_rules cannot be installed here")

ON = date(2025, 6, 1)


def test_a_fact_too_large_for_durable_rules_gives_error_findings_and_the_next_one_is_decided() -> (
    None
):
    app = base_application()
    # durable_rules refuses a fact member over 16 MiB (its error 314): a list of 600,000 aids.
    aid = PriorAid.model_construct(program="pkh", year=2020, recipient_nik=None)
    household = app.household.model_copy(update={"aid_history": (aid,) * 600_000})
    huge = app.model_copy(update={"household": household})
    engine = builtin_book().engine("durable")
    decision = engine.decide(huge, ON)
    assert decision.outcome is Outcome.NEEDS_REVIEW
    errors = [f for f in decision.findings if f.status is Status.ERROR]
    assert errors
    assert all("error code: 314" in (f.error or "") for f in errors)
    # the next application is decided as usual, and nothing is left behind in durable_rules
    after = engine.decide(app, ON)
    assert engine.held_facts() == 0  # type: ignore[attr-defined]
    assert after.outcome is builtin_book().engine("native").decide(app, ON).outcome
    assert not [f for f in after.findings if f.status is Status.ERROR]
