"""``bansos-rules allocate``: decide every application, then allocate the round."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from bansos_rules._errors import path_of
from bansos_rules._io import UnreadableInput, read_records
from bansos_rules._messages import Lang
from bansos_rules.round._report import to_audit_jsonl, to_html, to_jsonl, to_markdown, to_text
from bansos_rules.round._run import PreviousEntry, RoundResult, Source, allocate, update
from bansos_rules.round._texts import say

__all__ = ["add_parser", "run"]


def add_parser(
    sub: Any, common: argparse.ArgumentParser, date_type: Any
) -> argparse.ArgumentParser:
    """Add the ``allocate`` command to the sub-command parsers ``sub``."""
    al: argparse.ArgumentParser = sub.add_parser(
        "allocate", parents=[common], help="decide applications, then allocate the round"
    )
    al.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".json, .jsonl or .csv")
    al.add_argument("--on", type=date_type, help="the round's date (default: today)")
    al.add_argument("--round", type=Path, metavar="FILE", help="round file (default: shipped)")
    al.add_argument(
        "--format",
        choices=("text", "jsonl", "markdown", "html"),
        default="text",
        dest="fmt",
        help="text (default), jsonl (one line per application), markdown or html",
    )
    al.add_argument("--input-format", choices=("json", "jsonl", "csv"), help="override detection")
    al.add_argument("--engine", default="native", help="engine to use (default: native)")
    al.add_argument("--verbose", "-v", action="store_true", help="text: every application")
    al.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    al.add_argument(
        "--update",
        type=Path,
        metavar="PREVIOUS",
        help="a previous allocate --format jsonl: allocate again and list every change",
    )
    al.add_argument(
        "--withdraw",
        action="append",
        default=[],
        metavar="ID",
        help="application id that withdrew or failed verification (repeatable, or a file)",
    )
    al.add_argument(
        "--corrected",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="corrected applications: replace those with the same id, decided and ranked again",
    )
    al.add_argument("--audit", type=Path, metavar="PATH", help="write the changes as JSON Lines")
    return al


def _items(
    files: list[Path], fmt: str | None, unreadable: list[str]
) -> Iterator[tuple[str, Source | None, str | None]]:
    for file in files:
        try:
            for rec in read_records(file, fmt, shown=path_of(file)):
                yield rec.where, rec.data, rec.problem
        except UnreadableInput as exc:
            unreadable.append(str(exc))


def _withdrawn(values: list[str]) -> list[str]:
    ids: list[str] = []
    for value in values:
        path = Path(value)
        if path.is_file():
            ids += [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            ids += [v.strip() for v in value.split(",")]
    return sorted({i for i in ids if i})


def _previous(path: Path) -> dict[str, PreviousEntry]:
    found: dict[str, PreviousEntry] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableInput(f"{path_of(path)}: {exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            found[str(row["application_id"])] = (
                str(row["regency"]),
                str(row["status"]),
                row["rank"] if isinstance(row["rank"], int) else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise UnreadableInput(
                f"{path_of(path)}:{n}: not a line of allocate --format jsonl ({exc})"
            ) from None
    return found


def run(book: Any, args: argparse.Namespace) -> int:
    """Run ``allocate``; return 0, 1 (some records invalid) or 6 (a file unreadable)."""
    from bansos_rules.round._loader import load_round

    lang: Lang = args.lang
    round_ = load_round(args.round, book.registry)
    on = args.on or date.today()
    unreadable: list[str] = []
    corrected_ids: list[str] = []
    items: list[tuple[str, Source | None, str | None]] = list(
        _items(args.files, args.input_format, unreadable)
    )
    if args.corrected:
        fixes = list(_items(args.corrected, args.input_format, unreadable))
        by_id = {
            str(data.get("id")): (where, data, problem)
            for where, data, problem in fixes
            if isinstance(data, dict)
        }
        corrected_ids = sorted(by_id)
        items = [
            by_id.pop(str(data.get("id")), (where, data, problem))
            if isinstance(data, dict)
            else (where, data, problem)
            for where, data, problem in items
        ] + list(by_id.values())
    withdrawn = _withdrawn(args.withdraw)
    result: RoundResult
    if args.update:
        previous = _previous(args.update)
        result = update(
            book,
            items,
            previous,
            on=on,
            round=round_,
            engine=args.engine,
            withdrawn=withdrawn,
            corrected=corrected_ids,
        )
    else:
        result = allocate(book, items, on=on, round=round_, engine=args.engine, withdrawn=withdrawn)
    for bad in result.invalid:
        for problem in bad.problems:
            print(f"{bad.where}: {problem(lang)}", file=sys.stderr)
    for message in unreadable:
        print(f"error: {message}", file=sys.stderr)
    known = {e.application_id for e in result.entries}
    for app_id in withdrawn:
        if app_id not in known:
            print(say("unknown-withdrawn", lang, id=app_id), file=sys.stderr)
    if args.fmt == "jsonl":
        out = to_jsonl(result)
    elif args.fmt == "markdown":
        out = to_markdown(result, lang)
    elif args.fmt == "html":
        out = to_html(result, lang)
    else:
        out = to_text(result, lang, verbose=args.verbose)
    if args.output:
        args.output.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    if args.audit:
        args.audit.write_text(to_audit_jsonl(result.changes), encoding="utf-8")
    if unreadable:
        return 6
    return 1 if result.invalid else 0


def add_check_parser(sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``check-round`` command."""
    cr: argparse.ArgumentParser = sub.add_parser(
        "check-round",
        parents=[common],
        help="check a round file: it loads, and its declared properties hold on generated rounds",
    )
    cr.add_argument("file", nargs="?", type=Path, metavar="FILE", help="default: shipped round")
    cr.add_argument(
        "--examples", type=int, default=200, metavar="N", help="generated rounds per property"
    )
    return cr


def run_check(book: Any, args: argparse.Namespace) -> int:
    """Run ``check-round``; return 0, or 8 when a worked example or a property fails."""
    from bansos_rules.round._invariants import check_round
    from bansos_rules.round._loader import load_round

    lang: Lang = args.lang
    round_ = load_round(args.file, book.registry)
    failed = 0
    for example, wrong in round_.run_examples():
        mark = "ok" if not wrong else ("GAGAL" if lang == "id" else "FAILED")
        print(f"{mark:7}{round_.file}:{example.line}  {example.name}")
        for problem in wrong:
            print(f"        {problem}")
        failed += bool(wrong)
    for result in check_round(round_, max_examples=max(1, args.examples)):
        title = result.invariant.title.id if lang == "id" else result.invariant.title.en
        mark = "ok" if result.ok else ("GAGAL" if lang == "id" else "FAILED")
        print(f"{mark:7}{result.invariant.id}  {title}")
        if not result.ok and result.counterexample is not None:
            failed += 1
            s = result.counterexample
            print(f"        {result.problem}")
            print(f"        slots {s.slots}, budget {s.budget}, rows:")
            for row in s.rows:
                print(f"          {tuple(row)}")
    ok = len(round_.examples) + len(round_.invariants) - failed
    print(f"{round_.file}: {ok} ok, {failed} {'gagal' if lang == 'id' else 'failed'}")
    return 8 if failed else 0
