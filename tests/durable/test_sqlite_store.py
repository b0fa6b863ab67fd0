"""SqliteStore: one file in WAL mode; files that are not stores, newer schemas, damage, and a second writer."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from call_stream import SETTINGS, CallStream, make_policy

import routekit as rk
from routekit.durable import SqliteStore


def open_path(path: Path) -> rk.DurableRouter:
    return rk.DurableRouter.open(path, make_policy(), snapshot_every=None, **SETTINGS)


def filled(path: Path, steps: int = 200) -> int:
    """A store on ``path`` after ``steps`` calls of a stream; its last sequence number."""
    router = open_path(path)
    stream = CallStream(1)
    for _ in range(steps):
        stream.step(router)
    router.close()
    return router.seq


def test_the_file_is_in_wal_mode_and_marked_as_a_routekit_store(tmp_path: Path) -> None:
    """A new store's file is in WAL mode, with routekit's application id and schema version."""
    filled(tmp_path / "s.db", 10)
    db = sqlite3.connect(tmp_path / "s.db")
    found = [db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "application_id", "user_version")]
    assert ["wal", 0x524B4454, 1] == found


def test_a_file_that_is_not_sqlite_is_not_a_store(tmp_path: Path) -> None:
    """A text file is refused with NotAStoreError, and left as it was."""
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just notes\n" * 100)
    with pytest.raises(rk.NotAStoreError):
        open_path(path)
    assert "not a database, just notes\n" * 100 == path.read_text()


def test_another_sqlite_database_is_not_a_store(tmp_path: Path) -> None:
    """An SQLite database with tables of its own is refused with NotAStoreError."""
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(rk.NotAStoreError, match="not a routekit store"):
        open_path(path)


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    """A store whose user_version is above this routekit's schema is refused with StoreVersionError."""
    path = tmp_path / "s.db"
    filled(path, 5)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with pytest.raises(rk.StoreVersionError, match="schema version 2"):
        open_path(path)


def test_a_changed_command_is_named_by_its_sequence_number(tmp_path: Path) -> None:
    """A journal row edited behind the router's back fails its digest check at that row."""
    path = tmp_path / "s.db"
    filled(path, 50)
    db = sqlite3.connect(path)
    seq, command = db.execute("SELECT seq, command FROM journal WHERE command LIKE '[\"submit\"%' LIMIT 1").fetchone()
    db.execute("UPDATE journal SET command = ? WHERE seq = ?", (command.replace('"priority":0', '"priority":7'), seq))
    db.commit()
    db.close()
    with pytest.raises(rk.RecoveryError) as refused:
        open_path(path)
    assert seq == refused.value.seq


def test_a_deleted_row_is_damage(tmp_path: Path) -> None:
    """A journal row deleted behind the router's back is a StoreDamagedError naming it."""
    path = tmp_path / "s.db"
    filled(path, 50)
    db = sqlite3.connect(path)
    db.execute("DELETE FROM journal WHERE seq = 20")
    db.commit()
    db.close()
    with pytest.raises(rk.StoreDamagedError) as refused:
        open_path(path)
    assert 20 == refused.value.seq


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    """A file whose pages were overwritten is refused with StoreDamagedError, never a silent loss."""
    path = tmp_path / "s.db"
    filled(path, 400)
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = b"\xa5" * (4096 * 2)
    path.write_bytes(bytes(data))
    with pytest.raises(rk.StoreDamagedError, match="malformed"):
        open_path(path)


def test_a_second_store_object_in_one_process_is_refused(tmp_path: Path) -> None:
    """While one router holds the file, a second SqliteStore on it is refused with StoreLockedError."""
    path = tmp_path / "s.db"
    router = open_path(path)
    with pytest.raises(rk.StoreLockedError):
        open_path(path)
    router.close()
    open_path(path).close()


def test_a_second_process_is_refused_while_the_first_holds_the_store(tmp_path: Path) -> None:
    """A child process that holds the store makes this process's open fail; after it exits, open works."""
    path = tmp_path / "s.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, routekit as rk; s = rk.SqliteStore(sys.argv[1]); s.lock(); print('held', flush=True);"
            " sys.stdin.readline()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    try:
        assert "held\n" == holder.stdout.readline()
        with pytest.raises(rk.StoreLockedError):
            open_path(path)
    finally:
        holder.communicate("\n")
    open_path(path).close()


def test_the_protocol_methods_after_close_say_so(tmp_path: Path) -> None:
    """A store used before lock() or after close() raises StoreError."""
    store = SqliteStore(tmp_path / "s.db")
    with pytest.raises(rk.StoreError, match="not open"):
        store.last_seq()
