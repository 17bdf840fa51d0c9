"""One population of generated applications for a rule book, shared by check, invariants and diff.

A :class:`Population` says *which* applications a tool tries on a rule book: a fixed mix of kinds
(:data:`KINDS`), each drawn by :mod:`bansos_rules.testing`'s strategies following the book's
figures and business types, on dates the book's rules can be applied for, with a seed so that the
same book gives the same applications on every run::

    from bansos_rules import load_rules
    from bansos_rules.testing import Population

    book = load_rules()
    population = Population(book)
    cases = population.draw(200)                  # 40 of each kind, the same every run
    case = cases[0]
    case.kind, case.on, case.application          # ('near_cap', date(2025, 6, 1), Application(...))

:meth:`Population.shrink` searches one kind again, with the same seed, for the smallest case that
has a property (a broken invariant, a decision that flips), and :func:`example_yaml` writes a case
as a worked example to paste under a ruleset's ``examples:``.
"""

from __future__ import annotations

import contextlib
import random
import textwrap
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import yaml
from hypothesis import HealthCheck, Phase, Verbosity, find
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from bansos_rules._models import Application, BusinessPlan
from bansos_rules.ruleset._yaml import hidden_character
from bansos_rules.testing.strategies import (
    DEFAULT_REFERENCE_DATE,
    StrategyArgumentError,
    applications,
    business_plans,
)

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from bansos_rules._book import RuleBook

__all__ = ["DEFAULT_SEED", "KINDS", "Case", "Kind", "Population", "example_yaml"]

Kind = Literal["near_cap", "any", "eligible", "cash_line", "ineligible"]

KINDS: tuple[Kind, ...] = ("near_cap", "any", "eligible", "cash_line", "ineligible")
"""The kinds of application in a population, in the order they are drawn:

``near_cap``
    eligible applicants whose plan totals lie within Rp50,000 of the aid caps in force (of every
    book given), often exactly on a cap: most approvals come from here;
``any``
    any applicant: mostly rejected;
``eligible``
    eligible applicants of every business type the book registers: approved, or reviewed for a
    missing bank account or a poor fit;
``cash_line``
    eligible applicants whose plan may hold a cash line;
``ineligible``
    applicants who fail at least one eligibility criterion.

Households come with any living conditions, so referrals occur in every kind."""

DEFAULT_SEED = 20250601
"""The seed of a population when none is given (any fixed number would do)."""


@dataclass(frozen=True)
class Case:
    """One generated application, the date its rules are applied for, and its kind."""

    kind: Kind
    on: date
    application: Application


class _Stop(BaseException):
    """Ends a shrinking search whose budget is spent.

    A :class:`BaseException`, like :class:`KeyboardInterrupt`, so that hypothesis lets it through
    instead of treating it as a failure of the condition.
    """


class _Shrinking:
    """The condition hypothesis shrinks on; keeps the smallest case found and counts draws."""

    def __init__(
        self, holds: Callable[[Case], bool], kind: Kind, max_draws: int | None, seconds: float
    ) -> None:
        self.holds = holds
        self.kind = kind
        self.max_draws = max_draws
        self.seconds = seconds
        self.best: Case | None = None
        self.draws = 0
        self.deadline = 0.0

    def drawing(self) -> None:
        """Count one draw once a case is found (hypothesis draws more than reach the condition)."""
        if self.best is not None:
            self.draws += 1

    def __call__(self, drawn: tuple[date, Application]) -> bool:
        # Ended here, not while drawing: hypothesis checks that drawing behaves the same each time.
        if self.best is not None and (
            (self.max_draws is not None and self.draws > self.max_draws)
            or time.monotonic() > self.deadline
        ):
            raise _Stop
        case = Case(self.kind, *drawn)
        if not self.holds(case):
            return False
        if self.best is None:
            self.deadline = time.monotonic() + self.seconds
        # Hypothesis only tries cases smaller than the smallest it has: the latest is the best.
        self.best = case
        return True


class Population:
    """The generated applications for ``book``: :data:`KINDS` on ``dates``, seeded.

    :param book: the rule book whose figures (caps, ages, deciles, item categories) and business
        types the applications follow; a sequence of books when comparing versions of the rules:
        the last one's figures, and plans near the caps of each; ``None`` (or no book) for the
        2025 round's figures (:data:`~bansos_rules.testing.FIGURES_2025`).
    :param dates: the dates the rules are applied for; each case is drawn for one of them.
        Default: 1 June 2025.
    :param seed: the same seed gives the same cases.
    :param kinds: the kinds to draw (default: all of :data:`KINDS`, in that order).
    :raises StrategyArgumentError: when there is no date, or an unknown kind.
    """

    def __init__(
        self,
        book: RuleBook | Sequence[RuleBook] | None,
        *,
        dates: Iterable[date] = (DEFAULT_REFERENCE_DATE,),
        seed: int = DEFAULT_SEED,
        kinds: Iterable[Kind] = KINDS,
    ) -> None:
        self.books: tuple[RuleBook | None, ...] = (
            (tuple(book) or (None,)) if isinstance(book, Sequence) else (book,)
        )
        self.dates: tuple[date, ...] = tuple(dict.fromkeys(dates))
        self.seed = seed
        self.kinds: tuple[Kind, ...] = tuple(kinds)
        if not self.dates:
            raise StrategyArgumentError("a population needs at least one date")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise StrategyArgumentError(
                f"kinds={self.kinds!r} must be one or more of {', '.join(KINDS)}"
            )
        self._strategies: dict[Kind, SearchStrategy[tuple[date, Application]]] = {}
        self._drawn: dict[int, tuple[Case, ...]] = {}
        self._shrinking: list[_Shrinking] = []

    def shares(self, count: int) -> tuple[int, ...]:
        """How many of ``count`` cases each kind gets: equal shares, the first kinds one more.

        Each kind has its own search: left to one, hypothesis dwells on a few kinds.
        """
        share, extra = divmod(max(count, 0), len(self.kinds))
        return tuple(share + (i < extra) for i in range(len(self.kinds)))

    def draw(self, count: int) -> tuple[Case, ...]:
        """``count`` cases, kind by kind (drawn once per population and count, then reused).

        :raises StrategyArgumentError: when a book's rules are not in force on one of the dates.
        """
        if count not in self._drawn:
            cases: list[Case] = []
            for index, (kind, share) in enumerate(zip(self.kinds, self.shares(count), strict=True)):
                if not share:
                    continue

                def collect(drawn: tuple[date, Application], kind: Kind = kind) -> bool:
                    cases.append(Case(kind, *drawn))
                    return False  # never "found": draw the whole share

                self._search(index, share, collect)
            self._drawn[count] = tuple(cases)
        return self._drawn[count]

    def shrink(
        self,
        kind: Kind,
        holds: Callable[[Case], bool],
        *,
        count: int,
        max_draws: int | None = None,
        seconds: float = 30.0,
    ) -> Case | None:
        """The smallest case of ``kind`` found for which ``holds`` is true, or ``None``.

        Searches ``kind`` again as :meth:`draw` did for ``count`` cases, so it meets the first
        such case of the draw first, then lets hypothesis shrink it.

        :param max_draws: how many cases shrinking may draw once one is found (counting draws
            rather than time gives the same result on every machine).
        :param seconds: how long shrinking may take once a case is found; the smallest found so
            far is returned after it.
        """
        index = self.kinds.index(kind)
        share = self.shares(count)[index]
        if not share:
            return None
        condition = _Shrinking(holds, kind, max_draws, seconds)
        self._shrinking[:] = [condition]
        try:
            self._search(index, share, condition, shrink=True)
        except _Stop:
            pass
        finally:
            self._shrinking.clear()
        return condition.best

    # ---- the searches ---------------------------------------------------------------------------

    def _search(
        self,
        index: int,
        share: int,
        condition: Callable[[tuple[date, Application]], bool],
        *,
        shrink: bool = False,
    ) -> None:
        phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
        settings = Settings(
            max_examples=share,
            database=None,
            deadline=None,
            derandomize=False,  # the seed is given explicitly: every search of a kind sees the same
            phases=phases,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
        )
        with contextlib.suppress(NoSuchExample):
            find(
                self._strategy(self.kinds[index]),
                condition,
                settings=settings,
                random=random.Random(self.seed + index),
            )

    def _strategy(self, kind: Kind) -> SearchStrategy[tuple[date, Application]]:
        if kind not in self._strategies:
            by_date = {on: st.tuples(st.just(on), self._kind_on(kind, on)) for on in self.dates}
            dated = st.sampled_from(self.dates).flatmap(by_date.__getitem__)
            self._strategies[kind] = self._counted(dated)
        return self._strategies[kind]

    def _counted(
        self, strategy: SearchStrategy[tuple[date, Application]]
    ) -> SearchStrategy[tuple[date, Application]]:
        """``strategy``, telling the search being shrunk (if any) before each draw."""

        @st.composite
        def counted(draw: st.DrawFn) -> tuple[date, Application]:
            for search in self._shrinking:
                search.drawing()
            return draw(strategy)

        result: SearchStrategy[tuple[date, Application]] = counted()
        return result

    def _kind_on(self, kind: Kind, on: date) -> SearchStrategy[Application]:
        book = self.books[-1]
        if kind == "near_cap":
            return st.one_of(
                *(applications(eligible=True, near_cap=True, on=on, book=b) for b in self.books)
            )
        if kind == "any":
            return applications(on=on, book=book)
        if kind == "eligible":
            return applications(eligible=True, on=on, book=book)
        if kind == "ineligible":
            return applications(eligible=False, on=on, book=book)
        return _with_cash_line(book, on)


def _with_cash_line(book: RuleBook | None, on: date) -> SearchStrategy[Application]:
    """Eligible applicants whose plan (of the same type, in the same regency) may hold cash."""
    plans: dict[tuple[str, str], SearchStrategy[BusinessPlan]] = {}

    def replace_plan(app: Application) -> SearchStrategy[Application]:
        key = (app.plan.business_type, app.applicant.regency)
        if key not in plans:
            plans[key] = business_plans(
                business_type=key[0], allow_cash=True, regency=key[1], book=book, on=on
            )
        return plans[key].map(lambda plan: app.model_copy(update={"plan": plan}))

    return applications(eligible=True, on=on, book=book).flatmap(replace_plan)


# ---- the example to paste ----------------------------------------------------------------------


def example_yaml(
    name: str,
    on: date,
    given: Mapping[str, Any],
    expect: Mapping[str, Any],
    *,
    comments: Sequence[str] = (),
) -> str:
    """A worked example as YAML to paste under a ruleset's ``examples:`` list.

    The list item is indented two spaces, like those of the shipped rulesets; ``comments`` come
    first, one ``#`` line each; ``on`` is written plain, as ruleset files write it; values are
    written in full (no ``&anchor``/``*alias``), tuples as lists.

    :param name: the example's name.
    :param on: the date its rules are applied for.
    :param given: the application, as :meth:`~pydantic.BaseModel.model_dump` gives it.
    :param expect: the decision it expects (``outcome``, ``aid_value``, ``failed``, ...).
    """
    item = {"name": name, "on": on, "given": _plain(given), "expect": _plain(expect)}
    body = _dump([item], allow_unicode=True)
    if hidden_character(body.replace("\n", "")) is not None:
        # A hidden character (a text-direction override in a generated name) is written as an
        # escape, so the example can be pasted into a ruleset, which refuses hidden characters.
        body = _dump([item], allow_unicode=False)
    # PyYAML quotes the key 'on' (a boolean in YAML 1.1); ruleset files write it plain.
    body = body.replace("\n  'on': ", "\n  on: ", 1)
    head = "".join(f"# {' '.join(line.split())}\n" for line in comments)
    return textwrap.indent(head + body, "  ")


def _dump(data: Any, *, allow_unicode: bool) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=allow_unicode,
        default_flow_style=None,
        width=96,
    )


class _Dumper(yaml.SafeDumper):
    """Writes every value in full: no ``&anchor`` / ``*alias`` for a date that appears twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _plain(value: Any) -> Any:
    """``value`` with tuples as lists and mappings as dicts, which YAML can write."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
