"""``bansos-rules monitor check``: what CI verifies of a monitoring ruleset.

1. the file loads (every problem with ``file:line:column``);
2. every worked example gives the state, alerts and history it expects, on both engines;
3. on generated timelines (hypothesis, derandomized), both engines give the same bytes and every
   invariant holds; a failure is shrunk to a small timeline, printed as JSON Lines events;
4. coverage: each transition and alert is reached by at least one worked example.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from bansos_rules.monitoring._ruleset import CaseInfo
from bansos_rules.monitoring._service import Monitor, event_lines

__all__ = ["MonitoringCheck", "check_monitoring", "run_check"]

Lang = Literal["id", "en"]
DAYS = (date(2025, 9, 1), date(2026, 3, 1), date(2027, 1, 1))
"""The days generated timelines are judged on."""


@dataclass
class MonitoringCheck:
    """The findings of a check."""

    ruleset: str
    digest: str
    examples: int = 0
    example_failures: list[str] = field(default_factory=list)
    generated: int = 0
    disagreements: list[str] = field(default_factory=list)
    invariant_failures: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    reached_generated: Counter[str] = field(default_factory=Counter)

    @property
    def coverage(self) -> float:
        total = len(self.covered) + len(self.uncovered)
        return 100.0 if not total else 100.0 * len(self.covered) / total

    @property
    def ok(self) -> bool:
        return not (self.example_failures or self.disagreements or self.invariant_failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "digest": self.digest,
            "ok": self.ok,
            "examples": self.examples,
            "example_failures": self.example_failures,
            "generated_timelines": self.generated,
            "disagreements": self.disagreements,
            "invariant_failures": self.invariant_failures,
            "coverage_percent": round(self.coverage, 1),
            "uncovered": self.uncovered,
        }


class _Found(Exception):
    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


def _timeline_text(case: CaseInfo, events: list[Any]) -> str:
    head = json.dumps(
        {
            "application_id": case.application_id,
            "regency": case.regency,
            "business_type": case.business_type,
            "sex": case.sex,
        }
    )
    return f"case {head}\n{event_lines(events)}"


def check_monitoring(
    monitor: Monitor, *, examples: int = 200, engines: tuple[str, ...] = ("native", "durable")
) -> MonitoringCheck:
    """Check ``monitor``'s ruleset: worked examples, engines, invariants, coverage."""
    rs = monitor.ruleset
    result = MonitoringCheck(rs.id, rs.digest)
    reached: set[str] = set()
    for engine in engines:
        for outcome in monitor.run_examples(engine):
            result.examples += 1
            where = f"{outcome.example.file}:{outcome.example.line}"
            for problem in outcome.problems:
                result.example_failures.append(
                    f"{where}: [{engine}] {outcome.example.name}: {problem}"
                )
            reached.update(h.rule for h in outcome.state.history)
            reached.update(outcome.state.alert_ids)
    ids = [t.id for t in rs.transitions] + [a.id for a in rs.alerts]
    result.covered = [i for i in ids if i in reached]
    result.uncovered = [i for i in ids if i not in reached]

    if examples > 0:
        from hypothesis import HealthCheck, Phase, given, settings

        from bansos_rules.testing.timelines import timelines

        count = 0

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.generate, Phase.shrink),
            print_blob=False,
        )
        @given(timelines())
        def judge(timeline: tuple[CaseInfo, list[Any]]) -> None:
            nonlocal count
            count += 1
            case, events = timeline
            for on in DAYS:
                states = [monitor.evaluate(case, events, on, engine=e) for e in engines]
                first = states[0]
                for other in states[1:]:
                    if other.to_json() != first.to_json():
                        raise _Found(
                            "disagreement",
                            f"on {on}: {engines[0]} {first.to_json()}\n"
                            f"{other.engine} {other.to_json()}\n" + _timeline_text(case, events),
                        )
                broken = monitor.violations(first)
                if broken:
                    raise _Found(
                        "invariant",
                        f"{', '.join(broken)} on {on}: {first.to_json()}\n"
                        + _timeline_text(case, events),
                    )
                for h in first.history:
                    result.reached_generated[h.rule] += 1
                for a in first.alert_ids:
                    result.reached_generated[a] += 1

        try:
            judge()
        except _Found as found:
            target = (
                result.disagreements if found.kind == "disagreement" else result.invariant_failures
            )
            target.append(found.text)
        result.generated = count
    return result


def run_check(path: Path | None, args: argparse.Namespace, lang: Lang) -> int:
    """The ``monitor check`` command."""
    monitor = Monitor(path)
    result = check_monitoring(monitor, examples=args.examples)
    low = args.min_coverage is not None and result.coverage < args.min_coverage
    if args.fmt == "json":
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in result.example_failures:
            print(f"GAGAL {line}" if lang == "id" else f"FAIL  {line}")
        for text in result.disagreements:
            head = "mesin tidak sepakat" if lang == "id" else "engines disagree"
            print(f"{head}: {text}")
        for text in result.invariant_failures:
            head = "invarian dilanggar" if lang == "id" else "invariant broken"
            print(f"{head}: {text}")
        if lang == "id":
            print(
                f"{result.examples} contoh (kedua mesin), {len(result.example_failures)} gagal; "
                f"{result.generated} lini masa buatan; cakupan {result.coverage:.0f}%"
                + (f" (belum tercakup: {', '.join(result.uncovered)})" if result.uncovered else "")
            )
        else:
            print(
                f"{result.examples} examples (both engines), "
                f"{len(result.example_failures)} failed; "
                f"{result.generated} generated timelines; coverage {result.coverage:.0f}%"
                + (f" (not covered: {', '.join(result.uncovered)})" if result.uncovered else "")
            )
        if result.ok and not low:
            print("ok")
    if result.example_failures:
        return 7
    if not result.ok or low:
        return 8
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_check(None, argparse.Namespace(examples=50, min_coverage=None, fmt="text"), "en"))
