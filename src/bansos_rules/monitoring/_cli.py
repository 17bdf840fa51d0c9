"""``bansos-rules monitor``: enrol cases, ingest events, read states, alerts and outcomes.

::

    bansos-rules monitor enrol APPLICATIONS... --db PATH [--on DATE]
    bansos-rules monitor ingest EVENTS... --db PATH [--format text|jsonl]
    bansos-rules monitor status --db PATH [--on DATE] [--engine native|durable] [--format text|json]
    bansos-rules monitor alerts --db PATH --on DATE [--engine ...] [--format text|jsonl]
    bansos-rules monitor report --db PATH [--on DATE] [--format markdown|html]
    bansos-rules monitor check [RULESET]
    bansos-rules monitor diff OLD [NEW]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, Literal, TextIO

from bansos_rules._errors import path_of
from bansos_rules._io import UnreadableInput, read_records
from bansos_rules.monitoring._events import EventLine, read_events
from bansos_rules.monitoring._store import SQLiteStore, StoreError
from bansos_rules.monitoring._timeline import CaseState

__all__ = ["add_monitor_parser", "run_monitor"]

Lang = Literal["id", "en"]

# Exit statuses, as the main command's (bansos_rules.cli.ExitCode).
OK, INVALID, USAGE, UNREADABLE, EXAMPLES_FAILED, CHECK_FAILED = 0, 1, 2, 6, 7, 8

_SEVERITY = {"urgent": 0, "warning": 1, "info": 2}
_TEXT: dict[str, tuple[str, str]] = {
    "enrolled": (
        "{records} aplikasi: {enrolled} kasus baru, {already} sudah terdaftar, "
        "{not_approved} tidak disetujui, {invalid} tidak valid",
        "{records} applications: {enrolled} new cases, {already} already enrolled, "
        "{not_approved} not approved, {invalid} invalid",
    ),
    "ingested": (
        "{lines} baris: {stored} kejadian baru disimpan, {duplicates} sudah ada, "
        "{rejected} ditolak; {committed} kejadian tersimpan",
        "{lines} lines: {stored} new events stored, {duplicates} already stored, "
        "{rejected} rejected; {committed} events in the store",
    ),
    "no_alerts": ("Tidak ada peringatan per {on}.", "No alerts as of {on}."),
    "alerts_total": (
        "{alerts} peringatan pada {cases} kasus per {on}",
        "{alerts} alerts on {cases} cases as of {on}",
    ),
    "due": ("kunjungan berikutnya", "next visit due"),
    "events": (
        "{events} kejadian, {cases} kasus per {on}",
        "{events} events, {cases} cases as of {on}",
    ),
    "not_approved": ("tidak disetujui ({outcome})", "not approved ({outcome})"),
}


def _t(key: str, lang: Lang, **args: Any) -> str:
    pair = _TEXT[key]
    return (pair[0] if lang == "id" else pair[1]).format(**args)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_monitor_parser(sub: Any) -> None:
    """Add ``monitor`` and its commands to the main command's sub-parsers."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang", choices=("id", "en"), default="id", help="language of messages (default: id)"
    )
    common.add_argument(
        "--ruleset", type=Path, metavar="PATH", help="monitoring ruleset file (default: shipped)"
    )
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", type=Path, required=True, metavar="PATH", help="the event store")
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument(
        "--engine", choices=("native", "durable"), default="native", help="default: native"
    )

    mon = sub.add_parser("monitor", help="monitoring after handover: cases, events, alerts")
    msub = mon.add_subparsers(dest="monitor_command", required=True, metavar="COMMAND")

    en = msub.add_parser("enrol", parents=[common, db], help="enrol approved applications")
    en.add_argument("files", nargs="+", type=Path, metavar="APPLICATIONS")
    en.add_argument("--on", type=_date, help="enrolment date (default: each submitted_on)")
    en.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")

    ing = msub.add_parser("ingest", parents=[common, db], help="store events durably")
    ing.add_argument("files", nargs="+", type=Path, metavar="EVENTS", help=".jsonl or .csv")
    ing.add_argument("--format", choices=("text", "jsonl"), default="text", dest="fmt")
    ing.add_argument("--input-format", choices=("jsonl", "csv"), help="override detection")
    ing.add_argument("--batch", type=int, default=1000, help="events per commit (default 1000)")

    st = msub.add_parser("status", parents=[common, db, engine], help="every case's state")
    st.add_argument("--on", type=_date, help="the day (default: today)")
    st.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")

    al = msub.add_parser("alerts", parents=[common, db, engine], help="alerts for a day")
    al.add_argument("--on", type=_date, required=True, help="the workers' day")
    al.add_argument("--format", choices=("text", "jsonl"), default="text", dest="fmt")

    rp = msub.add_parser("report", parents=[common, db, engine], help="program outcomes")
    rp.add_argument("--on", type=_date, help="the day (default: today)")
    rp.add_argument(
        "--format", choices=("markdown", "html", "json"), default="markdown", dest="fmt"
    )
    rp.add_argument("--output", "-o", type=Path, help="write here instead of stdout")

    df = msub.add_parser("diff", parents=[common], help="what a monitoring ruleset change does")
    df.add_argument("old", metavar="OLD", help="file, directory or git revision (REV[:path])")
    df.add_argument(
        "new",
        nargs="?",
        default="rulesets",
        metavar="NEW",
        help="default: rulesets/ of the working tree",
    )
    df.add_argument("--format", choices=("markdown", "json"), default="markdown", dest="fmt")
    df.add_argument("--families", type=int, default=300, help="synthetic cases (default 300)")
    df.add_argument(
        "--fail-on-change", action="store_true", help="exit 9 when some case changes state"
    )

    ck = msub.add_parser("check", parents=[common], help="check a monitoring ruleset")
    ck.add_argument("path", nargs="?", type=Path, metavar="RULESET")
    ck.add_argument("--examples", type=int, default=200, help="generated timelines (default 200)")
    ck.add_argument("--min-coverage", type=float, default=None, metavar="PCT")
    ck.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")


def run_monitor(args: argparse.Namespace) -> int:
    """Run a ``monitor`` command; the exit status."""
    from bansos_rules.monitoring._service import Monitor

    lang: Lang = "en" if args.lang == "en" else "id"
    try:
        if args.monitor_command == "diff":
            from bansos_rules.monitoring._diff import MonitoringSourceError, run_diff

            try:
                text, flips = run_diff(args.old, args.new, args.fmt, args.families, lang)
            except MonitoringSourceError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return UNREADABLE
            sys.stdout.write(text)
            return 9 if args.fail_on_change and flips else OK
        if args.monitor_command == "check":
            from bansos_rules.monitoring._check import run_check

            return run_check(args.path or args.ruleset, args, lang)
        monitor = Monitor(args.ruleset)
        command = args.monitor_command
        if command == "enrol":
            return _enrol(monitor, args, lang)
        with SQLiteStore(args.db, create=command == "ingest") as store:
            if command == "ingest":
                return _ingest(monitor, store, args, lang)
            if command == "status":
                return _status(monitor, store, args, lang)
            if command == "alerts":
                return _alerts(monitor, store, args, lang)
            return _report(monitor, store, args, lang)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return UNREADABLE


def _enrol(monitor: Any, args: argparse.Namespace, lang: Lang) -> int:
    from bansos_rules._api import load_rules

    def records() -> Any:
        for file in args.files:
            try:
                for r in read_records(file, shown=path_of(file)):
                    yield r.where, r.data, r.problem
            except UnreadableInput as exc:
                yield path_of(file), None, str(exc)

    with SQLiteStore(args.db) as store:
        result = monitor.enrol(store, records(), on=args.on, rules=load_rules())
    for where, problems in result.invalid:
        for p in problems:
            print(f"{where}: {p.path + ': ' if p.path else ''}{p.text(lang)}", file=sys.stderr)
    summary = {
        "records": result.records,
        "enrolled": result.enrolled,
        "already": result.already,
        "not_approved": len(result.not_approved),
        "invalid": len(result.invalid),
    }
    if args.fmt == "json":
        print(json.dumps({**summary, "not_approved_ids": result.not_approved}, ensure_ascii=False))
    else:
        for app_id, outcome in result.not_approved.items():
            print(f"{app_id}: {_t('not_approved', lang, outcome=outcome)}")
        print(_t("enrolled", lang, **summary))
    return INVALID if result.invalid else OK


def _ingest(monitor: Any, store: SQLiteStore, args: argparse.Namespace, lang: Lang) -> int:
    rejected: list[EventLine] = []
    unreadable = False

    def lines() -> Any:
        nonlocal unreadable
        for file in args.files:
            try:
                yield from read_events(file, args.input_format)
            except UnreadableInput as exc:
                unreadable = True
                print(f"error: {exc}", file=sys.stderr)

    last = None
    shown = 0
    for progress in monitor.ingest(store, lines(), batch=max(1, args.batch), rejected=rejected):
        for line in rejected[shown:]:
            print(line.describe(lang), file=sys.stderr)
        shown = len(rejected)
        last = progress
        if args.fmt == "jsonl":
            sys.stdout.write(json.dumps(progress.to_dict()) + "\n")
            sys.stdout.flush()  # acknowledged: the commit is durable
    assert last is not None
    if args.fmt == "text":
        print(_t("ingested", lang, **last.to_dict()))
    if unreadable:
        return UNREADABLE
    return INVALID if rejected else OK


def _states(monitor: Any, store: SQLiteStore, args: argparse.Namespace) -> list[CaseState]:
    states: list[CaseState] = monitor.states(store, args.on or date.today(), engine=args.engine)
    return states


def _status(monitor: Any, store: SQLiteStore, args: argparse.Namespace, lang: Lang) -> int:
    on = args.on or date.today()
    states = _states(monitor, store, args)
    if args.fmt == "json":
        data = {
            "on": on.isoformat(),
            "engine": args.engine,
            "ruleset": monitor.ruleset.digest,
            "events": store.count(),
            "cases": [s.to_dict() for s in states],
        }
        print(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
        return OK
    counts = Counter(s.state for s in states)
    titles = monitor.ruleset.states
    out: TextIO = sys.stdout
    print(_t("events", lang, events=store.count(), cases=len(states), on=on.isoformat()), file=out)
    for state, spec in titles.items():
        title = spec.title.id if lang == "id" else spec.title.en
        print(f"  {title:<45} {counts[state]:>7}", file=out)
    for s in states:
        alerts = ", ".join(a.id.split(".", 1)[-1] for a in s.alerts)
        due = s.next_visit_due.isoformat() if s.next_visit_due else "-"
        print(f"{s.application_id}\t{s.state}\t{due}\t{alerts}", file=out)
    return OK


def _alerts(monitor: Any, store: SQLiteStore, args: argparse.Namespace, lang: Lang) -> int:
    states = [s for s in _states(monitor, store, args) if s.alerts]
    rows = sorted(
        ((s, a) for s in states for a in s.alerts),
        key=lambda sa: (_SEVERITY.get(sa[1].severity, 9), sa[0].application_id, sa[1].id),
    )
    if args.fmt == "jsonl":
        for s, a in rows:
            line = {
                "application_id": s.application_id,
                "on": s.on.isoformat(),
                "state": s.state,
                "next_visit_due": s.next_visit_due.isoformat() if s.next_visit_due else None,
                **a.to_dict(),
            }
            print(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
        return OK
    if not rows:
        print(_t("no_alerts", lang, on=args.on.isoformat()))
        return OK
    for s, a in rows:
        due = s.next_visit_due.isoformat() if s.next_visit_due else "-"
        reason = a.reason.id if lang == "id" else a.reason.en
        print(f"[{a.severity}] {s.application_id} {a.id}: {reason} ({_t('due', lang)} {due})")
    print(_t("alerts_total", lang, alerts=len(rows), cases=len(states), on=args.on.isoformat()))
    return OK


def _report(monitor: Any, store: SQLiteStore, args: argparse.Namespace, lang: Lang) -> int:
    from bansos_rules.monitoring._report import build_report, report_html, report_markdown

    on = args.on or date.today()
    states = _states(monitor, store, args)
    from bansos_rules._manager import load_plugins

    registry, _ = load_plugins().collect()
    names = {code: (bt.name_id, bt.name_en) for code, (bt, _) in registry.business_types.items()}
    report = build_report(
        monitor.ruleset, store.cases(), states, on, engine=args.engine, business_types=names
    )
    if args.fmt == "html":
        text = report_html(report, lang)
    elif args.fmt == "json":
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        text = report_markdown(report, lang) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return OK
