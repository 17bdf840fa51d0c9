"""The bansos-rules command line, end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bansos_rules._io import read_records, unflatten
from bansos_rules.cli import ExitCode, main
from tests._support import base_application_data

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "applications.jsonl"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_explains_in_indonesian_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES), "--on", "2025-06-01")
    assert code == ExitCode.OK
    for outcome in ("DISETUJUI", "DITOLAK", "PERLU DITINJAU"):
        assert outcome in out
    assert "Ringkasan: 14 catatan = 14 diputuskan" in out
    assert "+ 0 tidak valid" in out


def test_evaluate_in_english_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "evaluate", str(EXAMPLES), "--on", "2025-06-01", "--format", "jsonl", "--lang", "en"
    )
    assert code == ExitCode.OK
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 14
    assert {r["outcome"] for r in rows} == {"approved", "rejected", "needs_review"}
    assert "Summary: 14 records = 14 decided" in err


def test_output_is_byte_identical_between_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outputs = []
    for name in ("a", "b"):
        target = tmp_path / f"{name}.jsonl"
        main(
            [
                "evaluate",
                str(EXAMPLES),
                "--on",
                "2025-06-01",
                "--format",
                "jsonl",
                "-o",
                str(target),
            ]
        )
        outputs.append(target.read_bytes())
    capsys.readouterr()
    assert outputs[0] == outputs[1]


def test_bad_records_are_reported_and_the_rest_decided(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = base_application_data()
    bad["applicant"]["nik"] = "123"
    unknown = base_application_data()
    unknown["plan"]["business_type"] = "tailoring"
    lines = [
        json.dumps(base_application_data()),
        "{not json",
        json.dumps(bad),
        "[1, 2]",
        json.dumps(unknown),
        json.dumps(base_application_data()),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "evaluate", str(path), "--lang", "en")
    assert code == ExitCode.INVALID_RECORDS
    assert out.count("APPROVED") == 2
    assert f"{path.name}:2: invalid JSON" in err or "batch.jsonl:2: invalid JSON" in err
    assert "batch.jsonl:3: applicant.nik:" in err
    assert "batch.jsonl:4: a record must be a JSON object" in err
    assert "batch.jsonl:5: plan.business_type: business type 'tailoring' is not registered" in err
    assert (
        "Summary: 6 records = 2 decided (2 approved, 0 rejected, 0 needs review) + 4 invalid" in out
    )


def test_json_array_and_csv_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    app = base_application_data()
    array = tmp_path / "apps.json"
    array.write_text(json.dumps([app, app]))
    code, out, _ = run(capsys, "evaluate", str(array), "--lang", "en")
    assert code == ExitCode.OK
    assert out.count("APPROVED") == 2

    flat = flatten(app)
    path = tmp_path / "apps.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(flat))
        writer.writeheader()
        writer.writerow(flat)
        writer.writerow({**flat, "applicant.dtks_registered": "false"})
    code, out, _ = run(capsys, "evaluate", str(path), "--lang", "en")
    assert code == ExitCode.OK
    assert out.count("APPROVED") == 1
    assert out.count("REJECTED") == 1


def flatten(data: object, prefix: str = "") -> dict[str, str]:
    """The CSV form of an application: dotted headers, ``;`` lists, JSON for lists of records."""
    flat: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, list) and data and all(isinstance(v, str) for v in data):
        flat[prefix[:-1]] = ";".join(data)
    elif isinstance(data, list) and prefix == "plan.items.":
        for i, item in enumerate(data):
            flat.update(flatten(item, f"{prefix}{i}."))
    elif isinstance(data, list):
        flat[prefix[:-1]] = json.dumps(data) if data else ""
    elif data is None:
        flat[prefix[:-1]] = ""
    else:
        flat[prefix[:-1]] = str(data).lower() if isinstance(data, bool) else str(data)
    return flat


def test_unflatten_builds_nested_lists_and_reads_text_lists() -> None:
    row = {
        "plan.items.1.name": "B",
        "plan.items.0.name": "A",
        "applicant.interests": "food; drinks",
        "household.members": '[{"name": "X"}]',
        "applicant.district": "",
    }
    assert unflatten(row) == {
        "plan": {"items": [{"name": "A"}, {"name": "B"}]},
        "applicant": {"interests": ["food", "drinks"]},
        "household": {"members": [{"name": "X"}]},
    }


def test_csv_problems_carry_their_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('id,household.members\nA,"[oops"\n')
    (record,) = read_records(path)
    assert record.where.endswith("x.csv:2")
    assert record.problem is not None
    assert "household.members" in record.problem


def test_unreadable_input_exit_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "evaluate", str(tmp_path / "missing.jsonl"))
    assert code == ExitCode.UNREADABLE_INPUT
    assert "missing.jsonl" in err
    bad = tmp_path / "apps.txt"
    bad.write_text("{}")
    assert run(capsys, "evaluate", str(bad))[0] == ExitCode.UNREADABLE_INPUT


def test_a_broken_ruleset_gives_file_line_column_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (ROOT / "rulesets" / "aid_caps.yaml").read_text()
    broken = tmp_path / "aid_caps.yaml"
    broken.write_text(
        text.replace("check: plan.total <= params.max_aid", "check: plan.totl <= params.max_aid")
    )
    code, _, err = run(capsys, "rulesets", "--rulesets", str(broken))
    assert code == ExitCode.RULESET_ERROR
    line = text.splitlines().index("    check: plan.total <= params.max_aid") + 1
    assert f"aid_caps.yaml:{line}:17: [aid_caps.maximum] 'plan' tidak mempunyai kolom 'totl'" in err
    assert "maksud Anda 'total'?" in err
    assert "Traceback" not in err


def test_an_edited_copy_of_a_ruleset_changes_decisions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (ROOT / "rulesets" / "aid_caps.yaml").read_text()
    edited = tmp_path / "aid_caps.yaml"
    edited.write_text(
        text.replace(
            "      - from: 2025-01-01\n        value: 5000000\n",
            "      - from: 2025-01-01\n        value: 5000000\n"
            "      - from: 2026-01-01\n        value: 5500000\n        reference: test decree\n",
        )
    )
    args = ["evaluate", str(EXAMPLES), "--lang", "en", "--on", "2026-02-01"]
    _, before, _ = run(capsys, *args)
    _, after, _ = run(capsys, *args, "--rulesets", str(edited))
    assert "KT-2025-0008" in before
    assert before.count("APPROVED") + 1 == after.count("APPROVED")


def test_rulesets_examples_plugins_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rulesets", "--format", "json")
    assert code == ExitCode.OK
    listed = json.loads(out)
    assert [r["id"] for r in listed["rulesets"]] == ["eligibility", "fit", "aid_caps", "referrals"]
    assert all(r["file"].endswith(".yaml") for r in listed["rulesets"])

    code, out, _ = run(capsys, "examples")
    assert code == ExitCode.OK
    assert out.strip().endswith("lulus, 0 gagal")
    code, out, _ = run(capsys, "examples", "--lang", "en")
    assert out.strip().endswith("passed, 0 failed")

    code, out, _ = run(capsys, "plugins", "--format", "json")
    names = [p["name"] for p in json.loads(out)["plugins"]]
    assert {"eligibility", "business_types", "engines"} <= set(names)
    code, out, _ = run(capsys, "plugins", "--block", "referrals")
    assert "referrals" not in out.split("engines:")[0].split()

    for kind in ("application", "ruleset"):
        code, out, _ = run(capsys, "schema", kind)
        assert code == ExitCode.OK
        assert json.loads(out)["$schema"].startswith("https://json-schema.org/")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(EXAMPLES), "--on", "June"])
    assert info.value.code == ExitCode.USAGE
    assert "is not a date" in capsys.readouterr().err


def test_standard_input_is_read_as_json_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    lines = json.dumps(base_application_data()) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, out, _ = run(capsys, "evaluate", "-", "--lang", "en")
    assert code == ExitCode.OK
    assert "APPROVED" in out
    assert "Summary: 1 records = 1 decided" in out


def test_an_unreadable_file_does_not_stop_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(
        capsys,
        "evaluate",
        str(EXAMPLES),
        str(tmp_path / "missing.jsonl"),
        str(EXAMPLES),
        "--lang",
        "en",
        "--on",
        "2025-06-01",
    )
    assert code == ExitCode.UNREADABLE_INPUT
    assert "missing.jsonl: cannot read" in err
    assert "Summary: 28 records = 28 decided" in out
    assert "1 unreadable file(s)" in out


def test_only_without_rulesets_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(EXAMPLES), "--only"])
    assert info.value.code == ExitCode.USAGE
    assert "--only needs --rulesets" in capsys.readouterr().err


def test_csv_columns_that_conflict_are_reported() -> None:
    with pytest.raises(ValueError, match="conflicts"):
        unflatten({"plan.items.0.name": "A", "plan": "x"})
    with pytest.raises(ValueError, match="conflicts"):
        unflatten({"plan": "x", "plan.items.0.name": "A"})


def test_a_batch_marks_the_second_approval_of_one_family_card(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = base_application_data()
    second = base_application_data()
    second["id"] = "KT-2025-EX02"
    path = tmp_path / "same_kk.jsonl"
    # The second application comes first in the file: the mark does not follow input order.
    path.write_text(json.dumps(second) + "\n" + json.dumps(first) + "\n")
    code, out, err = run(capsys, "evaluate", str(path), "--lang", "en")
    assert code == ExitCode.OK
    assert out.count("APPROVED") == 2
    kk = first["household"]["kk_number"]
    marked = f"family card {kk} is already approved for application KT-2025-EX01"
    assert marked in out
    assert out.index(marked) < out.index("KT-2025-EX01 ")
    assert f"KT-2025-EX02: {marked}" in err
    code, out, err = run(capsys, "evaluate", str(path), "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert "batch" not in lines[1]
    assert lines[0]["batch"]["outcome"] == "rejected"
    assert lines[0]["batch"]["findings"][0]["other"] == "KT-2025-EX01"
    assert f"KK {kk} sudah disetujui untuk aplikasi KT-2025-EX01" in err


def test_a_record_dated_before_the_rules_is_reported_and_the_batch_goes_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    early = base_application_data()
    early["submitted_on"] = "2024-12-31"
    path = tmp_path / "dates.jsonl"
    path.write_text(json.dumps(early) + "\n" + json.dumps(base_application_data()) + "\n")
    code, out, err = run(capsys, "evaluate", str(path), "--lang", "en")
    assert code == ExitCode.INVALID_RECORDS
    assert "dates.jsonl:1: no rules in force on 2024-12-31:" in err
    assert "has no value in force on 2024-12-31" in err
    assert (
        "Summary: 2 records = 1 decided (1 approved, 0 rejected, 0 needs review) + 1 invalid" in out
    )


def test_record_problems_are_explained_in_indonesian(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = base_application_data()
    bad["applicant"]["nik"] = "123"
    bad["applicant"]["sex"] = "L"
    bad["household"]["monthly_income"] = -5
    del bad["plan"]["location"]
    bad["plan"]["colour"] = "red"
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad) + "\n")
    _, _, err = run(capsys, "evaluate", str(path))
    assert "bad.jsonl:1: applicant.nik: harus cocok dengan pola '^[0-9]{16}$'" in err
    assert "bad.jsonl:1: applicant.sex: harus salah satu dari 'male', 'female'" in err
    assert "bad.jsonl:1: household.monthly_income: harus lebih besar atau sama dengan 0" in err
    assert "bad.jsonl:1: plan.location: wajib diisi" in err
    assert "bad.jsonl:1: plan.colour: kolom tidak dikenal" in err
    _, _, err = run(capsys, "evaluate", str(path), "--lang", "en")
    assert "bad.jsonl:1: plan.location: Field required" in err
