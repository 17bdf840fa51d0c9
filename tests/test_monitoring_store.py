"""The monitoring event store and the `monitor` commands: durability, idempotence, migration,
replay, SIGKILL in the middle of an ingest, and the HTML report in a real browser."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bansos_rules.cli import main
from bansos_rules.monitoring import (
    MIGRATIONS,
    SCHEMA_VERSION,
    CaseInfo,
    EnrolledCase,
    Monitor,
    SQLiteStore,
    event_json,
    read_events,
)
from bansos_rules.testing import synthetic_program

ROOT = Path(__file__).resolve().parent.parent
APPLICATIONS = ROOT / "examples" / "applications.jsonl"
EVENTS = ROOT / "examples" / "events.jsonl"
CLI = "import sys; from bansos_rules.cli import main; sys.exit(main(sys.argv[1:]))"
REPLAY_ON = date(2027, 7, 1)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def enrolled(path: Path, cases: list[CaseInfo]) -> SQLiteStore:
    store = SQLiteStore(path)
    store.enrol([EnrolledCase(c, date(2025, 6, 1)) for c in cases])
    return store


# -- the store ----------------------------------------------------------------------------------


def test_a_resent_event_counts_once_and_a_different_one_under_its_id_is_refused(
    tmp_path: Path,
) -> None:
    cases, events = synthetic_program(families=5, months=3, seed=1)
    with enrolled(tmp_path / "m.db", cases) as store:
        first = store.append(events)
        assert (first.stored, first.duplicates, first.conflicts) == (len(events), 0, [])
        again = store.append([*events[:4], events[0]])
        assert (again.stored, again.duplicates, again.total) == (0, 5, len(events))
        changed = events[1].model_copy(update={"recorded_by": "SOMEONE-ELSE"})
        clash = store.append([changed])
        assert clash.stored == 0
        assert [c.event_id for c in clash.conflicts] == [events[1].event_id]
        assert event_json(next(e for e in store.events() if e.event_id == changed.event_id)) == (
            event_json(events[1])
        )
        # Within one batch: the first copy is stored, the second counted once more.
        new = events[2].model_copy(update={"event_id": "NEW-1"})
        both = store.append([new, new])
        assert (both.stored, both.duplicates, both.total) == (1, 1, len(events) + 1)


def test_the_log_is_append_only(tmp_path: Path) -> None:
    cases, events = synthetic_program(families=2, months=2, seed=2)
    with enrolled(tmp_path / "m.db", cases) as store:
        store.append(events)
    db = sqlite3.connect(tmp_path / "m.db")
    for statement in ("UPDATE events SET body = '{}'", "DELETE FROM events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    db.close()


def test_an_older_store_is_migrated_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO cases VALUES ('KT-1', '6472', 'food', 'female', '2025-06-01')")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        assert store.version == SCHEMA_VERSION == 2
        (case,) = store.cases()
        assert (case.info.application_id, case.aid_value) == ("KT-1", 0)
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_store_newer_than_the_library_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    from bansos_rules.monitoring import StoreError

    with pytest.raises(StoreError, match="schema version 99"):
        SQLiteStore(path)


def test_replay_gives_the_same_bytes_whatever_order_events_arrived_in(tmp_path: Path) -> None:
    cases, events = synthetic_program(families=40, months=12, seed=3)
    shuffled = list(events)
    random.Random(3).shuffle(shuffled)
    monitor = Monitor()
    outputs = []
    for name, order in (("a", events), ("b", shuffled)):
        with enrolled(tmp_path / f"{name}.db", cases) as store:
            for i in range(0, len(order), 97):
                store.append(order[i : i + 97])
            outputs.append(monitor.replay(store, REPLAY_ON))
            outputs.append(monitor.replay(store, REPLAY_ON, engine="durable"))
    assert len(set(outputs)) == 1
    assert outputs[0].count("\n") == 40


# -- SIGKILL in the middle of an ingest --------------------------------------------------------


def _ingest_process(events: Path, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLI,
            "monitor",
            "ingest",
            str(events),
            "--db",
            str(db),
            "--format",
            "jsonl",
            "--batch",
            "25",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def test_sigkill_mid_ingest_loses_no_acknowledged_event(tmp_path: Path) -> None:
    cases, events = synthetic_program(families=40, months=24, seed=4)
    lines = [event_json(e) for e in events]
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monitor = Monitor()
    with enrolled(tmp_path / "reference.db", cases) as ref:
        for _ in monitor.ingest(ref, read_events(source)):
            pass
        expected = monitor.replay(ref, REPLAY_ON)
        expected_count = ref.count()
    db = tmp_path / "killed.db"
    enrolled(db, cases).close()
    rnd = random.Random(4)
    kills = 0
    for _ in range(6):
        proc = _ingest_process(source, db)
        assert proc.stdout is not None
        wait_for = rnd.randint(1, 12)
        acked: dict[str, int] | None = None
        for n, text in enumerate(proc.stdout, 1):
            acked = json.loads(text)
            if n == wait_for:
                proc.send_signal(signal.SIGKILL)  # mid-write: the next batch is under way
                kills += 1
                break
        proc.wait(timeout=60)
        if acked is None:
            continue
        with SQLiteStore(db) as store:
            stored = {e.event_id: event_json(e) for e in store.events()}
        # Every line read before the acknowledgement is in the store, unchanged.
        assert acked["committed"] <= len(stored)
        for text in lines[: acked["lines"]]:
            data = json.loads(text)
            assert stored[data["event_id"]] == text
    assert kills >= 3
    final = _ingest_process(source, db)
    out, _ = final.communicate(timeout=120)
    assert final.returncode == 0, out
    assert json.loads(out.splitlines()[-1])["committed"] == expected_count
    with SQLiteStore(db) as store:
        assert store.count() == expected_count
        assert monitor.replay(store, REPLAY_ON) == expected


# -- the commands -------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "m.db"
    code, out, _ = run(
        capsys,
        "monitor",
        "enrol",
        str(APPLICATIONS),
        "--db",
        str(path),
        "--on",
        "2025-06-01",
        "--lang",
        "en",
    )
    assert code == 0
    assert "14 applications: 6 new cases, 0 already enrolled, 8 not approved, 0 invalid" in out
    code, out, _ = run(capsys, "monitor", "ingest", str(EVENTS), "--db", str(path))
    assert code == 0
    assert "25 kejadian baru disimpan" in out
    return path


def test_ingest_reports_each_commit_and_bad_lines(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "more.jsonl"
    good = json.loads(EVENTS.read_text(encoding="utf-8").splitlines()[0])
    extra.write_text(
        "\n".join(
            [
                json.dumps(good),  # sent again
                json.dumps({**good, "value": 1}),  # another event under a used id
                json.dumps({**good, "event_id": "X-1", "application_id": "KT-2025-0099"}),
                json.dumps({**good, "event_id": "X-2", "date": "2025-13-01"}),
                json.dumps({**good, "event_id": "X-3", "date": "2025-06-30"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys,
        "monitor",
        "ingest",
        str(extra),
        "--db",
        str(db),
        "--format",
        "jsonl",
        "--batch",
        "2",
        "--lang",
        "en",
    )
    assert code == 1
    acks = [json.loads(line) for line in out.splitlines()]
    assert [a["committed"] for a in acks] == [25, 26]
    assert acks[-1] == {"committed": 26, "stored": 1, "duplicates": 1, "rejected": 3, "lines": 5}
    assert f"{extra}:2: event_id:" in err
    assert "already used by a different event" in err
    assert f"{extra}:3: application_id: case 'KT-2025-0099' is not enrolled" in err
    assert f"{extra}:4: date:" in err


def test_status_alerts_and_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "monitor", "status", "--db", str(db), "--on", "2025-10-01", "--format", "json"
    )
    assert code == 0
    status = json.loads(out)
    assert status["events"] == 25
    states = {c["application_id"]: c for c in status["cases"]}
    assert states["KT-2025-0003"]["state"] == "failed"
    assert states["KT-2025-0012"]["state"] == "closed"
    assert states["KT-2025-0004"]["state"] == "at_risk"
    assert [a["id"] for a in states["KT-2025-0004"]["alerts"]] == [
        "monitoring.visit_overdue",
        "monitoring.livestock_sold",
    ]
    code, out, _ = run(
        capsys,
        "monitor",
        "alerts",
        "--db",
        str(db),
        "--on",
        "2025-10-01",
        "--format",
        "jsonl",
        "--engine",
        "durable",
    )
    assert code == 0
    alerts = [json.loads(line) for line in out.splitlines()]
    assert [a["severity"] for a in alerts] == ["urgent", "urgent", "warning", "warning"]
    assert {a["application_id"] for a in alerts} == {"KT-2025-0002", "KT-2025-0004", "KT-2025-0005"}
    code, text, _ = run(capsys, "monitor", "alerts", "--db", str(db), "--on", "2025-10-01")
    assert "Belum ada kunjungan 92 hari sesudah penyerahan" in text
    code, md, _ = run(
        capsys, "monitor", "report", "--db", str(db), "--on", "2026-03-01", "--lang", "en"
    )
    assert code == 0
    assert "| Whole program | 6 | 0 | 1 | 2 | 0 | 1 | 1 | 1 | 80.0% | 20.0% |" in md
    assert "old group program: 46%" in md


def test_a_missing_or_broken_store_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "monitor", "status", "--db", str(tmp_path / "none.db"))
    assert code == 6
    assert "no such store" in err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    code, _, err = run(capsys, "monitor", "alerts", "--db", str(junk), "--on", "2025-10-01")
    assert code == 6
    assert err.startswith("error: ")
    assert "Traceback" not in err


def test_monitor_check_passes_on_the_shipped_ruleset(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "monitor", "check", "--examples", "30", "--lang", "en", "--min-coverage", "100"
    )
    assert code == 0, out
    assert "coverage 100%" in out


def test_html_report_renders_its_charts_in_a_real_browser(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (CI installs it: .ci/run)")
    page = tmp_path / "report.html"
    code, _, _ = run(
        capsys,
        "monitor",
        "report",
        "--db",
        str(db),
        "--on",
        "2026-03-01",
        "--format",
        "html",
        "-o",
        str(page),
    )
    assert code == 0
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    bars = len(re.findall(r"<rect ", html))
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
    ]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    drawn = re.search(r'<body data-bars-drawn="(\d+)"', dom)
    assert drawn is not None, dom[:500]
    # Every bar with a value was laid out with a size by the browser.
    sized = len(re.findall(r'<rect [^>]*width="(?!0\.0")', html))
    assert int(drawn.group(1)) == sized > 20
    assert bars >= sized
    assert dom.count('<svg class="chart"') == 8
    assert "Samarinda" in dom


def test_monitor_diff_shows_changes_and_their_impact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = ROOT / "rulesets" / "monitoring.yaml"
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    shutil.copy(shipped, old / "monitoring.yaml")
    text = shipped.read_text(encoding="utf-8")
    assert "        value: 3\n  follow_up_months:" in text
    changed = text.replace(
        "        value: 3\n  follow_up_months:", "        value: 2\n  follow_up_months:"
    )
    (new / "monitoring.yaml").write_text(changed, encoding="utf-8")
    code, out, _ = run(
        capsys,
        "monitor",
        "diff",
        str(old),
        str(old),
        "--families",
        "30",
        "--fail-on-change",
        "--lang",
        "en",
    )
    assert code == 0
    assert "No change to the monitoring ruleset." in out
    assert "0 case-days change state" in out
    code, out, _ = run(
        capsys,
        "monitor",
        "diff",
        str(old),
        str(new),
        "--families",
        "60",
        "--format",
        "json",
        "--fail-on-change",
    )
    assert code == 9
    report = json.loads(out)
    (change,) = report["changes"]
    assert (change["what"], change["id"], change["change"]) == (
        "parameter",
        "graduation_visits",
        "values",
    )
    assert report["impact"]["state_changes"] > 0
    assert any(k.endswith("→ graduating") for k in report["impact"]["flips"])
    code, _, err = run(capsys, "monitor", "diff", str(tmp_path / "nothing-here"), str(new))
    assert code == 6
    assert err.startswith("error: ")
