"""The columnar engine's rules on a Dask LocalCluster of worker processes decide as native."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bansos_rules import Application
from bansos_rules.engines.columnar._records import record_lines
from bansos_rules.engines.columnar.distributed import (
    decide_directory,
    local_client,
    rank_by_group,
)
from bansos_rules.explain import record_json
from bansos_rules.testing.register import synthetic_register
from tests._support import builtin_book

ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with local_client(2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        yield client


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("register")
    frames = []
    for i in range(3):
        frame = synthetic_register(400, seed=100 + i).with_columns(
            pl.concat_str(pl.lit(f"P{i}-"), pl.col("id")).alias("id")
        )
        if i == 1:  # one application the models reject: quantity 0
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == 4)
                .then(
                    pl.col("plan").struct.with_fields(
                        items=pl.col("plan")
                        .struct.field("items")
                        .list.eval(pl.element().struct.with_fields(quantity=pl.lit(0, pl.Int64)))
                    )
                )
                .otherwise(pl.col("plan"))
                .alias("plan")
            )
        frame.write_parquet(folder / f"part-{i}.parquet")
        frames.append(frame)
    return folder, pl.concat(frames)


def test_a_directory_of_parquet_is_decided_on_two_worker_processes_as_native(
    client: Any, register: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    folder, frame = register
    summary = decide_directory(folder, tmp_path / "records", on=ON, client=client)
    assert summary["files"] == 3
    assert summary["records"] == 1200
    assert summary["invalid"] == 1
    assert summary["decided"] + summary["invalid"] == summary["records"]
    (message,) = summary["invalid_messages"].values()
    assert message[0].startswith("part-1.parquet (row 5): plan.items.0.quantity:")
    book = builtin_book()
    assert summary["digest"] == book.digest
    records = pl.concat(
        [pl.read_parquet(p) for p in sorted((tmp_path / "records").glob("*.parquet"))]
    )
    assert records.height == 1199
    native = book.engine("native")
    ids = set(records.get_column("application_id"))
    expected = [
        record_json(native.decide(Application.model_validate(row), ON)).replace(
            '"engine":"native"', '"engine":"columnar"'
        )
        for row in frame.to_dicts()
        if row["id"] in ids
    ]
    assert list(record_lines(records, book.layout.value_paths)) == expected


def test_ranking_per_regency_is_a_shuffle_with_the_single_process_result(
    client: Any, register: tuple[Path, pl.DataFrame], tmp_path: Path
) -> None:
    folder, _ = register
    decide_directory(folder, tmp_path / "records", on=ON, client=client)
    target = tmp_path / "ranked.parquet"
    by, order = "value:applicant.regency", ["value:applicant.dtsen_decile", "plan_total"]
    kept = rank_by_group(
        tmp_path / "records", target, by=by, order=order, keep=5, seed="seed-1", client=client
    )
    ranked = pl.read_parquet(target)
    assert kept == ranked.height > 0
    everything = pl.concat(
        [pl.read_parquet(p) for p in sorted((tmp_path / "records").glob("*.parquet"))]
    ).filter(pl.col("outcome") == "approved")
    tie = [hashlib.sha256(f"seed-1:{a}".encode()).hexdigest() for a in everything["application_id"]]
    expected = (
        everything.with_columns(pl.Series("__tie", tie))
        .sort([*order, "__tie"], nulls_last=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over(by).alias("rank"))
        .filter(pl.col("rank") <= 5)
        .sort(by, "rank")
    )
    assert ranked.select("application_id", by, "rank").equals(
        expected.select("application_id", by, "rank")
    )
    assert ranked.group_by(by).len().get_column("len").max() == 5
