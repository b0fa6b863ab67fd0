"""Refusals: the checks a call makes before it changes anything, each raising the error DESIGN names.

Each check takes the events of the timers that already fired (``out``) and hands them to the error it
raises as ``err.events``, so that a refused call loses nothing (:func:`refuse`).
"""

from __future__ import annotations

from routekit.errors import (
    ConfigError,
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
from routekit.router.state import OFFERED, AgentRecord, ContactRecord, RoutingState

__all__ = ["agent_of", "live_contact", "pending_offer", "plan_of", "refuse", "require_routable", "status_of"]


def refuse(error: RoutekitError, events: list[Event]) -> RoutekitError:
    """``error``, carrying the timer events that fired before the call was refused."""
    error.events = events + error.events
    return error


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


def plan_of(rs: RoutingState, contact: Contact, now: float, out: list[Event]) -> Plan | Denial:
    """The policy's plan for ``contact``; a policy's own refusal (an unknown tier) carries the events."""
    try:
        return rs.policy.plan(contact, now)
    except RoutekitError as error:
        raise refuse(error, out) from None


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
