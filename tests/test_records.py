"""Decisions as data: records that pickle and compare, manifests, and explanations from records."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bansos_rules import Decision, Outcome, Status
from bansos_rules._io import read_records
from bansos_rules._models import Application
from bansos_rules.cli import ExitCode, main
from bansos_rules.explain import (
    RecordError,
    UnknownDigestError,
    explain,
    from_record,
    record_json,
)
from bansos_rules.testing import applications
from tests._support import base_application, book_of, builtin_book, rule, ruleset_text

ON = date(2025, 6, 1)
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "applications.jsonl"


def engines() -> list[str]:
    """The engines that can run here (durable needs durable_rules)."""
    found = ["native"]
    try:
        builtin_book().engine("durable")
    except Exception:
        return found
    return [*found, "durable"]


def worked_applications() -> list[Application]:
    return [ex.application for rs in builtin_book().rulesets for ex in rs.examples]


def reference_json(decision: Decision) -> str:
    """The JSON as ``json.dumps`` writes ``to_dict()``: what ``to_json()`` must equal."""
    return json.dumps(decision.to_dict(), ensure_ascii=False, separators=(",", ":"))


def from_line(decision: Decision) -> Decision:
    return from_record(json.loads(record_json(decision)), builtin_book().layout.manifest)


@pytest.mark.parametrize("engine", engines())
def test_decisions_pickle_deep_copy_and_compare_equal(engine: str) -> None:
    book = builtin_book()
    for app in worked_applications():
        decision = book.evaluate(app, on=ON, engine=engine)
        again = pickle.loads(pickle.dumps(decision))
        assert again == decision
        assert copy.deepcopy(decision) == decision
        assert copy.copy(decision) == decision
        assert again.to_json() == decision.to_json()
        assert again.findings == decision.findings
        assert hash(again) == hash(decision)


def test_a_list_of_decisions_carries_the_manifest_once() -> None:
    book = builtin_book()
    decisions = [book.evaluate(app, on=ON) for app in worked_applications()]
    one = len(pickle.dumps(decisions[:1]))
    many = len(pickle.dumps(decisions))
    digest = book.digest.encode()
    assert pickle.dumps(decisions).count(digest) == 1
    assert many < one * len(decisions)
    # The texts are not in the pickle: a title of a rule appears nowhere.
    title = book.layout.rules[0].title.en.encode()
    assert title not in pickle.dumps(decisions)


def test_native_and_durable_decisions_compare_equal_except_the_engine() -> None:
    if "durable" not in engines():
        pytest.skip("durable_rules cannot be imported here")
    book = builtin_book()
    for app in worked_applications():
        native = book.evaluate(app, on=ON)
        durable = book.evaluate(app, on=ON, engine="durable")
        assert native[:4] + native[5:] == durable[:4] + durable[5:]


UNPICKLE = """
import pickle, sys
{load}
decision = pickle.loads(sys.stdin.buffer.read())
print(decision.outcome.value, decision.aid_value, decision.digest)
try:
    sys.stdout.write(decision.to_json())
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def unpickle_elsewhere(decision: Decision, load: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", UNPICKLE.format(load=load)],
        input=pickle.dumps(decision),
        capture_output=True,
        check=True,
        env=env,
    ).stdout.decode()
    return out.split("\n", 1)


def test_a_decision_unpickled_where_the_same_rulesets_are_loaded_explains_itself() -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    head, body = unpickle_elsewhere(
        decision, "import bansos_rules; rules = bansos_rules.load_rules()"
    )
    assert head == f"approved {decision.aid_value} {decision.digest}"
    assert body == decision.to_json()


def test_a_decision_unpickled_without_its_rulesets_keeps_its_record_and_names_its_digest() -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    head, body = unpickle_elsewhere(decision, "")
    assert head == f"approved {decision.aid_value} {decision.digest}"
    assert body.startswith("UnknownDigestError")
    assert decision.digest in body


def test_to_json_is_json_dumps_of_to_dict_on_the_worked_examples() -> None:
    book = builtin_book()
    for engine in engines():
        for app in worked_applications():
            decision = book.evaluate(app, on=ON, engine=engine)
            assert decision.to_json() == reference_json(decision)


@pytest.mark.parametrize("engine", engines())
def test_explanations_from_records_equal_the_direct_ones_on_the_worked_examples(
    engine: str,
) -> None:
    book = builtin_book()
    for app in worked_applications():
        decision = book.evaluate(app, on=ON, engine=engine)
        back = from_line(decision)
        assert back == decision
        assert back.to_json() == decision.to_json()
        for lang in ("id", "en"):
            assert explain(back, lang=lang, verbose=True) == explain(
                decision, lang=lang, verbose=True
            )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    app=st.one_of(
        applications(),
        applications(eligible=True),
        applications(eligible=True, near_cap=True),
    ),
    on=st.dates(date(2025, 1, 1), date(2026, 12, 31)),
)
def test_explanations_from_records_equal_the_direct_ones_on_generated_applications(
    app: Application, on: date
) -> None:
    book = builtin_book()
    for engine in engines():
        decision = book.evaluate(app, on=on, engine=engine)
        assert decision.to_json() == reference_json(decision)
        back = from_line(decision)
        assert back == decision
        assert back.to_json() == decision.to_json()
        assert back.referrals == decision.referrals
        assert back.recommendations == decision.recommendations
        assert explain(back, lang="en", verbose=True) == explain(decision, lang="en", verbose=True)


def test_a_rule_error_survives_the_record_and_renders_as_to_dict() -> None:
    book = book_of(
        ruleset_text(
            rule("plan.total // (applicant.age - 40) > 0", rule_id="t.divides")
            + rule("applicant.pkh_member", rule_id="t.pkh")
        )
    )
    decision = book.evaluate(base_application(), on=ON)
    assert decision.findings[0].status is Status.ERROR
    assert decision.to_json() == reference_json(decision)
    line = json.loads(record_json(decision))
    assert line["rules"] == "ep"
    assert "ZeroDivisionError" in line["errors"]["rules"]["0"]
    back = from_record(line, book.layout.manifest)
    assert back == decision
    assert back.to_json() == decision.to_json()
    assert pickle.loads(pickle.dumps(decision)) == decision


def test_a_record_of_other_rulesets_names_both_digests() -> None:
    other = book_of(ruleset_text(rule("applicant.pkh_member", rule_id="t.pkh")))
    decision = other.evaluate(base_application(), on=ON)
    with pytest.raises(UnknownDigestError) as caught:
        from_record(decision.to_record(), builtin_book().layout.manifest)
    assert other.digest in str(caught.value)
    assert builtin_book().digest in str(caught.value)
    assert other.digest in caught.value.text("id")
    assert "sidik" in caught.value.text("id")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"rules": "pp"}, "'rules'"),
        ({"scores": 3}, "'scores'"),
        ({"outcome": "maybe"}, "outcome"),
        ({"values": []}, "'values'"),
        ({"aid_value": "lots"}, "'aid_value'"),
    ],
)
def test_a_malformed_record_is_an_error_naming_the_key(change: dict[str, object], key: str) -> None:
    record = builtin_book().evaluate(base_application(), on=ON).to_record()
    record.update(change)
    with pytest.raises(RecordError, match=key):
        from_record(record, builtin_book().layout.manifest)


def test_records_are_compact_and_carry_id_and_digest() -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    record = decision.to_record()
    assert record["application_id"] == decision.application_id
    assert record["ruleset_digest"] == decision.digest
    assert record["outcome"] == "approved"
    assert len(record["rules"]) == len(builtin_book().layout.rules)
    assert len(record["values"]) == len(decision.manifest.value_paths)
    assert len(record_json(decision)) * 5 < len(decision.to_json())


# ------------------------------------------------------------------------------ the command


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_of_records_gives_the_bytes_of_evaluate_jsonl(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = tmp_path / "records.jsonl"
    code, _, _ = run(capsys, "evaluate", str(EXAMPLES), "--format", "records", "-o", str(records))
    assert code == ExitCode.OK
    _, direct, _ = run(capsys, "evaluate", str(EXAMPLES), "--format", "jsonl")
    code, explained, err = run(capsys, "explain", str(records), "--format", "jsonl")
    assert code == ExitCode.OK
    assert explained == direct
    assert "14 catatan = 14 diputuskan" in err
    code, text, _ = run(capsys, "explain", str(records), "--lang", "en")
    assert code == ExitCode.OK
    assert text.startswith("== KT-2025-0001 · Food ==\nAPPROVED")


def test_explain_reports_other_digests_and_bad_lines_and_explains_the_rest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, lines, _ = run(capsys, "evaluate", str(EXAMPLES), "--format", "records")
    first, second, *rest = lines.splitlines()
    mismatched = json.loads(second)
    mismatched["ruleset_digest"] = "sha256:" + "0" * 64
    records = tmp_path / "records.jsonl"
    records.write_text(
        "\n".join([first, json.dumps(mismatched), "{oops", json.dumps({"rules": "p"}), *rest])
        + "\n"
    )
    code, out, err = run(capsys, "explain", str(records), "--format", "jsonl", "--lang", "en")
    assert code == ExitCode.DIGEST_MISMATCH
    assert (
        f"records.jsonl:2: the decision was made with rulesets of digest sha256:{'0' * 64}" in err
    )
    assert builtin_book().digest in err
    assert "records.jsonl:3: invalid JSON" in err
    assert "records.jsonl:4: " in err
    assert len(out.splitlines()) == 13
    assert "16 records = 13 decided" in err
    assert "+ 3 invalid" in err
    code, _, err = run(capsys, "explain", str(records), "--format", "jsonl")
    assert "tetapi ruleset yang dimuat bersidik" in err


def test_evaluate_records_summary_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", str(EXAMPLES), "--format", "records")
    assert code == ExitCode.OK
    assert [json.loads(line)["application_id"] for line in out.splitlines()][:2] == [
        "KT-2025-0001",
        "KT-2025-0002",
    ]
    assert "Ringkasan: 14 catatan" in err


# ------------------------------------------------------------------------------ streaming


@pytest.mark.parametrize(
    ("name", "first_part", "rest"),
    [
        ("apps.jsonl", "{a}\n", "{a}\n"),
        ("apps.json", "[{a},{a},", "{a}]"),
        ("apps.csv", "id,plan.business_type\nA,food\n", "B,food\n"),
    ],
)
def test_the_reader_yields_records_before_the_file_ends(
    tmp_path: Path, name: str, first_part: str, rest: str
) -> None:
    app = json.dumps({"id": "A"})
    fifo = tmp_path / name
    os.mkfifo(fifo)
    first_seen = threading.Event()
    waited: list[bool] = []

    def write() -> None:
        with fifo.open("w") as out:
            out.write(first_part.replace("{a}", app))
            out.flush()
            waited.append(first_seen.wait(20))
            out.write(rest.replace("{a}", app))

    writer = threading.Thread(target=write)
    writer.start()
    records = read_records(fifo)
    first = next(records)
    first_seen.set()
    remaining = list(records)
    writer.join()
    assert waited == [True], "the reader waited for the whole file"
    assert first.data is not None
    assert first.data["id"] == "A"
    assert len(remaining) in (1, 2)


def test_a_json_array_is_read_element_by_element_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "apps.json"
    path.write_text('[\n  {"id": "A"},\n  7,\n  {"id": "B"}\n]\n')
    records = list(read_records(path))
    assert [r.data for r in records] == [{"id": "A"}, None, {"id": "B"}]
    assert records[1].problem == "a record must be a JSON object"
    single = tmp_path / "one.json"
    single.write_text('[{"id": "A"}]')
    (record,) = read_records(single)
    assert record.where.endswith("one.json:1")
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": "A"},\n  {"id": }\n]\n')
    with pytest.raises(Exception, match=r"broken.json:3:\d+: invalid JSON"):
        list(read_records(broken))


def test_outcomes_survive_the_record(capsys: pytest.CaptureFixture[str]) -> None:
    decision = builtin_book().evaluate(base_application(), on=ON)
    assert from_line(decision).outcome is Outcome.APPROVED


def test_an_engine_can_build_decisions_from_another_decision() -> None:
    d = builtin_book().evaluate(base_application(), on=ON)
    copied = Decision.build(*d[:4], "copy", *d[5:])
    assert copied.engine == "copy"
    assert copied.manifest is d.manifest
    assert copied.findings == d.findings


def test_a_second_book_with_the_same_rules_going_away_leaves_the_first_explainable() -> None:
    """Two books loaded from the same files share a digest; when one is garbage-collected, the
    decisions of the other still unpickle and explain themselves."""
    import gc

    from bansos_rules import load_rules

    first = load_rules()
    decision = first.evaluate(base_application(), on=ON)
    second = load_rules()
    assert second.digest == first.digest
    del second
    gc.collect()
    again = pickle.loads(pickle.dumps(decision))
    assert explain(again, lang="en") == explain(decision, lang="en")
