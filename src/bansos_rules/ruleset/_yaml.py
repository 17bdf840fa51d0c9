"""Safe YAML loading that remembers where every value came from.

PyYAML's composer gives each node its line and column; we walk the node tree ourselves so that every
mapping key is checked for duplicates and every value's position is kept, keyed by its path
(``("rules", 3, "check")``). Only the safe, plain YAML types are built: no tags that construct
objects, no merge keys, and a bound on size so that aliases cannot blow up memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from bansos_rules._errors import Diagnostic

__all__ = ["Located", "Position", "load_yaml"]

Path = tuple[str | int, ...]

MAX_NODES = 200_000
MAX_DEPTH = 64


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
    try:
        loader = _Loader(text)  # checks every character at once
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(exc, text, file)]
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "syntax error"
        if "nesting depth" in detail:  # libyaml's own limit on nested collections
            line = mark.line + 1 if mark else None
            column = mark.column + 1 if mark else None
            return None, [Diagnostic("yaml-too-large", {}, file=file, line=line, column=column)]
        return None, [
            Diagnostic(
                "yaml-syntax",
                {"detail": detail},
                file=file,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ]
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
        located.data = {}
        return located, []
    problems: list[Diagnostic] = []
    budget = [MAX_NODES]
    try:
        located.data = _build(root, (), located, loader, problems, budget)
    except _TooLarge as exc:
        pos = _position(exc.node)
        return None, [Diagnostic("yaml-too-large", {}, file=file, line=pos.line, column=pos.column)]
    if problems:
        return None, problems
    return located, []


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


_KINDS = {"timestamp": "date", "int": "whole number", "float": "number", "bool": "true/false"}


def _construct(
    node: yaml.ScalarNode, located: Located, loader: _Loader, problems: list[Diagnostic]
) -> Any:
    """The value of a plain YAML scalar; a problem (not a traceback) when it cannot be built.

    PyYAML raises ``ValueError`` for dates that do not exist (``2025-02-30``) and various errors
    for a tag that does not fit its text (``!!int ten``, ``!!seq x``).
    """
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, KeyError, OverflowError) as exc:
        # PyYAML leaves the node marked as in construction; an alias to it would then be
        # reported as "recursive". Unmark it, and report each bad node once.
        loader.recursive_objects.pop(node, None)
        kind = node.tag.rsplit(":", 1)[-1]
        reason = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)
        pos = _position(node)
        found = Diagnostic(
            "yaml-syntax",
            {"detail": f"'{node.value}' is not a valid {_KINDS.get(kind, kind)} ({reason})"},
            file=located.file,
            line=pos.line,
            column=pos.column,
        )
        if found not in problems:
            problems.append(found)
        return None


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _build(
    node: yaml.Node,
    path: Path,
    located: Located,
    loader: _Loader,
    problems: list[Diagnostic],
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or len(path) > MAX_DEPTH:
        raise _TooLarge(node)
    located.positions[path] = _position(node)
    if isinstance(node, yaml.ScalarNode):
        if node.tag.startswith("tag:yaml.org,2002:") and node.tag != "tag:yaml.org,2002:binary":
            return _construct(node, located, loader, problems)
        pos = _position(node)
        problems.append(
            Diagnostic(
                "yaml-unsupported",
                {"detail": f"tag {node.tag}"},
                file=located.file,
                line=pos.line,
                column=pos.column,
            )
        )
        return None
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(child, (*path, i), located, loader, problems, budget)
            for i, child in enumerate(node.value)
        ]
    assert isinstance(node, yaml.MappingNode)
    result: dict[Any, Any] = {}
    first_seen: dict[Any, Position] = {}
    for key_node, value_node in node.value:
        kpos = _position(key_node)
        if key_node.tag == "tag:yaml.org,2002:merge":
            problems.append(
                Diagnostic(
                    "yaml-unsupported",
                    {"detail": "merge key '<<'"},
                    file=located.file,
                    line=kpos.line,
                    column=kpos.column,
                )
            )
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(
                Diagnostic(
                    "yaml-unsupported",
                    {"detail": "a non-scalar mapping key"},
                    file=located.file,
                    line=kpos.line,
                    column=kpos.column,
                )
            )
            continue
        key = _construct(key_node, located, loader, problems)
        if not isinstance(key, str | int) or isinstance(key, bool):
            # Dates and booleans as keys are almost always a typo; keep keys as text.
            key = key_node.value
        if key in first_seen:
            problems.append(
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
        result[key] = _build(value_node, (*path, key), located, loader, problems, budget)
    return result
