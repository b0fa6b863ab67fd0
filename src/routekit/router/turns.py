"""A conversation's turns: holding the agent's slot for the customer's reply, and a reply that opens a turn.

``await_customer`` holds an answered turn's slot for the policy's hold time (or parks it at once); a reply
inside the hold gives the turn back to its agent; a reply to a parked conversation opens a new turn
``<conversation>#<n>`` whose service-level clock starts when the customer wrote, sticky first.
"""

from __future__ import annotations

import attrs

from routekit.events import AwaitingCustomer, CustomerReplied, Event, Resumed
from routekit.models.contact import Contact
from routekit.policies.base import Denial, Plan
from routekit.router.conversations import close, park, unpark
from routekit.router.hours import closed_to
from routekit.router.index import routable
from routekit.router.matching import match
from routekit.router.stages import denied, start
from routekit.router.state import (
    ACTIVE,
    ASSIGNED,
    HELD,
    HOLD_EXPIRY,
    WORK_ASSIGNED,
    WORK_HELD,
    ContactRecord,
    ConversationRecord,
    RoutingState,
    finish,
)

__all__ = ["hold_turn", "next_turn", "reply", "resume"]


def hold_turn(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> None:
    """Hold an assigned turn's slot for the policy's hold time; park at once when it holds nothing."""
    contact_id = cr.contact.id
    hold = rs.policy.hold(cr.contact)
    agent_id = cr.agent
    assert agent_id is not None
    if hold is None or hold.hold <= 0:
        park(rs, cr, now, out)
        match(rs, now, out)
        return
    cr.state = HELD
    rs.agents[agent_id].work[contact_id] = (cr.contact.channel, WORK_HELD)
    cr.hold_timer = rs.timers.set(now + hold.hold, HOLD_EXPIRY, (contact_id,))
    out.append(
        AwaitingCustomer(
            at=now,
            contact_id=contact_id,
            conversation_id=cr.contact.conversation,
            agent_id=agent_id,
            hold_until=now + hold.hold,
        )
    )


def reply(rs: RoutingState, conv: ConversationRecord, now: float, out: list[Event]) -> None:
    """A reply while a turn is live: a held turn is the agent's again; any other live turn absorbs it."""
    cr = rs.contacts[conv.turn]
    if cr.state == HELD:
        rs.timers.cancel(cr.hold_timer)
        cr.hold_timer = None
        cr.state = ASSIGNED
        holder = rs.agents[cr.agent]  # type: ignore[index]
        holder.work[cr.contact.id] = (cr.contact.channel, WORK_ASSIGNED)
    out.append(CustomerReplied(at=now, conversation_id=conv.record.id, contact_id=conv.turn))


def next_turn(conv: ConversationRecord, now: float) -> Contact:
    """A parked conversation's next turn, ``<conversation>#<n>``: its first contact, arriving now.

    It carries the conversation's context and the agents who served it, for a sticky plan and the agent's
    screen.
    """
    record = conv.record
    return attrs.evolve(
        conv.first,
        id=f"{record.id}#{len(record.turns) + 1}",
        arrived_at=now,
        head_start=0.0,
        conversation_id=record.id,
        context=record.context,
        served_by=record.agents,
    )


def resume(
    rs: RoutingState, conv: ConversationRecord, turn: Contact, plan: Plan | Denial, now: float, out: list[Event]
) -> None:
    """Open ``turn`` (from :func:`next_turn`, planned by the policy) in a parked conversation.

    Emits ``Resumed``, then ``ContactQueued`` and any ``Offered``; or ``Denied`` and ``ConversationClosed``
    when the policy denies the turn or nobody can serve it.
    """
    record = conv.record
    rs.timers.cancel(conv.ttl_timer)
    conv.ttl_timer = None
    unpark(rs, conv)
    conv.status = ACTIVE
    conv.turn = turn.id
    conv.record = attrs.evolve(record, turns=(*record.turns, turn.id))
    out.append(Resumed(at=now, conversation_id=record.id, contact_id=turn.id, last_agent_id=record.last_agent))
    never_opens = turn.channel in rs.shut and closed_to(rs, turn.channel)
    if isinstance(plan, Denial) or not routable(rs, turn, plan) or never_opens:
        reason, rule, fallback = (
            (plan.reason, plan.rule, plan.fallback)
            if isinstance(plan, Denial)
            else ("unroutable", plan.stages[0].target.rule, None)
            if not never_opens
            else ("closed", f"hours:{turn.channel.value}", None)
        )
        out.append(denied(turn, now, reason, rule, fallback))
        finish(rs, turn.id, now, record.id, f"denied: {reason}", (None, None, rule, None, now))
        close(rs, conv, now, reason, out)
        return
    start(rs, turn, plan, now, out, queue=True)
    match(rs, now, out)
