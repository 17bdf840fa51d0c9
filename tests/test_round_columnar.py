"""The round on columns: :func:`allocate_frame` against :func:`allocate_rows`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import Phase, event, given, settings
from hypothesis import strategies as st

from bansos_rules import RuleBook, load_rules
from bansos_rules._errors import InputError, RulesetError
from bansos_rules.cli import main
from bansos_rules.engines.columnar import frame_of
from bansos_rules.round import (
    Allocation,
    Round,
    Row,
    allocate,
    allocate_columns,
    allocate_rows,
    load_round,
    need_columns,
    parse_round,
    tiebreak_column,
    tiebreak_key,
)
from bansos_rules.round._columnar import allocate_frame, allocation_of_frame, rows_frame
from bansos_rules.round._loader import round_source
from bansos_rules.testing.register import synthetic_register

REGENCIES = ("6401", "6402", "6403")


@st.composite
def rounds(draw: st.DrawFn) -> tuple[list[Row], dict[str, int], int | None, list[str]]:
    n = draw(st.integers(0, 40))
    kks = draw(st.integers(1, max(1, n // 2 + 1)))
    rows = [
        Row(
            f"A{i:03d}",
            f"K{draw(st.integers(0, kks - 1))}",
            draw(st.sampled_from(REGENCIES)),
            draw(st.integers(0, 4)),
            draw(st.sampled_from([0, 5, 10, 15])),
            draw(st.sampled_from(["a", "b", "c"])),
        )
        for i in range(n)
    ]
    rows = draw(st.permutations(rows))
    slots = {r: draw(st.integers(0, 4)) for r in draw(st.sets(st.sampled_from(REGENCIES)))}
    budget = draw(st.none() | st.integers(0, 80))
    ids = [r.application_id for r in rows]
    withdrawn = draw(st.lists(st.sampled_from(ids), max_size=5)) if ids else []
    return list(rows), slots, budget, withdrawn


def _columnar(
    rows: list[Row], slots: Mapping[str, int], budget: int | None, withdrawn: list[str]
) -> Allocation:
    return allocation_of_frame(
        allocate_frame(rows_frame(rows), slots, budget, withdrawn), slots, budget
    )


@given(rounds())
def test_frame_equals_rows(case: tuple[list[Row], dict[str, int], int | None, list[str]]) -> None:
    rows, slots, budget, withdrawn = case
    assert _columnar(rows, slots, budget, withdrawn) == allocate_rows(
        rows, slots, budget, withdrawn
    )


def _first_member_only(frame: pl.DataFrame, selected: pl.Series) -> pl.Series:
    """A wrong eligibility: only the first live row of each card, never iterated."""
    gone = pl.col("_gone")
    return frame.select(~gone & (gone.not_().cast(pl.Int64).cum_sum().over("kk") == 1)).to_series()


def _every_live_row(frame: pl.DataFrame, selected: pl.Series) -> pl.Series:
    """A wrong eligibility: one selection per card is not enforced."""
    return frame.select(~pl.col("_gone")).to_series()


@pytest.mark.parametrize("wrong", [_first_member_only, _every_live_row])
def test_property_catches_a_wrong_variant(
    monkeypatch: pytest.MonkeyPatch, wrong: Callable[[pl.DataFrame, pl.Series], pl.Series]
) -> None:
    import bansos_rules.round._columnar as columnar

    monkeypatch.setattr(columnar, "_eligible", wrong)

    @settings(max_examples=500, derandomize=True, database=None, phases=[Phase.generate])
    @given(rounds())
    def check(case: tuple[list[Row], dict[str, int], int | None, list[str]]) -> None:
        rows, slots, budget, withdrawn = case
        expected = allocate_rows(rows, slots, budget, withdrawn)
        assert _columnar(rows, slots, budget, withdrawn) == expected

    with pytest.raises(AssertionError):
        check()


# --- need scores, keys and the whole round on columns, against the per-record path ----------

ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def rules() -> RuleBook:
    return load_rules()


@pytest.fixture(scope="module")
def round_(rules: RuleBook) -> Round:
    return load_round(registry=rules.registry)


def test_need_columns_match_the_examples(rules: RuleBook, round_: Round) -> None:
    assert round_.examples
    for ex in round_.examples:
        got = need_columns(round_, frame_of([ex.application]), ex.on, rules.registry).row(0)
        score, values = round_.need_of(ex.application, ex.on)
        assert got == (ex.application.id, score, *values), ex.name


def test_tiebreak_column_is_the_key() -> None:
    niks = ["6401015505900001", "6472014101850002", ""]
    got = pl.DataFrame({"nik": niks}).select(tiebreak_column(pl.col("nik"), "seed-2025"))
    assert got.to_series().to_list() == [tiebreak_key(n, "seed-2025") for n in niks]


def _per_record(rules: RuleBook, round_: Round, frame: pl.DataFrame, gone: list[str]) -> dict:
    result = allocate(rules, frame.to_dicts(), on=ON, round=round_, withdrawn=gone)
    return {
        e.application_id: (e.status.value, e.rank, e.reason_code, e.other, e.position, e.score)
        for e in result.entries
        if e.rank is not None
    }


def _columns(rules: RuleBook, round_: Round, frame: pl.DataFrame, gone: list[str]) -> dict:
    out = allocate_columns(rules, frame, on=ON, round=round_, withdrawn=gone)
    cols = ("application_id", "status", "rank", "reason", "other", "position", "score")
    return {row[0]: row[1:] for row in out.select(cols).iter_rows()}


def _tight(rules: RuleBook, slots: int, budget: int) -> Round:
    """The shipped round with few slots per regency and a small budget."""
    text, shown = round_source(None)
    text = text.replace("value: 150\n", f"value: {slots}\n", 1)
    text = text.replace("value: 7500000000\n", f"value: {budget}\n", 1)
    return parse_round(text, shown, rules.registry)


@settings(max_examples=10)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 150),
    families=st.integers(1, 60),
    slots=st.integers(0, 6),
    budget=st.integers(0, 40),
    data=st.data(),
)
def test_round_on_columns_equals_per_record(
    rules: RuleBook,
    seed: int,
    n: int,
    families: int,
    slots: int,
    budget: int,
    data: st.DataObject,
) -> None:
    round_ = _tight(rules, slots, budget * 5_000_000)
    frame = synthetic_register(n, seed=seed, on=ON)
    # Many applications share a family card (some across regencies).
    kk = pl.Series("kk", [f"64010100000{i % families:05d}" for i in range(n)])
    frame = frame.with_columns(
        pl.col("household").struct.with_fields(kk.alias("kk_number")),
        pl.col("applicant").struct.with_fields(kk.alias("kk_number")),
    )
    gone = data.draw(st.lists(st.sampled_from(frame["id"].to_list()), max_size=5))
    expected = _per_record(rules, round_, frame, gone)
    assert _columns(rules, round_, frame, gone) == expected
    event(f"statuses: {sorted({v[0] for v in expected.values()})}")


def test_cli_allocate_with_the_columnar_engine_writes_the_same_round(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frame = synthetic_register(200, seed=7, on=ON)
    kk = pl.Series("kk", [f"64010100000{i % 70:05d}" for i in range(200)])
    frame = frame.with_columns(
        pl.col("household").struct.with_fields(kk.alias("kk_number")),
        pl.col("applicant").struct.with_fields(kk.alias("kk_number")),
    )
    lines = [json.dumps(row, default=str) for row in frame.to_dicts()]
    lines.insert(5, '{"id": "broken"}')
    apps = tmp_path / "apps.jsonl"
    apps.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text, _ = round_source(None)
    rnd = tmp_path / "round.yaml"
    rnd.write_text(text.replace("value: 150\n", "value: 3\n", 1), encoding="utf-8")
    outputs = []
    for engine in ("native", "columnar"):
        args = [str(apps), "--on", "2025-06-01", "--round", str(rnd), "--format", "jsonl"]
        code = main(["allocate", *args, "--engine", engine, "--withdraw", frame["id"][3]])
        captured = capsys.readouterr()
        assert code == 1, captured.err  # the broken record
        assert "apps.jsonl:6" in captured.err
        assert "Traceback" not in captured.err
        outputs.append(captured.out)
    native, columnar = outputs
    statuses = {json.loads(line)["status"] for line in native.splitlines()}
    assert {"selected", "waitlisted", "not_selected", "withdrawn"} <= statuses
    assert columnar == native


def test_a_need_term_that_fails_names_the_term_and_the_application(rules: RuleBook) -> None:
    text, shown = round_source(None)
    text = text.replace(
        "score: min(household.size, params.household_size_cap)",
        "score: 10 // (household.size - household.size)",
        1,
    ).replace("need.household_size: 2", "need.household_size: 0")
    broken = parse_round(text, shown, rules.registry)
    frame = synthetic_register(3, seed=1, on=ON)
    with pytest.raises(RulesetError) as info:
        need_columns(broken, frame, ON, rules.registry)
    message = str(info.value.diagnostics[0].format("en"))
    assert "need.household_size" in message
    assert frame["id"][0] in message
    assert "ZeroDivisionError" in message


def test_a_frame_with_a_repeated_id_or_a_missing_column_is_refused(rules: RuleBook) -> None:
    rows = [Row("A1", "K1", "6401", 3, 5, "a"), Row("A1", "K2", "6401", 2, 5, "b")]
    with pytest.raises(InputError, match="'A1' appears twice"):
        allocate_frame(rows_frame(rows), {"6401": 1})
    with pytest.raises(InputError, match="tiebreak"):
        allocate_frame(rows_frame(rows[:1]).drop("tiebreak"), {"6401": 1})
    frame = synthetic_register(3, seed=1, on=ON)
    with pytest.raises(InputError, match="appears twice"):
        allocate_columns(rules, pl.concat([frame, frame.head(1)]), on=ON)
