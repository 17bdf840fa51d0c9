"""The round on columns: :func:`allocate_frame` against :func:`allocate_rows`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from bansos_rules.round import Allocation, Row, allocate_rows
from bansos_rules.round._columnar import allocate_frame, allocation_of_frame, rows_frame

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
