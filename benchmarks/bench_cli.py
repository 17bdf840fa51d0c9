#!/usr/bin/env python3
"""Benchmark ``bansos-rules evaluate`` on a large JSON Lines file: speed and peak memory.

Usage::

    python benchmarks/bench_cli.py [--n 100000] [--base-n 10000] [--base REV]

It writes ``--n`` applications to a temporary JSON Lines file (the worked applications of
``examples/applications.jsonl`` over and over, each with its own id), then runs, each command in
its own process pinned to one core (``os.sched_setaffinity``), output to ``/dev/null``:

- ``evaluate --format records`` on all ``--n`` applications, with this checkout;
- ``evaluate --format records`` on the first ``--n``/10, to show memory does not grow with input;
- ``evaluate --format jsonl`` on the first ``--base-n``, with this checkout;
- ``evaluate --format jsonl`` on the first ``--base-n``, with the code at ``--base`` (extracted
  with ``git archive``): today's rate to compare against.

Rates are applications per second of wall time (the whole command: start-up, reading,
validation, deciding, writing); peak memory is the child's maximum resident set size as
``os.wait4`` reports it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "c666570"
ON = "2025-06-01"


def write_input(path: Path, n: int) -> None:
    """``n`` applications: the worked examples repeated, each with a distinct id."""
    examples = [
        json.loads(line)
        for line in (ROOT / "examples" / "applications.jsonl").read_text().splitlines()
        if line.strip()
    ]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            app = dict(examples[i % len(examples)])
            app["id"] = f"{app['id']}-{i:07d}"
            out.write(json.dumps(app, ensure_ascii=False) + "\n")


def head(source: Path, target: Path, n: int) -> None:
    with source.open(encoding="utf-8") as inp, target.open("w", encoding="utf-8") as out:
        for i, line in enumerate(inp):
            if i == n:
                break
            out.write(line)


def run(src: Path, args: list[str], cpu: int | None) -> dict[str, Any]:
    """Run the command with ``src`` first on the path; wall seconds, peak RSS and exit status."""
    env = {**os.environ, "PYTHONPATH": str(src)}

    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bansos_rules.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=pin,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{err.decode()}")
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="applications (default 100000)")
    parser.add_argument(
        "--base-n", type=int, default=10_000, help="applications for the jsonl runs (10000)"
    )
    parser.add_argument("--base", default=DEFAULT_BASE, help="git revision to compare against")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    cpu = sorted(os.sched_getaffinity(0))[-1] if hasattr(os, "sched_getaffinity") else None
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", args.base, "src", "rulesets"],
            check=True,
            capture_output=True,
        ).stdout
        (tmpdir / "base.tar").write_bytes(archive)
        with tarfile.open(tmpdir / "base.tar") as t:
            t.extractall(tmpdir / "base", filter="data")
        big = tmpdir / "applications.jsonl"
        write_input(big, args.n)
        small = tmpdir / "small.jsonl"
        head(big, small, max(1, args.n // 10))
        some = tmpdir / "some.jsonl"
        head(big, some, args.base_n)
        now, base = ROOT / "src", tmpdir / "base" / "src"
        common = ["--on", ON, "-o", os.devnull]
        results = {
            "records": run(now, ["evaluate", str(big), "--format", "records", *common], cpu),
            "records_tenth": run(
                now, ["evaluate", str(small), "--format", "records", *common], cpu
            ),
            "jsonl": run(now, ["evaluate", str(some), "--format", "jsonl", *common], cpu),
            "base_jsonl": run(base, ["evaluate", str(some), "--format", "jsonl", *common], cpu),
        }
        size = big.stat().st_size
    counts = {
        "records": args.n,
        "records_tenth": max(1, args.n // 10),
        "jsonl": args.base_n,
        "base_jsonl": args.base_n,
    }
    for key, result in results.items():
        result["applications"] = counts[key]
        result["per_s"] = counts[key] / result["seconds"]
    ratio = results["records"]["per_s"] / results["base_jsonl"]["per_s"]
    summary = {
        "base": args.base,
        "input_mib": size / 2**20,
        "pinned_cpu": cpu,
        "results": results,
        "records_vs_base_jsonl": ratio,
        "jsonl_vs_base_jsonl": results["jsonl"]["per_s"] / results["base_jsonl"]["per_s"],
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"bansos-rules evaluate: checkout vs {args.base}, one pinned core (CPU {cpu})")
    print(f"input: {args.n:,} applications, {size / 2**20:.0f} MiB of JSON Lines")
    print(f"{'run':<40} {'apps':>8} {'seconds':>8} {'apps/s':>8} {'peak MiB':>9}")
    labels = {
        "records": "--format records (checkout)",
        "records_tenth": "--format records, a tenth (checkout)",
        "jsonl": "--format jsonl (checkout)",
        "base_jsonl": f"--format jsonl ({args.base})",
    }
    for key, r in results.items():
        print(
            f"{labels[key]:<40} {r['applications']:>8,} {r['seconds']:>8.1f}"
            f" {r['per_s']:>8,.0f} {r['peak_rss_mib']:>9.0f}"
        )
    print(f"records vs {args.base} jsonl: {ratio:.1f}x")
    print(f"jsonl vs {args.base} jsonl: {summary['jsonl_vs_base_jsonl']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
