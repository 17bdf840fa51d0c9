"""Helpers shared by the tests: the built-in book, a base application, one-off rulesets."""

from __future__ import annotations

import copy
import functools
import textwrap
from typing import Any

from bansos_rules import Application, RuleBook, load_rules
from bansos_rules._manager import load_plugins
from bansos_rules._registry import Registry
from bansos_rules.ruleset.loader import load_ruleset


@functools.cache
def builtin_book() -> RuleBook:
    """The rule book of the built-in plugins (loaded once per test session)."""
    return load_rules()


@functools.cache
def registry() -> Registry:
    """The registry of the built-in plugins."""
    reg, _ = load_plugins().collect()
    return reg


def base_application_data() -> dict[str, Any]:
    """A complete, eligible, well-planned application as plain data (a fresh copy each call)."""
    app = builtin_book().rulesets[0].examples[0].application
    return copy.deepcopy(app.model_dump(mode="json"))


def base_application(**changes: Any) -> Application:
    """The base application with ``changes`` applied by dotted path (``applicant__age`` style)."""
    data = base_application_data()
    for dotted, value in changes.items():
        node = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return Application.model_validate(data)


def ruleset_text(rules: str, parameters: str = "", ruleset: str = "t") -> str:
    """A small ruleset file around the given ``rules:`` items (and optional ``parameters:``)."""
    head = f"""\
ruleset: {ruleset}
title: {{id: Uji, en: Test}}
"""
    body = head
    if parameters:
        body += "parameters:\n" + textwrap.indent(textwrap.dedent(parameters), "  ")
    body += "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")
    return body


def rule(check: str, *, rule_id: str = "t.rule", extra: str = "") -> str:
    """One requirement rule item for :func:`ruleset_text`."""
    text = f"""\
- id: {rule_id}
  title: {{id: Aturan uji, en: Test rule}}
  reference: test
  check: {check!r}
  reason: {{id: gagal, en: failed}}
"""
    if extra:
        text += textwrap.indent(textwrap.dedent(extra), "  ")
    return text


def book_of(*texts: str) -> RuleBook:
    """A rule book of the given ruleset texts only, with the built-in plugins' registry."""
    plugins = load_plugins()
    reg, engines = plugins.collect()
    rulesets = [load_ruleset(t, f"test{i}.yaml", reg) for i, t in enumerate(texts)]
    return RuleBook(rulesets, reg, engines)
