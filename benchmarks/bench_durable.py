"""Benchmark the durable engine against durable_rules' own C path on the same facts.

1. Makes ``--n`` applications with ``bench_native``'s generator (the same mix of eligible and
   broken applications) and decides them once with the durable engine, recording every fact it
   hands to durable_rules (the exact JSON text and the ruleset it goes to).
2. Times, round-robin and best of ``--repeat``, pinned to one core, GC off:

   - (raw) the C core alone on the recorded facts: ``assert_fact``, run the actions it starts,
     ``retract_fact`` — what any program using durable_rules must pay for these decisions;
   - (raw+dumps) the same, with each fact a Python dict serialised by ``json.dumps`` first, as a
     program that posts dicts to durable_rules does;
   - (durable) ``engine.decide`` on the applications: fact building, the C core, settling each
     rule's result and the decision record.

   "x raw" is the durable engine's rate divided by the raw C path's rate in the same run; 1.0
   would mean the engine adds nothing to durable_rules itself.

::

    python benchmarks/bench_durable.py                # N=5000, best of 5
    python benchmarks/bench_durable.py --n 2000 --repeat 3 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import bansos_rules
except ImportError:  # not installed: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import bansos_rules

from bansos_rules import load_rules
from bench_native import DEFAULT_ON, generate, pin_to_one_core


def record_facts(engine: Any, apps: Sequence[Any], on: date) -> list[tuple[int, str]]:
    """Every ``(ruleset handle, fact JSON)`` the engine fires while deciding ``apps``."""
    core = engine.core
    seen: list[tuple[int, str]] = []
    real = core._core

    class Recorder:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def assert_fact(self, handle: int, text: str) -> Any:
            seen.append((handle, text))
            return real.assert_fact(handle, text)

    core._core = Recorder()
    try:
        for app in apps:
            engine.decide(app, on)
    finally:
        core._core = real
    return seen


def raw_path(core: Any, facts: Sequence[tuple[int, str]]) -> int:
    """durable_rules' C calls for each fact, as the engine makes them; the actions run."""
    fired = 0
    for handle, text in facts:
        core.assert_fact(handle, text)
        started = core.start_action(handle)
        if started:
            message, action = started[1], started[2]
            while message:
                fired += 1
                message = core.complete_and_start_action(handle, action)
        core.retract_fact(handle, text)
    return fired


def raw_path_from_dicts(core: Any, facts: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """:func:`raw_path`, serialising each fact from a dict first."""
    dumps = json.dumps
    return raw_path(core, [(handle, dumps(fact)) for handle, fact in facts])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5_000, help="applications (default 5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="runs per mode; best counts")
    parser.add_argument("--cpu", type=int, default=None, help="core to pin to (default: last)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    cpu = pin_to_one_core(args.cpu)
    book = load_rules()
    try:
        engine = book.engine("durable")
    except bansos_rules.EngineUnavailableError as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    on = DEFAULT_ON
    records, _ = generate(args.n, args.seed, on)
    apps = [book.validate(r) for r in records]
    native = book.engine("native")
    for app in apps:  # correct first: the two engines agree on every application
        a, b = native.decide(app, on), engine.decide(app, on)
        if (a.outcome, a.results, a.scores) != (b.outcome, b.results, b.scores):
            print(f"ABORTED: engines disagree on {app.id}", file=sys.stderr)
            return 1
    facts = record_facts(engine, apps, on)
    core = engine.core._core

    as_dicts = [(handle, json.loads(text)) for handle, text in facts]

    def run_raw() -> None:
        raw_path(core, facts)

    def run_raw_dumps() -> None:
        raw_path_from_dicts(core, as_dicts)

    def run_durable() -> None:
        decide = engine.decide
        for app in apps:
            decide(app, on)

    modes: dict[str, Callable[[], None]] = {
        "raw": run_raw,
        "raw_dumps": run_raw_dumps,
        "durable": run_durable,
    }
    times: dict[str, list[float]] = {name: [] for name in modes}
    for run in modes.values():
        run()  # warm up
    gc.collect()
    for _ in range(args.repeat):
        for name, run in modes.items():
            gc.disable()
            try:
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
            finally:
                gc.enable()
    raw, durable = min(times["raw"]), min(times["durable"])
    result = {
        "n": args.n,
        "facts": len(facts),
        "facts_per_application": len(facts) / args.n,
        "cpu": cpu,
        "raw_per_s": args.n / raw,
        "durable_per_s": args.n / durable,
        "durable_x_raw": raw / durable,
        "durable_x_raw_dumps": min(times["raw_dumps"]) / durable,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{args.n:,} applications, {len(facts):,} facts "
        f"({len(facts) / args.n:.1f} per application), pinned to core {cpu}, "
        f"best of {args.repeat}"
    )
    print(f"{'mode':<34}{'applications/s':>16}{'µs each':>11}{'x raw':>8}")
    for name, label in (
        ("raw", "(raw) durable_rules C path alone"),
        ("raw_dumps", "(raw+dumps) facts from dicts"),
        ("durable", "(durable) engine.decide"),
    ):
        best = min(times[name])
        print(f"{label:<34}{args.n / best:>16,.0f}{best / args.n * 1e6:>11.1f}{raw / best:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
