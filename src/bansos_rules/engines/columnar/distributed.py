"""The same compiled rules on a Dask cluster: a directory of Parquet files into decision records.

Dask (``dask.distributed``) schedules the work; each task is one input file (a partition), which a
worker process reads in batches, validates on columns and decides with the columnar engine
exactly as ``bansos-rules evaluate FILE --engine columnar -o OUT.parquet`` does on one machine, so
the records are identical whichever runs them. Data moves between processes as Arrow tables.

Recipe for a data team (see ``docs/developer-guide.md``, "Beyond one machine")::

    from datetime import date
    from dask.distributed import Client, LocalCluster
    from bansos_rules.engines.columnar.distributed import decide_directory, rank_by_group

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        summary = decide_directory("register/", "records/", on=date(2025, 6, 1), client=client)
        top = rank_by_group("records/", "ranked.parquet", by="value:applicant.regency",
                            order=["value:applicant.dtsen_decile"], keep=150, seed="round-2025",
                            client=client)

On a real cluster pass a ``Client`` connected to its scheduler instead of the local one; the input
directory must then be on storage every worker can read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook

__all__ = ["decide_directory", "decide_file", "local_client", "rank_by_group"]

_SHOWN_INVALID = 1000  # invalid-record messages brought back per file; the rest are counted


@contextlib.contextmanager
def local_client(workers: int = 2) -> Iterator[Any]:
    """A ``dask.distributed`` client on a ``LocalCluster`` of ``workers`` processes (one thread
    each), closed on exit."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        client = Client(cluster)  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
    finally:
        cluster.close()


@functools.cache
def _book(rulesets: tuple[str, ...], block: tuple[str, ...]) -> RuleBook:
    from bansos_rules import load_rules

    return load_rules(rulesets, block=block)


def decide_file(
    source: str,
    target: str,
    on: date | None,
    rulesets: tuple[str, ...] = (),
    block: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Decide the applications of one Parquet (or JSON Lines, CSV) file into a records file.

    Runs in a worker process: the rules are loaded once per process. Returns the counts
    (``records``, ``invalid``, each outcome), the digest and the first invalid-record messages.
    """
    from bansos_rules.engines.columnar._engine import ColumnarEngine
    from bansos_rules.engines.columnar._read import read_applications
    from bansos_rules.engines.columnar._stream import single_date, stream_parquet

    book = _book(rulesets, block)
    engine = book.engine("columnar")
    assert isinstance(engine, ColumnarEngine)
    path = Path(source)
    if path.suffix.lower() == ".parquet" and Path(target).suffix.lower() == ".parquet":
        day = single_date(path, on, date.today())
        if day is not None:  # one streaming query, as evaluate does for one Parquet file
            streamed = stream_parquet(engine, book, path, Path(target), day, path.name)
            totals = {"records": streamed.records, "invalid": len(streamed.invalid)}
            shown = [line for inv in streamed.invalid for line in inv.lines("en")]
            return {
                "file": source,
                "digest": book.digest,
                "counts": {**totals, **streamed.outcomes},
                "invalid": shown[:_SHOWN_INVALID],
            }
    counts: Counter[str] = Counter()
    messages: list[str] = []
    writer = None
    today = date.today()
    try:
        for batch in read_applications(Path(source), book, shown=Path(source).name):
            counts["records"] += batch.count
            counts["invalid"] += len(batch.invalid)
            for invalid in batch.invalid:
                if len(messages) < _SHOWN_INVALID:
                    messages.extend(invalid.lines("en"))
            if batch.frame.is_empty():
                continue
            records = engine.records_by_date(batch.frame, on, today)
            for outcome, n in records.get_column("outcome").value_counts().iter_rows():
                counts[outcome] += n
            table = records.to_arrow()
            if writer is None:
                import pyarrow.parquet as pq

                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return {"file": source, "digest": book.digest, "counts": dict(counts), "invalid": messages}


def decide_directory(
    inputs: str | Path,
    outputs: str | Path,
    *,
    on: date | None = None,
    client: Any = None,
    workers: int = 2,
    rulesets: Sequence[str] = (),
    block: Sequence[str] = (),
    pattern: str = "*.parquet",
) -> dict[str, Any]:
    """Decide every file of ``inputs`` on a Dask cluster; one records file per input file.

    :param outputs: a directory; ``NAME.records.parquet`` is written for each input ``NAME``.
    :param on: the date whose rules apply (default: each application's ``submitted_on``).
    :param client: a ``dask.distributed.Client``; without one, a ``LocalCluster`` of ``workers``
        processes is started for the call and closed after it.
    :returns: the totals (``records = decided + invalid``), the rulesets' digest, and the invalid
        records' messages by file.
    """
    files = sorted(Path(inputs).glob(pattern))
    out = Path(outputs)
    out.mkdir(parents=True, exist_ok=True)
    args = (tuple(str(p) for p in rulesets), tuple(block))
    if client is None:
        with local_client(workers) as local:
            return decide_directory(
                inputs,
                outputs,
                on=on,
                client=local,
                rulesets=rulesets,
                block=block,
                pattern=pattern,
            )
    futures = [
        client.submit(
            decide_file,
            str(path),
            str(out / f"{path.name.rsplit('.', 1)[0]}.records.parquet"),
            on,
            *args,
            key=f"decide-{path.name}-{hashlib.sha256(str(path).encode()).hexdigest()[:12]}",
        )
        for path in files
    ]
    results = client.gather(futures)
    totals: Counter[str] = Counter()
    for result in results:
        totals.update(result["counts"])
    digests = {r["digest"] for r in results}
    decided = sum(totals[o] for o in ("approved", "rejected", "needs_review"))
    return {
        "files": len(files),
        "records": totals["records"],
        "decided": decided,
        "invalid": totals["invalid"],
        "outcomes": {o: totals[o] for o in ("approved", "rejected", "needs_review")},
        "digest": digests.pop() if len(digests) == 1 else sorted(digests),
        "invalid_messages": {r["file"]: r["invalid"] for r in results if r["invalid"]},
    }


# -- ranking within groups: a shuffle -----------------------------------------------------------


def _bucket(key: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % buckets


def _split(source: str, by: str, where: str, buckets: int) -> dict[int, Any]:
    """Map step: the rows of one records file that ``where`` keeps, split by group into buckets."""
    frame = pl.read_parquet(source).filter(pl.col("outcome") == where)
    groups = frame.get_column(by).cast(pl.String).fill_null("").to_list()
    bucket = pl.Series("__bucket", [_bucket(g, buckets) for g in groups], dtype=pl.Int64)
    parts = frame.with_columns(bucket).partition_by("__bucket", as_dict=True)
    return {int(k[0]): part.drop("__bucket").to_arrow() for k, part in parts.items()}


def _piece(split: dict[int, Any], bucket: int) -> Any:
    """One bucket of one file's split (runs where the split is, so only that bucket moves)."""
    return split.get(bucket)


def _rank(
    pieces: list[Any],
    by: str,
    order: Sequence[str],
    keep: int,
    seed: str,
) -> Any:
    """Reduce step: one bucket's rows from every file, ranked within each group."""
    tables = [pl.from_arrow(p) for p in pieces if p is not None]
    frames = [t for t in tables if isinstance(t, pl.DataFrame)]
    if not frames:
        return None
    frame = pl.concat(frames, how="vertical_relaxed")
    # Ties are broken by a keyed hash of the application id, never by input order.
    tie = pl.Series(
        "__tie",
        [hashlib.sha256(f"{seed}:{a}".encode()).hexdigest() for a in frame["application_id"]],
    )
    ranked = (
        frame.with_columns(tie)
        .sort([*order, "__tie"], nulls_last=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over(by).alias("rank"))
        .filter(pl.col("rank") <= keep)
        .drop("__tie")
    )
    return ranked.to_arrow()


def rank_by_group(
    records: str | Path,
    target: str | Path,
    *,
    by: str,
    order: Sequence[str],
    keep: int,
    seed: str,
    where: str = "approved",
    client: Any = None,
    workers: int = 2,
    buckets: int | None = None,
) -> int:
    """Rank the ``where`` records within each group ``by`` (a regency) and keep the first ``keep``.

    A shuffle on the cluster: each records file is split by group into buckets (map), each bucket
    gathers its rows from every file and ranks them (reduce), so no process needs all rows. Rows
    are ordered by ``order`` (ascending, missing values last), then by a keyed hash of the
    application id with the published ``seed``. Writes ``target`` (a ``rank`` column added) and
    returns the number of rows kept.
    """
    files = sorted(Path(records).glob("*.parquet"))
    if client is None:
        with local_client(workers) as local:
            return rank_by_group(
                records,
                target,
                by=by,
                order=order,
                keep=keep,
                seed=seed,
                where=where,
                client=local,
                buckets=buckets,
            )
    count = buckets or max(2, 2 * len(client.scheduler_info().get("workers", {})))
    splits = [client.submit(_split, str(f), by, where, count) for f in files]
    ranked = [
        client.submit(
            _rank, [client.submit(_piece, s, b) for s in splits], by, list(order), keep, seed
        )
        for b in range(count)
    ]
    tables = [t for t in client.gather(ranked) if t is not None]
    frames = [f for f in (pl.from_arrow(t) for t in tables) if isinstance(f, pl.DataFrame)]
    result = pl.concat(frames).sort(by, "rank") if frames else pl.DataFrame()
    result.write_parquet(target)
    return result.height
