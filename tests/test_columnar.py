"""The columnar engine decides as the native engine does, record for record."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bansos_rules import Application, RuleBook
from bansos_rules._manager import load_plugins
from bansos_rules.engines.columnar import (
    Arg,
    ColumnarCompileError,
    ColumnarEngine,
    columnar_form,
    frame_of,
    status_column,
    write_records,
)
from bansos_rules.engines.columnar._records import record_lines
from bansos_rules.explain import record_json
from bansos_rules.hookspecs import hookimpl
from bansos_rules.ruleset.loader import load_ruleset
from bansos_rules.testing import Population, applications
from bansos_rules.testing.register import BUSINESS_TYPES, synthetic_register
from tests._support import base_application_data, book_of, builtin_book, rule, ruleset_text

ON = date(2025, 6, 1)
DATES = (date(2025, 1, 1), ON, date(2025, 12, 31), date(2026, 7, 15), date(2027, 2, 28))


def columnar(book: RuleBook) -> ColumnarEngine:
    engine = book.engine("columnar")
    assert isinstance(engine, ColumnarEngine)
    return engine


def native_lines(book: RuleBook, apps: list[Application], dates: list[date]) -> list[str]:
    native = book.engine("native")
    return [
        record_json(native.decide(app, on)).replace('"engine":"native"', '"engine":"columnar"')
        for app, on in zip(apps, dates, strict=True)
    ]


def columnar_lines(book: RuleBook, apps: list[Application], dates: list[date]) -> list[str]:
    engine = columnar(book)
    records = engine.records_on(frame_of(apps), pl.Series(dates, dtype=pl.Date))
    return list(record_lines(records, book.layout.value_paths))


def assert_same(book: RuleBook, apps: list[Application], dates: list[date]) -> list[str]:
    """Assert both engines write the same records; return them."""
    expected = native_lines(book, apps, dates)
    got = columnar_lines(book, apps, dates)
    differing = [(e, g) for e, g in zip(expected, got, strict=True) if e != g]
    assert not differing, f"{len(differing)} of {len(apps)} differ; first: {differing[0]}"
    return got


# -- the worked examples and generated applications ---------------------------------------------


def test_every_worked_example_decides_as_native() -> None:
    book = builtin_book()
    examples = [ex for rs in book.rulesets for ex in rs.examples]
    assert len(examples) > 30
    assert_same(book, [ex.application for ex in examples], [ex.on for ex in examples])


def test_explanations_from_columnar_records_are_the_native_ones() -> None:
    book = builtin_book()
    examples = [ex for rs in book.rulesets for ex in rs.examples]
    apps, dates = [ex.application for ex in examples], [ex.on for ex in examples]
    decided = columnar(book).decide_many(apps, dates)
    native = book.engine("native")
    for app, on, got in zip(apps, dates, decided, strict=True):
        expected = native.decide(app, on)
        assert got.engine == "columnar"
        assert got.findings == expected.findings
        assert got.referrals == expected.referrals
        assert got.recommendations == expected.recommendations
        assert got.to_json() == expected.to_json().replace(
            '"engine":"native"', '"engine":"columnar"'
        )


@functools.cache
def generated() -> tuple[list[Application], list[date]]:
    """At least 10,000 applications: every kind the population draws (hypothesis strategies),
    each on five dates and for every business type, with and without living problems."""
    cases = Population(builtin_book()).draw(170)
    apps: list[Application] = []
    dates: list[date] = []
    for index, case in enumerate(cases):
        data = case.application.model_dump()
        for on in DATES:
            for code in BUSINESS_TYPES:
                for flip in (False, True):
                    variant = {**data, "plan": {**data["plan"], "business_type": code}}
                    if flip:
                        household = dict(variant["household"])
                        household["clean_water"] = not household["clean_water"]
                        household["slum_area"] = not household["slum_area"]
                        variant["household"] = household
                        applicant = dict(variant["applicant"])
                        applicant["bank_account"] = None
                        applicant["skills"] = applicant["skills"][:1]
                        variant["applicant"] = applicant
                    variant["id"] = f"G-{index}-{on.isoformat()}-{code}-{int(flip)}"
                    apps.append(Application.model_validate(variant))
                    dates.append(on)
    return apps, dates


def test_agrees_with_native_on_ten_thousand_generated_applications() -> None:
    apps, dates = generated()
    assert len(apps) >= 10_000
    book = builtin_book()
    lines = assert_same(book, apps, dates)
    records = [json.loads(line) for line in lines]
    assert {r["outcome"] for r in records} == {"approved", "rejected", "needs_review"}
    # nearly every requirement rule both passes and fails somewhere
    both = [
        slot
        for slot in range(len(book.layout.rules))
        if {r["rules"][slot] for r in records} >= {"p", "f"}
    ]
    assert len(both) >= len(book.layout.rules) - 3


def test_agrees_with_native_on_a_synthetic_register() -> None:
    book = builtin_book()
    frame = synthetic_register(2000, seed=11)
    apps = [Application.model_validate(row) for row in frame.to_dicts()]
    assert_same(book, apps, [ON] * len(apps))


@settings(max_examples=15)
@given(
    st.lists(applications(book=builtin_book()), min_size=1, max_size=4),
    st.sampled_from(DATES),
)
def test_property_columnar_equals_native(apps: list[Application], on: date) -> None:
    assert_same(builtin_book(), apps, [on] * len(apps))


def test_check_runs_the_columnar_engine_beside_the_others() -> None:
    from bansos_rules.check import run_check

    report = run_check(generated=20, skip=("lint", "examples", "invariants", "coverage"))
    cases = [case for section in report.sections for case in section.cases]
    assert "columnar" in {case.name for case in cases}
    assert all(not case.findings for case in cases if case.name == "columnar")


# -- errors, None and what cannot be compiled ----------------------------------------------------


def test_rules_that_raise_record_the_same_errors_as_native() -> None:
    rules = rule("household.monthly_income // (household.size - 1) >= 0", rule_id="t.div")
    rules += rule("household.monthly_income % (household.size - 1) == 0", rule_id="t.mod")
    rules += rule(
        "applicant.pkh_member and household.monthly_income // (len(plan.items) - 1) > 0",
        rule_id="t.short",
    )
    book = book_of(ruleset_text(rules))
    data = base_application_data()
    apps = []
    for members in (0, 1, 2):
        for pkh in (True, False):
            variant = json.loads(json.dumps(data))
            variant["household"]["members"] = variant["household"]["members"][:1] * members
            variant["applicant"]["pkh_member"] = pkh
            variant["plan"]["items"] = variant["plan"]["items"][: 1 + members % 2]
            apps.append(Application.model_validate(variant))
    lines = native_lines(book, apps, [ON] * len(apps))
    assert any('"errors"' in line for line in lines)
    assert_same(book, apps, [ON] * len(apps))


def test_none_compared_like_python() -> None:
    rules = rule("applicant.existing_business == business_type", rule_id="t.eq")
    rules += rule("applicant.existing_business != 'food'", rule_id="t.ne")
    rules += rule("applicant.existing_business in ['food', 'drinks']", rule_id="t.in")
    rules += rule(
        "count(m for m in household.members if m.in_school == False) == 0", rule_id="t.count"
    )
    book = book_of(ruleset_text(rules))
    data = base_application_data()
    apps = []
    for business in (None, "food", "workshop"):
        variant = json.loads(json.dumps(data))
        variant["applicant"]["existing_business"] = business
        variant["household"]["members"].append(
            {"name": "Anak", "birth_date": "2015-01-01", "sex": "male", "in_school": False}
        )
        apps.append(Application.model_validate(variant))
    assert_same(book, apps, [ON] * len(apps))


def test_a_generator_that_may_raise_is_refused_naming_the_rule() -> None:
    text = ruleset_text(rule("any(100 // m.age > 1 for m in household.members)", rule_id="t.gen"))
    book = book_of(text)
    with pytest.raises(ColumnarCompileError) as info:
        ColumnarEngine(book)
    assert info.value.rule == "t.gen"
    assert "test0.yaml:" in str(info.value)
    assert "generator" in info.value.text("en")
    assert "generator" in info.value.text("id")


def _book_with_function(fn: Callable[..., Any]) -> RuleBook:
    class Plugin:
        @hookimpl
        def register_functions(self, register: Callable[..., None]) -> None:
            register(fn)

    plugins = load_plugins(extra=[("shout", Plugin())])
    registry, engines = plugins.collect()
    text = ruleset_text(rule("starts_with(applicant.name, 'R')", rule_id="t.fn"))
    return RuleBook([load_ruleset(text, "fn.yaml", registry)], registry, engines)


def test_a_function_without_a_columnar_form_is_refused_naming_the_rule() -> None:
    def starts_with(text: str, prefix: str) -> bool:
        return text.startswith(prefix)

    book = _book_with_function(starts_with)
    with pytest.raises(ColumnarCompileError) as info:
        book.engine("columnar")
    assert info.value.rule == "t.fn"
    assert "starts_with()" in info.value.text("en")
    assert "fn.yaml:1" in str(info.value) or "fn.yaml:" in str(info.value)


def test_a_function_with_a_columnar_form_compiles_and_agrees() -> None:
    def form(text: Arg, prefix: Arg) -> pl.Expr:
        return text.expr.str.starts_with(prefix.value)

    @columnar_form(form)
    def starts_with(text: str, prefix: str) -> bool:
        return text.startswith(prefix)

    book = _book_with_function(starts_with)
    apps = []
    for name in ("Rina", "Ahmad"):
        data = base_application_data()
        data["applicant"]["name"] = name
        apps.append(Application.model_validate(data))
    assert_same(book, apps, [ON, ON])
    records = columnar(book).records(frame_of(apps), ON).collect()
    assert records.get_column(status_column("t.fn")).to_list() == ["p", "f"]


# -- reading registers -------------------------------------------------------------------------


def test_register_as_parquet_is_decided_in_columns(tmp_path: Path) -> None:
    from bansos_rules.cli import main

    frame = synthetic_register(3000, seed=5)
    source = tmp_path / "register.parquet"
    frame.write_parquet(source, row_group_size=1000)
    out = tmp_path / "records.parquet"
    code = main(
        ["evaluate", str(source), "--engine", "columnar", "--on", "2025-06-01", "-o", str(out)]
    )
    assert code == 0
    records = pl.read_parquet(out)
    assert records.height == 3000
    assert records.get_column("application_id").to_list() == frame.get_column("id").to_list()
    book = builtin_book()
    apps = [Application.model_validate(row) for row in frame.head(500).to_dicts()]
    expected = native_lines(book, apps, [ON] * len(apps))
    assert list(record_lines(records.head(500), book.layout.value_paths)) == expected


_DELETE = object()
_MUTATIONS: list[tuple[str, Any]] = [
    ("applicant.nik", "6471000000000000"),
    ("applicant.nik", "647101440888000"),
    ("applicant.nik", " 6471014408880005 "),
    ("applicant.occupation", None),
    ("applicant.occupation", _DELETE),
    ("applicant.occupation", "chef"),
    ("household.monthly_income", "2500000"),
    ("household.monthly_income", -1),
    ("household.monthly_income", 2.0),
    ("household.monthly_income", 2.5),
    ("plan.items", []),
    ("plan.items.0.quantity", 0),
    ("plan.items.0.is_cash", "yes"),
    ("plan.items.0.is_cash", None),
    ("plan.items.0.is_cash", _DELETE),
    ("applicant.birth_date", "1988-8-4"),
    ("applicant.birth_date", "1988-02-30"),
    ("applicant.birth_date", "1988-08-04T00:00:00"),
    ("applicant.dtsen_decile", 11),
    ("applicant.dtsen_decile", None),
    ("extra", 1),
    ("applicant.assets.extra", 1),
    ("plan.business_type", "fod"),
    ("applicant.interests", ["Food"]),
    ("applicant.interests", [None]),
    ("household.members", [{"name": "x"}]),
    ("household.members.0.in_school", None),
    ("household.members.0.relation", _DELETE),
    ("applicant.name", "  "),
    ("applicant.name", " Rina "),
    ("applicant.bank_account", None),
    ("applicant.bank_account.number", "12"),
    ("applicant.assets", None),
    ("applicant.assets", _DELETE),
    ("id", "bad id!"),
    ("submitted_on", None),
    ("submitted_on", "2025-06-01"),
    ("plan.location", _DELETE),
    ("household.aid_history", [{"program": "uep", "year": 1980}]),
]


def _mutated(changes: list[tuple[str, Any]]) -> dict[str, Any]:
    data = base_application_data()
    for path, value in changes:
        node: Any = data
        parts = path.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                # An earlier change may have emptied the list: then this one has nothing to set.
                node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
            else:
                node = node.get(part)
            if not isinstance(node, dict | list):
                break
        else:
            last = parts[-1]
            if isinstance(node, list):
                if int(last) < len(node):
                    node[int(last)] = value
            elif value is _DELETE:
                node.pop(last, None)
            else:
                node[last] = value
    return data


def _native_verdicts(book: RuleBook, lines: list[str], name: str) -> tuple[int, list[str]]:
    """What the per-record engines make of JSON lines: decided count and problem messages."""
    from pydantic import ValidationError

    from bansos_rules._errors import InputError

    decided = 0
    problems: list[str] = []
    for number, line in enumerate(lines, 1):
        try:
            book.validate(Application.model_validate_json(line))
            decided += 1
            continue
        except (ValidationError, InputError):
            pass
        try:
            book.validate(json.loads(line))
            decided += 1
        except InputError as exc:
            problems += [f"{name}:{number}: {p.path}: {p.text('en')}" for p in exc.problems]
    return decided, problems


@settings(max_examples=25)
@given(st.lists(st.lists(st.sampled_from(_MUTATIONS), max_size=3), min_size=1, max_size=12))
def test_property_columns_reject_exactly_what_the_models_reject(
    tmp_path_factory: pytest.TempPathFactory, mutations: list[list[tuple[str, Any]]]
) -> None:
    from bansos_rules.engines.columnar._read import read_applications

    book = builtin_book()
    lines = [json.dumps(_mutated(changes)) for changes in mutations]
    path = tmp_path_factory.mktemp("jsonl") / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    decided, problems = _native_verdicts(book, lines, "in.jsonl")
    batches = list(read_applications(path, book, shown="in.jsonl", batch_size=5))
    assert sum(b.frame.height for b in batches) == decided
    assert [line for b in batches for inv in b.invalid for line in inv.lines("en")] == problems
    assert sum(b.count for b in batches) == len(lines)


def test_invalid_parquet_rows_are_reported_with_row_and_field(tmp_path: Path) -> None:
    from bansos_rules.engines.columnar._read import read_applications

    frame = synthetic_register(40, seed=3)
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 6)
        .then(pl.col("plan").struct.with_fields(business_type=pl.lit("fod")))
        .otherwise(pl.col("plan"))
        .alias("plan"),
        pl.when(pl.int_range(pl.len()) == 9)
        .then(pl.col("applicant").struct.with_fields(nik=pl.lit("6471000000000000")))
        .otherwise(pl.col("applicant"))
        .alias("applicant"),
    )
    path = tmp_path / "broken.parquet"
    broken.write_parquet(path, row_group_size=16)
    batches = list(read_applications(path, builtin_book(), shown="broken.parquet", batch_size=16))
    lines = [line for b in batches for inv in b.invalid for line in inv.lines("en")]
    assert lines[0].startswith("broken.parquet (row 7): plan.business_type: business type 'fod'")
    assert lines[1].startswith("broken.parquet (row 10): applicant.nik: NIK 6471000000000000")
    assert sum(b.frame.height for b in batches) == 38


def test_cli_reports_and_decides_as_the_native_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bansos_rules.cli import main

    monkeypatch.chdir(tmp_path)
    lines = [json.dumps(_mutated(changes)) for changes in [[], *([m] for m in _MUTATIONS)]]
    Path("in.jsonl").write_text("\n".join(lines) + "\n{broken\n", encoding="utf-8")
    outputs = {}
    for engine in ("native", "columnar"):
        for fmt in ("records", "text"):
            args = ["evaluate", "in.jsonl", "--engine", engine, "--format", fmt]
            code = main([*args, "--on", "2025-06-01", "--lang", "en"])
            out, err = capsys.readouterr()
            outputs[(engine, fmt)] = (code, out.replace(engine, "ENGINE"), err)
    assert outputs[("native", "records")] == outputs[("columnar", "records")]
    assert outputs[("native", "text")] == outputs[("columnar", "text")]
    assert outputs[("native", "records")][0] == 1
    assert "in.jsonl:2: applicant.nik" in outputs[("native", "records")][2]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_output_format_follows_the_extension(tmp_path: Path, suffix: str) -> None:
    from bansos_rules.cli import main

    source = tmp_path / "in.parquet"
    synthetic_register(50, seed=9).write_parquet(source)
    out = tmp_path / f"records{suffix}"
    assert main(["evaluate", str(source), "--engine", "columnar", "-o", str(out)]) == 0
    if suffix == ".parquet":
        frame = pl.read_parquet(out)
    elif suffix == ".csv":
        frame = pl.read_csv(out)
        assert frame.get_column("value:plan.items").str.starts_with("[{").all()
    else:
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        frame = pl.DataFrame({"outcome": [r["outcome"] for r in records]})
        assert len(records[0]["values"]) == len(builtin_book().layout.value_paths)
    assert frame.height == 50
    assert set(frame.get_column("outcome")) <= {"approved", "rejected", "needs_review"}


def test_built_in_functions_have_columnar_forms() -> None:
    rules = rule("years_between(applicant.birth_date, today) >= 37", rule_id="t.years")
    rules += rule("years_between(today, applicant.birth_date) <= -37", rule_id="t.back")
    rules += rule("days_between(applicant.birth_date, today) % 7 == 3", rule_id="t.days")
    rules += rule("overlaps(applicant.skills, ['frying', 'baking'])", rule_id="t.overlaps")
    book = book_of(ruleset_text(rules))
    data = base_application_data()
    apps = []
    for born in ("1988-08-04", "1988-05-31", "1988-06-01", "1988-06-02", "1984-02-29"):
        data["applicant"]["birth_date"] = born
        apps.append(Application.model_validate(data))
    dates = [ON, date(2025, 2, 28), date(2024, 2, 29), ON, date(2025, 3, 1)]
    assert_same(book, apps, dates)


def test_cli_names_the_rule_it_cannot_compile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bansos_rules.cli import main

    rules = tmp_path / "t.yaml"
    rules.write_text(
        ruleset_text(rule("any(100 // m.age > 1 for m in household.members)", rule_id="t.gen")),
        encoding="utf-8",
    )
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(base_application_data()) + "\n", encoding="utf-8")
    args = ["evaluate", str(source), "--engine", "columnar", "--rulesets", str(rules), "--only"]
    assert main([*args, "--lang", "en"]) == 5
    err = capsys.readouterr().err
    assert "rule t.gen: the columnar engine cannot compile it" in err
    assert "t.yaml:" in err
    assert "Traceback" not in err


def test_streamed_parquet_keeps_order_and_judges_suspect_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bansos_rules.cli import main

    frame = synthetic_register(300, seed=21)
    index = pl.int_range(pl.len())
    frame = frame.with_columns(
        # row 11: spaces around the name (the models strip them: decided); row 12: quantity 0
        pl.when(index == 10)
        .then(pl.col("applicant").struct.with_fields(name=pl.lit("  Rina  ")))
        .otherwise(pl.col("applicant"))
        .alias("applicant"),
        pl.when(index == 11)
        .then(
            pl.col("plan").struct.with_fields(
                items=pl.col("plan")
                .struct.field("items")
                .list.eval(pl.element().struct.with_fields(quantity=pl.lit(0, pl.Int64)))
            )
        )
        .otherwise(pl.col("plan"))
        .alias("plan"),
    )
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    frame.write_parquet(source)
    code = main(
        ["evaluate", str(source), "--engine", "columnar", "--on", "2025-06-01", "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "in.parquet (row 12): plan.items.0.quantity:" in err
    assert "300 catatan = 299 diputuskan" in err
    records = pl.read_parquet(out)
    expected_ids = [i for n, i in enumerate(frame.get_column("id").to_list()) if n != 11]
    assert records.get_column("application_id").to_list() == expected_ids
    book = builtin_book()
    apps = [Application.model_validate(row) for row in frame.head(11).to_dicts()]
    assert apps[10].applicant.name == "Rina"
    lines = list(record_lines(records.head(11), book.layout.value_paths))
    assert lines == native_lines(book, apps, [ON] * 11)
    # the same in slices of 50 rows: the same file
    from bansos_rules.engines.columnar._stream import stream_parquet

    sliced = tmp_path / "sliced.parquet"
    result = stream_parquet(columnar(book), book, source, sliced, ON, "in.parquet", slice_rows=50)
    assert pl.read_parquet(sliced).equals(records)
    assert result.records == 300
    assert sum(result.outcomes.values()) == 299
    assert [inv.where for inv in result.invalid] == ["in.parquet (row 12)"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_one_approval_per_family_card_in_every_columnar_output(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two approved members of one family card: the later id is marked, naming the earlier,
    in Parquet and CSV columns and in record lines, whatever the input order."""
    from bansos_rules.cli import main
    from tests._support import base_application_data

    first = base_application_data()
    second = json.loads(json.dumps(first))
    first["id"], second["id"] = "KT-2025-9001", "KT-2025-9000"
    second["applicant"]["name"] = "Rina"
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    args = ["evaluate", str(source), "--engine", "columnar", "--on", "2025-06-01", "-o", str(out)]
    assert main([*args, "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "KT-2025-9001" in err
    assert "KT-2025-9000" in err
    if suffix == ".jsonl":
        lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        marked = {r["application_id"]: r.get("batch") for r in lines}
        assert marked["KT-2025-9000"] is None
        batch = marked["KT-2025-9001"]
        assert batch is not None
        assert batch["findings"][0]["other"] == "KT-2025-9000"
        return
    frame = pl.read_parquet(out) if suffix == ".parquet" else pl.read_csv(out)
    rows = {r["application_id"]: r for r in frame.iter_rows(named=True)}
    assert [r["outcome"] for r in rows.values()] == ["approved", "approved"]
    assert rows["KT-2025-9001"]["batch_other"] == "KT-2025-9000"
    assert rows["KT-2025-9001"]["batch_rule"] == "batch.one_per_family"
    assert rows["KT-2025-9000"]["batch_other"] is None


def test_csv_records_never_hold_a_spreadsheet_formula(tmp_path: Path) -> None:
    """A text cell that a spreadsheet would run (=, +, -, @ first) is written after a quote."""
    records = pl.DataFrame(
        {
            "application_id": ["KT-2025-0001", "KT-2025-0002", "KT-2025-0003"],
            "note": ['=HYPERLINK("http://x","klik")', "@SUM(A1)", "biasa"],
            "amount": [-5, 1, 2],
        }
    )
    path = tmp_path / "records.csv"
    write_records(records, path, ())
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert "'@SUM(A1)" in text
    assert ",biasa," in text
    assert ",-5" in text  # numbers are numbers, not formulas
    assert "\n=" not in text
    assert ",=" not in text
