"""Refusals: the checks a call makes before it changes anything, each raising the error DESIGN names.

Each check takes the events of the timers that already fired (``out``) and hands them to the error it
raises as ``err.events``, so that a refused call loses nothing (:func:`refuse`).
"""

from __future__ import annotations

from typing import Any

from routekit.errors import (
    ArgumentTypeError,
    ConfigError,
    DuplicateIdError,
    OfferStateError,
    RoutekitError,
    StateError,
    UnknownIdError,
    UnroutableContactError,
)
from routekit.events import Event
from routekit.models.agent import AgentStatus
from routekit.models.contact import Contact
from routekit.policies.base import Denial, Plan
from routekit.router.index import routable
from routekit.router.limits import full_target, limit_of
from routekit.router.state import OFFERED, SYNCHRONOUS, AgentRecord, ContactRecord, RoutingState

__all__ = [
    "agent_of",
    "concurrent_call",
    "foreign_conversation",
    "is_current_turn",
    "live_contact",
    "pending_offer",
    "plan_of",
    "refuse",
    "require_channel",
    "require_room",
    "require_routable",
    "require_type",
    "status_of",
    "taken_conversation",
]


def refuse(error: RoutekitError, events: list[Event]) -> RoutekitError:
    """``error``, carrying the timer events that fired before the call was refused."""
    error.events = events + error.events
    return error


def require_type(name: str, value: Any, expected: Any) -> None:
    """Refuse an argument of the wrong type with ``ArgumentTypeError``, before anything happens.

    A call checks ``type(value) is expected`` inline first (a few bytecodes per call) and comes here only
    when that fails, so that a subclass still passes.
    """
    if not isinstance(value, expected):
        wanted = getattr(expected, "__name__", None) or " or ".join(t.__name__ for t in expected.__args__)
        raise ArgumentTypeError(f"{name} must be a {wanted}, got {type(value).__name__} {value!r}")


def concurrent_call(name: str) -> StateError:
    """The refusal of a call made while another call on the same router is in progress.

    A router is single-threaded: a second thread entering it while a call runs would corrupt it. The
    guard is a flag, not a lock, so it detects the misuse (nearly always) rather than serialising it.
    """
    return StateError(
        f"{name}() was called while another call on this router is in progress: a router is not "
        "thread-safe; call it from one thread (or serialise the calls with a lock)"
    )


def agent_of(rs: RoutingState, agent_id: str, out: list[Event]) -> AgentRecord:
    """A registered agent's record, or ``UnknownIdError``."""
    ar = rs.agents.get(agent_id)
    if ar is None:
        raise refuse(UnknownIdError(f"unknown agent {agent_id!r}"), out)
    return ar


def status_of(status: AgentStatus | str, out: list[Event]) -> AgentStatus:
    """An agent status given as a member or its value, or ``ConfigError``."""
    try:
        return AgentStatus(status)
    except ValueError:
        names = ", ".join(s.value for s in AgentStatus)
        raise refuse(ConfigError(f"unknown agent status {status!r}; expected one of {names}"), out) from None


def live_contact(rs: RoutingState, contact_id: str, out: list[Event]) -> ContactRecord:
    """A live contact's record; ``StateError`` when it has finished, ``UnknownIdError`` when never seen."""
    cr = rs.contacts.get(contact_id)
    if cr is None:
        if contact_id in rs.finished:
            raise refuse(StateError(f"contact {contact_id!r} has already finished"), out)
        raise refuse(UnknownIdError(f"unknown contact {contact_id!r}"), out)
    return cr


def pending_offer(rs: RoutingState, contact_id: str, agent_id: str, out: list[Event]) -> ContactRecord:
    """The record of a contact offered to that agent, or ``OfferStateError`` saying what it is instead."""
    cr = rs.contacts.get(contact_id)
    if cr is None or cr.state != OFFERED or cr.agent != agent_id:
        held = "nothing" if cr is None else f"{cr.state.value} (agent {cr.agent!r})"
        raise refuse(
            OfferStateError(f"agent {agent_id!r} holds no pending offer of contact {contact_id!r}: it is {held}"),
            out,
        )
    return cr


def taken_conversation(rs: RoutingState, conversation_id: str) -> DuplicateIdError:
    """The refusal of a first turn naming a conversation that is open, or closed within the retention time."""
    if conversation_id in rs.closed:
        return DuplicateIdError(
            f"conversation {conversation_id!r} closed at t={rs.closed[conversation_id]:g}; "
            "its id stays taken for the retention time"
        )
    return DuplicateIdError(f"conversation {conversation_id!r} is already open; a reply is customer_replied()")


def foreign_conversation(rs: RoutingState, contact: Contact) -> StateError:
    """The refusal of a synchronous contact naming a conversation: it cannot be one of its turns."""
    conv = rs.conversations[contact.conversation]
    return StateError(
        f"contact {contact.id!r} on {contact.channel.value} names conversation {contact.conversation!r}, "
        f"a {conv.record.channel.value} conversation; a {contact.channel.value} contact is no conversation's turn"
    )


def is_current_turn(rs: RoutingState, cr: ContactRecord) -> bool:
    """Whether a contact is the live turn of an open conversation on an asynchronous channel."""
    contact = cr.contact
    if contact.channel in SYNCHRONOUS:
        return False
    conv = rs.conversations.get(contact.conversation)
    return conv is not None and conv.turn == contact.id and contact.conversation not in rs.closed


def require_channel(contact: Contact, plan: Plan, out: list[Event]) -> None:
    """``ConfigError`` when a stage of a transfer's plan targets another channel than the contact's."""
    for stage in plan.stages:
        if stage.target.channel != contact.channel:
            raise refuse(
                ConfigError(
                    f"contact {contact.id!r} is on {contact.channel.value}; it cannot be transferred to a "
                    f"{stage.target.channel.value} target ({stage.target.rule})"
                ),
                out,
            )


def plan_of(rs: RoutingState, contact: Contact, now: float, out: list[Event]) -> Plan | Denial:
    """The policy's plan for ``contact``; a policy's own refusal (an unknown tier) carries the events."""
    try:
        return rs.policy.plan(contact, now)
    except RoutekitError as error:
        raise refuse(error, out) from None


def require_room(rs: RoutingState, contact: Contact, plan: Plan, out: list[Event]) -> None:
    """``StateError`` when a transferred contact would wait in a queue already at its limit."""
    full = full_target(rs, contact.id, plan)
    if full is not None:
        raise refuse(
            StateError(
                f"queue-full: contact {contact.id!r} would wait at {full.rule} ({full.channel.value}), "
                f"whose queue is at its limit of {limit_of(rs, full)}"
            ),
            out,
        )


def require_routable(rs: RoutingState, contact: Contact, plan: Plan, out: list[Event]) -> None:
    """``UnroutableContactError`` when no registered agent could ever serve any stage of ``plan``."""
    if not routable(rs, contact, plan):
        rules = ", ".join(stage.target.rule for stage in plan.stages)
        raise refuse(
            UnroutableContactError(
                f"no registered agent could ever serve contact {contact.id!r} "
                f"(channel {contact.channel.value}; stages {rules})"
            ),
            out,
        )
