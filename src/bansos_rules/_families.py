"""Approvals by family card within one batch, kept in bounded memory.

One recipient per family card (KK) per round: rules see one application at a time, so a batch
notes every approval by KK and reports the cards approved more than once. A register can hold
millions of families; past a limit the notes move to a temporary SQLite file, so memory stays
flat whatever the size of the batch.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ApprovedFamilies"]

DEFAULT_LIMIT = 100_000
"""Family cards kept in memory before the notes move to disk (about 25 MB of Python objects)."""


class ApprovedFamilies:
    """The ids of the approved applications of each family card, in the order they came."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._limit = limit
        self._memory: dict[str, list[str]] = {}
        self._db: sqlite3.Connection | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def add(self, kk: str, application_id: str) -> None:
        """Note an approved application of family card ``kk``."""
        if self._db is None:
            ids = self._memory.get(kk)
            if ids is not None:
                ids.append(application_id)
                return
            if len(self._memory) < self._limit:
                self._memory[kk] = [application_id]
                return
            self._spill()
        assert self._db is not None
        self._db.execute("INSERT INTO approved (kk, id) VALUES (?, ?)", (kk, application_id))

    def repeated(self) -> Iterator[tuple[str, list[str]]]:
        """Each family card approved more than once, with its application ids, in the order
        the cards were first approved."""
        if self._db is None:
            for kk, ids in self._memory.items():
                if len(ids) > 1:
                    yield kk, ids
            return
        self._db.execute("CREATE INDEX approved_kk ON approved (kk)")
        rows = self._db.execute(
            "SELECT a.kk, a.id FROM approved AS a"
            " JOIN (SELECT kk, min(seq) AS first FROM approved GROUP BY kk HAVING count(*) > 1)"
            " AS r ON r.kk = a.kk ORDER BY r.first, a.seq"
        )
        current: str | None = None
        found: list[str] = []
        for kk, application_id in rows:
            if kk != current:
                if current is not None:
                    yield current, found
                current, found = kk, []
            found.append(application_id)
        if current is not None:
            yield current, found

    def close(self) -> None:
        """Remove the temporary file, if the notes moved to disk."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> ApprovedFamilies:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spill(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="bansos-rules-")
        db = sqlite3.connect(Path(self._folder.name) / "families.sqlite3")
        # Scratch notes for this run only: nothing to recover after a crash.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE approved (seq INTEGER PRIMARY KEY, kk TEXT NOT NULL, id TEXT)")
        db.executemany(
            "INSERT INTO approved (kk, id) VALUES (?, ?)",
            ((kk, i) for kk, ids in self._memory.items() for i in ids),
        )
        self._memory.clear()
        self._db = db
