"""Monitoring rulesets under pytest: each worked example is a test item.

The project's pytest plugin (:mod:`bansos_rules.pytest_plugin`) hands a YAML file with a
top-level ``monitoring:`` key to :class:`MonitoringFile`. The engine is ``--bansos-engine`` when
it names a monitoring engine (``native``, ``durable``), else ``native``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bansos_rules._errors import RulesetError
from bansos_rules.monitoring._ruleset import MonitoringExample, load_monitoring_ruleset
from bansos_rules.monitoring._service import ENGINES, Monitor

__all__ = ["MonitoringExampleItem", "MonitoringFile"]


class _Failed(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class MonitoringFile(pytest.File):
    """A monitoring ruleset: one item per worked example, or one failing item if it is broken."""

    def collect(self) -> Any:
        try:
            monitor = Monitor(load_monitoring_ruleset(self.path))
        except RulesetError as exc:
            lang = self.config.getoption("bansos_lang")
            text = "\n".join(
                d.format(lang) if lang else f"{d.format('id')}\n  {d.format('en')}"
                for d in exc.diagnostics
            )
            yield MonitoringExampleItem.from_parent(
                self, name="load", monitor=None, example=None, failure=text
            )
            return
        seen: set[str] = set()
        for example in monitor.ruleset.examples:
            name = example.name
            if name in seen:
                name = f"{name} [line {example.line}]"
            seen.add(name)
            yield MonitoringExampleItem.from_parent(
                self, name=name, monitor=monitor, example=example, failure=None
            )


class MonitoringExampleItem(pytest.Item):
    """One worked example of a monitoring ruleset."""

    def __init__(
        self,
        *,
        monitor: Monitor | None,
        example: MonitoringExample | None,
        failure: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.monitor = monitor
        self.example = example
        self.failure = failure

    def runtest(self) -> None:
        if self.failure is not None or self.monitor is None or self.example is None:
            raise _Failed(self.failure or "")
        wanted = self.config.getoption("bansos_engine")
        engine = wanted if wanted in ENGINES else "native"
        ex = self.example
        state = self.monitor.evaluate(ex.case, ex.events, ex.on, engine=engine)
        problems = []
        if ex.state is not None and state.state != ex.state:
            problems.append(f"state: expected {ex.state}, got {state.state}")
        if ex.alerts is not None and sorted(state.alert_ids) != sorted(ex.alerts):
            problems.append(f"alerts: expected {sorted(ex.alerts)}, got {sorted(state.alert_ids)}")
        got = [h.to for h in state.history]
        if ex.history is not None and got != list(ex.history):
            problems.append(f"history: expected {list(ex.history)}, got {got}")
        if problems:
            head = f"{ex.file}:{ex.line}: {ex.name} (engine {engine}, on {ex.on})"
            raise _Failed("\n".join([head, *("  " + p for p in problems)]))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, _Failed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        ex = self.example
        if ex is None:
            return self.path, None, f"{self.name}"
        return self.path, (ex.line - 1 if ex.line else None), f"{self.name} ({ex.file}:{ex.line})"
