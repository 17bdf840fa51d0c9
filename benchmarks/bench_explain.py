#!/usr/bin/env python3
"""Benchmark decision records and explanations against the implementation at a base revision.

Usage::

    python benchmarks/bench_explain.py [--base REV] [--n 4000] [--rounds 5] [--alternations 2]

The code at ``--base`` (default: the revision before decisions became records) is extracted with
``git archive`` into a temporary directory. The same worker (this file with ``--worker``) then runs
once on that copy and once on the checkout, alternately ``--alternations`` times, each in its own
process pinned to one core with ``os.sched_setaffinity``, garbage collector off while timing,
best of ``--rounds``. Each worker generates the same ``--n`` applications with
``bench_native.generate`` (same seed) and times:

- ``baseline``: ``bench_native.baseline_decide``, the rules written out by hand;
- ``decide``: ``engine.decide`` (the compact record; a decision *is* its record);
- ``record``: decide + the record as a JSON line (checkout only);
- ``findings``: decide + findings, referrals and recommendations;
- ``to_json``: decide + ``to_json()``;
- ``explain_json``: record line -> ``from_record`` -> ``to_json()`` (checkout only).

Ratios are taken within one worker (decide or record against the baseline) or between the two
workers' best times (``to_json`` now against ``to_json`` at the base). The sha256 of every
``to_json()`` output is compared between the two: the bytes must be the same.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "c666570"
ON = date(2025, 6, 1)


def pin() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = sorted(os.sched_getaffinity(0))[-1]
    os.sched_setaffinity(0, {cpu})
    return cpu


def worker(args: argparse.Namespace) -> None:
    """Time every mode on this process's ``bansos_rules`` and print the results as JSON."""
    cpu = pin()
    sys.path.insert(0, args.benchmarks)
    import bench_native
    from bansos_rules import load_rules

    book = load_rules()
    bench_native.bind_baseline(book)
    records, _ = bench_native.generate(args.n, args.seed, ON)
    apps = [book.validate(r) for r in records]
    decide = book.engine("native").decide
    baseline = bench_native.baseline_decide
    explain: Any = None
    try:
        import bansos_rules.explain as explain
    except ImportError:  # the base revision has no records
        explain = None

    def run_baseline() -> None:
        for app in apps:
            baseline(app, ON)

    def run_decide() -> None:
        for app in apps:
            decide(app, ON)

    def run_findings() -> None:
        for app in apps:
            d = decide(app, ON)
            _ = d.findings, d.referrals, d.recommendations

    def run_to_json() -> None:
        for app in apps:
            decide(app, ON).to_json()

    modes: dict[str, Callable[[], None]] = {
        "baseline": run_baseline,
        "decide": run_decide,
        "findings": run_findings,
        "to_json": run_to_json,
    }
    lines: list[str] = []
    if explain is not None:
        manifest = book.layout.manifest
        record_json, from_record = explain.record_json, explain.from_record
        lines = [record_json(decide(app, ON)) for app in apps]
        parsed = [json.loads(line) for line in lines]
        to_record, back = record_json, from_record

        def run_record() -> None:
            for app in apps:
                to_record(decide(app, ON))

        def run_explain_json() -> None:
            for line in lines:
                back(json.loads(line), manifest).to_json()

        modes["record"] = run_record
        modes["explain_json"] = run_explain_json
    digest = hashlib.sha256()
    for app in apps:
        digest.update(decide(app, ON).to_json().encode() + b"\n")
    from_records = None
    if lines:
        again = hashlib.sha256()
        for record in parsed:
            again.update(from_record(record, manifest).to_json().encode() + b"\n")
        from_records = again.hexdigest()
    best = dict.fromkeys(modes, float("inf"))
    for run in modes.values():  # warm up
        run()
    gc.collect()
    gc.freeze()
    clear = getattr(book.layout, "manifest", None)
    for _ in range(args.rounds):
        for name, run in modes.items():
            if clear is not None:  # every round fills messages and thresholds anew
                clear.clear_caches()
            gc.disable()
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
            gc.enable()
    print(
        json.dumps(
            {
                "cpu": cpu,
                "best_s": best,
                "to_json_sha256": digest.hexdigest(),
                "explained_from_records_sha256": from_records,
                "bytes_per_decision": len(decide(apps[0], ON).to_json().encode()),
                "bytes_per_record": len(lines[0].encode()) if lines else None,
            }
        )
    )


def extract(base: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", base, "src", "benchmarks", "rulesets"],
        check=True,
        capture_output=True,
    ).stdout
    tar = into / "base.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    return into


def run_worker(tree: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            "--benchmarks",
            str(tree / "benchmarks"),
            "--n",
            str(args.n),
            "--seed",
            str(args.seed),
            "--rounds",
            str(args.rounds),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode:
        raise SystemExit(f"worker on {tree} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="git revision to compare against")
    parser.add_argument("--n", type=int, default=4000, help="applications (default 4000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per worker")
    parser.add_argument("--alternations", type=int, default=2, help="base/checkout worker pairs")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--benchmarks", default=str(ROOT / "benchmarks"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = extract(args.base, Path(tmp))
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "now": []}
        for _ in range(args.alternations):
            runs["base"].append(run_worker(base_tree, args))
            runs["now"].append(run_worker(ROOT, args))
    best = {
        side: {mode: min(r["best_s"][mode] for r in results) for mode in results[0]["best_s"]}
        for side, results in runs.items()
    }
    rate = {side: {m: args.n / s for m, s in modes.items()} for side, modes in best.items()}
    now, base = rate["now"], rate["base"]
    same_bytes = runs["now"][0]["to_json_sha256"] == runs["base"][0]["to_json_sha256"]
    from_records = runs["now"][0]["explained_from_records_sha256"]
    ratios = {
        "decide_vs_baseline": now["decide"] / now["baseline"],
        "record_vs_baseline": now["record"] / now["baseline"],
        "to_json_vs_base_to_json": now["to_json"] / base["to_json"],
        "findings_vs_base_findings": now["findings"] / base["findings"],
        "explain_json_from_records_vs_base_to_json": now["explain_json"] / base["to_json"],
    }
    result = {
        "base": args.base,
        "n": args.n,
        "rounds": args.rounds,
        "alternations": args.alternations,
        "rates_per_s": rate,
        "ratios": ratios,
        "to_json_same_bytes_as_base": same_bytes,
        "explained_from_records_same_bytes": from_records == runs["now"][0]["to_json_sha256"],
        "bytes_per_decision": runs["now"][0]["bytes_per_decision"],
        "bytes_per_record": runs["now"][0]["bytes_per_record"],
        "total_s": time.perf_counter() - wall,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0 if same_bytes else 1
    print(f"decision records and explanations: checkout vs {args.base}")
    print(
        f"N={args.n}, best of {args.rounds} rounds x {args.alternations} alternations,"
        f" one pinned core per worker, gc off while timing"
    )
    print(f"{'mode':<14} {'base /s':>10} {'now /s':>10}")
    for mode in ("baseline", "decide", "record", "findings", "to_json", "explain_json"):
        b = f"{base[mode]:>10,.0f}" if mode in base else f"{'-':>10}"
        print(f"{mode:<14} {b} {now[mode]:>10,.0f}")
    print()
    for key, value in ratios.items():
        print(f"{key:<44} {value:6.2f}x")
    print(f"to_json bytes identical to {args.base}: {same_bytes}")
    print(f"records -> to_json bytes identical: {result['explained_from_records_same_bytes']}")
    print(
        f"bytes per decision: to_json {result['bytes_per_decision']:,},"
        f" record {result['bytes_per_record']:,}"
    )
    print(f"total {result['total_s']:.1f} s")
    return 0 if same_bytes else 1


if __name__ == "__main__":
    sys.exit(main())
