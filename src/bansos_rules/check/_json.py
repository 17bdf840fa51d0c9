"""The JSON rendering of a check report (its shape is documented in ``docs/cli.md``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bansos_rules.check._model import JSON_FORMAT

if TYPE_CHECKING:
    from bansos_rules.check._model import CheckReport


def report_dict(report: CheckReport) -> dict[str, Any]:
    """``report`` as a JSON-ready mapping."""
    cases = [c for s in report.sections for c in s.cases]
    return {
        "format": JSON_FORMAT,
        "status": report.status,
        "ok": report.ok,
        "digest": report.digest,
        "rulesets": [
            {"id": rid, "file": file, "digest": "sha256:" + dig}
            for rid, file, dig in report.rulesets
        ],
        "settings": report.settings,
        "summary": {
            "errors": report.errors,
            "warnings": report.warnings,
            "cases": len(cases),
            "failed": sum(c.status == "failed" for c in cases),
            "skipped": sum(c.status == "skipped" for c in cases),
        },
        "sections": [s.to_dict() for s in report.sections],
        "findings": [f.to_dict() for f in report.findings],
        "coverage": report.coverage.to_dict() if report.coverage else None,
        "seconds": round(report.seconds, 3),
    }
