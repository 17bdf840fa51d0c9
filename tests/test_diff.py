"""``bansos-rules diff``: structural changes between two versions of the rulesets and their
impact on decisions, from directories and git revisions, on files and generated applications."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from bansos_rules import Application, RuleBook
from bansos_rules._decision import Outcome
from bansos_rules._errors import RulesetError
from bansos_rules._examples import run_examples
from bansos_rules._io import read_records
from bansos_rules.cli import ExitCode, main
from bansos_rules.diff import (
    JSON_FORMAT,
    DiffSourceError,
    Generated,
    ValueChange,
    diff_report,
    generate_applications,
    impact,
    load_books,
    open_side,
    structural_diff,
    to_dict,
    to_markdown,
)

ROOT = Path(__file__).resolve().parent.parent
AID_CAPS = ROOT / "rulesets" / "aid_caps.yaml"
EXAMPLES = ROOT / "examples" / "applications.jsonl"
AFTER = date(2026, 2, 1)  # the new maximum is in force on the new side

OLD_MAX = """\
      - from: 2025-01-01
        value: 5000000
"""
NEW_MAX = """\
      - from: 2025-01-01
        until: 2025-12-31
        value: 5000000
      - from: 2026-01-01
        value: 5500000
"""
OLD_MINIMUM = "    check: plan.total >= params.min_aid\n    on_fail: review\n"
NEW_MINIMUM = "    check: plan.total >= params.min_aid\n    on_fail: reject\n"


def edited(text: str, *changes: tuple[str, str]) -> str:
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} is not in aid_caps.yaml once"
        text = text.replace(old, new)
    return text


def sides(tmp_path: Path, *, rule_change: bool = True) -> tuple[Path, Path]:
    """Two directories with aid_caps.yaml: the new one raises max_aid from 2026 and, when
    ``rule_change``, sends packages below the minimum to rejection instead of review."""
    text = AID_CAPS.read_text(encoding="utf-8")
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "aid_caps.yaml").write_text(text, encoding="utf-8")
    changes = [(OLD_MAX, NEW_MAX)]
    if rule_change:
        changes.append((OLD_MINIMUM, NEW_MINIMUM))
    (new / "aid_caps.yaml").write_text(edited(text, *changes), encoding="utf-8")
    return old, new


def near_cap_records(tmp_path: Path) -> Path:
    """A JSON Lines file: an application worth Rp5,200,000, a broken line, an invalid record."""
    first = json.loads(EXAMPLES.read_text(encoding="utf-8").splitlines()[0])
    first["plan"]["items"][0]["unit_price"] += 5_200_000 - sum(
        i["quantity"] * i["unit_price"] for i in first["plan"]["items"]
    )
    path = tmp_path / "batch.jsonl"
    lines = [json.dumps(first), "{not json", json.dumps({"id": "KT-2026-0002"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# structure -----------------------------------------------------------------------------------


def test_structure_shows_the_new_maximum_from_its_date_and_the_changed_rule(
    tmp_path: Path,
) -> None:
    old_dir, new_dir = sides(tmp_path)
    with open_side(str(old_dir)) as a, open_side(str(new_dir)) as b:
        old, new = load_books(a, b)
    diff = structural_diff(old, new)
    assert [(rs.id, rs.change) for rs in diff.rulesets] == [("aid_caps", "changed")]
    caps = diff.rulesets[0]
    [param] = caps.parameters
    assert (param.name, param.change, param.unit) == ("max_aid", "changed", "rupiah")
    assert param.values == (ValueChange(date(2026, 1, 1), None, 5_000_000, 5_500_000),)
    assert param.used_by == ("aid_caps.maximum",)
    [rule] = caps.rules
    assert rule.id == "aid_caps.minimum"
    assert [(f.field, f.old, f.new) for f in rule.fields] == [("on_fail", "review", "reject")]
    assert diff.value_dates() == (date(2026, 1, 1),)
    assert structural_diff(old, old).rulesets == ()


def test_by_business_type_values_rule_sources_and_removed_rulesets(tmp_path: Path) -> None:
    text = AID_CAPS.read_text(encoding="utf-8")
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    (old_dir / "aid_caps.yaml").write_text(text, encoding="utf-8")
    extra = text.replace("ruleset: aid_caps", "ruleset: aid_caps_copy").replace(
        "id: aid_caps.", "id: aid_caps_copy."
    )
    extra = extra[: extra.index("\napplications:")] + "\n"  # no examples: they name aid_caps
    (old_dir / "aid_caps_copy.yaml").write_text(extra, encoding="utf-8")
    (new_dir / "aid_caps.yaml").write_text(
        edited(
            text,
            (
                "fried_snacks: [equipment, raw_material, packaging]",
                "fried_snacks: [equipment, raw_material, packaging, tools]",
            ),
            ("check: plan.total <= params.max_aid", "check: plan.total <  params.max_aid + 1"),
        ),
        encoding="utf-8",
    )
    report = diff_report(str(old_dir), str(new_dir))
    changes = {rs.id: rs for rs in report.structure.rulesets}
    assert changes["aid_caps_copy"].change == "removed"
    assert {r.change for r in changes["aid_caps_copy"].rules} == {"removed"}
    [param] = changes["aid_caps"].parameters
    [value] = param.values
    assert (value.key, value.start, value.until) == ("fried_snacks", date(2025, 1, 1), None)
    assert list(value.new) == [*value.old, "tools"]
    [rule] = changes["aid_caps"].rules
    assert [(f.field, f.old, f.new) for f in rule.fields] == [
        ("check", "plan.total <= params.max_aid", "plan.total < params.max_aid + 1")
    ]
    counts = report.structure.counts()
    assert (counts["rulesets"]["removed"], counts["rules"]["removed"]) == (1, 4)


def test_a_layout_only_edit_is_no_change(tmp_path: Path) -> None:
    old_dir, new_dir = sides(tmp_path)
    text = AID_CAPS.read_text(encoding="utf-8")
    (new_dir / "aid_caps.yaml").write_text("# only a comment more\n" + text, encoding="utf-8")
    report = diff_report(str(old_dir), str(new_dir))
    assert not report.structure.changed
    assert "Tidak ada perubahan pada ruleset." in to_markdown(report, "id")


# git revisions -------------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Uji", "-c", "user.email=uji@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with rulesets/aid_caps.yaml committed, then edited in the work tree."""
    root = tmp_path / "repo"
    (root / "rulesets").mkdir(parents=True)
    shutil.copy(AID_CAPS, root / "rulesets" / "aid_caps.yaml")
    git(root, "init", "-q")
    git(root, "add", "rulesets")
    git(root, "commit", "-q", "-m", "rulesets")
    path = root / "rulesets" / "aid_caps.yaml"
    path.write_text(edited(path.read_text(encoding="utf-8"), (OLD_MAX, NEW_MAX)), "utf-8")
    return root


def test_head_against_the_working_tree(repo: Path) -> None:
    report = diff_report("HEAD", cwd=repo / "rulesets")  # NEW: the top's rulesets/
    assert report.old.startswith("HEAD:rulesets (")
    assert report.new.endswith("rulesets")
    [caps] = report.structure.rulesets
    assert caps.parameters[0].values == (ValueChange(date(2026, 1, 1), None, 5_000_000, 5_500_000),)
    single = diff_report("HEAD:rulesets/aid_caps.yaml", "rulesets/aid_caps.yaml", cwd=repo)
    assert single.structure == report.structure


def test_bad_revisions_and_broken_files_say_where(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DiffSourceError, match="no commit named 'nosuch'"):
        diff_report("nosuch", cwd=repo)
    with pytest.raises(DiffSourceError, match="has no 'elsewhere'"):
        diff_report("HEAD:elsewhere", cwd=repo)
    path = repo / "rulesets" / "aid_caps.yaml"
    path.write_text(path.read_text("utf-8").replace("on_fail: review", "on_fial: review"), "utf-8")
    git(repo, "commit", "-q", "-am", "typo")
    with pytest.raises(RulesetError) as caught:
        diff_report("HEAD", "HEAD~1", cwd=repo)
    assert caught.value.diagnostics[0].file == "HEAD:rulesets/aid_caps.yaml"
    monkeypatch.chdir(repo)
    code, _, err = run(capsys, "diff", "nosuch", "--generate", "0")
    assert code == ExitCode.UNREADABLE_INPUT
    assert "'nosuch' is neither a ruleset file or directory nor a git revision" in err
    code, _, err = run(capsys, "diff", "HEAD~1", "HEAD", "--generate", "0", "--lang", "en")
    assert code == ExitCode.RULESET_ERROR
    assert "HEAD:rulesets/aid_caps.yaml:" in err
    assert "unknown field 'on_fial'" in err


# impact on a file ------------------------------------------------------------------------------


def test_records_flip_with_invalid_ones_reported_and_counted(tmp_path: Path) -> None:
    old_dir, new_dir = sides(tmp_path)
    batch = near_cap_records(tmp_path)
    report = diff_report(
        str(old_dir), str(new_dir), population=read_records(batch, shown="batch.jsonl"), on=AFTER
    )
    found = report.impact
    assert found is not None
    assert (found.records, found.compared, len(found.invalid)) == (3, 1, 2)
    assert [bad.where for bad in found.invalid] == ["batch.jsonl:2", "batch.jsonl:3"]
    assert "invalid JSON" in found.invalid[0].problem.en
    assert "applicant: Field required" in found.invalid[1].problem.en
    assert "applicant: wajib diisi" in found.invalid[1].problem.id
    assert found.total.transitions() == [((Outcome.REJECTED, Outcome.APPROVED), 1)]
    assert (found.total.aid_old, found.total.aid_new) == (0, 5_200_000)
    assert found.by_regency["6472"].gained == 1
    assert found.by_business_type["food"].aid_delta == 5_200_000
    [example] = found.examples[(Outcome.REJECTED, Outcome.APPROVED)]
    assert (example.where, example.shrunk, example.plan_total) == (
        "batch.jsonl:1",
        False,
        5_200_000,
    )
    assert [(c.rule, c.old, c.new, c.old_on_fail) for c in example.rules] == [
        ("aid_caps.maximum", "failed", "passed", "reject")
    ]
    # Before the new value is in force nothing changes for this record.
    before = impact(*_books(old_dir, new_dir), read_records(batch), on=date(2025, 6, 1))
    assert before.total.changed == 0
    assert before.compared == 1


def _books(old_dir: Path, new_dir: Path) -> tuple[RuleBook, RuleBook]:
    with open_side(str(old_dir)) as a, open_side(str(new_dir)) as b:
        return load_books(a, b)


def test_cli_json_shape_and_fail_on_flip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_dir, new_dir = sides(tmp_path)
    batch = near_cap_records(tmp_path)
    out = tmp_path / "diff.json"
    args = ["diff", str(old_dir), str(new_dir), "--applications", str(batch), "--on", "2026-02-01"]
    code, stdout, err = run(capsys, *args, "--format", "json", "--output", str(out))
    assert code == ExitCode.OK  # decisions change, but only --fail-on-flip makes that an error
    assert stdout == ""
    assert err.count(str(batch)) == 2  # the two invalid records, file:line first
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == JSON_FORMAT
    assert set(doc) == {"format", "old", "new", "summary", "rulesets", "impact"}
    assert doc["summary"]["parameters"] == {"added": 0, "removed": 0, "changed": 1}
    [param] = doc["rulesets"][0]["parameters"]
    assert param["values"] == [
        {"from": "2026-01-01", "until": None, "key": None, "old": 5000000, "new": 5500000}
    ]
    imp = doc["impact"]
    assert (imp["records"], imp["compared"], len(imp["invalid"])) == (3, 1, 2)
    assert imp["total"]["transitions"] == [{"from": "rejected", "to": "approved", "count": 1}]
    assert imp["total"]["aid"] == {"old": 0, "new": 5200000, "delta": 5200000}
    assert imp["by_regency"][0]["name"] == "Samarinda"
    assert imp["examples"][0]["rules"][0]["rule"] == "aid_caps.maximum"
    assert json.loads(json.dumps(to_dict(diff_report(str(old_dir), str(new_dir))))) is not None
    code, _, _ = run(capsys, *args, "--fail-on-flip")
    assert code == ExitCode.DECISIONS_CHANGED


def test_markdown_in_both_languages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_dir, new_dir = sides(tmp_path)
    batch = near_cap_records(tmp_path)
    args = ["diff", str(old_dir), str(new_dir), "--applications", str(batch), "--on", "2026-02-01"]
    code, out_id, _ = run(capsys, *args)
    assert code == ExitCode.OK
    assert out_id.startswith("## Perubahan ruleset: ")
    assert "| `max_aid` (rupiah) | diubah | Rp5.000.000 → Rp5.500.000 mulai 2026-01-01 |" in out_id
    assert "| ditolak → disetujui | 1 | `aid_caps.maximum` (1) |" in out_id
    assert "| Samarinda (6472) | 1 | 1 | 1 | 0 | +Rp5.200.000 |" in out_id
    assert "#### Catatan yang tidak dapat dibandingkan (2)" in out_id
    assert "**Keputusan yang berubah: 1 / 1 (100,0%)**" in out_id
    assert "| Kabupaten/kota | permohonan | berubah | jadi disetujui |" in out_id
    _, out_en, _ = run(capsys, *args, "--lang", "en")
    assert "| `max_aid` (rupiah) | changed | Rp5,000,000 → Rp5,500,000 from 2026-01-01 |" in out_en
    assert "| rejected → approved | 1 | `aid_caps.maximum` (1) |" in out_en
    assert "| `aid_caps.minimum`<br>Package value at least the minimum | changed | on_fail |" in (
        out_en
    )
    assert "3 records = 1 compared + 2 invalid." in out_en
    assert "**Decisions that change: 1 / 1 (100.0%)**" in out_en


# impact on generated applications ------------------------------------------------------------


def test_generated_applications_are_reproducible() -> None:
    first = generate_applications(12, on=AFTER, seed=3)
    again = generate_applications(12, on=AFTER, seed=3)
    assert [a.model_dump() for a in first] == [a.model_dump() for a in again]
    assert [a.id for a in first][:2] == ["GEN-00001", "GEN-00002"]
    other = generate_applications(12, on=AFTER, seed=4)
    assert [a.model_dump() for a in other] != [a.model_dump() for a in first]


def test_generated_population_flips_with_shrunk_examples_that_paste_as_examples(
    tmp_path: Path,
) -> None:
    old_dir, new_dir = sides(tmp_path, rule_change=False)
    books = _books(old_dir, new_dir)
    found = impact(*books, Generated(60, seed=1, shrink_seconds=1.5), on=AFTER, examples=1)
    assert found.population == "generated"
    assert found.records == found.compared == 60
    kinds = {key for key, _ in found.total.transitions()}
    assert kinds  # plan totals are drawn near both sides' caps
    # A higher cap rejects no one more: every flip is from a rejection, to something else.
    assert all(a is Outcome.REJECTED and b is not Outcome.REJECTED for a, b in kinds)
    assert found.total.aid_delta >= 0
    assert (found.total.gained == 0) == (found.total.aid_delta == 0)
    assert found.total.lost == 0
    assert sum(t.applications for t in found.by_regency.values()) == 60
    for key, [example] in found.examples.items():
        assert example.shrunk
        assert (example.old_outcome, example.new_outcome) == key
        app = Application.model_validate(example.application)
        old, new = (b.evaluate(app, on=AFTER) for b in books)
        assert (old.outcome, new.outcome) == key
        assert 5_000_000 < app.plan.total <= 5_500_000
    # The shrunk example, pasted into the new ruleset file, is a passing worked example.
    example = next(iter(found.examples.values()))[0]
    path = new_dir / "aid_caps.yaml"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\nexamples:\n")
    path.write_text(head + "\nexamples:\n" + example.example_yaml("id") + rest, encoding="utf-8")
    with open_side(str(old_dir)) as a, open_side(str(new_dir)) as b:
        _, pasted = load_books(a, b)
    results = [r for r in run_examples(pasted) if r.example.name.startswith(example.application_id)]
    assert len(results) == 1
    assert results[0].ok, results[0].mismatches
    pasted_doc = yaml.safe_load(example.example_yaml("en"))[0]
    assert pasted_doc["expect"]["outcome"] == example.new_outcome.value
    assert pasted_doc["given"]["id"] == example.application_id


# the CI recipe --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".github/workflows/rulesets.yml", ".pre-commit-hooks.yaml"])
def test_the_ci_recipe_shows_the_committed_files(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "```yaml\n" + text.rstrip() + "\n```" in (ROOT / "docs" / "ci.md").read_text("utf-8"), (
        f"docs/ci.md does not show {name} as it is; paste the file into its yaml block"
    )
    parsed = yaml.safe_load(text)
    assert parsed  # valid YAML
    commands = json.dumps(parsed)
    assert "bansos-rules check rulesets/" in commands
    assert "bansos-rules diff " in commands


def test_the_hooks_run_on_ruleset_files_only() -> None:
    hooks = {
        h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    }
    assert set(hooks) == {"bansos-rules-check", "bansos-rules-diff"}
    for hook in hooks.values():
        pattern = re.compile(hook["files"])
        assert pattern.search("rulesets/aid_caps.yaml")
        assert not pattern.search("docs/ci.md")
        assert not pattern.search("rulesets/ruleset.schema.json")
        assert hook["pass_filenames"] is False
