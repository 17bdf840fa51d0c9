"""Safe YAML loading that remembers where every value came from.

PyYAML's composer gives each node its line and column; we walk the node tree ourselves so that every
mapping key is checked for duplicates and every value's position is kept, keyed by its path
(``("rules", 3, "check")``). Only the safe, plain YAML types are built: no tags that construct
objects, no merge keys, and a bound on size so that aliases cannot blow up memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from bansos_rules.errors import Diagnostic

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


class _Loader(yaml.SafeLoader):
    """A SafeLoader that resolves plain scalars but never builds objects from tags."""


def _position(node: yaml.Node) -> Position:
    style = node.style if isinstance(node, yaml.ScalarNode) else None
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, style)


def load_yaml(text: str, file: str) -> tuple[Located | None, list[Diagnostic]]:
    """Parse ``text``; return the located data, or ``None`` and the problems that stopped it."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "syntax error"
        return None, [
            Diagnostic(
                "yaml-syntax",
                {"detail": detail},
                file=file,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("yaml-syntax", {"detail": str(exc)}, file=file)]
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
            return loader.construct_object(node, deep=True)
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
        key = loader.construct_object(key_node, deep=True)
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
