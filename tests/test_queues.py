"""ContactQueue and AgentPool: unit tests, and properties that pop order equals ``sorted(key)``."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sortedcontainers import SortedList

from routekit import AgentPool, ContactQueue, DuplicateIdError, UnknownIdError, queue_key, queues


def test_higher_priority_then_earlier_arrival_then_submission_order() -> None:
    """The queue serves higher priority first, then earlier arrival less head start, then submission order."""
    queue = ContactQueue()
    queue.push("late", queue_key(0, 50.0, 0.0, 1))
    queue.push("urgent", queue_key(3, 90.0, 0.0, 2))
    queue.push("head-start", queue_key(0, 100.0, 90.0, 3))
    queue.push("tie", queue_key(0, 50.0, 0.0, 4))
    assert ["urgent", "head-start", "late", "tie"] == list(queue)


def test_position_remove_and_reprioritize() -> None:
    """Position counts from 0; removal and a new priority keep the rest in order."""
    queue = ContactQueue()
    for seq, contact_id in enumerate(["a", "b", "c"]):
        queue.push(contact_id, queue_key(0, float(seq), 0.0, seq))
    assert 2 == queue.position("c")
    assert (0, 1.0, 1) == queue.remove("b")
    queue.reprioritize("c", 1)
    assert ["c", "a"] == list(queue)
    assert "c" == queue.peek()
    assert (-1, 2.0, 2) == queue.first_key()
    queue._check()


def test_place_of_counts_the_contacts_served_before_a_key() -> None:
    """place_of gives the position a contact with that key would take, without pushing it."""
    queue = ContactQueue()
    for seq, contact_id in enumerate(["a", "b", "c"]):
        queue.push(contact_id, queue_key(0, float(seq), 0.0, seq))
    assert 0 == queue.place_of(queue_key(1, 9.0, 0.0, 9))
    assert 2 == queue.place_of(queue_key(0, 1.5, 0.0, 9))
    assert 3 == queue.place_of(queue_key(0, 9.0, 0.0, 9))
    queue.push("d", queue_key(0, 1.5, 0.0, 9))
    assert 2 == queue.position("d")


def test_queue_refuses_duplicates_and_unknown_ids() -> None:
    """A contact pushed twice, or removed when absent, is refused with its id in the message."""
    queue = ContactQueue()
    queue.push("c-1", queue_key(0, 0.0, 0.0, 0))
    with pytest.raises(DuplicateIdError, match="c-1"):
        queue.push("c-1", queue_key(0, 0.0, 0.0, 1))
    with pytest.raises(UnknownIdError, match="c-9"):
        queue.remove("c-9")
    queue.pop()
    with pytest.raises(UnknownIdError, match="empty"):
        queue.pop()
    assert queue.peek() is None


def test_pool_orders_by_key_then_agent_id() -> None:
    """A pool's first agent has the smallest key; equal keys end on the agent id."""
    pool = AgentPool()
    pool.add("b", (5.0,))
    pool.add("a", (5.0,))
    pool.add("c", (1.0,))
    assert ["c", "a", "b"] == list(pool)
    pool.place("c", (9.0,))
    pool.place("a", (5.0,))
    assert "a" == pool.first()
    pool.discard("zz")
    with pytest.raises(DuplicateIdError, match="a"):
        pool.add("a", (0.0,))
    with pytest.raises(UnknownIdError, match="zz"):
        pool.remove("zz")
    pool._check()


contact_ids = st.sampled_from([f"c{i}" for i in range(12)])
agent_ids = st.sampled_from([f"a{i}" for i in range(8)])


class QueueMachine(RuleBasedStateMachine):
    """Random push / pop / remove / reprioritize against a plain dict of keys."""

    def __init__(self) -> None:
        super().__init__()
        self.queue = ContactQueue()
        self.model: dict[str, tuple[int, float, int]] = {}
        self.seq = 0

    @rule(
        contact_id=contact_ids,
        priority=st.integers(-2, 3),
        arrival=st.floats(0, 100),
        head=st.sampled_from([0.0, 90.0]),
    )
    def push(self, contact_id: str, priority: int, arrival: float, head: float) -> None:
        key = queue_key(priority, arrival, head, self.seq)
        self.seq += 1
        if contact_id in self.model:
            with pytest.raises(DuplicateIdError):
                self.queue.push(contact_id, key)
            return
        self.queue.push(contact_id, key)
        self.model[contact_id] = key

    @precondition(lambda self: self.model)
    @rule()
    def pop(self) -> None:
        expected = min(self.model, key=lambda c: self.model[c])
        assert expected == self.queue.pop()
        del self.model[expected]

    @rule(contact_id=contact_ids)
    def remove(self, contact_id: str) -> None:
        if contact_id not in self.model:
            with pytest.raises(UnknownIdError):
                self.queue.remove(contact_id)
            return
        assert self.model.pop(contact_id) == self.queue.remove(contact_id)

    @rule(contact_id=contact_ids, priority=st.integers(-2, 3))
    def reprioritize(self, contact_id: str, priority: int) -> None:
        if contact_id in self.model:
            self.queue.reprioritize(contact_id, priority)
            _, arrival, seq = self.model[contact_id]
            self.model[contact_id] = (-priority, arrival, seq)

    @invariant()
    def order_is_sorted_keys(self) -> None:
        self.queue._check()
        expected = sorted(self.model, key=lambda c: self.model[c])
        assert expected == list(self.queue)
        assert len(expected) == len(self.queue)
        for position, contact_id in enumerate(expected):
            assert position == self.queue.position(contact_id)
        assert ((self.model[expected[0]], expected[0]) if expected else None) == self.queue.head()


class PoolMachine(RuleBasedStateMachine):
    """Random add / remove / re-key / place against a plain dict of keys."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = AgentPool()
        self.model: dict[str, tuple[float, int]] = {}

    @rule(agent_id=agent_ids, idle=st.floats(0, 50), busy=st.integers(0, 3))
    def add(self, agent_id: str, idle: float, busy: int) -> None:
        if agent_id in self.model:
            with pytest.raises(DuplicateIdError):
                self.pool.add(agent_id, (idle, busy))
            return
        self.pool.add(agent_id, (idle, busy))
        self.model[agent_id] = (idle, busy)

    @rule(agent_id=agent_ids)
    def remove(self, agent_id: str) -> None:
        self.pool.discard(agent_id)
        self.model.pop(agent_id, None)

    @rule(agent_id=agent_ids, idle=st.floats(0, 50), busy=st.integers(0, 3))
    def place(self, agent_id: str, idle: float, busy: int) -> None:
        if agent_id in self.model and busy % 2:
            self.pool.rekey(agent_id, (idle, busy))
        else:
            self.pool.place(agent_id, (idle, busy))
        self.model[agent_id] = (idle, busy)

    @invariant()
    def order_is_sorted_keys(self) -> None:
        self.pool._check()
        expected = sorted(self.model, key=lambda a: (self.model[a], a))
        assert expected == list(self.pool)
        assert (expected[0] if expected else None) == self.pool.first()


class SwitchAtThree(RuleBasedStateMachine):
    """Containers outgrow their plain list after 3 entries and become a SortedList, for one run."""

    def __init__(self) -> None:
        super().__init__()
        self.was, queues.LARGE = queues.LARGE, 3

    def teardown(self) -> None:
        queues.LARGE = self.was


class LargeQueueMachine(SwitchAtThree, QueueMachine):
    """The queue machine, with queues that become a SortedList past 3 entries."""


class LargePoolMachine(SwitchAtThree, PoolMachine):
    """The pool machine, with pools that become a SortedList past 3 entries."""


TestQueueAgainstSortedKeys = QueueMachine.TestCase
TestPoolAgainstSortedKeys = PoolMachine.TestCase
TestLargeQueueAgainstSortedKeys = LargeQueueMachine.TestCase
TestLargePoolAgainstSortedKeys = LargePoolMachine.TestCase


def test_a_queue_past_large_entries_becomes_a_sorted_list() -> None:
    """Small queues are plain sorted lists; past ``LARGE`` entries the O(log n) SortedList takes over."""
    queue = ContactQueue()
    for seq in range(queues.LARGE + 1):
        assert (type(queue._entries) is SortedList) == (seq > queues.LARGE)
        queue.push(f"c{seq}", queue_key(0, float(-seq), 0.0, seq))
    assert type(queue._entries) is SortedList
    assert f"c{queues.LARGE}" == queue.peek()
    assert queues.LARGE == queue.position("c0")
    queue._check()


@given(st.lists(st.tuples(st.integers(-3, 3), st.floats(0, 1e6), st.floats(0, 200)), max_size=60))
def test_pop_order_equals_sorted_keys(items: list[tuple[int, float, float]]) -> None:
    """Whatever is pushed, popping everything gives exactly ``sorted(key)`` order."""
    queue = ContactQueue()
    keys = {}
    for seq, (priority, arrival, head) in enumerate(items):
        keys[f"c{seq}"] = queue_key(priority, arrival, head, seq)
        queue.push(f"c{seq}", keys[f"c{seq}"])
        queue._check()
    popped = [queue.pop() for _ in range(len(items))]
    assert sorted(keys, key=keys.__getitem__) == popped
