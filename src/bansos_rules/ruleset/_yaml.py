"""Safe YAML loading that remembers where every value came from.

PyYAML's composer gives each node its line and column; we walk the node tree ourselves so that every
mapping key is checked for duplicates and every value's position is kept, keyed by its path
(``("rules", 3, "check")``). Only the safe, plain YAML types are built: no tags that construct
objects, no merge keys, and a bound on size so that aliases cannot blow up memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from bansos_rules._errors import Diagnostic, RulesetError

__all__ = [
    "MAX_FILE_BYTES",
    "Located",
    "Position",
    "decode_ruleset",
    "lines_shown",
    "load_yaml",
    "read_ruleset_file",
]

Path = tuple[str | int, ...]

MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_FILE_BYTES = 1_000_000
"""The largest ruleset file accepted (the built-in ones are 10-40 KB)."""
MAX_INT = 2**63 - 1
"""The largest whole number a ruleset may write (64-bit, as the engines and records store it)."""


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a file; ``style`` is the YAML scalar style, if a scalar."""

    line: int
    column: int
    style: str | None = None


@dataclass
class Located:
    """Plain data loaded from YAML, with the position of every value and of every mapping key."""

    data: Any
    file: str
    positions: dict[Path, Position] = field(default_factory=dict)
    key_positions: dict[Path, Position] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> Position | None:
        """The position of ``path``, or of its nearest enclosing value that has one."""
        table = self.key_positions if key else self.positions
        p = tuple(path)
        if key and p in table:
            return table[p]
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get(())

    def diagnostic(
        self, code: str, path: Path, *, key: bool = False, rule: str | None = None, **args: Any
    ) -> Diagnostic:
        """A :class:`Diagnostic` located at ``path`` in this file."""
        pos = self.where(path, key=key)
        return Diagnostic(
            code=code,
            args=args,
            file=self.file,
            line=pos.line if pos else None,
            column=pos.column if pos else None,
            rule=rule,
        )


# libyaml's parser where PyYAML was built with it (its wheels are); the pure Python one otherwise.
# (An if statement, not a conditional expression: mypy needs a plain alias for a base class.)
if TYPE_CHECKING or not yaml.__with_libyaml__:  # noqa: SIM108
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = yaml.CSafeLoader


class _Loader(_SafeLoader):
    """A safe loader (libyaml's parser: loading the built-in rulesets takes a third of the pure
    Python parser's time) that resolves plain scalars but never builds objects from tags."""


def _position(node: yaml.Node) -> Position:
    style = node.style if isinstance(node, yaml.ScalarNode) else None
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, style)


def load_yaml(text: str, file: str) -> tuple[Located | None, list[Diagnostic]]:
    """Parse ``text``; return the located data, or ``None`` and the problems that stopped it."""
    if len(text) > MAX_FILE_BYTES:
        return None, [
            _too_big(len(text.encode("utf-8")), text.count("\n", 0, MAX_FILE_BYTES) + 1, file)
        ]
    hidden = _scan(text, file)
    if hidden is not None:
        return None, [hidden]
    try:
        loader = _Loader(text)  # checks every character at once
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, file)]
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, file)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, file)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("yaml-syntax", {"detail": str(exc)}, file=file)]
    except RecursionError:
        # PyYAML composes nested collections recursively: '[[[[...' runs out of stack.
        mark = loader.get_mark()
        return None, [
            Diagnostic("yaml-too-large", {}, file=file, line=mark.line + 1, column=mark.column + 1)
        ]
    finally:
        loader.dispose()
    located = Located(data=None, file=file)
    if root is None:
        return None, [Diagnostic("file-empty", {}, file=file, line=1, column=1)]
    problems: list[Diagnostic] = []
    budget = [MAX_NODES]
    try:
        located.data = _build(root, (), located, _Context(text, loader, problems), budget)
    except _TooLarge as exc:
        pos = _position(exc.node)
        return None, [Diagnostic("yaml-too-large", {}, file=file, line=pos.line, column=pos.column)]
    if problems:
        return None, problems
    return located, []


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Diagnostic:
    """What the parser stopped at, said the way an analyst can act on it, at its place.

    The common slips of hand-edited YAML each get their own message: a tab in the indentation,
    a quote or bracket left open (shown where it opens), and keys out of line.
    """
    problem = exc.problem or ""
    context = exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    opened = exc.context_mark or mark

    def at(code: str, where: Any, **args: Any) -> Diagnostic:
        line = where.line + 1 if where is not None else None
        column = where.column + 1 if where is not None else None
        return Diagnostic(code, args, file=file, line=line, column=column)

    if "nesting depth" in problem:  # libyaml's own limit on nested collections
        return at("yaml-too-large", mark)
    if mark is not None:
        row = text.split("\n")[mark.line] if mark.line < text.count("\n") + 1 else ""
        indent = row[: len(row) - len(row.lstrip(" \t"))]
        if "\t" in indent or row[mark.column : mark.column + 1] == "\t":
            tab = exc.problem_mark
            column = (row.index("\t") if "\t" in row else mark.column) + 1
            return Diagnostic("yaml-tab", {}, file=file, line=(tab or mark).line + 1, column=column)
    if "quoted scalar" in context:
        quote = text[opened.index] if opened is not None and opened.index < len(text) else "'"
        return at("yaml-unclosed-quote", opened, quote=quote)
    for closing, opening in (("]", "["), ("}", "{")):
        if f"',' or '{closing}'" in problem:
            return at("yaml-unclosed-bracket", opened, bracket=opening, closing=closing)
    if any(
        hint in problem
        for hint in (
            "mapping values are not allowed",
            "did not find expected key",
            "expected '-' indicator",
            "expected <block end>",
            "could not find expected ':'",
        )
    ):
        return at("yaml-indent", mark, detail=problem)
    return at("yaml-syntax", mark, detail=problem or context or "syntax error")


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> Diagnostic:
    """A character YAML does not accept (a control character), at its line and column."""
    before = text[: exc.position]
    line = len(re.findall(r"\r\n|\r|\n|\x85|\u2028|\u2029", before)) + 1
    start = max(before.rfind(c) for c in "\r\n\x85\u2028\u2029") + 1
    return Diagnostic(
        "yaml-syntax",
        {"detail": f"character #x{exc.character:04x} is not allowed ({exc.reason})"},
        file=file,
        line=line,
        column=exc.position - start + 1,
    )


def decode_ruleset(data: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    """The text of a ruleset file's bytes; or ``None`` and why not (too large, not UTF-8)."""
    if len(data) > MAX_FILE_BYTES:
        return None, [_too_big(len(data), data.count(b"\n", 0, MAX_FILE_BYTES) + 1, file)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        return None, [
            Diagnostic("file-not-utf8", {"byte": byte}, file=file, line=line, column=column)
        ]


def read_ruleset_file(path: Any, shown: str) -> str:
    """The text of the ruleset file at ``path`` (a path or an importlib resource).

    :raises RulesetError: when it cannot be read, is over :data:`MAX_FILE_BYTES` or is not UTF-8,
        at the line where that is found.
    """
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)  # one byte past the limit says it is too large
    except OSError as exc:
        raise RulesetError(
            [Diagnostic("yaml-syntax", {"detail": f"cannot read: {exc}"}, file=shown)]
        ) from None
    text, problems = decode_ruleset(data, shown)
    if text is None:
        raise RulesetError(problems)
    return text


@contextmanager
def lines_shown(text: str) -> Iterator[None]:
    """Attach to every diagnostic raised inside the block the line of ``text`` it is on."""
    try:
        yield
    except RulesetError as exc:
        lines = text.split("\n")
        raise RulesetError([d.with_source(lines) for d in exc.diagnostics]) from None


def _scan(text: str, file: str) -> Diagnostic | None:
    """The first character anywhere in the file (comments too) that hides or reorders text."""
    text = text.removeprefix("\ufeff")  # a byte-order mark opens the file, it hides nothing
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.isprintable():
            continue
        for column, ch in enumerate(line, start=1):
            found = hidden_character(ch)
            if found is not None:
                return Diagnostic(
                    "text-deceptive", {"char": found}, file=file, line=number, column=column
                )
    return None


def _too_big(size: int, line: int, file: str) -> Diagnostic:
    return Diagnostic(
        "file-too-large", {"size": size, "limit": MAX_FILE_BYTES}, file=file, line=line, column=1
    )


_KINDS = {"timestamp": "date", "int": "whole number", "float": "number", "bool": "true/false"}
_INT_TAG = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(slots=True)
class _Context:
    """What building the data needs besides the node: the text, the loader, the problems."""

    text: str
    loader: _Loader
    problems: list[Diagnostic]

    def problem(self, code: str, node: yaml.Node, file: str, **args: Any) -> None:
        pos = _position(node)
        found = Diagnostic(code, args, file=file, line=pos.line, column=pos.column)
        if found not in self.problems:
            self.problems.append(found)


def _int_problem(node: yaml.ScalarNode) -> tuple[str, dict[str, Any]] | None:
    """Why a scalar YAML reads as a whole number cannot be one here, if it cannot.

    YAML 1.1 reads ``0x1F``, ``0o17``, ``017`` (octal), ``0b101``, ``1_000`` and ``1:30`` (base
    60) as numbers: a ruleset writes whole numbers only in plain decimal, so none of these
    silently becomes a different number than the one an analyst reads.
    """
    text = node.value
    if not _DECIMAL.fullmatch(text):
        return "yaml-number-form", {"text": text}
    digits = text.lstrip("+-")
    if len(digits) > 19 or int(text) > MAX_INT or int(text) < -MAX_INT:
        return "yaml-number-range", {
            "text": text if len(text) <= 30 else text[:27] + "...",
            "limit": MAX_INT,
        }
    return None


def hidden_character(text: str) -> str | None:
    """The first character of ``text`` that hides or reorders what a reader sees, if any.

    Control characters (ANSI escapes start with one), format characters (bidirectional overrides,
    zero-width spaces and joiners), line and paragraph separators, private-use and unassigned
    characters.
    """
    for ch in text:
        if ch.isprintable() or ch in _ALLOWED_CONTROLS or ch == " ":
            continue
        category = unicodedata.category(ch)
        if category in ("Zs",):  # other spaces are visible as space
            continue
        name = unicodedata.name(ch, "")
        return f"U+{ord(ch):04X}" + (f" {name}" if name else "")
    return None


def _construct(node: yaml.ScalarNode, located: Located, ctx: _Context) -> Any:
    """The value of a plain YAML scalar; a problem (not a traceback) when it cannot be built.

    PyYAML raises ``ValueError`` for dates that do not exist (``2025-02-30``) and various errors
    for a tag that does not fit its text (``!!int ten``, ``!!seq x``).
    """
    if node.tag == _INT_TAG:
        bad = _int_problem(node)
        if bad is not None:
            ctx.problem(bad[0], node, located.file, **bad[1])
            return None
    try:
        value = ctx.loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, OverflowError) as exc:
        # PyYAML leaves the node marked as in construction; an alias to it would then be
        # reported as "recursive". Unmark it, and report each bad node once.
        ctx.loader.recursive_objects.pop(node, None)
        kind = node.tag.rsplit(":", 1)[-1]
        reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
        ctx.problem(
            "yaml-syntax",
            node,
            located.file,
            detail=f"'{node.value}' is not a valid {_KINDS.get(kind, kind)} ({reason})",
        )
        return None
    if isinstance(value, str):
        hidden = hidden_character(value)
        if hidden is not None:
            ctx.problem("text-deceptive", node, located.file, char=hidden)
            return None
    return value


def _tagged(text: str, node: yaml.Node) -> str | None:
    """The explicit tag written on ``node`` (``!!str``, ``!foo``), if one is.

    The composer resolves every node to a tag, so an explicit one is found in the text: a node's
    start is its properties (an anchor and a tag, in either order) when it has any.
    """
    at = node.start_mark.index
    for _ in range(2):
        if text.startswith("!", at):
            end = at
            while end < len(text) and not text[end].isspace() and text[end] not in ",[]{}":
                end += 1
            return text[at:end]
        if not text.startswith("&", at):
            return None
        while at < len(text) and not text[at].isspace():
            at += 1
        while at < len(text) and text[at] in " \t":
            at += 1
    return None


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _build(node: yaml.Node, path: Path, located: Located, ctx: _Context, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or len(path) > MAX_DEPTH:
        raise _TooLarge(node)
    located.positions[path] = _position(node)
    tag = _tagged(ctx.text, node)
    if tag is not None:
        ctx.problem("yaml-unsupported", node, located.file, detail=f"tag {tag}")
        return None
    if isinstance(node, yaml.ScalarNode):
        return _construct(node, located, ctx)
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(child, (*path, i), located, ctx, budget) for i, child in enumerate(node.value)
        ]
    assert isinstance(node, yaml.MappingNode)
    result: dict[Any, Any] = {}
    first_seen: dict[Any, Position] = {}
    for key_node, value_node in node.value:
        kpos = _position(key_node)
        if key_node.tag == "tag:yaml.org,2002:merge":
            ctx.problem("yaml-unsupported", key_node, located.file, detail="merge key '<<'")
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            ctx.problem(
                "yaml-unsupported", key_node, located.file, detail="a non-scalar mapping key"
            )
            continue
        key_tag = _tagged(ctx.text, key_node)
        if key_tag is not None:
            ctx.problem("yaml-unsupported", key_node, located.file, detail=f"tag {key_tag}")
            continue
        key = _construct(key_node, located, ctx)
        if not isinstance(key, str | int) or isinstance(key, bool):
            # Dates and booleans as keys are almost always a typo; keep keys as text.
            key = key_node.value
        if key in first_seen:
            ctx.problems.append(
                Diagnostic(
                    "duplicate-key",
                    {"key": key, "first_line": first_seen[key].line},
                    file=located.file,
                    line=kpos.line,
                    column=kpos.column,
                )
            )
            continue
        first_seen[key] = kpos
        located.key_positions[(*path, key)] = kpos
        result[key] = _build(value_node, (*path, key), located, ctx, budget)
    return result
