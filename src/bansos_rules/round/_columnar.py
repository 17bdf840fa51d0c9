"""The allocation on columns: :func:`allocate_rows` as Polars window functions.

:func:`allocate_frame` takes the rows as a :class:`polars.DataFrame` (columns ``application_id``,
``kk``, ``regency``, ``score``, ``aid_value``, ``tiebreak``) and gives the same placements as
:func:`~bansos_rules.round._core.allocate_rows`, computed without a loop over rows:

1. The frame is sorted once in the global order (score highest first, tie-break key, id); every
   cumulative sum below runs in that order, ``over("regency")`` or ``over("kk")``.
2. A row is *eligible* when it is not withdrawn and no earlier row of its family card is
   selected. Given the eligible rows, selection is a window computation: the ``j``-th eligible
   row of a regency is *selectable* when ``j`` is at most the regency's slots; the budget stops
   selection at the first selectable row whose cumulative aid (over selectable rows, in the
   global order) exceeds the ceiling; the selectable rows before it are selected.
3. Eligibility depends on selection and selection on eligibility only through earlier rows, so
   the two are iterated to their fixed point. The first guess (only the first non-withdrawn row
   of each family card is eligible) is exact when every family card lies in one regency: the
   second pass confirms it. A family card with members in several regencies (rare) can move the
   first wrong row further down at each pass; each pass makes at least one more row exact, and
   in practice two or three passes suffice.
4. Labels follow from selection: blocked rows are ``same_kk`` (with the card's selected id), an
   eligible unselected row is ``no_slots`` (regency without slots), ``waitlisted`` (its regency
   was full when it came) or ``budget``; a waitlisted row whose card is selected elsewhere
   becomes ``same_kk``; the rest of the waitlist is numbered in rank order.

:func:`allocation_of_frame` turns the result back into an
:class:`~bansos_rules.round._core.Allocation`, so the per-record path can use the columnar
allocation and its explanations unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from bansos_rules._errors import FieldProblem, InputError
from bansos_rules.round._core import Allocation, Placement, Row, Status

__all__ = ["COLUMNS", "allocate_frame", "allocation_of_frame", "rows_frame"]

COLUMNS = ("application_id", "kk", "regency", "score", "aid_value", "tiebreak")
"""The columns :func:`allocate_frame` reads."""

_SCHEMA = {
    "application_id": pl.String,
    "kk": pl.String,
    "regency": pl.String,
    "score": pl.Int64,
    "aid_value": pl.Int64,
    "tiebreak": pl.String,
}

_I = pl.Int64


def rows_frame(rows: Iterable[Row]) -> pl.DataFrame:
    """The rows as a frame with the columns :func:`allocate_frame` reads."""
    return pl.DataFrame(list(rows), schema=_SCHEMA, orient="row")


def unique_ids(ids: pl.Series) -> None:
    """Refuse a column of application ids that holds one twice.

    :raises InputError: naming the first repeated id.
    """
    if ids.len() and ids.n_unique() != ids.len():
        dup = ids.filter(ids.is_duplicated()).min()
        raise InputError(
            [
                FieldProblem(
                    "application_id",
                    f"application id {dup!r} appears twice",
                    dup,
                    f"id aplikasi {dup!r} muncul dua kali",
                )
            ]
        )


def _select(frame: pl.DataFrame, eligible: pl.Series, budget: int | None) -> pl.Series:
    """Which rows are selected when ``eligible`` rows may be (frame in the global order)."""
    step = frame.lazy().with_columns(_e=eligible)
    step = step.with_columns(
        _ok=pl.col("_e")
        & (pl.col("_room") > 0)
        & (pl.col("_e").cast(_I).cum_sum().over("regency") <= pl.col("_room"))
    )
    if budget is None:
        return step.select("_ok").collect().to_series().alias("_sel")
    step = step.with_columns(
        _over=pl.col("_ok")
        & ((pl.when(pl.col("_ok")).then(pl.col("aid_value")).otherwise(0)).cum_sum() > budget)
    )
    # Selected: selectable and before the first selectable row that does not fit.
    out = step.select(pl.col("_ok") & (pl.col("_over").cast(_I).cum_sum() == 0)).collect()
    return out.to_series().alias("_sel")


def _eligible(frame: pl.DataFrame, selected: pl.Series) -> pl.Series:
    """Rows not withdrawn with no earlier selected row of their family card (the window runs
    only over the rows of cards with several rows: the others are eligible unless withdrawn)."""
    shared = frame["_shared"]
    part = (
        frame.select("kk", "_gone", _sel=selected)
        .filter(shared)
        .select(
            ~pl.col("_gone")
            & ((pl.col("_sel").cast(_I).cum_sum().over("kk") - pl.col("_sel").cast(_I)) == 0)
        )
        .to_series()
    )
    out = (~frame["_gone"]).alias("_e")
    return out.scatter(frame["_index"].filter(shared), part)


def allocate_frame(
    frame: pl.DataFrame,
    slots: Mapping[str, int],
    budget: int | None = None,
    withdrawn: Iterable[str] = (),
) -> pl.DataFrame:
    """Rank and select the rows of ``frame`` exactly as
    :func:`~bansos_rules.round._core.allocate_rows` does (see the module's description).

    :param frame: columns ``application_id``, ``kk``, ``regency``, ``tiebreak`` (strings),
        ``score`` and ``aid_value`` (integers); other columns are carried along.
    :returns: the rows by regency code, then rank, with the added columns ``rank``,
        ``status``, ``reason``, ``other``, ``position`` (waitlist place), ``cutoff_score``,
        ``cutoff_rank`` (of the row's regency) and ``committed`` (aid selected in the regency).
    :raises InputError: (a :class:`ValueError`) when two rows have the same application id, or
        a column is missing.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            [
                FieldProblem(
                    c, "the frame has no such column", None, "tabel tidak memiliki kolom ini"
                )
                for c in missing
            ]
        )
    unique_ids(frame["application_id"])
    room = pl.DataFrame(
        {"regency": list(slots), "_room": list(slots.values())},
        schema={"regency": pl.String, "_room": _I},
    )
    gone = pl.Series(list(withdrawn), dtype=pl.String)
    base = (
        frame.lazy()
        .with_columns(
            pl.col("score").cast(_I),
            pl.col("aid_value").cast(_I),
        )
        .sort(["score", "tiebreak", "application_id"], descending=[True, False, False])
        .join(room.lazy(), on="regency", how="left", maintain_order="left")
        .with_columns(
            pl.col("_room").fill_null(0),
            _gone=pl.col("application_id").is_in(gone.implode()),
            _shared=pl.len().over("kk") > 1,
        )
        .with_row_index("_index")
        .collect()
    )
    # First guess: the first row of each card that did not withdraw.
    shared = base["_shared"]
    at = base["_index"].filter(shared)
    first = (
        base.filter(shared)
        .select(~pl.col("_gone") & (pl.col("_gone").not_().cast(_I).cum_sum().over("kk") == 1))
        .to_series()
    )
    eligible = (~base["_gone"]).alias("_e").scatter(at, first)
    while True:
        selected = _select(base, eligible, budget)
        again = _eligible(base, selected)
        if again.equals(eligible):
            break
        eligible = again
    sel, elig = pl.col("_sel"), pl.col("_e")
    taken = sel.cast(_I).cum_sum().over("regency") - sel.cast(_I)
    # The selected application of each shared card (a card of one row never needs it).
    chosen = (
        pl.repeat(None, base.height, dtype=pl.String, eager=True)
        .alias("_chosen")
        .scatter(
            at,
            base.select("kk", "application_id", _sel=selected)
            .filter(shared)
            .select(pl.col("application_id").filter(sel).first().over("kk"))
            .to_series(),
        )
    )
    labelled = base.lazy().with_columns(_sel=selected, _e=eligible, _chosen=chosen)
    labelled = labelled.with_columns(
        rank=pl.int_range(1, pl.len() + 1, dtype=_I).over("regency"),
        _status=pl.when(pl.col("_gone"))
        .then(pl.lit(Status.WITHDRAWN.value))
        .when(sel)
        .then(pl.lit(Status.SELECTED.value))
        .when(~elig)
        .then(pl.lit("same_kk"))
        .when(pl.col("_room") == 0)
        .then(pl.lit("no_slots"))
        .when(taken >= pl.col("_room"))
        .then(pl.lit(Status.WAITLISTED.value))
        .otherwise(pl.lit("budget")),
    )
    # A waitlisted row whose card is selected elsewhere leaves the waitlist.
    waiting = (pl.col("_status") == Status.WAITLISTED.value) & pl.col("_chosen").is_null()
    labelled = labelled.with_columns(
        status=pl.when(pl.col("_status").is_in(["same_kk", "no_slots", "budget"]))
        .then(pl.lit(Status.NOT_SELECTED.value))
        .when((pl.col("_status") == Status.WAITLISTED.value) & pl.col("_chosen").is_not_null())
        .then(pl.lit(Status.NOT_SELECTED.value))
        .otherwise(pl.col("_status")),
        reason=pl.when(pl.col("_status").is_in(["same_kk", "no_slots", "budget"]))
        .then(pl.col("_status"))
        .when((pl.col("_status") == Status.WAITLISTED.value) & pl.col("_chosen").is_not_null())
        .then(pl.lit("same_kk"))
        .otherwise(None),
        position=pl.when(waiting).then(waiting.cast(_I).cum_sum().over("regency")).otherwise(None),
    )
    labelled = labelled.with_columns(
        other=pl.when(pl.col("reason") == "same_kk").then(pl.col("_chosen")).otherwise(None),
        cutoff_score=pl.col("score").filter(sel).last().over("regency"),
        cutoff_rank=pl.col("rank").filter(sel).last().over("regency").fill_null(pl.col("_room")),
        committed=pl.col("aid_value").filter(sel).sum().over("regency"),
    )
    return (
        labelled.drop("_sel", "_e", "_gone", "_room", "_chosen", "_status", "_shared", "_index")
        .sort("regency", maintain_order=True)  # rows are in rank order within a regency
        .collect()
    )


def allocation_of_frame(
    allocated: pl.DataFrame, slots: Mapping[str, int], budget: int | None = None
) -> Allocation:
    """The :class:`~bansos_rules.round._core.Allocation` of a frame from :func:`allocate_frame`
    (placements by regency code, then rank)."""
    placements: list[Placement] = []
    new = tuple.__new__
    statuses = {s.value: s for s in Status}
    for app_id, kk, regency, score, aid, tie, status, rank, reason, other, position in zip(
        *(
            allocated[c].to_list()
            for c in (*COLUMNS, "status", "rank", "reason", "other", "position")
        ),
        strict=True,
    ):
        row = new(Row, (app_id, kk, regency, score, aid, tie))
        placements.append(new(Placement, (row, statuses[status], rank, reason, other, position)))
    per = allocated.group_by("regency").agg(
        pl.len().alias("n"),
        pl.col("cutoff_score").first(),
        pl.col("cutoff_rank").first(),
        pl.col("committed").first(),
    )
    cutoffs: dict[str, int | None] = dict.fromkeys(slots)
    cutoff_ranks: dict[str, int] = dict(slots)
    ranked: dict[str, int] = {}
    committed = 0
    for regency, n, cut, cut_rank, spent in per.sort("regency").iter_rows():
        ranked[regency] = n
        if cut is not None:
            cutoffs[regency] = cut
            cutoff_ranks[regency] = cut_rank
            committed += spent
    return Allocation(
        placements=tuple(placements),
        slots=dict(slots),
        ranked=ranked,
        cutoffs=cutoffs,
        cutoff_ranks=cutoff_ranks,
        budget=budget,
        committed=committed,
    )
