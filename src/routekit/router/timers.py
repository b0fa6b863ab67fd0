"""The router's timers: a heap of ``(due, kind rank, seq)`` with lazy cancellation (SimPy's scheduler).

What each kind does when due lives with its concept (``offers.offer_expired``, ``bars.reoffer_ended``, ...);
:class:`TimerKind` fixes the order in which timers due at the same moment fire.
"""

from __future__ import annotations

from enum import IntEnum
from heapq import heappop, heappush
from typing import Any


class TimerKind(IntEnum):
    """Timer kinds; timers due at the same moment fire in this order, then in the order they were set."""

    OFFER_EXPIRY = 0
    REOFFER_END = 1
    STAGE_TIMEOUT = 2
    HOLD_EXPIRY = 3
    WRAP_UP_END = 4
    PARK_TTL = 5
    OPENING_HOURS = 6
    QUEUE_DELAY_END = 7
    EXCEPTION_RULE = 8


class Timers:
    """Pending timers. ``set`` returns a handle (the timer's seq) that ``cancel`` takes. O(log n) each."""

    def __init__(self) -> None:
        # Entries (due, kind rank, seq), cancelled ones included until they reach the top. The router reads
        # ``heap[0][0]`` to skip ``pop_due`` when nothing can be due: most calls have no timer to fire.
        self.heap: list[tuple[float, int, int]] = []
        self._live: dict[int, tuple[TimerKind, tuple[Any, ...], float]] = {}
        self.next_seq = 0

    def __len__(self) -> int:
        return len(self._live)

    def set(self, due: float, kind: TimerKind, payload: tuple[Any, ...]) -> int:
        """Schedule a timer and return its handle."""
        seq = self.next_seq
        self.next_seq += 1
        self._live[seq] = (kind, payload, due)
        heappush(self.heap, (due, kind, seq))  # a TimerKind is an int: it ranks as its value
        return seq

    def restore(self, due: float, kind: TimerKind, payload: tuple[Any, ...], seq: int) -> None:
        """Put back a timer from a snapshot under its original handle."""
        self._live[seq] = (kind, payload, due)
        heappush(self.heap, (due, kind, seq))

    def cancel(self, seq: int | None) -> None:
        """Cancel a timer; cancelling one that already fired or was cancelled is a no-op."""
        if seq is not None:
            self._live.pop(seq, None)

    def next_due(self) -> float | None:
        """The due time of the earliest live timer, or ``None``."""
        heap, live = self.heap, self._live
        while heap and heap[0][2] not in live:
            heappop(heap)  # cancelled: dropped lazily, once it reaches the top
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> tuple[float, TimerKind, tuple[Any, ...], int] | None:
        """Remove and return the earliest live timer due at or before ``now``, or ``None``."""
        due = self.next_due()
        if due is None or due > now:
            return None
        _, _, seq = heappop(self.heap)
        kind, payload, _ = self._live.pop(seq)
        return due, kind, payload, seq

    def live(self) -> list[tuple[float, TimerKind, tuple[Any, ...], int]]:
        """Every live timer as ``(due, kind, payload, seq)``, in firing order."""
        entries = sorted(entry for entry in self.heap if entry[2] in self._live)
        return [(due, self._live[seq][0], self._live[seq][1], seq) for due, _, seq in entries]

    def due_of(self, seq: int | None) -> float | None:
        """The due time of a live timer, or ``None`` when it fired or was cancelled. O(1)."""
        entry = self._live.get(seq) if seq is not None else None
        return None if entry is None else entry[2]

    def payload_of(self, seq: int | None) -> tuple[Any, ...] | None:
        """The payload of a live timer, or ``None`` when it fired or was cancelled. O(1)."""
        entry = self._live.get(seq) if seq is not None else None
        return None if entry is None else entry[1]
