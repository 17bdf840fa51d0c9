#!/usr/bin/env python3
"""Time ``bansos-rules check`` on the built-in rulesets: an earlier revision against this checkout.

Usage::

    python benchmarks/bench_check.py [--base REV] [--rounds 3] [--generated 200] [--json]

What it does:

1. checks out ``--base`` (default: the revision before check shared one generated population)
   into a temporary git worktree, removed at the end;
2. runs ``run_check(generated=N)`` in a fresh interpreter for each side, alternating base and
   current, ``--rounds`` times, each with ``PYTHONPATH`` set to that side's ``src/`` (so the
   plugins' entry points import that side's code); the child times ``run_check`` alone and
   checks the report is clean (0 errors, 0 warnings, coverage 100%);
3. prints each side's best time in seconds and the ratio base / current.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "c17d8ae^"
"""The last revision where check drew applications twice (lint's own, the invariants' own)."""

CHILD = """
import json, sys, time
from bansos_rules.check import run_check
t0 = time.perf_counter()
report = run_check(generated=int(sys.argv[1]))
seconds = time.perf_counter() - t0
clean = report.errors == 0 and report.warnings == 0 and report.coverage.percent == 100.0
print(json.dumps({"seconds": seconds, "clean": clean, "module": run_check.__module__}))
"""


def run_side(src: Path, generated: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(generated)],
        env=env,
        cwd=src.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=3, help="runs per side; the best counts")
    parser.add_argument("--generated", type=int, default=200, help="applications generated")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(base), args.base],
            cwd=ROOT,
            check=True,
        )
        try:
            sides = {"base": base / "src", "current": ROOT / "src"}
            times: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(args.rounds):
                for name, src in sides.items():
                    result = run_side(src, args.generated)
                    if not result["clean"]:
                        print(f"{name}: check did not pass cleanly: {result}", file=sys.stderr)
                        return 1
                    seconds = result["seconds"]
                    assert isinstance(seconds, float)
                    times[name].append(seconds)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    best = {name: min(found) for name, found in times.items()}
    ratio = best["base"] / best["current"]
    if args.json:
        print(json.dumps({"base": args.base, "best_seconds": best, "ratio": ratio}))
    else:
        print(f"check, built-in rulesets, --generated {args.generated}, best of {args.rounds}")
        print(f"  base ({args.base}): {best['base']:.2f} s")
        print(f"  current:           {best['current']:.2f} s")
        print(f"  speed-up:          {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
