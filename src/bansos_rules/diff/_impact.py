"""What changing the rules does to decisions on a population: records read from files, or the
rule books' generated :class:`~bansos_rules.testing.Population`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeAlias

from bansos_rules._book import RuleBook
from bansos_rules._decision import Decision, Outcome, RuleError, Text
from bansos_rules._errors import InputError, RulesetError
from bansos_rules._io import Record
from bansos_rules._messages import Lang, label
from bansos_rules._models import Application
from bansos_rules.diff._structure import structural_diff
from bansos_rules.testing import Case, Kind, example_yaml
from bansos_rules.testing import Population as _Drawn

DEFAULT_GENERATED = 1000
"""How many applications are generated when no population is given."""

OUTCOMES = (Outcome.APPROVED, Outcome.NEEDS_REVIEW, Outcome.REJECTED)
"""The outcomes, in the order reports list them."""


@dataclass(frozen=True)
class Generated:
    """The rule books' generated population (:class:`bansos_rules.testing.Population`).

    Its kinds (eligible applicants near both sides' aid caps, any applicant, eligible ones, plans
    with a cash line, ineligible ones) make approvals, rejections and reviews all occur. The same
    ``count`` and ``seed`` give the same applications.
    """

    count: int = DEFAULT_GENERATED
    seed: int = 0
    shrink: bool = True
    """Whether examples of each kind of flip are shrunk to a minimal application."""
    shrink_seconds: float = 10.0
    """Time allowed for shrinking one example; the smallest found so far is kept after it."""
    shrink_budget: float = 45.0
    """Time allowed for shrinking all examples; examples left when it runs out are shown as
    they were generated."""


Population: TypeAlias = Generated | Iterable[Record | Application | Mapping[str, Any]]
"""What :func:`impact` compares decisions on: records read from files, applications, or
:class:`Generated` ones."""

Transition: TypeAlias = tuple[Outcome, Outcome]
"""An outcome on the old side and on the new side."""


@dataclass(frozen=True)
class RuleStatusChange:
    """A rule that came out differently for one applicant.

    ``old`` and ``new`` are ``passed``, ``failed``, ``not_applicable``, ``error``, or ``absent``
    on a side without the rule; a rule that failed on both sides is listed when what its failure
    does (``on_fail``: ``reject``, ``review``, ``none``) differs.
    """

    rule: str
    old: str
    new: str
    old_on_fail: str | None = None
    """What the failure does on the old side, when the rule failed there."""
    new_on_fail: str | None = None
    """What the failure does on the new side, when the rule failed there."""


@dataclass(frozen=True)
class InvalidRecord:
    """A record that could not be compared: where it is and why (in both languages)."""

    where: str
    problem: Text


@dataclass(frozen=True)
class Applicant:
    """A concrete application whose decision changed, and the rules behind the change."""

    application_id: str
    where: str | None
    """``file:line`` of the record; ``None`` for a generated application."""
    name: str
    regency: str
    business_type: str
    plan_total: int
    on: date
    old_outcome: Outcome
    new_outcome: Outcome
    old_aid: int
    new_aid: int
    rules: tuple[RuleStatusChange, ...]
    shrunk: bool
    """Whether it was shrunk to a minimal application with the same change."""
    application: Mapping[str, Any]
    """The application, JSON-ready, fields left at their defaults omitted."""

    def example_yaml(self, lang: Lang = "id") -> str:
        """A worked example to paste under ``examples:`` of a ruleset file (indented as the
        rulesets write them): the application as ``given``, the new side's decision as
        ``expect``."""
        failed = [c.rule for c in self.rules if c.new == "failed"]
        passed = [c.rule for c in self.rules if c.new == "passed"]
        because = ", ".join(c.rule for c in self.rules)
        name = (
            f"{self.application_id}: {label(self.old_outcome.value, lang).lower()} → "
            f"{label(self.new_outcome.value, lang).lower()}" + (f" ({because})" if because else "")
        )
        expect: dict[str, Any] = {"outcome": self.new_outcome.value, "aid_value": self.new_aid}
        if failed:
            expect["failed"] = failed
        if passed:
            expect["passed"] = passed
        return example_yaml(name[:200], self.on, self.application, expect)


@dataclass
class Tally:
    """Decisions on both sides for a group of applications, and the aid they add up to."""

    applications: int = 0
    matrix: Counter[Transition] = field(default_factory=Counter)
    """``(old outcome, new outcome)`` -> applications, unchanged ones included."""
    aid_old: int = 0
    aid_new: int = 0
    aid_changed: int = 0
    """Applications with the same outcome on both sides but a different aid value."""

    def add(self, old: Decision, new: Decision) -> None:
        """Count one application."""
        self.applications += 1
        self.matrix[(old.outcome, new.outcome)] += 1
        self.aid_old += old.aid_value
        self.aid_new += new.aid_value
        if old.outcome is new.outcome and old.aid_value != new.aid_value:
            self.aid_changed += 1

    @property
    def aid_delta(self) -> int:
        """Total aid on the new side minus the old."""
        return self.aid_new - self.aid_old

    @property
    def changed(self) -> int:
        """Applications whose outcome differs."""
        return sum(n for (a, b), n in self.matrix.items() if a is not b)

    @property
    def gained(self) -> int:
        """Applications approved on the new side only."""
        return sum(n for (a, b), n in self.matrix.items() if b is Outcome.APPROVED and a is not b)

    @property
    def lost(self) -> int:
        """Applications approved on the old side only."""
        return sum(n for (a, b), n in self.matrix.items() if a is Outcome.APPROVED and a is not b)

    def outcomes(self, side: Literal["old", "new"]) -> dict[Outcome, int]:
        """How many applications got each outcome on ``side``."""
        found = dict.fromkeys(OUTCOMES, 0)
        for (a, b), n in self.matrix.items():
            found[a if side == "old" else b] += n
        return found

    def transitions(self) -> list[tuple[Transition, int]]:
        """Every outcome change that occurred, in a fixed order, with its count."""
        return [
            ((a, b), self.matrix[(a, b)])
            for a in OUTCOMES
            for b in OUTCOMES
            if a is not b and self.matrix[(a, b)]
        ]


@dataclass(frozen=True)
class Impact:
    """What changing the rules does to the decisions on a population."""

    population: Literal["records", "generated"]
    sources: tuple[str, ...]
    """The files read, or ``generated:COUNT:SEED``."""
    on: date | None
    """The date the rules were applied for; ``None`` when each record's own date was used."""
    on_reason: Literal["given", "submitted_on", "today", "change"]
    """Why that date: given, each record's ``submitted_on``, today, or the latest date a
    parameter change takes effect."""
    records: int
    """Every record read or generated: compared ones plus invalid ones."""
    invalid: tuple[InvalidRecord, ...]
    total: Tally
    by_regency: dict[str, Tally]
    by_business_type: dict[str, Tally]
    rules_behind: dict[Transition, Counter[str]]
    """For each outcome change: how often each rule's status changed with it."""
    examples: dict[Transition, tuple[Applicant, ...]]
    regency_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def compared(self) -> int:
        """Applications decided on both sides."""
        return self.total.applications


_STATUS_NAMES = {True: "passed", False: "failed", None: "not_applicable"}


_ABSENT = ("absent", None)


def _statuses(decision: Decision) -> dict[str, tuple[str, str | None]]:
    """Each requirement rule's status (and ``on_fail`` when it failed), from the raw results."""
    found: dict[str, tuple[str, str | None]] = {}
    for rule, res in zip(decision.layout.rules, decision.results, strict=True):
        status = "error" if isinstance(res, RuleError) else _STATUS_NAMES[res]
        found[rule.id] = (status, rule.on_fail if status == "failed" else None)
    return found


def rule_changes(old: Decision, new: Decision) -> tuple[RuleStatusChange, ...]:
    """Rules that came out differently in two decisions on the same application."""
    a, b = _statuses(old), _statuses(new)
    changes = []
    for rid in dict.fromkeys([*b, *a]):
        sa, sb = a.get(rid, _ABSENT), b.get(rid, _ABSENT)
        if sa != sb:
            changes.append(RuleStatusChange(rid, sa[0], sb[0], sa[1], sb[1]))
    return tuple(changes)


def _applicant(
    app: Application,
    old: Decision,
    new: Decision,
    where: str | None,
    changes: tuple[RuleStatusChange, ...],
    *,
    shrunk: bool,
) -> Applicant:
    return Applicant(
        app.id,
        where,
        app.applicant.name,
        app.applicant.regency,
        app.plan.business_type,
        new.plan_total,
        new.on,
        old.outcome,
        new.outcome,
        old.aid_value,
        new.aid_value,
        changes,
        shrunk,
        app.model_dump(mode="json", exclude_defaults=True),
    )


class _Accumulator:
    """Counts decisions as they come and keeps the first applicant of each kind of change."""

    def __init__(self) -> None:
        self.total = Tally()
        self.by_regency: dict[str, Tally] = {}
        self.by_type: dict[str, Tally] = {}
        self.rules_behind: dict[Transition, Counter[str]] = {}
        self.signatures: dict[Transition, Counter[tuple[RuleStatusChange, ...]]] = {}
        self.first: dict[tuple[Transition, tuple[RuleStatusChange, ...]], Applicant] = {}
        self.invalid: list[InvalidRecord] = []
        self.sources: dict[str, None] = {}
        self.records = 0

    def add(self, app: Application, old: Decision, new: Decision, where: str | None) -> None:
        self.total.add(old, new)
        self.by_regency.setdefault(app.applicant.regency, Tally()).add(old, new)
        self.by_type.setdefault(app.plan.business_type, Tally()).add(old, new)
        if old.outcome is new.outcome:
            return
        key = (old.outcome, new.outcome)
        changes = rule_changes(old, new)
        self.rules_behind.setdefault(key, Counter()).update(c.rule for c in changes)
        self.signatures.setdefault(key, Counter())[changes] += 1
        if (key, changes) not in self.first:
            self.first[(key, changes)] = _applicant(app, old, new, where, changes, shrunk=False)

    def chosen(self, limit: int) -> dict[Transition, list[Applicant]]:
        """Up to ``limit`` applicants per change, each with a different set of rule changes,
        the most frequent sets first (then the first seen)."""
        found: dict[Transition, list[Applicant]] = {}
        for key, signatures in self.signatures.items():
            ranked = sorted(signatures.items(), key=lambda kv: -kv[1])  # stable: first seen
            found[key] = [self.first[(key, sig)] for sig, _ in ranked[:limit]]
        return found

    def finish(
        self,
        population: Literal["records", "generated"],
        sources: tuple[str, ...],
        on: date | None,
        reason: Literal["given", "submitted_on", "today", "change"],
        examples: dict[Transition, list[Applicant]],
    ) -> Impact:
        order = {(a, b): i for i, (a, b) in enumerate((a, b) for a in OUTCOMES for b in OUTCOMES)}
        return Impact(
            population,
            sources,
            on,
            reason,
            self.records,
            tuple(self.invalid),
            self.total,
            dict(sorted(self.by_regency.items())),
            dict(sorted(self.by_type.items())),
            {k: self.rules_behind[k] for k in sorted(self.rules_behind, key=order.__getitem__)},
            {k: tuple(examples[k]) for k in sorted(examples, key=order.__getitem__)},
            _regency_names(),
        )


def _regency_names() -> dict[str, str]:
    """East Kalimantan's regency names by Kemendagri code, when the ``test`` extra is there."""
    try:
        from bansos_rules.testing.strategies import KALTIM_REGENCIES
    except ImportError:  # pragma: no cover - hypothesis is not installed
        return {}
    return dict(KALTIM_REGENCIES)


def _decide_both(
    engines: tuple[Any, Any], app: Application, on: date
) -> tuple[Decision, Decision] | Text:
    """Both decisions, or why there are none (no parameter value in force on ``on``)."""
    decisions = []
    for side, engine in zip(("old", "new"), engines, strict=True):
        try:
            decisions.append(engine.decide(app, on))
        except RulesetError as exc:
            d = exc.diagnostics[0]
            return Text(
                *(
                    f"{label('no_rules_on', lang)} {on.isoformat()} "
                    f"({label('diff_' + side, lang)}): {d.format(lang)}"
                    for lang in ("id", "en")
                )
            )
    return decisions[0], decisions[1]


def impact(
    old: RuleBook,
    new: RuleBook,
    population: Population,
    *,
    on: date | None = None,
    examples: int = 3,
    engine: str = "native",
    today: date | None = None,
) -> Impact:
    """Decide every application of ``population`` with both books and count what changes.

    :param population: records from :func:`bansos_rules._io.read_records` (a record that cannot
        be parsed, validated or decided is reported as an :class:`InvalidRecord`), applications
        or mappings, or :class:`Generated`.
    :param on: the date whose rules apply. Default: each record's ``submitted_on`` (else
        ``today``); for generated applications, the latest date on which a parameter's value
        starts to differ if that is after ``today``, else ``today``.
    :param examples: how many example applicants to keep for each kind of outcome change, each
        with a different set of rule changes (the most frequent first); generated ones are
        shrunk to minimal applications with the same changes.
    :param engine: the engine that decides on both sides.
    :param today: the date taken as today (default: the system date).
    :raises RulesetError: when a generated population's date has no rules in force on a side.
    """
    today = today or date.today()
    engines = (old.engine(engine), new.engine(engine))
    acc = _Accumulator()
    if isinstance(population, Generated):
        return _impact_generated(old, new, population, on, today, engines, acc, examples)
    for number, item in enumerate(population, 1):
        acc.records += 1
        where = f"record {number}"
        data: Any = item
        if isinstance(item, Record):
            acc.sources[item.source] = None
            where = item.where
            if item.problem is not None or item.data is None:
                problem = Text(item.message("id") or "no data", item.message("en") or "no data")
                acc.invalid.append(InvalidRecord(where, problem))
                continue
            data = item.data
        try:
            app = new.validate(data)
        except InputError as exc:
            acc.invalid.append(
                InvalidRecord(
                    where,
                    Text(
                        *(
                            "; ".join(f"{p.path}: {p.text(lang)}" for p in exc.problems)
                            for lang in ("id", "en")
                        )
                    ),
                )
            )
            continue
        day = on or app.submitted_on or today
        decided = _decide_both(engines, app, day)
        if isinstance(decided, Text):
            acc.invalid.append(InvalidRecord(where, decided))
            continue
        acc.add(app, decided[0], decided[1], where)
    reason: Literal["given", "submitted_on"] = "given" if on else "submitted_on"
    return acc.finish("records", tuple(acc.sources), on, reason, acc.chosen(examples))


def _population(books: Sequence[RuleBook], on: date, seed: int) -> _Drawn:
    """The books' population on ``on``: the last book's figures, plans near every book's caps."""
    return _Drawn(books, dates=(on,), seed=seed)


def generate_applications(
    count: int, *, on: date, seed: int = 0, books: Sequence[RuleBook] = ()
) -> list[Application]:
    """``count`` applications for the rules on ``on``, the same ones for the same ``seed``.

    They are the applications of :class:`bansos_rules.testing.Population`, numbered
    ``GEN-00001`` onwards (drawn ids repeat).

    :param books: rule books whose figures (caps, ages, business types) steer the drawing; the
        plan totals cluster near every book's caps.
    """
    if count <= 0:
        return []
    cases = _population(books, on, seed).draw(count)
    return [_numbered(case.application, i) for i, case in enumerate(cases, 1)]


def _numbered(app: Application, number: int) -> Application:
    return app.model_copy(update={"id": f"GEN-{number:05d}"})


def shrink_application(
    holds: Callable[[Application], bool],
    *,
    on: date,
    seed: int = 0,
    seconds: float = 20.0,
    books: Sequence[RuleBook] = (),
    count: int = DEFAULT_GENERATED,
) -> Application | None:
    """A minimal generated application for which ``holds`` is true, or ``None`` if none is found.

    Searches the applications :func:`generate_applications` draws for ``count``, kind by kind,
    and shrinks the first that holds. After ``seconds`` the smallest found so far is returned.
    """
    population = _population(books, on, seed)
    for kind in population.kinds:
        found = population.shrink(
            kind, lambda case: holds(case.application), count=count, seconds=seconds
        )
        if found is not None:
            return found.application
    return None


def _default_generated_on(
    old: RuleBook, new: RuleBook, today: date
) -> tuple[date, Literal["today", "change"]]:
    later = [d for d in structural_diff(old, new).value_dates() if d > today]
    return (max(later), "change") if later else (today, "today")


def _impact_generated(
    old: RuleBook,
    new: RuleBook,
    population: Generated,
    on: date | None,
    today: date,
    engines: tuple[Any, Any],
    acc: _Accumulator,
    examples: int,
) -> Impact:
    reason: Literal["given", "today", "change"] = "given"
    if on is None:
        on, reason = _default_generated_on(old, new, today)
    for book in (old, new):
        book.layout.params_on(on)  # raises RulesetError naming what is not in force
    drawn = _population((old, new), on, population.seed)
    kinds: dict[str, Kind] = {}
    for number, case in enumerate(drawn.draw(population.count), 1):
        app = _numbered(case.application, number)
        kinds[app.id] = case.kind
        acc.records += 1
        decided = _decide_both(engines, app, on)
        if isinstance(decided, Text):  # pragma: no cover - params_on checked the date above
            acc.invalid.append(InvalidRecord(app.id, decided))
            continue
        acc.add(app, decided[0], decided[1], None)
    chosen = acc.chosen(examples)
    if population.shrink:
        day = on
        budget_ends = time.monotonic() + population.shrink_budget
        for key, found in chosen.items():
            for i, first in enumerate(found):
                left = budget_ends - time.monotonic()
                if left <= 0:
                    break
                wanted = first.rules

                def holds(
                    case: Case,
                    key: Transition = key,
                    wanted: tuple[RuleStatusChange, ...] = wanted,
                ) -> bool:
                    decided = _decide_both(engines, case.application, day)
                    if isinstance(decided, Text):
                        return False
                    a, b = decided
                    return (a.outcome, b.outcome) == key and rule_changes(a, b) == wanted

                small = drawn.shrink(
                    kinds[first.application_id],
                    holds,
                    count=population.count,
                    seconds=min(population.shrink_seconds, left),
                )
                if small is not None:
                    app = small.application
                    a, b = engines[0].decide(app, on), engines[1].decide(app, on)
                    found[i] = _applicant(app, a, b, None, rule_changes(a, b), shrunk=True)
    source = f"generated:{population.count}:{population.seed}"
    return acc.finish("generated", (source,), on, reason, chosen)
