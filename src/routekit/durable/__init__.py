"""A router that survives a crash: a write-ahead journal, snapshots and an event outbox, in a store.

- :class:`DurableRouter`: the router's calls, journaled; :meth:`DurableRouter.open` creates or recovers one.
- :class:`Store`: the protocol a store implements (:mod:`routekit.durable.store`).
- :class:`SqliteStore`: the embedded default, one SQLite file in WAL mode.
- :class:`MemoryStore`: in memory, for tests.

The store is the one place in routekit that touches disk. See ``docs/how-to/survive-a-restart.md``.
"""

from routekit.durable.memory import MemoryStore
from routekit.durable.router import DurableRouter
from routekit.durable.sqlite import SqliteStore
from routekit.durable.store import SCHEMA_VERSION, Entry, Store

__all__ = ["SCHEMA_VERSION", "DurableRouter", "Entry", "MemoryStore", "SqliteStore", "Store"]
