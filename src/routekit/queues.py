"""Ordered containers the router indexes by stage target: waiting contacts and available agents.

Both keep a sorted list of ``(key, id)`` entries beside a dict from id to key, so iteration is in service
order. Each has a ``_check()`` that asserts its invariants, which the tests call after every step.

The sorted list starts as a plain list kept in order with :mod:`bisect` (:class:`_SmallSorted`): most
queues and pools hold tens of entries, where a C-level ``insort`` costs less than
:class:`sortedcontainers.SortedList`'s bookkeeping. Past :data:`LARGE` entries, where moving the tail
of a plain list would cost more than that bookkeeping, it becomes a ``SortedList`` and every operation
is O(log n). ``benchmarks/bench_queues.py`` measures both.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Hashable, Iterator
from itertools import pairwise
from typing import Any

from sortedcontainers import SortedList

from routekit.errors import DuplicateIdError, UnknownIdError

__all__ = ["AgentPool", "ContactQueue", "QueueKey", "queue_key"]

QueueKey = tuple[int, float, int]

# Entries past which a queue or pool moves from a plain sorted list to a SortedList. An add and a remove
# cost 0.77x SortedList's at 10 entries, 0.92x at 100, but 1.06x at 1,000 and 2.0x at 10,000
# (benchmarks/bench_queues.py, figures in docs/benchmarks.md).
LARGE = 500


class _SmallSorted(list[Any]):
    """A list kept sorted with bisect, with the part of ``SortedList``'s interface the containers use."""

    __slots__ = ()

    def add(self, entry: Any) -> None:
        insort(self, entry)

    def remove(self, entry: Any) -> None:
        del self[self.index(entry)]

    def index(self, entry: Any, *_: Any) -> int:
        i = bisect_left(self, entry)
        if i == len(self) or self[i] != entry:
            raise ValueError(f"{entry!r} not in list")
        return i

    def bisect_left(self, entry: Any) -> int:
        return bisect_left(self, entry)

    def _check(self) -> None:
        assert all(a < b for a, b in pairwise(self))


def _grown(entries: _SmallSorted | SortedList) -> _SmallSorted | SortedList:
    """The same entries, as a SortedList once they are too many for a plain list."""
    return SortedList(entries) if type(entries) is _SmallSorted and len(entries) > LARGE else entries


def _drop(entries: _SmallSorted | SortedList, entry: Any) -> None:
    """Remove an entry; the first one, the usual case (a contact or agent leaving first), without a search."""
    if entries[0] == entry:
        del entries[0]
    else:
        entries.remove(entry)


def queue_key(priority: int, arrived_at: float, head_start: float, seq: int) -> QueueKey:
    """The order of waiting contacts: higher priority, then earlier arrival less head start, then seq.

    >>> sorted([queue_key(0, 5.0, 0.0, 1), queue_key(1, 9.0, 0.0, 2), queue_key(0, 100.0, 96.0, 3)])
    [(-1, 9.0, 2), (0, 4.0, 3), (0, 5.0, 1)]
    """
    return (-priority, arrived_at - head_start, seq)


class ContactQueue:
    """Waiting contacts in service order, keyed by :func:`queue_key`.

    >>> q = ContactQueue()
    >>> q.push("c-1", queue_key(0, 0.0, 0.0, 1))
    >>> q.push("c-2", queue_key(2, 5.0, 0.0, 2))
    >>> list(q), q.position("c-1")
    (['c-2', 'c-1'], 1)
    >>> q.reprioritize("c-1", 5); q.pop()
    'c-1'
    """

    def __init__(self) -> None:
        self._entries: _SmallSorted | SortedList = _SmallSorted()
        self._keys: dict[str, QueueKey] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._keys

    def __iter__(self) -> Iterator[str]:
        """Contact ids in service order. O(n)."""
        return (contact_id for _, contact_id in self._entries)

    def push(self, contact_id: str, key: QueueKey) -> None:
        """Add a contact under ``key``. O(log n).

        Raises:
            DuplicateIdError: The contact is already in this queue.
        """
        if contact_id in self._keys:
            raise DuplicateIdError(f"contact {contact_id!r} is already in this queue")
        self._keys[contact_id] = key
        self._entries.add((key, contact_id))
        if len(self._keys) > LARGE:
            self._entries = _grown(self._entries)

    def peek(self) -> str | None:
        """The contact served next, or ``None`` when empty. O(1)."""
        return self._entries[0][1] if self._keys else None

    def head(self) -> tuple[QueueKey, str] | None:
        """The key and id of the contact served next, or ``None`` when empty. O(1)."""
        return self._entries[0] if self._keys else None

    def first_key(self) -> QueueKey | None:
        """The key of the contact served next, or ``None`` when empty. O(1)."""
        return self._entries[0][0] if self._keys else None

    def pop(self) -> str:
        """Remove and return the contact served next. O(log n).

        Raises:
            UnknownIdError: The queue is empty.
        """
        if not self._keys:
            raise UnknownIdError("pop from an empty contact queue")
        _, contact_id = self._entries.pop(0)
        del self._keys[contact_id]
        return contact_id  # type: ignore[no-any-return]

    def remove(self, contact_id: str) -> QueueKey:
        """Remove a contact wherever it stands and return its key. O(log n).

        Raises:
            UnknownIdError: The contact is not in this queue.
        """
        key = self._keys.pop(contact_id, None)
        if key is None:
            raise UnknownIdError(f"contact {contact_id!r} is not in this queue")
        _drop(self._entries, (key, contact_id))
        return key

    def key(self, contact_id: str) -> QueueKey:
        """The key a contact is ordered by. O(1).

        Raises:
            UnknownIdError: The contact is not in this queue.
        """
        try:
            return self._keys[contact_id]
        except KeyError:
            raise UnknownIdError(f"contact {contact_id!r} is not in this queue") from None

    def reprioritize(self, contact_id: str, priority: int) -> None:
        """Give a contact a new priority, keeping its arrival and submission order. O(log n)."""
        _, arrival, seq = self.remove(contact_id)
        self.push(contact_id, (-priority, arrival, seq))

    def position(self, contact_id: str) -> int:
        """The 0-based place of a contact in service order. O(log n)."""
        return self._entries.index((self.key(contact_id), contact_id))

    def place_of(self, key: QueueKey) -> int:
        """How many contacts in this queue are served before one with ``key``. O(log n)."""
        return self._entries.bisect_left((key,))

    def _check(self) -> None:
        """Assert the invariants: the list and the dict hold the same entries, in sorted order."""
        self._entries._check()
        assert type(self._entries) is SortedList or len(self._entries) <= LARGE
        assert len(self._entries) == len(self._keys)
        for key, contact_id in self._entries:
            assert self._keys[contact_id] == key
        assert list(self._entries) == sorted(self._entries)


class AgentPool:
    """Available agents for one stage target, ordered by a selection key; ties end on the agent id.

    >>> pool = AgentPool()
    >>> pool.add("a-2", (10.0,)); pool.add("a-1", (10.0,)); pool.add("a-3", (4.0,))
    >>> list(pool), pool.first()
    (['a-3', 'a-1', 'a-2'], 'a-3')
    >>> pool.rekey("a-3", (20.0,)); pool.first()
    'a-1'
    """

    def __init__(self) -> None:
        self._entries: _SmallSorted | SortedList = _SmallSorted()
        self._keys: dict[str, tuple[Hashable, ...]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._keys

    def __iter__(self) -> Iterator[str]:
        """Agent ids, best first. O(n)."""
        return (agent_id for _, agent_id in self._entries)

    def add(self, agent_id: str, key: tuple[Any, ...]) -> None:
        """Add an agent under ``key``. O(log n).

        Raises:
            DuplicateIdError: The agent is already in this pool.
        """
        if agent_id in self._keys:
            raise DuplicateIdError(f"agent {agent_id!r} is already in this pool")
        self._keys[agent_id] = key
        self._entries.add((key, agent_id))
        if len(self._keys) > LARGE:
            self._entries = _grown(self._entries)

    def remove(self, agent_id: str) -> None:
        """Remove an agent. O(log n).

        Raises:
            UnknownIdError: The agent is not in this pool.
        """
        if agent_id not in self._keys:
            raise UnknownIdError(f"agent {agent_id!r} is not in this pool")
        self.discard(agent_id)

    def discard(self, agent_id: str) -> None:
        """Remove an agent if present. O(log n)."""
        key = self._keys.pop(agent_id, None)
        if key is None:
            return
        _drop(self._entries, (key, agent_id))

    def place(self, agent_id: str, key: tuple[Any, ...]) -> None:
        """Add an agent, or move it to ``key`` if its key changed; nothing when it is already there. O(log n)."""
        keys = self._keys
        old = keys.get(agent_id)
        if old == key:
            return
        entries = self._entries
        if old is not None:
            entries.remove((old, agent_id))
        keys[agent_id] = key
        entries.add((key, agent_id))
        if len(self._keys) > LARGE:
            self._entries = _grown(self._entries)

    def rekey(self, agent_id: str, key: tuple[Any, ...]) -> None:
        """Move an agent to a new key. O(log n)."""
        self.remove(agent_id)
        self.add(agent_id, key)

    def key(self, agent_id: str) -> tuple[Any, ...]:
        """The key an agent is ordered by. O(1).

        Raises:
            UnknownIdError: The agent is not in this pool.
        """
        try:
            return self._keys[agent_id]
        except KeyError:
            raise UnknownIdError(f"agent {agent_id!r} is not in this pool") from None

    def first(self) -> str | None:
        """The best agent, or ``None`` when the pool is empty. O(1)."""
        return self._entries[0][1] if self._keys else None

    def _check(self) -> None:
        """Assert the invariants: the list and the dict hold the same entries, in sorted order."""
        self._entries._check()
        assert type(self._entries) is SortedList or len(self._entries) <= LARGE
        assert len(self._entries) == len(self._keys)
        for key, agent_id in self._entries:
            assert self._keys[agent_id] == key
        assert list(self._entries) == sorted(self._entries)
