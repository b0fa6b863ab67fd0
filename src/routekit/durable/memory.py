"""A store kept in memory: for tests, and for trying the durable router out without a file."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from routekit.durable.store import Entry
from routekit.errors import StoreLockedError

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`~routekit.durable.Store` in plain Python containers; it lasts as long as the object.

    Reopening the same object after :meth:`close` recovers what was written, as a file would; two open
    routers on it at once are refused, as two processes on one file are.

    >>> store = MemoryStore()
    >>> store.lock()
    >>> store.append(0, [Entry(1, '["advance",1.0]', "d", "[]")])
    >>> store.last_seq()
    1
    """

    def __init__(self) -> None:
        self._locked = False
        self._meta: dict[str, Any] | None = None
        self._journal: dict[int, tuple[str, str]] = {}
        self._snapshots: list[tuple[int, str]] = []
        self._outbox: dict[int, str] = {}
        self._last = 0

    def lock(self) -> None:
        """Become the only writer; see :meth:`routekit.durable.Store.lock`."""
        if self._locked:
            raise StoreLockedError("the memory store is already open for writing")
        self._locked = True

    def close(self) -> None:
        """Release the lock."""
        self._locked = False

    def read_meta(self) -> dict[str, Any] | None:
        """The meta data, or ``None`` for a new store."""
        return copy.deepcopy(self._meta)

    def write_meta(self, meta: Mapping[str, Any]) -> None:
        """Replace the meta data."""
        self._meta = copy.deepcopy(dict(meta))

    def last_seq(self) -> int:
        """The last sequence number appended."""
        return self._last

    def append(self, after: int, entries: Sequence[Entry]) -> None:
        """Append with a compare-and-set on the last sequence number; see :meth:`routekit.durable.Store.append`."""
        if after != self._last:
            raise StoreLockedError(f"the store's last sequence number is {self._last}, not {after}", seq=self._last)
        for entry in entries:
            self._journal[entry.seq] = (entry.command, entry.digest)
            if entry.events != "[]":
                self._outbox[entry.seq] = entry.events
        if entries:
            self._last = entries[-1].seq

    def read(self, after: int) -> Iterator[tuple[int, str, str]]:
        """The journal rows above ``after``, in order."""
        for seq in sorted(s for s in self._journal if s > after):
            command, digest = self._journal[seq]
            yield seq, command, digest

    def write_snapshot(self, seq: int, data: str) -> None:
        """Keep a snapshot after command ``seq``."""
        self._snapshots.append((seq, data))

    def latest_snapshot(self) -> tuple[int, str] | None:
        """The latest snapshot, or ``None``."""
        return self._snapshots[-1] if self._snapshots else None

    def compact(self, seq: int) -> None:
        """Drop the journal up to ``seq`` and the older snapshots."""
        for old in [s for s in self._journal if s <= seq]:
            del self._journal[old]
        self._snapshots = self._snapshots[-1:]

    def pending(self) -> list[tuple[int, str]]:
        """The unacknowledged outbox rows, in order."""
        return sorted(self._outbox.items())

    def ack(self, seq: int) -> None:
        """Drop the outbox rows up to ``seq``."""
        for done in [s for s in self._outbox if s <= seq]:
            del self._outbox[done]
