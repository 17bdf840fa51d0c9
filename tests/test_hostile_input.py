"""Hostile and broken application files: one bad record never costs the batch.

Each file in ``tests/hostile_input/`` (written by ``tools/make_hostile_inputs.py``) holds a valid
application, then one record with exactly one mistake, then another valid application. The table
says, for each file, where the mistake is (line and field), its code, and what the message says in
Indonesian and English; the test runs ``bansos-rules evaluate`` on it and checks the message, the
exit status and that ``records = decided + invalid`` with every other record decided. Files
without a mistake (texts with line separators or terminal escapes, a spreadsheet export with
``;`` and decimal commas) must decide all three records.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bansos_rules._input_problems import LIMITS, RecordProblem, input_codes
from bansos_rules._io import Record, read_records, unflatten
from bansos_rules._safe_output import neutralise
from bansos_rules.cli import ExitCode, main
from bansos_rules.testing import applications
from tests._support import base_application_data, builtin_book

HERE = Path(__file__).parent
CORPUS = HERE / "hostile_input"
ROOT = HERE.parent
SUMMARY = re.compile(
    r"(\d+) (?:catatan|records) = (\d+) (?:diputuskan|decided) .*\+ (\d+) (?:tidak valid|invalid)"
)


@dataclass(frozen=True)
class Case:
    file: str
    line: int | None
    field: str | None
    code: str | None
    """The reader's code (``None``: found by the model's validation, after reading)."""
    says: tuple[str, str]
    """What the Indonesian and the English message must contain."""
    invalid: int = 1


# fmt: off
CASES = [
    Case("jsonl_nested_too_deep.jsonl", 2, "applicant.name." + ".".join("0" * 18), "too-deep",
         ("bersarang terlalu dalam (lebih dari 20 tingkat)", "nested too deeply (more than 20")),
    Case("jsonl_nested_past_limit.jsonl", 2, "applicant.name." + ".".join("0" * 18), "too-deep",
         ("bersarang terlalu dalam", "nested too deeply")),
    Case("jsonl_number_too_long.jsonl", 2, "household.monthly_income", "number-too-long",
         ("angka terlalu panjang (5001 digit", "number too long (5001 digits")),
    Case("jsonl_duplicate_key.jsonl", 2, "applicant.assets.has_kitchen", "duplicate-key",
         ("kunci 'has_kitchen' ditulis dua kali", "key 'has_kitchen' appears twice")),
    Case("jsonl_boolean_for_number.jsonl", 2, "plan.items.0.quantity", None,
         ("harus bilangan bulat", "valid integer")),
    Case("jsonl_text_too_long.jsonl", 2, "applicant.district", "text-too-long",
         ("teks terlalu panjang (10001 karakter", "text too long (10001 characters")),
    Case("jsonl_list_too_long.jsonl", 2, "applicant.skills", "list-too-long",
         ("daftar terlalu panjang (10001 butir", "list too long (10001 items")),
    Case("jsonl_not_a_number.jsonl", 2, "applicant.dtsen_decile", "number-not-finite",
         ("NaN bukan angka JSON", "NaN is not a valid JSON number")),
    Case("jsonl_nik_as_float.jsonl", 2, "applicant.nik", "number-mangled",
         ("notasi ilmiah", "scientific notation")),
    Case("jsonl_not_an_object.jsonl", 2, None, "not-an-object",
         ("harus berupa objek JSON", "must be a JSON object")),
    Case("jsonl_broken_json.jsonl", 2, None, "json-invalid",
         ("JSON tidak valid pada kolom 194", "invalid JSON at column 194")),
    Case("jsonl_not_utf8.jsonl", 2, None, "not-utf8",
         ("byte yang bukan UTF-8 pada kolom", "bytes that are not UTF-8 at column")),
    Case("csv_not_utf8.csv", 3, None, "not-utf8-text",
         ("simpan berkas sebagai UTF-8", "save the file as UTF-8")),
    Case("json_nested_too_deep.json", 3, "applicant.name." + ".".join("0" * 18), "too-deep",
         ("bersarang terlalu dalam", "nested too deeply")),
    Case("json_duplicate_key.json", 3, "id", "duplicate-key",
         ("kunci 'id' ditulis dua kali", "key 'id' appears twice")),
    Case("csv_duplicate_column.csv", 2, "applicant.name", "csv-duplicate-column",
         ("kolom 'applicant.name' ada dua kali di baris judul (baris 1)",
          "column 'applicant.name' appears twice in the header (line 1)"), invalid=3),
    Case("csv_nik_scientific.csv", 3, "applicant.nik", "number-mangled",
         ("'6.47102E+15' bukan nomor 16 digit", "'6.47102E+15' is not a 16-digit number")),
    Case("csv_cell_too_large.csv", 3, "applicant.village", "csv-cell-too-large",
         ("sel terlalu besar (10001 karakter", "cell too large (10001 characters")),
    Case("csv_boolean_for_number.csv", 3, "plan.items.0.quantity", None,
         ("harus bilangan bulat", "valid integer")),
    Case("csv_extra_cells.csv", 3, None, "csv-extra-cells",
         ("68 sel, lebih banyak dari 67 kolom", "68 cells, more than the 67 columns")),
]
VALID = [
    "jsonl_line_separators_in_text.jsonl",
    "jsonl_escapes_in_name.jsonl",
    "csv_line_separator_in_cell.csv",
    "csv_semicolon_decimal_comma.csv",
]
# fmt: on


@contextmanager
def _built_in_book_once() -> Iterator[None]:
    """``evaluate`` with the built-in rulesets loaded once for all examples, not on every call."""
    import bansos_rules.cli as cli

    load = cli.load_rules
    cli.load_rules = lambda *args, **kwargs: builtin_book()  # type: ignore[assignment]
    try:
        yield
    finally:
        cli.load_rules = load


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``bansos-rules ARGS`` in this process (the built-in rulesets loaded once per session)."""
    with _built_in_book_once():
        code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def counts(text: str) -> tuple[int, int, int]:
    match = SUMMARY.search(text)
    assert match, text
    records, decided, invalid = map(int, match.groups())
    return records, decided, invalid


def test_every_fixture_is_in_the_table() -> None:
    listed = {c.file for c in CASES} | set(VALID)
    assert listed == {p.name for p in CORPUS.iterdir() if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_the_mistake_is_reported_at_its_place_and_the_rest_decided(
    capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    path = CORPUS / case.file
    for lang, says in zip(("id", "en"), case.says, strict=True):
        code, _, err = run(capsys, "evaluate", str(path), "--format", "records", "--lang", lang)
        assert code == ExitCode.INVALID_RECORDS
        assert "Traceback" not in err
        field = f" {case.field}:" if case.field else ""
        place = f"{path.name}:{case.line}:{field} "
        lines = [line for line in err.splitlines() if place in line]
        assert lines, err
        assert says in lines[0]
        assert counts(err) == (3, 3 - case.invalid, case.invalid)
    if case.code is not None:
        records = list(read_records(path))
        assert len(records) == 3
        bad = next(r for r in records if r.issue is not None)
        assert (bad.issue.code, bad.issue.field, bad.line) == (case.code, case.field, case.line)
        assert bad.message("id") != bad.message("en")


@pytest.mark.parametrize("file", VALID)
def test_texts_that_only_look_hostile_are_decided(
    capsys: pytest.CaptureFixture[str], file: str
) -> None:
    code, out, err = run(capsys, "evaluate", str(CORPUS / file), "--lang", "en")
    assert code == ExitCode.OK, err
    assert counts(out) == (3, 3, 0)


def test_no_escape_or_fake_line_reaches_the_screen(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(CORPUS / "jsonl_escapes_in_name.jsonl"))
    assert code == ExitCode.OK
    assert "\x1b" not in out
    assert "\u202e" not in out
    # the name tries to print a summary line of its own: it stays inside its heading
    assert [line for line in out.splitlines() if line.startswith("Ringkasan")] == [
        "Ringkasan: 3 catatan = 3 diputuskan (3 disetujui, 0 ditolak, 0 perlu ditinjau) + 0 tidak "
        "valid"
    ]
    assert "Ahmad\\x1b[2J\\x1b[31m\\x0aRingkasan: 3 catatan = 3 diputuskan\\u202e" in out


def test_json_lines_split_at_newline_only() -> None:
    records = list(read_records(CORPUS / "jsonl_line_separators_in_text.jsonl"))
    assert [r.line for r in records] == [1, 2, 3]
    assert records[1].data is not None
    assert records[1].data["applicant"]["name"] == "Ahmad\u2028Fauzi\u2029bin\u0085Hasan"
    assert records[1].data["applicant"]["village"] == "Batu\rAmpar"


def test_a_csv_cell_keeps_its_line_separators() -> None:
    records = list(read_records(CORPUS / "csv_line_separator_in_cell.csv"))
    assert [r.line for r in records] == [2, 3, 4]
    assert records[1].data is not None
    assert records[1].data["applicant"]["village"] == "Batu\u2028Ampar\u0085Baru"


def test_a_spreadsheet_export_is_read_with_its_separator_and_decimal_comma() -> None:
    path = CORPUS / "csv_semicolon_decimal_comma.csv"
    assert ";2.400.000;" in path.read_text()
    (first, *_rest) = read_records(path)
    assert first.data is not None
    assert first.data["household"]["monthly_income"] == 2_400_000
    assert first.data["plan"]["items"][0]["quantity"] == 1
    # the same file read as comma-separated has rows longer than their header: none is taken
    wrong = list(read_records(path, delimiter=","))
    assert len(wrong) == 3
    assert {r.issue.code if r.issue else None for r in wrong} == {"csv-extra-cells"}


def test_csv_options_on_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = CORPUS / "csv_semicolon_decimal_comma.csv"
    code, out, _ = run(capsys, "evaluate", str(path), "--csv-delimiter", "semicolon")
    assert code == ExitCode.OK
    assert counts(out) == (3, 3, 0)
    # dots read as decimal points: 2.400.000 is not a number, the quantities 1,00 neither
    code, _, err = run(
        capsys, "evaluate", str(path), "--no-decimal-comma", "--format", "records", "--lang", "en"
    )
    assert code == ExitCode.INVALID_RECORDS
    assert "household.monthly_income: Input should be a valid integer" in err
    assert counts(err) == (3, 0, 3)


@pytest.mark.parametrize(
    ("cell", "comma", "expected"),
    [
        ("4500000", False, 4_500_000),
        ("4,500,000", False, 4_500_000),
        ("4500000.00", False, 4_500_000),
        ("4.500.000", True, 4_500_000),
        ("4500000,00", True, 4_500_000),
        ("4.500.000,00", True, 4_500_000),
        ("4500000,5", True, "4500000.5"),
        ("4.500.000", False, "4.500.000"),
        ("true", False, "true"),
        ("1" * 40, False, "1" * 40),
    ],
)
def test_whole_number_cells(cell: str, comma: bool, expected: object) -> None:
    data = unflatten({"household.monthly_income": cell}, decimal_comma=comma)
    assert data == {"household": {"monthly_income": expected}}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("BENAR", True), ("Salah", False), ("ya", True), ("TIDAK", False), ("TRUE", "TRUE")],
)
def test_yes_no_cells_as_indonesian_spreadsheets_write_them(cell: str, expected: object) -> None:
    data = unflatten({"household.clean_water": cell})
    assert data == {"household": {"clean_water": expected}}


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10**13), st.booleans())
def test_a_whole_number_survives_any_spreadsheet_format(number: int, comma: bool) -> None:
    grouped = f"{number:,}"
    written = [str(number), grouped.replace(",", ".") if comma else grouped]
    written.append(f"{number},00" if comma else f"{number}.00")
    for text in written:
        data = unflatten({"plan.items.0.unit_price": text}, decimal_comma=comma)
        assert data["plan"]["items"][0]["unit_price"] == number


def test_a_record_too_large_is_skipped_not_kept(tmp_path: Path) -> None:
    app = json.dumps(base_application_data())
    huge = '{"id": "' + "x" * (LIMITS["record_chars"] + 10) + '"}'
    for name, text in [
        ("big.jsonl", f"{app}\n{huge}\n{app}\n"),
        ("big.json", f"[{app},\n{huge},\n{app}]"),
    ]:
        path = tmp_path / name
        path.write_text(text)
        records = list(read_records(path))
        assert [r.data is not None for r in records] == [True, False, True]
        assert records[1].issue is not None
        assert records[1].issue.code == "record-too-large"
        assert records[1].line == 2
    # a text or a number past the limit as an element of an array is skipped to its end
    too_long = "x" * (LIMITS["record_chars"] + 10)
    path = tmp_path / "scalars.json"
    path.write_text(f'[{app},\n"{too_long}",\n{app},\n{"9" * len(too_long)},\n{app}]')
    records = list(read_records(path))
    assert [r.issue.code if r.issue else None for r in records] == [
        None,
        "record-too-large",
        None,
        "record-too-large",
        None,
    ]
    assert [r.line for r in records] == [1, 2, 3, 4, 5]
    csv_path = tmp_path / "big.csv"
    csv_path.write_text(
        "id,applicant.name\nA,x\nB," + "y" * (LIMITS["record_chars"] + 10) + "\nC,z\n"
    )
    records = list(read_records(csv_path))
    assert [r.line for r in records] == [2, 3, 4]
    assert [r.issue.code if r.issue else None for r in records] == [None, "record-too-large", None]


def test_a_value_too_deep_in_a_json_array_is_skipped_across_chunks(tmp_path: Path) -> None:
    app = json.dumps(base_application_data())
    deep = '{"id": "D", "x": ' + "[" * 40_000 + '"]]\\\\\\"[{"' + "]" * 40_000 + "}"
    path = tmp_path / "deep.json"
    path.write_text(f"[{app},\n{deep},\n{app}]")
    records = list(read_records(path))
    assert [r.data is not None for r in records] == [True, False, True]
    assert records[1].issue is not None
    assert (records[1].issue.code, records[1].line) == ("too-deep", 2)
    assert str(records[1].issue.field).startswith("x.0.0")


# ---------------------------------------------------------------------- properties


_APP = json.dumps(base_application_data())


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.just(_APP),
            st.text(st.characters(blacklist_characters="\n"), max_size=40),
            st.text(alphabet='{}[]":,0123456789.eE-+ ntrufalsNIy', max_size=60),
            st.integers(0, 400).map(lambda n: "[" * n + "]" * n),
            st.sampled_from(['{"id": 1, "id": 2}', "NaN", "1" * 5000, '{"a": -Infinity}']),
        ),
        max_size=8,
    )
)
def test_a_batch_never_loses_a_record(lines: list[str]) -> None:
    import io
    from contextlib import redirect_stderr, redirect_stdout
    from tempfile import TemporaryDirectory

    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "mixed.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err), _built_in_book_once():
            code = main(["evaluate", str(path), "--format", "records"])
    assert code in (ExitCode.OK, ExitCode.INVALID_RECORDS), err.getvalue()
    expected = sum(1 for line in lines if line.strip())
    records, decided, invalid = counts(err.getvalue())
    assert records == expected == decided + invalid
    assert decided == len(out.getvalue().splitlines())
    assert decided == lines.count(_APP)


def _dumps(node: object, repeat: int, seen: list[int]) -> str:
    """``node`` as JSON, the ``repeat``-th object (in document order) with its first key twice."""
    if isinstance(node, dict):
        index = len(seen)
        seen.append(index)
        members = [f"{json.dumps(k)}:{_dumps(v, repeat, seen)}" for k, v in node.items()]
        if index == repeat and members:
            members.append(members[0])
        return "{" + ",".join(members) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_dumps(v, repeat, seen) for v in node) + "]"
    return json.dumps(node)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(applications(), st.data())
def test_a_repeated_key_is_always_caught(app: object, data: st.DataObject) -> None:
    from pydantic import ValidationError

    from bansos_rules import Application
    from bansos_rules._jsonscan import may_repeat_keys

    assert isinstance(app, Application)
    plain = app.model_dump(mode="json", exclude_defaults=True)
    objects: list[int] = []
    _dumps(plain, -1, objects)
    text = _dumps(plain, data.draw(st.sampled_from(objects)), [])
    # the fast path (pydantic's parser, which keeps the last value) must not take it as it is
    try:
        parsed = Application.model_validate_json(text)
    except ValidationError:
        pass
    else:
        assert may_repeat_keys(text, parsed)
    (record,) = read_records_text(text)
    assert record.issue is not None
    assert record.issue.code == "duplicate-key", record.message()
    # and the same application without the repeated key is taken as it is
    (clean,) = read_records_text(_dumps(plain, -1, []))
    assert clean.issue is None


def read_records_text(text: str) -> list[Record]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "one.jsonl"
        path.write_text(text + "\n", encoding="utf-8")
        return list(read_records(path))


@given(st.text())
def test_neutralised_text_is_one_line_of_visible_characters(text: str) -> None:
    shown = neutralise(text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]", shown)
    assert shown.splitlines() in ([shown], [])
    if text.isprintable():
        assert shown == text


def test_every_record_problem_code_has_its_own_text_in_each_language() -> None:
    import string

    from bansos_rules import _input_problems

    for code in input_codes():
        templates = _input_problems._TEXTS[code]
        names = {name for t in templates for _, name, _, _ in string.Formatter().parse(t) if name}
        problem = RecordProblem(code, "a.b", dict.fromkeys(names, "X"))
        indonesian, english = problem.text("id"), problem.text("en")
        assert indonesian.startswith("a.b: ")
        assert english.startswith("a.b: ")
        assert indonesian != english, code


def test_csv_cells_the_csv_module_refuses_and_conflicting_columns(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(
        "id,plan.items,plan.items.0.name,household.members\n"
        "A,,,\n"
        'B,"[1]",x,\n'
        'C,,,"[oops"\n'
        "D,,," + "z" * 200_000 + "\n"
        "E,,,\n"
    )
    records = list(read_records(path))
    codes = [r.issue.code if r.issue else None for r in records]
    assert codes == [None, "csv-column-conflict", "csv-cell-json", "csv-syntax", None]
    assert [r.line for r in records] == [2, 3, 4, 5, 6]
    assert records[1].issue is not None
    assert records[1].issue.field == "plan.items.0.name"


# ---------------------------------------------------------------------- exit codes, streams


def test_an_internal_error_has_its_own_code_and_no_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bansos_rules.cli as cli

    def broken(args: object) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "_dispatch", broken)
    code, _, err = run(capsys, "rulesets")
    assert code == ExitCode.INTERNAL_ERROR != ExitCode.INVALID_RECORDS
    assert "Traceback" not in err
    assert "galat internal: ZeroDivisionError: division by zero" in err
    assert "bukan kesalahan data atau ruleset Anda" in err
    code, _, err = run(capsys, "rulesets", "--lang", "en")
    assert "internal error: ZeroDivisionError" in err
    assert "not in your data or rulesets" in err


def test_a_record_that_breaks_the_engine_is_reported_and_the_batch_goes_on(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bansos_rules.engines.native import NativeEngine

    decide = NativeEngine.decide

    def faulty(self: NativeEngine, app: object, on: object) -> object:
        if getattr(app, "id", "") == "KT-2025-0002":
            raise MemoryError("simulated")
        return decide(self, app, on)  # type: ignore[arg-type]

    monkeypatch.setattr(NativeEngine, "decide", faulty)
    path = CORPUS / "jsonl_escapes_in_name.jsonl"
    code, out, err = run(capsys, "evaluate", str(path), "--format", "records", "--lang", "en")
    assert code == ExitCode.INTERNAL_ERROR
    assert "jsonl_escapes_in_name.jsonl:2: internal error: MemoryError: simulated" in err
    assert counts(err) == (3, 2, 1)
    assert len(out.splitlines()) == 2


def test_an_output_that_cannot_be_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out.jsonl"
    code, _, err = run(
        capsys, "evaluate", str(CORPUS / "jsonl_escapes_in_name.jsonl"), "-o", str(target)
    )
    assert code == ExitCode.CANNOT_WRITE
    assert "Traceback" not in err
    assert "berkas keluaran tidak dapat ditulis: " in err
    assert "out.jsonl" in err


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_output_on_a_non_utf8_console_never_crashes(encoding: str, tmp_path: Path) -> None:
    env = {"PYTHONIOENCODING": encoding, "PATH": "", "PYTHONPATH": str(ROOT / "src")}
    path = CORPUS / "jsonl_line_separators_in_text.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "bansos_rules.cli", "evaluate", str(path), "--verbose"],
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == ExitCode.OK, done.stderr.decode(errors="replace")
    assert b"Traceback" not in done.stderr
    assert b"3 catatan = 3 diputuskan" in done.stdout
    # a character the console cannot show is replaced, not fatal
    assert "✓".encode() not in done.stdout
    assert b"?" in done.stdout


def test_redirected_output_without_an_encoding_chosen_is_utf8(tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(ROOT / "src"), "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PATH": ""}
    path = CORPUS / "jsonl_line_separators_in_text.jsonl"
    done = subprocess.run(
        [sys.executable, "-X", "utf8=0", "-m", "bansos_rules.cli", "evaluate", str(path), "-v"],
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == ExitCode.OK, done.stderr.decode(errors="replace")
    assert "✓".encode() in done.stdout


def test_explain_reads_hostile_decision_records_one_by_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = tmp_path / "records.jsonl"
    code, _, _ = run(
        capsys, "evaluate", str(CORPUS / "jsonl_escapes_in_name.jsonl"), "--format", "records",
        "-o", str(records),
    )  # fmt: skip
    assert code == ExitCode.OK
    good = records.read_text().splitlines()[0]
    twice = good.replace('"outcome":"approved"', '"outcome":"rejected","outcome":"approved"')
    assert twice != good
    lines = [good, twice, good[:-1] + ',"x":NaN}', "[" * 3000 + "]" * 3000, good]
    records.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "explain", str(records), "--format", "jsonl", "--lang", "en")
    assert code == ExitCode.INVALID_RECORDS
    assert "records.jsonl:2: outcome: key 'outcome' appears twice in one object" in err
    assert "records.jsonl:3: x: NaN is not a valid JSON number" in err
    assert "records.jsonl:4: 0.0.0" in err
    assert "nested too deeply" in err
    assert counts(err) == (5, 2, 3)
    assert len(out.splitlines()) == 2


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=6), _JSON, min_size=1, max_size=5), st.data())
def test_the_quick_reader_takes_plain_objects_and_never_a_repeated_key(
    obj: dict[str, object], data: st.DataObject
) -> None:
    from bansos_rules._jsonscan import quick_object

    text = json.dumps(obj, ensure_ascii=data.draw(st.booleans()))
    assert quick_object(text) == obj
    key = data.draw(st.sampled_from(sorted(obj)))
    repeated = text[:-1] + f", {json.dumps(key)}: {json.dumps(obj[key])}" + "}"
    assert quick_object(repeated) is None
    (record,) = read_records_text(repeated)
    assert record.issue is not None
    assert record.issue.code == "duplicate-key"


def test_diff_reports_show_input_names_neutralised(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import shutil

    new = tmp_path / "rulesets"
    shutil.copytree(ROOT / "rulesets", new)
    caps = new / "aid_caps.yaml"
    caps.write_text(caps.read_text().replace("value: 5000000", "value: 1000000", 1))
    hostile = tmp_path / "one.jsonl"
    hostile.write_text((CORPUS / "jsonl_escapes_in_name.jsonl").read_text().splitlines()[1] + "\n")
    old = str(ROOT / "rulesets")
    code, out, err = run(capsys, "diff", old, str(new), "--applications", str(hostile))
    assert code == ExitCode.OK, err
    assert "Ahmad\\x1b[2J\\x1b[31m Ringkasan" in out  # the example applicant's line
    assert "\x1b" not in out
    assert "\x1b" not in err


@pytest.mark.parametrize(("separator", "option"), [("\t", "tab"), ("|", "pipe"), (";", None)])
def test_other_separators_are_sniffed_or_given(
    tmp_path: Path, separator: str, option: str | None
) -> None:
    import csv

    path = tmp_path / "apps.csv"
    with path.open("w", newline="") as out:  # as a spreadsheet writes it: quoted where needed
        writer = csv.writer(out, delimiter=separator)
        writer.writerow(["id", "household.monthly_income", "applicant.skills"])
        writer.writerow(["A", "2.400.000", "cooking;selling"])
        writer.writerow(["B", "1.500.000", ""])
    comma = separator == ";"
    for delimiter in (None, {"tab": "\t", "pipe": "|"}.get(option or "")):
        records = list(read_records(path, delimiter=delimiter, decimal_comma=True))
        assert [r.data for r in records] == [
            {"id": "A", "household": {"monthly_income": 2_400_000}, "applicant": {"skills": [
                "cooking", "selling"]}},
            {"id": "B", "household": {"monthly_income": 1_500_000}},
        ], (delimiter, comma)  # fmt: skip


def test_ctrl_c_is_reported_not_traced(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bansos_rules.cli as cli

    def interrupted(args: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_dispatch", interrupted)
    code, _, err = run(capsys, "rulesets", "--lang", "en")
    assert code == ExitCode.INTERRUPTED
    assert "interrupted (Ctrl+C)" in err
    assert "Traceback" not in err
