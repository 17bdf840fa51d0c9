"""pytest plugin: every worked example in a ruleset file is a test item.

Registered through the ``pytest11`` entry point, so pytest loads it in every session of a project
that installs bansos-rules. Until pytest walks a ruleset file it should collect, it imports nothing
from the library and reads no file; it only adds its options.

Which files are collected (ini option ``bansos_rules_collect``):

``explicit`` (default)
    A YAML file named in the arguments pytest runs with (the command line, or ``testpaths`` when
    there are none), or lying directly in a directory named there. Sub-directories are not
    searched, as with ``bansos-rules --rulesets DIR``: ``pytest rulesets/`` runs every ruleset
    there, while ``pytest tests/`` leaves fixture rulesets in ``tests/broken/`` alone.
``all``
    Every ruleset file pytest walks.
``none``
    None.

Only files with a top-level ``ruleset:`` key are rulesets; other YAML files are ignored.

Collected files are loaded with :func:`bansos_rules.load_rules`, in collection order, each together
with the files collected before it: a file replaces the installed ruleset with the same id, and
every example is decided with the installed rulesets and all the collected files (aid values
depend on all of them), as ``bansos-rules examples --rulesets FILE...`` does. A file that cannot be
loaded, alone or together with the files before it, becomes one failing item, ``<file>::load``,
that lists the diagnostics.

Options: ``--bansos-engine NAME`` (the engine deciding the examples, default ``native``) and
``--bansos-lang id|en`` (the language of messages in reports; both by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from _pytest._code.code import TerminalRepr

    from bansos_rules._book import RuleBook
    from bansos_rules._decision import Decision, Finding, Text
    from bansos_rules._errors import Diagnostic
    from bansos_rules._examples import ExampleResult
    from bansos_rules.ruleset.ir import Example

__all__ = ["ExampleItem", "RulesetFile", "RulesetLoadItem"]

COLLECT_MODES = ("explicit", "all", "none")
"""Values of the ``bansos_rules_collect`` ini option."""

_SUFFIXES = (".yaml", ".yml")
# A top-level `ruleset:` key: at the start of a line, optionally quoted, after an optional BOM.
_RULESET_KEY = re.compile(rb"^(?:\xef\xbb\xbf)?[\"']?ruleset[\"']?[ \t]*:", re.MULTILINE)

_MONITORING_KEY = re.compile(rb"^(?:\xef\xbb\xbf)?[\"']?monitoring[\"']?[ \t]*:", re.MULTILINE)

_Lang = Literal["id", "en"] | None

_LABELS: dict[str, tuple[str, str]] = {
    "mismatch": (
        "contoh tidak menghasilkan keputusan yang diharapkan",
        "the example does not give the decision it expects",
    ),
    "context": (
        "diputuskan per {on} dengan mesin {engine} (aplikasi {application})",
        "decided as of {on} with engine {engine} (application {application})",
    ),
    "expected": ("diharapkan", "expected"),
    "actual": ("hasil", "actual"),
    "other_failed": (
        "aturan lain yang tidak lulus (tidak disebut dalam contoh):",
        "other rules that did not pass (not named in the example):",
    ),
    "cannot_load": ("ruleset tidak dapat dimuat", "the ruleset cannot be loaded"),
    "cannot_load_together": (
        "ruleset tidak dapat dimuat bersama {files}",
        "the ruleset cannot be loaded together with {files}",
    ),
    "cannot_decide": ("contoh tidak dapat diputuskan", "the example cannot be decided"),
}


def _label(key: str, lang: _Lang, **args: str) -> str:
    """A report label in ``lang``, or ``Indonesian / English`` when no language was chosen."""
    text_id, text_en = _LABELS[key]
    if lang == "id":
        return text_id.format(**args)
    if lang == "en":
        return text_en.format(**args)
    return f"{text_id.format(**args)} / {text_en.format(**args)}"


# --------------------------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--bansos-engine``, ``--bansos-lang`` and the ``bansos_rules_collect`` ini option."""
    group = parser.getgroup("bansos_rules", "bansos-rules: worked examples in ruleset files")
    group.addoption(
        "--bansos-engine",
        dest="bansos_engine",
        default="native",
        metavar="NAME",
        help="engine that decides the rulesets' worked examples (default: native)",
    )
    group.addoption(
        "--bansos-lang",
        dest="bansos_lang",
        choices=("id", "en"),
        default=None,
        help="language of messages in example reports (default: Indonesian and English)",
    )
    parser.addini(
        "bansos_rules_collect",
        help=(
            "which ruleset YAML files become tests: 'explicit' (named in the arguments or "
            "testpaths, or directly in a directory named there; the default), 'all' or 'none'"
        ),
        default="explicit",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check the ``bansos_rules_collect`` ini option."""
    mode = config.getini("bansos_rules_collect")
    if mode not in COLLECT_MODES:
        raise pytest.UsageError(
            f"bansos_rules_collect = {mode!r}: must be one of {', '.join(COLLECT_MODES)}"
        )
    config.stash[_STATE] = _State(mode=mode)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    """Collect ``file_path`` when it is a ruleset file this session should run."""
    if file_path.suffix not in _SUFFIXES:
        return None
    state = parent.config.stash.get(_STATE, None)
    if state is None or state.mode == "none":
        return None
    if state.mode == "explicit" and not state.named(parent.config, file_path):
        return None
    if not _is_ruleset(file_path):
        if _is_monitoring(file_path):
            from bansos_rules.monitoring._pytest import MonitoringFile

            return MonitoringFile.from_parent(parent, path=file_path)
        return None
    return RulesetFile.from_parent(parent, path=file_path)


def _is_monitoring(path: Path) -> bool:
    """Whether the YAML file is a monitoring ruleset (a top-level ``monitoring:`` key)."""
    try:
        return _MONITORING_KEY.search(path.read_bytes()) is not None
    except OSError:
        return False


def _is_ruleset(path: Path) -> bool:
    """Whether the YAML file has a top-level ``ruleset:`` key (an unreadable file does not)."""
    try:
        return _RULESET_KEY.search(path.read_bytes()) is not None
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Session state
# --------------------------------------------------------------------------------------------


@dataclass
class _State:
    """What the plugin knows in one session: the collected files and the book they make."""

    mode: str
    named_files: frozenset[Path] | None = None
    named_dirs: frozenset[Path] = frozenset()
    files: list[Path] = field(default_factory=list)
    """Collected ruleset files that loaded, in collection order."""
    book: RuleBook | None = None
    """The book of :attr:`files` and the installed rulesets they do not replace."""

    def named(self, config: pytest.Config, path: Path) -> bool:
        """Whether ``path`` is named in the arguments, or lies directly in a directory named."""
        if self.named_files is None:
            self._find_named(config)
        assert self.named_files is not None
        resolved = path.resolve()
        return resolved in self.named_files or resolved.parent in self.named_dirs

    def _find_named(self, config: pytest.Config) -> None:
        base = (
            config.invocation_params.dir
            if config.args_source is pytest.Config.ArgsSource.ARGS
            else config.rootpath
        )
        files: set[Path] = set()
        dirs: set[Path] = set()
        for arg in config.args:
            path = (base / arg.split("::", 1)[0]).resolve()
            if path.is_dir():
                dirs.add(path)
            else:
                files.add(path)
        self.named_files, self.named_dirs = frozenset(files), frozenset(dirs)

    def add(self, path: Path) -> RuleBook:
        """Load ``path`` together with the files loaded before it; the new book.

        :raises _CannotLoad: with the diagnostics, when the file cannot be loaded, or cannot be
            loaded together with the files collected before it.
        """
        from bansos_rules._api import load_rules
        from bansos_rules._errors import BansosRulesError

        try:
            book = load_rules([*self.files, path])
        except BansosRulesError as exc:
            if not self.files:
                raise _CannotLoad(exc, ()) from exc
            try:
                load_rules([path])
            except BansosRulesError as alone:
                raise _CannotLoad(alone, ()) from alone
            raise _CannotLoad(exc, tuple(self.files)) from exc
        self.files.append(path)
        self.book = book
        return book


_STATE = pytest.StashKey[_State]()


class _CannotLoad(Exception):
    """A ruleset file cannot be loaded (alone, or with the files in ``others``)."""

    def __init__(self, error: Exception, others: tuple[Path, ...]) -> None:
        super().__init__(str(error))
        self.error = error
        self.others = others


class _Mismatch(Exception):
    """An example's decision differs from what it expects."""

    def __init__(self, result: ExampleResult) -> None:
        super().__init__(result.location)
        self.result = result


# --------------------------------------------------------------------------------------------
# Collection nodes
# --------------------------------------------------------------------------------------------


class RulesetFile(pytest.File):
    """A ruleset YAML file: one item per worked example, or one failing item if it is broken."""

    def collect(self) -> Iterator[pytest.Item]:
        """Load the file with the rulesets loaded so far and yield an item per example."""
        try:
            book = self.config.stash[_STATE].add(self.path)
        except _CannotLoad as exc:
            yield RulesetLoadItem.from_parent(self, name="load", failure=exc)
            return
        ruleset = next(rs for rs in book.rulesets if rs.file == _shown(self.path))
        seen: set[str] = set()
        for index, example in enumerate(ruleset.examples):
            name = example.name
            if name in seen:
                name = f"{name} [line {example.line}]"
            seen.add(name)
            yield ExampleItem.from_parent(
                self, name=name, ruleset_id=ruleset.id, index=index, example=example
            )


def _shown(path: Path) -> str:
    from bansos_rules._errors import path_of

    return path_of(path)


class ExampleItem(pytest.Item):
    """One worked example: decide its application and compare with what it expects."""

    def __init__(self, *, ruleset_id: str, index: int, example: Example, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset_id = ruleset_id
        self.index = index
        self.example = example

    def runtest(self) -> None:
        """Decide the example with the session's rule book; raise when the decision differs."""
        from bansos_rules._examples import check_example

        book = self.config.stash[_STATE].book
        assert book is not None  # this item's file was loaded into it
        ruleset = next(rs for rs in book.rulesets if rs.id == self.ruleset_id)
        example = ruleset.examples[self.index]
        result = check_example(book, example, engine=self.config.getoption("bansos_engine"))
        if not result.ok:
            raise _Mismatch(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        """A readable report for a mismatch or a library error; a traceback for anything else."""
        from bansos_rules._errors import BansosRulesError, RulesetError

        lang: _Lang = self.config.getoption("bansos_lang")
        exc = excinfo.value
        if isinstance(exc, _Mismatch):
            return format_mismatch(exc.result, lang)
        where = f"{self.example.file}:{self.example.line}: {self.example.name}"
        if isinstance(exc, RulesetError):
            heading = _label("cannot_decide", lang)
            return f"{where}\n{heading}:\n{format_diagnostics(exc.diagnostics, lang)}"
        if isinstance(exc, BansosRulesError):
            return f"{where}\n{_label('cannot_decide', lang)}:\n  {exc}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The example's file and line, and its name followed by ``(file:line)``.

        The name does not end the node id, so pytest does not read its dots as ``::``.
        """
        ex = self.example
        line = ex.line - 1 if ex.line is not None else None
        return self.path, line, f"{self.name} ({ex.file}:{ex.line})"


class RulesetLoadItem(pytest.Item):
    """A ruleset file that cannot be loaded: one item that fails with every diagnostic."""

    def __init__(self, *, failure: _CannotLoad, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failure = failure

    def runtest(self) -> None:
        """Fail: the file could not be loaded."""
        raise _LoadFailed()

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | TerminalRepr:
        """The diagnostics, ``file:line:column: message (code)``, in the chosen language(s)."""
        from bansos_rules._errors import RulesetError

        if not isinstance(excinfo.value, _LoadFailed):
            return super().repr_failure(excinfo, style=style)
        lang: _Lang = self.config.getoption("bansos_lang")
        error, others = self.failure.error, self.failure.others
        if others:
            files = ", ".join(_shown(p) for p in others)
            heading = f"{_shown(self.path)}: {_label('cannot_load_together', lang, files=files)}"
        else:
            heading = f"{_shown(self.path)}: {_label('cannot_load', lang)}"
        if isinstance(error, RulesetError):
            return f"{heading}\n{format_diagnostics(error.diagnostics, lang)}"
        return f"{heading}\n  {error}"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The file and the line of its first diagnostic."""
        from bansos_rules._errors import RulesetError

        error = self.failure.error
        shown = _shown(self.path)
        lines = (
            [d.line for d in error.diagnostics if d.line is not None and d.file == shown]
            if isinstance(error, RulesetError)
            else []
        )
        return self.path, (lines[0] - 1 if lines else None), f"load ({shown})"


class _LoadFailed(Exception):
    """Raised by a :class:`RulesetLoadItem`; its report lists the diagnostics."""


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def format_diagnostics(diagnostics: Sequence[Diagnostic], lang: _Lang = None) -> str:
    """Every diagnostic as ``file:line:column: [rule] message (code)``, indented.

    With ``lang=None`` each diagnostic gets its location and code on one line and the message in
    Indonesian and English on the next two.
    """
    lines: list[str] = []
    for d in diagnostics:
        if lang is not None:
            lines.append(f"  {d.format(lang)}")
            continue
        rule = f" [{d.rule}]" if d.rule else ""
        lines.append(f"  {d.location}:{rule} ({d.code})")
        lines.append(f"      id: {d.message('id')}")
        lines.append(f"      en: {d.message('en')}")
    return "\n".join(lines)


def _text(text: Text, lang: _Lang) -> list[str]:
    if lang is not None:
        return [text(lang)]
    return [f"id: {text.id}", f"en: {text.en}"]


def _findings_by_rule(decision: Decision) -> dict[str, Finding]:
    """Every requirement finding, and the score findings for the planned business type."""
    found = {f.rule_id: f for f in decision.findings}
    for rec in decision.recommendations:
        if rec.business_type == decision.business_type:
            for f in rec.reasons:
                found.setdefault(f.rule_id, f)
    return found


def format_mismatch(result: ExampleResult, lang: _Lang = None) -> str:
    """Expected against actual, row by row, for an example whose decision differs.

    Rows that differ are marked ``X``; ``-`` is a value the example does not check. Every rule
    the example names is shown with its actual status and
    message; rules that did not pass but are not named in the example are listed after the table.
    """
    example, decision = result.example, result.decision
    expect = example.expect
    findings = _findings_by_rule(decision)
    rows: list[tuple[bool, str, str, str, Sequence[str]]] = []

    def row(name: str, want: object, got: object, notes: Sequence[str] = ()) -> None:
        checked = want is not None
        shown = str(want) if checked else "-"
        rows.append((checked and want != got, name, shown, str(got), notes))

    row("outcome", expect.outcome, decision.outcome.value)
    row("aid_value", expect.aid_value, decision.aid_value)
    for want, rule_ids in (("failed", expect.failed), ("passed", expect.passed)):
        for rid in rule_ids:
            finding = findings.get(rid)
            got = finding.status.value if finding is not None else "absent"
            message = _text(finding.message, lang) if finding is not None else []
            if finding is not None and finding.error:
                message.append(finding.error)
            row(rid, want, got, message)
    referrals = sorted(r.agency for r in decision.referrals)
    row("referrals", sorted(expect.referrals) if expect.referrals is not None else None, referrals)
    recs = decision.recommendations
    row("top_recommendation", expect.top_recommendation, recs[0].business_type if recs else None)

    width = max(len(r[1]) for r in rows)
    col = max(len(_label("expected", lang)), *(len(r[2]) for r in rows))
    context = _label(
        "context",
        lang,
        on=example.on.isoformat(),
        engine=decision.engine,
        application=decision.application_id,
    )
    out = [
        f"{result.location}: {_label('mismatch', lang)}",
        f"  {example.name}",
        f"  {context}",
        "",
        f"    {'':{width}}  {_label('expected', lang):{col}}  {_label('actual', lang)}",
    ]
    for differs, name, want, got, notes in rows:
        mark = "X" if differs else " "
        out.append(f"  {mark} {name:{width}}  {want:{col}}  {got}")
        out.extend(f"    {'':{width}}  {'':{col}}  {note}" for note in notes)
    named = {*expect.failed, *expect.passed}
    others = [f for f in decision.failed if f.rule_id not in named]
    if others:
        out.extend(["", f"  {_label('other_failed', lang)}"])
        for f in others:
            out.append(f"    {f.rule_id}: {f.status.value}")
            out.extend(f"      {line}" for line in _text(f.message, lang))
    if not any(differs for differs, *_ in rows):
        # check_example found a difference this table does not show: give its own words.
        out.extend(f"  {m}" for m in result.mismatches)
    return "\n".join(out)
