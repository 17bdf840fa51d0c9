"""Testing a rule book's invariants on generated applications.

An invariant (the ``invariants:`` list of a ruleset file) is a property every decision must have,
such as "approved aid never exceeds the maximum in force". :func:`check_invariants` decides a few
hundred applications drawn by :mod:`bansos_rules.testing` (any applicant, eligible ones, plans
next to the aid caps, plans with a cash line) on dates across the parameters' periods, and judges
every invariant on each decision. When one does not hold, hypothesis looks for the *smallest*
application that breaks it, and the result carries it as a worked example ready to paste into the
ruleset file.

The search is deterministic by default: the same rule book gives the same applications, the same
counterexamples and the same snippets on every run.

Uses hypothesis, a dependency of the package.
"""

from __future__ import annotations

import random
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

import yaml

from bansos_rules.decision import Decision, RuleError
from bansos_rules.engines._python import Emitter
from bansos_rules.errors import RulesetError
from bansos_rules.messages import render
from bansos_rules.models import Application, BusinessPlan
from bansos_rules.ruleset.expr import suggest
from bansos_rules.ruleset.ir import Invariant, Ruleset, for_business_type
from bansos_rules.ruleset.vocabulary import RUNTIME_HELPERS, FitScore

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from bansos_rules.book import RuleBook

__all__ = ["InvariantResult", "check_invariants", "dates_to_try", "example_snippet"]

_SEED = 20250601
"""The seed of a derandomized search (any fixed number would do)."""

_SHRINK_DRAWS = 60
"""How many applications shrinking may draw once a counterexample is found. Drawing one takes tens
of milliseconds; the counterexample is about as small as it gets after a few dozen tries, while
hypothesis's own limits (500 smaller cases found, or five minutes) would take far longer. Counting
draws rather than time keeps the result the same on every machine."""

_SHRINK_SECONDS = 30.0
"""A safety net on the time spent shrinking one counterexample, should drawing be very slow."""

Case = tuple[date, Application]
"""A generated test case: the date the rules are applied for, and the application."""


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
) -> list[InvariantResult]:
    """Test every invariant of every ruleset in ``book`` on generated applications.

    The applications come in four kinds (see :func:`_strategies`), each drawn in its own search
    with a quarter of ``max_examples``. Each application is decided once and every invariant
    judged on the decision; for an invariant that fails, the search where it failed is run again
    on its own so that hypothesis can shrink the application to a minimal counterexample.

    :param book: the rule book whose rulesets' invariants to test.
    :param max_examples: how many applications to decide (all kinds together).
    :param engine: the engine that decides them.
    :param derandomize: draw the same applications on every run (the default); ``False`` draws
        new ones each time.
    :returns: one result per invariant, in ruleset and file order.
    :raises ImportError: when hypothesis is not installed.
    :raises ValueError: when ``max_examples`` is below 1, or there is no date on which the rules
        can be applied.
    """
    find, no_such_example, settings = _hypothesis()
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
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
        shrinking: list[_Breaks] = []  # the search being shrunk, if any
        kinds = [_counted(k, shrinking) for k in _strategies(book, dates_to_try(book))]
        # Each kind of application gets its share of the examples: left to one search, hypothesis
        # dwells on a few kinds and some invariants would hardly ever be relevant.
        shares = [
            max_examples // len(kinds) + (i < max_examples % len(kinds)) for i in range(len(kinds))
        ]
        seed = _SEED if derandomize else random.SystemRandom().getrandbits(64)

        def search(kind: int, condition: Callable[[Case], bool]) -> Case | None:
            if isinstance(condition, _Breaks):
                shrinking[:] = [condition]
            try:
                found: Case = find(
                    kinds[kind],
                    condition,
                    settings=settings(shares[kind]),
                    random=random.Random(seed + kind),
                )
            except no_such_example:
                return None
            except _Enough:
                return getattr(condition, "best", None)
            finally:
                shrinking.clear()
            return found

        for kind, share in enumerate(shares):
            if not share:
                continue

            def survey(case: Case, kind: int = kind) -> bool:
                on, app = case
                decision = book.evaluate(app, on=on, engine=engine)
                view = _DecisionView(decision)
                for judge in judges:
                    judge.observe(kind, case, view)
                return False  # never "found": decide all of this kind's share

            search(kind, survey)
        for judge in judges:
            results[judge.invariant.id] = judge.result(book, engine, search)
    return [results[inv.id] for rs in book.rulesets for inv in rs.invariants]


def dates_to_try(book: RuleBook) -> list[date]:
    """The dates applications are decided on: where the parameters' values change.

    Every first and last day of a parameter value's period, the day before each period starts,
    and 1 June 2025 (the strategies' reference date), keeping only the days on which the rules
    can be applied (every parameter a rule uses has a value in force).

    :raises ValueError: when there is no such day.
    """
    candidates = {date(2025, 6, 1)}
    for rs in book.rulesets:
        for param in rs.parameters.values():
            for period in param.periods:
                candidates.add(period.start)
                candidates.add(period.start - timedelta(days=1))
                if period.until is not None:
                    candidates.add(period.until)
    usable = []
    for day in sorted(candidates):
        try:
            book.layout.params_on(day)
        except RulesetError:
            continue
        usable.append(day)
    if not usable:
        raise ValueError("there is no date on which every parameter the rules use is in force")
    return usable


# ---------------------------------------------------------------------------------------------
# hypothesis


def _hypothesis() -> tuple[Any, type[Exception], Callable[[int], Any]]:
    """``find``, ``NoSuchExample`` and a settings factory, or a clear error without hypothesis."""
    try:
        from hypothesis import HealthCheck, Phase, Verbosity, find
        from hypothesis import settings as Settings
        from hypothesis.errors import NoSuchExample
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "checking invariants needs hypothesis: pip install hypothesis", name="hypothesis"
        ) from exc

    def settings(max_examples: int) -> Any:
        return Settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            derandomize=False,  # the seed is given explicitly, so both searches see the same data
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
        )

    return find, NoSuchExample, settings


def _strategies(book: RuleBook, dates: Sequence[date]) -> list[SearchStrategy[Case]]:
    """The kinds of applications to try, each on any of ``dates``, following ``book``'s figures.

    Plans within Rp50,000 of the aid caps in force from eligible applicants (most approvals come
    from here), any applicant (mostly rejected), eligible applicants (approved, or reviewed for a
    missing bank account or a poor fit), and plans that may hold a cash line; households with any
    living conditions, so referrals come up in every kind.
    """
    from hypothesis import strategies as st

    from bansos_rules.testing import applications, business_plans

    def on_any_date(kind: Callable[[date], SearchStrategy[Application]]) -> SearchStrategy[Case]:
        by_date = {on: st.tuples(st.just(on), kind(on)) for on in dates}
        return st.sampled_from(list(dates)).flatmap(by_date.__getitem__)

    def with_cash_line(on: date) -> SearchStrategy[Application]:
        plans: dict[tuple[str, str], SearchStrategy[BusinessPlan]] = {}

        def replace_plan(app: Application) -> SearchStrategy[Application]:
            key = (app.plan.business_type, app.applicant.regency)
            if key not in plans:
                plans[key] = business_plans(
                    business_type=key[0], allow_cash=True, regency=key[1], book=book, on=on
                )
            return plans[key].map(lambda plan: app.model_copy(update={"plan": plan}))

        return applications(eligible=True, on=on, book=book).flatmap(replace_plan)

    return [
        on_any_date(lambda on: applications(eligible=True, near_cap=True, on=on, book=book)),
        on_any_date(lambda on: applications(on=on, book=book)),
        on_any_date(lambda on: applications(eligible=True, on=on, book=book)),
        on_any_date(with_cash_line),
    ]


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


class _Enough(BaseException):
    """Ends shrinking when its budget is spent.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that hypothesis lets it through
    instead of treating it as a failure of the condition.
    """


class _Breaks:
    """The condition hypothesis shrinks on: the case breaks the invariant. Keeps the smallest."""

    def __init__(self, judge: _Judge, book: RuleBook, engine: str) -> None:
        self.judge = judge
        self.book = book
        self.engine = engine
        self.best: Case | None = None
        self.draws = 0
        self.deadline = 0.0

    def drawing(self) -> None:
        """Count one draw (hypothesis starts drawing more cases than reach the condition)."""
        if self.best is not None:
            self.draws += 1

    def __call__(self, case: Case) -> bool:
        # Ended here, not while drawing: hypothesis checks that drawing behaves the same each time.
        if self.best is not None and (
            self.draws > _SHRINK_DRAWS or time.monotonic() > self.deadline
        ):
            raise _Enough
        on, app = case
        decision = self.book.evaluate(app, on=on, engine=self.engine)
        if not self.judge.breaks(case, _DecisionView(decision)):
            return False
        if self.best is None:
            self.deadline = time.monotonic() + _SHRINK_SECONDS
        # Hypothesis only tries cases smaller than the smallest it has: the latest is the best.
        self.best = case
        return True


def _counted(strategy: SearchStrategy[Case], shrinking: list[_Breaks]) -> SearchStrategy[Case]:
    """``strategy``, telling the search being shrunk (if any) before each draw."""
    from hypothesis import strategies as st

    @st.composite
    def counted(draw: st.DrawFn) -> Case:
        for search in shrinking:
            search.drawing()
        return draw(strategy)

    result: SearchStrategy[Case] = counted()
    return result


class _Judge:
    """One invariant compiled into a function, and what it saw on the survey."""

    def __init__(self, invariant: Invariant, ruleset: Ruleset, book: RuleBook) -> None:
        self.invariant = invariant
        self.ruleset = ruleset
        self.params = invariant.params
        self.tried = 0
        self.relevant = 0
        self.first: tuple[int, Case] | None = None
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
        on, app = case
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

    def observe(self, kind: int, case: Case, view: _DecisionView) -> None:
        """Judge one surveyed case (of the ``kind``-th kind) and count it."""
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
            self.first = (kind, case)

    def result(
        self,
        book: RuleBook,
        engine: str,
        search: Callable[[int, Callable[[Case], bool]], Case | None],
    ) -> InvariantResult:
        """The result, shrinking a counterexample when the survey found one."""
        inv = self.invariant
        if self.first is None:
            return InvariantResult(
                inv, True, self.tried, self.relevant, None, None, None, None, None
            )

        # The same seed and data as the survey: the search meets the same counterexample first,
        # then shrinks it. Should it somehow not, the survey's own case is reported as found.
        kind, first = self.first
        on, app = search(kind, _Breaks(self, book, engine)) or first
        decision = book.evaluate(app, on=on, engine=engine)
        error = None
        try:
            self.verdict((on, app), _DecisionView(decision))
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
    item = {
        "name": f"Contoh penyangkal invarian {invariant.id}",
        "on": on,
        "given": _plain(application.model_dump(exclude_defaults=True)),
        "expect": expect,
    }
    body = yaml.dump(
        [item],
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=96,
    )
    # PyYAML quotes the key 'on' (a boolean in YAML 1.1); ruleset files write it plain.
    body = body.replace("\n  'on': ", "\n  on: ", 1)
    title_id = " ".join(invariant.title.id.split())
    title_en = " ".join(invariant.title.en.split())
    comments = (
        f"# Melanggar invarian {invariant.id}: {title_id}\n"
        f"# Breaks invariant {invariant.id}: {title_en}\n"
    )
    return textwrap.indent(comments + body, "  ")


class _Dumper(yaml.SafeDumper):
    """Writes every value in full: no ``&anchor`` / ``*alias`` for a date that appears twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists, which YAML can write."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
