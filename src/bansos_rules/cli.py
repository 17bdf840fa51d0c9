"""The ``bansos-rules`` command.

::

    bansos-rules evaluate FILE...   decide applications (JSON, JSON Lines, CSV)
    bansos-rules explain RECORDS... explain decision records written by evaluate --format records
    bansos-rules rulesets           list loaded rulesets (and check that they load)
    bansos-rules examples           run the rulesets' worked examples
    bansos-rules check [PATH...]    everything CI checks: lint, examples, invariants, coverage
    bansos-rules plugins            list plugins and what they contribute
    bansos-rules schema KIND        print the JSON Schema of an application or a ruleset file
    bansos-rules diff OLD [NEW]     compare two versions of the rulesets and their impact
    bansos-rules monitor COMMAND    monitoring after handover: enrol, ingest, status, alerts, report
    bansos-rules allocate FILE...   decide applications, then allocate the round
    bansos-rules check-round [FILE] check a round file and its declared properties
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from bansos_rules import __version__
from bansos_rules._api import load_rules
from bansos_rules._book import RuleBook
from bansos_rules._decision import Decision, Outcome
from bansos_rules._errors import (
    EngineUnavailableError,
    InputError,
    PluginError,
    RulesetError,
    path_of,
)
from bansos_rules._input_problems import LIMITS
from bansos_rules._io import DELIMITERS, Record, UnreadableInput, read_records
from bansos_rules._jsonscan import may_repeat_keys, quick_object
from bansos_rules._manager import load_plugins
from bansos_rules._messages import Lang, label
from bansos_rules._models import Application
from bansos_rules._safe_output import neutralise, safe_streams
from bansos_rules.explain import RecordError, UnknownDigestError, explain, record_json
from bansos_rules.round._family import FamilyBatch

__all__ = ["ExitCode", "main"]


class ExitCode(IntEnum):
    """What the command's exit status means."""

    OK = 0  # every record was decided (whatever the outcomes), or the command succeeded
    INVALID_RECORDS = 1  # some records were invalid and reported; every other record was decided
    USAGE = 2  # the command line was wrong
    RULESET_ERROR = 3  # a ruleset file is broken; each problem is reported with file:line:column
    PLUGIN_ERROR = 4  # a plugin failed to load or one of its hooks raised
    ENGINE_UNAVAILABLE = 5  # the engine asked for is not available here
    UNREADABLE_INPUT = 6  # an input file could not be read at all
    EXAMPLES_FAILED = 7  # some worked examples did not give the decision they expect
    CHECK_FAILED = 8  # `check` found errors (rulesets that do not load keep RULESET_ERROR)
    DECISIONS_CHANGED = 9  # `diff --fail-on-flip`: some decisions change outcome
    DIGEST_MISMATCH = 10  # `explain`: some records were made with rulesets other than those loaded
    INTERNAL_ERROR = 11  # a fault in bansos-rules or a plugin, not in the input
    CANNOT_WRITE = 12  # an output file (--output) cannot be written
    INTERRUPTED = 130  # stopped with Ctrl+C


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bansos-rules",
        description="Decide social-aid applications with editable rulesets.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--rulesets",
        action="append",
        default=[],
        metavar="PATH",
        help="ruleset file or directory to load too; replaces a plugin's ruleset of the same id",
    )
    common.add_argument(
        "--only",
        action="store_true",
        help="load only the --rulesets files, not the plugins' rulesets",
    )
    common.add_argument(
        "--block", action="append", default=[], metavar="PLUGIN", help="do not load this plugin"
    )
    common.add_argument(
        "--lang", choices=("id", "en"), default="id", help="language of messages (default: id)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ev = sub.add_parser("evaluate", parents=[common], help="decide applications in files")
    ev.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help=".json, .jsonl, .csv (.parquet)"
    )
    ev.add_argument(
        "--on",
        type=_date,
        help="date whose rules apply (default: each application's submitted_on, else today)",
    )
    ev.add_argument(
        "--format",
        choices=("text", "jsonl", "records"),
        default="text",
        dest="fmt",
        help="text (default), jsonl (explained decisions) or records (compact decision records)",
    )
    ev.add_argument(
        "--input-format",
        choices=("json", "jsonl", "csv", "parquet"),
        help="override detection (parquet: --engine columnar)",
    )
    _csv_options(ev)
    ev.add_argument("--engine", default="native", help="engine to use (default: native)")
    ev.add_argument("--verbose", "-v", action="store_true", help="also list rules that passed")
    ev.add_argument("--output", "-o", type=Path, help="write decisions here instead of stdout")

    xp = sub.add_parser(
        "explain", parents=[common], help="explain decision records (evaluate --format records)"
    )
    xp.add_argument("files", nargs="+", type=Path, metavar="RECORDS", help=".jsonl, or - for stdin")
    xp.add_argument("--format", choices=("text", "jsonl"), default="text", dest="fmt")
    xp.add_argument("--verbose", "-v", action="store_true", help="also list rules that passed")
    xp.add_argument("--output", "-o", type=Path, help="write explanations here instead of stdout")

    rs = sub.add_parser("rulesets", parents=[common], help="list loaded rulesets")
    rs.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")
    rs.add_argument("--verbose", "-v", action="store_true", help="also list rules and parameters")

    ex = sub.add_parser("examples", parents=[common], help="run the rulesets' worked examples")
    ex.add_argument("--engine", default="native")

    ck = sub.add_parser("check", parents=[common], help="check rulesets (what CI runs)")
    ck.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="like --rulesets")
    ck.add_argument("--format", choices=("text", "json", "junit"), default="text", dest="fmt")
    ck.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    ck.add_argument(
        "--min-coverage", type=_percent, metavar="PCT", help="coverage below is an error"
    )
    ck.add_argument(
        "--generated", type=_count, default=200, metavar="N", help="applications to generate"
    )
    ck.add_argument("--on", type=_date, help="date generated applications are decided on")
    ck.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("lint", "examples", "invariants", "engines", "coverage"),
        help="a kind of check not to run (repeatable)",
    )
    ck.add_argument("--strict", action="store_true", help="treat warnings as errors")
    ck.add_argument("--verbose", "-v", action="store_true", help="also list what passed")

    df = sub.add_parser("diff", help="compare two versions of the rulesets and their impact")
    df.add_argument("old", metavar="OLD", help="ruleset directory or file, or git REV[:path]")
    df.add_argument("new", nargs="?", metavar="NEW", help="the same (default: rulesets/)")
    population = df.add_mutually_exclusive_group()
    population.add_argument(
        "--applications", action="append", type=Path, metavar="FILE", help="compare on these"
    )
    population.add_argument(
        "--generate", type=_count, metavar="N", help="compare on N generated applications"
    )
    df.add_argument("--input-format", choices=("json", "jsonl", "csv"), help="override detection")
    _csv_options(df)
    df.add_argument("--seed", type=_count, default=0, help="seed of generated applications")
    df.add_argument("--on", type=_date, help="date whose rules apply on both sides")
    df.add_argument("--examples", type=_count, default=3, metavar="K", help="per kind of change")
    df.add_argument("--no-shrink", action="store_true", help="do not shrink generated examples")
    df.add_argument("--format", choices=("markdown", "json"), default="markdown", dest="fmt")
    df.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    df.add_argument(
        "--only", action="store_true", dest="files_only", help="no plugin rulesets on either side"
    )
    df.add_argument(
        "--block", action="append", default=[], metavar="PLUGIN", help="do not load this plugin"
    )
    df.add_argument("--lang", choices=("id", "en"), default="id", help="language of the report")
    df.add_argument(
        "--fail-on-flip", action="store_true", help="exit with 9 when a decision changes outcome"
    )
    df.add_argument(
        "--allocation",
        action="store_true",
        help="also allocate the round on --applications with each side: who enters and leaves",
    )

    pl = sub.add_parser("plugins", help="list plugins")
    pl.add_argument(
        "--block", action="append", default=[], metavar="PLUGIN", help="do not load this plugin"
    )
    pl.add_argument("--format", choices=("text", "json"), default="text", dest="fmt")

    from bansos_rules.monitoring._cli import add_monitor_parser

    add_monitor_parser(sub)

    sc = sub.add_parser("schema", help="print a JSON Schema")
    sc.add_argument("kind", choices=("application", "ruleset", "monitoring", "round"))

    from bansos_rules.round import _cli as round_cli

    round_cli.add_parser(sub, common, _date)
    round_cli.add_check_parser(sub, common)
    return parser


def _csv_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csv-delimiter",
        choices=("comma", "semicolon", "tab", "pipe"),
        help="CSV cell separator (default: sniffed from the header line)",
    )
    parser.add_argument(
        "--decimal-comma",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="CSV numbers written 4.500.000,00 (default: yes for ;-separated files)",
    )


def _csv_settings(args: argparse.Namespace) -> dict[str, Any]:
    names = ("comma", "semicolon", "tab", "pipe")
    delimiter = args.csv_delimiter and DELIMITERS[names.index(args.csv_delimiter)]
    return {"delimiter": delimiter, "decimal_comma": args.decimal_comma}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Whatever happens, no Python traceback reaches the user: a fault in the program itself is
    reported in one line, in both languages, with :attr:`ExitCode.INTERNAL_ERROR`.
    """
    safe_streams()
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "only", False) and not args.rulesets and not getattr(args, "paths", None):
        parser.error("--only needs --rulesets: with neither, no rule would be loaded")
    lang: Lang = getattr(args, "lang", "id")
    try:
        return _guarded(args)
    except KeyboardInterrupt:
        print(f"\n{label('interrupted', lang)}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception as exc:  # the guard: whatever went wrong, no traceback for the user
        _report_internal(exc, lang)
        return ExitCode.INTERNAL_ERROR


def _report_internal(exc: BaseException, lang: Lang) -> None:
    if os.environ.get("BANSOS_RULES_TRACEBACK"):
        traceback.print_exception(exc, file=sys.stderr)
    detail = neutralise(f"{type(exc).__name__}: {exc}")
    try:
        print(f"{label('internal_error', lang)}: {detail}", file=sys.stderr)
        print(label("internal_error_hint", lang), file=sys.stderr)
    except Exception:  # pragma: no cover - stderr itself is broken: the exit status still says it
        pass


def _guarded(args: argparse.Namespace) -> int:
    try:
        return int(_dispatch(args))
    except RulesetError as exc:
        print(exc.format(getattr(args, "lang", "id")), file=sys.stderr)
        return ExitCode.RULESET_ERROR
    except PluginError as exc:
        _error(f"error: {exc}")
        return ExitCode.PLUGIN_ERROR
    except EngineUnavailableError as exc:
        _error(f"error: {exc}")
        return ExitCode.ENGINE_UNAVAILABLE
    except UnreadableInput as exc:
        _error(f"error: {exc}")
        return ExitCode.UNREADABLE_INPUT
    except BrokenPipeError:
        _quiet_stdout()
        return ExitCode.OK
    except OSError as exc:
        if exc.filename is None:
            raise
        _error(f"{label('cannot_write', getattr(args, 'lang', 'id'))}: {exc}")
        return ExitCode.CANNOT_WRITE


def _quiet_stdout() -> None:
    """After the reader of stdout went away, make the interpreter's final flush silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _dispatch(args: argparse.Namespace) -> ExitCode:
    if args.command == "schema":
        return _schema(args.kind)
    if args.command == "plugins":
        return _plugins(args)
    if args.command == "diff":
        return _diff(args)
    if args.command == "check":
        return _check(args)
    if args.command == "monitor":
        from bansos_rules.monitoring._cli import run_monitor

        return ExitCode(run_monitor(args))
    book = load_rules(args.rulesets, block=args.block, plugin_rulesets=not args.only)
    if args.command == "rulesets":
        return _rulesets(book, args)
    if args.command == "examples":
        return _examples(book, args)
    if args.command == "explain":
        return _explain(book, args)
    if args.command in ("allocate", "check-round"):
        from bansos_rules.round import _cli as round_cli

        if args.command == "check-round":
            return ExitCode(round_cli.run_check(book, args))
        return ExitCode(round_cli.run(book, args))
    return _evaluate(book, args)


def _schema(kind: str) -> ExitCode:
    if kind == "application":
        schema = Application.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    elif kind == "monitoring":
        from bansos_rules.monitoring import monitoring_json_schema

        schema = monitoring_json_schema()
    elif kind == "round":
        from bansos_rules.round import round_json_schema

        schema = round_json_schema()
    else:
        from bansos_rules.ruleset.schema import ruleset_json_schema

        schema = ruleset_json_schema()
    print(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True))
    return ExitCode.OK


def _plugins(args: argparse.Namespace) -> ExitCode:
    plugins = load_plugins(block=args.block)
    registry, engines = plugins.collect()
    contributed: dict[str, list[str]] = {name: [] for name in plugins.info}
    for code, (_, plugin) in registry.business_types.items():
        contributed[plugin].append(f"business type {code}")
    for code, (_, plugin) in registry.agencies.items():
        contributed[plugin].append(f"agency {code}")
    for name, fn in registry.functions.items():
        contributed[fn.plugin].append(f"function {name}()")
    for source, plugin in registry.rulesets:
        contributed[plugin].append(f"ruleset file {path_of(str(source.path))}")
    if args.fmt == "json":
        rows = [
            {
                "name": info.name,
                "module": info.module,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "hooks": list(info.hooks),
                "contributes": contributed[info.name],
            }
            for info in plugins.info.values()
        ]
        print(json.dumps({"plugins": rows, "engines": list(engines)}, indent=2))
        return ExitCode.OK
    for info in sorted(plugins.info.values(), key=lambda i: not i.builtin):
        origin = info.distribution or "?"
        if info.version:
            origin += f" {info.version}"
        kind = "built-in" if info.builtin else "third-party"
        print(f"{info.name}  ({kind}; {info.module}; {origin})")
        for item in contributed[info.name]:
            print(f"    {item}")
    print(f"engines: {', '.join(engines)}")
    return ExitCode.OK


def _rulesets(book: RuleBook, args: argparse.Namespace) -> ExitCode:
    lang: Lang = args.lang
    if args.fmt == "json":
        rows = [
            {
                "id": rs.id,
                "title": {"id": rs.title.id, "en": rs.title.en},
                "version": rs.version,
                "plugin": rs.plugin,
                "file": rs.file,
                "digest": "sha256:" + rs.digest,
                "rules": [r.id for r in rs.rules],
                "parameters": sorted(rs.parameters),
                "examples": len(rs.examples),
            }
            for rs in book.rulesets
        ]
        print(json.dumps({"digest": book.digest, "rulesets": rows}, indent=2, ensure_ascii=False))
        return ExitCode.OK
    for rs in book.rulesets:
        title = rs.title.id if lang == "id" else rs.title.en
        print(f"{rs.id}  {title}")
        print(
            f"    plugin {rs.plugin} · {rs.file} · {len(rs.rules)} rules · "
            f"{len(rs.parameters)} parameters · {len(rs.examples)} examples · "
            f"sha256:{rs.digest[:12]}"
        )
        if args.verbose:
            for rule in rs.rules:
                rtitle = rule.title.id if lang == "id" else rule.title.en
                print(f"      rule  {rule.id} [{rule.kind}] {rtitle}")
            for name, param in rs.parameters.items():
                values = ", ".join(f"{p.start}: {p.value!r}" for p in param.periods)
                print(f"      param {name} = {values}")
    print(f"digest {book.digest}")
    return ExitCode.OK


def _examples(book: RuleBook, args: argparse.Namespace) -> ExitCode:
    from bansos_rules._examples import run_examples

    lang: Lang = args.lang
    counts: Counter[bool] = Counter()
    for result in run_examples(book, engine=args.engine):
        counts[result.ok] += 1
        mark = label("example_ok" if result.ok else "example_failed", lang)
        print(f"{mark:6}{result.location}  {result.example.name}")
        for problem in result.mismatches:
            print(f"        {problem}")
    print(f"{counts[True]} {label('passed', lang)}, {counts[False]} {label('failed', lang)}")
    return ExitCode.EXAMPLES_FAILED if counts[False] else ExitCode.OK


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return value


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _check(args: argparse.Namespace) -> ExitCode:
    from bansos_rules.check import run_check

    report = run_check(
        [*args.paths, *args.rulesets],
        block=args.block,
        plugin_rulesets=not args.only,
        generated=args.generated,
        on=args.on,
        min_coverage=args.min_coverage,
        strict=args.strict,
        skip=args.skip,
    )
    lang: Lang = args.lang
    if args.fmt == "json":
        text = report.to_json() + "\n"
    elif args.fmt == "junit":
        text = report.to_junit(lang)
    else:
        text = report.to_text(lang, verbose=args.verbose)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.output or args.fmt != "text":
        print(report.summary(lang), file=sys.stderr)
    if report.status == "ruleset_error":
        return ExitCode.RULESET_ERROR
    if report.status == "plugin_error":
        return ExitCode.PLUGIN_ERROR
    return ExitCode.OK if report.ok else ExitCode.CHECK_FAILED


def _diff(args: argparse.Namespace) -> ExitCode:
    from itertools import chain

    from bansos_rules import diff

    population: diff.Population | None
    records: list[Record] = []
    if args.allocation and not args.applications:
        print("error: --allocation needs --applications FILE", file=sys.stderr)
        return ExitCode.USAGE
    if args.applications:
        read: Iterator[Record] = chain.from_iterable(
            read_records(f, args.input_format, shown=path_of(f), **_csv_settings(args))
            for f in args.applications
        )
        if args.allocation:
            records = list(read)
            read = iter(records)
        population = read
    elif args.generate == 0:
        population = None
    else:
        count = diff.DEFAULT_GENERATED if args.generate is None else args.generate
        population = diff.Generated(count, args.seed, shrink=not args.no_shrink)
    report = diff.diff_report(
        args.old,
        args.new,
        population=population,
        on=args.on,
        examples=args.examples,
        only=args.files_only,
        block=args.block,
    )
    lang: Lang = args.lang
    for bad in report.impact.invalid if report.impact else ():
        print(neutralise(f"{bad.where}: {bad.problem(lang)}"), file=sys.stderr)
    text = diff.to_json(report) if args.fmt == "json" else diff.to_markdown(report, lang)
    if args.allocation:
        from bansos_rules.round._impact import diff_allocation

        found = diff_allocation(
            args.old,
            args.new or diff.default_new(),
            [(r.where, r.data, r.problem) for r in records],
            on=args.on or date.today(),
            block=args.block,
            only=args.files_only,
        )
        if args.fmt == "json":
            text = json.dumps(
                {**json.loads(text), "allocation": found.to_dict()}, indent=2, ensure_ascii=False
            )
            text += "\n"
        else:
            text += "\n" + found.to_markdown(lang)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return ExitCode.DECISIONS_CHANGED if args.fail_on_flip and report.flips else ExitCode.OK


def _records(
    args: argparse.Namespace, counts: Counter[str], fmt: str | None = None, *, raw: bool = False
) -> Iterator[Record]:
    """Every record of every input file; a file that cannot be read is reported and skipped."""
    csv_settings = _csv_settings(args) if hasattr(args, "csv_delimiter") else {}
    for file in args.files:
        try:
            yield from read_records(
                file, fmt or args.input_format, shown=path_of(file), raw=raw, **csv_settings
            )
        except UnreadableInput as exc:
            counts["unreadable"] += 1
            _error(f"error: {exc}")


def _error(line: str) -> None:
    """One line on stderr, with any control character of the input shown, not obeyed."""
    print(neutralise(line), file=sys.stderr)


def _evaluate(book: RuleBook, args: argparse.Namespace) -> ExitCode:
    if args.engine == "columnar":  # registers: read, decided and written in columns
        from bansos_rules.engines.columnar._cli import evaluate

        return ExitCode(evaluate(book, args))
    lang: Lang = args.lang
    out: TextIO = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    engine = book.engine(args.engine)
    counts: Counter[str] = Counter()
    # One recipient per family card per round: rules see one application at a time, so every
    # approval of a KK after its first (by date, then id: whatever the input order) is marked.
    families = FamilyBatch(out, args.fmt, lang)
    try:
        for record in _records(args, counts, raw=True):
            counts["records"] += 1
            on = args.on
            try:
                app = _application(book, record, counts, lang)
                if app is None:
                    continue
                on = on or app.submitted_on or date.today()
                decision = engine.decide(app, on)
            except RulesetError as exc:
                # No parameter value is in force on this record's date: it cannot be decided,
                # but the records around it can.
                counts["invalid"] += 1
                for d in exc.diagnostics:
                    _error(f"{record.where}: {label('no_rules_on', lang)} {on}: {d.format(lang)}")
                continue
            except Exception as exc:  # a fault deciding this record: the batch goes on
                counts["invalid"] += 1
                counts["internal"] += 1
                _error(
                    f"{record.where}: {label('internal_error', lang)}: {type(exc).__name__}: {exc}"
                )
                continue
            counts[decision.outcome.value] += 1
            families.write(decision, app.household.kk_number, _render(decision, args, lang, app))
        for found in families.finish():
            counts["same_kk"] += 1
            _error(f"{found.application_id}: {found.message(lang)}")
    finally:
        families.close()
        if args.output:
            out.close()
    _summary(counts, lang, sys.stderr if args.fmt != "text" or args.output else sys.stdout)
    if counts["internal"]:
        print(label("internal_error_hint", lang), file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
    if counts["unreadable"]:
        return ExitCode.UNREADABLE_INPUT
    return ExitCode.INVALID_RECORDS if counts["invalid"] else ExitCode.OK


_FAST_RECORD = min(LIMITS["text_chars"], LIMITS["list_items"])


def _application(
    book: RuleBook, record: Record, counts: Counter[str], lang: Lang
) -> Application | None:
    """The record as a valid application, or ``None`` after reporting why it is invalid."""
    if record.text is not None and len(record.text) <= _FAST_RECORD:
        # Valid JSON Lines records (nearly all) are validated straight from their text, by
        # pydantic's own JSON parser, which keeps the last of a repeated key: when the record
        # may repeat one, or is invalid, it is parsed again the strict way, so that its problems
        # are reported exactly as for every other input. A record that short cannot exceed the
        # reader's limits (LIMITS) on texts and lists; a longer one is always read the strict way.
        try:
            app = Application.model_validate_json(record.text)
            if not may_repeat_keys(record.text, app):
                return book.validate(app)
        except (ValidationError, InputError):
            pass
    record = record.parsed()
    if record.data is None:
        counts["invalid"] += 1
        _error(f"{record.where}: {record.message(lang)}")
        return None
    try:
        return book.validate(record.data)
    except InputError as exc:
        counts["invalid"] += 1
        for p in exc.problems:
            _error(f"{record.where}: {p.path}: {p.text(lang)}")
        return None


def _render(decision: Decision, args: argparse.Namespace, lang: Lang, app: Application) -> str:
    if args.fmt == "jsonl":
        return decision.to_json() + "\n"
    if args.fmt == "records":
        return record_json(decision) + "\n"
    return explain(decision, lang=lang, name=app.applicant.name, verbose=args.verbose) + "\n\n"


def _write(
    out: TextIO, decision: Decision, args: argparse.Namespace, lang: Lang, name: str | None
) -> None:
    if args.fmt == "jsonl":
        out.write(decision.to_json() + "\n")
    elif args.fmt == "records":
        out.write(record_json(decision) + "\n")
    else:
        out.write(explain(decision, lang=lang, name=name, verbose=args.verbose) + "\n\n")


def _explain(book: RuleBook, args: argparse.Namespace) -> ExitCode:
    """Decision records back into explanations, with the manifest of the loaded rulesets."""
    lang: Lang = args.lang
    manifest = book.layout.manifest
    out: TextIO = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    counts: Counter[str] = Counter()
    try:
        for record in _records(args, counts, "jsonl", raw=True):
            counts["records"] += 1
            # Records as evaluate writes them are read by the standard decoder alone; any other
            # line is read the careful way, and its problem reported like an application's.
            data = quick_object(record.text) if record.text is not None else None
            if data is None:
                record = record.parsed()
                data = record.data
            where = record.where
            if data is None:
                counts["invalid"] += 1
                _error(f"{where}: {record.message(lang)}")
                continue
            try:
                decision = Decision.from_record(data, manifest)
            except UnknownDigestError as exc:
                counts["invalid"] += 1
                counts["mismatched"] += 1
                _error(f"{where}: {exc.text(lang)}")
                continue
            except RecordError as exc:
                counts["invalid"] += 1
                _error(f"{where}: {exc.text(lang)}")
                continue
            except Exception as exc:  # a fault explaining this record: the others go on
                counts["invalid"] += 1
                counts["internal"] += 1
                _error(f"{where}: {label('internal_error', lang)}: {type(exc).__name__}: {exc}")
                continue
            counts[decision.outcome.value] += 1
            _write(out, decision, args, lang, None)
    finally:
        if args.output:
            out.close()
    _summary(counts, lang, sys.stderr if args.fmt != "text" or args.output else sys.stdout)
    if counts["internal"]:
        print(label("internal_error_hint", lang), file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
    if counts["unreadable"]:
        return ExitCode.UNREADABLE_INPUT
    if counts["mismatched"]:
        return ExitCode.DIGEST_MISMATCH
    return ExitCode.INVALID_RECORDS if counts["invalid"] else ExitCode.OK


def _summary(counts: Counter[str], lang: Lang, stream: TextIO) -> None:
    decided = sum(counts[o.value] for o in Outcome)
    parts = ", ".join(f"{counts[o.value]} {label(o.value, lang).lower()}" for o in Outcome)
    unreadable = ""
    if counts["unreadable"]:
        unreadable = f"; {counts['unreadable']} {label('unreadable_files', lang)}"
    print(
        f"{label('summary', lang)}: {counts['records']} {label('records', lang)} = "
        f"{decided} {label('decided', lang)} ({parts}) + "
        f"{counts['invalid']} {label('invalid', lang)}{unreadable}",
        file=stream,
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
