"""``bansos-rules check``: everything CI verifies about a set of rulesets, in one report.

:func:`run_check` loads the rulesets and runs six kinds of check, each a section of the
:class:`CheckReport`:

``validation``
    every ruleset file loads (structure, parameters, expressions, examples' applications);
``lint``
    parameters no rule or invariant uses, placeholder references, rules that never apply, never
    fail or never pass on generated applications (unless an example shows they do), rules whose
    checks are identical or each other's negation, pairs of rules never met together, and rules
    that raise on a valid application;
``examples``
    the worked examples, on every engine that is available;
``invariants``
    the rulesets' invariants, on generated applications;
``engines``
    every engine other than ``native`` decides the same generated applications as ``native``;
``coverage``
    each rule was seen both passing and failing in the examples' decisions.

The report renders as text for people (:meth:`CheckReport.to_text`, Indonesian or English), as
JSON (:meth:`CheckReport.to_json`) and as JUnit XML for CI systems (:meth:`CheckReport.to_junit`).
"""

from __future__ import annotations

import ast
import json
import re
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bansos_rules._api import load_rules, ruleset_files
from bansos_rules._manager import Plugins, load_plugins
from bansos_rules.decision import Decision, RuleError, Status, Text
from bansos_rules.errors import (
    EngineUnavailableError,
    PluginError,
    RulesetError,
    path_of,
)
from bansos_rules.messages import Lang, label, render

if TYPE_CHECKING:
    from bansos_rules.book import RuleBook
    from bansos_rules.examples import ExampleResult
    from bansos_rules.invariants import InvariantResult
    from bansos_rules.models import Application
    from bansos_rules.ruleset.ir import Rule

__all__ = [
    "DEFAULT_GENERATED",
    "KINDS",
    "CheckCase",
    "CheckFinding",
    "CheckReport",
    "CheckSection",
    "Coverage",
    "RuleCoverage",
    "generated_applications",
    "run_check",
]

Kind = Literal["validation", "lint", "examples", "invariants", "engines", "coverage"]
Severity = Literal["error", "warning"]
KINDS: tuple[Kind, ...] = ("validation", "lint", "examples", "invariants", "engines", "coverage")
"""The kinds of check, in the order they run and are reported."""

DEFAULT_GENERATED = 200
"""How many applications are generated for the lints, the invariants and engine agreement."""

JSON_FORMAT = 1
"""Version of the JSON report's shape; raised when a key is removed or changes meaning."""

_STATUS = {True: Status.PASSED, False: Status.FAILED, None: Status.NOT_APPLICABLE}
_SHOWN_DIFFERENCES = 20  # applications listed for an engine that disagrees; the rest are counted
_MIN_SHARED = 10  # applications two rules must both apply to before "never met together" counts
_PLACEHOLDER_REFERENCE = re.compile(
    r"^[\W_]*(todo|tbd|fixme|xx+|n/?a|none|null|nil|test|uji|kosong|belum ada|tidak ada|"
    r"lorem ipsum|isi nanti|tba)?[\W_]*$",
    re.IGNORECASE,
)


def _text(code: str, /, **args: Any) -> Text:
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

    # ---- JSON ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready mapping (the shape is documented in ``docs/cli.md``)."""
        cases = [c for s in self.sections for c in s.cases]
        return {
            "format": JSON_FORMAT,
            "status": self.status,
            "ok": self.ok,
            "digest": self.digest,
            "rulesets": [
                {"id": rid, "file": file, "digest": "sha256:" + dig}
                for rid, file, dig in self.rulesets
            ],
            "settings": self.settings,
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "cases": len(cases),
                "failed": sum(c.status == "failed" for c in cases),
                "skipped": sum(c.status == "skipped" for c in cases),
            },
            "sections": [s.to_dict() for s in self.sections],
            "findings": [f.to_dict() for f in self.findings],
            "coverage": self.coverage.to_dict() if self.coverage else None,
            "seconds": round(self.seconds, 3),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    # ---- JUnit XML ------------------------------------------------------------------------------

    def to_junit(self, lang: Lang = "en") -> str:
        """The report as JUnit XML: a ``testsuite`` per kind of check, a ``testcase`` per case.

        Errors become ``<failure>``s, cases not run ``<skipped>``, warnings ``<system-out>``.
        """
        root = ET.Element("testsuites", name="bansos-rules check")
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        for section in self.sections:
            cases = section.cases or (
                (CheckCase(section.kind, section.kind, section.kind, skipped=section.skipped),)
                if section.skipped is not None
                else ()
            )
            suite = ET.SubElement(root, "testsuite", name=section.kind)
            counts = {
                "tests": len(cases),
                "failures": sum(c.status == "failed" for c in cases),
                "errors": 0,
                "skipped": sum(c.status == "skipped" for c in cases),
            }
            for key, value in counts.items():
                suite.set(key, str(value))
                if key in totals:
                    totals[key] += value
            suite.set("time", f"{section.seconds:.3f}")
            for case in cases:
                suite.append(_junit_case(case, lang))
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("errors", "0")
        root.set("time", f"{self.seconds:.3f}")
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"

    # ---- text ---------------------------------------------------------------------------------

    def to_text(self, lang: Lang = "id", *, verbose: bool = False) -> str:
        """The report for people: a section per kind of check, then a summary line.

        :param verbose: also list every case that passed.
        """
        out: list[str] = []
        for section in self.sections:
            out.append(f"== {label('check_' + section.kind, lang)} ==")
            if section.skipped is not None and not section.cases:
                out.append(f"{label('check_skipped', lang)}: {section.skipped(lang)}")
                continue
            if section.kind == "coverage" and self.coverage is not None:
                out.append(self._coverage_line(lang))
            for case in section.cases:
                out.extend(_case_lines(case, lang, verbose=verbose))
            out.append(_section_count(section, lang))
        out.append(self.summary(lang))
        return "\n".join(out) + "\n"

    def _coverage_line(self, lang: Lang) -> str:
        cov = self.coverage
        assert cov is not None
        minimum = ""
        if cov.minimum is not None:
            minimum = f" ({label('check_minimum', lang)} {_pct(cov.minimum, lang)})"
        return (
            f"{label('check_coverage', lang)}: {cov.covered}/{len(cov.rules)} "
            f"{label('check_rules', lang)} = {_pct(cov.percent, lang)}{minimum}"
        )

    def summary(self, lang: Lang = "id") -> str:
        """The one-line summary: the verdict, errors and warnings, what was checked, the time."""
        verdict = label("check_ok" if self.ok else "check_failed", lang)
        parts = [
            f"{self.errors} {label('check_errors', lang)}",
            f"{self.warnings} {label('check_warnings', lang)}",
        ]
        checked: list[str] = []
        for section in self.sections:
            if section.skipped is not None and not section.cases:
                continue
            name = label("check_" + section.kind, lang).lower()
            if section.kind == "coverage" and self.coverage is not None:
                checked.append(f"{name} {_pct(self.coverage.percent, lang)}")
                continue
            statuses = [c.status for c in section.cases]
            shown = f"{name} {statuses.count('passed')}/{len(statuses)} {label('passed', lang)}"
            if statuses.count("skipped"):
                shown += f" ({statuses.count('skipped')} {label('check_skipped', lang)})"
            checked.append(shown)
        seconds = f"{self.seconds:.1f}"
        if lang == "id":
            seconds = seconds.replace(".", ",")
        tail = f" · {'; '.join(checked)}" if checked else ""
        return (
            f"{label('summary', lang)}: {verdict} — {', '.join(parts)}{tail} · "
            f"{seconds} {label('check_seconds', lang)}"
        )


def _text_dict(text: Text | None) -> dict[str, str] | None:
    return None if text is None else {"id": text.id, "en": text.en}


def _pct(value: float, lang: Lang) -> str:
    shown = f"{value:.1f}".removesuffix(".0")
    return (shown.replace(".", ",") if lang == "id" else shown) + "%"


def _junit_case(case: CheckCase, lang: Lang) -> ET.Element:
    element = ET.Element("testcase", classname=f"{case.kind}.{case.group}", name=case.name)
    if case.file:
        element.set("file", case.file)
    if case.line is not None:
        element.set("line", str(case.line))
    element.set("time", f"{case.seconds:.3f}")
    errors = [f for f in case.findings if f.severity == "error"]
    warnings = [f for f in case.findings if f.severity == "warning"]
    if errors:
        failure = ET.SubElement(
            element, "failure", message=errors[0].format(lang), type=errors[0].code
        )
        failure.text = "\n".join(_finding_block(f, lang) for f in errors)
    elif case.skipped is not None:
        ET.SubElement(element, "skipped", message=case.skipped(lang))
    if warnings:
        out = ET.SubElement(element, "system-out")
        out.text = "\n".join(
            f"{label('check_warning', lang)}: {_finding_block(f, lang)}" for f in warnings
        )
    return element


def _finding_block(finding: CheckFinding, lang: Lang) -> str:
    return "\n".join([finding.format(lang), *(f"    {d}" for d in finding.details)])


def _case_lines(case: CheckCase, lang: Lang, *, verbose: bool) -> list[str]:
    lines: list[str] = []
    if not case.findings:
        if case.skipped is not None:
            mark = label("check_skipped", lang).upper()
            lines.append(f"{mark:11}{case.location or case.name}  {case.skipped(lang)}")
        elif verbose:
            lines.append(f"{label('example_ok', lang):11}{case.location}  {case.name}".rstrip())
        return lines
    for f in case.findings:
        mark = label("check_" + f.severity, lang).upper()
        rule = f"[{f.rule}] " if f.rule else ""
        where = f.location or case.location
        where += "  " if where else ""
        lines.append(f"{mark:11}{where}{rule}{f.message(lang)} ({f.code})")
        lines.extend(f"{'':11}    {d}" for d in f.details)
    return lines


def _section_count(section: CheckSection, lang: Lang) -> str:
    failed = sum(c.status == "failed" for c in section.cases)
    skipped = sum(c.status == "skipped" for c in section.cases)
    warnings = sum(f.severity == "warning" for f in section.findings)
    line = (
        f"{len(section.cases)} {label('check_checked', lang)}: "
        f"{len(section.cases) - failed - skipped} {label('passed', lang)}, "
        f"{failed} {label('failed', lang)}"
    )
    if skipped:
        line += f", {skipped} {label('check_skipped', lang)}"
    if warnings:
        line += f", {warnings} {label('check_warnings', lang)}"
    return line


# ---- running the checks ------------------------------------------------------------------------


def run_check(
    paths: Iterable[str | Path] = (),
    *,
    block: Iterable[str] = (),
    plugin_rulesets: bool = True,
    plugins: Plugins | None = None,
    generated: int = DEFAULT_GENERATED,
    on: date | None = None,
    min_coverage: float | None = None,
    strict: bool = False,
    skip: Iterable[Kind] = (),
) -> CheckReport:
    """Load the rulesets and check them: validation, lint, examples, invariants, engines, coverage.

    Never raises for a broken ruleset or plugin: that is reported as a validation failure.

    :param paths: ruleset files or directories, loaded as with ``--rulesets`` (a file whose id is
        also a plugin's replaces the plugin's ruleset).
    :param block: plugin names not to load.
    :param plugin_rulesets: when false, only the rulesets in ``paths`` are loaded.
    :param plugins: a plugin manager to use instead of discovering plugins.
    :param generated: how many applications to generate for the lints, the invariants and engine
        agreement (the same, seeded, every run); 0 skips every check that needs them.
    :param on: the date generated applications are decided on (default 2025-06-01).
    :param min_coverage: a percentage; rule coverage below it is an error.
    :param strict: turn every warning into an error.
    :param skip: kinds of check not to run (``validation`` always runs).
    """
    started = time.perf_counter()
    skipped = frozenset(skip)
    files = [Path(p) for p in paths]
    settings: dict[str, Any] = {
        "generated": generated,
        "on": (on or _default_on()).isoformat(),
        "strict": strict,
        "min_coverage": min_coverage,
        "skip": [k for k in KINDS if k in skipped],
        "engines": [],
    }
    t0 = time.perf_counter()
    try:
        plugins = plugins or load_plugins(block=block)
        book = load_rules(files, plugins=plugins, plugin_rulesets=plugin_rulesets)
    except RulesetError as exc:
        return _load_failure(exc, files, plugins, plugin_rulesets, settings, started, t0)
    except PluginError as exc:
        finding = CheckFinding(
            "validation", "check-plugin", "error", _text("check-plugin", detail=exc)
        )
        case = CheckCase("validation", exc.plugin, "plugins", findings=(finding,))
        return _finish_load_failure("plugin_error", case, settings, started, t0)
    settings["engines"] = list(book.engines)
    validation = CheckSection(
        "validation",
        tuple(CheckCase("validation", rs.file, rs.id, rs.file, 1) for rs in book.rulesets),
        seconds=time.perf_counter() - t0,
    )
    runner = _Runner(book, generated, on or _default_on(), min_coverage, skipped)
    sections = [validation, *runner.run()]
    if strict:
        sections = [_strict(s) for s in sections]
    status: Literal["ok", "failed"] = (
        "failed" if any(s.status == "failed" for s in sections) else "ok"
    )
    return CheckReport(
        tuple(sections),
        status,
        tuple((rs.id, rs.file, rs.digest) for rs in book.rulesets),
        book.digest,
        runner.coverage,
        settings,
        time.perf_counter() - started,
    )


def _default_on() -> date:
    return date(2025, 6, 1)


_NOT_STRICT = frozenset({"check-engine-unavailable"})
"""Warnings about this machine rather than the rulesets: ``--strict`` leaves them warnings."""


def _strict(section: CheckSection) -> CheckSection:
    def promoted(f: CheckFinding) -> CheckFinding:
        return f if f.code in _NOT_STRICT else replace(f, severity="error")

    cases = tuple(
        replace(c, findings=tuple(promoted(f) for f in c.findings)) for c in section.cases
    )
    return replace(section, cases=cases)


def _load_failure(
    exc: RulesetError,
    paths: Sequence[Path],
    plugins: Plugins | None,
    plugin_rulesets: bool,
    settings: dict[str, Any],
    started: float,
    t0: float,
) -> CheckReport:
    files: list[str] = []
    if plugin_rulesets and plugins is not None:
        registry, _ = plugins.collect()
        files.extend(path_of(str(source.path)) for source, _ in registry.rulesets)
    files.extend(path_of(p) for p in ruleset_files(paths))
    by_file: dict[str, list[CheckFinding]] = {f: [] for f in dict.fromkeys(files)}
    for d in exc.diagnostics:
        finding = CheckFinding(
            "validation",
            d.code,
            "error",
            Text(d.message("id"), d.message("en")),
            d.file,
            d.line,
            d.column,
            d.rule,
        )
        by_file.setdefault(d.file, []).append(finding)
    cases = tuple(
        CheckCase("validation", file, "files", file, findings=tuple(found))
        for file, found in by_file.items()
    )
    return _finish_load_failure("ruleset_error", cases, settings, started, t0)


def _finish_load_failure(
    status: Literal["ruleset_error", "plugin_error"],
    cases: CheckCase | tuple[CheckCase, ...],
    settings: dict[str, Any],
    started: float,
    t0: float,
) -> CheckReport:
    cases = (cases,) if isinstance(cases, CheckCase) else cases
    reason = _text("check-skipped-load")
    sections = [CheckSection("validation", cases, seconds=time.perf_counter() - t0)]
    sections.extend(CheckSection(kind, skipped=reason) for kind in KINDS[1:])
    return CheckReport(
        tuple(sections), status, settings=settings, seconds=time.perf_counter() - started
    )


@dataclass
class _Tally:
    """What one rule did across many decisions."""

    applied: int = 0
    passed: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    applied_mask: int = 0
    passed_mask: int = 0

    def add(self, index: int, status: Status, application_id: str, error: str | None) -> None:
        if status is Status.NOT_APPLICABLE:
            return
        self.applied += 1
        self.applied_mask |= 1 << index
        if status is Status.PASSED:
            self.passed += 1
            self.passed_mask |= 1 << index
        elif status is Status.FAILED:
            self.failed += 1
        else:
            self.errors.append((application_id, error or "?"))


class _Runner:
    """Runs every kind of check but validation on one loaded book."""

    def __init__(
        self,
        book: RuleBook,
        generated: int,
        on: date,
        min_coverage: float | None,
        skip: frozenset[Kind],
    ) -> None:
        self.book = book
        self.generated = generated
        self.on = on
        self.min_coverage = min_coverage
        self.skip = skip
        self.coverage: Coverage | None = None
        self.rules: tuple[Rule, ...] = tuple(r for rs in book.rulesets for r in rs.rules)
        self._apps: list[Application] | None = None
        self._apps_problem: Text | None = None
        self._native: list[Decision] = []
        self._example_results: list[ExampleResult] = []
        # Statuses each rule showed in the examples' decisions (score rules: every candidate).
        self.seen: dict[str, dict[Status, int]] = {r.id: defaultdict(int) for r in self.rules}
        self.met_together: set[tuple[str, str]] = set()
        self.negated: set[frozenset[str]] = set()

    def run(self) -> list[CheckSection]:
        """The sections after validation, in :data:`KINDS` order."""
        order: list[tuple[Kind, Callable[[], CheckSection]]] = [
            ("examples", self.examples),
            ("lint", self.lint),
            ("invariants", self.invariants),
            ("engines", self.engines),
            ("coverage", self.coverage_section),
        ]
        done: dict[Kind, CheckSection] = {}
        for kind, step in order:
            if kind in self.skip:
                done[kind] = CheckSection(kind, skipped=_text("check-skipped-option", kind=kind))
                continue
            t0 = time.perf_counter()
            section = step()
            done[kind] = replace(section, seconds=section.seconds or time.perf_counter() - t0)
        return [done[k] for k in KINDS[1:]]

    # ---- examples -------------------------------------------------------------------------------

    def _run_examples(self, engine: str) -> list[CheckCase]:
        from bansos_rules.examples import check_example

        cases = []
        for rs in self.book.rulesets:
            for example in rs.examples:
                t0 = time.perf_counter()
                findings: tuple[CheckFinding, ...] = ()
                try:
                    result = check_example(self.book, example, engine=engine)
                except Exception as exc:  # an engine that raises is a failed example, not a crash
                    detail = f"{type(exc).__name__}: {exc}"
                    message = _text(
                        "check-example-raised", name=example.name, engine=engine, detail=detail
                    )
                    findings = (
                        CheckFinding(
                            "examples",
                            "check-example-raised",
                            "error",
                            message,
                            example.file,
                            example.line,
                        ),
                    )
                else:
                    if engine == "native":
                        self._example_results.append(result)
                    if not result.ok:
                        message = _text("check-example-failed", name=example.name, engine=engine)
                        findings = (
                            CheckFinding(
                                "examples",
                                "check-example-failed",
                                "error",
                                message,
                                example.file,
                                example.line,
                                details=result.mismatches,
                            ),
                        )
                cases.append(
                    CheckCase(
                        "examples",
                        example.name,
                        f"{engine}.{rs.id}",
                        example.file,
                        example.line,
                        findings,
                        seconds=time.perf_counter() - t0,
                    )
                )
        return cases

    def examples(self) -> CheckSection:
        cases = self._run_examples("native")
        self._record_seen()
        for name in self.book.engines:
            if name == "native":
                continue
            try:
                self.book.engine(name)
            except Exception:  # unavailable, or failed to compile: reported under engines
                continue
            cases.extend(self._run_examples(name))
        return CheckSection("examples", tuple(cases))

    def _record_seen(self) -> None:
        by_id = {r.id: r for r in self.rules}
        for result in self._example_results:
            decision = result.decision
            passed: list[str] = []
            for finding in decision.findings:
                self.seen[finding.rule_id][finding.status] += 1
                if finding.status is Status.PASSED and by_id[finding.rule_id].on_fail != "none":
                    passed.append(finding.rule_id)
            for rec in decision.recommendations:
                for finding in rec.reasons:
                    self.seen[finding.rule_id][finding.status] += 1
            self.met_together.update((a, b) for a in passed for b in passed)

    def _ensure_examples(self) -> None:
        if not self._example_results and "examples" in self.skip:
            from bansos_rules.examples import run_examples

            self._example_results = list(run_examples(self.book))
            self._record_seen()

    # ---- generated applications ---------------------------------------------------------------

    def applications(self) -> list[Application] | None:
        """The generated applications (made once), or ``None`` with :attr:`_apps_problem` set."""
        if self._apps is not None or self._apps_problem is not None:
            return self._apps
        if self.generated <= 0:
            self._apps_problem = _text("check-skipped-generated")
            return None
        try:
            self._apps = generated_applications(self.book, self.generated, on=self.on)
        except ImportError:
            self._apps_problem = _text("check-skipped-hypothesis")
            return None
        except Exception as exc:  # a broken strategy plugin: report it, run the other checks
            detail = f"{type(exc).__name__}: {exc}"
            self._apps_problem = _text("check-generation-failed", detail=detail)
            return None
        try:
            engine = self.book.engine("native")
            self._native = [engine.decide(app, self.on) for app in self._apps]
        except RulesetError as exc:
            self._apps = None
            self._apps_problem = _text(
                "check-not-in-force",
                on=self.on.isoformat(),
                detail_id=exc.format("id"),
                detail_en=exc.format("en"),
            )
        return self._apps

    # ---- lint -----------------------------------------------------------------------------------

    def lint(self) -> CheckSection:
        self._ensure_examples()
        found: dict[str, list[CheckFinding]] = defaultdict(list)
        for rs in self.book.rulesets:
            used = set(self.book.layout.used_params.get(rs.id, ()))
            for inv in getattr(rs, "invariants", ()):
                used.update(getattr(inv, "params", ()))
            for name, param in rs.parameters.items():
                key = f"{rs.id}/param/{name}"
                if name not in used:
                    found[key].append(
                        self._lint("lint-param-unused", rs.file, param.line, name=name)
                    )
                for ref in dict.fromkeys(p.reference for p in param.periods):
                    if _PLACEHOLDER_REFERENCE.match(ref):
                        found[key].append(
                            self._lint(
                                "lint-param-reference",
                                rs.file,
                                param.line,
                                name=name,
                                reference=ref,
                            )
                        )
            for rule in rs.rules:
                if _PLACEHOLDER_REFERENCE.match(rule.reference):
                    found[rule.id].append(
                        self._lint(
                            "lint-rule-reference",
                            rs.file,
                            rule.line,
                            rule=rule,
                            reference=rule.reference,
                        )
                    )
        self._lint_same_checks(found)
        problem = self._lint_generated(found)
        cases = []
        for rs in self.book.rulesets:
            for rule in rs.rules:
                cases.append(
                    CheckCase("lint", rule.id, rs.id, rs.file, rule.line, tuple(found[rule.id]))
                )
            for name, param in rs.parameters.items():
                key = f"{rs.id}/param/{name}"
                cases.append(
                    CheckCase(
                        "lint", f"params.{name}", rs.id, rs.file, param.line, tuple(found[key])
                    )
                )
        if problem is not None:
            cases.append(CheckCase("lint", "generated", "generated", skipped=problem))
        return CheckSection("lint", tuple(cases))

    def _lint(
        self,
        code: str,
        file: str,
        line: int | None,
        *,
        rule: Rule | None = None,
        severity: Severity = "warning",
        details: tuple[str, ...] = (),
        **args: Any,
    ) -> CheckFinding:
        return CheckFinding(
            "lint",
            code,
            severity,
            _text(code, **args),
            file,
            line,
            rule=rule.id if rule else None,
            details=details,
        )

    def _lint_same_checks(self, found: dict[str, list[CheckFinding]]) -> None:
        first: dict[tuple[Any, ...], Rule] = {}
        negations: dict[tuple[Any, ...], Rule] = {}
        for rule in self.rules:
            parsed = _expr(rule.check_source)
            if parsed is None:
                continue
            tree = _canonical(parsed)
            when = _expr(rule.when_source)
            condition = None if when is None else ast.dump(_canonical(when))
            scope = (rule.kind, rule.applies_to, condition)
            key = (*scope, ast.dump(tree))
            other = first.get(key)
            if other is not None:
                found[rule.id].append(
                    self._lint(
                        "lint-same-check",
                        self._file(rule),
                        rule.line,
                        rule=rule,
                        other=other.id,
                        where=self._where(other),
                    )
                )
            else:
                first[key] = rule
            if rule.kind != "requirement" or rule.on_fail == "none":
                continue
            other = negations.get(key)
            if other is not None:
                self.negated.add(frozenset((rule.id, other.id)))
                found[rule.id].append(
                    self._lint(
                        "lint-negated-check",
                        self._file(rule),
                        rule.line,
                        rule=rule,
                        other=other.id,
                        where=self._where(other),
                    )
                )
            negations.setdefault((*scope, ast.dump(_canonical(_negate(tree)))), rule)

    def _file(self, rule: Rule) -> str:
        return next(rs.file for rs in self.book.rulesets if rs.id == rule.ruleset)

    def _where(self, rule: Rule) -> str:
        file = self._file(rule)
        return f"{file}:{rule.line}" if rule.line is not None else file

    def _lint_generated(self, found: dict[str, list[CheckFinding]]) -> Text | None:
        apps = self.applications()
        if apps is None:
            return self._apps_problem
        tallies: dict[str, _Tally] = {r.id: _Tally() for r in self.rules}
        layout = self.book.layout
        for index, decision in enumerate(self._native):
            app_id = f"#{index + 1} {decision.application_id}"
            for rule, result in zip(layout.rules, decision.results, strict=True):
                if isinstance(result, RuleError):
                    tallies[rule.id].add(index, Status.ERROR, app_id, result.detail)
                else:
                    tallies[rule.id].add(index, _STATUS[result], app_id, None)
            for rec in decision.recommendations:
                for finding in rec.reasons:
                    tallies[finding.rule_id].add(index, finding.status, app_id, finding.error)
        count = len(self._native)
        for rule in self.rules:
            tally = tallies[rule.id]
            seen = self.seen[rule.id]
            where = (self._file(rule), rule.line)
            if tally.errors:
                app_id, detail = tally.errors[0]
                found[rule.id].append(
                    self._lint(
                        "lint-rule-error",
                        *where,
                        rule=rule,
                        severity="error",
                        count=len(tally.errors),
                        application=app_id,
                        detail=detail,
                    )
                )
            if tally.applied == 0:
                if not (seen[Status.PASSED] or seen[Status.FAILED]):
                    found[rule.id].append(
                        self._lint("lint-never-applies", *where, rule=rule, count=count)
                    )
                continue
            if tally.failed == 0 and not tally.errors and not seen[Status.FAILED]:
                found[rule.id].append(
                    self._lint("lint-never-fails", *where, rule=rule, count=count)
                )
            if tally.passed == 0 and not seen[Status.PASSED]:
                found[rule.id].append(
                    self._lint("lint-never-passes", *where, rule=rule, count=tally.applied)
                )
        self._lint_never_together(tallies, found)
        return None

    def _lint_never_together(
        self, tallies: dict[str, _Tally], found: dict[str, list[CheckFinding]]
    ) -> None:
        blocking = [r for r in self.book.layout.rules if r.on_fail != "none"]
        for i, a in enumerate(blocking):
            ta = tallies[a.id]
            for b in blocking[i + 1 :]:
                tb = tallies[b.id]
                shared = ta.applied_mask & tb.applied_mask
                if shared.bit_count() < _MIN_SHARED:
                    continue
                if not (ta.passed_mask & shared and tb.passed_mask & shared):
                    continue  # one of them never passes: reported on its own
                if ta.passed_mask & tb.passed_mask & shared or (a.id, b.id) in self.met_together:
                    continue
                if frozenset((a.id, b.id)) in self.negated:
                    continue
                found[b.id].append(
                    self._lint(
                        "lint-never-together",
                        self._file(b),
                        b.line,
                        rule=b,
                        other=a.id,
                        where=self._where(a),
                        count=shared.bit_count(),
                    )
                )

    # ---- invariants -----------------------------------------------------------------------------

    def invariants(self) -> CheckSection:
        declared = [inv for rs in self.book.rulesets for inv in getattr(rs, "invariants", ())]
        if not declared:
            return CheckSection("invariants")
        if self.generated <= 0:
            return CheckSection("invariants", skipped=_text("check-skipped-generated"))
        try:
            from bansos_rules.invariants import check_invariants

            results = check_invariants(self.book, max_examples=self.generated, derandomize=True)
        except ImportError as exc:
            # hypothesis is imported when invariants are checked, not when the module loads.
            reason = (
                "check-skipped-hypothesis"
                if "hypothesis" in (getattr(exc, "name", "") or "") or "hypothesis" in str(exc)
                else "check-skipped-invariants"
            )
            return CheckSection("invariants", skipped=_text(reason))
        except ValueError as exc:
            finding = CheckFinding(
                "invariants",
                "check-invariant-error",
                "error",
                _text("check-invariant-error", invariant="*", detail=exc),
            )
            return CheckSection(
                "invariants", (CheckCase("invariants", "*", "*", findings=(finding,)),)
            )
        files = {rs.id: rs.file for rs in self.book.rulesets}
        cases = []
        for result in results:
            inv = result.invariant
            file = files[inv.ruleset]
            judged = _invariant_finding(result, file)
            cases.append(
                CheckCase(
                    "invariants",
                    inv.id,
                    inv.ruleset,
                    file,
                    inv.line,
                    () if judged is None else (judged,),
                )
            )
        return CheckSection("invariants", tuple(cases))

    # ---- engines --------------------------------------------------------------------------------

    def engines(self) -> CheckSection:
        others = [name for name in self.book.engines if name != "native"]
        if not others:
            return CheckSection("engines", skipped=_text("check-only-native"))
        cases = []
        for name in others:
            t0 = time.perf_counter()
            try:
                engine = self.book.engine(name)
            except EngineUnavailableError as exc:
                skipped = _text("check-engine-unavailable", engine=name, detail=exc)
                finding = CheckFinding("engines", "check-engine-unavailable", "warning", skipped)
                cases.append(CheckCase("engines", name, name, findings=(finding,), skipped=skipped))
                continue
            except Exception as exc:  # an engine that cannot compile the rules is an error
                detail = f"{type(exc).__name__}: {exc}"
                text = _text("check-engine-build", engine=name, detail=detail)
                finding = CheckFinding("engines", "check-engine-build", "error", text)
                cases.append(CheckCase("engines", name, name, findings=(finding,)))
                continue
            apps = self.applications()
            if apps is None:
                assert self._apps_problem is not None
                cases.append(CheckCase("engines", name, name, skipped=self._apps_problem))
                continue
            findings = _compare_engines(name, engine.decide, apps, self._native, self.on)
            cases.append(
                CheckCase(
                    "engines", name, name, findings=findings, seconds=time.perf_counter() - t0
                )
            )
        return CheckSection("engines", tuple(cases))

    # ---- coverage -------------------------------------------------------------------------------

    def coverage_section(self) -> CheckSection:
        self._ensure_examples()
        rows = []
        cases = []
        for rs in self.book.rulesets:
            for rule in rs.rules:
                seen = self.seen[rule.id]
                row = RuleCoverage(
                    rule.id,
                    rs.id,
                    rule.kind,
                    rs.file,
                    rule.line,
                    seen[Status.PASSED],
                    seen[Status.FAILED],
                )
                rows.append(row)
                findings: tuple[CheckFinding, ...] = ()
                if not row.covered:
                    missing = [
                        s for s, n in (("passed", row.passed), ("failed", row.failed)) if not n
                    ]
                    findings = (
                        CheckFinding(
                            "coverage",
                            "check-uncovered",
                            "warning",
                            _text(
                                "check-uncovered",
                                missing_id=" maupun ".join(label(m, "id") for m in missing),
                                missing_en=" or ".join(label(m, "en") for m in missing),
                            ),
                            rs.file,
                            rule.line,
                            rule=rule.id,
                        ),
                    )
                cases.append(CheckCase("coverage", rule.id, rs.id, rs.file, rule.line, findings))
        self.coverage = Coverage(tuple(rows), self.min_coverage)
        if self.min_coverage is not None:
            findings = ()
            if self.coverage.percent < self.min_coverage:
                findings = (
                    CheckFinding(
                        "coverage",
                        "check-coverage-below",
                        "error",
                        _text(
                            "check-coverage-below",
                            percent=_pct(self.coverage.percent, "en"),
                            percent_id=_pct(self.coverage.percent, "id"),
                            minimum=_pct(self.min_coverage, "en"),
                            minimum_id=_pct(self.min_coverage, "id"),
                        ),
                    ),
                )
            cases.append(CheckCase("coverage", "minimum", "coverage", findings=findings))
        return CheckSection("coverage", tuple(cases))


def _invariant_finding(result: InvariantResult, file: str) -> CheckFinding | None:
    inv = result.invariant
    if result.error:
        text = _text("check-invariant-error", invariant=inv.id, detail=result.error)
        return CheckFinding("invariants", "check-invariant-error", "error", text, file, inv.line)
    if not result.ok:
        text = _text(
            "check-invariant-failed",
            invariant=inv.id,
            title_id=inv.title.id,
            title_en=inv.title.en,
            application=result.counterexample.id if result.counterexample else "?",
            on=result.on.isoformat() if result.on else "?",
        )
        snippet = tuple((result.snippet or "").rstrip().splitlines())
        return CheckFinding(
            "invariants", "check-invariant-failed", "error", text, file, inv.line, details=snippet
        )
    if not result.relevant:
        text = _text("check-invariant-irrelevant", invariant=inv.id, tried=result.tried)
        return CheckFinding(
            "invariants", "check-invariant-irrelevant", "warning", text, file, inv.line
        )
    return None


def _compare_engines(
    name: str,
    decide: Callable[[Application, date], Decision],
    apps: Sequence[Application],
    native: Sequence[Decision],
    on: date,
) -> tuple[CheckFinding, ...]:
    differences: list[str] = []
    raised: list[str] = []
    for index, (app, expected) in enumerate(zip(apps, native, strict=True)):
        app_id = f"#{index + 1} {app.id}"
        try:
            got = decide(app, on)
        except Exception as exc:  # an engine that raises disagrees; keep comparing the others
            raised.append(f"{app_id}: {type(exc).__name__}: {exc}")
            continue
        diff = decision_differences(expected, got)
        if diff:
            differences.append(f"{app_id}: " + "; ".join(diff))
    findings = []
    for code, lines in (("check-engine-disagrees", differences), ("check-engine-raised", raised)):
        if not lines:
            continue
        shown = lines[:_SHOWN_DIFFERENCES]
        if len(lines) > len(shown):
            shown.append(f"... {len(lines) - len(shown)} more")
        findings.append(
            CheckFinding(
                "engines",
                code,
                "error",
                _text(code, engine=name, count=len(lines), total=len(apps)),
                details=tuple(shown),
            )
        )
    return tuple(findings)


def decision_differences(expected: Decision, got: Decision) -> list[str]:
    """How ``got`` differs from ``expected``: outcome, aid, each rule, referrals, fit ranking."""
    diff: list[str] = []
    engines = f"{expected.engine} vs {got.engine}"
    if expected.outcome != got.outcome:
        diff.append(f"outcome {expected.outcome.value} vs {got.outcome.value}")
    if expected.aid_value != got.aid_value:
        diff.append(f"aid_value {expected.aid_value} vs {got.aid_value}")
    for a, b in zip(expected.findings, got.findings, strict=True):
        if a.status != b.status:
            diff.append(f"{a.rule_id} {a.status.value} vs {b.status.value}")
    refs_a = [(r.agency, r.rule_id) for r in expected.referrals]
    refs_b = [(r.agency, r.rule_id) for r in got.referrals]
    if refs_a != refs_b:
        diff.append(f"referrals {[a for a, _ in refs_a]} vs {[a for a, _ in refs_b]}")
    recs_a = {r.business_type: r.score for r in expected.recommendations}
    recs_b = {r.business_type: r.score for r in got.recommendations}
    top_a = expected.recommendations[0].business_type if expected.recommendations else None
    top_b = got.recommendations[0].business_type if got.recommendations else None
    if top_a != top_b:
        diff.append(f"top_recommendation {top_a} vs {top_b}")
    for code, score in recs_a.items():
        if recs_b.get(code) != score:
            diff.append(f"fit score {code} {score} vs {recs_b.get(code)}")
    return [f"{d} ({engines})" for d in diff] if diff else []


def generated_applications(book: RuleBook, count: int, *, on: date) -> list[Application]:
    """``count`` applications from :func:`bansos_rules.testing.applications`, the same every run.

    A fixed mix: eligible applicants for each business type, ineligible ones, plans near the aid
    caps, and unconstrained ones; each drawn with its own fixed seed.

    :raises ImportError: when hypothesis is not installed.
    """
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis.strategies import SearchStrategy

    from bansos_rules.testing import BUSINESS_TYPES, applications

    types = [bt for bt in BUSINESS_TYPES if bt in book.layout.business_types]
    variants: list[SearchStrategy[Application]] = [
        *(applications(eligible=True, business_type=bt, on=on) for bt in types),
        applications(eligible=False, on=on),
        applications(eligible=True, near_cap=True, on=on),
        applications(near_cap=True, on=on),
        applications(on=on),
    ]
    found: list[Application] = []
    share, extra = divmod(count, len(variants))
    for index, strategy in enumerate(variants):
        wanted = share + (index < extra)
        if wanted == 0:
            continue

        @seed(20250601 + index)
        @settings(
            max_examples=wanted,
            database=None,
            phases=(Phase.generate,),
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(strategy)
        def collect(app: Application) -> None:
            found.append(app)

        collect()
    return found[:count]


def _expr(source: str | None) -> ast.expr | None:
    if source is None:
        return None
    try:
        return ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None


_COMPLEMENT: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _canonical(node: ast.expr) -> ast.expr:
    """``node`` with ``not (a < b)`` written as ``a >= b``, so that both compare equal."""
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.Not)
        and isinstance(node.operand, ast.Compare)
        and len(node.operand.ops) == 1
    ):
        return _negate(node.operand)
    return node


def _negate(node: ast.expr) -> ast.expr:
    """The logical negation of ``node``, written the way a person would write it."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return node.operand
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return ast.Compare(node.left, [_COMPLEMENT[type(node.ops[0])]()], node.comparators)
    return ast.UnaryOp(ast.Not(), node)
