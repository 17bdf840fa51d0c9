"""The round: the round file, the allocation core and its properties, allocate and its updates."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bansos_rules import RulesetError
from bansos_rules.cli import main
from bansos_rules.round import (
    PROPERTIES,
    Row,
    Status,
    allocate,
    allocate_rows,
    apportion,
    family_findings,
    load_round,
    parse_round,
    tiebreak_key,
    update,
)
from bansos_rules.round._invariants import Scenario, check_round, scenarios, violation
from tests._support import base_application_data, builtin_book, registry

ROOT = Path(__file__).resolve().parent.parent
ROUND = ROOT / "rulesets" / "rounds" / "allocation.yaml"
ON = date(2025, 6, 1)


def app(
    i: int,
    *,
    kk: int | None = None,
    income: int = 2_000_000,
    regency: str = "6472",
    decile: int | None = 2,
    **extra: Any,
) -> dict[str, Any]:
    """An eligible application number ``i`` (its own NIK and, unless ``kk``, its own card)."""
    data = base_application_data()
    data["id"] = f"KT-2025-{i:04d}"
    data["applicant"]["nik"] = data["applicant"]["nik"][:12] + f"{i + 1:04d}"
    card = "6472030101" + f"{(kk if kk is not None else i) + 1:06d}"
    data["applicant"]["kk_number"] = card
    data["household"]["kk_number"] = card
    data["household"]["monthly_income"] = income
    data["applicant"]["dtsen_decile"] = decile
    data["applicant"]["regency"] = regency
    data["plan"]["location"]["regency"] = regency
    data.update(extra)
    return data


def small_round(tmp_path: Path, slots: int = 2, budget: int | None = None) -> Path:
    text = ROUND.read_text(encoding="utf-8")
    text = text.replace("        value: 150\n", f"        value: {slots}\n", 1)
    if budget is not None:
        text = text.replace("        value: 7500000000\n", f"        value: {budget}\n", 1)
    path = tmp_path / "round.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write(path: Path, apps: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in apps), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------------
# the round file


def test_the_shipped_round_loads_with_its_figures() -> None:
    r = load_round(ROUND, registry())
    assert r.id == "kaltim_2025"
    assert len(r.regencies) == 10
    assert r.param("slots_per_regency", ON) == 150
    assert r.param("slots_total", ON) == 1500
    assert {inv.property for inv in r.invariants} == set(PROPERTIES)
    assert r.regency("6411") is not None
    assert r.regency("6411").poverty_rate_bp == 1075  # type: ignore[union-attr]


def test_a_broken_round_file_is_reported_with_file_line_column() -> None:
    text = ROUND.read_text(encoding="utf-8")
    text = text.replace("per_regency: slots_per_regency", "per_regency: slots_per_regncy")
    text = text.replace(
        "min(household.size, params.household_size_cap)",
        "min(household.sise, params.household_size_cap)",
    )
    with pytest.raises(RulesetError) as caught:
        parse_round(text, "round.yaml", registry())
    shown = caught.value.format("en")
    assert "round.yaml:" in shown
    assert "slots_per_regncy" in shown
    assert "sise" in shown
    assert "size" in shown  # did you mean
    for d in caught.value.diagnostics:
        assert d.line is not None


def test_a_need_term_must_give_a_number_or_true_false() -> None:
    text = ROUND.read_text(encoding="utf-8").replace(
        "score: regency.poverty_rate_bp // 100", "score: regency.name"
    )
    with pytest.raises(RulesetError) as caught:
        parse_round(text, "round.yaml", registry())
    assert [d.code for d in caught.value.diagnostics] == ["round-need-type"]


def test_the_round_schema_file_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema", "round")
    assert code == 0
    assert json.loads(out) == json.loads(
        (ROOT / "rulesets" / "rounds" / "round.schema.json").read_text(encoding="utf-8")
    )


# ------------------------------------------------------------------------------------------
# the core and its properties


@pytest.mark.parametrize("prop", PROPERTIES)
@given(scenario=scenarios())
def test_every_property_holds_on_generated_rounds(prop: str, scenario: Scenario) -> None:
    assert violation(prop, scenario) is None


def test_the_declared_properties_hold_when_checked_from_the_round_file() -> None:
    results = check_round(load_round(ROUND, registry()), max_examples=30)
    assert [r.invariant.property for r in results] == list(PROPERTIES)
    assert all(r.ok for r in results), [(r.invariant.id, r.problem) for r in results]


def _greedy_by_input_order(rows: Any, slots: Any, budget: Any) -> Any:
    """A wrong allocator: by input order, not by need (and so neither fair nor reproducible)."""
    rows = list(rows)
    return allocate_rows(
        [
            Row(r.application_id, r.kk, r.regency, -i, r.aid_value, r.tiebreak)
            for i, r in enumerate(rows)
        ],
        slots,
        budget,
    )


def test_a_wrong_allocator_is_caught() -> None:
    r = load_round(ROUND, registry())
    (broken,) = check_round(
        r,
        max_examples=60,
        allocate=_greedy_by_input_order,
        only=["order_independent"],
        shrink=False,
    )
    assert not broken.ok
    assert broken.counterexample is not None
    assert broken.problem == "the allocation differs when the rows come in another order"


def test_ties_are_broken_by_the_keyed_hash_not_by_input_order() -> None:
    rows = [
        Row(f"A{i}", f"K{i}", "6472", 10, 1, tiebreak_key(f"647203520385{i:04d}", "benih-uji"))
        for i in range(6)
    ]
    a = allocate_rows(rows, {"6472": 3})
    b = allocate_rows(list(reversed(rows)), {"6472": 3})
    assert a == b
    order = sorted(rows, key=lambda r: r.tiebreak)
    assert [p.row for p in a.placements] == order
    other = allocate_rows(
        [
            Row(
                r.application_id,
                r.kk,
                r.regency,
                r.score,
                r.aid_value,
                tiebreak_key(f"647203520385{i:04d}", "benih-lain"),
            )
            for i, r in enumerate(rows)
        ],
        {"6472": 3},
    )
    assert [p.row.application_id for p in other.placements] != [
        p.row.application_id for p in a.placements
    ]


def test_a_budget_stops_selection_at_the_first_aid_that_does_not_fit() -> None:
    rows = [
        Row("A", "K1", "6401", 30, 3, "a"),
        Row("B", "K2", "6401", 20, 3, "b"),
        Row("C", "K3", "6402", 10, 1, "c"),
    ]
    a = allocate_rows(rows, {"6401": 5, "6402": 5}, budget=4)
    status = {p.row.application_id: (p.status, p.reason) for p in a.placements}
    assert status == {
        "A": (Status.SELECTED, None),
        "B": (Status.NOT_SELECTED, "budget"),
        "C": (Status.NOT_SELECTED, "budget"),
    }
    assert a.committed == 3


@given(
    total=st.integers(0, 3000),
    weights=st.dictionaries(
        st.sampled_from(["6401", "6402", "6403", "6471", "6472"]),
        st.integers(0, 10_000),
        min_size=1,
    ),
    low=st.integers(0, 50),
    spread=st.integers(0, 500),
)
def test_largest_remainder_shares_the_total_within_the_bounds(
    total: int, weights: dict[str, int], low: int, spread: int
) -> None:
    high = low + spread
    shares = apportion(total, weights, low, high)
    assert set(shares) == set(weights)
    assert all(low <= s <= high for s in shares.values())
    if low * len(weights) <= total <= high * len(weights):
        assert sum(shares.values()) == total


def test_largest_remainder_is_proportional() -> None:
    assert apportion(10, {"a": 5, "b": 3, "c": 2}) == {"a": 5, "b": 3, "c": 2}
    assert apportion(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert apportion(10, {"a": 100, "b": 1, "c": 1}, minimum=2) == {"a": 6, "b": 2, "c": 2}


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30)), max_size=30), st.randoms())
def test_family_findings_do_not_depend_on_the_order(
    pairs: list[tuple[int, int]], rnd: random.Random
) -> None:
    book = builtin_book()
    decisions = [(f"KK{kk}", book.evaluate(app(i), on=ON)) for i, (kk, _) in enumerate(pairs)]
    shuffled = list(decisions)
    rnd.shuffle(shuffled)
    a, b = family_findings(decisions), family_findings(shuffled)
    assert a == b
    cards = {kk for kk, _ in decisions}
    assert len(a) == len(decisions) - len(cards)
    for finding in a.values():
        assert finding.other < finding.application_id
        assert finding.other in finding.message.en
        assert finding.other in finding.message.id


# ------------------------------------------------------------------------------------------
# allocate: the command and the API


def test_allocate_jsonl_has_every_application_with_ranks_and_reasons(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    apps = [app(i, income=500_000 + 100_000 * i) for i in range(5)]
    apps.append(app(5, kk=0, income=100_000))  # same family card as application 0, most in need
    apps.append(app(6, regency="6401"))
    bad = app(7)
    bad["applicant"]["nik"] = "123"
    rejected = app(8, decile=9)
    path = write(tmp_path / "apps.jsonl", [*apps, bad, rejected])
    rnd = small_round(tmp_path, slots=2)
    code, out, err = run(
        capsys,
        "allocate",
        str(path),
        "--on",
        "2025-06-01",
        "--round",
        str(rnd),
        "--format",
        "jsonl",
    )
    assert code == 1
    assert "apps.jsonl:8" in err
    assert "applicant.nik" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 8  # 9 records = 8 decided + 1 invalid
    by_id = {line["application_id"]: line for line in lines}
    ranked = (x for x in lines if x["regency"] == "6472" and x["rank"] is not None)
    samarinda = sorted(ranked, key=lambda x: x["rank"])
    assert [x["rank"] for x in samarinda] == [1, 2, 3, 4, 5, 6]
    assert [x["application_id"] for x in samarinda[:3]] == [
        "KT-2025-0005",
        "KT-2025-0000",
        "KT-2025-0001",
    ]
    assert by_id["KT-2025-0000"]["status"] == "not_selected"
    assert by_id["KT-2025-0000"]["reason_code"] == "same_kk"
    assert by_id["KT-2025-0000"]["other_application"] == "KT-2025-0005"
    third = samarinda[3]
    assert third["application_id"] == "KT-2025-0002"
    assert third["status"] == "waitlisted"
    assert third["waitlist_position"] == 1
    assert third["cutoff_score"] == samarinda[2]["score"]
    assert third["gap"] == third["score"] - third["cutoff_score"]
    assert third["reason"]["id"].endswith("peringkat 4 dari 6 di Samarinda; batas peringkat 3")
    assert third["reason"]["en"].endswith("rank 4 of 6 in Samarinda; rank cut-off 3")
    assert by_id["KT-2025-0006"]["status"] == "selected"
    assert by_id["KT-2025-0008"]["status"] == "not_approved"
    assert by_id["KT-2025-0008"]["outcome"] == "rejected"
    assert sum(n["points"] for n in third["need"]) == third["score"]
    rendered = [json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in lines]
    assert out == "".join(r + "\n" for r in rendered)


def test_allocate_gives_the_same_bytes_in_any_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    apps = [app(i, income=800_000 + 37_000 * (i % 4), kk=i % 7) for i in range(14)]
    rnd = small_round(tmp_path, slots=3)
    outputs = set()
    for seed in range(3):
        shuffled = list(apps)
        random.Random(seed).shuffle(shuffled)
        path = write(tmp_path / f"apps{seed}.jsonl", shuffled)
        for fmt in ("jsonl", "markdown"):
            code, out, _ = run(
                capsys,
                "allocate",
                str(path),
                "--on",
                "2025-06-01",
                "--round",
                str(rnd),
                "--format",
                fmt,
            )
            assert code == 0
            outputs.add((fmt, out))
    assert len(outputs) == 2


def test_text_and_markdown_summaries_per_regency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "apps.jsonl", [app(i) for i in range(3)])
    rnd = small_round(tmp_path, slots=2)
    code, out, _ = run(
        capsys, "allocate", str(path), "--on", "2025-06-01", "--round", str(rnd), "--lang", "en"
    )
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("Samarinda (6472)"))
    assert line.split()[-6:] == ["2", "3", "2", "1", "9.600.000", line.split()[-1]]
    code, out, _ = run(
        capsys,
        "allocate",
        str(path),
        "--on",
        "2025-06-01",
        "--round",
        str(rnd),
        "--format",
        "markdown",
    )
    assert "| Samarinda (6472) | 2 | 3 | 2 | 1 | 9.600.000 |" in out


def test_a_budget_ceiling_is_reported_as_the_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "apps.jsonl", [app(i, income=500_000 + i) for i in range(3)])
    rnd = small_round(tmp_path, slots=5, budget=10_000_000)
    code, out, _ = run(
        capsys,
        "allocate",
        str(path),
        "--on",
        "2025-06-01",
        "--round",
        str(rnd),
        "--format",
        "jsonl",
    )
    assert code == 0
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["status"] for x in lines] == ["selected", "selected", "not_selected"]
    assert lines[2]["reason_code"] == "budget"
    assert "Rp10.000.000" in lines[2]["reason"]["id"]


def test_withdrawal_and_appeal_update_the_round_with_an_audit_trail(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    apps = [app(i, income=600_000 + 100_000 * i) for i in range(5)]
    path = write(tmp_path / "apps.jsonl", apps)
    rnd = small_round(tmp_path, slots=2)
    first = tmp_path / "first.jsonl"
    run(
        capsys,
        "allocate",
        str(path),
        "--on",
        "2025-06-01",
        "--round",
        str(rnd),
        "--format",
        "jsonl",
        "--output",
        str(first),
    )
    before = {
        json.loads(x)["application_id"]: json.loads(x) for x in first.read_text().splitlines()
    }
    assert before["KT-2025-0000"]["status"] == "selected"
    assert before["KT-2025-0002"]["waitlist_position"] == 1
    # KT-2025-0000 withdraws; KT-2025-0004 appeals: its income was 1,000,000 too high.
    fixed = write(tmp_path / "fixed.jsonl", [app(4, income=100_000)])
    audit = tmp_path / "audit.jsonl"
    argv = [
        "allocate",
        str(path),
        "--on",
        "2025-06-01",
        "--round",
        str(rnd),
        "--format",
        "jsonl",
        "--update",
        str(first),
        "--withdraw",
        "KT-2025-0000",
        "--corrected",
        str(fixed),
        "--audit",
        str(audit),
    ]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    after = {json.loads(x)["application_id"]: json.loads(x) for x in out.splitlines()}
    assert after["KT-2025-0000"]["status"] == "withdrawn"
    assert after["KT-2025-0004"]["status"] == "selected"
    assert after["KT-2025-0004"]["rank"] == 1
    assert after["KT-2025-0001"]["status"] == "selected"
    changes = [json.loads(x) for x in audit.read_text().splitlines()]
    kinds = {c["application_id"]: (c["change"], c["old_rank"], c["new_rank"]) for c in changes}
    assert kinds["KT-2025-0004"] == ("entered", 5, 1)
    assert kinds["KT-2025-0000"] == ("left", 1, 2)
    reasons = {c["application_id"]: c["why"]["en"] for c in changes}
    assert "withdrawn" in reasons["KT-2025-0000"]
    assert "corrected" in reasons["KT-2025-0004"]
    # Reproducible: the same inputs give the same allocation and the same trail.
    code, again, _ = run(capsys, *argv[:-1], str(tmp_path / "audit2.jsonl"))
    assert again == out
    assert (tmp_path / "audit2.jsonl").read_text() == audit.read_text()
    # A withdrawal carries over to the next update without being named again.
    second = tmp_path / "second.jsonl"
    second.write_text(out)
    code, out3, _ = run(
        capsys,
        "allocate",
        str(path),
        "--on",
        "2025-06-01",
        "--round",
        str(rnd),
        "--format",
        "jsonl",
        "--update",
        str(second),
    )
    assert json.loads(out3.splitlines()[0])["status"] in {"selected", "withdrawn"}
    statuses = {json.loads(x)["application_id"]: json.loads(x)["status"] for x in out3.splitlines()}
    assert statuses["KT-2025-0000"] == "withdrawn"


def test_the_python_api_allocates_and_updates() -> None:
    book = builtin_book()
    r = load_round(ROUND, book.registry)
    apps = [app(i, income=700_000 + i * 1000) for i in range(4)]
    result = allocate(book, apps, on=ON, round=r)
    assert [e.status for e in result.entries] == [Status.SELECTED] * 4
    assert result.summary()[8].selected == 4  # Samarinda
    assert book.allocate(apps, on=ON, round=r).entries == result.entries
    again = update(book, apps, result, on=ON, round=r, withdrawn=["KT-2025-0001"])
    assert [c.application_id for c in again.changes] == ["KT-2025-0001"]
    assert again.changes[0].kind == "left"


def test_an_unreadable_previous_allocation_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "apps.jsonl", [app(0)])
    prev = tmp_path / "prev.jsonl"
    prev.write_text('{"application_id": "x"}\n')
    code, _, err = run(capsys, "allocate", str(path), "--on", "2025-06-01", "--update", str(prev))
    assert code == 6
    assert "prev.jsonl:1" in err
    code, _, err = run(capsys, "allocate", str(path), "--on", "2025-06-01", "--withdraw", "KT-X")
    assert code == 0
    assert "--withdraw KT-X: tidak ada aplikasi dengan nomor ini" in err
    assert "Traceback" not in err


def test_diff_reports_who_enters_and_leaves_the_selection(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    for side in (old, new):
        (side / "rounds").mkdir(parents=True)
        for f in (ROOT / "rulesets").glob("*.yaml"):
            (side / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (old / "rounds" / "allocation.yaml").write_text(
        small_round(tmp_path, slots=2).read_text(encoding="utf-8"), encoding="utf-8"
    )
    # The new side gives no points for household income below the poverty line, and decile 2
    # is no longer eligible.
    text = small_round(tmp_path, slots=2).read_text(encoding="utf-8")
    (new / "rounds" / "allocation.yaml").write_text(
        text.replace("    weight: 30\n", "    weight: 0\n"), encoding="utf-8"
    )
    eligibility = (old / "eligibility.yaml").read_text(encoding="utf-8")
    marker = "  max_decile:"
    head, tail = eligibility.split(marker)
    tail = tail.replace("        value: 4\n", "        value: 1\n", 1)
    (new / "eligibility.yaml").write_text(head + marker + tail, encoding="utf-8")
    apps = [
        app(0, income=200_000, decile=2),
        app(1, income=3_000_000, decile=1),
        app(2, income=2_900_000, decile=1),
        app(3, income=2_800_000, decile=1),
    ]
    path = write(tmp_path / "apps.jsonl", apps)
    code, out, _ = run(
        capsys,
        "diff",
        str(old),
        str(new),
        "--applications",
        str(path),
        "--allocation",
        "--on",
        "2025-06-01",
        "--lang",
        "en",
    )
    assert code == 0
    section = out[out.index("## Impact on the round") :]
    assert "| Samarinda (6472) | 2 | 2 | 1 | 1 |" in section
    assert "- `KT-2025-0000` leaves (rank 1 → not_approved)" in section
    # Applications 1-3 tie on need: the keyed hash of the NIK decides which one enters.
    assert section.count(" enters (rank 2)") == 1
    code, out, _ = run(
        capsys,
        "diff",
        str(old),
        str(new),
        "--applications",
        str(path),
        "--allocation",
        "--on",
        "2025-06-01",
        "--format",
        "json",
    )
    found = json.loads(out)["allocation"]
    assert found["changed"] == 2
    code, _, err = run(capsys, "diff", str(old), str(new), "--allocation")
    assert code == 2
    assert "--applications" in err


def test_check_round_reports_each_declared_property(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "check-round", str(ROUND), "--examples", "20", "--lang", "en")
    assert code == 0
    assert out.count("ok     round.") == len(PROPERTIES)
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        ROUND.read_text(encoding="utf-8").replace("    weight: 10\n", "    weight: ten\n"),
        encoding="utf-8",
    )
    code, out, err = run(capsys, "check-round", str(broken))
    assert code == 3
    assert "broken.yaml:" in err
    assert "weight" in err
    assert "Traceback" not in err


def test_slots_shared_by_largest_remainder_follow_the_approved_counts(tmp_path: Path) -> None:
    text = ROUND.read_text(encoding="utf-8")
    text = text.replace("  method: fixed\n", "  method: by_eligible\n")
    text = text.replace("        value: 1500\n", "        value: 4\n")
    r = parse_round(text, "round.yaml", registry())
    apps = [app(i) for i in range(5)] + [app(10 + i, regency="6401") for i in range(3)]
    result = allocate(builtin_book(), apps, on=ON, round=r)
    slots = result.allocation.slots
    assert slots["6472"] + slots["6401"] == 4
    assert slots["6472"] == 2  # 5/8 of 4 = 2.5, 3/8 of 4 = 1.5: the tie goes to the lower code
    assert slots["6401"] == 2
    assert sum(slots.values()) == 4
    selected = [e for e in result.entries if e.status is Status.SELECTED]
    assert len(selected) == 4
    poor = text.replace("  method: by_eligible\n", "  method: by_poor_population\n")
    with pytest.raises(RulesetError) as caught:
        parse_round(poor, "round.yaml", registry())
    assert {d.code for d in caught.value.diagnostics} == {"round-figure-missing"}


def test_the_html_page_lists_the_selection_and_the_head_of_each_waitlist(tmp_path: Path) -> None:
    from bansos_rules.round import to_html
    from bansos_rules.round._report import WAITLIST_SHOWN

    text = ROUND.read_text(encoding="utf-8").replace("        value: 150\n", "        value: 1\n")
    r = parse_round(text, "round.yaml", registry())
    apps = [app(i, income=500_000 + 1000 * i) for i in range(WAITLIST_SHOWN + 5)]
    page = to_html(builtin_book().allocate(apps, on=ON, round=r), "en")
    assert page.count("<td>selected</td>") == 1
    assert page.count("<td>waitlisted</td>") == WAITLIST_SHOWN
    assert "<script" not in page


def test_the_round_files_worked_examples_give_their_need_scores(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    r = load_round(ROUND, registry())
    results = r.run_examples()
    assert len(results) == 3
    assert all(not wrong for _, wrong in results), results
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        ROUND.read_text(encoding="utf-8").replace("      score: 176\n", "      score: 177\n"),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check-round", str(wrong), "--examples", "5", "--lang", "en")
    assert code == 8
    assert "score: expected 177, got 176" in out
    typo = ROUND.read_text(encoding="utf-8").replace(
        "        need.poverty_gap: 41\n", "        need.poverty_gapp: 41\n"
    )
    with pytest.raises(RulesetError) as caught:
        parse_round(typo, "round.yaml", registry())
    (d,) = caught.value.diagnostics
    assert d.code == "example-invalid"
    assert d.line is not None
    assert "need.poverty_gap" in d.message("en")


@settings(max_examples=25)
@given(
    incomes=st.lists(st.integers(1, 60).map(lambda k: k * 100_000), min_size=2, max_size=8),
    pick=st.integers(0, 7),
    cut=st.integers(1, 20).map(lambda k: k * 100_000),
)
def test_a_family_whose_income_falls_never_falls_in_rank(
    incomes: list[int], pick: int, cut: int
) -> None:
    book = builtin_book()
    r = load_round(ROUND, book.registry)
    apps = [app(i, income=income) for i, income in enumerate(incomes)]
    chosen = pick % len(apps)
    before = book.allocate(apps, on=ON, round=r).by_id()[apps[chosen]["id"]]
    poorer = list(apps)
    poorer[chosen] = app(chosen, income=max(0, incomes[chosen] - cut))
    after = book.allocate(poorer, on=ON, round=r).by_id()[apps[chosen]["id"]]
    assert after.score is not None
    assert before.score is not None
    assert after.score >= before.score
    assert after.rank is not None
    assert before.rank is not None
    assert after.rank <= before.rank


@settings(max_examples=20)
@given(
    people=st.lists(
        st.tuples(st.integers(1, 40), st.integers(0, 5), st.sampled_from(["6472", "6401"])),
        min_size=1,
        max_size=10,
    ),
    rnd=st.randoms(),
)
def test_the_same_applications_in_any_order_give_the_same_bytes(
    people: list[tuple[int, int, str]], rnd: random.Random
) -> None:
    from bansos_rules.round import to_jsonl

    book = builtin_book()
    text = ROUND.read_text(encoding="utf-8").replace("        value: 150\n", "        value: 2\n")
    r = parse_round(text, "round.yaml", registry())
    apps = [
        app(i, income=k * 100_000, kk=kk, regency=regency)
        for i, (k, kk, regency) in enumerate(people)
    ]
    shuffled = list(apps)
    rnd.shuffle(shuffled)
    first = book.allocate(apps, on=ON, round=r)
    again = book.allocate(shuffled, on=ON, round=r)
    assert to_jsonl(first) == to_jsonl(again)
    selected = [e for e in first.entries if e.status is Status.SELECTED]
    assert len({e.kk for e in selected}) == len(selected)
    for code in ("6472", "6401"):
        assert sum(1 for e in selected if e.regency == code) <= 2
