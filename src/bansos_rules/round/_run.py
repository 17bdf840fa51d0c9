"""A round from applications: decide each, score the approved, allocate, explain.

:func:`allocate` is the Python API behind ``bansos-rules allocate``: every application is
validated and decided by the rule book; each approved one becomes a :class:`~._core.Row` (need
score from the round's terms, tie-break key from the NIK and the published seed); the rows are
allocated by :func:`~._core.allocate_rows`; every application gets an :class:`Entry` with its
status, rank, score, cut-off and reasons in both languages. :func:`update` re-runs a round with
withdrawals and corrected applications and lists every change against the previous allocation.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from bansos_rules._decision import Decision, Outcome, Text
from bansos_rules._errors import InputError, RulesetError
from bansos_rules._messages import label
from bansos_rules._models import Application
from bansos_rules.round._core import Allocation, Row, Status, allocate_rows, apportion
from bansos_rules.round._core import tiebreak_key as _tiebreak
from bansos_rules.round._loader import NeedTermIR, Regency, Round
from bansos_rules.round._texts import text

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook

__all__ = [
    "Change",
    "Context",
    "Entry",
    "Invalid",
    "NeedPoints",
    "RegencySummary",
    "RoundResult",
    "Source",
    "allocate",
    "allocate_decided",
    "slots_for",
    "update",
]

Source = Application | Mapping[str, Any]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


"""An application, or a mapping to validate (parsed JSON)."""


@dataclass(frozen=True, slots=True)
class NeedPoints:
    """One need-score term for one application: the raw value and the points it gives."""

    term: str
    value: int
    points: int
    reason: Text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "term": self.term,
            "value": self.value,
            "points": self.points,
            "reason": {"id": self.reason.id, "en": self.reason.en},
        }


@dataclass(frozen=True, slots=True)
class Context:
    """What the reasons of a regency's entries need, shared by all of them."""

    terms: tuple[NeedTermIR, ...]
    regency_name: str
    ranked: int
    cutoff_rank: int
    budget: int | None
    memo: dict[tuple[int, int], NeedPoints] = field(default_factory=dict, compare=False)
    """Each term's explanation per value, rendered once for the whole regency."""
    memo_json: dict[tuple[int, int], str] = field(default_factory=dict, compare=False)
    """The same as JSON, as ``allocate --format jsonl`` writes it."""

    def points_json(self, index: int, value: int) -> str:
        """:meth:`points` as a compact JSON object (rendered once per term and value)."""
        found = self.memo_json.get((index, value))
        if found is None:
            found = self.memo_json[index, value] = _dumps(self.points(index, value).to_dict())
        return found

    def points(self, index: int, value: int) -> NeedPoints:
        """Term ``index`` with ``value``: its points and reason (shared, immutable)."""
        found = self.memo.get((index, value))
        if found is None:
            term = self.terms[index]
            pts = term.weight * value
            reason = Text(
                term.reason.id.format(value=value, points=pts),
                term.reason.en.format(value=value, points=pts),
            )
            found = self.memo[index, value] = NeedPoints(term.id, value, pts, reason)
        return found


class Entry(NamedTuple):
    """An application's place in the round. The reasons are rendered when read."""

    application_id: str
    kk: str
    regency: str
    status: Status
    outcome: Outcome | None
    aid_value: int
    rank: int | None
    score: int | None
    cutoff_score: int | None
    position: int | None
    reason_code: str | None
    other: str | None
    need_values: tuple[int, ...] = ()
    context: Context | None = None

    @property
    def reason(self) -> Text:
        """Why the application is where it is, in both languages."""
        ctx = self.context
        if self.status is Status.NOT_APPROVED or ctx is None:
            return text("not-approved", outcome=self.reason_code)
        args = {
            "rank": self.rank,
            "approved": ctx.ranked,
            "regency": ctx.regency_name,
            "slots": ctx.cutoff_rank,
        }
        if self.status is Status.SELECTED:
            return text("selected", **args)
        if self.status is Status.WAITLISTED:
            return text("waitlisted", position=self.position, **args)
        if self.status is Status.WITHDRAWN:
            return text("withdrawn")
        if self.reason_code == "same_kk":
            return text("not-selected-kk", other=self.other, **args)
        if self.reason_code == "budget":
            budget = f"{ctx.budget or 0:,}".replace(",", ".")
            return text("not-selected-budget", budget=budget, **args)
        return text("not-selected-slots", **args)

    @property
    def need(self) -> tuple[NeedPoints, ...]:
        """Each need-score term: its value, its points and its reason."""
        ctx = self.context
        if ctx is None:
            return ()
        return tuple(ctx.points(i, value) for i, value in enumerate(self.need_values))

    @property
    def gap(self) -> int | None:
        """Score minus the regency's cut-off (negative below it); ``None`` when not ranked."""
        if self.score is None or self.cutoff_score is None:
            return None
        return self.score - self.cutoff_score

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (one line of ``allocate --format jsonl``)."""
        reason = self.reason
        return {
            "application_id": self.application_id,
            "kk_number": self.kk,
            "regency": self.regency,
            "status": self.status.value,
            "reason_code": self.reason_code,
            "other_application": self.other,
            "outcome": self.outcome.value if self.outcome else None,
            "rank": self.rank,
            "waitlist_position": self.position,
            "score": self.score,
            "cutoff_score": self.cutoff_score,
            "gap": self.gap,
            "aid_value": self.aid_value,
            "reason": {"id": reason.id, "en": reason.en},
            "need": [n.to_dict() for n in self.need],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON (one line of ``allocate --format jsonl``), the need
        terms spliced in from JSON rendered once per term and value."""
        head = self.to_dict()
        del head["need"]
        ctx = self.context
        need = (
            ",".join(ctx.points_json(i, v) for i, v in enumerate(self.need_values))
            if ctx is not None
            else ""
        )
        return f'{_dumps(head)[:-1]},"need":[{need}]}}'


@dataclass(frozen=True, slots=True)
class Invalid:
    """A record that could not be decided: where it is and why, in both languages."""

    where: str
    problems: tuple[Text, ...]


@dataclass(frozen=True, slots=True)
class RegencySummary:
    """One regency's line of the summary."""

    code: str
    name: str
    slots: int
    approved: int
    selected: int
    waitlisted: int
    committed: int
    cutoff_score: int | None


@dataclass(frozen=True, slots=True)
class Change:
    """One line of the audit trail of an update."""

    application_id: str
    regency: str
    old_status: str | None
    new_status: str
    old_rank: int | None
    new_rank: int | None
    why: Text

    @property
    def kind(self) -> str:
        """``entered``, ``left``, ``status`` or ``rank``."""
        if self.new_status == "selected" and self.old_status != "selected":
            return "entered"
        if self.old_status == "selected" and self.new_status != "selected":
            return "left"
        return "status" if self.old_status != self.new_status else "rank"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (one line of ``--audit``)."""
        return {
            "application_id": self.application_id,
            "regency": self.regency,
            "change": self.kind,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "old_rank": self.old_rank,
            "new_rank": self.new_rank,
            "why": {"id": self.why.id, "en": self.why.en},
        }


@dataclass(frozen=True)
class RoundResult:
    """A round: every application's entry, the allocation, and what could not be decided."""

    round: Round
    on: date
    digest: str
    entries: tuple[Entry, ...]
    allocation: Allocation
    invalid: tuple[Invalid, ...]
    records: int
    changes: tuple[Change, ...] = ()

    def summary(self) -> list[RegencySummary]:
        """One line per regency of the round, then any other regency seen, by code."""
        names = {r.code: r.name for r in self.round.regencies}
        codes = [r.code for r in self.round.regencies]
        codes += sorted({e.regency for e in self.entries} - set(codes))
        counts: Counter[tuple[str, str]] = Counter()
        committed: Counter[str] = Counter()
        for e in self.entries:
            if e.rank is not None:
                counts[e.regency, "approved"] += 1
            counts[e.regency, e.status.value] += 1
            if e.status is Status.SELECTED:
                committed[e.regency] += e.aid_value
        return [
            RegencySummary(
                code,
                names.get(code, code),
                self.allocation.slots.get(code, 0),
                counts[code, "approved"],
                counts[code, "selected"],
                counts[code, "waitlisted"],
                committed[code],
                self.allocation.cutoffs.get(code),
            )
            for code in codes
        ]

    def by_id(self) -> dict[str, Entry]:
        """The entries by application id."""
        return {e.application_id: e for e in self.entries}


def slots_for(round_: Round, on: date, approved: Mapping[str, int]) -> dict[str, int]:
    """The slots of each regency of ``round_`` on ``on`` (``approved``: count per regency, for
    the ``by_eligible`` method)."""
    spec = round_.slots
    low = round_.param(spec.minimum, on) or 0
    high = round_.param(spec.maximum, on)
    if spec.method == "fixed":
        each = round_.param(spec.per_regency, on)
        return {
            r.code: r.slots if r.slots is not None else int(each or 0) for r in round_.regencies
        }
    total = int(round_.param(spec.total, on) or 0)
    if spec.method == "by_eligible":
        weights = {r.code: approved.get(r.code, 0) for r in round_.regencies}
    else:
        weights = {r.code: r.poor_population for r in round_.regencies}
    shares = apportion(total, weights, low, high)
    return {r.code: r.slots if r.slots is not None else shares[r.code] for r in round_.regencies}


def _problems(exc: InputError) -> tuple[Text, ...]:
    return tuple(
        Text(f"{p.path}: {p.text('id')}", f"{p.path}: {p.text('en')}") for p in exc.problems
    )


def allocate(
    book: RuleBook,
    applications: Iterable[Source | tuple[str, Source | None, str | None]],
    *,
    on: date,
    round: Round | None = None,
    engine: str = "native",
    withdrawn: Iterable[str] = (),
) -> RoundResult:
    """Decide every application on ``on``, then allocate the round.

    :param applications: applications or mappings; or ``(where, data, problem)`` triples, where
        ``where`` names the record in messages and ``data`` is ``None`` when it could not be read
        (``problem`` says why).
    :param round: the round ruleset (the shipped one when omitted).
    :param withdrawn: application ids that withdrew or failed verification.
    :returns: the result, identical (entries, order, bytes) whatever the order of the input.
    :raises RulesetError: when a parameter the round reads has no value in force on ``on``.
    """
    from bansos_rules.round._loader import load_round

    round_ = round or load_round(registry=book.registry)
    eng = book.engine(engine)
    invalid: list[Invalid] = []
    decided: list[tuple[Application, Decision]] = []
    pending: list[tuple[str, Application]] = []
    records = 0
    for i, item in enumerate(applications, 1):
        records += 1
        where, data, problem = item if isinstance(item, tuple) else (f"#{i}", item, None)
        if data is None:
            invalid.append(Invalid(where, (Text(problem or "?", problem or "?"),)))
            continue
        try:
            app = book.validate(data)
        except InputError as exc:
            invalid.append(Invalid(where, _problems(exc)))
            continue
        if engine == "columnar":
            pending.append((where, app))  # decided together below, as one frame
            continue
        _decide_one(eng, where, app, on, decided, invalid)
    if pending:
        try:
            many = eng.decide_many([app for _, app in pending], on)  # type: ignore[attr-defined]
            decided.extend((app, d) for (_, app), d in zip(pending, many, strict=True))
        except RulesetError:
            for where, app in pending:
                _decide_one(eng, where, app, on, decided, invalid)
    return allocate_decided(
        decided,
        on=on,
        round=round_,
        withdrawn=withdrawn,
        digest=book.digest,
        invalid=invalid,
        records=records,
        allocator="columnar" if engine == "columnar" else "rows",
    )


def _decide_one(
    eng: Any,
    where: str,
    app: Application,
    on: date,
    decided: list[tuple[Application, Decision]],
    invalid: list[Invalid],
) -> None:
    try:
        decision = eng.decide(app, on)
    except RulesetError as exc:
        invalid.append(
            Invalid(
                where,
                tuple(
                    Text(
                        f"{label('no_rules_on', 'id')} {on}: {d.format('id')}",
                        f"{label('no_rules_on', 'en')} {on}: {d.format('en')}",
                    )
                    for d in exc.diagnostics
                ),
            )
        )
        return
    decided.append((app, decision))


def allocate_decided(
    decided: Iterable[tuple[Application, Decision]],
    *,
    on: date,
    round: Round,
    withdrawn: Iterable[str] = (),
    digest: str = "",
    invalid: Iterable[Invalid] = (),
    records: int | None = None,
    allocator: str = "rows",
) -> RoundResult:
    """Allocate applications already decided (each with its decision): score the approved,
    key them, allocate the rows and explain every entry. :func:`allocate` without deciding.

    :param digest: the rule book's digest, carried into the result.
    :param invalid: records that could not be decided, carried into the result.
    :param records: how many records were read (the number of ``decided`` plus ``invalid``
        when omitted).
    :param allocator: ``rows`` (:func:`~._core.allocate_rows`) or ``columnar``
        (:func:`~._columnar.allocate_frame`: the same placements, on Polars columns);
        :func:`allocate` uses ``columnar`` with the columnar engine.
    """
    round_ = round
    decided = list(decided)
    invalid = list(invalid)
    params = [round_.param(name, on) for name in round_.param_names]
    regencies = {r.code: r for r in round_.regencies}
    seen = Counter(app.id for app, _ in decided)
    twice = {k for k, n in seen.items() if n > 1}
    if twice:
        for app, _ in decided:
            if app.id in twice:
                msg = Text(
                    f"id aplikasi {app.id} muncul lebih dari sekali; semua salinan dikeluarkan",
                    f"application id {app.id} appears more than once; every copy is left out",
                )
                invalid.append(Invalid(app.id, (msg,)))
        decided = [(a, d) for a, d in decided if a.id not in twice]
    rows: list[Row] = []
    need: dict[str, tuple[int, ...]] = {}
    scorer, seed = round_.scorer, round_.seed
    new, approved = tuple.__new__, Outcome.APPROVED
    for app, decision in decided:
        if decision.outcome is not approved:
            continue
        applicant = app.applicant
        code = applicant.regency
        regency = regencies.get(code) or Regency(code, code, 0, 0, 0, "")
        score, values = scorer(app, on, regency, params)
        need[app.id] = values
        rows.append(
            new(
                Row,
                (
                    app.id,
                    app.household.kk_number,
                    code,
                    score,
                    decision.aid_value,
                    _tiebreak(applicant.nik, seed),
                ),
            )
        )
    approved_counts = Counter(r.regency for r in rows)
    slots = slots_for(round_, on, approved_counts)
    budget = round_.param(round_.budget, on)
    if allocator == "columnar":
        from bansos_rules.round._columnar import allocate_frame, allocation_of_frame, rows_frame

        frame = allocate_frame(rows_frame(rows), slots, budget, withdrawn)
        allocation = allocation_of_frame(frame, slots, budget)
    else:
        allocation = allocate_rows(rows, slots, budget, withdrawn)
    contexts = {
        code: Context(
            round_.need,
            regencies[code].name if code in regencies else code,
            count,
            allocation.cutoff_ranks.get(code, 0),
            budget,
        )
        for code, count in allocation.ranked.items()
    }
    cutoffs = allocation.cutoffs
    # Built with tuple.__new__: the named tuple's own __new__ is Python code, and this loop
    # runs once per approved application.
    entries = [
        new(
            Entry,
            (
                row.application_id,
                row.kk,
                row.regency,
                status,
                approved,
                row.aid_value,
                rank,
                row.score,
                cutoffs.get(row.regency),
                position,
                reason,
                other,
                need[row.application_id],
                contexts[row.regency],
            ),
        )
        for row, status, rank, reason, other, position in allocation.placements
    ]
    rest = sorted(
        ((a, d) for a, d in decided if d.outcome is not Outcome.APPROVED),
        key=lambda pair: pair[0].id,
    )
    for app, decision in rest:
        entries.append(
            Entry(
                app.id,
                app.household.kk_number,
                app.applicant.regency,
                Status.NOT_APPROVED,
                decision.outcome,
                0,
                None,
                None,
                None,
                None,
                decision.outcome.value,
                None,
            )
        )
    invalid.sort(key=lambda bad: (bad.where, bad.problems))
    if records is None:
        records = len(decided) + len(invalid)
    return RoundResult(round_, on, digest, tuple(entries), allocation, tuple(invalid), records)


PreviousEntry = tuple[str, str, int | None]
"""``(regency, status, rank)`` of an application in a previous allocation."""


def update(
    book: RuleBook,
    applications: Iterable[Source | tuple[str, Source | None, str | None]],
    previous: Mapping[str, PreviousEntry] | RoundResult,
    *,
    on: date,
    round: Round | None = None,
    engine: str = "native",
    withdrawn: Iterable[str] = (),
    corrected: Iterable[str] = (),
) -> RoundResult:
    """Allocate the round again after withdrawals and corrections, with an audit trail.

    ``applications`` are the round's applications with any corrected ones replacing theirs
    (pass their ids in ``corrected``, so the trail says why they moved). Applications withdrawn
    in ``previous`` stay withdrawn. The result's :attr:`RoundResult.changes` lists every
    application whose status or rank differs from ``previous``, with the reason; the same inputs
    give the same result and trail.
    """
    if isinstance(previous, RoundResult):
        previous = {e.application_id: (e.regency, e.status.value, e.rank) for e in previous.entries}
    now_withdrawn = set(withdrawn)
    gone = now_withdrawn | {k for k, (_, status, _) in previous.items() if status == "withdrawn"}
    fixed = set(corrected)
    result = allocate(book, applications, on=on, round=round, engine=engine, withdrawn=sorted(gone))
    names = {r.code: r.name for r in result.round.regencies}
    changes: list[Change] = []
    for e in result.entries:
        old = previous.get(e.application_id)
        old_status = old[1] if old else None
        old_rank = old[2] if old else None
        if old is not None and old_status == e.status.value and old_rank == e.rank:
            continue
        if e.application_id in now_withdrawn:
            why = text("why-withdrawn")
        elif e.application_id in fixed:
            why = text("why-corrected")
        elif old is None:
            why = text("why-new")
        else:
            why = text("why-moved", regency=names.get(e.regency, e.regency))
        changes.append(
            Change(e.application_id, e.regency, old_status, e.status.value, old_rank, e.rank, why)
        )
    changes.sort(key=lambda c: (c.regency, c.kind != "entered", c.kind != "left", c.application_id))
    return RoundResult(
        result.round,
        result.on,
        result.digest,
        result.entries,
        result.allocation,
        result.invalid,
        result.records,
        tuple(changes),
    )
