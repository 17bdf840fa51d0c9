#!/usr/bin/env python3
"""Hostile and careless ruleset files: how many are handled cleanly, and how fast they are refused.

Usage::

    taskset -c 1 python benchmarks/bench_hostile_rulesets.py [--mutants 1000] [--rounds 3]

What it does:

1. loads every file of the mistake corpus (``tests/broken/``, ``tests/broken_files/``), a set of
   generated attacks (nested loops, huge numbers, tags, hidden characters, a 20 MB reference) and
   ``--mutants`` seeded random damages of the built-in rulesets, each with :func:`load_rules` as
   the command line does, and counts: refused with located diagnostics, loaded (the damage was
   harmless), or anything else (a traceback: the script then exits 1);
2. times refusing the 20 MB file against the baseline of parsing the same text with PyYAML's
   fastest safe loader (what loading it took before the size limit), best of ``--rounds``;
3. times refusing twelve nested loops over the plan's items, and prints the bound on their work
   (what ``evaluate`` would have tried to do for one application).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

from bansos_rules import load_rules
from bansos_rules._errors import RulesetError

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "rulesets"
BASE = (ROOT / "tests" / "broken" / "expr_unknown_name.yaml").read_text(encoding="utf-8")
BASE = BASE.replace("aplicant", "applicant")
CHECK = "check: applicant.age >= params.min_age"
TRICKY = [
    "\t", "\r", "\x00", "\x1b[31m", "\u202e", "\u2066", "\u200b", "\ufeff", "\u2028", "\x85",
    "!!str ", "!!binary ", "&a ", "*a", "<<: ", "{", "}", "[", "]", ":", "- ", "#", "'", '"',
    "0x1F", "1:30", "0b1", "017", "9" * 25, "-", "2025-02-30", "~", "\uff41", "\\", "\n  ",
    "all(", " for x in plan.items)", "params.", "__", "**",
]  # fmt: skip


def nested(n: int) -> str:
    """``n`` nested ``all(... for x in plan.items)`` loops, each reading its own item."""
    names = [f"x{i}" for i in range(n)]
    text = " and ".join(f"{v}.quantity > 0" for v in names)
    for v in reversed(names):
        text = f"all({text} for {v} in plan.items)"
    return text


def attacks() -> dict[str, bytes]:
    """Generated hostile files, by name."""
    found = {
        "twelve_nested_loops": BASE.replace(CHECK, "check: " + nested(12)),
        "hex_parameter": BASE.replace("value: 18", "value: 0xFF"),
        "base60_parameter": BASE.replace("value: 18", "value: 190:20:30"),
        "number_past_64_bits": BASE.replace("value: 18", "value: " + "9" * 30),
        "number_of_5000_digits": BASE.replace("value: 18", "value: " + "9" * 5000),
        "negative_age": BASE.replace("value: 18", "value: -1"),
        "python_object_tag": BASE.replace(
            "ruleset: broken", "ruleset: !!python/object:os.system x"
        ),
        "tag_on_sequence": BASE.replace("values:", "values: !!seq", 1),
        "fullwidth_name": BASE.replace(CHECK, "check: \uff41pplicant.age >= params.min_age"),
        "bidi_in_message": BASE.replace("en: Working age", 'en: "Working \\u202eage"'),
        "ansi_in_message": BASE.replace("en: Working age", 'en: "\\e[2J\\e[HWorking age"'),
        "billion_laughs": "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + BASE,
        "empty": "",
        "only_comments": "# nothing here\n",
        "twenty_mb_reference": BASE.replace(
            "reference: Preseden", "reference: " + "Pasal 1 ayat 1. " * 1_300_000 + "Preseden", 1
        ),
    }
    encoded = {name: text.encode("utf-8") for name, text in found.items()}
    encoded["latin1"] = BASE.replace("Aturan", "Atur\u00e9n").encode("latin-1")
    encoded["utf16"] = BASE.encode("utf-16")
    return encoded


def mutants(count: int, seed: int = 0) -> dict[str, bytes]:
    rng = random.Random(seed)
    sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(REAL.glob("*.yaml"))}
    found = {}
    for i in range(count):
        name = rng.choice(sorted(sources))
        text = sources[name]
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(TRICKY) + text[at:]
        found[f"mutant_{i:04d}_{name}"] = text.encode("utf-8")
    return found


def classify(path: Path) -> str:
    try:
        load_rules([path], plugin_rulesets=False)
    except RulesetError as exc:
        located = all(
            d.line is not None and d.message("id") and d.message("en") for d in exc.diagnostics
        )
        return "refused, located" if located and exc.diagnostics else "refused, NOT located"
    except Exception as exc:  # the thing this benchmark exists to catch
        return f"TRACEBACK {type(exc).__name__}: {exc}"
    return "loaded"


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus: dict[str, Path] = {}
        for path in sorted(
            [
                *(ROOT / "tests" / "broken").glob("*.yaml"),
                *(ROOT / "tests" / "broken_files").glob("*.yaml"),
            ]
        ):
            corpus[f"corpus/{path.name}"] = path
        for group in (attacks(), mutants(args.mutants)):
            for name, data in group.items():
                target = folder / f"{name}.yaml"
                target.write_bytes(data)
                corpus[name] = target
        outcomes: Counter[str] = Counter()
        failures = []
        t0 = time.perf_counter()
        for name, path in corpus.items():
            kind = classify(path)
            outcomes[kind.split(":")[0] if kind.startswith("TRACEBACK") else kind] += 1
            if kind.startswith("TRACEBACK") or kind == "refused, NOT located":
                failures.append(f"{name}: {kind}")
        seconds = time.perf_counter() - t0
        total = sum(outcomes.values())
        clean = outcomes["refused, located"] + outcomes["loaded"]
        print(
            f"hostile ruleset files: {total} ({len(corpus) - args.mutants} corpus and attacks, "
            f"{args.mutants} mutants) in {seconds:.1f} s"
        )
        for kind, n in sorted(outcomes.items()):
            print(f"  {kind:<20} {n:>6}")
        print(f"handled cleanly: {clean}/{total}")
        for line in failures[:20]:
            print("  " + line)

        big = folder / "twenty_mb_reference.yaml"
        text = big.read_text(encoding="utf-8")
        refuse = best(lambda: classify(big), args.rounds)
        parse = best(lambda: yaml.load(text, Loader=yaml.CSafeLoader), args.rounds)
        print(
            f"{len(text) / 1e6:.1f} MB reference: refused in {refuse * 1000:.1f} ms; "
            f"parsing it with PyYAML's C loader (baseline) {parse * 1000:.0f} ms; "
            f"ratio {parse / refuse:.0f}x"
        )

        deep = folder / "twelve_nested_loops.yaml"
        refuse = best(lambda: classify(deep), args.rounds)
        print(
            f"twelve nested loops over plan.items: refused at load in {refuse * 1000:.1f} ms "
            f"(bound {nested_bound():,} steps for one application)"
        )
    return 1 if failures else 0


def nested_bound() -> int:
    from bansos_rules._manager import load_plugins
    from bansos_rules.ruleset.loader import load_ruleset

    registry, _ = load_plugins().collect()
    text = BASE.replace(CHECK, "check: " + nested(12))
    try:
        load_ruleset(text, "x.yaml", registry)
    except RulesetError as exc:
        return int(exc.diagnostics[0].args["work"])
    raise AssertionError("twelve nested loops loaded")


if __name__ == "__main__":
    sys.exit(main())
