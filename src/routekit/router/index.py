"""The index: a queue of waiting contacts per stage target and a pool of eligible agents per general target.

A general target (skills, team, channel) has a :class:`~routekit.queues.ContactQueue` and an
:class:`~routekit.queues.AgentPool`; a sticky target (one agent) has only a queue, listed under its agent in
``rs.agent_queues``. An agent sits in the pool of each target it matches while it is *eligible* there:
:meth:`AgentRecord.takes_offers <routekit.router.state.AgentRecord.takes_offers>` (the agent-wide half)
and :func:`has_room` (the per-channel half). :func:`refresh` keeps the pools true after every change to an
agent, in O(targets log n).
"""

from __future__ import annotations

from heapq import heapify, heappush

from routekit.models.channel import Channel
from routekit.models.contact import Contact
from routekit.policies.base import Plan, Target
from routekit.queues import AgentPool, ContactQueue
from routekit.router.state import AVAILABLE, AWAY, OFFLINE, AgentRecord, ContactRecord, RoutingState

__all__ = [
    "attach_channel_counts",
    "count_offer",
    "counted_as",
    "dequeue",
    "drop_empty_agent_queue",
    "eligible",
    "enqueue",
    "ensure_target",
    "has_room",
    "look_in_own_queues",
    "match_targets",
    "place",
    "presence",
    "queue_for",
    "recount",
    "refresh",
    "routable",
    "set_presence",
    "target_supply",
    "unmatch_targets",
    "withdraw_from_pools",
]


def has_room(rs: RoutingState, ar: AgentRecord, channel: Channel) -> bool:
    """The per-channel half of eligibility: a free slot, and no other work if the channel is exclusive.

    The one definition; :func:`refresh` writes it out in its loop and says so.
    """
    if ar.load.get(channel, 0) >= ar.agent.capacity.get(channel, 0):
        return False
    return not (channel in rs.exclusive and ar.work)


def eligible(rs: RoutingState, ar: AgentRecord, channel: Channel) -> bool:
    """Whether the agent may be offered a contact on ``channel`` now (both halves of eligibility)."""
    return ar.takes_offers(rs.offers_per_agent) and has_room(rs, ar, channel)


def ensure_target(rs: RoutingState, target: Target) -> None:
    """Index a general target the first time a plan names it: O(agents), once per distinct target."""
    if target.agent is not None:
        return
    if target not in rs.queues:
        rs.queues[target] = ContactQueue()
    if target in rs.pools:
        return
    pool = AgentPool()
    rs.pools[target] = pool
    counts = rs.agent_counts[target] = [0, 0, 0, 0, 0]
    present = rs.present[target] = [0, 0]
    supply = 0
    for ar in rs.agents.values():
        if target.matches(ar.agent):
            supply += 1
            present[0] += ar.present[0]
            present[1] += ar.present[1]
            ar.targets[target] = pool
            ar.tallies.append(counts)
            _count(counts, ar.counted, 1)
            if eligible(rs, ar, target.channel):
                pool.add(ar.agent.id, rs.selection_key(ar, target))
    rs.supply[target] = supply


def queue_for(rs: RoutingState, target: Target) -> ContactQueue:
    """The queue of ``target``, made on first use (a sticky target's is listed under its agent)."""
    queue = rs.queues.get(target)
    if queue is None:
        ensure_target(rs, target)
        queue = rs.queues.get(target)
        if queue is None:
            queue = rs.queues[target] = ContactQueue()
            assert target.agent is not None
            rs.agent_queues.setdefault(target.agent, {})[target] = None
    return queue


def drop_empty_agent_queue(rs: RoutingState, target: Target) -> None:
    """Drop a sticky target's queue once empty: they are one per agent and channel, so memory stays bounded."""
    if target.agent is not None and not rs.queues[target]:
        del rs.queues[target]
        owned = rs.agent_queues[target.agent]
        del owned[target]
        if not owned:
            del rs.agent_queues[target.agent]


def match_targets(rs: RoutingState, ar: AgentRecord) -> None:
    """Find the indexed targets a new or changed agent matches (the roster changed: plans are checked anew)."""
    rs.ready_plans.clear()
    ar.targets = {t: pool for t, pool in rs.pools.items() if t.matches(ar.agent)}
    ar.tallies = []
    ar.present = logged_in, available = presence(ar)
    for target in ar.targets:
        rs.supply[target] += 1
        present = rs.present[target]
        present[0] += logged_in
        present[1] += available
        counts = rs.agent_counts[target]
        _count(counts, ar.counted, 1)
        ar.tallies.append(counts)
    attach_channel_counts(rs, ar)


def unmatch_targets(rs: RoutingState, ar: AgentRecord) -> None:
    """Take an agent out of every target it matched, before a change or its removal."""
    rs.ready_plans.clear()
    logged_in, available = ar.present
    for target, pool in ar.targets.items():
        pool.discard(ar.agent.id)
        rs.supply[target] -= 1
        present = rs.present[target]
        present[0] -= logged_in
        present[1] -= available
    for counts in ar.tallies:
        _count(counts, ar.counted, -1)
    ar.targets = {}
    ar.tallies = []


def presence(ar: AgentRecord) -> tuple[int, int]:
    """What an agent counts as in ``rs.present``: (logged in, available), each 0 or 1."""
    status = ar.status
    return (int(status is not OFFLINE), int(status is AVAILABLE))


def set_presence(rs: RoutingState, ar: AgentRecord) -> None:
    """Count an agent anew in ``rs.present`` after its status changed. O(targets it matches)."""
    now = presence(ar)
    before = ar.present
    if now == before:
        return
    ar.present = now
    logged_in, available = now[0] - before[0], now[1] - before[1]
    for target in ar.targets:
        present = rs.present[target]
        present[0] += logged_in
        present[1] += available


def refresh(rs: RoutingState, ar: AgentRecord) -> None:
    """Re-place an agent in every pool it matches after any change to its state. O(targets log n)."""
    if rs.live:
        # counted_as, written out: this runs after every change to an agent.
        status = ar.status
        wrapping = len(ar.wrap_up_timers)
        counted = (
            status is not OFFLINE,
            status is AVAILABLE,
            status is AWAY,
            len(ar.work) - len(ar.offers) > wrapping,
            wrapping > 0,
        )
        if counted != ar.counted:
            recount(ar, counted)
    # AgentRecord.takes_offers, written out: this runs after every change to an agent.
    if not (ar.status is AVAILABLE and len(ar.offers) < rs.offers_per_agent and not ar.exclusive_work):
        withdraw_from_pools(rs, ar)
        return
    agent_id = ar.agent.id
    eligible_any = False
    key_of, exclusive = rs.selection_key, rs.exclusive
    load, capacity, busy = ar.load, ar.agent.capacity, bool(ar.work)
    for target, pool in ar.targets.items():
        channel = target.channel
        # has_room, written out: this loop runs after every change to an agent.
        if load.get(channel, 0) < capacity.get(channel, 0) and not (busy and channel in exclusive):
            pool.place(agent_id, key_of(ar, target))
            eligible_any = True
        else:
            pool.discard(agent_id)
    if eligible_any:
        rs.dirty_agents[agent_id] = None
    else:
        look_in_own_queues(rs, agent_id)


def withdraw_from_pools(rs: RoutingState, ar: AgentRecord) -> None:
    """An agent eligible for nothing (say, with an offer pending) leaves every pool it is in."""
    agent_id = ar.agent.id
    for pool in ar.targets.values():
        pool.discard(agent_id)
    # look_in_own_queues, written out: every offer comes this way.
    if agent_id in rs.agent_queues:
        rs.dirty_agents[agent_id] = None
    else:
        rs.dirty_agents.pop(agent_id, None)


def look_in_own_queues(rs: RoutingState, agent_id: str) -> None:
    """An agent in no pool still looks for work in the queues of contacts waiting for it alone."""
    if agent_id in rs.agent_queues:
        rs.dirty_agents[agent_id] = None
    else:
        rs.dirty_agents.pop(agent_id, None)  # it can take nothing: no need to look for work


def target_supply(rs: RoutingState, target: Target) -> int:
    """How many registered agents match ``target`` (whatever their status). O(1) once indexed."""
    if target.agent is not None:
        ar = rs.agents.get(target.agent)
        return int(ar is not None and target.matches(ar.agent))
    supply = rs.supply.get(target)
    if supply is None:
        supply = sum(target.matches(ar.agent) for ar in rs.agents.values())
    return supply


def routable(rs: RoutingState, contact: Contact, plan: Plan, first_stage: int = 0) -> bool:
    """Whether some registered agent matches a stage of ``plan`` from ``first_stage`` on."""
    return any(target_supply(rs, stage.target) for stage in plan.stages[first_stage:])


def place(rs: RoutingState, cr: ContactRecord) -> int:
    """A waiting contact's 0-based place in its queue. O(log n).

    It is the place of its key: where it is queued (under ``cr.key``), or the place it would take while
    submit offers it straight to an agent.
    """
    queue = rs.queues.get(cr.target)
    if queue is None:
        return 0
    return queue.place_of(cr.key)


def enqueue(rs: RoutingState, cr: ContactRecord) -> None:
    """Queue a waiting contact in its stage's queue, and count it in the live statistics. O(log n)."""
    contact = cr.contact
    queue = queue_for(rs, cr.target)
    queue.push(contact.id, cr.key)
    if not rs.live:
        return
    by_priority = rs.waiting_priority.get(queue)
    if by_priority is None:
        by_priority = rs.waiting_priority[queue] = {}
    priority = -cr.key[0]
    by_priority[priority] = by_priority.get(priority, 0) + 1
    tier = (contact.channel, contact.customer.tier)
    rs.waiting_tiers[tier] = rs.waiting_tiers.get(tier, 0) + 1
    oldest = rs.oldest.get(queue)
    if oldest is None:
        oldest = rs.oldest[queue] = []
    heappush(oldest, (cr.clock_start, cr.seq, contact.id))


def dequeue(rs: RoutingState, cr: ContactRecord) -> None:
    """Take a contact out of its queue, and out of the live statistics. O(log n)."""
    contact = cr.contact
    queue = rs.queues[cr.target]
    queue.remove(contact.id)
    if not rs.live:
        return
    by_priority = rs.waiting_priority[queue]
    priority = -cr.key[0]
    left = by_priority[priority] - 1
    if left:
        by_priority[priority] = left
    else:
        del by_priority[priority]
        if not by_priority:
            del rs.waiting_priority[queue]
    tier = (contact.channel, contact.customer.tier)
    left = rs.waiting_tiers[tier] - 1
    if left:
        rs.waiting_tiers[tier] = left
    else:
        del rs.waiting_tiers[tier]
    # The oldest-contact heap drops its stale entries when read; it is dropped with its queue's last
    # contact, and rebuilt when stale entries outnumber the live ones, so it stays O(waiting).
    left = len(queue)
    if not left:
        del rs.oldest[queue]
    elif len(rs.oldest[queue]) > 2 * left + 32:
        entries = [(rs.contacts[cid].clock_start, rs.contacts[cid].seq, cid) for cid in queue]
        heapify(entries)
        rs.oldest[queue] = entries


def counted_as(ar: AgentRecord) -> tuple[bool, bool, bool, bool, bool]:
    """What an agent counts as in the live statistics: (logged in, available, away, busy, in wrap-up).

    Busy means an assigned or held contact in hand (an offer alone is not). The one definition; ``refresh``
    and ``matching.serve_next`` write it out, and say so.
    """
    status = ar.status
    wrapping = len(ar.wrap_up_timers)
    busy = len(ar.work) - len(ar.offers) > wrapping
    return (status is not OFFLINE, status is AVAILABLE, status is AWAY, busy, wrapping > 0)


def recount(ar: AgentRecord, counted: tuple[bool, bool, bool, bool, bool]) -> None:
    """Count an agent anew in its targets' and channels' statistics: only what changed. O(targets)."""
    before = ar.counted
    ar.counted = counted
    tallies = ar.tallies
    for i in range(5):
        if counted[i] is not before[i]:
            step = 1 if counted[i] else -1
            for counts in tallies:
                counts[i] += step


def attach_channel_counts(rs: RoutingState, ar: AgentRecord) -> None:
    """Count an agent in the statistics of every channel it has slots on."""
    for channel, slots in ar.agent.capacity.items():
        if slots > 0:
            counts = rs.channel_agents.setdefault(channel, [0, 0, 0, 0, 0])
            _count(counts, ar.counted, 1)
            ar.tallies.append(counts)


def _count(counts: list[int], counted: tuple[bool, ...], sign: int) -> None:
    for i in range(5):
        counts[i] += sign * counted[i]


def count_offer(rs: RoutingState, target: Target, sign: int) -> None:
    """Count a pending offer of a contact at ``target`` in (``sign`` 1) or out (-1) of the live statistics.

    Counted by the target's id (a target is alive while a contact at it is offered, so its id is its own).
    """
    if not rs.live:
        return
    key = id(target)
    left = rs.offers_at.get(key, 0) + sign
    if left:
        rs.offers_at[key] = left
        rs.offer_targets[key] = target
    else:
        del rs.offers_at[key]
        del rs.offer_targets[key]
