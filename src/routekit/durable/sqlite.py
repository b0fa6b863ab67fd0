"""The embedded store: one SQLite file in WAL mode, through the standard library's :mod:`sqlite3`.

This module and :mod:`routekit.durable` are the only code in routekit that touches disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from routekit.durable.store import SCHEMA_VERSION, Entry
from routekit.errors import NotAStoreError, StoreDamagedError, StoreError, StoreLockedError, StoreVersionError

__all__ = ["SqliteStore"]

APPLICATION_ID = 0x524B4454  # "RKDT": marks the file as a routekit store in its SQLite header

_SCHEMA = """
CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
CREATE TABLE journal (seq INTEGER PRIMARY KEY, command TEXT NOT NULL, digest TEXT NOT NULL);
CREATE TABLE snapshots (seq INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY, events TEXT NOT NULL);
INSERT INTO head (id, last) VALUES (1, 0);
"""
_TABLES = {"meta", "head", "journal", "snapshots", "outbox"}


class SqliteStore:
    """A :class:`~routekit.durable.Store` in one SQLite file, in WAL mode and exclusive locking mode.

    The writer's lock is SQLite's own: the connection holds the file exclusively from :meth:`lock` to
    :meth:`close`, so a second process (or a second store object) that opens the same file is refused
    with :class:`~routekit.errors.StoreLockedError` at once, and it is released when the process dies.

    Args:
        path: The file; it is created when missing.
        synchronous: SQLite's ``synchronous`` setting: ``"full"`` (the default) makes each commit
            durable against a power loss; ``"normal"`` only against a crash of the process.

    >>> import tempfile, pathlib
    >>> store = SqliteStore(pathlib.Path(tempfile.mkdtemp()) / "domain.db")
    >>> store.lock()
    >>> store.read_meta() is None, store.last_seq()
    (True, 0)
    >>> store.close()
    """

    def __init__(self, path: str | os.PathLike[str], *, synchronous: str = "full") -> None:
        if synchronous not in ("full", "normal"):
            raise StoreError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")
        self.path = os.fspath(path)
        self.synchronous = synchronous
        self._db: sqlite3.Connection | None = None

    # -- opening -----------------------------------------------------------------------------------

    def lock(self) -> None:
        """Open the file and hold it exclusively; see :meth:`routekit.durable.Store.lock`."""
        if self._db is not None:
            raise StoreLockedError(f"{self.path} is already open for writing through this store")
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=0, check_same_thread=True)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open {self.path}: {error}") from error
        try:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"{self.path} cannot be put in WAL mode (journal mode {mode!r})")
            db.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock, held until close
            try:
                self._check_or_create(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            db.close()
            raise _translated(error, self.path, opening=True) from error
        except BaseException:
            db.close()
            raise
        self._db = db

    def _check_or_create(self, db: sqlite3.Connection) -> None:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if application_id == 0 and not tables:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        if application_id != APPLICATION_ID:
            raise NotAStoreError(f"{self.path} is an SQLite database, but not a routekit store")
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path} has schema version {version}; this routekit reads up to {SCHEMA_VERSION}"
            )
        if not _TABLES <= tables:
            raise StoreDamagedError(f"{self.path} lacks the tables {sorted(_TABLES - tables)}")

    def close(self) -> None:
        """Release the lock and close the file."""
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError(f"{self.path} is not open: call lock() first")
        return self._db

    # -- meta --------------------------------------------------------------------------------------

    def read_meta(self) -> dict[str, Any] | None:
        """The meta data, or ``None`` for a new store."""
        row = self._query("SELECT data FROM meta WHERE id = 1").fetchone()
        if row is None:
            return None
        try:
            meta: dict[str, Any] = json.loads(row[0])
        except ValueError as error:
            raise StoreDamagedError(f"{self.path}: the meta data does not parse: {error}") from error
        return meta

    def write_meta(self, meta: Mapping[str, Any]) -> None:
        """Replace the meta data."""
        self._write([("INSERT OR REPLACE INTO meta (id, data) VALUES (1, ?)", [(json.dumps(dict(meta)),)])])

    # -- journal and outbox ------------------------------------------------------------------------

    def last_seq(self) -> int:
        """The last sequence number appended."""
        row = self._query("SELECT last FROM head WHERE id = 1").fetchone()
        if row is None:
            raise StoreDamagedError(f"{self.path}: the head row is missing")
        last: int = row[0]
        return last

    def append(self, after: int, entries: Sequence[Entry]) -> None:
        """Append with a compare-and-set on the last sequence number; see :meth:`routekit.durable.Store.append`."""
        if not entries:
            return
        db = self._conn
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                moved = db.execute(
                    "UPDATE head SET last = ? WHERE id = 1 AND last = ?", (entries[-1].seq, after)
                ).rowcount
                if moved != 1:
                    raise StoreLockedError(
                        f"{self.path}: the last sequence number is no longer {after}: another writer appended",
                        seq=after,
                    )
                db.executemany(
                    "INSERT INTO journal (seq, command, digest) VALUES (?, ?, ?)",
                    [(e.seq, e.command, e.digest) for e in entries],
                )
                db.executemany(
                    "INSERT INTO outbox (seq, events) VALUES (?, ?)",
                    [(e.seq, e.events) for e in entries if e.events != "[]"],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise _translated(error, self.path) from error

    def read(self, after: int) -> Iterator[tuple[int, str, str]]:
        """The journal rows above ``after``, in order."""
        cursor = self._query("SELECT seq, command, digest FROM journal WHERE seq > ? ORDER BY seq", (after,))
        try:
            yield from cursor
        except sqlite3.Error as error:
            raise _translated(error, self.path) from error

    def pending(self) -> list[tuple[int, str]]:
        """The unacknowledged outbox rows, in order."""
        return list(self._query("SELECT seq, events FROM outbox ORDER BY seq"))

    def ack(self, seq: int) -> None:
        """Drop the outbox rows up to ``seq``."""
        self._write([("DELETE FROM outbox WHERE seq <= ?", [(seq,)])])

    # -- snapshots ---------------------------------------------------------------------------------

    def write_snapshot(self, seq: int, data: str) -> None:
        """Keep a snapshot after command ``seq``."""
        self._write([("INSERT OR REPLACE INTO snapshots (seq, data) VALUES (?, ?)", [(seq, data)])])

    def latest_snapshot(self) -> tuple[int, str] | None:
        """The latest snapshot, or ``None``."""
        row = self._query("SELECT seq, data FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else (row[0], row[1])

    def compact(self, seq: int) -> None:
        """Drop the journal up to ``seq`` and the older snapshots, in one transaction."""
        self._write(
            [
                ("DELETE FROM journal WHERE seq <= ?", [(seq,)]),
                ("DELETE FROM snapshots WHERE seq < (SELECT max(seq) FROM snapshots)", [()]),
            ]
        )

    # -- helpers -----------------------------------------------------------------------------------

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, parameters)
        except sqlite3.Error as error:
            raise _translated(error, self.path) from error

    def _write(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        db = self._conn
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, rows in statements:
                    db.executemany(sql, rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise _translated(error, self.path) from error


def _translated(error: sqlite3.Error, path: str, *, opening: bool = False) -> StoreError:
    text = str(error)
    if "locked" in text or "busy" in text:
        return StoreLockedError(f"{path} is open for writing elsewhere (another process or store): {text}")
    if "not a database" in text and opening:
        return NotAStoreError(f"{path} is not a routekit store: not an SQLite database")
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        return StoreDamagedError(f"{path} is damaged: {text}")
    return StoreError(f"{path}: {text}")
