"""``bansos-rules check``: each kind of check finds what it should, in every output format."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bansos_rules import Application, hookimpl
from bansos_rules._decision import Decision, Outcome
from bansos_rules._errors import EngineUnavailableError
from bansos_rules._manager import load_plugins
from bansos_rules._messages import _CHECK
from bansos_rules.check import KINDS, CheckReport, run_check
from bansos_rules.cli import ExitCode, main
from bansos_rules.engines import EngineFactory
from bansos_rules.engines.native import NativeEngine
from tests._support import base_application_data

# Examples run on every engine that can run here: native, and durable where durable_rules imports.
# native and columnar, and durable where durable_rules imports
ENGINES = 3 if importlib.util.find_spec("durable_rules_engine") else 2

ROOT = Path(__file__).resolve().parent.parent
FEW = 20  # generated applications: enough for the lints, and fast

# A small ruleset with one deliberate problem per rule or parameter; each test reads the part it
# is about. Every rule is covered both ways by the examples except where a test says otherwise.
PARAMETERS = """\
parameters:
  min_total:
    type: int
    unit: rupiah
    description: {id: Nilai minimum, en: Minimum total}
    reference: Keputusan uji 1/2025
    values:
      - {from: 2025-01-01, value: 4000000}
  unused_limit:
    type: int
    description: {id: Tidak dipakai, en: Not used}
    reference: Keputusan uji 1/2025
    values:
      - {from: 2025-01-01, value: 7}
  todo_param:
    type: int
    description: {id: Rujukan belum ada, en: Reference still to come}
    reference: TODO
    values:
      - {from: 2025-01-01, value: 3}
"""


def rule(
    rule_id: str, check: str, *, on_fail: str = "reject", reference: str = "Keputusan uji 1/2025"
) -> str:
    return textwrap.dedent(f"""\
      - id: {rule_id}
        title: {{id: Aturan {rule_id}, en: Rule {rule_id}}}
        reference: {reference}
        check: {check!r}
        on_fail: {on_fail}
        reason: {{id: gagal, en: failed}}
    """)


def example(name: str, expect: dict[str, Any], changes: dict[str, Any] | None = None) -> str:
    item = {"name": name, "on": "2025-06-01", "given": "base", "expect": expect}
    if changes:
        item["set"] = changes
    return textwrap.indent(yaml.safe_dump([item], sort_keys=False, allow_unicode=True), "  ")


def ruleset(rules: list[str], examples: list[str], *, extra: str = "", rid: str = "t") -> str:
    """A ruleset file text around ``rules`` and ``examples``, with the base application."""
    base = yaml.safe_dump({"base": base_application_data()}, sort_keys=False, allow_unicode=True)
    return (
        f"ruleset: {rid}\ntitle: {{id: Uji, en: Test}}\n"
        + PARAMETERS
        + "rules:\n"
        + textwrap.indent("".join(rules), "  ")
        + "applications:\n"
        + textwrap.indent(base, "  ")
        + "examples:\n"
        + "".join(examples)
        + extra
    )


# The base application's plan totals Rp4.73 million; these examples take it both ways.
BIG = example("besar", {"outcome": "approved", "passed": ["t.total"]})
SMALL = example(
    "kecil", {"outcome": "rejected", "failed": ["t.total"]}, {"plan.items.0.unit_price": 100}
)
TOTAL = rule("t.total", "plan.total >= params.min_total")


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def check_only(path: Path, **options: Any) -> CheckReport:
    options.setdefault("generated", FEW)
    return run_check([path], plugin_rulesets=False, **options)


def codes(report: CheckReport, kind: str | None = None) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for f in report.findings:
        if kind is None or f.kind == kind:
            found.setdefault(f.code, []).append(f)
    return found


# ---- the built-in rulesets ---------------------------------------------------------------------


def test_the_built_in_rulesets_pass_every_check() -> None:
    report = run_check(generated=FEW)
    assert report.ok, "\n".join(f.format("en") for f in report.findings)
    assert [s.kind for s in report.sections] == list(KINDS)
    assert report.errors == 0
    assert report.coverage is not None
    assert report.coverage.percent == 100.0
    assert len(report.section("examples").cases) >= 33
    assert {rs_id for rs_id, _, _ in report.rulesets} >= {"eligibility", "aid_caps"}


# ---- validation ---------------------------------------------------------------------------------


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    text = ruleset([TOTAL], [BIG, SMALL]).replace("on_fail: reject", "on_fial: reject", 1)
    return write(tmp_path, text)


def test_a_broken_file_is_a_located_validation_failure_not_a_crash(broken: Path) -> None:
    report = check_only(broken)
    assert report.status == "ruleset_error"
    (finding,) = report.section("validation").findings
    assert finding.code == "field-unknown"
    assert (finding.file, finding.line) == (str(broken), line_of(broken, "on_fial"))
    assert finding.column is not None
    assert "on_fial" in finding.message.id
    assert "on_fial" in finding.message.en
    for kind in KINDS[1:]:
        assert report.section(kind).status == "skipped"


def test_a_broken_file_in_every_format_and_exit_code_3(
    broken: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["check", "--only", str(broken), "--generated", "0"]
    assert main(base) == ExitCode.RULESET_ERROR
    text = capsys.readouterr().out
    assert re.search(rf"{re.escape(str(broken))}:\d+:\d+", text)
    assert "field-unknown" in text

    assert main([*base, "--format", "json"]) == ExitCode.RULESET_ERROR
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "ruleset_error"
    assert data["findings"][0]["code"] == "field-unknown"

    out = tmp_path / "report.xml"
    assert main([*base, "--format", "junit", "--output", str(out)]) == ExitCode.RULESET_ERROR
    suites = {s.get("name"): s for s in ET.parse(out).getroot()}
    failures = suites["validation"].findall("testcase/failure")
    assert len(failures) == 1
    assert "on_fial" in (failures[0].get("message") or "")
    assert suites["lint"].find("testcase/skipped") is not None


def test_a_plugin_that_fails_is_reported_as_a_validation_failure() -> None:
    class Raising:
        @hookimpl
        def register_agencies(self, register: Callable[[Any], None]) -> None:
            raise RuntimeError("database is down")

    report = run_check(plugins=load_plugins(extra=[("raising", Raising())]), generated=0)
    assert report.status == "plugin_error"
    (finding,) = report.findings
    assert "database is down" in finding.message.en
    assert "database is down" in finding.message.id


# ---- lint ---------------------------------------------------------------------------------------


def test_unused_parameters_and_placeholder_references_are_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, ruleset([TOTAL], [BIG, SMALL]))
    report = check_only(path)
    found = codes(report, "lint")
    unused_params = {f.message.en.split("'")[1]: f for f in found["lint-param-unused"]}
    assert set(unused_params) == {"unused_limit", "todo_param"}
    unused = unused_params["unused_limit"]
    assert unused.severity == "warning"
    assert "unused_limit" in unused.message.en
    assert "unused_limit" in unused.message.id
    assert (unused.file, unused.line) == (str(path), line_of(path, "unused_limit:"))
    (todo,) = found["lint-param-reference"]
    assert "todo_param" in todo.message.en
    assert "'TODO'" in todo.message.en
    assert report.ok  # warnings only


def test_a_rule_reference_that_is_a_placeholder_is_a_warning(tmp_path: Path) -> None:
    rules = [TOTAL, rule("t.sign", "plan.total > 0", reference="'-'")]
    path = write(tmp_path, ruleset(rules, [BIG, SMALL]))
    (finding,) = codes(check_only(path))["lint-rule-reference"]
    assert finding.rule == "t.sign"


def test_a_rule_that_never_fails_is_found_on_generated_applications(tmp_path: Path) -> None:
    rules = [TOTAL, rule("t.always", "plan.total >= 0")]
    path = write(tmp_path, ruleset(rules, [BIG, SMALL]))
    report = check_only(path)
    (finding,) = codes(report)["lint-never-fails"]
    assert (finding.rule, finding.line) == ("t.always", line_of(path, "id: t.always"))
    assert f"{FEW} " in finding.message.en
    # ... but not when an example shows it failing: then it is reachable, just rare.
    assert "t.total" not in {f.rule for f in codes(report).get("lint-never-fails", [])}


def test_a_rule_that_never_passes_and_one_that_never_applies(tmp_path: Path) -> None:
    rules = [
        TOTAL,
        rule("t.never", "plan.total < 0", on_fail="review"),
        rule("t.nowhere", "plan.total > 0").replace(
            "  on_fail", "  when: plan.total < 0\n  on_fail"
        ),
    ]
    report = check_only(write(tmp_path, ruleset(rules, [BIG, SMALL])))
    found = codes(report)
    assert [f.rule for f in found["lint-never-passes"]] == ["t.never"]
    assert [f.rule for f in found["lint-never-applies"]] == ["t.nowhere"]


def test_identical_and_negated_checks_are_found(tmp_path: Path) -> None:
    rules = [
        TOTAL,
        rule("t.again", "plan.total   >= params.min_total"),
        rule("t.opposite", "plan.total < params.min_total"),
        rule("t.not_again", "not (plan.total >= params.min_total)"),
    ]
    path = write(tmp_path, ruleset(rules, [BIG, SMALL]))
    found = codes(check_only(path, generated=0))
    same = {f.rule: f for f in found["lint-same-check"]}
    assert set(same) == {"t.again", "t.not_again"}  # `not (a >= b)` is `a < b`
    assert "t.opposite" in same["t.not_again"].message.en
    assert f"{path}:{line_of(path, 'id: t.total')}" in same["t.again"].message.en
    assert sorted(f.rule for f in found["lint-negated-check"]) == ["t.not_again", "t.opposite"]


def test_two_rules_never_met_together(tmp_path: Path) -> None:
    rules = [
        rule("t.high", "plan.total > 4800000"),
        rule("t.low", "plan.total < 4600000"),
    ]
    examples = [
        example(
            "tinggi",
            {"failed": ["t.low"], "passed": ["t.high"]},
            {"plan.items.0.unit_price": 4000000},
        ),
        example(
            "rendah", {"failed": ["t.high"], "passed": ["t.low"]}, {"plan.items.0.unit_price": 100}
        ),
    ]
    report = check_only(write(tmp_path, ruleset(rules, examples)), generated=60)
    (finding,) = codes(report)["lint-never-together"]
    assert (finding.rule, finding.severity) == ("t.low", "warning")
    assert "t.high" in finding.message.en


def test_a_rule_that_raises_on_a_valid_application_is_an_error(tmp_path: Path) -> None:
    zero = "household.monthly_income - household.monthly_income"
    rules = [TOTAL, rule("t.divides", f"plan.total // ({zero}) >= 0")]
    report = check_only(write(tmp_path, ruleset(rules, [BIG, SMALL])))
    (finding,) = codes(report)["lint-rule-error"]
    assert finding.severity == "error"
    assert "ZeroDivisionError" in finding.message.en
    assert report.status == "failed"


def test_strict_turns_lint_warnings_into_errors(tmp_path: Path) -> None:
    path = write(tmp_path, ruleset([TOTAL], [BIG, SMALL]))
    assert check_only(path, generated=0).ok
    strict = check_only(path, generated=0, strict=True)
    assert not strict.ok
    about_rules = [f for f in strict.findings if f.code != "check-engine-unavailable"]
    assert about_rules
    assert {f.severity for f in about_rules} == {"error"}


# ---- examples and coverage ----------------------------------------------------------------------


def test_a_failing_example_shows_its_mismatches_and_where_it_is(tmp_path: Path) -> None:
    wrong = example(
        "salah", {"outcome": "approved", "aid_value": 1}, {"plan.items.0.unit_price": 100}
    )
    path = write(tmp_path, ruleset([TOTAL], [BIG, SMALL, wrong]))
    report = check_only(path, generated=0)
    found = codes(report, "examples")["check-example-failed"]
    assert len(found) == ENGINES
    for finding in found:
        assert (finding.file, finding.line) == (str(path), line_of(path, "name: salah"))
        assert "outcome: expected approved, got rejected" in finding.details
    assert report.status == "failed"
    failed = [c for c in report.section("examples").cases if c.status == "failed"]
    assert [c.name for c in failed] == ["salah"] * ENGINES


def test_coverage_lists_rules_not_seen_both_ways_and_min_coverage_fails(tmp_path: Path) -> None:
    rules = [TOTAL, rule("t.positive", "plan.total > 0")]
    path = write(tmp_path, ruleset(rules, [BIG, SMALL]))
    report = check_only(path, generated=0)
    assert report.coverage is not None
    assert (report.coverage.covered, len(report.coverage.rules)) == (1, 2)
    assert report.coverage.percent == 50.0
    (uncovered,) = codes(report, "coverage")["check-uncovered"]
    assert (uncovered.rule, uncovered.line) == ("t.positive", line_of(path, "id: t.positive"))
    assert uncovered.message.en.endswith("failed")
    assert report.ok
    assert check_only(path, generated=0, min_coverage=50).ok
    below = check_only(path, generated=0, min_coverage=75)
    (error,) = codes(below)["check-coverage-below"]
    assert "50%" in error.message.en
    assert "75%" in error.message.en
    assert "50%" in error.message.id
    assert "75%" in error.message.id
    assert not below.ok


# ---- engines ------------------------------------------------------------------------------------


class _Contrary:
    """An engine that decides like native but rejects every application native approves."""

    name = "contrary"

    def __init__(self, book: Any) -> None:
        self._native = book.engine("native")

    def decide(self, application: Application, on: date) -> Decision:
        d = self._native.decide(application, on)
        if d.outcome is Outcome.APPROVED:
            return Decision.build(d[0], Outcome.REJECTED, 0, d[3], self.name, *d[5:])
        return Decision.build(*d[:4], self.name, *d[5:])


def _missing(book: Any) -> Any:
    raise EngineUnavailableError("engine 'missing' needs a library that is not installed")


def _crashing(book: Any) -> Any:
    raise RuntimeError("cannot compile")


class _Engines:
    @hookimpl
    def register_engines(self, register: Callable[[str, EngineFactory], None]) -> None:
        register("contrary", _Contrary)
        register("missing", _missing)
        register("crashing", _crashing)


def test_engines_that_disagree_or_are_unavailable() -> None:
    plugins = load_plugins(extra=[("engines_under_test", _Engines())])
    report = run_check(plugins=plugins, generated=60, skip=["lint", "invariants"])
    cases = {c.name: c for c in report.section("engines").cases}
    (disagrees,) = cases["contrary"].findings
    assert disagrees.code == "check-engine-disagrees"
    assert disagrees.severity == "error"
    assert any("outcome approved vs rejected" in line for line in disagrees.details)
    assert cases["missing"].status == "skipped"
    assert cases["missing"].findings[0].severity == "warning"
    (crash,) = cases["crashing"].findings
    assert (crash.code, crash.severity) == ("check-engine-build", "error")
    assert "RuntimeError: cannot compile" in crash.message.en
    # The examples ran on the contrary engine too, and those expecting approval failed there.
    failed = {c.group for c in report.section("examples").cases if c.status == "failed"}
    assert failed
    assert all(group.startswith("contrary.") for group in failed)
    assert report.status == "failed"


class _NativeOnly:
    @hookimpl
    def register_engines(self, register: Callable[[str, EngineFactory], None]) -> None:
        register("native", NativeEngine)


def test_with_only_the_native_engine_agreement_is_skipped_with_the_reason() -> None:
    plugins = load_plugins(block=["engines"], extra=[("native_only", _NativeOnly())])
    report = run_check(plugins=plugins, generated=0, skip=["lint", "invariants", "examples"])
    section = report.section("engines")
    assert section.status == "skipped"
    assert section.skipped is not None
    assert "native" in section.skipped.en
    assert "native" in section.skipped.id
    assert report.ok


# ---- invariants ---------------------------------------------------------------------------------

INVARIANTS = """\
invariants:
  - id: t.always_approved
    title: {id: Selalu disetujui, en: Always approved}
    holds: decision.outcome == "approved"
  - id: t.no_aid_when_rejected
    title: {id: Tanpa bantuan bila ditolak, en: No aid when rejected}
    when: decision.outcome == "rejected"
    holds: decision.aid_value == 0
"""


def test_a_failing_invariant_gives_a_snippet_to_paste(tmp_path: Path) -> None:
    pytest.importorskip("bansos_rules.invariants")
    path = write(tmp_path, ruleset([TOTAL], [BIG, SMALL], extra=INVARIANTS))
    report = check_only(path, generated=30, skip=["lint", "engines"])
    cases = {c.name: c for c in report.section("invariants").cases}
    assert cases["t.no_aid_when_rejected"].status == "passed"
    (finding,) = cases["t.always_approved"].findings
    assert finding.code == "check-invariant-failed"
    assert (finding.file, finding.line) == (str(path), line_of(path, "id: t.always_approved"))
    assert any("expect:" in line for line in finding.details)
    text = report.to_text("id")
    assert "invarian 't.always_approved'" in text
    assert "expect:" in text


# ---- output formats -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def problems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built-in aid caps with an unused parameter and a wrong example."""
    folder = tmp_path_factory.mktemp("rulesets")
    path = folder / "aid_caps.yaml"
    shutil.copy(ROOT / "rulesets" / "aid_caps.yaml", path)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "parameters:\n",
        "parameters:\n  spare:\n    type: int\n    description: {id: Cadangan, en: Spare}\n"
        "    reference: Keputusan uji\n    values:\n      - {from: 2025-01-01, value: 1}\n",
        1,
    )
    text = text.replace("aid_value: 4500000", "aid_value: 4500001", 1)
    path.write_text(text, encoding="utf-8")
    return path


def test_text_output_in_both_languages_and_exit_code_8(
    problems: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check", str(problems), "--generated", str(FEW), "--skip", "invariants"]
    assert main(argv) == ExitCode.CHECK_FAILED
    text = capsys.readouterr().out
    assert "== Contoh ==" in text
    assert "== Lint ==" in text
    assert re.search(rf"{re.escape(str(problems))}:\d+\s+.*\(lint-param-unused\)", text)
    assert "aid_value: expected 4500001, got 4500000" in text
    last = text.strip().splitlines()[-1]
    assert re.match(rf"Ringkasan: GAGAL — {ENGINES} galat, \d+ peringatan", last)
    assert main([*argv, "--lang", "en"]) == ExitCode.CHECK_FAILED
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.match(rf"Summary: FAILED — {ENGINES} errors, \d+ warnings", last)


def test_json_output_has_the_documented_shape(problems: Path, tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    argv = ["check", str(problems), "--generated", "0", "--format", "json", "--output", str(out)]
    assert main(argv) == ExitCode.CHECK_FAILED
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {
        "format", "status", "ok", "digest", "rulesets", "settings", "summary", "sections",
        "findings", "coverage", "seconds",
    }  # fmt: skip
    assert (data["format"], data["status"], data["ok"]) == (1, "failed", False)
    assert [s["kind"] for s in data["sections"]] == list(KINDS)
    assert data["summary"]["errors"] == ENGINES
    error, *_ = [f for f in data["findings"] if f["severity"] == "error"]
    assert error["code"] == "check-example-failed"
    assert error["file"] == str(problems)
    assert isinstance(error["line"], int)
    assert set(error["message"]) == {"id", "en"}
    assert data["coverage"]["total"] == len(data["coverage"]["rules"])
    aid_caps = next(r for r in data["rulesets"] if r["id"] == "aid_caps")
    assert aid_caps["file"] == str(problems)
    assert data["settings"]["generated"] == 0


def test_junit_output_is_valid_xml_with_a_suite_per_kind(problems: Path, tmp_path: Path) -> None:
    out = tmp_path / "check.xml"
    argv = ["check", str(problems), "--generated", "0", "--format", "junit", "-o", str(out)]
    assert main([*argv, "--lang", "en"]) == ExitCode.CHECK_FAILED
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == list(KINDS)
    total = 0
    for suite in suites.values():
        cases = suite.findall("testcase")
        total += len(cases)
        assert int(suite.get("tests", -1)) == len(cases)
        assert int(suite.get("failures", -1)) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped", -1)) == len(suite.findall("testcase/skipped"))
    assert int(root.get("tests", -1)) == total
    failure, *others = suites["examples"].findall("testcase/failure")
    assert len(others) == ENGINES - 1
    assert "aid_value: expected 4500001, got 4500000" in (failure.text or "")
    lint_out = " ".join(e.text or "" for e in suites["lint"].iter("system-out"))
    assert "spare" in lint_out
    # --generated 0: nothing generated, so the invariants are skipped with the reason.
    assert suites["invariants"].find("testcase/skipped") is not None or not suites[
        "invariants"
    ].findall("testcase")


def test_the_report_is_the_same_on_every_run(tmp_path: Path) -> None:
    path = write(tmp_path, ruleset([TOTAL, rule("t.always", "plan.total >= 0")], [BIG, SMALL]))

    def stable(report: CheckReport) -> str:
        data = report.to_dict()
        text = json.dumps(data, sort_keys=True)
        return re.sub(r'"seconds": [0-9.e-]+', "", text)

    assert stable(check_only(path, generated=30)) == stable(check_only(path, generated=30))


def test_verbose_lists_what_passed_and_skip_leaves_a_kind_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, ruleset([TOTAL], [BIG, SMALL]))
    argv = ["check", "--only", str(path), "--generated", "0", "--lang", "en"]
    assert main([*argv, "--skip", "coverage", "--skip", "lint"]) == ExitCode.OK
    text = capsys.readouterr().out
    assert "skipped: skipped with --skip coverage" in text
    assert f"ok         {path}:{line_of(path, 'name: besar')}  besar" not in text
    assert main([*argv, "--verbose"]) == ExitCode.OK
    assert f"ok         {path}:{line_of(path, 'name: besar')}  besar" in capsys.readouterr().out


def test_usage_errors() -> None:
    for argv in (["--min-coverage", "101"], ["--generated", "-1"], ["--skip", "validation"]):
        with pytest.raises(SystemExit) as info:
            main(["check", *argv])
        assert info.value.code == ExitCode.USAGE


def test_every_finding_code_is_documented() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [code for code in _CHECK if f"`{code}`" not in docs]
    assert not missing, f"codes of bansos-rules check missing from docs/cli.md: {missing}"


def test_without_hypothesis_invariants_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if hypothesis were not installed: importing it (or a module that needs it) fails.
    for name in list(sys.modules):
        if name == "hypothesis" or name.startswith(
            ("hypothesis.", "bansos_rules.testing", "bansos_rules.invariants")
        ):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    report = run_check(generated=20, skip=["lint", "engines", "examples", "coverage"])
    section = report.section("invariants")
    assert section.status == "skipped"
    assert section.skipped is not None
    assert "hypothesis" in section.skipped.en


def test_an_engine_that_disagrees_on_one_rule_is_reported_at_that_rule(tmp_path: Path) -> None:
    """The disagreement names the rule, its file and its line, so the reader can go there."""
    real = Path(__file__).parent.parent / "rulesets" / "eligibility.yaml"
    skewed = tmp_path / "eligibility.yaml"
    skewed.write_text(
        real.read_text(encoding="utf-8").replace(
            "check: applicant.bank_account is not None", "check: applicant.bank_account is None"
        ),
        encoding="utf-8",
    )
    from bansos_rules import load_rules

    other = load_rules([skewed])

    class _Skewed:
        @hookimpl
        def register_engines(self, register: Callable[[str, EngineFactory], None]) -> None:
            register("skewed", lambda book: other.engine("native"))

    plugins = load_plugins(extra=[("skewed_engine", _Skewed())])
    report = run_check(plugins=plugins, generated=40, skip=["lint", "invariants", "examples"])
    (case,) = [c for c in report.section("engines").cases if c.name == "skewed"]
    (finding,) = case.findings
    assert finding.code == "check-engine-disagrees"
    assert finding.rule == "eligibility.bank_account"
    assert finding.file is not None
    assert Path(finding.file).name == "eligibility.yaml"
    line = next(
        i
        for i, text in enumerate(real.read_text(encoding="utf-8").splitlines(), 1)
        if "id: eligibility.bank_account" in text
    )
    assert finding.line == line
    assert f"eligibility.yaml:{line}:" in finding.location


def test_check_runs_the_round_files_examples_and_properties(tmp_path: Path) -> None:
    """`check rulesets/` also checks `rulesets/rounds/*.yaml`: a wrong expected need score in a
    round's worked example fails at that example's line; a broken round file fails validation."""
    real = Path(__file__).parent.parent / "rulesets"
    copy = tmp_path / "rulesets"
    shutil.copytree(real, copy)
    round_file = copy / "rounds" / "allocation.yaml"
    text = round_file.read_text(encoding="utf-8")
    assert "      score: 105\n" in text
    round_file.write_text(
        text.replace("      score: 105\n", "      score: 104\n"), encoding="utf-8"
    )
    report = run_check([copy], plugin_rulesets=False, generated=20, skip=["lint"])
    failed = [c for c in report.section("examples").cases if c.status == "failed"]
    assert [c.group for c in failed] == ["round.kaltim_2025"]
    (finding,) = failed[0].findings
    assert finding.file is not None
    assert finding.file.endswith("allocation.yaml")
    line = (
        text.split("\n").index(
            "  - name: Siti, desil 2, dua orang di KK, satu anak bersekolah, di Samarinda"
        )
        + 1
    )
    assert finding.line == line
    assert any("score: expected 104, got 105" in d for d in finding.details)
    properties = [c for c in report.section("invariants").cases if c.group == "kaltim_2025"]
    assert len(properties) == 7
    assert all(c.status == "passed" for c in properties)

    round_file.write_text(text.replace("seed: ", "seed: !!str ", 1), encoding="utf-8")
    report = run_check([copy], plugin_rulesets=False, generated=0, skip=["lint"])
    (case,) = [c for c in report.section("validation").cases if c.status == "failed"]
    (problem,) = case.findings
    assert problem.code == "yaml-unsupported"
    assert report.status == "failed"
