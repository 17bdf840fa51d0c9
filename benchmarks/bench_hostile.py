#!/usr/bin/env python3
"""Hostile application files: how many ``bansos-rules evaluate`` handles cleanly, and at what cost.

Usage::

    python benchmarks/bench_hostile.py [--rounds 3] [--cpu 1] [--json]

The inputs are every file of ``tests/hostile_input/`` (one mistake each, between two valid
applications) and larger ones written to a temporary directory: lines of megabytes, nesting
hundreds of thousands of levels deep, numbers of half a million digits, a key written fifty
thousand times, CSV cells past the csv module's limit, a batch in which every other record is
hostile. Each file is decided by ``evaluate --format records`` in a child process pinned to one
core. A run is *clean* when:

- no Python traceback is printed;
- the exit status is 0 (all decided) or 1 (some records invalid, each reported);
- the summary reconciles, ``records = decided + invalid``, with the number of records the file
  holds, and each valid application in it is decided.

Times are the best of ``--rounds`` runs (wall time of the whole command, start-up included), and
"x clean" is each one divided by the time of a file of the same valid applications without the
hostile record, measured in the same run. Peak memory is the child's maximum resident set size
(``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "hostile_input"
SUMMARY = re.compile(
    r"(\d+) (?:catatan|records) = (\d+) (?:diputuskan|decided) .*\+ (\d+) (?:tidak valid|invalid)"
)


@dataclass
class Case:
    name: str
    path: Path
    records: int  # records the file holds
    valid: int  # of which valid applications


def _examples() -> list[str]:
    lines = (ROOT / "examples" / "applications.jsonl").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()][:2]


def write_cases(tmp: Path) -> tuple[Case, list[Case]]:
    """The clean baseline and every hostile case."""
    first, last = _examples()
    cases = []
    for path in sorted(CORPUS.iterdir()):
        valid = 3 if path.name in _VALID_FIXTURES else 2
        if path.name == "csv_duplicate_column.csv":
            valid = 0  # a repeated column makes every row ambiguous
        cases.append(Case(f"fixture {path.name}", path, 3, valid))

    def jsonl(name: str, middle: str) -> Case:
        path = tmp / name
        path.write_text(f"{first}\n{middle}\n{last}\n", encoding="utf-8")
        return Case(name, path, 3, 2)

    clean = tmp / "clean.jsonl"
    clean.write_text(f"{first}\n{last}\n", encoding="utf-8")
    baseline = Case("clean (2 valid records)", clean, 2, 2)
    cases += [
        jsonl("line_5mb.jsonl", '{"id": "' + "x" * 5_000_000 + '"}'),
        jsonl("nested_400k.jsonl", "[" * 400_000 + "]" * 400_000),
        jsonl("number_500k_digits.jsonl", '{"id": "n", "x": ' + "9" * 500_000 + "}"),
        jsonl("list_50k_items.jsonl", '{"id": "l", "x": [' + ",".join(["1"] * 50_000) + "]}"),
        jsonl("key_50k_times.jsonl", "{" + ",".join(['"id": "k"'] * 50_000) + "}"),
        jsonl("raw_nul_and_escapes.jsonl", '{"id": "\x00\x1b[2J", "\x1b]0;owned\x07": 1}'),
        jsonl("u2028_outside_strings.jsonl", '{"id":\u2028"x"}'),
    ]
    deep = tmp / "array_nested_2m.json"
    deep.write_text(f"[{first},\n{'[' * 2_000_000}{']' * 2_000_000},\n{last}]", encoding="utf-8")
    cases.append(Case(deep.name, deep, 3, 2))
    scalars = tmp / "array_text_and_number_2mb.json"
    big = "7" * 2_000_000
    scalars.write_text(f'[{first},\n"{big}",\n{big},\n{last}]', encoding="utf-8")
    cases.append(Case(scalars.name, scalars, 4, 2))
    cells = [("csv_cell_5mb.csv", "y" * 5_000_000), ("csv_cell_500kb.csv", "y" * 500_000)]
    for name, cell in cells:
        path = tmp / name
        path.write_text(f"id,applicant.name\nA,x\nB,{cell}\nC,z\n", encoding="utf-8")
        cases.append(Case(name, path, 3, 0))  # the rows have no other field: none is valid
    mixed = tmp / "mixed_1000.jsonl"
    hostile = ["[" * 5000 + "]" * 5000, '{"a": 1, "a": 2}', "1" * 5000, "NaN", "\x1b[2J", "{"]
    with mixed.open("w", encoding="utf-8") as out:
        for i in range(1000):
            out.write((first if i % 2 == 0 else hostile[i % len(hostile)]) + "\n")
    cases.append(Case(mixed.name, mixed, 1000, 500))
    return baseline, cases


_VALID_FIXTURES = {
    "jsonl_line_separators_in_text.jsonl",
    "jsonl_escapes_in_name.jsonl",
    "csv_line_separator_in_cell.csv",
    "csv_semicolon_decimal_comma.csv",
}


def run(path: Path, cpu: int | None) -> dict[str, Any]:
    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        command = ["-m", "bansos_rules.cli", "evaluate", str(path), "--format", "records"]
        proc = subprocess.Popen(
            [sys.executable, *command],
            env=env,
            stdout=out,
            stderr=err,
            preexec_fn=pin,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "code": proc.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
            "seconds": seconds,
            "peak_mb": usage.ru_maxrss / 1024,
        }


def judge(case: Case, result: dict[str, Any]) -> str | None:
    """Why the run is not clean, or ``None``."""
    if "Traceback" in result["stderr"]:
        return "traceback"
    if result["code"] not in (0, 1):
        return f"exit {result['code']}"
    match = SUMMARY.search(result["stderr"])
    if match is None:
        return "no summary"
    records, decided, invalid = map(int, match.groups())
    if records != decided + invalid or records != case.records:
        return f"summary {records} = {decided} + {invalid}, file holds {case.records}"
    if decided != case.valid or len(result["stdout"].splitlines()) != decided:
        return f"{decided} decided, {case.valid} valid"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=1, help="core to pin to (-1: none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cpu = None if args.cpu < 0 else args.cpu
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline, cases = write_cases(Path(tmp))
        best: dict[str, float] = {}
        results: dict[str, dict[str, Any]] = {}
        for _ in range(args.rounds):  # round-robin: the baseline and every case in each round
            for case in [baseline, *cases]:
                result = run(case.path, cpu)
                best[case.name] = min(best.get(case.name, float("inf")), result["seconds"])
                results[case.name] = result
        base = best[baseline.name]
        for case in [baseline, *cases]:
            result = results[case.name]
            problem = judge(case, result)
            rows.append(
                {
                    "case": case.name,
                    "size_kb": round(case.path.stat().st_size / 1024),
                    "exit": result["code"],
                    "records": case.records,
                    "seconds": round(best[case.name], 3),
                    "x_clean": round(best[case.name] / base, 2),
                    "peak_mb": round(result["peak_mb"] or 0),
                    "clean": problem is None,
                    "problem": problem,
                }
            )
    hostile = rows[1:]
    handled = sum(r["clean"] for r in hostile)
    if args.json:
        print(json.dumps({"handled": handled, "total": len(hostile), "rows": rows}, indent=2))
    else:
        print(f"python {sys.version.split()[0]}; best of {args.rounds}; pinned to cpu {cpu}")
        print(f"{'case':46} {'KiB':>6} {'exit':>4} {'s':>7} {'x clean':>8} {'MiB':>5}  clean")
        for r in rows:
            verdict = "yes" if r["clean"] else f"NO: {r['problem']}"
            print(
                f"{r['case'][:46]:46} {r['size_kb']:>6} {r['exit']:>4} {r['seconds']:>7.3f} "
                f"{r['x_clean']:>8.2f} {r['peak_mb']:>5}  {verdict}"
            )
        print(f"handled cleanly: {handled}/{len(hostile)} hostile inputs")
    return 0 if handled == len(hostile) else 1


if __name__ == "__main__":
    sys.exit(main())
