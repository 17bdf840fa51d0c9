"""Running ``check``: load the rulesets, then each step in turn on what they share."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from bansos_rules._api import load_rules, ruleset_files
from bansos_rules._decision import Text
from bansos_rules._errors import PluginError, RulesetError, path_of
from bansos_rules._manager import Plugins, load_plugins
from bansos_rules.check._context import Context
from bansos_rules.check._coverage import coverage
from bansos_rules.check._engines import engines
from bansos_rules.check._examples import examples
from bansos_rules.check._invariants import invariants
from bansos_rules.check._lint import lint
from bansos_rules.check._model import (
    DEFAULT_GENERATED,
    KINDS,
    CheckCase,
    CheckFinding,
    CheckReport,
    CheckSection,
    Kind,
    bilingual,
)
from bansos_rules.check._monitoring import monitoring_files, with_monitoring
from bansos_rules.check._round import round_files, with_rounds

_STEPS: tuple[tuple[Kind, Callable[[Context], CheckSection]], ...] = (
    ("examples", examples),
    ("lint", lint),
    ("invariants", invariants),
    ("engines", engines),
    ("coverage", coverage),
)
"""The steps after validation, in the order they run: the examples first, for what their
decisions show the lints and coverage."""


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
            "validation", "check-plugin", "error", bilingual("check-plugin", detail=exc)
        )
        case = CheckCase("validation", exc.plugin, "plugins", findings=(finding,))
        return _finish_load_failure("plugin_error", case, settings, started, t0)
    settings["engines"] = list(book.engines)
    validation = CheckSection(
        "validation",
        tuple(CheckCase("validation", rs.file, rs.id, rs.file, 1) for rs in book.rulesets),
        seconds=time.perf_counter() - t0,
    )
    ctx = Context(book, generated, on or _default_on(), min_coverage, skipped)
    sections = [validation, *_steps(ctx)]
    rounds = round_files(files, shipped=plugin_rulesets)
    if rounds:  # round files: validation, worked examples, declared properties
        sections = with_rounds(sections, rounds, book.registry, generated=generated, skip=skipped)
    monitoring = monitoring_files(files, shipped=plugin_rulesets)
    if monitoring:  # monitoring rulesets: validation, examples, invariants, engines, coverage
        sections, ctx.coverage = with_monitoring(
            sections, ctx.coverage, monitoring, generated=generated, skip=skipped
        )
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
        ctx.coverage,
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
            details=d.excerpt(),
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
    reason = bilingual("check-skipped-load")
    sections = [CheckSection("validation", cases, seconds=time.perf_counter() - t0)]
    sections.extend(CheckSection(kind, skipped=reason) for kind in KINDS[1:])
    return CheckReport(
        tuple(sections), status, settings=settings, seconds=time.perf_counter() - started
    )


def _steps(ctx: Context) -> list[CheckSection]:
    """The sections after validation, in :data:`KINDS` order."""
    done: dict[Kind, CheckSection] = {}
    for kind, step in _STEPS:
        if kind in ctx.skip:
            done[kind] = CheckSection(kind, skipped=bilingual("check-skipped-option", kind=kind))
            continue
        t0 = time.perf_counter()
        section = step(ctx)
        done[kind] = replace(section, seconds=section.seconds or time.perf_counter() - t0)
    return [done[k] for k in KINDS[1:]]
