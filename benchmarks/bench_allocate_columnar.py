#!/usr/bin/env python3
"""Benchmark the round's allocation on columns against the per-row allocation core.

Usage::

    taskset -c 1 python benchmarks/bench_allocate_columnar.py [--n 100000 1000000] [--repeat 3]
    taskset -c 1 python benchmarks/bench_allocate_columnar.py --n 100000 --end-to-end 1000000

What it does, for each ``--n``:

1. **Data.** ``n`` decided rows from ``random.Random(--seed)``: ten regencies, scores 0-120
   (many ties), one family card in eight shared with another row (one shared card in ten across
   two regencies), aid values of Rp1-5 million, tie-break keys from
   :func:`~bansos_rules.round.tiebreak_key`. Slots: 15% of each regency's rows; the budget binds
   before the slots are full in some regencies; 1% of the rows withdrawn.
2. **Agreement** (not timed): :func:`allocate_frame` and :func:`allocate_rows` must give the same
   status, rank, reason, other application and waitlist position for every row; otherwise the
   script exits with status 1.
3. **Timing**, pinned to one core, GC off while timing, best of ``--repeat`` round-robin runs:
   - (a) *baseline*: ``sorted(rows, key=...)`` by a precomputed key ``(-score, tiebreak, id)``:
     the least any per-row ranking must do;
   - (b) ``allocate_rows`` on the same :class:`Row` values;
   - (c) ``allocate_frame`` on the same rows as a Polars frame (Polars may use more threads
     than the pinned core allows: with ``taskset`` it gets one);
   - (d) ``polars sort`` of the frame by the same key: the least a columnar ranking must do.
4. With ``--end-to-end N``: a whole round through the columnar path,
   :func:`allocate_columns` on ``synthetic_register(N)`` (decide, need scores, keys, slots,
   allocation), best of ``--repeat``; with ``--compare-records`` also the per-record
   :func:`~bansos_rules.round.allocate` (validate, decide natively, score, allocate, entries)
   on the same applications as dicts, and the ratio.

Works from a checkout without installation (puts ``src/`` on ``sys.path`` when needed).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("bansos_rules") is None:
    sys.path.insert(0, str(ROOT / "src"))

import polars as pl  # noqa: E402

from bansos_rules.round import Row, allocate_frame, allocate_rows, tiebreak_key  # noqa: E402
from bansos_rules.round._columnar import rows_frame  # noqa: E402

REGENCIES = ("6401", "6402", "6403", "6404", "6405", "6409", "6411", "6471", "6472", "6474")


def make_rows(n: int, seed: int) -> tuple[list[Row], dict[str, int], int, list[str]]:
    rnd = random.Random(seed)
    rows: list[Row] = []
    for i in range(n):
        regency = REGENCIES[i % len(REGENCIES)]
        kk = f"K{i:08d}"
        if i and rnd.random() < 0.125:
            other = rnd.randrange(i)
            shares_regency = rnd.random() < 0.9
            j = other - other % len(REGENCIES) + i % len(REGENCIES) if shares_regency else other
            kk = rows[min(j, i - 1)].kk
        rows.append(
            Row(
                f"A{i:08d}",
                kk,
                regency,
                rnd.randint(0, 120),
                rnd.randint(1, 5) * 1_000_000,
                tiebreak_key(f"64{i:014d}", "bench"),
            )
        )
    slots = {r: max(1, n * 15 // 100 // len(REGENCIES)) for r in REGENCIES}
    slots[REGENCIES[-1]] = 0  # a regency without slots
    budget = sum(slots.values()) * 2_600_000  # binds before every regency is full
    withdrawn = [r.application_id for r in rnd.sample(rows, n // 100)]
    return rows, slots, budget, withdrawn


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        gc.enable()
    return min(times)


def check(rows: list[Row], slots: dict[str, int], budget: int, withdrawn: list[str]) -> None:
    expected = allocate_rows(rows, slots, budget, withdrawn)
    got = allocate_frame(rows_frame(rows), slots, budget, withdrawn)
    want = [
        (p.row.application_id, p.status.value, p.rank, p.reason, p.other, p.position)
        for p in expected.placements
    ]
    cols = ("application_id", "status", "rank", "reason", "other", "position")
    if list(got.select(cols).iter_rows()) != want:
        print("DISAGREEMENT between allocate_frame and allocate_rows", file=sys.stderr)
        sys.exit(1)


def bench(n: int, repeat: int, seed: int) -> None:
    rows, slots, budget, withdrawn = make_rows(n, seed)
    frame = rows_frame(rows)
    check(rows, slots, budget, withdrawn)
    key: Callable[[Row], tuple[int, str, str]] = lambda r: (-r.score, r.tiebreak, r.application_id)  # noqa: E731
    modes: dict[str, Callable[[], Any]] = {
        "(a) baseline sorted() by key": lambda: sorted(rows, key=key),
        "(b) allocate_rows": lambda: allocate_rows(rows, slots, budget, withdrawn),
        "(c) allocate_frame": lambda: allocate_frame(frame, slots, budget, withdrawn),
        "(d) polars sort by key": lambda: frame.sort(
            ["score", "tiebreak", "application_id"], descending=[True, False, False]
        ),
    }
    results = {name: float("inf") for name in modes}
    for _ in range(repeat):  # round-robin
        for name, fn in modes.items():
            results[name] = min(results[name], best(fn, 1))
    base = results["(a) baseline sorted() by key"]
    rows_time = results["(b) allocate_rows"]
    print(f"\nn = {n:,} rows, best of {repeat}")
    for name, secs in results.items():
        print(
            f"  {name:32s} {secs:8.3f} s  {n / secs:12,.0f} rows/s"
            f"  x{secs / base:6.2f} baseline  x{secs / rows_time:6.2f} allocate_rows"
        )


def end_to_end(n: int, repeat: int, compare: bool) -> None:
    from bansos_rules import load_rules
    from bansos_rules.round import allocate_columns, load_round
    from bansos_rules.testing.register import synthetic_register

    on = date(2025, 6, 1)
    rules = load_rules()
    round_ = load_round(registry=rules.registry)
    start = time.perf_counter()
    frame = synthetic_register(n, on=on)
    made = time.perf_counter() - start
    secs = best(lambda: allocate_columns(rules, frame, on=on, round=round_), repeat)
    out = allocate_columns(rules, frame, on=on, round=round_)
    counts = dict(out.group_by("status").len().sort("status").iter_rows())
    print(f"\nend to end: {n:,} applications (register made in {made:.1f} s, not timed)")
    print(f"  allocate_columns {secs:8.3f} s  {n / secs:12,.0f} applications/s  best of {repeat}")
    print(f"  approved {out.height:,}: {counts}")
    if not compare:
        return
    from bansos_rules.round import allocate

    apps = frame.to_dicts()
    slow = best(lambda: allocate(rules, apps, on=on, round=round_), repeat)
    print(
        f"  allocate (per record, native engine, from dicts) {slow:8.3f} s"
        f"  {n / slow:12,.0f} applications/s  columnar x{secs / slow:5.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--end-to-end", type=int, default=0, metavar="N")
    ap.add_argument(
        "--compare-records",
        action="store_true",
        help="with --end-to-end: also time the per-record allocate() on the same applications",
    )
    args = ap.parse_args()
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"polars {pl.__version__}, threads {pl.thread_pool_size()}, cores {affinity}")
    for n in args.n:
        bench(n, args.repeat, args.seed)
    if args.end_to_end:
        end_to_end(args.end_to_end, args.repeat, args.compare_records)


if __name__ == "__main__":
    main()
