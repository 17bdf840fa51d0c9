"""What the steps of ``check`` share: the book, the settings, the examples' results and the one
population of generated applications (drawn once, decided once on the check's date)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from bansos_rules._decision import Decision, Status, Text
from bansos_rules._errors import RulesetError, UsageError
from bansos_rules.check._model import Coverage, Kind, bilingual

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook
    from bansos_rules._examples import ExampleResult
    from bansos_rules._models import Application
    from bansos_rules.ruleset.ir import Rule
    from bansos_rules.testing import Case, Population


@dataclass(frozen=True)
class Generated:
    """The population's applications and their native decisions on the check's date."""

    applications: tuple[Application, ...]
    native: tuple[Decision, ...]


@dataclass
class Context:
    """The state the steps after validation share, filled as they need it."""

    book: RuleBook
    generated: int
    """How many applications to generate (0: none)."""
    on: date
    """The date the lints and engine agreement decide generated applications on."""
    min_coverage: float | None
    skip: frozenset[Kind]
    coverage: Coverage | None = None
    example_results: list[ExampleResult] = field(default_factory=list)
    seen: dict[str, dict[Status, int]] = field(default_factory=dict)
    """Statuses each rule showed in the examples' decisions (score rules: every candidate)."""
    met_together: set[tuple[str, str]] = field(default_factory=set)
    """Blocking rules that passed together in an example."""
    negated: set[frozenset[str]] = field(default_factory=set)
    """Pairs of rules whose checks are each other's negation."""
    _population: Population | Text | None = None
    _cases: tuple[Case, ...] | Text | None = None
    _generated: Generated | Text | None = None

    def __post_init__(self) -> None:
        self.seen = {r.id: defaultdict(int) for r in self.rules}

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule, ruleset by ruleset."""
        return tuple(r for rs in self.book.rulesets for r in rs.rules)

    def file_of(self, rule: Rule) -> str:
        """The file of the ruleset ``rule`` belongs to."""
        return next(rs.file for rs in self.book.rulesets if rs.id == rule.ruleset)

    def where(self, rule: Rule) -> str:
        """``file:line`` of ``rule``."""
        file = self.file_of(rule)
        return f"{file}:{rule.line}" if rule.line is not None else file

    # ---- the population -------------------------------------------------------------------------

    def population(self) -> Population | Text:
        """The book's population on the invariants' dates and the check's date, or why there is
        none (nothing to generate, hypothesis missing)."""
        if self._population is None:
            self._population = self._make_population()
        return self._population

    def _make_population(self) -> Population | Text:
        if self.generated <= 0:
            return bilingual("check-skipped-generated")
        try:
            from bansos_rules.invariants import dates_to_try
            from bansos_rules.testing import Population
        except ImportError:
            return bilingual("check-skipped-hypothesis")
        try:
            dates = dates_to_try(self.book)
        except UsageError:
            dates = []
        if self._in_force():
            dates = sorted({*dates, self.on})
        if not dates:
            return bilingual("check-skipped-generated")
        return Population(self.book, dates=dates)

    def _in_force(self) -> RulesetError | None:
        try:
            self.book.layout.params_on(self.on)
        except RulesetError as exc:
            return exc
        return None

    def cases(self) -> tuple[Case, ...] | Text:
        """The population's cases (drawn once), or why there are none."""
        if self._cases is None:
            population = self.population()
            if isinstance(population, Text):
                self._cases = population
            else:
                try:
                    self._cases = population.draw(self.generated)
                except Exception as exc:  # a broken strategy plugin: report it, run the rest
                    detail = f"{type(exc).__name__}: {exc}"
                    self._cases = bilingual("check-generation-failed", detail=detail)
        return self._cases

    def decided(self) -> Generated | Text:
        """The cases' applications decided by ``native`` on the check's date (once), or why not."""
        if self._generated is None:
            self._generated = self._decide()
        return self._generated

    def _decide(self) -> Generated | Text:
        not_in_force = self._in_force() if self.generated > 0 else None
        if not_in_force is not None:
            return bilingual(
                "check-not-in-force",
                on=self.on.isoformat(),
                detail_id=not_in_force.format("id"),
                detail_en=not_in_force.format("en"),
            )
        cases = self.cases()
        if isinstance(cases, Text):
            return cases
        apps = tuple(case.application for case in cases)
        engine = self.book.engine("native")
        return Generated(apps, tuple(engine.decide(app, self.on) for app in apps))

    # ---- the examples ---------------------------------------------------------------------------

    def record_seen(self) -> None:
        """Count the statuses the examples' decisions show, and the rules met together."""
        by_id = {r.id: r for r in self.rules}
        for result in self.example_results:
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

    def ensure_examples(self) -> None:
        """Run the examples on ``native`` for what they show, when the examples step was skipped."""
        if not self.example_results and "examples" in self.skip:
            from bansos_rules._examples import run_examples

            self.example_results = list(run_examples(self.book))
            self.record_seen()
