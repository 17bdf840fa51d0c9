"""How values and rule messages read: value formatting and message templates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bansos_rules._decision import Status, Text
from bansos_rules._messages import render

if TYPE_CHECKING:
    from bansos_rules.ruleset.ir import Rule

__all__ = ["Template", "format_value"]

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_.]*)(?::(rupiah))?\}")


def format_value(value: Any, spec: str, lang: str) -> str:
    """A value as shown in a message: rupiah with the language's digit grouping, yes/no, lists."""
    if isinstance(value, bool):
        return ("ya" if value else "tidak") if lang == "id" else ("yes" if value else "no")
    if isinstance(value, int):
        if spec != "rupiah" and abs(value) < 10_000:
            return str(value)  # years, ages, counts: no digit grouping
        grouped = f"{value:,}"
        if lang == "id":
            grouped = grouped.replace(",", ".")
        return "Rp" + grouped if spec == "rupiah" else grouped
    if isinstance(value, BaseModel):
        return ", ".join(
            f"{name} {format_value(v, spec, lang)}"
            for name, v in value
            if v is not None and v != ()
        )
    if isinstance(value, tuple | list):
        separator = "; " if value and isinstance(value[0], BaseModel) else ", "
        return separator.join(format_value(v, spec, lang) for v in value) or "-"
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return "-"
    return str(value)


@dataclass(frozen=True)
class Template:
    """A rule's message for one status, split once into literal text and placeholders."""

    parts: tuple[tuple[tuple[str, str | None, str], ...], ...]
    constant: Text | None
    status: Status

    @classmethod
    def of(cls, rule: Rule, status: Status) -> Template:
        """The message ``rule`` shows for ``status``: its reason, its passed text or its title."""
        if status is Status.FAILED:
            source = rule.reason
        elif status is Status.PASSED and rule.passed is not None:
            source = rule.passed
        else:
            source = rule.title
        parts = tuple(_split(text) for text in (source.id, source.en))
        constant = None
        if all(field is None for part in parts for _, field, _ in part):
            text_id, text_en = ("".join(p[0] for p in part) for part in parts)
            constant = cls._finish(status, text_id, text_en)
        return cls(parts, constant, status)

    @staticmethod
    def _finish(status: Status, text_id: str, text_en: str) -> Text:
        if status is Status.NOT_APPLICABLE:
            return Text(text_id + " (tidak berlaku)", text_en + " (not applicable)")
        if status is Status.ERROR:
            return Text(
                render("rule-error", "id", title=text_id), render("rule-error", "en", title=text_en)
            )
        return Text(text_id, text_en)

    @property
    def paths(self) -> tuple[str, ...]:
        """The placeholder paths the template fills in, in either language."""
        found = (path for part in self.parts for _, path, _ in part if path is not None)
        return tuple(dict.fromkeys(found))

    def fill(
        self, values: Mapping[str, Any], thresholds: Mapping[str, Any], context: Mapping[str, Any]
    ) -> Text:
        """The message with its placeholders filled from what the rule read and compared."""
        if self.constant is not None:
            return self.constant
        texts = []
        for lang, part in zip(("id", "en"), self.parts, strict=True):
            chunks = []
            for literal, path, spec in part:
                chunks.append(literal)
                if path is not None:
                    if path.startswith("params."):
                        value = thresholds.get(path[7:])
                    elif path in context:
                        value = context[path]
                    else:
                        value = values.get(path)
                    chunks.append(format_value(value, spec, lang))
            texts.append("".join(chunks))
        return self._finish(self.status, texts[0], texts[1])


def _split(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """``(literal, placeholder path or None, format spec)`` pieces of a message template."""
    pieces: list[tuple[str, str | None, str]] = []
    last = 0
    literal = ""
    for match in _PLACEHOLDER.finditer(template):
        literal += template[last : match.start()]
        last = match.end()
        whole = match.group(0)
        if whole in ("{{", "}}"):
            literal += whole[0]
            continue
        pieces.append((literal, match.group(1), match.group(2) or ""))
        literal = ""
    pieces.append((literal + template[last:], None, ""))
    return tuple(pieces)
