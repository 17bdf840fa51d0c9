"""Monitoring after handover: events, the monitoring ruleset, and its two engines."""

from __future__ import annotations

import functools
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bansos_rules import RulesetError
from bansos_rules.monitoring import (
    CaseInfo,
    Monitor,
    check_monitoring,
    load_monitoring_text,
    read_event_text,
    read_events,
    shipped_monitoring_file,
)
from bansos_rules.testing import event_timelines, timelines

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = shipped_monitoring_file()
DAYS = st.dates(date(2025, 3, 1), date(2027, 6, 30))
CASE = CaseInfo("KT-2025-T001", "6472", "food", "female")


@functools.cache
def monitor() -> Monitor:
    return Monitor()


def event(**fields: object) -> str:
    import json

    base = {
        "event_id": "E1",
        "application_id": CASE.application_id,
        "date": "2025-07-01",
        "recorded_by": "PSM-01",
        "role": "psm",
    }
    return json.dumps({**base, **fields}, default=str)


# -- events -------------------------------------------------------------------------------------


def test_bad_event_lines_are_reported_by_line_and_field_and_the_rest_is_read() -> None:
    text = "\n".join(
        [
            event(type="handover", value=4800000),
            event(event_id="E2", type="visit", business_running="sometimes"),
            "{not json",
            event(event_id="E3", type="parade"),
            event(event_id="E4", type="closure", reason="bored", role="boss"),
            event(event_id="E5", type="visit", business_running=True, household_size=0),
            "",
            event(event_id="E6", type="training", agency="disnakertrans", course="Pemasaran"),
        ]
    )
    lines = list(read_event_text(text, "events.jsonl"))
    assert [ln.line for ln in lines] == [1, 2, 3, 4, 5, 6, 8]
    good = [ln for ln in lines if ln.event is not None]
    bad = [ln for ln in lines if ln.event is None]
    assert [ln.event.event_id for ln in good if ln.event] == ["E1", "E6"]
    assert len(good) + len(bad) == 7
    by_line = {ln.line: ln for ln in bad}
    assert [p.path for p in by_line[2].problems] == ["business_running"]
    assert by_line[3].describe("en").startswith("events.jsonl:3: not valid JSON")
    assert by_line[3].describe("id").startswith("events.jsonl:3: bukan JSON yang valid")
    assert [p.path for p in by_line[4].problems] == ["type"]
    assert "harus salah satu dari" in by_line[4].describe("id")
    assert sorted(p.path for p in by_line[5].problems) == ["reason", "role"]
    assert [p.path for p in by_line[6].problems] == ["household_size"]
    assert "household_size" in by_line[6].describe("id")


def test_csv_events_leave_empty_cells_out(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,application_id,type,date,recorded_by,role,value,business_running,"
        "monthly_revenue,reason\n"
        "E1,KT-1,handover,2025-07-01,PSM-01,psm,4800000,,,\n"
        "E2,KT-1,visit,2025-08-01,PSM-01,psm,,true,2500000,\n"
        "E3,KT-1,visit,2025-09-01,PSM-01,psm,,maybe,,\n"
        "E4,KT-1,closure,2025-10-01,TKSK-02,tksk,,,,moved\n",
        encoding="utf-8",
    )
    lines = list(read_events(path))
    assert [(ln.line, ln.event is not None) for ln in lines] == [
        (2, True),
        (3, True),
        (4, False),
        (5, True),
    ]
    visit = lines[1].event
    assert visit is not None
    assert visit.type == "visit"
    assert visit.monthly_revenue == 2500000
    assert visit.household_size is None
    assert lines[2].describe("en").startswith(f"{path}:4: business_running:")


# -- the ruleset --------------------------------------------------------------------------------


EXAMPLES = monitor().ruleset.examples


@pytest.mark.parametrize("engine", ["native", "durable"])
@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.name for ex in EXAMPLES])
def test_worked_examples_hold_on_both_engines(example: object, engine: str) -> None:
    from bansos_rules.monitoring import MonitoringExample

    assert isinstance(example, MonitoringExample)
    state = monitor().evaluate(example.case, example.events, example.on, engine=engine)
    assert example.state is None or state.state == example.state
    assert example.alerts is None or sorted(state.alert_ids) == sorted(example.alerts)
    assert example.history is None or [h.to for h in state.history] == list(example.history)


def test_every_transition_and_alert_has_a_worked_example() -> None:
    result = check_monitoring(monitor(), examples=0)
    assert result.uncovered == []
    assert result.coverage == 100.0


def test_reasons_are_filled_in_both_languages() -> None:
    ex = next(e for e in EXAMPLES if "31 hari" in e.name)
    state = monitor().evaluate(ex.case, ex.events, ex.on)
    (alert,) = state.alerts
    assert alert.reason.id == "Belum ada kunjungan 31 hari sesudah penyerahan"
    assert alert.reason.en == "No visit 31 days after the handover"
    assert alert.reference
    handover = state.history[0]
    assert "Rp4.800.000" in handover.reason.id
    assert "Rp4,800,000" in handover.reason.en


def _broken(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_a_broken_monitoring_ruleset_is_reported_with_positions_in_both_languages() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    text = _broken(text, "    to: failed\n", "    to: faild\n")
    text = _broken(
        text,
        "when: case.visits > 0 and case.days_since_contact > params.visit_cycle_days",
        "when: case.visits > 0 and case.days_since_contct > params.visit_cycle_days",
    )
    text = _broken(text, '"6474": 3780013', '"6499": 3780013')
    text = _broken(text, "{case.days_since_handover} hari", "{case.days_since_handovr} hari")
    with pytest.raises(RulesetError) as info:
        load_monitoring_text(text, "monitoring.yaml")
    by_code = {d.code: d for d in info.value.diagnostics}
    lines = text.splitlines()
    state = by_code["monitoring-state-unknown"]
    assert lines[(state.line or 0) - 1].strip() == "to: faild"
    assert "'faild'" in state.message("id")
    assert "did you mean 'failed'" in state.message("en")
    field = by_code["expr-unknown-field"]
    assert field.rule == "monitoring.visit_overdue"
    assert lines[(field.line or 0) - 1][(field.column or 0) - 1 :].startswith("days_since_contct")
    assert "days_since_contact" in field.message("en")
    regency = by_code["monitoring-regency-unknown"]
    assert "6499" in regency.message("id")
    assert "6499" in regency.message("en")
    assert "monitoring-regency-missing" in by_code
    placeholder = by_code["monitoring-placeholder"]
    assert placeholder.rule == "monitoring.no_visit_since_handover"
    assert "did you mean 'case.days_since_handover'" in placeholder.message("en")
    assert "maksud Anda 'case.days_since_handover'" in placeholder.message("id")


def test_the_application_loader_leaves_the_monitoring_ruleset_alone() -> None:
    from bansos_rules import load_rules

    book = load_rules([ROOT / "rulesets"], plugin_rulesets=False)
    assert "monitoring" not in [rs.id for rs in book.rulesets]
    assert len(book.rulesets) == 4


# -- the engines --------------------------------------------------------------------------------


@settings(max_examples=60)
@given(timelines(), DAYS)
def test_native_and_durable_engines_agree_and_invariants_hold(
    timeline: tuple[CaseInfo, list[object]], on: date
) -> None:
    case, events = timeline
    native = monitor().evaluate(case, events, on)  # type: ignore[arg-type]
    durable = monitor().evaluate(case, events, on, engine="durable")  # type: ignore[arg-type]
    assert native.to_json() == durable.to_json()
    assert monitor().violations(native) == []


@settings(max_examples=40)
@given(timelines(), DAYS, st.randoms(use_true_random=False))
def test_arrival_order_does_not_matter(
    timeline: tuple[CaseInfo, list[object]], on: date, rnd: random.Random
) -> None:
    case, events = timeline
    shuffled = list(events)
    rnd.shuffle(shuffled)
    a = monitor().evaluate(case, events, on)  # type: ignore[arg-type]
    b = monitor().evaluate(case, shuffled, on)  # type: ignore[arg-type]
    assert a.to_json() == b.to_json()


@settings(max_examples=40)
@given(timelines(), DAYS)
def test_a_day_sees_only_events_up_to_it(timeline: tuple[CaseInfo, list[object]], on: date) -> None:
    case, events = timeline
    seen = [e for e in events if e.date <= on]  # type: ignore[attr-defined]
    a = monitor().evaluate(case, events, on)  # type: ignore[arg-type]
    b = monitor().evaluate(case, seen, on)  # type: ignore[arg-type]
    assert a.to_json() == b.to_json()
    assert all(h.on <= on for h in a.history)
    if a.handover_on is None:
        assert a.alerts == ()


@settings(max_examples=40)
@given(st.data(), DAYS)
def test_the_sweep_finds_the_same_alerts_as_a_full_replay(data: st.DataObject, on: date) -> None:
    from bansos_rules.testing import case_infos

    cases = [data.draw(case_infos(application_id=f"KT-S{i}")) for i in range(4)]
    timelines_ = [(c, data.draw(event_timelines(c))) for c in cases]
    m = monitor()
    full = {
        s.application_id: s
        for s in (m.evaluate(c, [e for e in ev if e.date <= on], on) for c, ev in timelines_)
        if s.alerts
    }
    snaps = [m.native.fold(c, ev, until=on) for c, ev in timelines_]
    swept = {h.application_id: h for h in m.sweep(snaps, on)}
    assert {k: h.alerts for k, h in swept.items()} == {k: s.alert_ids for k, s in full.items()}
    for k, hit in swept.items():
        assert m.native.state_on(hit.snapshot, on).to_json() == full[k].to_json()


def test_graduation_needs_the_follow_up_months() -> None:
    ex = next(e for e in EXAMPLES if e.state == "graduated")
    graduating_on = next(
        h.on for h in monitor().evaluate(ex.case, ex.events, ex.on).history if h.to == "graduating"
    )
    before = monitor().evaluate(ex.case, ex.events, date(2026, 1, 1))
    # Entered follow-up on 2025-08-01: graduated four calendar months later, to the day.
    assert graduating_on == date(2025, 8, 1)
    assert before.state == "graduated"
    assert next(h for h in before.history if h.to == "graduated").on == date(2025, 12, 1)
    assert monitor().evaluate(ex.case, ex.events, date(2025, 11, 30)).state == "graduating"


def test_check_catches_an_invariant_a_ruleset_change_breaks() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    # Graduation after one good visit instead of the required consecutive ones.
    text = _broken(
        text,
        "when: case.streaks.income_ok >= params.graduation_visits",
        "when: case.streaks.income_ok >= 1",
    )
    broken = Monitor(load_monitoring_text(text, "monitoring.yaml"))
    result = check_monitoring(broken, examples=150, engines=("native",))
    assert result.invariant_failures, result.to_dict()
    assert "monitoring.no_graduation_without_streak" in result.invariant_failures[0]
    assert result.example_failures  # and the worked examples say so too


def test_bansos_rules_check_reports_a_broken_monitoring_ruleset(tmp_path: Path) -> None:
    import shutil

    from bansos_rules.check import run_check

    for path in (ROOT / "rulesets").glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    mon = tmp_path / "monitoring.yaml"
    mon.write_text(
        _broken(
            mon.read_text(encoding="utf-8"),
            "when: case.streaks.income_ok >= params.graduation_visits",
            "when: case.streaks.income_ok >= 1",
        ),
        encoding="utf-8",
    )
    report = run_check([tmp_path], generated=45, skip=["lint", "engines"])
    assert report.status == "failed"
    failed = [
        f
        for s in report.sections
        for c in s.cases
        for f in c.findings
        if f.severity == "error" and f.file == str(mon)
    ]
    codes = {f.code for f in failed}
    assert {"check-example-failed", "monitoring-invariant"} <= codes
    coverage = report.coverage
    assert coverage is not None
    assert any(r.kind == "monitoring" for r in coverage.rules)
