"""The event store: an append-only log of monitoring events and the enrolled cases.

:class:`Store` is the interface; :class:`SQLiteStore` implements it on SQLite in WAL mode (the
embedded default, standard library only). A PostgreSQL backend implements the same methods (see
the developer guide): the schema is plain SQL, idempotence is a unique key on ``event_id``, and
durability is the commit.

Guarantees of :meth:`Store.append`:

* **append-only**: events are only ever inserted (triggers refuse ``UPDATE`` and ``DELETE``);
* **idempotent by event_id**: an event sent again with the same content is counted once; a
  different event under a used id is refused (:class:`EventConflict`, in the result) and the
  stored one stays;
* **acknowledged only when durable**: the call returns after the transaction holding the events
  is committed with ``synchronous=FULL`` (the WAL is fsynced), so an event reported as stored
  survives a crash or ``SIGKILL`` of the process right after.

The schema is created and migrated by the library: ``PRAGMA user_version`` holds the schema
version and :data:`MIGRATIONS` the steps from each version to the next, applied in one
transaction when a store is opened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from bansos_rules._errors import BansosRulesError
from bansos_rules.monitoring._events import (
    Closure,
    Handover,
    Training,
    Visit,
    event_json,
    parse_event_json,
)
from bansos_rules.monitoring._ruleset import CaseInfo

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AppendResult",
    "EnrolledCase",
    "EventConflict",
    "SQLiteStore",
    "Store",
    "StoreError",
    "open_store",
]

AnyEvent = Handover | Visit | Training | Closure


class StoreError(BansosRulesError):
    """The store cannot be opened or used (names the file and why)."""


@dataclass(frozen=True)
class EnrolledCase:
    """A case: an approved application awaiting or past handover."""

    info: CaseInfo
    enrolled_on: date
    aid_value: int = 0


@dataclass(frozen=True)
class EventConflict:
    """An event whose id is already used by a different event."""

    event_id: str
    stored: str
    sent: str


@dataclass
class AppendResult:
    """What one durable append did."""

    stored: int = 0
    duplicates: int = 0
    conflicts: list[EventConflict] = field(default_factory=list)
    unknown_cases: list[str] = field(default_factory=list)
    total: int = 0
    """Events in the store after the commit."""


class Store(Protocol):
    """What the monitoring commands need of an event store."""

    def enrol(self, cases: Iterable[EnrolledCase]) -> int:
        """Register cases (an already enrolled application is left as it is); how many were new."""
        ...

    def cases(self) -> Iterator[EnrolledCase]:
        """Every enrolled case, by application id."""
        ...

    def append(self, events: Sequence[AnyEvent]) -> AppendResult:
        """Store events in one durable transaction; returns only after the commit."""
        ...

    def events(self) -> Iterator[AnyEvent]:
        """Every stored event, in the order stored."""
        ...

    def count(self) -> int:
        """How many events are stored."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


SCHEMA_VERSION = 2

MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 0 -> 1: cases and the event log.
    0: (
        """CREATE TABLE cases (
            application_id TEXT PRIMARY KEY,
            regency TEXT NOT NULL,
            business_type TEXT NOT NULL,
            sex TEXT NOT NULL,
            enrolled_on TEXT NOT NULL
        )""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            application_id TEXT NOT NULL REFERENCES cases(application_id),
            date TEXT NOT NULL,
            type TEXT NOT NULL,
            body TEXT NOT NULL
        )""",
        """CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
           BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
           BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
    ),
    # 1 -> 2: the aid value decided at enrolment, for reports.
    1: ("ALTER TABLE cases ADD COLUMN aid_value INTEGER NOT NULL DEFAULT 0",),
}
"""SQL steps from each schema version to the next."""


class SQLiteStore:
    """The event store in one SQLite file, in WAL mode with ``synchronous=FULL``."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no such store (run `monitor enrol` first)")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        self._known: set[str] | None = None
        self._count: int | None = None  # events stored, kept up to date by append

    def _migrate(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {version} is newer than this library's "
                    f"({SCHEMA_VERSION}); upgrade bansos-rules"
                )
            while version < SCHEMA_VERSION:
                for statement in MIGRATIONS[version]:
                    db.execute(statement)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @property
    def version(self) -> int:
        """The schema version of the file."""
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        return int(version)

    # cases ---------------------------------------------------------------------------------
    def enrol(self, cases: Iterable[EnrolledCase]) -> int:
        rows = [
            (
                c.info.application_id,
                c.info.regency,
                c.info.business_type,
                c.info.sex,
                c.enrolled_on.isoformat(),
                c.aid_value,
            )
            for c in cases
        ]
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            before = db.total_changes
            db.executemany(
                "INSERT INTO cases (application_id, regency, business_type, sex, enrolled_on,"
                " aid_value) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(application_id) DO NOTHING",
                rows,
            )
            added = db.total_changes - before
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._known = None
        return added

    def cases(self) -> Iterator[EnrolledCase]:
        for app_id, regency, btype, sex, enrolled, aid in self._db.execute(
            "SELECT application_id, regency, business_type, sex, enrolled_on, aid_value"
            " FROM cases ORDER BY application_id"
        ):
            yield EnrolledCase(
                CaseInfo(app_id, regency, btype, sex), date.fromisoformat(enrolled), aid
            )

    # events --------------------------------------------------------------------------------
    def append(self, events: Sequence[AnyEvent]) -> AppendResult:
        result = AppendResult()
        if self._known is None:
            self._known = {row[0] for row in self._db.execute("SELECT application_id FROM cases")}
        rows = []
        for event in events:
            if event.application_id not in self._known:
                result.unknown_cases.append(event.event_id)
                continue
            day = event.date.isoformat()
            rows.append((event.event_id, event.application_id, day, event.type, event_json(event)))
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if self._count is None:
                self._count = self._count_rows()
            (last,) = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            before = db.total_changes
            db.executemany(
                "INSERT INTO events (event_id, application_id, date, type, body)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(event_id) DO NOTHING",
                rows,
            )
            result.stored = db.total_changes - before
            if result.stored < len(rows):
                self._sort_out(rows, last, result)
            total = self._count + result.stored
            db.execute("COMMIT")  # synchronous=FULL: durable when this returns
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            self._count = None
            raise
        self._count = total
        result.total = total
        return result

    def _sort_out(
        self, rows: Sequence[tuple[str, str, str, str, str]], last: int, result: AppendResult
    ) -> None:
        """Some events were not inserted: count re-sent ones as duplicates, and report a
        different event under a used id as a conflict."""
        stored: dict[str, tuple[int, str]] = {}
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT event_id, seq, body FROM events WHERE event_id IN ({marks})"
            for event_id, seq, body in self._db.execute(query, chunk):
                stored[event_id] = (seq, body)
        new_here: set[str] = set()
        for event_id, _, _, _, body in rows:
            seq, kept = stored[event_id]
            if seq > last and event_id not in new_here:
                new_here.add(event_id)  # inserted by this append (its first copy)
            elif kept == body:
                result.duplicates += 1
            else:
                result.conflicts.append(EventConflict(event_id, kept, body))

    def events(self) -> Iterator[AnyEvent]:
        for (body,) in self._db.execute("SELECT body FROM events ORDER BY seq"):
            yield parse_event_json(body)

    def count(self) -> int:
        return self._count_rows()

    def _count_rows(self) -> int:
        (n,) = self._db.execute("SELECT count(*) FROM events").fetchone()
        return int(n)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: Path | str, *, create: bool = True) -> SQLiteStore:
    """Open (creating and migrating when needed) the store at ``path``."""
    return SQLiteStore(path, create=create)
