"""The round at scale: need scores, tie-break keys and the allocation as columns.

- :func:`need_columns` compiles the round file's need terms with the columnar engine's compiler
  (:class:`~bansos_rules.engines.columnar.Compiler`), the extra root ``regency`` read from
  columns joined on the applicant's regency code;
- :func:`tiebreak_column` is the BLAKE2b key of each NIK. Polars has no keyed BLAKE2b, so it
  is a ``map_batches`` over the NIK column calling :mod:`hashlib` (one C call per row, no
  per-row Python object beyond the string);
- :func:`allocate_columns` decides a frame of applications with the columnar engine, scores
  and keys the approved ones, and allocates them with
  :func:`~bansos_rules.round._columnar.allocate_frame`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from bansos_rules._errors import Diagnostic, RulesetError
from bansos_rules._registry import Registry
from bansos_rules.engines.columnar._compile import Compiled, Compiler
from bansos_rules.round._columnar import allocate_frame, unique_ids
from bansos_rules.round._loader import Round
from bansos_rules.ruleset import tree as t
from bansos_rules.ruleset.types import BOOL, strip_opt

if TYPE_CHECKING:
    from bansos_rules._book import RuleBook

__all__ = ["allocate_columns", "need_column", "need_columns", "tiebreak_column"]

_RG = "__rg_"
_INT = pl.Int64


def need_column(term_id: str) -> str:
    """The column of a need term's value (``need:need.household_size``)."""
    return f"need:{term_id}"


class _NeedCompiler(Compiler):
    """The columnar compiler with the round's extra root, ``regency``."""

    def _Root(self, node: t.Root, ctx: Any) -> Compiled:
        if node.name == "regency":
            return Compiled(pl.struct(pl.col(f"{_RG}code")), node.ty)  # read through its fields
        return super()._Root(node, ctx)

    def _Field(self, node: t.Field, ctx: Any) -> Compiled:
        base = node.base
        if isinstance(base, t.Root) and base.name == "regency":
            return Compiled(self._column(f"{_RG}{node.name}", node, ctx), node.ty)
        return super()._Field(node, ctx)


def tiebreak_column(nik: pl.Expr, seed: str) -> pl.Expr:
    """The tie-break key of each NIK (as :func:`~bansos_rules.round._core.tiebreak_key`)."""
    key = seed.encode()

    def keys(batch: pl.Series) -> pl.Series:
        return pl.Series(
            [
                hashlib.blake2b(n.encode(), key=key, digest_size=16).hexdigest()
                for n in batch.to_list()
            ],
            dtype=pl.String,
        )

    return nik.map_batches(keys, return_dtype=pl.String)


def _regency_table(round_: Round, codes: pl.Series) -> pl.DataFrame:
    """Each regency of the round, and any other code seen as itself with zero figures."""
    known = {r.code: r for r in round_.regencies}
    rows = [(r.code, r.name, r.poverty_rate_bp, r.poor_population) for r in round_.regencies]
    rows += [(c, c, 0, 0) for c in sorted(set(codes.drop_nulls().to_list()) - set(known))]
    return pl.DataFrame(
        rows,
        schema={
            f"{_RG}code": pl.String,
            f"{_RG}name": pl.String,
            f"{_RG}poverty_rate_bp": _INT,
            f"{_RG}poor_population": _INT,
        },
        orient="row",
    )


def need_columns(
    round_: Round, applications: pl.DataFrame, on: date, registry: Registry | None = None
) -> pl.DataFrame:
    """The need score of every application of ``applications`` (a frame in the columnar
    engine's application schema) on ``on``: columns ``score`` and one ``need:<term>`` per term,
    in the order of the rows.

    :param registry: the functions the terms may call (those of the installed plugins when
        omitted: pass ``rules.registry``).

    :raises RulesetError: when a parameter the terms read has no value on ``on``, or a term
        cannot be computed for some row (it reads a missing value): the message names the term
        and the application.
    """
    values = {name: round_.param(name, on) for name in round_.param_names}

    def param(ruleset: str, name: str, business_type: str | None) -> Any:
        value = values[name] if name in values else round_.param(name, on)
        if business_type is not None and isinstance(value, Mapping):
            return value.get(business_type)
        return value

    if registry is None:
        from bansos_rules._manager import load_plugins

        registry, _ = load_plugins().collect()
    compiler = _NeedCompiler(
        today=on,
        param=param,
        functions=dict(registry.functions),
        business_types=tuple(registry.business_types),
    )
    codes = applications.select(pl.col("applicant").struct.field("regency")).to_series()
    table = _regency_table(round_, codes)
    frame = applications.lazy().with_columns(
        pl.col("applicant").struct.field("regency").alias(f"{_RG}code"),
        pl.col("plan").struct.field("business_type").alias("__bt"),
    )
    frame = frame.join(table.lazy(), on=f"{_RG}code", how="left", maintain_order="left")
    terms: list[pl.Expr] = []
    errors: list[pl.Expr] = []
    for term in round_.need:
        compiled = compiler.compile(term.expr.tree, rule=term.id, where=round_.file, bt=None)
        expr = compiled.expr
        if strip_opt(compiled.ty) == BOOL:
            expr = expr.cast(_INT)
        terms.append(expr.cast(_INT).alias(need_column(term.id)))
        err = compiled.err
        if compiled.nullable:
            null = pl.when(compiled.expr.is_null()).then(pl.lit("the value is None"))
            err = null if err is None else pl.coalesce(err, null)
        errors.append(
            pl.lit(None, dtype=pl.String) if err is None else err.cast(pl.String).alias(term.id)
        )
    out = frame.select(
        pl.col("id").alias("application_id"),
        *terms,
        *(e.alias(f"__err{i}") for i, e in enumerate(errors)),
    ).collect()
    for i, term in enumerate(round_.need):
        bad = out.filter(pl.col(f"__err{i}").is_not_null())
        if bad.height:
            app, why = bad.row(0, named=True)["application_id"], bad[f"__err{i}"][0]
            raise RulesetError(
                [
                    Diagnostic(
                        "round-need-error",
                        {"term": term.id, "application": app, "error": why},
                        file=round_.file,
                        line=term.line,
                    )
                ]
            )
    weighted = [pl.col(need_column(term.id)) * term.weight for term in round_.need]
    score = pl.sum_horizontal(weighted).cast(_INT) if weighted else pl.lit(0, dtype=_INT)
    return out.select(
        "application_id",
        score.alias("score"),
        *(need_column(term.id) for term in round_.need),
    )


def allocate_columns(
    book: RuleBook,
    applications: pl.DataFrame,
    *,
    on: date,
    round: Round | None = None,
    withdrawn: Iterable[str] = (),
) -> pl.DataFrame:
    """A whole round on columns: decide ``applications`` (valid applications in the columnar
    engine's schema, unique ids) with the columnar engine on ``on``, score and key the approved
    ones, and allocate them with :func:`~bansos_rules.round._columnar.allocate_frame`.

    :raises InputError: when two applications have the same id.
    :returns: one row per approved application by regency code, then rank: the columns of
        :func:`~bansos_rules.round._columnar.allocate_frame` and one ``need:<term>`` per term.
    """
    from bansos_rules.engines.columnar import ColumnarEngine
    from bansos_rules.round._loader import load_round
    from bansos_rules.round._run import slots_for

    unique_ids(applications["id"])
    round_ = round or load_round(registry=book.registry)
    engine = book.engine("columnar")
    assert isinstance(engine, ColumnarEngine)
    records = engine.records(applications, on).select("outcome", "aid_value").collect()
    approved = applications.filter(records["outcome"] == "approved")
    aid = records.filter(pl.col("outcome") == "approved")["aid_value"]
    need = need_columns(round_, approved, on, book.registry)
    rows = approved.select(
        pl.col("id").alias("application_id"),
        pl.col("household").struct.field("kk_number").alias("kk"),
        pl.col("applicant").struct.field("regency").alias("regency"),
        tiebreak_column(pl.col("applicant").struct.field("nik"), round_.seed).alias("tiebreak"),
    ).with_columns(score=need["score"], aid_value=aid, **{c: need[c] for c in need.columns[2:]})
    counts = dict(rows.group_by("regency").len().iter_rows())
    slots = slots_for(round_, on, counts)
    budget = round_.param(round_.budget, on)
    return allocate_frame(rows, slots, budget, withdrawn)
