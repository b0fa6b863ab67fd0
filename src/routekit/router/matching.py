"""Matching: which waiting contact goes to which eligible agent, and making the offer.

Matching keeps one invariant, *stability*: after every call, no waiting contact has an eligible agent that
is not barred from it by a re-offer delay or held back by its own queue delay. A call that frees an agent or
queues a contact marks it *dirty*; :func:`match` then repeatedly offers the best waiting contact (by queue
key) that has an eligible agent to that contact's best agent (by selection key), looking only at dirty
contacts and at the best contact of each dirty agent, since by stability no other pair can have become
possible. An agent that ranks targets (``Agent.queue_priorities``) takes instead its own best-ranked contact
among those whose best agent it is (:mod:`routekit.router.priorities`).

Every offer is made by :func:`offer`, in this module.
"""

from __future__ import annotations

from collections.abc import Iterable

from routekit._slot_init import slot_builder
from routekit.events import Event, Offered
from routekit.models.agent import UNRANKED
from routekit.policies.base import Target
from routekit.queues import QueueKey
from routekit.router.index import (
    counted_as,
    dequeue,
    drop_empty_agent_queue,
    eligible,
    enqueue,
    has_room,
    recount,
    refresh,
    withdraw_from_pools,
)
from routekit.router.priorities import delay_passed, release_due
from routekit.router.state import (
    AVAILABLE,
    OFFER_EXPIRY,
    OFFERED,
    WAITING,
    WORK_OFFERED,
    AgentRecord,
    ContactRecord,
    RoutingState,
    add_work,
)

__all__ = ["best_agent_for", "best_contact_for", "match", "offer", "offer_new", "serve_next"]

# Offered is built for every contact, from values the router has already checked, by position in field
# order: half the cost of a keyword call of the class (see routekit._slot_init.slot_builder).
_offered = slot_builder(Offered)


def best_agent_for(rs: RoutingState, cr: ContactRecord) -> str | None:
    """The agent a waiting contact would be offered to now, or ``None``. O(1), or O(barred + delaying) with
    re-offer bars or agents' queue delays for its target (:mod:`routekit.router.priorities`)."""
    target = cr.target
    if rs.held and target.channel in rs.held:
        return None  # a closed asynchronous channel: no offers until it opens (routekit.router.hours)
    barred = rs.bars.get(cr.contact.id) if rs.bars else None
    delays = rs.delays.get(target.rule) if rs.delays else None
    if target.agent is not None:
        ar = rs.agents.get(target.agent)
        if ar is None or (barred and target.agent in barred) or not target.matches(ar.agent):
            return None
        if delays and not delay_passed(ar.agent, cr, rs.now):
            return None
        return target.agent if eligible(rs, ar, target.channel) else None
    pool = rs.pools[target]
    if not barred and not delays:
        return pool.first()
    agents = rs.agents
    for agent_id in pool:
        if barred and agent_id in barred:
            continue
        if delays and not delay_passed(agents[agent_id].agent, cr, rs.now):
            continue
        return agent_id
    return None


def best_contact_for(rs: RoutingState, ar: AgentRecord, *, ranked: bool = True) -> ContactRecord | None:
    """The waiting contact an agent would be offered now, over every target it matches. O(targets).

    An agent that ranks targets (``Agent.queue_priorities``) takes its best-ranked contact first when
    ``ranked``; with ``ranked=False`` it is the best by queue key alone, which :func:`match` compares across
    agents. See :func:`_ranked_contact_for` for such an agent's cost.
    """
    # AgentRecord.takes_offers, written out: every freed agent comes this way.
    if not (ar.status is AVAILABLE and len(ar.offers) < rs.offers_per_agent and not ar.exclusive_work):
        return None
    if ar.agent.queue_priorities:
        return _ranked_contact_for(rs, ar, ranked=ranked, own=False)
    agent_id = ar.agent.id
    barred = rs.bars_by_agent.get(agent_id)
    best: tuple[QueueKey, str] | None = None
    targets: Iterable[Target] = ar.targets
    own = rs.agent_queues.get(agent_id)
    if own:
        targets = [*targets, *(t for t in own if t.matches(ar.agent))]
    held = rs.held
    for target in targets:
        queue = rs.queues.get(target)
        if queue is None or (held and target.channel in held):
            continue
        if barred is None:
            first = queue.head()
        elif queue:
            first = next(((queue.key(c), c) for c in queue if c not in barred), None)
        else:
            continue
        if first is not None and (best is None or first[0] < best[0]) and has_room(rs, ar, target.channel):
            best = first
    return None if best is None else rs.contacts[best[1]]


def _ranked_contact_for(rs: RoutingState, ar: AgentRecord, *, ranked: bool, own: bool) -> ContactRecord | None:
    """The best contact of an agent that ranks targets: by (its rank of the contact's rule, queue key).

    Each queue is read from its head to the first contact this agent may take now (not barred, its delay
    passed) and, with ``own``, whose best agent it is: O(targets) plus the contacts passed over, which only
    re-offer bars and queue delays make more than none.
    """
    agent = ar.agent
    agent_id = agent.id
    priorities = agent.queue_priorities
    barred = rs.bars_by_agent.get(agent_id)
    now = rs.now
    contacts = rs.contacts
    best: tuple[int, QueueKey] | None = None
    best_cr: ContactRecord | None = None
    targets: list[Target] = list(ar.targets)
    owned = rs.agent_queues.get(agent_id)
    if owned:
        targets += [t for t in owned if t.matches(agent)]
    held = rs.held
    for target in targets:
        queue = rs.queues.get(target)
        if not queue or (held and target.channel in held) or not has_room(rs, ar, target.channel):
            continue
        for contact_id in queue:
            if barred is not None and contact_id in barred:
                continue
            cr = contacts[contact_id]
            entry = priorities.get(cr.target.rule)
            if entry is not None and cr.stage_since + entry[1] > now:
                continue
            if own and best_agent_for(rs, cr) != agent_id:
                continue
            rank = (entry[0] if entry is not None else UNRANKED) if ranked else 0
            if best is None or (rank, cr.key) < best:
                best, best_cr = (rank, cr.key), cr
            break
    return best_cr


def offer(rs: RoutingState, cr: ContactRecord, agent_id: str, now: float, out: list[Event], *, queued: bool) -> None:
    """Offer a contact to an agent: reserve the slot, start the offer timer, and emit ``Offered``.

    With ``queued=False`` the contact is not in its queue (submit offers a new contact straight away).
    """
    ar = rs.agents[agent_id]
    contact_id = cr.contact.id
    channel = cr.contact.channel
    target = cr.target
    if queued:
        dequeue(rs, cr)
        if target.agent is not None:
            drop_empty_agent_queue(rs, target)
    # index.count_offer, written out: every offer comes this way.
    if rs.live:
        key = id(target)
        offers_at = rs.offers_at
        counted = offers_at.get(key)
        if counted is None:
            offers_at[key] = 1
            rs.offer_targets[key] = target
        else:
            offers_at[key] = counted + 1
    cr.state = OFFERED
    cr.agent = agent_id
    cr.offered_at = now
    expires = now + rs.offer_timeout[channel]
    cr.offer_timer = rs.timers.set(expires, OFFER_EXPIRY, (contact_id, agent_id))
    ar.offers[contact_id] = None
    ar.last_offer_at = now
    add_work(rs, ar, contact_id, channel, WORK_OFFERED)
    if len(ar.offers) < rs.offers_per_agent:
        refresh(rs, ar)  # room for another offer: re-placed under its new keys, and looked at again
    else:
        withdraw_from_pools(rs, ar)  # as many offers pending as it may hold: eligible for nothing
    selection = "sticky" if target.agent is not None else rs.selection_name
    cr.offer_rule = (cr.stage, target.rule, selection)
    # at, contact_id, agent_id, stage, rule, selection, expires_at
    out.append(_offered(now, contact_id, agent_id, cr.stage, target.rule, selection, expires))


def offer_new(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> None:
    """A new waiting contact, not yet queued: offer it at once if it can be, else queue it.

    When nothing else is dirty, the last call left no waiting contact with an eligible agent (stability),
    so the only possible offer is of this contact to its best agent: it is made without a trip through
    the queue. Otherwise the contact is queued and weighed by :func:`match` with the rest.
    """
    if rs.dirty_agents or rs.dirty_contacts:
        agent_id = None
        rs.dirty_contacts[cr.contact.id] = None
    else:
        agent_id = best_agent_for(rs, cr)
    if agent_id is None:
        enqueue(rs, cr)
    else:
        offer(rs, cr, agent_id, now, out, queued=False)


def serve_next(rs: RoutingState, ar: AgentRecord, now: float, out: list[Event]) -> None:
    """An agent has capacity again: offer it its best waiting contact at once, or place it in its pools.

    When nothing else is dirty, the stability invariant says no other agent can take any contact now
    waiting, so this agent's own best contact is the only possible offer, and the agent need not go
    into its pools only to come out again.
    """
    if rs.dirty_agents or rs.dirty_contacts:
        refresh(rs, ar)
        return
    found = best_contact_for(rs, ar)
    if found is None:
        refresh(rs, ar)
        rs.dirty_agents.pop(ar.agent.id, None)  # just looked: nothing it can take waits
        return
    if rs.live:
        counted = counted_as(ar)  # refresh's own first step: the work that ended changes what the agent counts as
        if counted != ar.counted:
            recount(ar, counted)
    offer(rs, found, ar.agent.id, now, out, queued=True)


def match(rs: RoutingState, now: float, out: list[Event]) -> None:
    """Offer while some waiting contact has an eligible agent: best contact first, to its best agent.

    Only what changed is dirty, and most calls leave nothing dirty: the per-contact calls (submit, accept,
    complete, abandon) look before they call, which spares about 1% of a simulated contact.
    """
    if rs.delay_moments and rs.delay_moments[0][0] <= now:
        release_due(rs, now)
    dirty_contacts, dirty_agents = rs.dirty_contacts, rs.dirty_agents
    while dirty_contacts or dirty_agents:
        best: ContactRecord | None = None
        best_agent: str | None = None
        for contact_id in list(dirty_contacts):
            cr = rs.contacts.get(contact_id)
            agent_id = None
            if cr is not None and cr.state == WAITING:
                agent_id = best_agent_for(rs, cr)
            if agent_id is None:
                del dirty_contacts[contact_id]
            elif best is None or cr.key < best.key:  # type: ignore[union-attr]
                best, best_agent = cr, agent_id
        for agent_id in list(dirty_agents):
            ar = rs.agents.get(agent_id)
            found = best_contact_for(rs, ar, ranked=False) if ar is not None else None
            if found is None:
                del dirty_agents[agent_id]
            elif best is None or found.key < best.key:
                best, best_agent = found, None
        if best is None:
            return
        if best_agent is None:
            best_agent = best_agent_for(rs, best)
            assert best_agent is not None
        chooser = rs.agents[best_agent]
        if chooser.agent.queue_priorities:
            # The best contact's best agent ranks targets: it takes its own choice among the contacts
            # whose best agent it is (routekit.router.priorities); the best contact is one of them.
            choice = _ranked_contact_for(rs, chooser, ranked=True, own=True)
            assert choice is not None
            best = choice
        offer(rs, best, best_agent, now, out, queued=True)
