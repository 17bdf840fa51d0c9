"""``bansos-rules monitor diff OLD [NEW]``: what a change to the monitoring ruleset does.

OLD and NEW are a monitoring ruleset file, a directory holding one, or a git revision
(``REV`` for its ``rulesets/monitoring.yaml``, ``REV:path`` for another file or directory), as
for ``bansos-rules diff``. The report lists the parameters, streaks, transitions and alerts that
were added, removed or changed, and the impact: the cases of a reproducible synthetic program
whose state or open alerts differ between the two rulesets on a few days.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bansos_rules.monitoring._ruleset import (
    MonitoringRuleset,
    is_monitoring_file,
    load_monitoring_ruleset,
)
from bansos_rules.monitoring._service import Monitor

__all__ = ["MonitoringDiff", "diff_monitoring", "open_monitoring_side"]

DAYS = (date(2025, 12, 1), date(2026, 6, 1), date(2027, 6, 1))
"""The days the impact is measured on."""


class MonitoringSourceError(Exception):
    """OLD or NEW names no monitoring ruleset."""


@contextmanager
def open_monitoring_side(spec: str, cwd: Path | None = None) -> Iterator[Path]:
    """The monitoring ruleset file named by ``spec``; a git revision's is extracted."""
    from bansos_rules.diff._sources import _git, repo_root

    where = cwd or Path.cwd()
    path = Path(spec) if Path(spec).is_absolute() else where / spec
    if path.exists():
        found = [path] if path.is_file() else sorted(path.glob("*.y*ml"))
        found = [p for p in found if is_monitoring_file(p)]
        if not found:
            raise MonitoringSourceError(f"{spec}: no monitoring ruleset (a 'monitoring:' key)")
        yield found[0]
        return
    root = repo_root(where)
    if root is None:
        raise MonitoringSourceError(f"{spec!r} is not a file or directory, nor a git revision")
    rev, colon, inner = spec.partition(":")
    inner = inner.strip("/") if colon else "rulesets"
    kind = _git(["cat-file", "-t", f"{rev}:{inner}"], root)
    if kind.returncode != 0:
        raise MonitoringSourceError(f"{spec!r}: no {inner!r} at revision {rev!r}")
    names = [inner]
    if kind.stdout.decode().strip() == "tree":
        listing = _git(["ls-tree", "-z", "--name-only", f"{rev}:{inner}"], root)
        names = [
            f"{inner}/{n}"
            for n in listing.stdout.decode().split("\0")
            if n.endswith((".yaml", ".yml"))
        ]
    with tempfile.TemporaryDirectory(prefix="bansos-monitor-diff-") as tmp:
        for name in names:
            blob = _git(["cat-file", "blob", f"{rev}:{name}"], root)
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob.stdout)
            if is_monitoring_file(target):
                yield target
                return
        raise MonitoringSourceError(f"{spec!r}: no monitoring ruleset in {inner} at {rev}")


@dataclass
class MonitoringDiff:
    """What changed between two monitoring rulesets, and what it does to cases."""

    old: str
    new: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    cases: int = 0
    days: tuple[date, ...] = DAYS
    state_flips: int = 0
    alert_changes: int = 0
    flips: dict[str, int] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "changes": self.changes,
            "impact": {
                "cases": self.cases,
                "days": [d.isoformat() for d in self.days],
                "state_changes": self.state_flips,
                "alert_changes": self.alert_changes,
                "flips": self.flips,
                "samples": self.samples,
            },
        }

    def markdown(self, lang: str = "en") -> str:
        en = lang != "id"
        title = "Monitoring ruleset" if en else "Ruleset pemantauan"
        out = [f"## {title}: `{self.old}` → `{self.new}`", ""]
        if not self.changes:
            out.append(
                "No change to the monitoring ruleset."
                if en
                else "Ruleset pemantauan tidak berubah."
            )
        else:
            head = (
                "| what | id | change | old | new |"
                if en
                else "| apa | id | perubahan | lama | baru |"
            )
            out += [head, "|---|---|---|---|---|"]
            for c in self.changes:
                out.append(
                    f"| {c['what']} | `{c['id']}` | {c['change']} | {_cell(c.get('old'))} | "
                    f"{_cell(c.get('new'))} |"
                )
        days = ", ".join(d.isoformat() for d in self.days)
        out += [
            "",
            f"Impact on {self.cases} synthetic cases on {days}: {self.state_flips} case-days "
            f"change state, {self.alert_changes} change open alerts."
            if en
            else f"Dampak pada {self.cases} kasus buatan per {days}: {self.state_flips} "
            f"kasus-hari berubah keadaan, {self.alert_changes} berubah peringatan terbuka.",
        ]
        if self.flips:
            head = (
                "| old state → new state | case-days |"
                if en
                else "| keadaan lama → keadaan baru | kasus-hari |"
            )
            out += ["", head, "|---|---|"]
            out += [f"| {k} | {v} |" for k, v in sorted(self.flips.items())]
        for s in self.samples:
            out.append(
                f"- `{s['application_id']}` on {s['on']}: {s['old_state']} {s['old_alerts']} → "
                f"{s['new_state']} {s['new_alerts']}"
            )
        return "\n".join(out) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ")


def _items(rs: MonitoringRuleset) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for name, p in rs.parameters.items():
        found[("parameter", name)] = {
            "values": [[str(q.start), str(q.until or ""), q.value] for q in p.periods]
        }
    for name, spec in rs.states.items():
        found[("state", name)] = {"terminal": spec.terminal, "title": spec.title.model_dump()}
    for s in rs.streaks:
        found[("streak", s.id)] = {"visit": s.expr.source.strip()}
    for t in rs.transitions:
        found[("transition", t.id)] = {
            "from": sorted(t.source),
            "to": t.to,
            "when": t.when.source.strip() if t.when else None,
            "after_months": t.after_months,
            "reason": t.reason.model_dump(),
            "reference": t.reference,
        }
    for a in rs.alerts:
        found[("alert", a.id)] = {
            "when": a.when.source.strip(),
            "severity": a.severity,
            "states": sorted(a.states),
            "reason": a.reason.model_dump(),
            "reference": a.reference,
        }
    return found


def diff_monitoring(
    old: MonitoringRuleset,
    new: MonitoringRuleset,
    *,
    old_label: str = "old",
    new_label: str = "new",
    families: int = 300,
    seed: int = 2025,
) -> MonitoringDiff:
    """The structural changes from ``old`` to ``new`` and their impact on ``families``
    synthetic cases (``synthetic_program(families, 24, seed=seed)``)."""
    from bansos_rules.testing.timelines import synthetic_program

    result = MonitoringDiff(old_label, new_label)
    a, b = _items(old), _items(new)
    for key in [*a, *(k for k in b if k not in a)]:
        what, ident = key
        if key not in b:
            result.changes.append({"what": what, "id": ident, "change": "removed", "old": a[key]})
        elif key not in a:
            result.changes.append({"what": what, "id": ident, "change": "added", "new": b[key]})
        else:
            for name in a[key]:
                if a[key][name] != b[key].get(name):
                    result.changes.append(
                        {
                            "what": what,
                            "id": ident,
                            "change": name,
                            "old": a[key][name],
                            "new": b[key].get(name),
                        }
                    )
    cases, events = synthetic_program(families, 24, seed=seed)
    by_case: dict[str, list[Any]] = {}
    for e in events:
        by_case.setdefault(e.application_id, []).append(e)
    before, after = Monitor(old), Monitor(new)
    result.cases = len(cases)
    for case in cases:
        evs = by_case.get(case.application_id, [])
        for day in DAYS:
            x = before.evaluate(case, evs, day)
            y = after.evaluate(case, evs, day)
            moved = x.state != y.state
            alerts = sorted(x.alert_ids) != sorted(y.alert_ids)
            if moved:
                result.state_flips += 1
                flip = f"{x.state} → {y.state}"
                result.flips[flip] = result.flips.get(flip, 0) + 1
            if alerts:
                result.alert_changes += 1
            if (moved or alerts) and len(result.samples) < 10:
                result.samples.append(
                    {
                        "application_id": case.application_id,
                        "on": day.isoformat(),
                        "old_state": x.state,
                        "new_state": y.state,
                        "old_alerts": list(x.alert_ids),
                        "new_alerts": list(y.alert_ids),
                    }
                )
    return result


def run_diff(
    old_spec: str, new_spec: str, fmt: str, families: int, lang: str = "en"
) -> tuple[str, int]:
    """The report text and the number of case-days whose state changed."""
    with open_monitoring_side(old_spec) as old_path:
        old = load_monitoring_ruleset(old_path)
    with open_monitoring_side(new_spec) as new_path:
        new = load_monitoring_ruleset(new_path)
    result = diff_monitoring(old, new, old_label=old_spec, new_label=new_spec, families=families)
    if fmt == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n", (
            result.state_flips
        )
    return result.markdown(lang), result.state_flips
