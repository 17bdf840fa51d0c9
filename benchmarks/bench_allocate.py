#!/usr/bin/env python3
"""Benchmark allocating a round: 100,000 decided applications over the ten regencies.

Usage::

    taskset -c 1 python benchmarks/bench_allocate.py [--n 100000] [--repeat 5] [--seed 7]

What it does:

1. **Data.** ``--n`` applications made from the worked examples of
   ``examples/applications.jsonl`` with :meth:`pydantic.BaseModel.model_copy`: each gets its own
   id, NIK serial and family card (one in eight shares a card with another application), an
   income and a DTSEN decile from ``random.Random(--seed)``, and one of the ten regencies in
   turn. All are decided once by the native engine (not timed) and the shipped round file is
   loaded.
2. **Timing**, single-threaded, pinned to one core, GC off while timing, best of ``--repeat``
   round-robin runs:
   - (a) *baseline*: ``sorted(rows, key=...)`` of the same rows by a precomputed key
     ``(regency, -score, tiebreak)``: the least any ranking must do;
   - (b) ``allocate_rows``: the allocation core on the same rows (rank, one per family card,
     slots, budget, waitlist);
   - (c) ``allocate_decided``: from decided applications: the need score of every approved one,
     its tie-break key, the rows, the allocation and every entry with its reasons;
   - (d) ``to_jsonl`` of that result (the ``allocate --format jsonl`` output).
3. Prints seconds, applications per second and each ratio to the baseline.

Works from a checkout without installation (puts ``src/`` on ``sys.path`` when needed).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
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

from bansos_rules import Application, load_rules  # noqa: E402
from bansos_rules.round import (  # noqa: E402
    Row,
    allocate_decided,
    allocate_rows,
    load_round,
    slots_for,
    tiebreak_key,
    to_jsonl,
)

ON = date(2025, 6, 1)
REGENCIES = ("6401", "6402", "6403", "6407", "6408", "6409", "6411", "6471", "6472", "6474")


def make_applications(n: int, seed: int) -> list[Application]:
    rnd = random.Random(seed)
    lines = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").splitlines()
    base = Application.model_validate(json.loads(lines[0]))  # eligible, approved
    apps = []
    for i in range(n):
        card_no = i if rnd.random() > 0.125 else max(0, i - 1 - rnd.randrange(5))
        kk = f"647203{card_no:010d}"
        regency = REGENCIES[i % len(REGENCIES)]
        nik = base.applicant.nik[:12] + f"{i % 9999 + 1:04d}"
        applicant = base.applicant.model_copy(
            update={
                "nik": nik[:4] + nik[4:],
                "kk_number": kk,
                "regency": regency,
                "dtsen_decile": rnd.randint(1, 4),
            }
        )
        household = base.household.model_copy(
            update={"kk_number": kk, "monthly_income": rnd.randrange(300_000, 6_000_000, 1000)}
        )
        plan = base.plan.model_copy(
            update={"location": base.plan.location.model_copy(update={"regency": regency})}
        )
        apps.append(
            base.model_copy(
                update={
                    "id": f"KT-2025-{i:07d}",
                    "applicant": applicant,
                    "household": household,
                    "plan": plan,
                }
            )
        )
    return apps


def best(fn: Callable[[], Any], repeat: int, keep_gc: bool) -> float:
    times = []
    for _ in range(repeat):
        if not keep_gc:
            gc.collect()
            gc.disable()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        gc.enable()
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-gc", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    book = load_rules()
    round_ = load_round(registry=book.registry)
    engine = book.engine()
    apps = make_applications(args.n, args.seed)
    decided = [(a, engine.decide(a, ON)) for a in apps]
    approved = sum(1 for _, d in decided if d.outcome.value == "approved")
    result = allocate_decided(decided, on=ON, round=round_)
    rows = [
        Row(
            e.application_id,
            e.kk,
            e.regency,
            e.score or 0,
            e.aid_value,
            tiebreak_key(a.applicant.nik, round_.seed),
        )
        for e, a in zip(
            sorted(
                (e for e in result.entries if e.score is not None), key=lambda e: e.application_id
            ),
            sorted((a for a, d in decided if d.outcome.value == "approved"), key=lambda a: a.id),
            strict=True,
        )
    ]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.regency] = counts.get(r.regency, 0) + 1
    slots = slots_for(round_, ON, counts)
    budget = round_.param(round_.budget, ON)
    keys = [(r.regency, -r.score, r.tiebreak) for r in rows]
    paired = list(zip(keys, rows, strict=True))

    modes: dict[str, Callable[[], Any]] = {
        "baseline: sort by precomputed key": lambda: sorted(paired, key=lambda p: p[0]),
        "allocate_rows (core)": lambda: allocate_rows(rows, slots, budget),
        "allocate_decided (score+key+core+entries)": lambda: allocate_decided(
            decided, on=ON, round=round_
        ),
        "to_jsonl": lambda: to_jsonl(result),
    }
    timings = {name: float("inf") for name in modes}
    for _ in range(args.repeat):
        for name, fn in modes.items():
            timings[name] = min(timings[name], best(fn, 1, args.keep_gc))
    base = timings["baseline: sort by precomputed key"]
    selected = sum(1 for e in result.entries if e.status.value == "selected")
    print(f"python {sys.version.split()[0]} · cores {sorted(os.sched_getaffinity(0))}")
    print(
        f"{args.n} applications, {approved} approved, {selected} selected, "
        f"{len({r.kk for r in rows})} family cards, best of {args.repeat}"
    )
    for name, secs in timings.items():
        print(f"  {name:45} {secs:8.3f} s  {args.n / secs:12,.0f}/s  {secs / base:6.1f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
