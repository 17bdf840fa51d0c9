"""Testing a rule book's invariants on generated applications.

An invariant (the ``invariants:`` list of a ruleset file) is a property every decision must have,
such as "approved aid never exceeds the maximum in force". :func:`check_invariants` decides a few
hundred applications of a :class:`bansos_rules.testing.Population` (plans next to the aid caps,
any applicant, eligible ones, plans with a cash line, ineligible applicants) on dates across the
parameters' periods, and judges
every invariant on each decision. When one does not hold, hypothesis looks for the *smallest*
application that breaks it, and the result carries it as a worked example ready to paste into the
ruleset file.

The search is deterministic by default: the same rule book gives the same applications, the same
counterexamples and the same snippets on every run.

Uses hypothesis, a dependency of the package.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bansos_rules._decision import Decision, RuleError
from bansos_rules._errors import RulesetError, UsageError
from bansos_rules._messages import render
from bansos_rules._models import Application
from bansos_rules.engines._python import Emitter
from bansos_rules.ruleset.expr import suggest
from bansos_rules.ruleset.ir import Invariant, Ruleset, for_business_type
from bansos_rules.ruleset.vocabulary import RUNTIME_HELPERS, FitScore
from bansos_rules.testing.population import DEFAULT_SEED, Case, Population, example_yaml

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook

__all__ = ["InvariantResult", "check_invariants", "dates_to_try", "example_snippet"]

_SHRINK_DRAWS = 60
"""How many applications shrinking may draw once a counterexample is found. Drawing one takes tens
of milliseconds; the counterexample is about as small as it gets after a few dozen tries, while
hypothesis's own limits (500 smaller cases found, or five minutes) would take far longer. Counting
draws rather than time keeps the result the same on every machine."""

_SHRINK_SECONDS = 30.0
"""A safety net on the time spent shrinking one counterexample, should drawing be very slow."""


@dataclass(frozen=True)
class InvariantResult:
    """How an invariant fared on the generated applications.

    When it does not hold, ``counterexample`` is the smallest application found that breaks it
    (shrunk by hypothesis), decided on ``on`` into ``decision``, and ``snippet`` is that case as
    an entry for the ruleset's ``examples:`` list.
    """

    invariant: Invariant
    ok: bool
    tried: int
    """Applications decided."""
    relevant: int
    """Of those, how many satisfied ``when`` (all of them when the invariant has no ``when``). Zero
    means the invariant was never really tested."""
    counterexample: Application | None
    on: date | None
    decision: Decision | None
    snippet: str | None
    """A ready-to-paste YAML entry for the ruleset's ``examples:`` list (indented two spaces, as
    the list items of the shipped rulesets), expecting what the rules actually decided."""
    error: str | None
    """Why the invariant could not be judged, in English: its expression raised (the message), a
    parameter it reads had no value in force, or it names a rule that does not exist."""

    @property
    def vacuous(self) -> bool:
        """Whether no tried application satisfied ``when``: the invariant proved nothing."""
        return self.ok and self.relevant == 0


def check_invariants(
    book: RuleBook,
    *,
    max_examples: int = 200,
    engine: str = "native",
    derandomize: bool = True,
    population: Population | None = None,
) -> list[InvariantResult]:
    """Test every invariant of every ruleset in ``book`` on generated applications.

    The applications are ``max_examples`` cases of ``population`` (see
    :class:`bansos_rules.testing.Population`: eligible applicants near the caps, any applicant,
    eligible ones, plans with a cash line, ineligible applicants). Each is decided once and every
    invariant judged on the decision; for an invariant that fails, the search of the kind where it
    failed is run again so that hypothesis can shrink the application to a minimal
    counterexample.

    :param book: the rule book whose rulesets' invariants to test.
    :param max_examples: how many applications to decide (all kinds together).
    :param engine: the engine that decides them.
    :param derandomize: draw the same applications on every run (the default); ``False`` draws
        new ones each time.
    :param population: the population to draw from (default: ``book``'s on
        :func:`dates_to_try`, seeded unless ``derandomize`` is false); a population already
        drawn for ``max_examples`` is not drawn again.
    :returns: one result per invariant, in ruleset and file order.
    :raises UsageError: when ``max_examples`` is below 1, or there is no date on which the rules
        can be applied.
    """
    if max_examples < 1:
        raise UsageError("max_examples must be at least 1")
    judges: list[_Judge] = []
    results: dict[str, InvariantResult] = {}
    requirement_ids = {rule.id for rule in book.layout.rules}
    for rs in book.rulesets:
        for inv in rs.invariants:
            unknown = [r for r in inv.other_rules if r not in requirement_ids]
            if unknown:
                error = render(
                    "invariant-rule-unknown",
                    "en",
                    invariant=inv.id,
                    name=unknown[0],
                    suggestion=suggest(unknown[0], requirement_ids),
                )
                results[inv.id] = InvariantResult(inv, False, 0, 0, None, None, None, None, error)
            else:
                judges.append(_Judge(inv, rs, book))
    if judges:
        if population is None:
            seed = DEFAULT_SEED if derandomize else random.SystemRandom().getrandbits(64)
            population = Population(book, dates=dates_to_try(book), seed=seed)
        for case in population.draw(max_examples):
            view = _DecisionView(book.evaluate(case.application, on=case.on, engine=engine))
            for judge in judges:
                judge.observe(case, view)
        for judge in judges:
            results[judge.invariant.id] = judge.result(book, engine, population, max_examples)
    return [results[inv.id] for rs in book.rulesets for inv in rs.invariants]


_FIRST_DAY = date(2000, 1, 1)
_LAST_DAY = date(2099, 12, 31)


def dates_to_try(book: RuleBook) -> list[date]:
    """The dates applications are decided on: where the parameters' values change.

    Every first and last day of a parameter value's period, the day before each period starts,
    and 1 June 2025 (the strategies' reference date), keeping only the days on which the rules
    can be applied (every parameter a rule uses has a value in force).

    :raises UsageError: when there is no such day.
    """
    candidates = {date(2025, 6, 1)}
    for rs in book.rulesets:
        for param in rs.parameters.values():
            for period in param.periods:
                candidates.add(period.start)
                if period.start > date.min:
                    candidates.add(period.start - timedelta(days=1))
                if period.until is not None:
                    candidates.add(period.until)
    # Applications can be generated for 2000-2099 only: a value in force "since 0001-01-01" or
    # "until 9999-12-31" is tried at the edge of that window instead.
    candidates = {min(max(day, _FIRST_DAY), _LAST_DAY) for day in candidates}
    usable = []
    for day in sorted(candidates):
        try:
            book.layout.params_on(day)
        except RulesetError:
            continue
        usable.append(day)
    if not usable:
        raise UsageError("there is no date on which every parameter the rules use is in force")
    return usable


# ---------------------------------------------------------------------------------------------
# judging


class _DecisionView:
    """What ``decision`` means in an invariant; lists are built the first time they are read."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        self.outcome = decision.outcome.value
        self.aid_value = decision.aid_value
        self.plan_total = decision.plan_total

    @cached_property
    def _pairs(self) -> tuple[tuple[str, str | None, bool | RuleError | None], ...]:
        rules = self.decision.layout.rules
        return tuple(
            (rule.id, rule.refer, result)
            for rule, result in zip(rules, self.decision.results, strict=True)
        )

    @cached_property
    def failed(self) -> tuple[str, ...]:
        return tuple(rid for rid, _, result in self._pairs if result is False)

    @cached_property
    def passed(self) -> tuple[str, ...]:
        return tuple(rid for rid, _, result in self._pairs if result is True)

    @cached_property
    def errors(self) -> tuple[str, ...]:
        return tuple(rid for rid, _, result in self._pairs if isinstance(result, RuleError))

    @cached_property
    def referrals(self) -> tuple[str, ...]:
        return tuple(refer for _, refer, result in self._pairs if refer and result is False)

    @cached_property
    def fit(self) -> FitScore:
        for rec in self.decision.recommendations:
            if rec.business_type == self.decision.business_type:
                return FitScore(rec.score, rec.max_score, rec.percent)
        return FitScore(0, 0, 0)  # pragma: no cover - the planned type is always ranked


class _Broken(Exception):
    """An invariant could not be judged on one case (the message says why)."""


class _Judge:
    """One invariant compiled into a function, and what it saw on the survey."""

    def __init__(self, invariant: Invariant, ruleset: Ruleset, book: RuleBook) -> None:
        self.invariant = invariant
        self.ruleset = ruleset
        self.params = invariant.params
        self.tried = 0
        self.relevant = 0
        self.first: Case | None = None
        emitter = Emitter(
            values={path: f"_v{i}" for i, path in enumerate(invariant.values)},
            params={(ruleset.id, name, None): f"_p{i}" for i, name in enumerate(self.params)},
            functions={name: fn.impl for name, fn in book.registry.functions.items()},
            helpers=RUNTIME_HELPERS,
        )
        lines = [
            "def _judge(_app, _today, _dec, _fit, _pv):",
            "    _a = _app.applicant",
            "    _h = _app.household",
            "    _pl = _app.plan",
            "    _bt = _pl.business_type",
        ]
        for i in range(len(self.params)):
            lines.append(f"    _p{i} = _pv[{i}]")
        for path, node in invariant.values.items():
            lines.append(f"    {emitter.values[path]} = {emitter.define(node)}")
        if invariant.when is not None:
            lines += [f"    if not {emitter.expr(invariant.when.tree)}:", "        return None"]
        lines.append(f"    return {emitter.expr(invariant.holds.tree)}")
        source = "\n".join(lines) + "\n"
        namespace = emitter.namespace
        exec(compile(source, f"<invariant {invariant.id}>", "exec"), namespace)
        self._fn: Callable[..., bool | None] = namespace["_judge"]

    def verdict(self, case: Case, view: _DecisionView) -> bool | None:
        """True when the invariant holds, False when not, None when ``when`` is false.

        :raises _Broken: when it cannot be judged.
        """
        on, app = case.on, case.application
        values = []
        bt = app.plan.business_type
        for name in self.params:
            param = self.ruleset.parameters[name]
            period = param.period_on(on)
            if period is None:
                raise _Broken(
                    render(
                        "invariant-param-not-in-force",
                        "en",
                        invariant=self.invariant.id,
                        name=name,
                        on=on.isoformat(),
                    )
                )
            values.append(for_business_type(period.value, bt) if param.by else period.value)
        fit = view.fit if self.invariant.uses_fit else None
        try:
            return self._fn(app, on, view, fit, values)
        except Exception as exc:  # an expression that raised (a division by zero, say)
            raise _Broken(f"{type(exc).__name__}: {exc}") from exc

    def breaks(self, case: Case, view: _DecisionView) -> bool:
        """Whether ``case`` breaks the invariant (or cannot be judged)."""
        try:
            return self.verdict(case, view) is False
        except _Broken:
            return True

    def observe(self, case: Case, view: _DecisionView) -> None:
        """Judge one surveyed case and count it."""
        self.tried += 1
        try:
            verdict = self.verdict(case, view)
        except _Broken:
            verdict = False
            self.relevant += 1
        else:
            if verdict is not None:
                self.relevant += 1
        if verdict is False and self.first is None:
            self.first = case

    def result(
        self, book: RuleBook, engine: str, population: Population, count: int
    ) -> InvariantResult:
        """The result, shrinking a counterexample when the survey found one."""
        inv = self.invariant
        if self.first is None:
            return InvariantResult(
                inv, True, self.tried, self.relevant, None, None, None, None, None
            )

        def breaks(case: Case) -> bool:
            decision = book.evaluate(case.application, on=case.on, engine=engine)
            return self.breaks(case, _DecisionView(decision))

        # The same seed and data as the survey: the search meets the same counterexample first,
        # then shrinks it. Should it somehow not, the survey's own case is reported as found.
        found = population.shrink(
            self.first.kind,
            breaks,
            count=count,
            max_draws=_SHRINK_DRAWS,
            seconds=_SHRINK_SECONDS,
        )
        case = found or self.first
        on, app = case.on, case.application
        decision = book.evaluate(app, on=on, engine=engine)
        error = None
        try:
            self.verdict(case, _DecisionView(decision))
        except _Broken as exc:
            error = str(exc)
        snippet = example_snippet(inv, app, on, decision)
        return InvariantResult(
            inv, False, self.tried, self.relevant, app, on, decision, snippet, error
        )


# ---------------------------------------------------------------------------------------------
# the snippet


def example_snippet(
    invariant: Invariant, application: Application, on: date, decision: Decision
) -> str:
    """A worked example, as YAML for a ruleset's ``examples:`` list, of ``application`` on ``on``.

    It expects what ``decision`` shows (outcome, aid value, failed requirements, referrals), and
    its first lines are comments naming the invariant it breaks. The list item is indented two
    spaces, like those of the shipped rulesets.
    """
    expect: dict[str, Any] = {
        "outcome": decision.outcome.value,
        "aid_value": decision.aid_value,
    }
    failed = [
        rule.id
        for rule, result in zip(decision.layout.rules, decision.results, strict=True)
        if result is False
    ]
    if failed:
        expect["failed"] = failed
    expect["referrals"] = sorted(r.agency for r in decision.referrals)
    return example_yaml(
        f"Contoh penyangkal invarian {invariant.id}",
        on,
        application.model_dump(exclude_defaults=True),
        expect,
        comments=(
            f"Melanggar invarian {invariant.id}: {invariant.title.id}",
            f"Breaks invariant {invariant.id}: {invariant.title.en}",
        ),
    )
