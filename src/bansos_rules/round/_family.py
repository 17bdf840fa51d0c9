"""One approval per family card (KK) within a batch of decisions.

Rules see one application at a time, so two members of one family card decided in the same batch
can both be approved. :func:`family_findings` marks every approved application of a card after
the first with a :class:`FamilyFinding` naming the application that keeps the approval. "First" is
independent of the input order: the earliest date the application was decided for, then the
smallest application id.

:class:`FamilyBatch` does the same for a stream of decisions written out as they come (the
``evaluate`` command): lines are spooled to a temporary file, the approvals by card are noted in
bounded memory (:class:`bansos_rules._families.ApprovedFamilies`), and when the batch ends the
spool is copied out with the finding added to the lines of the applications that lose.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from bansos_rules._decision import Decision, Outcome, Text
from bansos_rules._families import ApprovedFamilies
from bansos_rules._messages import Lang
from bansos_rules.round._texts import text

__all__ = [
    "FAMILY_RULE",
    "FamilyBatch",
    "FamilyFinding",
    "family_findings",
    "family_key",
    "losers",
    "losers_of",
]

FAMILY_RULE = "batch.one_per_family"
"""The id of the finding, as it appears in the decision output."""


@dataclass(frozen=True, slots=True)
class FamilyFinding:
    """An approved application whose family card is already approved for another one."""

    application_id: str
    kk: str
    other: str
    """The application of the same card that keeps the approval."""

    @property
    def message(self) -> Text:
        """Why, in both languages."""
        return text("same-kk", kk=self.kk, other=self.other)

    def to_dict(self) -> dict[str, Any]:
        """The ``batch`` member added to the decision's JSON."""
        return {
            "outcome": Outcome.REJECTED.value,
            "findings": [
                {
                    "rule": FAMILY_RULE,
                    "status": "failed",
                    "kk": self.kk,
                    "other": self.other,
                    "message": {"id": self.message.id, "en": self.message.en},
                }
            ],
        }


def family_key(on: date, application_id: str) -> str:
    """How an approval is noted: sorting the keys of one card puts the keeper first."""
    return _key(on, application_id)


def _key(on: date, application_id: str) -> str:
    # Application ids never contain "|" (see Application.id): the key sorts by date, then id.
    return f"{on.isoformat()}|{application_id}"


def losers(families: ApprovedFamilies) -> dict[str, FamilyFinding]:
    """The findings for the approvals noted in ``families`` with :func:`family_key`."""
    return _losers(families)


def _losers(families: ApprovedFamilies) -> dict[str, FamilyFinding]:
    found: dict[str, FamilyFinding] = {}
    for kk, keys in families.repeated():
        ordered = sorted(keys)
        keeper = ordered[0].split("|", 1)[1]
        for key in ordered[1:]:
            app_id = key.split("|", 1)[1]
            found[app_id] = FamilyFinding(app_id, kk, keeper)
    return found


def losers_of(approved: Iterable[tuple[str, str, date]]) -> dict[str, FamilyFinding]:
    """The findings for ``(kk_number, application_id, decided_on)`` of approved applications."""
    with ApprovedFamilies() as families:
        for kk, app_id, on in approved:
            families.add(kk, _key(on, app_id))
        return _losers(families)


def family_findings(
    decisions: Iterable[tuple[str, Decision]],
) -> dict[str, FamilyFinding]:
    """The approved applications that share a family card with an earlier approved one.

    :param decisions: ``(kk_number, decision)`` pairs, in any order.
    :returns: a finding per losing application id; the same whatever the order of ``decisions``.
    """
    with ApprovedFamilies() as families:
        for kk, decision in decisions:
            if decision.outcome is Outcome.APPROVED:
                families.add(kk, _key(decision.on, decision.application_id))
        return _losers(families)


class FamilyBatch:
    """Decisions written out in input order, marked for one approval per family card at the end.

    :param out: where the lines finally go.
    :param fmt: ``jsonl`` or ``records`` (one JSON object per line, the finding added as the
        member ``batch``) or ``text`` (the finding appended to the explanation).
    :param lang: the language of the text format.
    """

    def __init__(self, out: IO[str], fmt: str, lang: Lang) -> None:
        self._out = out
        self._fmt = fmt
        self._lang = lang
        self._families = ApprovedFamilies()
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._count = 0

    def write(self, decision: Decision, kk: str, rendered: str) -> None:
        """Note ``decision`` (of family card ``kk``) and spool its rendered output."""
        approved = decision.outcome is Outcome.APPROVED
        self.note(decision.application_id, decision.on, approved, kk, rendered)

    def note(self, application_id: str, on: date, approved: bool, kk: str, rendered: str) -> None:
        """Note a decision given by its parts (an engine that decides in columns) and spool its
        rendered output."""
        app_id = ""
        if approved:
            app_id = application_id
            self._families.add(kk, _key(on, app_id))
        # One spooled entry per decision: its length and approved id first, so memory stays
        # flat and entries may hold newlines.
        self._spool.write(f"{len(rendered)} {app_id}\n{rendered}")
        self._count += 1

    def finish(self) -> list[FamilyFinding]:
        """Copy every decision to the output, marked where needed; return the findings."""
        losers = _losers(self._families)
        self._spool.seek(0)
        for _ in range(self._count):
            size, app_id = self._spool.readline().rstrip("\n").split(" ", 1)
            rendered = self._spool.read(int(size))
            finding = losers.get(app_id) if app_id else None
            if finding is not None:
                rendered = self._mark(rendered, finding)
            self._out.write(rendered)
        return sorted(losers.values(), key=lambda f: f.application_id)

    def _mark(self, rendered: str, finding: FamilyFinding) -> str:
        if self._fmt == "text":
            body = rendered.rstrip("\n")
            tail = rendered[len(body) :]
            return f"{body}\n  ✗ {FAMILY_RULE}: {finding.message(self._lang)}{tail}"
        line = rendered.rstrip("\n")
        extra = json.dumps(finding.to_dict(), ensure_ascii=False, separators=(",", ":"))
        return f'{line[:-1]},"batch":{extra}}}\n'

    def close(self) -> None:
        """Remove the spool and the notes."""
        self._spool.close()
        self._families.close()

    def __enter__(self) -> FamilyBatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
