"""The store protocol: what a durable router needs of the place it keeps its journal, snapshots and outbox.

A store holds four things for one routing domain:

- **meta**: the store's format and schema version, and the description of the policy and settings;
- **journal**: one row per command, ``(seq, command, digest)``, seq counting 1, 2, 3, ... with no gaps;
- **snapshots**: the router's state after command ``seq``, as JSON text (only the latest is needed);
- **outbox**: the events each command returned, by seq, until the host acknowledges them.

The durable router is the only writer: it takes the store's lock when it opens it and appends with a
compare-and-set on the last sequence number, so a second writer is refused rather than interleaved.
:class:`~routekit.durable.SqliteStore` keeps all four in one SQLite file; a PostgreSQL store would keep
them in four tables and hold a lease (an advisory lock) instead of SQLite's file lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

__all__ = ["SCHEMA_VERSION", "STORE_FORMAT", "Entry", "Store"]

STORE_FORMAT = "routekit.durable"
"""The ``format`` every store's meta names, so that a store of something else is recognised as such."""

SCHEMA_VERSION = 1
"""The schema this routekit writes; a store with a higher one is refused with ``StoreVersionError``."""


class Entry(NamedTuple):
    """One journaled command and what it returned.

    Attributes:
        seq: The command's sequence number: one more than the command before it.
        command: The command as JSON text (see :mod:`routekit.durable.codec`).
        digest: The digest of the events the command returned, checked when it is replayed.
        events: The events as JSON text, for the outbox; ``"[]"`` when there were none.
    """

    seq: int
    command: str
    digest: str
    events: str


class Store(Protocol):
    """Where a :class:`~routekit.durable.DurableRouter` keeps its journal, snapshots and outbox.

    Every method raises :class:`~routekit.errors.StoreDamagedError` when what it reads is damaged, and
    writes are atomic: a crash in the middle of one leaves the store as it was before it.
    """

    def lock(self) -> None:
        """Become the store's only writer until :meth:`close`.

        Raises:
            StoreLockedError: Another writer holds the store.
            NotAStoreError: The store is something else (checked here, before anything is written).
            StoreVersionError: The store's schema is newer than :data:`SCHEMA_VERSION`.
        """
        ...

    def close(self) -> None:
        """Release the lock and the resources; the store may be locked again afterwards."""
        ...

    def read_meta(self) -> dict[str, Any] | None:
        """The meta data :meth:`write_meta` wrote last, or ``None`` for a new, empty store."""
        ...

    def write_meta(self, meta: Mapping[str, Any]) -> None:
        """Replace the meta data (plain JSON-able data), atomically."""
        ...

    def last_seq(self) -> int:
        """The sequence number of the last command appended (0 for none), compaction notwithstanding."""
        ...

    def append(self, after: int, entries: Sequence[Entry]) -> None:
        """Append commands with their outbox rows in one atomic write, if the last seq is still ``after``.

        Raises:
            StoreLockedError: The last sequence number is not ``after`` (another writer appended): the
                compare-and-set failed and nothing was written.
        """
        ...

    def read(self, after: int) -> Iterator[tuple[int, str, str]]:
        """The journal's ``(seq, command, digest)`` rows with a sequence number above ``after``, in order."""
        ...

    def write_snapshot(self, seq: int, data: str) -> None:
        """Keep ``data`` as the state after command ``seq``; it becomes the latest snapshot."""
        ...

    def latest_snapshot(self) -> tuple[int, str] | None:
        """The latest snapshot's ``(seq, data)``, or ``None`` when none was written."""
        ...

    def compact(self, seq: int) -> None:
        """Drop the journal rows up to ``seq`` and every snapshot before the latest; never outbox rows."""
        ...

    def pending(self) -> list[tuple[int, str]]:
        """The outbox rows not yet acknowledged, ``(seq, events)``, in order."""
        ...

    def ack(self, seq: int) -> None:
        """Acknowledge (and drop) the outbox rows up to ``seq``."""
        ...
