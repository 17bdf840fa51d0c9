"""The pytest plugin: ruleset examples as test items, run in real pytest sessions (pytester)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import ClassVar

import pytest

import bansos_rules._api
from bansos_rules import Application, Decision, RuleBook, hookimpl, load_plugins
from bansos_rules.engines import EngineFactory
from bansos_rules.engines.native import NativeEngine
from bansos_rules.monitoring import load_monitoring_ruleset
from tests._support import builtin_book

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
RULESETS = ROOT / "rulesets"
BROKEN = Path(__file__).parent / "broken"


def copy_ruleset(pytester: pytest.Pytester, name: str, to: str, *changes: tuple[str, str]) -> Path:
    """Copy ``rulesets/<name>`` to ``<to>/<name>``, replacing each ``old`` by ``new`` once."""
    text = (RULESETS / name).read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    target = pytester.path / to / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def example_names(ruleset: str) -> list[str]:
    return [ex.name for rs in builtin_book().rulesets if rs.id == ruleset for ex in rs.examples]


def test_the_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in metadata.entry_points(group="pytest11")}
    assert found.get("bansos_rules") == "bansos_rules.pytest_plugin"


def test_every_example_of_every_ruleset_is_an_item_named_after_it(
    pytester: pytest.Pytester,
) -> None:
    for file in sorted(RULESETS.glob("*.yaml")):
        copy_ruleset(pytester, file.name, "rulesets")
    run = pytester.inline_run("rulesets")
    items = [call.item for call in run.getcalls("pytest_itemcollected")]
    expected = [
        (Path(ex.file).name, ex.name, ex.line)
        for rs in builtin_book().rulesets
        for ex in rs.examples
    ]
    # The monitoring ruleset's worked examples (event timelines) are items too.
    expected += [
        (Path(ex.file).name, ex.name, ex.line) for ex in load_monitoring_ruleset().examples
    ]
    got = [(item.path.name, item.name, (item.location[1] or 0) + 1) for item in items]
    assert sorted(got) == sorted(expected)
    assert len(items) > 20
    run.assertoutcome(passed=len(expected))


def test_a_node_id_selects_one_example(pytester: pytest.Pytester) -> None:
    copy_ruleset(pytester, "aid_caps.yaml", "rulesets")
    name = example_names("aid_caps")[1]
    result = pytester.runpytest("-v", f"rulesets/aid_caps.yaml::{name}")
    result.assert_outcomes(passed=1)
    # The name is printed as written: its dots are not read as "::".
    result.stdout.fnmatch_lines([f"rulesets/aid_caps.yaml::{name} PASSED*"])


def test_a_failing_example_shows_expected_against_actual_without_a_traceback(
    pytester: pytest.Pytester,
) -> None:
    copy_ruleset(
        pytester,
        "aid_caps.yaml",
        "kerja",
        ("      aid_value: 5000000\n", "      aid_value: 5100000\n"),
    )
    result = pytester.runpytest("kerja", "--bansos-lang", "en")
    result.assert_outcomes(passed=5, failed=1)
    line = next(
        ex.line
        for rs in builtin_book().rulesets
        for ex in rs.examples
        if rs.id == "aid_caps" and ex.expect.aid_value == 5_000_000
    )
    result.stdout.re_match_lines(
        [
            rf"kerja/aid_caps.yaml:{line}: the example does not give the decision it expects",
            r"  Paket Rp5\.000\.000 tepat di batas maksimum",
            r"  decided as of 2025-06-01 with engine native \(application KT-2025-EX21\)",
            r" +expected +actual",
            r"    outcome +approved +approved",
            r"  X aid_value +5100000 +5000000",
            r"    referrals +- +\[.*\]",
            r"    top_recommendation +- +[a-z_]+",
            r"  other rules that did not pass \(not named in the example\):",
            r"    referrals\.[a-z_]+: failed",
            r"      \S.*",
        ]
    )
    out = result.stdout.str()
    assert "Traceback" not in out
    assert "def runtest" not in out
    assert "pytest_plugin.py" not in out


def test_a_failing_rule_expectation_shows_the_rule_status_and_message_in_both_languages(
    pytester: pytest.Pytester,
) -> None:
    # The example expects the maximum rule to fail for a Rp5,000,001 plan; ask for "passed".
    copy_ruleset(
        pytester,
        "aid_caps.yaml",
        "kerja",
        (
            "      aid_value: 0\n      failed: [aid_caps.maximum]",
            "      passed: [aid_caps.maximum]",
        ),
    )
    result = pytester.runpytest("kerja")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.re_match_lines(
        [
            r".*: contoh tidak menghasilkan keputusan yang diharapkan / the example does not .*",
            r" +diharapkan / expected +hasil / actual",
            r"    outcome +rejected +rejected",
            r"  X aid_caps.maximum +passed +failed",
            r" +id: Nilai rencana Rp5\.000\.001 melebihi batas Rp5\.000\.000",
            r" +en: Plan total Rp5,000,001 exceeds the limit Rp5,000,000",
        ]
    )


def test_a_broken_ruleset_is_one_failing_item_with_its_diagnostics(
    pytester: pytest.Pytester,
) -> None:
    target = pytester.path / "kerja" / "expr_not_bool.yaml"
    target.parent.mkdir()
    target.write_text((BROKEN / "expr_not_bool.yaml").read_text(encoding="utf-8"))
    copy_ruleset(pytester, "fit.yaml", "kerja")
    result = pytester.runpytest("kerja", "-v")
    result.assert_outcomes(passed=len(example_names("fit")), failed=1)
    result.stdout.fnmatch_lines(
        [
            "kerja/expr_not_bool.yaml::load FAILED*",
            "kerja/expr_not_bool.yaml: ruleset tidak dapat dimuat / the ruleset cannot be loaded",
            "  kerja/expr_not_bool.yaml:24:12: [[]broken.working_age[]] (expr-not-bool)",
            "      id: 'check' harus menghasilkan benar/salah, *",
            "      en: 'check' must give true or false, *",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED

    english = pytester.runpytest("kerja/expr_not_bool.yaml", "--bansos-lang", "en")
    english.stdout.fnmatch_lines(
        [
            "kerja/expr_not_bool.yaml: the ruleset cannot be loaded",
            "  kerja/expr_not_bool.yaml:24:12: [[]broken.working_age[]] 'check' must give *"
            "(expr-not-bool)",
        ]
    )
    assert "harus" not in english.stdout.str()


def test_yaml_files_that_are_not_rulesets_are_ignored(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", config="name: app\nruleset_dir: rulesets\n")
    pytester.makefile(".yml", nested="settings:\n  ruleset: fit\n")
    pytester.makefile(".yaml", broken_yaml="key: [unclosed\n")
    result = pytester.runpytest(".")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_collected_files_are_loaded_together(pytester: pytest.Pytester) -> None:
    """An edited eligibility ruleset changes the aid_caps examples run in the same session."""
    copy_ruleset(pytester, "aid_caps.yaml", "kerja")
    alone = pytester.runpytest("kerja/aid_caps.yaml")
    alone.assert_outcomes(passed=len(example_names("aid_caps")))

    # Rina (36) is now too old: the four aid_caps examples that do not expect a rejection fail.
    copy_ruleset(
        pytester, "eligibility.yaml", "kerja", ("        value: 59\n", "        value: 30\n")
    )
    together = pytester.runpytest("kerja", "-k", "aid_caps", "--bansos-lang", "en")
    together.assert_outcomes(passed=2, failed=4)
    together.stdout.re_match_lines(
        [r"  X outcome +approved +rejected", r" +Age 36 is outside 18-30.*"]
    )


def test_a_file_that_conflicts_with_one_collected_before_is_one_failing_item(
    pytester: pytest.Pytester,
) -> None:
    copy_ruleset(pytester, "aid_caps.yaml", "a")
    copy_ruleset(pytester, "aid_caps.yaml", "b")
    result = pytester.runpytest("a", "b", "--bansos-lang", "en")
    result.assert_outcomes(passed=len(example_names("aid_caps")), failed=1)
    result.stdout.fnmatch_lines(
        [
            "b/aid_caps.yaml: the ruleset cannot be loaded together with a/aid_caps.yaml",
            "  b/aid_caps.yaml:*: ruleset 'aid_caps' is already loaded from a/aid_caps.yaml "
            "(ruleset-duplicate)",
        ]
    )


# ------------------------------------------------------------------------------ which files


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project like this one: testpaths = tests, rulesets/, a broken fixture in tests/broken/."""
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    copy_ruleset(pytester, "referrals.yaml", "rulesets")
    (pytester.path / "tests" / "broken").mkdir(parents=True)
    pytester.path.joinpath("tests", "test_unit.py").write_text("def test_unit():\n    pass\n")
    broken = (BROKEN / "expr_not_bool.yaml").read_text(encoding="utf-8")
    pytester.path.joinpath("tests", "broken", "expr_not_bool.yaml").write_text(broken)
    return pytester


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    items, _ = pytester.inline_genitems(*args)
    return [item.nodeid for item in items]


def test_plain_pytest_collects_no_rulesets(project: pytest.Pytester) -> None:
    assert collected(project) == ["tests/test_unit.py::test_unit"]
    assert collected(project, "tests") == ["tests/test_unit.py::test_unit"]
    assert collected(project, ".") == ["tests/test_unit.py::test_unit"]


def test_a_directory_or_file_named_on_the_command_line_is_collected(
    project: pytest.Pytester,
) -> None:
    names = example_names("referrals")
    assert collected(project, "rulesets") == [f"rulesets/referrals.yaml::{n}" for n in names]
    assert collected(project, "rulesets/referrals.yaml") == collected(project, "rulesets")
    assert collected(project, "tests/broken") == ["tests/broken/expr_not_bool.yaml::load"]
    assert collected(project, "tests/broken/expr_not_bool.yaml") == [
        "tests/broken/expr_not_bool.yaml::load"
    ]


def test_testpaths_name_directories_too(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests", "rulesets"]\n')
    got = collected(project)
    assert got[0] == "tests/test_unit.py::test_unit"
    assert len(got) == 1 + len(example_names("referrals"))
    assert not any("broken" in nodeid for nodeid in got)


def test_collect_all_and_none(project: pytest.Pytester) -> None:
    project.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\nbansos_rules_collect = "all"\n'
    )
    assert collected(project, "tests") == [
        "tests/test_unit.py::test_unit",
        "tests/broken/expr_not_bool.yaml::load",
    ] or collected(project, "tests") == [
        "tests/broken/expr_not_bool.yaml::load",
        "tests/test_unit.py::test_unit",
    ]
    project.makepyprojecttoml('[tool.pytest.ini_options]\nbansos_rules_collect = "none"\n')
    assert collected(project, "rulesets") == []


def test_a_bad_collect_mode_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.pytest.ini_options]\nbansos_rules_collect = "some"\n')
    result = project.runpytest("rulesets")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*bansos_rules_collect = 'some': must be one of explicit, all, none"]
    )


def test_the_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        ["*--bansos-engine=NAME*", "*--bansos-lang=*", "*bansos_rules_collect*"]
    )


# ------------------------------------------------------------------------------ engines


class RecordingEngine:
    """The native engine, noting every application it decides."""

    name = "recording"
    decided: ClassVar[list[str]] = []

    def __init__(self, book: RuleBook) -> None:
        self._native = NativeEngine(book)

    def decide(self, application: Application, on: date) -> Decision:
        RecordingEngine.decided.append(application.id)
        return self._native.decide(application, on)


class RecordingPlugin:
    @hookimpl
    def register_engines(self, register: Callable[[str, EngineFactory], None]) -> None:
        register("recording", RecordingEngine)


def test_the_engine_option_picks_the_engine(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_recorder = functools.partial(load_plugins, extra=[("recording", RecordingPlugin())])
    monkeypatch.setattr(bansos_rules._api, "load_plugins", with_recorder)
    monkeypatch.setattr(RecordingEngine, "decided", [])
    copy_ruleset(pytester, "aid_caps.yaml", "rulesets")
    expected_ids = [
        ex.application.id
        for rs in builtin_book().rulesets
        if rs.id == "aid_caps"
        for ex in rs.examples
    ]

    pytester.runpytest_inprocess("rulesets").assert_outcomes(passed=len(expected_ids))
    assert RecordingEngine.decided == []

    result = pytester.runpytest_inprocess("rulesets", "--bansos-engine", "recording")
    result.assert_outcomes(passed=len(expected_ids))
    assert RecordingEngine.decided == expected_ids


def test_an_unknown_engine_fails_each_example_with_the_engines_known(
    pytester: pytest.Pytester,
) -> None:
    copy_ruleset(pytester, "aid_caps.yaml", "rulesets")
    result = pytester.runpytest("rulesets", "--bansos-engine", "nonexistent", "--bansos-lang", "en")
    result.assert_outcomes(failed=len(example_names("aid_caps")))
    result.stdout.fnmatch_lines(
        [
            "rulesets/aid_caps.yaml:*: Paket gorengan Rp4.500.000 tepat di batas minimum",
            "the example cannot be decided:",
            "  engine 'nonexistent' is not registered (available: *native*)",
        ]
    )
    assert "Traceback" not in result.stdout.str()
