"""The JSON rendering of a diff report (its shape is documented in ``docs/cli.md``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from bansos_rules._decision import Text
from bansos_rules.diff._impact import Applicant, Tally, Transition
from bansos_rules.diff._report import DiffReport
from bansos_rules.diff._structure import FieldChange

JSON_FORMAT = "bansos-rules-diff/1"
"""The ``format`` field of :func:`to_json` documents; bumped when the shape changes."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Text):
        return {"id": value.id, "en": value.en}
    if isinstance(value, list | tuple | frozenset | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _transition_json(key: Transition) -> dict[str, str]:
    return {"from": key[0].value, "to": key[1].value}


def _tally_json(tally: Tally) -> dict[str, Any]:
    return {
        "applications": tally.applications,
        "changed": tally.changed,
        "newly_approved": tally.gained,
        "no_longer_approved": tally.lost,
        "outcomes": {
            side: {o.value: n for o, n in tally.outcomes(side).items()} for side in ("old", "new")
        },
        "transitions": [{**_transition_json(k), "count": n} for k, n in tally.transitions()],
        "aid": {"old": tally.aid_old, "new": tally.aid_new, "delta": tally.aid_delta},
        "aid_changed": tally.aid_changed,
    }


def _applicant_json(ex: Applicant) -> dict[str, Any]:
    return {
        **_transition_json((ex.old_outcome, ex.new_outcome)),
        "application_id": ex.application_id,
        "where": ex.where,
        "name": ex.name,
        "regency": ex.regency,
        "business_type": ex.business_type,
        "plan_total": ex.plan_total,
        "on": ex.on.isoformat(),
        "aid": {"old": ex.old_aid, "new": ex.new_aid},
        "rules": [
            {
                "rule": c.rule,
                "old": c.old,
                "new": c.new,
                "old_on_fail": c.old_on_fail,
                "new_on_fail": c.new_on_fail,
            }
            for c in ex.rules
        ],
        "shrunk": ex.shrunk,
        "application": _jsonable(ex.application),
    }


def to_dict(report: DiffReport) -> dict[str, Any]:
    """The report as JSON-ready data (the shape is documented in ``docs/cli.md``)."""
    structure = report.structure
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "old": {"label": report.old, "digest": structure.old_digest},
        "new": {"label": report.new, "digest": structure.new_digest},
        "summary": {
            kind: {change: counts[change] for change in ("added", "removed", "changed")}
            for kind, counts in structure.counts().items()
        },
        "rulesets": [
            {
                "id": rs.id,
                "change": rs.change,
                "title": _jsonable(rs.title),
                "fields": [_field_json(f) for f in rs.fields],
                "examples": {"old": rs.examples[0], "new": rs.examples[1]},
                "invariants": {"old": rs.invariants[0], "new": rs.invariants[1]},
                "rules": [
                    {
                        "id": r.id,
                        "change": r.change,
                        "title": _jsonable(r.title),
                        "fields": [_field_json(f) for f in r.fields],
                    }
                    for r in rs.rules
                ],
                "parameters": [
                    {
                        "name": p.name,
                        "change": p.change,
                        "unit": p.unit,
                        "used_by": list(p.used_by),
                        "fields": [_field_json(f) for f in p.fields],
                        "values": [
                            {
                                "from": v.start.isoformat(),
                                "until": v.until.isoformat() if v.until else None,
                                "key": v.key,
                                "old": _jsonable(v.old),
                                "new": _jsonable(v.new),
                            }
                            for v in p.values
                        ],
                    }
                    for p in rs.parameters
                ],
            }
            for rs in structure.rulesets
        ],
        "impact": None,
    }
    imp = report.impact
    if imp is not None:
        doc["impact"] = {
            "population": imp.population,
            "sources": list(imp.sources),
            "on": imp.on.isoformat() if imp.on else None,
            "on_reason": imp.on_reason,
            "records": imp.records,
            "compared": imp.compared,
            "invalid": [{"where": i.where, "problem": _jsonable(i.problem)} for i in imp.invalid],
            "total": _tally_json(imp.total),
            "rules_behind": [
                {**_transition_json(k), "rules": dict(c.most_common())}
                for k, c in imp.rules_behind.items()
            ],
            "by_regency": [
                {"code": code, "name": imp.regency_names.get(code), **_tally_json(t)}
                for code, t in imp.by_regency.items()
            ],
            "by_business_type": [
                {"code": code, **_tally_json(t)} for code, t in imp.by_business_type.items()
            ],
            "examples": [_applicant_json(e) for found in imp.examples.values() for e in found],
        }
    return doc


def _field_json(change: FieldChange) -> dict[str, Any]:
    return {"field": change.field, "old": _jsonable(change.old), "new": _jsonable(change.new)}


def to_json(report: DiffReport) -> str:
    """:func:`to_dict` as indented JSON; the same report always gives the same text."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
