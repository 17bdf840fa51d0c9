"""The columnar engine: a whole rule book as Polars expressions over a frame of applications.

For a date, every score rule for each candidate business type, the planned type's fit score, every
requirement rule, every value a decision records and the outcome become expressions, evaluated in
four steps on a (lazy) frame in :func:`~._schema.application_schema` form. The result is a frame of
decision records (:data:`RECORD_COLUMNS` plus a status column per rule, a status column per score
slot and a column per value read), the same records the other engines write, as columns;
:meth:`ColumnarEngine.decisions` turns rows back into :class:`~bansos_rules._decision.Decision`
objects, explained by the same manifest as every other engine's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from bansos_rules._decision import Decision
from bansos_rules._errors import RulesetError
from bansos_rules.engines.columnar._compile import (
    BT,
    Compiled,
    Compiler,
    fit_column,
    truthy,
)
from bansos_rules.engines.columnar._schema import frame_of
from bansos_rules.explain import from_record
from bansos_rules.ruleset.ir import Rule

if TYPE_CHECKING:
    from bansos_rules._book import Layout, RuleBook
    from bansos_rules._models import Application

__all__ = [
    "ON",
    "RECORD_COLUMNS",
    "ColumnarEngine",
    "score_column",
    "status_column",
    "value_column",
]

RECORD_COLUMNS = (
    "application_id",
    "outcome",
    "aid_value",
    "business_type",
    "plan_total",
    "rules_applied_on",
    "engine",
    "ruleset_digest",
    "rules",
    "scores",
    "errors",
)
"""The columns of a decision record that every record frame starts with (as in ``docs/cli.md``)."""

ON = "__on"
"""The column of the date each row's rules are applied for (when dates differ by row)."""

_NULL_TEXT = pl.lit(None, dtype=pl.String)
STATUS = pl.Enum(["p", "f", "n", "e"])
"""The type of a status column: passed, failed, not applicable, error."""
OUTCOME = pl.Enum(["approved", "rejected", "needs_review"])
"""The type of the ``outcome`` column."""


def status_column(rule_id: str) -> str:
    """The column of a requirement rule's status letter (``p``, ``f``, ``n``, ``e``)."""
    return f"status:{rule_id}"


def score_column(rule_id: str, business_type: str) -> str:
    """The column of a score rule's status for one candidate business type."""
    return f"score:{rule_id}:{business_type}"


def value_column(path: str) -> str:
    """The column of a value the rules read (``applicant.age``)."""
    return f"value:{path}"


class _Plan:
    """The four steps of expressions for one date."""

    def __init__(self, engine: ColumnarEngine, on: date, param: Any) -> None:
        layout = engine.layout
        self.compiler = Compiler(
            today=on,
            param=param,
            functions=engine.functions,
            business_types=tuple(layout.business_types),
        )
        self.files = {rs.id: rs.file for rs in layout.rulesets}
        self.business_types = tuple(layout.business_types)
        # 1. scores, per candidate
        score_cols: list[pl.Expr] = []
        score_errs: list[tuple[int, pl.Expr]] = []
        for slot, (rule, candidate) in enumerate(layout.scores):
            status, err = self._status(rule, candidate)
            score_cols.append(status.cast(STATUS).alias(score_column(rule.id, candidate)))
            if err is not None:
                score_errs.append((slot, err))
        # 2. the planned type's fit
        score = []
        most = []
        for rule, candidate in layout.scores:
            col = pl.col(score_column(rule.id, candidate))
            planned = pl.col(BT) == candidate
            score.append(pl.when(planned & (col == "p")).then(rule.points).otherwise(0))
            most.append(pl.when(planned & (col != "n")).then(rule.points).otherwise(0))
        s = pl.sum_horizontal(score).cast(pl.Int64) if score else pl.lit(0, pl.Int64)
        m = pl.sum_horizontal(most).cast(pl.Int64) if most else pl.lit(0, pl.Int64)
        fit = [
            s.alias(fit_column("score")),
            m.alias(fit_column("max_score")),
            pl.when(m > 0)
            .then(s * 100 // m)
            .otherwise(0)
            .cast(pl.Int64)
            .alias(fit_column("percent")),
        ]
        # 3. requirement rules and values
        rule_cols: list[pl.Expr] = []
        rule_errs: list[tuple[int, pl.Expr]] = []
        for slot, rule in enumerate(layout.rules):
            status, err = self._status(rule, None)
            rule_cols.append(status.cast(STATUS).alias(status_column(rule.id)))
            if err is not None:
                rule_errs.append((slot, err))
        value_cols = [
            self._value(path, layout).alias(value_column(path)) for path in layout.value_paths
        ]
        total = (
            self._value("plan.total", layout)
            if "plan.total" in layout.values
            else pl.col("plan")
            .struct.field("items")
            .list.eval(
                pl.element().struct.field("quantity") * pl.element().struct.field("unit_price")
            )
            .list.sum()
        ).cast(pl.Int64)
        errors = _errors_json(rule_errs, score_errs)
        self.steps: tuple[list[pl.Expr], ...] = (
            [pl.col("plan").struct.field("business_type").alias(BT)],
            score_cols,
            fit,
            [
                pl.col("id").alias("application_id"),
                pl.col(BT).alias("business_type"),
                total.alias("plan_total"),
                pl.lit(on, dtype=pl.Date).alias("rules_applied_on"),
                pl.lit(engine.name).alias("engine"),
                pl.lit(layout.digest).alias("ruleset_digest"),
                errors.alias("errors"),
                *rule_cols,
                *(pl.col(score_column(r.id, c)) for r, c in layout.scores),
                *value_cols,
            ],
        )
        rejecting = [
            pl.col(status_column(r.id)) == "f" for r in layout.rules if r.on_fail == "reject"
        ]
        reviewing = [
            pl.col(status_column(r.id)) == "f" for r in layout.rules if r.on_fail == "review"
        ]
        reviewing += [pl.col(status_column(r.id)) == "e" for r in layout.rules]
        rejected = pl.any_horizontal(rejecting) if rejecting else pl.lit(False)
        review = pl.any_horizontal(reviewing) if reviewing else pl.lit(False)
        outcome = (
            pl.when(rejected)
            .then(pl.lit("rejected"))
            .when(review)
            .then(pl.lit("needs_review"))
            .otherwise(pl.lit("approved"))
        )
        rules_letters = (
            pl.concat_str([pl.col(status_column(r.id)).cast(pl.String) for r in layout.rules])
            if layout.rules
            else pl.lit("")
        )
        score_letters = (
            pl.concat_str([pl.col(score_column(r.id, c)).cast(pl.String) for r, c in layout.scores])
            if layout.scores
            else pl.lit("")
        )
        self.final = [
            outcome.cast(OUTCOME).alias("outcome"),
            rules_letters.alias("rules"),
            score_letters.alias("scores"),
        ]
        self.order = [
            *RECORD_COLUMNS,
            *(status_column(r.id) for r in layout.rules),
            *(score_column(r.id, c) for r, c in layout.scores),
            *(value_column(p) for p in layout.value_paths),
        ]

    def _where(self, rule: Rule) -> str:
        return self.files.get(rule.ruleset, rule.ruleset)

    def _status(self, rule: Rule, candidate: str | None) -> tuple[pl.Expr, pl.Expr | None]:
        variant = rule.variants[candidate]
        trees = [e.tree for e in variant.exprs]
        if candidate is None and any(self.compiler.needs_branch(n) for n in trees):
            status_chain: Any = pl
            err_chain: Any = pl
            any_err = False
            for bt in self.business_types:
                status, err = self._one(rule, candidate, bt)
                status_chain = status_chain.when(pl.col(BT) == bt).then(status)
                err_chain = err_chain.when(pl.col(BT) == bt).then(
                    err if err is not None else _NULL_TEXT
                )
                any_err = any_err or err is not None
            return (
                status_chain.otherwise(pl.lit("n")),
                err_chain.otherwise(_NULL_TEXT) if any_err else None,
            )
        return self._one(rule, candidate, candidate)

    def _one(
        self, rule: Rule, candidate: str | None, bt: str | None
    ) -> tuple[pl.Expr, pl.Expr | None]:
        variant = rule.variants[candidate]
        where = self._where(rule)
        in_scope: pl.Expr | None = None
        if candidate is None and rule.applies_to is not None:
            if bt is not None:
                if bt not in rule.applies_to:
                    return pl.lit("n"), None
            else:
                in_scope = pl.col(BT).is_in(sorted(rule.applies_to))
        when: Compiled | None = None
        if variant.when is not None:
            when = self.compiler.compile(variant.when.tree, rule=rule.id, where=where, bt=bt)
        check = self.compiler.compile(variant.check.tree, rule=rule.id, where=where, bt=bt)
        applies = in_scope
        errs: list[pl.Expr] = []
        if when is not None:
            if when.err is not None:
                errs.append(when.err if in_scope is None else pl.when(in_scope).then(when.err))
            w = truthy(when)
            applies = w if applies is None else (applies & w)
        if check.err is not None:
            errs.append(check.err if applies is None else pl.when(applies).then(check.err))
        err = None if not errs else errs[0] if len(errs) == 1 else pl.coalesce(errs)
        chain: Any = pl
        if err is not None:
            chain = chain.when(err.is_not_null()).then(pl.lit("e"))
        if applies is not None:
            chain = chain.when(~applies).then(pl.lit("n"))
        if check.nullable:
            chain = chain.when(check.expr.is_null()).then(pl.lit("n"))
        status: pl.Expr = chain.when(check.expr).then(pl.lit("p")).otherwise(pl.lit("f"))
        return status, err

    def _value(self, path: str, layout: Layout) -> pl.Expr:
        node = layout.values[path]
        compiled = self.compiler.compile(node, rule=path, where="values", bt=None)
        return compiled.expr

    def run(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The record frame of ``frame``'s applications, decided with this date's rules."""
        for step in self.steps[:-1]:
            frame = frame.with_columns(step)
        frame = frame.select(self.steps[-1])
        outcome = frame.with_columns(self.final)
        aid = pl.when(pl.col("outcome") == "approved").then(pl.col("plan_total")).otherwise(0)
        return outcome.with_columns(aid.cast(pl.Int64).alias("aid_value")).select(self.order)


def _errors_json(
    rule_errs: Sequence[tuple[int, pl.Expr]], score_errs: Sequence[tuple[int, pl.Expr]]
) -> pl.Expr:
    """The ``errors`` of a record as JSON text, null when no rule failed to run."""
    if not rule_errs and not score_errs:
        return _NULL_TEXT

    def group(errs: Sequence[tuple[int, pl.Expr]]) -> pl.Expr:
        if not errs:
            return pl.lit("")
        pieces = [
            pl.when(e.is_not_null()).then(pl.concat_str([pl.lit(f'"{slot}":"'), e, pl.lit('"')]))
            for slot, e in errs
        ]
        return pl.concat_list(pieces).list.drop_nulls().list.join(",")

    rules, scores = group(rule_errs), group(score_errs)
    text = pl.concat_str(
        [pl.lit('{"rules":{'), rules, pl.lit('},"scores":{'), scores, pl.lit("}}")]
    )
    any_error = pl.any_horizontal([e.is_not_null() for _, e in (*rule_errs, *score_errs)])
    return pl.when(any_error).then(text).otherwise(_NULL_TEXT)


def _period_starts(layout: Any) -> list[date]:
    """Every day a parameter value of the rulesets starts."""
    return sorted(
        {
            period.start
            for rs in layout.rulesets
            for param in rs.parameters.values()
            for period in param.periods
        }
    )


class ColumnarEngine:
    """Decides frames of applications with Polars expressions compiled from the rule tree.

    Building it compiles every rule once (with the parameter values of a date they are in force,
    or typed stand-ins), so a rule it cannot express is refused at once with a
    :class:`~bansos_rules.engines.columnar.ColumnarCompileError`.
    """

    name = "columnar"

    def __init__(self, book: RuleBook) -> None:
        self.layout = book.layout
        self.manifest = book.manifest
        self.functions = dict(book.registry.functions)
        self._plans: dict[date, _Plan] = {}
        self._lock = threading.Lock()
        # Every set of parameter values the rulesets hold is compiled once now: a rule may
        # compile with some values and not others (a branch a parameter switches off is never
        # compiled, as Python never runs it). Typed stand-ins when no day has every value.
        compiled = False
        for day in _period_starts(self.layout):
            try:
                self.plan(day)
            except RulesetError:
                continue
            compiled = True
        if not compiled:
            _Plan(self, date(2000, 1, 1), _stand_in(self.layout))

    def plan(self, on: date) -> _Plan:
        """The compiled expressions for the rules in force on ``on`` (cached per date).

        :raises RulesetError: when some parameter a rule reads has no value on ``on``.
        """
        found = self._plans.get(on)
        if found is None:
            params = self.layout.params_on(on)
            found = _Plan(self, on, lambda rs, name, bt: params.value(rs, name, bt))
            with self._lock:
                if len(self._plans) > 256:
                    self._plans.clear()
                self._plans[on] = found
        return found

    def records(self, frame: pl.DataFrame | pl.LazyFrame, on: date) -> pl.LazyFrame:
        """The decision records of every application in ``frame``, with the rules of ``on``."""
        return self.plan(on).run(frame.lazy())

    def records_by_date(
        self, frame: pl.DataFrame, on: date | None = None, today: date | None = None
    ) -> pl.DataFrame:
        """Records for rows whose dates may differ: ``on``, else each row's ``submitted_on``,
        else ``today``; rows keep their order.

        :raises RulesetError: when the rules are not in force on one of the dates.
        """
        if on is not None:
            return self.records(frame, on).collect()
        fallback = today or date.today()
        dates = frame.select(
            pl.col("submitted_on").fill_null(pl.lit(fallback, dtype=pl.Date)).alias(ON)
        ).to_series()
        return self.records_on(frame, dates)

    def records_on(self, frame: pl.DataFrame, dates: pl.Series) -> pl.DataFrame:
        """Records for each row of ``frame`` with the rules of its date in ``dates``.

        :raises RulesetError: when the rules are not in force on one of the dates.
        """
        unique = dates.unique().to_list()
        if len(unique) == 1:
            return self.records(frame, unique[0]).collect()
        indexed = frame.with_columns(dates.alias(ON)).with_row_index("__row")
        parts = []
        for day in unique:
            part = indexed.filter(pl.col(ON) == day)
            rows = part.get_column("__row")
            parts.append(self.records(part, day).collect().with_columns(rows))
        return pl.concat(parts).sort("__row").drop("__row")

    # one application at a time, and lists of them ------------------------------------------------
    def decide(self, application: Application, on: date) -> Decision:
        """Decide one valid application (a one-row frame: for checks, not for speed)."""
        return self.decide_many([application], on)[0]

    def decide_many(
        self, applications: Iterable[Application], on: date | Sequence[date]
    ) -> list[Decision]:
        """Decide valid applications together; ``on`` is one date or a date per application."""
        apps = list(applications)
        if isinstance(on, date):
            return list(self.decisions(self.records(frame_of(apps), on).collect()))
        dates = pl.Series(ON, list(on), dtype=pl.Date)
        return list(self.decisions(self.records_on(frame_of(apps), dates)))

    def decisions(self, records: pl.DataFrame) -> Iterator[Decision]:
        """The :class:`~bansos_rules._decision.Decision` of each row of a record frame."""
        layout = self.layout
        values = [value_column(p) for p in layout.value_paths]
        for row in records.iter_rows(named=True):
            errors = row["errors"]
            record = {
                "application_id": row["application_id"],
                "outcome": row["outcome"],
                "aid_value": row["aid_value"],
                "business_type": row["business_type"],
                "plan_total": row["plan_total"],
                "rules_applied_on": row["rules_applied_on"].isoformat(),
                "engine": row["engine"],
                "ruleset_digest": row["ruleset_digest"],
                "rules": row["rules"],
                "scores": row["scores"],
                "errors": json.loads(errors) if errors else None,
                "values": [row[c] for c in values],
            }
            yield from_record(record, self.manifest)


def _stand_in(layout: Layout) -> Any:
    """Typed stand-in parameter values, to compile the rules without a date."""
    kinds = {}
    for rs in layout.rulesets:
        for name, param in rs.parameters.items():
            kinds[(rs.id, name)] = param.type

    def value(ruleset: str, name: str, business_type: str | None) -> Any:
        kind = kinds.get((ruleset, name), "int")
        if kind.startswith("list"):
            return ()
        return {"int": 0, "str": "", "bool": False}.get(kind, 0)

    return value
