"""Rulesets written carelessly or with hostile intent: each is refused with a located diagnostic.

The per-mistake corpus is ``tests/broken/`` (see ``test_broken_rulesets``); this module covers what
needs the file's bytes (``tests/broken_files/``), the installed rulesets, or generated damage.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bansos_rules import load_rules
from bansos_rules._errors import BansosRulesError, RulesetError, UsageError
from bansos_rules._manager import load_plugins
from bansos_rules._messages import known_codes
from bansos_rules._registry import Registry
from bansos_rules.check import run_check
from bansos_rules.cli import ExitCode, main
from bansos_rules.ruleset.loader import load_ruleset
from bansos_rules.testing import strategies

HERE = Path(__file__).parent
FILES = HERE / "broken_files"
REAL = HERE.parent / "rulesets"


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg, _ = load_plugins().collect()
    return reg


def _only(exc: RulesetError) -> tuple[str, int | None, int | None, str, str]:
    (d,) = exc.diagnostics
    return d.code, d.line, d.column, d.message("id"), d.message("en")


# --- what needs the bytes of the file ---------------------------------------------------------


def test_a_file_not_in_utf8_is_reported_at_its_first_bad_byte() -> None:
    with pytest.raises(RulesetError) as info:
        load_rules([FILES / "not_utf8.yaml"], plugin_rulesets=False)
    code, line, column, text_id, text_en = _only(info.value)
    assert (code, line, column) == ("file-not-utf8", 5, 36)
    assert "0xE9" in text_id
    assert "UTF-8" in text_id
    assert "0xE9" in text_en
    assert "save it again as UTF-8" in text_en


def test_a_file_with_a_byte_order_mark_loads() -> None:
    book = load_rules([FILES / "bom.yaml"], plugin_rulesets=False)
    assert [rs.id for rs in book.rulesets] == ["broken"]


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    big = tmp_path / "huge_reference.yaml"
    text = (REAL / "aid_caps.yaml").read_text(encoding="utf-8")
    big.write_text(text + "# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        load_rules([big], plugin_rulesets=False)
    code, line, column, text_id, text_en = _only(info.value)
    assert code == "file-too-large"
    assert line == text.count("\n") + 1
    assert column == 1
    assert "1000000" in text_en
    assert "1000000" in text_id


def test_a_file_that_declares_an_installed_rulesets_id_is_reported_in_that_file(
    tmp_path: Path,
) -> None:
    """An edited copy that says `ruleset: eligibility` but holds aid_caps' rules replaces the
    installed eligibility ruleset: the clash with the installed aid_caps is shown in the copy."""
    mine = tmp_path / "my_caps.yaml"
    mine.write_text(
        (REAL / "aid_caps.yaml")
        .read_text(encoding="utf-8")
        .replace("ruleset: aid_caps", "ruleset: eligibility"),
        encoding="utf-8",
    )
    with pytest.raises(RulesetError) as info:
        load_rules([mine])
    found = info.value.diagnostics
    assert found
    assert {d.code for d in found} == {"rule-duplicate-across"}
    assert {Path(d.file).name for d in found} == {"my_caps.yaml"}
    assert all(d.line is not None for d in found)
    assert all("'aid_caps'" in d.message("en") for d in found)


# --- dates at the ends of the calendar --------------------------------------------------------


@pytest.fixture(scope="module")
def far_dates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in rulesets with one value in force from 0001-01-01 until 9999-12-31."""
    folder = tmp_path_factory.mktemp("far_dates")
    for path in REAL.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    target = folder / "eligibility.yaml"
    text = target.read_text(encoding="utf-8")
    old = '      - from: 2025-01-01\n        value: "64"\n'
    assert old in text
    target.write_text(
        text.replace(
            old, '      - from: 0001-01-01\n        until: 9999-12-31\n        value: "64"\n'
        ),
        encoding="utf-8",
    )
    return folder


def test_check_handles_values_in_force_from_year_1_until_year_9999(far_dates: Path) -> None:
    report = run_check([far_dates], generated=30, skip=["lint"], plugin_rulesets=False)
    assert report.status == "ok", [
        f.format() for s in report.sections for c in s.cases for f in c.findings
    ]


def test_diff_handles_values_in_force_from_year_1_until_year_9999(
    far_dates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["diff", str(REAL), str(far_dates), "--generate", "20", "--lang", "en"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert "0001-01-01" in out


@pytest.mark.parametrize("on", [date.min, date.max, date(1999, 12, 31), date(2100, 1, 1)])
def test_strategies_outside_their_years_raise_the_librarys_error(on: date) -> None:
    with pytest.raises(BansosRulesError, match="2000-2099"):
        strategies.applications(on=on).example()


@pytest.mark.parametrize("on", ["2025-06-01", None, 20250601])
def test_deciding_on_something_that_is_not_a_date_is_a_usage_error(on: object) -> None:
    book = load_rules()
    with pytest.raises(UsageError, match=r"datetime\.date"):
        book.evaluate({}, on=on)  # type: ignore[arg-type]


def test_a_path_that_is_not_a_path_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        load_rules([3])  # type: ignore[list-item]


# --- generated damage: never anything but a RulesetError --------------------------------------

_TRICKY = [
    "\t",
    "\r",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\x85",
    "!!str ",
    "!!binary ",
    "&a ",
    "*a",
    "<<: ",
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "#",
    "'",
    '"',
    "0x1F",
    "1:30",
    "0b1",
    "017",
    "9" * 25,
    "-",
    "2025-02-30",
    "~",
    "\uff41",  # fullwidth a
    "\\",
    "%YAML 1.1\n",
    "\n  ",
    "\n",
    "?",
    "|",
    ">",
    "all(",
    " for x in plan.items)",
    "params.",
    "__",
    "**",
]
_SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(REAL.glob("*.yaml"))}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(_SOURCES)),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(_TRICKY)),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_real_rulesets_give_diagnostics_never_tracebacks(
    name: str, edits: list[tuple[float, str]], registry: Registry
) -> None:
    text = _SOURCES[name]
    for where, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at:]
    try:
        load_ruleset(text, name, registry)
    except RulesetError as exc:
        found = exc.diagnostics
    else:
        return
    assert found
    for d in found:
        assert d.code in known_codes()
        assert d.message("id")
        assert d.message("en")


# --- analysts read Indonesian: how to fix it, and the line it is on ---------------------------


@pytest.mark.parametrize(
    ("fixture", "hint_id"),
    [
        ("yaml_tab_indent.yaml", "ganti tab dengan spasi"),
        ("yaml_unclosed_quote.yaml", "tambahkan ' di akhir"),
        ("yaml_syntax_unclosed_bracket.yaml", "tutup dengan ']'"),
        ("yaml_uneven_indent.yaml", "harus sejajar"),
        ("param_date_day_first.yaml", "tulis tanggal sebagai TTTT-BB-HH, misalnya 2025-01-01"),
        ("field_wrong_type_points.yaml", "harus bilangan bulat"),
    ],
)
def test_load_errors_say_in_indonesian_how_to_fix_them_under_the_offending_line(
    fixture: str, hint_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = HERE / "broken" / fixture
    code = main(["rulesets", "--rulesets", str(path), "--lang", "id"])
    err = capsys.readouterr().err
    assert code != ExitCode.OK
    assert "Traceback" not in err
    assert hint_id in err
    message, shown, caret = err.splitlines()[:3]
    line = int(message.split(":")[1])
    column = int(message.split(":")[2])
    written = path.read_text(encoding="utf-8").split("\n")[line - 1]
    assert shown.strip().startswith(f"{line} |")
    assert shown.endswith(written.replace("\t", "    "))
    assert caret.index("^") - caret.index("|") - 2 == column - 1


def test_an_example_written_for_pasting_escapes_hidden_characters() -> None:
    """A generated name with a text-direction override becomes an escape in the pasted YAML, so
    the example loads into a ruleset (which refuses the raw character)."""
    import yaml

    from bansos_rules.testing.population import example_yaml

    text = example_yaml(
        "contoh", date(2025, 6, 1), {"applicant": {"name": "Siti \u202eAisyah"}}, {}
    )
    assert "\u202e" not in text
    assert "\\u202E" in text
    assert yaml.safe_load(text)[0]["given"]["applicant"]["name"] == "Siti \u202eAisyah"
