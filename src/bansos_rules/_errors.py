"""The exceptions bansos-rules raises.

::

    BansosRulesError
    ├── InputError                 an application is invalid (every problem, with its field path)
    │   └── UnknownBusinessTypeError   the plan names a business type no plugin registered
    ├── RulesetError               ruleset files cannot be used (every problem, with file:line:col)
    ├── PluginError                a plugin failed to load, or a hook raised (names plugin and hook)
    ├── EngineUnavailableError     the engine asked for is not installed or cannot run here
    ├── UsageError                 a function was given an argument it cannot use (a ValueError)
    ├── UnreadableInput            a whole input file cannot be read (missing, not text, not its
    │   │                          format; the command line reports it and goes on)
    │   └── DiffSourceError        `diff`: a side is neither ruleset files nor a git revision
    │                              (bansos_rules.diff)
    └── StrategyArgumentError      a strategy was given a bad argument (bansos_rules.testing; also
                                   hypothesis's InvalidArgument)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bansos_rules._messages import Lang, render

__all__ = [
    "BansosRulesError",
    "Diagnostic",
    "EngineUnavailableError",
    "InputError",
    "PluginError",
    "RulesetError",
    "UnknownBusinessTypeError",
    "UsageError",
]


class BansosRulesError(Exception):
    """Base of every error raised by bansos-rules."""


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a ruleset file, with where it is and a message in Indonesian and English."""

    code: str
    args: dict[str, Any] = field(default_factory=dict)
    file: str = "<string>"
    line: int | None = None
    column: int | None = None
    rule: str | None = None
    source: str | None = field(default=None, compare=False)
    """The line of the file the problem is on, as written (shown under the message)."""

    @property
    def location(self) -> str:
        """``file:line:column`` (as much of it as is known)."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def message(self, lang: Lang = "en") -> str:
        """The message alone, in ``lang``."""
        return render(self.code, lang, **self.args)

    def format(self, lang: Lang = "en") -> str:
        """``file:line:col: [rule id] message (code)`` in ``lang``."""
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{self.location}: {rule}{self.message(lang)} ({self.code})"

    def excerpt(self) -> tuple[str, ...]:
        """The offending line and a caret under its column, ready to print (empty if unknown)."""
        if self.source is None or self.line is None:
            return ()
        number = f"{self.line} | "
        shown = neutral(self.source.rstrip("\r\n"))
        lines = [number + shown]
        if self.column is not None:
            lines.append(" " * (len(number) - 2) + "| " + " " * (self.column - 1) + "^")
        return tuple(lines)

    def with_source(self, lines: Sequence[str]) -> Diagnostic:
        """This diagnostic with its line of ``lines`` (the file's text, split) attached."""
        if self.line is None or not 0 < self.line <= len(lines) or self.source is not None:
            return self
        return replace(self, source=lines[self.line - 1])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with both languages."""
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "message": {"id": self.message("id"), "en": self.message("en")},
            "source": self.source,
        }


class RulesetError(BansosRulesError):
    """Ruleset files cannot be used; :attr:`diagnostics` lists every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format("en") for d in self.diagnostics))

    def format(self, lang: Lang = "en") -> str:
        """Every diagnostic on its own line, in ``lang``, with the offending line under it."""
        return "\n".join(
            "\n".join([d.format(lang), *("    " + x for x in d.excerpt())])
            for d in self.diagnostics
        )


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field of an input record."""

    path: str
    message: str
    value: Any = None
    message_id: str | None = None

    def text(self, lang: Lang = "en") -> str:
        """The message in ``lang`` (English when no Indonesian text is known)."""
        return self.message_id if lang == "id" and self.message_id else self.message


class InputError(BansosRulesError, ValueError):
    """An application is invalid; :attr:`problems` lists every field at fault."""

    def __init__(self, problems: Sequence[FieldProblem], *, source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(f"{p.path}: {p.message}" for p in self.problems))


class UnknownBusinessTypeError(InputError):
    """The plan names a business type that no plugin registered."""


class PluginError(BansosRulesError):
    """A plugin failed to load or one of its hooks raised; the message names both."""

    def __init__(self, plugin: str, hook: str | None, reason: str) -> None:
        self.plugin = plugin
        self.hook = hook
        self.reason = reason
        where = f'plugin "{plugin}"' + (f", hook {hook}" if hook else "")
        super().__init__(f"{where}: {reason}")


class EngineUnavailableError(BansosRulesError):
    """The engine asked for is not registered, not installed, or cannot run on this interpreter."""


class UsageError(BansosRulesError, ValueError):
    """A function was given an argument it cannot use; the message names it and why."""


_HIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


def neutral(text: str) -> str:
    """``text`` safe to print on a terminal: control and hidden characters shown as ``\\uXXXX``."""
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text.replace("\t", "    "))


def path_of(source: str | Path) -> str:
    """A path shown to users: relative to the working directory when it is below it."""
    p = Path(source)
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)
