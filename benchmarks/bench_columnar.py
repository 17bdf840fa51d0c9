#!/usr/bin/env python3
"""Benchmark the columnar engine: against hand-written Polars, end to end on Parquet, at scale.

Usage::

    taskset -c 1 python benchmarks/bench_columnar.py ratio [--n 1000000] [--repeat 3]
    python benchmarks/bench_columnar.py agree [--n 1000000]
    python benchmarks/bench_columnar.py parquet [--n 1000000] [--cores 0,1]
    python benchmarks/bench_columnar.py stream --n 10000000 [--cores 0,1]
    python benchmarks/bench_columnar.py dask [--n 2000000] [--workers 2]

``ratio``
    decides ``--n`` synthetic applications (``testing.register.synthetic_register``)
    in memory with the columnar engine and with :func:`baseline`, the same rules written by hand as
    Polars expressions (parameter values read from the loaded book); checks that both give the same
    outcome, aid value, status of every rule and fit score on every row; then times both, best of
    ``--repeat`` alternating runs, and prints the ratio. The engine is timed twice: deciding only
    (statuses, fit, outcome, aid: what the baseline computes) and the full decision records (also
    the score slots, the letters and the 31 values read).
``agree``
    decides ``--n`` synthetic applications with the columnar engine and with the native engine (one
    :class:`~bansos_rules._models.Application` at a time, 100,000 per chunk) and compares the
    decision records byte for byte.
``parquet``
    writes ``--n`` synthetic applications to a Parquet file, then runs
    ``bansos-rules evaluate FILE --engine columnar -o records.parquet`` in a fresh process limited
    to ``--cores``; prints the wall time, rows per second and the process's peak resident memory.
``stream``
    the same for a file written in chunks of a million rows (so any ``--n`` fits), to show that peak
    memory stays flat as the file grows.
``dask``
    the same Parquet rows, split into files, decided on a ``dask.distributed`` LocalCluster of
    ``--workers`` worker processes (:mod:`bansos_rules.engines.columnar.distributed`), against one
    process on the same cores.

Timings on a shared machine are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

if importlib.util.find_spec("bansos_rules") is None:  # not installed: use the checkout's src/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import polars as pl

from bansos_rules import RuleBook, load_rules
from bansos_rules.engines.columnar import ColumnarEngine, status_column
from bansos_rules.testing.register import synthetic_register

ON = date(2025, 6, 1)

# ---------------------------------------------------------------------------------------------
# The hand-written baseline: the four rulesets as Polars expressions
# ---------------------------------------------------------------------------------------------


def baseline(book: RuleBook, on: date) -> list[list[pl.Expr]]:
    """Every rule's status (p/f/n), the fit percent, the outcome and the aid value, in three
    steps (values shared by several rules first, then the fit score, then the rules)."""
    params = book.layout.params_on(on)

    def p(ruleset: str, name: str, bt: str | None = None) -> Any:
        return params.value(ruleset, name, bt)

    types = list(book.layout.business_types)
    a, h, plan = pl.col("applicant"), pl.col("household"), pl.col("plan")

    def af(name: str) -> pl.Expr:
        return a.struct.field(name)

    bt = plan.struct.field("business_type")
    items = plan.struct.field("items")
    nik, born = af("nik"), af("birth_date")
    m, d = on.month, on.day
    late = (born.dt.month() > m) | ((born.dt.month() == m) & (born.dt.day() > d))
    age = on.year - born.dt.year().cast(pl.Int64) - late.cast(pl.Int64)
    first: list[pl.Expr] = [
        items.list.eval(
            pl.element().struct.field("quantity") * pl.element().struct.field("unit_price")
        )
        .list.sum()
        .alias("__total")
    ]
    total = pl.col("__total")
    assets = af("assets")
    yard, kitchen = assets.struct.field("yard_area_m2"), assets.struct.field("has_kitchen")
    dense = plan.struct.field("location").struct.field("dense_urban")
    existing, years = af("existing_business"), af("business_experience_years")

    def skilled(code: str) -> pl.Expr:
        wanted = list(p("fit", "relevant_skills", code))
        return (
            af("skills").list.eval(pl.element().is_in(wanted)).list.any()
            | af("certificates").list.eval(pl.element().is_in(wanted)).list.any()
        )

    def by_type(make: Callable[[str], pl.Expr]) -> pl.Expr:
        chain: Any = pl
        for code in types:
            chain = chain.when(bt == code).then(make(code))
        return chain.otherwise(None)

    def only(codes: list[str], check: pl.Expr) -> pl.Expr:
        return pl.when(bt.is_in(codes)).then(check)

    # score slots, per candidate
    score_points = 0 * pl.lit(0)
    score_most = 0 * pl.lit(0)
    for rule, code in book.layout.scores:
        kind = rule.id.split(".")[1]
        if kind == "interest":
            value = af("interests").list.contains(code)
        elif kind == "skill":
            value = skilled(code)
        elif kind == "existing_business":
            value = existing.eq_missing(code) & (years >= p("fit", "min_experience_years"))
        elif kind == "cage_space":
            value = (yard >= p("fit", "min_cage_area_m2")) & ~dense
        elif kind == "kitchen":
            value = kitchen
        else:
            value = assets.struct.field("has_workshop_space")
        planned = bt == code
        score_points = score_points + pl.when(planned & value).then(rule.points).otherwise(0)
        score_most = score_most + pl.when(planned).then(rule.points).otherwise(0)
    second = [score_points.alias("__score"), score_most.alias("__most")]
    score_points, score_most = pl.col("__score"), pl.col("__most")
    percent = pl.when(score_most > 0).then(score_points * 100 // score_most).otherwise(0)

    regencies = list(p("eligibility", "regency_codes"))
    members = h.struct.field("members")
    child_age = (
        on.year
        - pl.element().struct.field("birth_date").dt.year().cast(pl.Int64)
        - (
            (pl.element().struct.field("birth_date").dt.month() > m)
            | (
                (pl.element().struct.field("birth_date").dt.month() == m)
                & (pl.element().struct.field("birth_date").dt.day() > d)
            )
        ).cast(pl.Int64)
    )
    out_of_school = members.list.eval(
        (
            child_age.is_between(p("referrals", "school_age_min"), p("referrals", "school_age_max"))
            & pl.element().struct.field("in_school").eq_missing(False)
        ).cast(pl.Int64)
    ).list.sum()
    nik_day = nik.str.slice(6, 2).cast(pl.Int64)
    checks: dict[str, pl.Expr] = {
        "eligibility.dtks_registered": af("dtks_registered"),
        "eligibility.welfare_decile": af("dtsen_decile").is_null()
        | (af("dtsen_decile") <= p("eligibility", "max_decile")),
        "eligibility.pkh_family": af("pkh_member"),
        "eligibility.nik_kaltim": (nik.str.slice(0, 2) == p("eligibility", "province_code"))
        & nik.str.slice(0, 4).is_in(regencies),
        "eligibility.resides_in_kaltim": af("regency").is_in(regencies),
        "eligibility.working_age": age.is_between(
            p("eligibility", "min_age"), p("eligibility", "max_age")
        ),
        "eligibility.occupation": ~af("occupation").is_in(
            list(p("eligibility", "excluded_occupations"))
        ),
        "eligibility.one_per_household": ~h.struct.field("aid_history")
        .list.eval(
            (pl.element().struct.field("program") == p("eligibility", "program_code"))
            & (pl.element().struct.field("year") == on.year)
        )
        .list.any(),
        "eligibility.no_recent_business_aid": ~af("prior_aid")
        .list.eval(
            pl.element()
            .struct.field("program")
            .is_in(list(p("eligibility", "business_aid_programs")))
            & (
                on.year - pl.element().struct.field("year")
                < p("eligibility", "prior_aid_lookback_years")
            )
        )
        .list.any(),
        "eligibility.bank_account": af("bank_account").is_not_null(),
        "fit.planned_type_fits": percent >= p("fit", "min_fit_percent"),
        "fit.cage_space_required": only(["chicken_farming"], yard >= p("fit", "min_cage_area_m2")),
        "fit.no_dense_block": only(["chicken_farming"], ~dense),
        "fit.kitchen_required": only(["cake_making"], kitchen),
        "fit.mechanical_skill": only(["workshop"], skilled("workshop")),
        "fit.skill_training": only(
            ["food", "drinks", "fried_snacks", "chicken_farming", "cake_making"],
            by_type(skilled),
        ),
        "aid_caps.minimum": total >= p("aid_caps", "min_aid"),
        "aid_caps.maximum": total <= p("aid_caps", "max_aid"),
        "aid_caps.goods_only": ~items.list.eval(
            pl.element().struct.field("is_cash") | (pl.element().struct.field("category") == "cash")
        ).list.any(),
        "aid_caps.allowed_categories": by_type(
            lambda code: items.list.eval(
                pl.element()
                .struct.field("category")
                .is_in(list(p("aid_caps", "allowed_item_categories", code)))
                .filter(
                    ~pl.element().struct.field("is_cash")
                    & (pl.element().struct.field("category") != "cash")
                )
            ).list.all()
        ),
        "referrals.clean_water": h.struct.field("clean_water"),
        "referrals.sanitation": h.struct.field("sanitation"),
        "referrals.slum_area": ~h.struct.field("slum_area"),
        "referrals.children_in_school": out_of_school == 0,
        "referrals.identity_consistent": (
            ((nik_day == born.dt.day()) | (nik_day == born.dt.day() + 40))
            & (nik.str.slice(8, 2).cast(pl.Int64) == born.dt.month())
            & (nik.str.slice(10, 2).cast(pl.Int64) == born.dt.year() % 100)
        )
        & ((nik.str.slice(6, 1) >= "4") == (af("sex") == "female"))
        & (af("kk_number") == h.struct.field("kk_number")),
        "referrals.licensing_marketing": existing.is_null()
        | (years < p("referrals", "licensing_min_years")),
    }
    ids = [r.id for r in book.layout.rules]
    if sorted(ids) != sorted(checks):
        raise SystemExit(f"the baseline does not know these rules: {set(ids) ^ set(checks)}")
    status = {
        rid: pl.when(c.is_null()).then(pl.lit("n")).when(c).then(pl.lit("p")).otherwise(pl.lit("f"))
        for rid, c in checks.items()
    }
    rejecting = [checks[r.id].eq_missing(False) for r in book.layout.rules if r.on_fail == "reject"]
    reviewing = [checks[r.id].eq_missing(False) for r in book.layout.rules if r.on_fail == "review"]
    outcome = (
        pl.when(pl.any_horizontal(rejecting))
        .then(pl.lit("rejected"))
        .when(pl.any_horizontal(reviewing))
        .then(pl.lit("needs_review"))
        .otherwise(pl.lit("approved"))
    )
    return [
        first,
        second,
        [
            pl.col("id").alias("application_id"),
            outcome.alias("outcome"),
            pl.when(outcome == "approved").then(total).otherwise(0).alias("aid_value"),
            percent.alias("fit_percent"),
            *(s.alias(status_column(rid)) for rid, s in status.items()),
        ],
    ]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _pin(cores: str | None) -> None:
    if cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in cores.split(",")})


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ratio(args: argparse.Namespace) -> dict[str, Any]:
    book = load_rules()
    engine = book.engine("columnar")
    assert isinstance(engine, ColumnarEngine)
    t0 = time.perf_counter()
    frame = synthetic_register(args.n, seed=args.seed)
    made = time.perf_counter() - t0
    plan = engine.plan(ON)
    lazy = frame.lazy()

    decided = [
        "application_id",
        "outcome",
        "aid_value",
        *(status_column(r.id) for r in book.layout.rules),
    ]

    def columnar_decide() -> pl.DataFrame:
        # The same plan, asked only for what the baseline computes: Polars prunes the rest.
        return plan.run(lazy).select(decided).collect()

    def columnar_records() -> pl.DataFrame:
        return engine.records(lazy, ON).collect()

    hand = baseline(book, ON)

    def handwritten() -> pl.DataFrame:
        return lazy.with_columns(hand[0]).with_columns(hand[1]).select(hand[2]).collect()

    # agreement on every row
    got = columnar_records()
    expected = handwritten()
    compare = decided
    differ = (
        got.select(compare)
        .with_columns(pl.col("aid_value").cast(pl.Int64))
        .equals(expected.select(compare).with_columns(pl.col("aid_value").cast(pl.Int64)))
    )
    if not differ:
        raise SystemExit("the columnar engine and the hand-written baseline disagree")
    pcts = lazy.with_columns(plan.steps[0]).with_columns(plan.steps[1]).with_columns(plan.steps[2])
    if (
        not pcts.select("__fit_percent")
        .collect()
        .to_series()
        .equals(expected.get_column("fit_percent"), check_names=False)
    ):
        raise SystemExit("fit scores disagree")
    runs = {"baseline": handwritten, "decide": columnar_decide, "records": columnar_records}
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeat):
        for name, fn in runs.items():
            best[name] = min(best[name], _best(fn, 1))
    times = best
    result = {
        "n": args.n,
        "generate_s": round(made, 2),
        "agree_rows": args.n,
        "baseline_s": round(times["baseline"], 3),
        "columnar_decide_s": round(times["decide"], 3),
        "columnar_records_s": round(times["records"], 3),
        "decide_vs_baseline": round(times["baseline"] / times["decide"], 2),
        "records_vs_baseline": round(times["baseline"] / times["records"], 2),
        "rows_per_s_records": round(args.n / times["records"]),
        "threads": pl.thread_pool_size(),
    }
    return result


def agree(args: argparse.Namespace) -> dict[str, Any]:
    from bansos_rules._models import Application
    from bansos_rules.engines.columnar._records import record_lines
    from bansos_rules.explain import record_json

    book = load_rules()
    engine = book.engine("columnar")
    assert isinstance(engine, ColumnarEngine)
    native = book.engine("native")
    chunk = 100_000
    compared = 0
    t0 = time.perf_counter()
    for start in range(0, args.n, chunk):
        size = min(chunk, args.n - start)
        frame = synthetic_register(size, seed=args.seed + start).with_columns(
            pl.concat_str(pl.lit(f"A{start}-"), pl.col("id")).alias("id")
        )
        records = engine.records(frame, ON).collect()
        lines = record_lines(records, book.layout.value_paths)
        for row, line in zip(frame.iter_rows(named=True), lines, strict=True):
            decision = native.decide(Application.model_validate(row), ON)
            expected = record_json(decision).replace('"engine":"native"', '"engine":"columnar"')
            if expected != line:
                raise SystemExit(f"row {compared}: native {expected}\ncolumnar {line}")
            compared += 1
        print(f"  {compared:,} rows agree", file=sys.stderr)
    return {"agree_rows": compared, "seconds": round(time.perf_counter() - t0, 1)}


def _write_register(path: Path, n: int, seed: int, chunk: int = 1_000_000) -> float:
    import pyarrow.parquet as pq

    t0 = time.perf_counter()
    writer = None
    made = synthetic_register(min(chunk, n), seed=seed)
    for start in range(0, n, chunk):
        # One chunk is made, then written again under other application ids: generating
        # tens of millions of rows would take longer than deciding them.
        size = min(chunk, n - start)
        frame = made.head(size).with_columns(
            pl.concat_str(pl.lit(f"R{start // chunk}-"), pl.col("id")).alias("id")
        )
        table = frame.to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=131_072)
    assert writer is not None
    writer.close()
    return time.perf_counter() - t0


_RUN = (
    "import resource, sys, time\n"
    "from bansos_rules.cli import main\n"
    "t0 = time.perf_counter()\n"
    "code = main(sys.argv[1:])\n"
    "seconds = time.perf_counter() - t0\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(f'@@ {code} {seconds} {peak}', file=sys.stderr)\n"
)


def _evaluate(source: Path, out: Path, cores: str | None) -> dict[str, Any]:
    cmd = [sys.executable, "-c", _RUN, "evaluate", str(source), "--engine", "columnar"]
    cmd += ["--on", ON.isoformat(), "-o", str(out)]
    if cores:
        cmd = ["taskset", "-c", cores, *cmd]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    marker = [line for line in done.stderr.splitlines() if line.startswith("@@")]
    if done.returncode not in (0, 1) or not marker:
        raise SystemExit(done.stderr[-2000:])
    _, code, seconds, peak = marker[-1].split()
    summary = [
        line for line in done.stderr.splitlines() if line.startswith(("Ringkasan", "Summary"))
    ]
    return {
        "exit": int(code),
        "evaluate_s": round(float(seconds), 2),
        "process_s": round(wall, 2),
        "peak_mib": round(int(peak) / 1024),
        "summary": summary[-1] if summary else "",
    }


def parquet(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        out = Path(tmp) / "records.parquet"
        source = Path(args.register) if args.register else Path(tmp) / "register.parquet"
        made = 0.0
        if not source.exists():  # --register: made once, kept for the next runs
            made = _write_register(source, args.n, args.seed)
        rows_in = pl.scan_parquet(source).select(pl.len()).collect().item()
        if rows_in != args.n:
            raise SystemExit(f"{source} has {rows_in} rows, not --n {args.n}")
        result = _evaluate(source, out, args.cores)
        rows = pl.scan_parquet(out).select(pl.len()).collect().item()
        result.update(
            n=args.n,
            cores=args.cores,
            write_register_s=round(made, 1),
            input_mib=round(source.stat().st_size / 2**20),
            output_mib=round(out.stat().st_size / 2**20),
            records=rows,
            rows_per_s=round(args.n / result["process_s"]),
        )
        return result


def dask(args: argparse.Namespace) -> dict[str, Any]:
    from bansos_rules.engines.columnar.distributed import decide_directory

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        inputs = Path(tmp) / "register"
        inputs.mkdir()
        parts = max(args.workers * 4, 1)
        per = args.n // parts
        t0 = time.perf_counter()
        for i in range(parts):
            frame = synthetic_register(per, seed=args.seed + i).with_columns(
                pl.concat_str(pl.lit(f"P{i}-"), pl.col("id")).alias("id")
            )
            frame.write_parquet(inputs / f"part-{i:03d}.parquet")
        made = time.perf_counter() - t0
        single = _evaluate(inputs / "part-000.parquet", Path(tmp) / "one.parquet", args.cores)
        t0 = time.perf_counter()
        summary = decide_directory(inputs, Path(tmp) / "records", on=ON, workers=args.workers)
        seconds = time.perf_counter() - t0
        return {
            "n": per * parts,
            "files": parts,
            "workers": args.workers,
            "write_register_s": round(made, 1),
            "dask_s": round(seconds, 2),
            "dask_rows_per_s": round(per * parts / seconds),
            "one_process_rows_per_s_one_file": round(per / single["process_s"]),
            "summary": summary,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("ratio", "agree", "parquet", "stream", "dask"))
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cores", default=None, help="e.g. 0,1: the CPUs the evaluate process may use"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tmp", default=None, help="directory for the temporary Parquet files")
    parser.add_argument(
        "--register", default=None, help="parquet/stream: the register file (made if missing)"
    )
    args = parser.parse_args()
    print(f"polars {pl.__version__}, {os.cpu_count()} CPUs, mode {args.mode}", file=sys.stderr)
    runner = {"ratio": ratio, "agree": agree, "parquet": parquet, "stream": parquet, "dask": dask}
    print(json.dumps(runner[args.mode](args), indent=2))


if __name__ == "__main__":
    main()
