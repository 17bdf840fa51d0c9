"""What ``bansos-rules check`` reports: findings, cases, sections, coverage and the report."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from bansos_rules._decision import Text
from bansos_rules._messages import Lang, render

Kind = Literal["validation", "lint", "examples", "invariants", "engines", "coverage"]
Severity = Literal["error", "warning"]
KINDS: tuple[Kind, ...] = ("validation", "lint", "examples", "invariants", "engines", "coverage")
"""The kinds of check, in the order they run and are reported."""

DEFAULT_GENERATED = 200
"""How many applications are generated for the lints, the invariants and engine agreement."""

JSON_FORMAT = 1
"""Version of the JSON report's shape; raised when a key is removed or changes meaning."""


def bilingual(code: str, /, **args: Any) -> Text:
    """The message ``code`` in both languages."""
    return Text(render(code, "id", **args), render(code, "en", **args))


@dataclass(frozen=True)
class CheckFinding:
    """One problem found by a check: what kind, how bad, where, and why (in both languages)."""

    kind: Kind
    code: str
    severity: Severity
    message: Text
    file: str | None = None
    line: int | None = None
    column: int | None = None
    rule: str | None = None
    details: tuple[str, ...] = ()
    """Further lines: an example's mismatches, an invariant's counterexample, differences."""

    @property
    def location(self) -> str:
        """``file:line:column``, as much of it as is known (empty when nothing is)."""
        where = self.file or ""
        if self.file and self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def format(self, lang: Lang = "en") -> str:
        """``file:line: [rule] message (code)`` in ``lang``."""
        where = f"{self.location}: " if self.location else ""
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{where}{rule}{self.message(lang)} ({self.code})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with both languages."""
        return {
            "kind": self.kind,
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": {"id": self.message.id, "en": self.message.en},
            "details": list(self.details),
        }


@dataclass(frozen=True)
class CheckCase:
    """One thing checked: a file, a rule, a parameter, an example, an invariant or an engine."""

    kind: Kind
    name: str
    group: str
    """What the case belongs to: a ruleset id, or an engine's name."""
    file: str | None = None
    line: int | None = None
    findings: tuple[CheckFinding, ...] = ()
    skipped: Text | None = None
    seconds: float = 0.0

    @property
    def status(self) -> Literal["passed", "failed", "skipped"]:
        """``failed`` when a finding is an error; ``skipped`` when the case was not run."""
        if any(f.severity == "error" for f in self.findings):
            return "failed"
        return "skipped" if self.skipped is not None else "passed"

    @property
    def location(self) -> str:
        """``file:line`` of the case (as much as is known)."""
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "name": self.name,
            "group": self.group,
            "file": self.file,
            "line": self.line,
            "status": self.status,
            "skipped": _text_dict(self.skipped),
            "seconds": round(self.seconds, 4),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class CheckSection:
    """The cases of one kind of check, or why the kind was skipped."""

    kind: Kind
    cases: tuple[CheckCase, ...] = ()
    skipped: Text | None = None
    seconds: float = 0.0

    @property
    def findings(self) -> tuple[CheckFinding, ...]:
        """Every finding of every case."""
        return tuple(f for case in self.cases for f in case.findings)

    @property
    def status(self) -> Literal["passed", "failed", "skipped"]:
        """``failed`` when a case failed, ``skipped`` when the whole kind was not run."""
        if any(c.status == "failed" for c in self.cases):
            return "failed"
        return "skipped" if self.skipped is not None else "passed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "kind": self.kind,
            "status": self.status,
            "skipped": _text_dict(self.skipped),
            "seconds": round(self.seconds, 4),
            "cases": [c.to_dict() for c in self.cases],
        }


@dataclass(frozen=True)
class RuleCoverage:
    """How often the examples' decisions showed one rule passing and failing."""

    rule: str
    ruleset: str
    kind: str
    file: str
    line: int | None
    passed: int
    failed: int

    @property
    def covered(self) -> bool:
        """Seen both passing and failing."""
        return self.passed > 0 and self.failed > 0


@dataclass(frozen=True)
class Coverage:
    """Rule coverage by the worked examples."""

    rules: tuple[RuleCoverage, ...]
    minimum: float | None = None

    @property
    def covered(self) -> int:
        """How many rules were seen both ways."""
        return sum(r.covered for r in self.rules)

    @property
    def percent(self) -> float:
        """Covered rules as a percentage of all rules (100 when there are none)."""
        return 100.0 * self.covered / len(self.rules) if self.rules else 100.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "percent": round(self.percent, 2),
            "covered": self.covered,
            "total": len(self.rules),
            "minimum": self.minimum,
            "rules": [
                {
                    "rule": r.rule,
                    "ruleset": r.ruleset,
                    "kind": r.kind,
                    "file": r.file,
                    "line": r.line,
                    "passed": r.passed,
                    "failed": r.failed,
                    "covered": r.covered,
                }
                for r in self.rules
            ],
        }


@dataclass(frozen=True)
class CheckReport:
    """Everything :func:`run_check` found, section by section."""

    sections: tuple[CheckSection, ...]
    status: Literal["ok", "failed", "ruleset_error", "plugin_error"]
    """``ruleset_error``/``plugin_error`` when the rules did not load (nothing else ran)."""
    rulesets: tuple[tuple[str, str, str], ...] = ()
    """``(id, file, digest)`` of each loaded ruleset."""
    digest: str | None = None
    coverage: Coverage | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def findings(self) -> tuple[CheckFinding, ...]:
        """Every finding, section by section."""
        return tuple(f for s in self.sections for f in s.findings)

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(f.severity == "warning" for f in self.findings)

    @property
    def ok(self) -> bool:
        """No errors, and the rules loaded."""
        return self.status == "ok"

    def section(self, kind: Kind) -> CheckSection:
        """The section of ``kind``."""
        for s in self.sections:
            if s.kind == kind:
                return s
        raise KeyError(kind)

    # ---- renderers ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready mapping (the shape is documented in ``docs/cli.md``)."""
        from bansos_rules.check._json import report_dict

        return report_dict(self)

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_junit(self, lang: Lang = "en") -> str:
        """The report as JUnit XML: a ``testsuite`` per kind of check, a ``testcase`` per case.

        Errors become ``<failure>``s, cases not run ``<skipped>``, warnings ``<system-out>``.
        """
        from bansos_rules.check._junit import junit

        return junit(self, lang)

    def to_text(self, lang: Lang = "id", *, verbose: bool = False) -> str:
        """The report for people: a section per kind of check, then a summary line.

        :param verbose: also list every case that passed.
        """
        from bansos_rules.check._text import text

        return text(self, lang, verbose=verbose)

    def summary(self, lang: Lang = "id") -> str:
        """The one-line summary: the verdict, errors and warnings, what was checked, the time."""
        from bansos_rules.check._text import summary

        return summary(self, lang)


def _text_dict(text: Text | None) -> dict[str, str] | None:
    return None if text is None else {"id": text.id, "en": text.en}


def pct(value: float, lang: Lang) -> str:
    """``value`` as a percentage with one decimal (a comma in Indonesian), ``.0`` left out."""
    shown = f"{value:.1f}".removesuffix(".0")
    return (shown.replace(".", ",") if lang == "id" else shown) + "%"
