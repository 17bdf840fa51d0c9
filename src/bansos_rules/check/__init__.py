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

The generated applications are one :class:`bansos_rules.testing.Population` of the rule book,
drawn once and shared by the lints, the invariants and engine agreement.

The package follows the flow of the data::

    _run.py        run_check: load the rulesets, then each step on a shared _context.Context
    _context.py    the book, the settings, the examples' results, the population (drawn once)
    _examples.py   step: worked examples, on every engine
    _lint.py       step: lints (expressions read only through _exprs.py)
    _invariants.py step: invariants on the population
    _engines.py    step: engine agreement on the population
    _coverage.py   step: rule coverage by the examples
    _model.py      the report: findings, cases, sections, coverage
    _text.py, _json.py, _junit.py   renderers

The report renders as text for people (:meth:`CheckReport.to_text`, Indonesian or English), as
JSON (:meth:`CheckReport.to_json`) and as JUnit XML for CI systems (:meth:`CheckReport.to_junit`).
"""

from bansos_rules.check._engines import decision_differences
from bansos_rules.check._model import (
    DEFAULT_GENERATED,
    KINDS,
    CheckCase,
    CheckFinding,
    CheckReport,
    CheckSection,
    Coverage,
    Kind,
    RuleCoverage,
    Severity,
)
from bansos_rules.check._run import run_check

__all__ = [
    "DEFAULT_GENERATED",
    "KINDS",
    "CheckCase",
    "CheckFinding",
    "CheckReport",
    "CheckSection",
    "Coverage",
    "Kind",
    "RuleCoverage",
    "Severity",
    "decision_differences",
    "run_check",
]
