"""Sticky agent with timeout fallback, and the router's conversations (issue 5), one named test per rule.

Each rule is tested through the :class:`~routekit.Router`. Routers here are wrapped by :class:`Checked`, so
``router._check()`` runs after every call, refused or not. The standard story: agents ``a1`` and ``a2`` on
messaging (one slot each), conversation ``m1`` answered by ``a1`` at 1, held from 10 until 130
(``HOLD`` = 120 s), parked at 130; a reply turn waits ``WINDOW`` = 300 s for its last agent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from checked import Checked

import routekit as rk
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    ConversationClosed,
    CustomerReplied,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    Parked,
    Resumed,
    StageChanged,
)
from routekit.policies import Skills, Sticky, TierGate, mobile_support

MESSAGING, CHAT, VIDEO = rk.Channel.MESSAGING, rk.Channel.CHAT, rk.Channel.VIDEO
AVAILABLE, AWAY, OFFLINE = rk.AgentStatus.AVAILABLE, rk.AgentStatus.AWAY, rk.AgentStatus.OFFLINE
OFFER_TIMEOUT = 60.0  # DESIGN.md's default for messaging
HOLD, WINDOW, PARK_TTL = 120.0, 300.0, 3600.0
STICKY = "sticky:last-agent"
CONTEXT = {"bot_transcript": "where is order A-17?", "crm": {"orders": 12}}


def sticky(then: Any = None, **overrides: Any) -> Sticky:
    """``Sticky(hold=120, window=300, park_ttl=3600)`` over ``then`` (default: ``Skills()``)."""
    settings: dict[str, Any] = {"hold": HOLD, "window": WINDOW, "park_ttl": PARK_TTL}
    settings.update(overrides)
    return Sticky(then=Skills() if then is None else then, **settings)


def make_router(policy: Any = None, **settings: Any) -> Checked:
    """A checked router under ``policy`` (default: :func:`sticky`) with keyword settings."""
    return Checked(rk.Router(sticky() if policy is None else policy, **settings))


def agent(agent_id: str, messaging: int = 1, **fields: Any) -> rk.Agent:
    """An agent with ``messaging`` slots."""
    return rk.Agent(id=agent_id, capacity={"messaging": messaging}, **fields)


def message(contact_id: str, tier: str = "standard", **fields: Any) -> rk.Contact:
    """A messaging contact from customer ``u-<id>``, carrying :data:`CONTEXT`."""
    customer = rk.Customer(id=f"u-{contact_id}", tier=tier)
    return rk.Contact(id=contact_id, customer=customer, channel="messaging", context=CONTEXT, **fields)


def queued(at: float, contact_id: str, *, rule: str = "skills:any", tier: str = "standard") -> ContactQueued:
    """The ``ContactQueued`` of a messaging contact (or reply turn) whose clock starts at ``at``."""
    return ContactQueued(
        at=at,
        contact_id=contact_id,
        channel=MESSAGING,
        tier=tier,
        arrived_at=at,
        stage=0,
        rule=rule,
        priority=0,
    )


def offered(at: float, contact_id: str, agent_id: str, *, stage: int = 0, rule: str = "skills:any") -> Offered:
    """The ``Offered`` of a messaging contact; a sticky stage names selection ``sticky``."""
    return Offered(
        at=at,
        contact_id=contact_id,
        agent_id=agent_id,
        stage=stage,
        rule=rule,
        selection="sticky" if rule == STICKY else "longest-idle",
        expires_at=at + OFFER_TIMEOUT,
    )


def held(router: Checked, *, second_agent: bool = True) -> None:
    """Agents a1 (and a2); conversation m1 answered by a1 at 1 and held from 10 until 130."""
    router.add_agent(agent("a1"), 0.0)
    if second_agent:
        router.add_agent(agent("a2"), 0.0, status=AWAY)
    router.submit(message("m1"), 0.0)
    router.accept("m1", "a1", 1.0)
    router.await_customer("m1", 10.0)
    if second_agent:
        router.set_status("a2", AVAILABLE, 11.0)


def parked(router: Checked, *, second_agent: bool = True) -> None:
    """:func:`held`, then the hold runs out and m1 is parked at 130."""
    held(router, second_agent=second_agent)
    router.advance(10.0 + HOLD)


# --------------------------------------------------------------------------------------------- the hold


def test_await_customer_holds_the_slot_for_hold_seconds() -> None:
    """``await_customer`` returns ``AwaitingCustomer`` with ``hold_until`` = now + the policy's hold."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.submit(message("m1"), 0.0)
    router.accept("m1", "a1", 1.0)
    assert [
        AwaitingCustomer(at=10.0, contact_id="m1", conversation_id="m1", agent_id="a1", hold_until=10.0 + HOLD)
    ] == router.await_customer("m1", 10.0)
    assert rk.ContactState.HELD == router.state("m1")
    assert {"m1": "held"} == router.agent_state("a1").work
    assert 10.0 + HOLD == router.next_deadline()


def test_held_slot_counts_against_capacity() -> None:
    """While a1's only messaging slot is held, a new conversation waits; the park frees the slot for it."""
    router = make_router()
    held(router, second_agent=False)
    assert [queued(20.0, "m2")] == router.submit(message("m2"), 20.0)
    assert [
        Parked(at=130.0, conversation_id="m1", contact_id="m1", agent_id="a1"),
        offered(130.0, "m2", "a1"),
    ] == router.advance(130.0)


def test_held_slot_counts_against_a_multi_slot_capacity() -> None:
    """An agent with two slots, both held, is offered nothing more."""
    router = make_router()
    router.add_agent(agent("a1", messaging=2), 0.0)
    for at, cid in ((0.0, "m1"), (3.0, "m2")):
        router.submit(message(cid), at)
        router.accept(cid, "a1", at + 1.0)
        router.await_customer(cid, at + 2.0)
    assert [queued(6.0, "m3")] == router.submit(message("m3"), 6.0)
    assert {MESSAGING: 2} == router.agent_state("a1").load


def test_reply_inside_the_hold_cancels_it_and_the_turn_is_the_agents_again() -> None:
    """A reply during the hold gives ``CustomerReplied``; the turn is assigned to the same agent again."""
    router = make_router()
    held(router)
    assert [CustomerReplied(at=50.0, conversation_id="m1", contact_id="m1")] == router.customer_replied("m1", 50.0)
    assert rk.ContactState.ASSIGNED == router.state("m1")
    assert {"m1": "assigned"} == router.agent_state("a1").work
    assert None is router.next_deadline()
    assert [] == router.advance(10.0 + HOLD)
    assert ("m1",) == router.conversation("m1").turns


def test_after_a_reply_inside_the_hold_the_agent_can_hold_again() -> None:
    """After a reply inside the hold the agent answers and awaits the customer again, for a fresh hold."""
    router = make_router()
    held(router)
    router.customer_replied("m1", 50.0)
    assert [
        AwaitingCustomer(at=60.0, contact_id="m1", conversation_id="m1", agent_id="a1", hold_until=60.0 + HOLD)
    ] == router.await_customer("m1", 60.0)


def test_reply_while_the_turn_is_waiting_is_absorbed() -> None:
    """A reply while the conversation's turn waits in a queue gives ``CustomerReplied`` and no new turn."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(message("m1"), 0.0)
    assert [CustomerReplied(at=5.0, conversation_id="m1", contact_id="m1")] == router.customer_replied("m1", 5.0)
    assert (["m1"], ("m1",)) == (router.waiting(), router.conversation("m1").turns)


def test_reply_while_the_turn_is_offered_is_absorbed() -> None:
    """A reply while the turn is offered gives ``CustomerReplied``; the offer stands."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.submit(message("m1"), 0.0)
    assert [CustomerReplied(at=5.0, conversation_id="m1", contact_id="m1")] == router.customer_replied("m1", 5.0)
    assert (rk.ContactState.OFFERED, ("m1",)) == (router.state("m1"), router.conversation("m1").turns)
    assert [Assigned(at=6.0, contact_id="m1", agent_id="a1", waited=6.0)] == router.accept("m1", "a1", 6.0)


def test_reply_while_the_turn_is_assigned_is_absorbed() -> None:
    """A reply while the turn is assigned gives ``CustomerReplied`` and no new turn."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.submit(message("m1"), 0.0)
    router.accept("m1", "a1", 1.0)
    assert [CustomerReplied(at=5.0, conversation_id="m1", contact_id="m1")] == router.customer_replied("m1", 5.0)
    assert (rk.ContactState.ASSIGNED, ("m1",)) == (router.state("m1"), router.conversation("m1").turns)


def test_hold_running_out_parks_without_wrap_up_and_frees_the_slot() -> None:
    """At ``hold_until`` the conversation is ``Parked`` and the slot freed, with no wrap-up (one is set)."""
    router = make_router(wrap_up=30.0)
    held(router, second_agent=False)
    assert [] == router.advance(129.999)
    assert [Parked(at=130.0, conversation_id="m1", contact_id="m1", agent_id="a1")] == router.advance(130.0)
    assert ({}, None) == (router.agent_state("a1").work, router.state("m1"))
    assert 130.0 + PARK_TTL == router.next_deadline()


def test_zero_hold_parks_at_once() -> None:
    """A policy whose hold is 0 parks the conversation when the agent awaits the customer."""
    router = make_router(sticky(hold=0.0))
    router.add_agent(agent("a1"), 0.0)
    router.submit(message("m1"), 0.0)
    router.accept("m1", "a1", 1.0)
    assert [Parked(at=2.0, conversation_id="m1", contact_id="m1", agent_id="a1")] == router.await_customer("m1", 2.0)


def test_set_status_offline_parks_held_conversations() -> None:
    """An agent going offline parks every conversation they hold, freeing the slots."""
    router = make_router()
    held(router)
    assert [
        AgentStatusChanged(at=20.0, agent_id="a1", status=OFFLINE),
        Parked(at=20.0, conversation_id="m1", contact_id="m1", agent_id="a1"),
    ] == router.set_status("a1", OFFLINE, 20.0)
    assert {} == router.agent_state("a1").work


def test_set_status_away_keeps_held_conversations() -> None:
    """An agent going away keeps the conversations they hold (only offline parks them)."""
    router = make_router()
    held(router)
    assert [AgentStatusChanged(at=20.0, agent_id="a1", status=AWAY)] == router.set_status("a1", AWAY, 20.0)
    assert {"m1": "held"} == router.agent_state("a1").work


# ----------------------------------------------------------------------------------------- reply turns


def test_reply_to_parked_conversation_opens_turn_2_sticky_first() -> None:
    """A reply to a parked conversation: ``Resumed``, ``ContactQueued``, ``Offered`` to the last agent."""
    router = make_router()
    parked(router)
    assert [
        Resumed(at=200.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(200.0, "m1#2", rule=STICKY),
        offered(200.0, "m1#2", "a1", rule=STICKY),
    ] == router.customer_replied("m1", 200.0)


def test_next_reply_after_another_park_opens_turn_3() -> None:
    """Turn ids are deterministic: the second reply after a park opens ``m1#3``."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    router.accept("m1#2", "a1", 201.0)
    router.await_customer("m1#2", 210.0)
    router.advance(210.0 + HOLD)
    assert [
        Resumed(at=400.0, conversation_id="m1", contact_id="m1#3", last_agent_id="a1"),
        queued(400.0, "m1#3", rule=STICKY),
        offered(400.0, "m1#3", "a1", rule=STICKY),
    ] == router.customer_replied("m1", 400.0)


def test_reply_turn_service_level_clock_starts_at_the_reply() -> None:
    """The reply turn's ``arrived_at`` is the reply time, and ``Assigned.waited`` counts from it."""
    router = make_router()
    parked(router)
    events = router.customer_replied("m1", 500.0)
    assert [500.0] == [e.arrived_at for e in events if isinstance(e, ContactQueued)]
    assert [Assigned(at=512.0, contact_id="m1#2", agent_id="a1", waited=12.0)] == router.accept("m1#2", "a1", 512.0)


def test_conversation_history_travels_with_every_turn() -> None:
    """``conversation(id)`` lists turns, the agents who served them and the context; the turn carries them."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    turn = router.contact("m1#2")
    assert (("a1",), CONTEXT, "m1") == (turn.served_by, turn.context, turn.conversation)
    router.accept("m1#2", "a1", 201.0)
    record = router.conversation("m1")
    assert (("m1", "m1#2"), ("a1", "a1"), CONTEXT, "a1") == (
        record.turns,
        record.agents,
        record.context,
        record.last_agent,
    )


def test_reply_turn_keeps_the_customer_and_tier() -> None:
    """The reply turn is from the same customer, on the same channel, with the same tier."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.submit(message("m1", tier="gold"), 0.0)
    router.accept("m1", "a1", 1.0)
    router.await_customer("m1", 10.0)
    router.advance(130.0)
    router.customer_replied("m1", 200.0)
    turn = router.contact("m1#2")
    assert ("u-m1", "gold", MESSAGING) == (turn.customer.id, turn.customer.tier, turn.channel)


def test_window_expiry_falls_back_to_the_wrapped_plan() -> None:
    """With the last agent busy, the reply turn changes stage at exactly ``window`` s and goes to the pool."""
    router = make_router()
    parked(router)
    router.submit(message("m2"), 140.0)  # a2 takes m2, and a1 ...
    router.accept("m2", "a2", 141.0)
    router.submit(message("m3"), 150.0)
    router.accept("m3", "a1", 151.0)  # ... a1 takes m3: both are busy
    router.customer_replied("m1", 200.0)
    router.complete("m2", 300.0)  # a2 is free but the turn still waits for a1
    assert [] == router.advance(200.0 + WINDOW - 0.001)
    assert [
        StageChanged(at=200.0 + WINDOW, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(200.0 + WINDOW, "m1#2", "a2", stage=1),
    ] == router.advance(200.0 + WINDOW)


def test_last_agent_busy_waits_for_the_window() -> None:
    """While the last agent has no free slot, the reply turn waits at the sticky stage though a2 is free."""
    router = make_router()
    parked(router)
    router.submit(message("m2"), 140.0)
    router.reject("m2", "a2", 141.0)  # a2 is barred from m2, so a1 gets it
    router.accept("m2", "a1", 142.0)
    assert [
        Resumed(at=200.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(200.0, "m1#2", rule=STICKY),
    ] == router.customer_replied("m1", 200.0)
    assert ({}, 0) == (router.agent_state("a2").work, router.position("m1#2"))
    assert [] == router.advance(200.0 + WINDOW - 0.001)
    assert [
        StageChanged(at=200.0 + WINDOW, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(200.0 + WINDOW, "m1#2", "a2", stage=1),
    ] == router.advance(200.0 + WINDOW)


def test_last_agent_freed_inside_the_window_gets_the_turn() -> None:
    """When the busy last agent frees a slot inside the window, the reply turn is offered to them."""
    router = make_router()
    parked(router)
    router.submit(message("m2"), 140.0)
    router.reject("m2", "a2", 141.0)  # a2 is barred from m2, so a1 gets it
    router.accept("m2", "a1", 142.0)
    assert [
        Resumed(at=200.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(200.0, "m1#2", rule=STICKY),
    ] == router.customer_replied("m1", 200.0)
    assert [
        Completed(at=250.0, contact_id="m2", agent_id="a1", wrap_up_until=250.0),
        ConversationClosed(at=250.0, conversation_id="m2", reason="completed"),
        offered(250.0, "m1#2", "a1", rule=STICKY),
    ] == router.complete("m2", 250.0)


@pytest.mark.parametrize("status", [AWAY, OFFLINE])
def test_last_agent_away_or_offline_falls_back_at_once(status: rk.AgentStatus) -> None:
    """A reply whose last agent is away or offline skips the sticky stage at once and goes to the pool."""
    router = make_router()
    parked(router)
    router.set_status("a1", status, 150.0)
    assert [
        Resumed(at=200.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(200.0, "m1#2", rule=STICKY),
        StageChanged(at=200.0, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(200.0, "m1#2", "a2", stage=1),
    ] == router.customer_replied("m1", 200.0)


def test_last_agent_removed_falls_back_at_once() -> None:
    """A reply whose last agent was removed goes to the pool at once."""
    router = make_router()
    parked(router)
    router.remove_agent("a1", 150.0)
    assert [
        Resumed(at=200.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(200.0, "m1#2", rule=STICKY),
        StageChanged(at=200.0, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(200.0, "m1#2", "a2", stage=1),
    ] == router.customer_replied("m1", 200.0)


@pytest.mark.parametrize("status", [AWAY, OFFLINE])
def test_last_agent_leaving_during_the_window_falls_back_at_once(status: rk.AgentStatus) -> None:
    """A reply turn waiting for its busy last agent moves on at once when that agent goes away or offline."""
    router = make_router()
    parked(router)
    router.submit(message("m2"), 140.0)
    router.reject("m2", "a2", 141.0)
    router.accept("m2", "a1", 142.0)
    router.submit(message("m3"), 143.0)
    router.accept("m3", "a2", 144.0)  # a2 busy too
    router.customer_replied("m1", 200.0)
    assert [
        AgentStatusChanged(at=210.0, agent_id="a1", status=status),
        StageChanged(at=210.0, contact_id="m1#2", stage=1, rule="skills:any"),
    ] == router.set_status("a1", status, 210.0)
    assert [
        Completed(at=220.0, contact_id="m3", agent_id="a2", wrap_up_until=220.0),
        ConversationClosed(at=220.0, conversation_id="m3", reason="completed"),
        offered(220.0, "m1#2", "a2", stage=1),
    ] == router.complete("m3", 220.0)


def test_last_agent_going_away_while_offered_falls_back_at_once() -> None:
    """A sticky offer rescinded because the last agent went away moves the turn on at once."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    assert [
        AgentStatusChanged(at=205.0, agent_id="a1", status=AWAY),
        OfferRescinded(at=205.0, contact_id="m1#2", agent_id="a1", reason="agent-away"),
        StageChanged(at=205.0, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(205.0, "m1#2", "a2", stage=1),
    ] == router.set_status("a1", AWAY, 205.0)


def test_restored_router_keeps_the_sticky_wait() -> None:
    """A router restored while a reply turn waits for its busy last agent expires the window identically."""
    router = make_router()
    parked(router)
    router.submit(message("m2"), 140.0)
    router.reject("m2", "a2", 141.0)
    router.accept("m2", "a1", 142.0)
    router.customer_replied("m1", 200.0)
    restored = Checked(rk.Router.restore(json.loads(json.dumps(router.snapshot())), sticky()))
    expected = [
        StageChanged(at=200.0 + WINDOW, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(200.0 + WINDOW, "m1#2", "a2", stage=1),
    ]
    assert (expected, expected) == (router.advance(500.0), restored.advance(500.0))
    assert router.conversation("m1") == restored.conversation("m1")


def test_last_agent_rejects_falls_back_at_once() -> None:
    """When the last agent rejects the reply turn, it moves to the wrapped plan at once, to another agent."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    assert [
        OfferRejected(at=205.0, contact_id="m1#2", agent_id="a1"),
        StageChanged(at=205.0, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(205.0, "m1#2", "a2", stage=1),
    ] == router.reject("m1#2", "a1", 205.0)


def test_last_agent_missing_the_offer_falls_back_at_once() -> None:
    """When the last agent lets the sticky offer expire, the turn moves on at once (the agent is set away)."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    assert [
        OfferExpired(at=260.0, contact_id="m1#2", agent_id="a1"),
        AgentStatusChanged(at=260.0, agent_id="a1", status=AWAY),
        StageChanged(at=260.0, contact_id="m1#2", stage=1, rule="skills:any"),
        offered(260.0, "m1#2", "a2", stage=1),
    ] == router.advance(200.0 + OFFER_TIMEOUT)


def test_relaxation_counts_from_the_end_of_the_sticky_window() -> None:
    """The wrapped Skills schedule starts when its part of the plan begins: after the sticky window."""
    router = make_router(sticky(then=Skills(relax=[(30, "any")])))
    router.add_agent(rk.Agent(id="a1", skills={"billing": 3}, capacity={"messaging": 1}), 0.0)
    router.add_agent(rk.Agent(id="a2", capacity={"messaging": 1}), 0.0, status=AWAY)
    router.submit(message("m1", skills={"billing": 3}), 0.0)
    router.accept("m1", "a1", 1.0)
    router.await_customer("m1", 10.0)
    router.advance(130.0)
    router.submit(message("m2", skills={"billing": 3}), 140.0)
    router.accept("m2", "a1", 141.0)  # a1 is busy when the customer replies
    router.customer_replied("m1", 200.0)
    assert [
        StageChanged(at=500.0, contact_id="m1#2", stage=1, rule="skills:billing>=3"),
        StageChanged(at=530.0, contact_id="m1#2", stage=2, rule="skills:any"),
    ] == router.advance(600.0)


def test_zero_window_has_no_sticky_stage() -> None:
    """With ``window=0`` a reply turn starts at the wrapped plan (any free agent)."""
    router = make_router(sticky(window=0.0))
    parked(router)
    assert [
        Resumed(at=200.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(200.0, "m1#2"),
        offered(200.0, "m1#2", "a2"),
    ] == router.customer_replied("m1", 200.0)


# ------------------------------------------------------------------------------------------- closing


def test_park_ttl_closes_the_conversation() -> None:
    """A parked conversation nobody replies to closes ``park_ttl`` s after the park."""
    router = make_router()
    parked(router)
    assert [] == router.advance(130.0 + PARK_TTL - 0.001)
    assert [ConversationClosed(at=130.0 + PARK_TTL, conversation_id="m1", reason="park-ttl")] == router.advance(
        130.0 + PARK_TTL
    )
    with pytest.raises(rk.StateError, match="m1"):
        router.customer_replied("m1", 130.0 + PARK_TTL + 1.0)


def test_reply_cancels_the_park_ttl() -> None:
    """A reply to a parked conversation cancels its park TTL."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    router.accept("m1#2", "a1", 201.0)
    assert [] == router.advance(130.0 + PARK_TTL)


def test_complete_closes_the_conversation() -> None:
    """``complete`` of a conversation's turn closes the conversation."""
    router = make_router()
    held(router)
    assert [
        Completed(at=50.0, contact_id="m1", agent_id="a1", wrap_up_until=50.0),
        ConversationClosed(at=50.0, conversation_id="m1", reason="completed"),
    ] == router.complete("m1", 50.0)
    with pytest.raises(rk.StateError):
        router.customer_replied("m1", 60.0)


def test_abandon_of_a_held_conversation_closes_it() -> None:
    """``abandon`` of a held conversation gives ``Abandoned``, ``ConversationClosed`` and frees the slot."""
    router = make_router()
    held(router)
    assert [
        Abandoned(at=50.0, contact_id="m1"),
        ConversationClosed(at=50.0, conversation_id="m1", reason="abandoned"),
    ] == router.abandon("m1", 50.0)
    assert {} == router.agent_state("a1").work


def test_abandon_of_a_parked_conversation_closes_it() -> None:
    """``abandon`` of a parked conversation gives ``Abandoned`` (its last turn) and ``ConversationClosed``."""
    router = make_router()
    parked(router)
    router.customer_replied("m1", 200.0)
    router.accept("m1#2", "a1", 201.0)
    router.await_customer("m1#2", 210.0)
    router.advance(210.0 + HOLD)
    assert [
        Abandoned(at=400.0, contact_id="m1#2"),
        ConversationClosed(at=400.0, conversation_id="m1", reason="abandoned"),
    ] == router.abandon("m1", 400.0)
    assert None is router.next_deadline()


def test_reply_to_an_unknown_conversation_is_unknown_id_error() -> None:
    """``customer_replied`` refuses an unknown conversation id with ``UnknownIdError``."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    with pytest.raises(rk.UnknownIdError, match="nope"):
        router.customer_replied("nope", 1.0)


def test_await_customer_refuses_a_turn_that_is_not_assigned() -> None:
    """``await_customer`` on a waiting turn is a ``StateError``."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(message("m1"), 0.0)
    with pytest.raises(rk.StateError, match="m1"):
        router.await_customer("m1", 1.0)


# ---------------------------------------------------------------------------------- construction, defaults


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"hold": -1.0}, r"Sticky\.hold", id="hold-negative"),
        pytest.param({"window": -1.0}, r"Sticky\.window", id="window-negative"),
        pytest.param({"park_ttl": -1.0}, r"Sticky\.park_ttl", id="park-ttl-negative"),
        pytest.param({"hold": float("nan")}, r"Sticky\.hold", id="hold-nan"),
        pytest.param({"window": float("inf")}, r"Sticky\.window", id="window-infinite"),
        pytest.param({"window": True}, r"Sticky\.window", id="window-bool"),
    ],
)
def test_bad_sticky_fails_at_construction_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    """A negative (or non-finite) hold, window or park TTL is a ``ConfigError`` naming the field."""
    with pytest.raises(rk.ConfigError, match=field):
        sticky(**overrides)


def test_sticky_plan_puts_the_last_agent_first() -> None:
    """``Sticky.plan`` leads a turn served before with a ``sticky:last-agent`` stage of ``window`` s."""
    turn = message("m1#2", conversation_id="m1", served_by=("a1", "a2"))
    plan = sticky().plan(turn, 0.0)
    assert [(STICKY, "a2", WINDOW), ("skills:any", None, None)] == [
        (s.target.rule, s.target.agent, s.timeout) for s in plan.stages
    ]


def test_sticky_first_turn_has_no_sticky_stage() -> None:
    """A first turn (served by nobody yet) gets the wrapped plan unchanged."""
    assert Skills().plan(message("m1"), 0.0) == sticky().plan(message("m1"), 0.0)


def test_mobile_support_documented_defaults() -> None:
    """``mobile_support()`` is Sticky(120 s hold, 300 s window, 1 day park) over TierGate over Skills."""
    policy = mobile_support()
    gate = policy.then
    assert isinstance(gate, TierGate)
    skills = gate.then
    assert isinstance(skills, Skills)
    assert (120.0, 300.0, 86400.0) == (policy.hold_seconds, policy.window, policy.park_ttl)
    assert ["standard", "silver", "gold", "platinum"] == list(gate.tiers.names)
    assert {VIDEO: "gold"} == gate.gates
    assert {VIDEO: CHAT} == gate.fallback
    assert {"gold": 1, "platinum": 2} == gate.boost
    assert {"platinum": ("vip", 60.0)} == gate.teams
    assert ((30.0, 1), (90.0, "names"), (180.0, "any")) == skills.relax


def test_mobile_support_through_the_router() -> None:
    """Under ``mobile_support()`` silver video is denied (chat fallback) and a reply turn is sticky first."""
    router = make_router(mobile_support())
    router.add_agent(rk.Agent(id="a1", capacity={"messaging": 2, "video": 1}, teams={"vip"}), 0.0)
    [denied] = router.submit(rk.Contact(id="v1", customer=rk.Customer(id="u-v1", tier="silver"), channel="video"), 0.0)
    assert ("tier:video>=gold", CHAT) == (denied.rule, denied.fallback)
    router.submit(message("m1", tier="platinum"), 1.0)
    router.accept("m1", "a1", 2.0)
    assert [
        AwaitingCustomer(at=3.0, contact_id="m1", conversation_id="m1", agent_id="a1", hold_until=123.0)
    ] == router.await_customer("m1", 3.0)
    router.advance(123.0)
    events = router.customer_replied("m1", 200.0)
    assert (STICKY, 2) == (events[1].rule, events[1].priority)
    plan = router.policy.plan(router.contact("m1#2"), 200.0)
    assert [(STICKY, 300.0), ("tier:vip-team", 60.0), ("skills:any", None)] == [
        (s.target.rule, s.timeout) for s in plan.stages
    ]
