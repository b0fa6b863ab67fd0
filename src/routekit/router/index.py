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
    "count_offer",
    "dequeue",
    "drop_empty_agent_queue",
    "eligible",
    "enqueue",
    "ensure_target",
    "has_room",
    "look_in_own_queues",
    "match_targets",
    "place",
    "queue_for",
    "recount",
    "refresh",
    "routable",
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
    return ar.takes_offers() and has_room(rs, ar, channel)


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
    supply = 0
    for ar in rs.agents.values():
        if target.matches(ar.agent):
            supply += 1
            ar.targets[target] = pool
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
    for target in ar.targets:
        rs.supply[target] += 1
        _count(rs.agent_counts[target], ar.counted, 1)
    for channel in _channels(ar):
        _count(rs.channel_agents.setdefault(channel, [0, 0, 0, 0, 0]), ar.counted, 1)


def unmatch_targets(rs: RoutingState, ar: AgentRecord) -> None:
    """Take an agent out of every target it matched, before a change or its removal."""
    rs.ready_plans.clear()
    for target, pool in ar.targets.items():
        pool.discard(ar.agent.id)
        rs.supply[target] -= 1
        _count(rs.agent_counts[target], ar.counted, -1)
    for channel in _channels(ar):
        _count(rs.channel_agents.setdefault(channel, [0, 0, 0, 0, 0]), ar.counted, -1)
    ar.targets = {}


def refresh(rs: RoutingState, ar: AgentRecord) -> None:
    """Re-place an agent in every pool it matches after any change to its state. O(targets log n)."""
    recount(rs, ar)
    # AgentRecord.takes_offers, written out: this runs after every change to an agent.
    if not (ar.status is AVAILABLE and ar.offer is None and not ar.exclusive_work):
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
    target = cr.target
    contact = cr.contact
    queue_for(rs, target).push(contact.id, cr.key)
    by_priority = rs.waiting_priority.get(target)
    if by_priority is None:
        by_priority = rs.waiting_priority[target] = {}
    priority = -cr.key[0]
    by_priority[priority] = by_priority.get(priority, 0) + 1
    tier = (contact.channel, contact.customer.tier)
    rs.waiting_tiers[tier] = rs.waiting_tiers.get(tier, 0) + 1
    oldest = rs.oldest.get(target)
    if oldest is None:
        oldest = rs.oldest[target] = []
    heappush(oldest, (cr.clock_start, cr.seq, contact.id))


def dequeue(rs: RoutingState, cr: ContactRecord) -> None:
    """Take a contact out of its queue, and out of the live statistics. O(log n)."""
    target = cr.target
    contact = cr.contact
    queue = rs.queues[target]
    queue.remove(contact.id)
    by_priority = rs.waiting_priority[target]
    priority = -cr.key[0]
    left = by_priority[priority] - 1
    if left:
        by_priority[priority] = left
    else:
        del by_priority[priority]
        if not by_priority:
            del rs.waiting_priority[target]
    tier = (contact.channel, contact.customer.tier)
    left = rs.waiting_tiers[tier] - 1
    if left:
        rs.waiting_tiers[tier] = left
    else:
        del rs.waiting_tiers[tier]
    # The oldest-contact heap drops its stale entries when read; it is dropped with its queue's last
    # contact, and rebuilt when stale entries outnumber the live ones, so it stays O(waiting).
    if not queue:
        del rs.oldest[target]
    elif len(rs.oldest[target]) > 2 * len(queue) + 32:
        entries = [(rs.contacts[cid].clock_start, rs.contacts[cid].seq, cid) for cid in queue]
        heapify(entries)
        rs.oldest[target] = entries


def recount(rs: RoutingState, ar: AgentRecord) -> None:
    """Count an agent anew in the live statistics of its targets and channels, if what it counts as changed.

    An agent counts as (logged in, available, away, busy, in wrap-up); busy means an assigned or held
    contact in hand (an offer alone is not). O(1) when nothing changed, O(targets) when something did.
    """
    status = ar.status
    work = len(ar.work) - (ar.offer is not None)
    wrapping = len(ar.wrap_up_timers)
    counted = (status is not OFFLINE, status is AVAILABLE, status is AWAY, work > wrapping, wrapping > 0)
    before = ar.counted
    if counted == before:
        return
    delta = [new - old for new, old in zip(counted, before, strict=True)]
    for target in ar.targets:
        counts = rs.agent_counts[target]
        for i in range(5):
            counts[i] += delta[i]
    for channel in _channels(ar):
        counts = rs.channel_agents.setdefault(channel, [0, 0, 0, 0, 0])
        for i in range(5):
            counts[i] += delta[i]
    ar.counted = counted


def _channels(ar: AgentRecord) -> list[Channel]:
    """The channels an agent has slots on: where it counts in the per-channel statistics."""
    return [channel for channel, slots in ar.agent.capacity.items() if slots > 0]


def _count(counts: list[int], counted: tuple[bool, ...], sign: int) -> None:
    for i in range(5):
        counts[i] += sign * counted[i]


def count_offer(rs: RoutingState, target: Target, sign: int) -> None:
    """Count a pending offer of a contact at ``target`` in (``sign`` 1) or out (-1) of the live statistics."""
    left = rs.offers_at.get(target, 0) + sign
    if left:
        rs.offers_at[target] = left
    else:
        del rs.offers_at[target]
