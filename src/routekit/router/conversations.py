"""Conversations on asynchronous channels: parking a turn, closing a conversation, and their timers.

An open conversation is *active* while one of its turns is live (waiting, offered, assigned or held) and
*parked* while it waits for the customer; a parked one closes when its park TTL runs out. Holding a turn
and resuming a parked conversation with a new turn are in :mod:`routekit.router.turns`.
"""

from __future__ import annotations

from typing import Any

from routekit.events import ConversationClosed, Event, Parked
from routekit.models.contact import Contact
from routekit.router.index import refresh
from routekit.router.state import (
    PARK_TTL,
    PARKED,
    SYNCHRONOUS,
    ContactRecord,
    ConversationRecord,
    RoutingState,
    finish,
    release,
)

__all__ = [
    "close",
    "close_conversation_of",
    "hold_expired",
    "park",
    "park_ttl_ended",
    "parked_conversation",
    "unpark",
]


def park(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> None:
    """End a conversation's turn without wrap-up; the conversation waits for the customer's reply."""
    agent_id = cr.agent
    assert agent_id is not None
    ar = rs.agents[agent_id]
    rs.timers.cancel(cr.hold_timer)
    contact_id = cr.contact.id
    conv = rs.conversations[cr.contact.conversation]
    release(rs, ar, contact_id, now)
    refresh(rs, ar)
    del rs.contacts[contact_id]
    finish(rs, contact_id, now, conv.record.id, "parked", cr.decision)
    conv.status = PARKED
    if rs.live:
        channel = conv.record.channel
        rs.parked_count[channel] = rs.parked_count.get(channel, 0) + 1
    hold = rs.policy.hold(cr.contact)
    ttl = hold.park_ttl if hold is not None else rs.park_ttl
    conv.ttl_timer = rs.timers.set(now + ttl, PARK_TTL, (conv.record.id,))
    out.append(Parked(at=now, conversation_id=conv.record.id, contact_id=contact_id, agent_id=agent_id))


def parked_conversation(rs: RoutingState, some_id: str) -> ConversationRecord | None:
    """The open, parked conversation named by its id or by its last turn's id, or ``None``."""
    conv = rs.conversations.get(some_id)
    if conv is None:
        conversation_id = rs.finished.get(some_id)
        conv = rs.conversations.get(conversation_id) if conversation_id else None
        if conv is not None and conv.turn != some_id:
            return None
    if conv is None or conv.status != PARKED:
        return None
    if conv.record.id in rs.closed:
        return None
    return conv


def close_conversation_of(rs: RoutingState, contact: Contact, now: float, reason: str, out: list[Event]) -> None:
    """Close the conversation whose current turn ``contact`` is, if it is open."""
    if not rs.conversations or contact.channel in SYNCHRONOUS:
        return  # only asynchronous channels hold conversations
    conv = rs.conversations.get(contact.conversation)
    if conv is not None and conv.turn == contact.id and contact.conversation not in rs.closed:
        close(rs, conv, now, reason, out)


def close(rs: RoutingState, conv: ConversationRecord, now: float, reason: str, out: list[Event]) -> None:
    """Close a conversation; it is remembered as closed for the retention time."""
    conversation_id = conv.record.id
    rs.timers.cancel(conv.ttl_timer)
    conv.ttl_timer = None
    if conv.status == PARKED:
        unpark(rs, conv)
    rs.closed[conversation_id] = now
    rs.finished_order.append((now, conversation_id, True))
    out.append(ConversationClosed(at=now, conversation_id=conversation_id, reason=reason))


def unpark(rs: RoutingState, conv: ConversationRecord) -> None:
    """Count a parked conversation out of the live statistics (it resumed or closed)."""
    if not rs.live:
        return
    channel = conv.record.channel
    left = rs.parked_count[channel] - 1
    if left:
        rs.parked_count[channel] = left
    else:
        del rs.parked_count[channel]


def hold_expired(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``HOLD_EXPIRY`` timer: the customer did not reply in time, and the turn is parked."""
    (contact_id,) = payload
    cr = rs.contacts[contact_id]
    cr.hold_timer = None
    park(rs, cr, at, out)


def park_ttl_ended(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``PARK_TTL`` timer: a parked conversation nobody resumed closes."""
    (conversation_id,) = payload
    conv = rs.conversations[conversation_id]
    conv.ttl_timer = None
    close(rs, conv, at, "park-ttl", out)
