"""How an offer ends unanswered: rejected, expired or rescinded.

The contact goes back to its old place in its current stage's queue (its queue key never changed), the
agent's slot is freed, and an agent who rejected or missed the contact is barred from it for the re-offer
delay (:mod:`routekit.router.bars`). Making an offer is :func:`routekit.router.matching.offer`; accepting
it is :meth:`routekit.Router.accept`.
"""

from __future__ import annotations

from typing import Any

from routekit.events import AgentStatusChanged, Event, OfferExpired, OfferRescinded
from routekit.router.bars import bar
from routekit.router.index import count_offer, enqueue, refresh, set_presence
from routekit.router.stages import deny_if_stranded, leave_sticky_stages, next_stage
from routekit.router.state import AWAY, WAITING, AgentRecord, ContactRecord, RoutingState, remove_work

__all__ = ["end_offer", "offer_expired", "rescind", "withdraw_offer"]


def withdraw_offer(rs: RoutingState, cr: ContactRecord) -> AgentRecord:
    """Undo an offer's reservation (not the agent's idle time: an offer is not work done)."""
    agent_id = cr.agent
    assert agent_id is not None
    ar = rs.agents[agent_id]
    rs.timers.cancel(cr.offer_timer)
    cr.offer_timer = None
    count_offer(rs, cr.target, -1)
    del ar.offers[cr.contact.id]
    remove_work(rs, ar, cr.contact.id)
    return ar


def end_offer(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event], *, barred: bool) -> None:
    """An offer ended unanswered: free the reservation, bar the agent if asked, requeue the contact.

    A sticky stage whose agent rejected or missed the contact moves on to the next stage at once.
    """
    agent_id = cr.agent
    assert agent_id is not None
    ar = withdraw_offer(rs, cr)
    if barred and rs.reoffer_delay > 0:
        bar(rs, cr.contact.id, agent_id, now + rs.reoffer_delay)
    refresh(rs, ar)
    if barred and cr.target.agent == agent_id and cr.stage < len(cr.plan.stages) - 1:
        next_stage(rs, cr, now, out)  # still offered here, so it touches no queue
    cr.state = WAITING
    cr.agent = None
    enqueue(rs, cr)
    rs.dirty_contacts[cr.contact.id] = None
    deny_if_stranded(rs, cr, now, out)


def rescind(rs: RoutingState, cr: ContactRecord, now: float, reason: str, out: list[Event], *, requeue: bool) -> None:
    """Take an offer back (the agent left, or the customer did); requeue the contact or not."""
    agent_id = cr.agent
    assert agent_id is not None
    out.append(OfferRescinded(at=now, contact_id=cr.contact.id, agent_id=agent_id, reason=reason))
    if requeue:
        end_offer(rs, cr, now, out, barred=False)
    else:
        refresh(rs, withdraw_offer(rs, cr))


def offer_expired(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``OFFER_EXPIRY`` timer: the agent missed the offer (and is set away, if the settings say so)."""
    contact_id, agent_id = payload
    cr = rs.contacts[contact_id]
    ar = rs.agents[agent_id]
    cr.offer_timer = None
    out.append(OfferExpired(at=at, contact_id=contact_id, agent_id=agent_id))
    away = rs.away_on_missed_offer
    if away:
        ar.status = AWAY
        set_presence(rs, ar)
        out.append(AgentStatusChanged(at=at, agent_id=agent_id, status=AWAY))
    end_offer(rs, cr, at, out, barred=True)
    if away:
        for other in list(ar.offers):  # away rescinds the agent's other pending offers, without a bar
            rescind(rs, rs.contacts[other], at, "agent-away", out, requeue=True)
        leave_sticky_stages(rs, agent_id, at, out)
