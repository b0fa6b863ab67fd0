"""The router, one named test per behaviour of DESIGN.md's semantics list and per bad input (issue 4).

Every router here is wrapped by :class:`Checked`, so ``router._check()`` (each contact in exactly one
place, no capacity exceeded, pools and timers consistent, no contact waiting beside a free agent) runs
after every call, refused or not. Every refused call is also checked to change nothing: the snapshot taken
after ``advance`` to the call's time equals the one taken after the refusal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from checked import Checked

from routekit import (
    Agent,
    AgentStatus,
    Channel,
    ClockError,
    Contact,
    Customer,
    DuplicateIdError,
    OfferStateError,
    RoutekitError,
    Router,
    RouterSettings,
    StateError,
    UnknownIdError,
    UnroutableContactError,
)
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    ConversationClosed,
    CustomerReplied,
    Denied,
    Event,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    Parked,
    Reprioritized,
    Resumed,
    StageChanged,
    Transferred,
    WrapUpEnded,
)
from routekit.policies import Hold, Plan, Skills, Stage, Target

VOICE, VIDEO, CHAT, MESSAGING = Channel.VOICE, Channel.VIDEO, Channel.CHAT, Channel.MESSAGING
AVAILABLE, AWAY, OFFLINE = AgentStatus.AVAILABLE, AgentStatus.AWAY, AgentStatus.OFFLINE

# DESIGN.md's defaults, written out here rather than read from the router.
OFFER_TIMEOUT = {VOICE: 20.0, VIDEO: 20.0, CHAT: 30.0, MESSAGING: 60.0}
REOFFER_DELAY = 30.0


# ------------------------------------------------------------------------------------------------ helpers


class FixedPlan:
    """A policy that gives every contact the same stages, and holds no conversation."""

    def __init__(self, *stages: Stage) -> None:
        self.stages = stages

    def plan(self, contact: Contact, now: float) -> Plan:
        return Plan(self.stages)

    def hold(self, contact: Contact) -> Hold | None:
        return None


class StickyFirst:
    """A policy that holds conversations and sends a reply turn to its last agent first, then to anyone."""

    def __init__(self, hold: float = 60.0, window: float = 120.0, park_ttl: float = 3600.0) -> None:
        self._hold = Hold(hold=hold, park_ttl=park_ttl)
        self.window = window

    def plan(self, contact: Contact, now: float) -> Plan:
        anyone = Stage(target=Target(channel=contact.channel))
        if not contact.served_by:
            return Plan([anyone])
        last = Target(channel=contact.channel, agent=contact.served_by[-1], rule="sticky:last-agent")
        return Plan([Stage(target=last, timeout=self.window), anyone])

    def hold(self, contact: Contact) -> Hold | None:
        return self._hold


def make_router(policy: Any = None, **settings: Any) -> Checked:
    """A checked router under ``policy`` (default: skills, never relaxed) with keyword settings."""
    return Checked(Router(Skills() if policy is None else policy, **settings))


def agent(
    agent_id: str,
    *,
    skills: dict[str, int] | None = None,
    teams: Sequence[str] = (),
    wrap_up: dict[str, float] | None = None,
    **capacity: int,
) -> Agent:
    """An agent with channel capacities as keywords: ``agent("a1", voice=1, chat=3)``."""
    return Agent(
        id=agent_id,
        skills=skills or {},
        capacity=capacity or {"voice": 1},
        teams=frozenset(teams),
        wrap_up=wrap_up or {},
    )


def contact(contact_id: str, channel: str = "voice", **fields: Any) -> Contact:
    """A contact from customer ``u-<id>`` on ``channel``, with any other :class:`Contact` fields."""
    return Contact(id=contact_id, customer=Customer(id=f"u-{contact_id}"), channel=channel, **fields)


def queued(
    at: float,
    contact_id: str,
    *,
    channel: Channel = VOICE,
    arrived_at: float | None = None,
    stage: int = 0,
    rule: str = "skills:any",
    priority: int = 0,
) -> ContactQueued:
    """The ``ContactQueued`` the router returns for a standard-tier contact."""
    return ContactQueued(
        at=at,
        contact_id=contact_id,
        channel=channel,
        tier="standard",
        arrived_at=at if arrived_at is None else arrived_at,
        stage=stage,
        rule=rule,
        priority=priority,
    )


def offered(
    at: float,
    contact_id: str,
    agent_id: str,
    *,
    channel: Channel = VOICE,
    stage: int = 0,
    rule: str = "skills:any",
    selection: str = "longest-idle",
) -> Offered:
    """The ``Offered`` the router returns, expiring after the channel's default offer timeout."""
    return Offered(
        at=at,
        contact_id=contact_id,
        agent_id=agent_id,
        stage=stage,
        rule=rule,
        selection=selection,
        expires_at=at + OFFER_TIMEOUT[channel],
    )


def status(at: float, agent_id: str, new: AgentStatus) -> AgentStatusChanged:
    """An ``AgentStatusChanged``."""
    return AgentStatusChanged(at=at, agent_id=agent_id, status=new)


def one_offer(**settings: Any) -> Checked:
    """Agent ``a1`` on voice, and contact ``c1`` offered to it at 0 (expires at 20)."""
    router = make_router(**settings)
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("c1"), 0.0)
    return router


def refused(router: Checked, now: float, error: type[RoutekitError], call: Callable[[], Any]) -> RoutekitError:
    """Advance to ``now``, make a call that must be refused with ``error``, and check it changed nothing."""
    router.advance(now)
    before = router.snapshot()
    with pytest.raises(error) as caught:
        call()
    assert before == router.snapshot()
    return caught.value


# -------------------------------------------------------------------------------------------------- order


def test_higher_priority_is_served_first() -> None:
    """A waiting contact with a higher priority is offered before an older one with a lower priority."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(contact("low"), 1.0)
    assert [queued(2.0, "high", priority=1)] == router.submit(contact("high", priority=1), 2.0)
    assert ["high", "low"] == router.waiting()
    assert [status(3.0, "a1", AVAILABLE), offered(3.0, "high", "a1")] == router.set_status("a1", AVAILABLE, 3.0)


def test_head_start_orders_as_if_arrived_earlier() -> None:
    """A contact with a head start is ordered by its arrival time minus the head start."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(contact("early"), 10.0)
    router.submit(contact("late", head_start=90.0), 50.0)  # ordered as if it arrived at -40
    router.submit(contact("later", head_start=5.0), 60.0)  # ordered as if it arrived at 55
    assert ["late", "early", "later"] == router.waiting()


def test_ties_break_by_submission_order() -> None:
    """Contacts with equal priority and arrival time are served in the order they were submitted."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(contact("z", arrived_at=5.0), 5.0)
    router.submit(contact("b", arrived_at=5.0), 6.0)
    router.submit(contact("a", arrived_at=5.0), 7.0)
    assert ["z", "b", "a"] == router.waiting()


def test_rejected_offer_returns_contact_to_its_old_place() -> None:
    """A rejected contact goes back ahead of those that arrived after it, not to the tail."""
    router = one_offer()
    router.add_agent(agent("a2"), 0.0, status=AWAY)
    router.submit(contact("c2"), 1.0)
    router.submit(contact("c3"), 2.0)
    # a1 is barred from c1 for the re-offer delay, so it takes c2; c1 waits ahead of c3.
    assert [OfferRejected(at=3.0, contact_id="c1", agent_id="a1"), offered(3.0, "c2", "a1")] == router.reject(
        "c1", "a1", 3.0
    )
    assert ["c1", "c3"] == router.waiting()
    assert 0 == router.position("c1")


def test_expired_offer_returns_contact_to_its_old_place() -> None:
    """A contact whose offer rang out goes back ahead of those that arrived after it."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    router.advance(20.0)
    assert ["c1", "c2"] == router.waiting()


# ------------------------------------------------------------------------------------------------- offers


def test_one_outstanding_offer_per_contact() -> None:
    """A contact being offered to one agent is not offered to a second agent who becomes free."""
    router = one_offer()
    assert [status(1.0, "a2", AVAILABLE)] == router.add_agent(agent("a2"), 1.0)
    assert "c1" == router.agent_state("a1").offer
    assert router.agent_state("a2").offer is None


def test_at_most_one_pending_offer_per_agent() -> None:
    """An agent with free chat slots gets a second offer only after answering the first."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    router.submit(contact("c1", "chat"), 0.0)
    assert [queued(1.0, "c2", channel=CHAT)] == router.submit(contact("c2", "chat"), 1.0)
    assert [
        Assigned(at=2.0, contact_id="c1", agent_id="a1", waited=2.0),
        offered(2.0, "c2", "a1", channel=CHAT),
    ] == router.accept("c1", "a1", 2.0)


@pytest.mark.parametrize(
    ("channel", "timeout"), [("voice", 20.0), ("video", 20.0), ("chat", 30.0), ("messaging", 60.0)]
)
def test_offer_expires_after_channel_timeout(channel: str, timeout: float) -> None:
    """An offer expires after its channel's default offer timeout, and not a moment before."""
    router = make_router(away_on_missed_offer=False)
    router.add_agent(agent("a1", **{channel: 1}), 0.0)
    [_, offer] = router.submit(contact("c1", channel), 0.0)
    assert timeout == offer.expires_at
    assert timeout == router.next_deadline()
    assert [] == router.advance(timeout - 0.001)
    assert [OfferExpired(at=timeout, contact_id="c1", agent_id="a1")] == router.advance(timeout)


def test_missed_offer_sets_agent_away() -> None:
    """An agent who lets an offer ring out is set away, and gets no further offers."""
    router = one_offer()
    assert [
        OfferExpired(at=20.0, contact_id="c1", agent_id="a1"),
        status(20.0, "a1", AWAY),
    ] == router.advance(20.0)
    assert AWAY == router.agent_state("a1").status
    assert [queued(21.0, "c2")] == router.submit(contact("c2"), 21.0)


def test_missed_offer_keeps_agent_available_when_configured() -> None:
    """With ``away_on_missed_offer=False`` the agent stays available and gets other contacts at once."""
    router = one_offer(away_on_missed_offer=False)
    router.submit(contact("c2"), 1.0)
    assert [
        OfferExpired(at=20.0, contact_id="c1", agent_id="a1"),
        offered(20.0, "c2", "a1"),
    ] == router.advance(20.0)
    assert AVAILABLE == router.agent_state("a1").status


def test_reoffer_delay_bars_agent_then_retries_matching() -> None:
    """An agent who rejected a contact is not offered it for 30 s; at the delay's end advance offers it."""
    router = one_offer()
    assert [OfferRejected(at=5.0, contact_id="c1", agent_id="a1")] == router.reject("c1", "a1", 5.0)
    assert 5.0 + REOFFER_DELAY == router.next_deadline()
    assert [] == router.advance(34.999)
    assert [offered(35.0, "c1", "a1")] == router.advance(35.0)


def test_reoffer_delay_bars_only_the_agent_who_rejected() -> None:
    """A contact rejected by one agent is offered at once to another free agent."""
    router = one_offer()
    router.add_agent(agent("a2"), 1.0)
    assert [OfferRejected(at=2.0, contact_id="c1", agent_id="a1"), offered(2.0, "c1", "a2")] == router.reject(
        "c1", "a1", 2.0
    )


def test_missed_offer_bars_agent_until_the_reoffer_delay_ends() -> None:
    """An agent back from missing an offer gets other contacts, but the missed one only after the delay."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    router.advance(20.0)
    assert [status(25.0, "a1", AVAILABLE), offered(25.0, "c2", "a1")] == router.set_status("a1", AVAILABLE, 25.0)
    router.accept("c2", "a1", 26.0)
    router.complete("c2", 27.0)
    assert [] == router.advance(49.0)
    assert [offered(50.0, "c1", "a1")] == router.advance(50.0)


@pytest.mark.parametrize(("new", "reason"), [(AWAY, "agent-away"), (OFFLINE, "agent-offline")])
def test_going_away_rescinds_offer_without_penalty(new: AgentStatus, reason: str) -> None:
    """Going away or offline rescinds the pending offer; back available, the agent is offered it again."""
    router = one_offer()
    assert [
        status(5.0, "a1", new),
        OfferRescinded(at=5.0, contact_id="c1", agent_id="a1", reason=reason),
    ] == router.set_status("a1", new, 5.0)
    assert ["c1"] == router.waiting()
    assert [status(6.0, "a1", AVAILABLE), offered(6.0, "c1", "a1")] == router.set_status("a1", AVAILABLE, 6.0)


def test_set_status_to_the_same_status_returns_no_events() -> None:
    """Setting an agent to the status it already has changes nothing and returns no events (docstring)."""
    router = one_offer()
    assert [] == router.set_status("a1", AVAILABLE, 1.0)
    assert "c1" == router.agent_state("a1").offer


# ----------------------------------------------------------------------------------------------- capacity


def test_chat_capacity_limits_concurrent_chats() -> None:
    """An agent with chat capacity 3 holds three chats at once and the fourth waits."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    for n in (1, 2, 3):
        router.submit(contact(f"c{n}", "chat"), float(n))
        router.accept(f"c{n}", "a1", float(n))
    assert [queued(4.0, "c4", channel=CHAT)] == router.submit(contact("c4", "chat"), 4.0)
    assert {CHAT: 3} == router.agent_state("a1").load
    assert [
        Completed(at=5.0, contact_id="c1", agent_id="a1", wrap_up_until=5.0),
        offered(5.0, "c4", "a1", channel=CHAT),
    ] == router.complete("c1", 5.0)


def test_exclusive_channel_is_offered_only_to_agent_with_no_other_work() -> None:
    """A voice contact waits while the agent has a chat in hand, and is offered once the chat is done."""
    router = make_router()
    router.add_agent(agent("a1", chat=3, voice=1), 0.0)
    router.submit(contact("chat-1", "chat"), 0.0)
    router.accept("chat-1", "a1", 1.0)
    assert [queued(2.0, "voice-1")] == router.submit(contact("voice-1"), 2.0)
    assert [
        Completed(at=3.0, contact_id="chat-1", agent_id="a1", wrap_up_until=3.0),
        offered(3.0, "voice-1", "a1"),
    ] == router.complete("chat-1", 3.0)


def test_exclusive_work_blocks_other_offers_until_its_wrap_up_ends() -> None:
    """An agent on a voice call, and then in its wrap-up, is offered no chat; the chat comes after."""
    router = make_router()
    router.add_agent(agent("a1", chat=3, voice=1, wrap_up={"voice": 10.0}), 0.0)
    router.submit(contact("voice-1"), 0.0)
    router.accept("voice-1", "a1", 1.0)
    assert [queued(2.0, "chat-1", channel=CHAT)] == router.submit(contact("chat-1", "chat"), 2.0)
    assert [Completed(at=5.0, contact_id="voice-1", agent_id="a1", wrap_up_until=15.0)] == router.complete(
        "voice-1", 5.0
    )
    assert [] == router.advance(14.0)
    assert [
        WrapUpEnded(at=15.0, agent_id="a1", contact_id="voice-1"),
        offered(15.0, "chat-1", "a1", channel=CHAT),
    ] == router.advance(15.0)


def test_exclusive_offer_blocks_other_offers() -> None:
    """An agent with a voice offer pending, or on the call, is offered no chat meanwhile."""
    router = make_router()
    router.add_agent(agent("a1", chat=3, voice=1), 0.0)
    router.submit(contact("voice-1"), 0.0)
    assert [queued(1.0, "chat-1", channel=CHAT)] == router.submit(contact("chat-1", "chat"), 1.0)
    assert [Assigned(at=2.0, contact_id="voice-1", agent_id="a1", waited=2.0)] == router.accept("voice-1", "a1", 2.0)


def test_exclusive_channels_are_a_router_setting() -> None:
    """With ``exclusive=["video"]`` a voice call no longer keeps an agent from taking chats."""
    router = make_router(exclusive=["video"])
    router.add_agent(agent("a1", chat=3, voice=1), 0.0)
    router.submit(contact("voice-1"), 0.0)
    router.accept("voice-1", "a1", 1.0)
    assert [queued(2.0, "chat-1", channel=CHAT), offered(2.0, "chat-1", "a1", channel=CHAT)] == router.submit(
        contact("chat-1", "chat"), 2.0
    )


# ------------------------------------------------------------------------------------------------ wrap-up


def test_wrap_up_holds_slot_then_wrap_up_ended_frees_it() -> None:
    """After complete the slot stays busy for the router's default wrap-up, then WrapUpEnded frees it."""
    router = make_router(wrap_up=10.0)
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("c1"), 0.0)
    router.accept("c1", "a1", 1.0)
    router.submit(contact("c2"), 2.0)
    assert [Completed(at=5.0, contact_id="c1", agent_id="a1", wrap_up_until=15.0)] == router.complete("c1", 5.0)
    assert {"c1": "wrap-up"} == router.agent_state("a1").work
    assert 15.0 == router.next_deadline()
    assert [
        WrapUpEnded(at=15.0, agent_id="a1", contact_id="c1"),
        offered(15.0, "c2", "a1"),
    ] == router.advance(15.0)


def test_zero_wrap_up_frees_the_slot_at_once() -> None:
    """With no wrap-up (the default) complete frees the slot at once, with no WrapUpEnded."""
    router = one_offer()
    router.accept("c1", "a1", 1.0)
    router.submit(contact("c2"), 2.0)
    assert [
        Completed(at=3.0, contact_id="c1", agent_id="a1", wrap_up_until=3.0),
        offered(3.0, "c2", "a1"),
    ] == router.complete("c1", 3.0)


def test_agent_wrap_up_per_channel_overrides_router_default() -> None:
    """An agent's own wrap-up for a channel is used; channels it does not list use the router's default."""
    router = make_router(wrap_up=10.0)
    router.add_agent(agent("a1", chat=1, voice=1, wrap_up={"chat": 4.0}), 0.0)
    router.submit(contact("chat-1", "chat"), 0.0)
    router.accept("chat-1", "a1", 1.0)
    assert [Completed(at=2.0, contact_id="chat-1", agent_id="a1", wrap_up_until=6.0)] == router.complete("chat-1", 2.0)
    router.advance(6.0)
    router.submit(contact("voice-1"), 7.0)
    router.accept("voice-1", "a1", 8.0)
    assert [Completed(at=9.0, contact_id="voice-1", agent_id="a1", wrap_up_until=19.0)] == router.complete(
        "voice-1", 9.0
    )


def test_end_wrap_up_ends_it_early() -> None:
    """``end_wrap_up`` frees the slot at once, offers the next contact and cancels the wrap-up timer."""
    router = make_router(wrap_up=60.0)
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("c1"), 0.0)
    router.accept("c1", "a1", 1.0)
    router.complete("c1", 2.0)
    router.submit(contact("c2"), 3.0)
    assert [
        WrapUpEnded(at=4.0, agent_id="a1", contact_id="c1"),
        offered(4.0, "c2", "a1"),
    ] == router.end_wrap_up("a1", 4.0)
    assert 24.0 == router.next_deadline()  # c2's offer expiry; the wrap-up timer at 62 is gone


def test_status_change_never_shortens_wrap_up() -> None:
    """Going away and back available during wrap-up neither ends it nor brings an offer before it ends."""
    router = make_router(wrap_up=60.0)
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("c1"), 0.0)
    router.accept("c1", "a1", 1.0)
    router.complete("c1", 2.0)
    router.submit(contact("c2"), 3.0)
    assert [status(4.0, "a1", AWAY)] == router.set_status("a1", AWAY, 4.0)
    assert [status(5.0, "a1", AVAILABLE)] == router.set_status("a1", AVAILABLE, 5.0)
    assert {"c1": "wrap-up"} == router.agent_state("a1").work
    assert [
        WrapUpEnded(at=62.0, agent_id="a1", contact_id="c1"),
        offered(62.0, "c2", "a1"),
    ] == router.advance(62.0)


# ------------------------------------------------------------------------------------------------- agents


def test_away_keeps_current_work_and_gets_no_offers() -> None:
    """An away agent keeps its assigned contact, is offered nothing, and can still complete it."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    router.submit(contact("c1", "chat"), 0.0)
    router.accept("c1", "a1", 1.0)
    assert [status(2.0, "a1", AWAY)] == router.set_status("a1", AWAY, 2.0)
    assert {"c1": "assigned"} == router.agent_state("a1").work
    assert [queued(3.0, "c2", channel=CHAT)] == router.submit(contact("c2", "chat"), 3.0)
    assert [Completed(at=4.0, contact_id="c1", agent_id="a1", wrap_up_until=4.0)] == router.complete("c1", 4.0)


def test_offline_keeps_assigned_work_and_gets_no_offers() -> None:
    """An offline agent keeps its assigned contact and is offered nothing until available again."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    router.submit(contact("c1", "chat"), 0.0)
    router.accept("c1", "a1", 1.0)
    assert [status(2.0, "a1", OFFLINE)] == router.set_status("a1", OFFLINE, 2.0)
    assert [queued(3.0, "c2", channel=CHAT)] == router.submit(contact("c2", "chat"), 3.0)
    assert {"c1": "assigned"} == router.agent_state("a1").work
    assert [status(4.0, "a1", AVAILABLE), offered(4.0, "c2", "a1", channel=CHAT)] == router.set_status(
        "a1", AVAILABLE, 4.0
    )


def test_offline_parks_held_conversations() -> None:
    """Going offline parks the conversations the agent holds for a reply, freeing their slots."""
    router = make_router(StickyFirst(hold=60.0))
    router.add_agent(agent("a1", messaging=2), 0.0)
    router.submit(contact("m1", "messaging"), 0.0)
    router.accept("m1", "a1", 1.0)
    router.await_customer("m1", 2.0)
    assert [
        status(3.0, "a1", OFFLINE),
        Parked(at=3.0, conversation_id="m1", contact_id="m1", agent_id="a1"),
    ] == router.set_status("a1", OFFLINE, 3.0)
    assert {} == router.agent_state("a1").work


def test_remove_agent_without_work() -> None:
    """An agent with no work in hand is removed with ``AgentStatusChanged(OFFLINE)``."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    assert [status(1.0, "a1", OFFLINE)] == router.remove_agent("a1", 1.0)
    assert [] == router.agents()


def test_remove_agent_refused_while_agent_has_work() -> None:
    """Removing an agent who holds an offer, a contact or wrap-up is refused and changes nothing."""
    router = one_offer(wrap_up=10.0)
    refused(router, 1.0, StateError, lambda: router.remove_agent("a1", 1.0))
    router.accept("c1", "a1", 2.0)
    refused(router, 3.0, StateError, lambda: router.remove_agent("a1", 3.0))
    router.complete("c1", 4.0)
    refused(router, 5.0, StateError, lambda: router.remove_agent("a1", 5.0))


def test_update_agent_capacity_below_load_blocks_new_offers_but_drops_nothing() -> None:
    """Capacity cut below the load keeps every contact; new offers wait until the load falls below it."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    for n in (1, 2):
        router.submit(contact(f"c{n}", "chat"), float(n))
        router.accept(f"c{n}", "a1", float(n))
    assert [] == router.update_agent(agent("a1", chat=1), 3.0)
    assert [queued(4.0, "c3", channel=CHAT)] == router.submit(contact("c3", "chat"), 4.0)
    assert {CHAT: 2} == router.agent_state("a1").load
    assert [Completed(at=5.0, contact_id="c1", agent_id="a1", wrap_up_until=5.0)] == router.complete("c1", 5.0)
    assert [
        Completed(at=6.0, contact_id="c2", agent_id="a1", wrap_up_until=6.0),
        offered(6.0, "c3", "a1", channel=CHAT),
    ] == router.complete("c2", 6.0)


def test_update_agent_skills_take_effect_at_once() -> None:
    """An agent given a skill a waiting contact needs is offered that contact by ``update_agent``."""
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0, status=AWAY)
    router.add_agent(agent("a2"), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 1.0)
    assert [offered(2.0, "c1", "a2", rule="skills:billing>=3")] == router.update_agent(
        agent("a2", skills={"billing": 4}), 2.0
    )


def test_submit_refuses_unroutable_contact() -> None:
    """A contact no registered agent could ever serve is refused at submit, not left waiting."""
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 2}), 0.0)
    error = refused(
        router, 1.0, UnroutableContactError, lambda: router.submit(contact("c1", skills={"billing": 3}), 1.0)
    )
    assert isinstance(error, ValueError)
    refused(router, 1.0, UnroutableContactError, lambda: router.submit(contact("c2", "chat"), 1.0))


def test_remove_agent_that_leaves_contact_unservable_denies_it() -> None:
    """Removing the last agent who could serve a waiting contact ends it with ``Denied(unroutable)``."""
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0, status=AWAY)
    router.add_agent(agent("a2", skills={"billing": 3}), 0.0, status=AWAY)
    router.submit(contact("c1", skills={"billing": 3}), 1.0)
    assert [status(2.0, "a1", OFFLINE)] == router.remove_agent("a1", 2.0)
    assert [
        status(3.0, "a2", OFFLINE),
        Denied(
            at=3.0,
            contact_id="c1",
            channel=VOICE,
            tier="standard",
            reason="unroutable",
            rule="skills:billing>=3",
        ),
    ] == router.remove_agent("a2", 3.0)
    assert router.state("c1") is None


def test_update_agent_that_leaves_contact_unservable_denies_it() -> None:
    """Taking a skill from the only agent who had it ends the contacts needing it with ``Denied``."""
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0, status=AWAY)
    router.submit(contact("c1", skills={"billing": 3}), 1.0)
    assert [
        Denied(
            at=2.0,
            contact_id="c1",
            channel=VOICE,
            tier="standard",
            reason="unroutable",
            rule="skills:billing>=3",
        )
    ] == router.update_agent(agent("a1", skills={"billing": 2}), 2.0)
    assert [] == router.waiting()


def test_update_agent_that_leaves_an_offered_contact_unservable_denies_it_once_back_waiting() -> None:
    """A contact offered to the only agent able to serve it, who then loses the skill, is denied on reject.

    DESIGN.md: a change that *later* leaves a waiting contact with no agent who could serve it ends it with
    ``Denied(reason="unroutable")``, "so nothing waits forever unseen"; update_agent keeps the offer (it
    never drops work), so the contact is denied when the rejection puts it back to waiting.
    """
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    assert [] == router.update_agent(agent("a1", skills={"billing": 1}), 1.0)
    assert [
        OfferRejected(at=2.0, contact_id="c1", agent_id="a1"),
        Denied(
            at=2.0,
            contact_id="c1",
            channel=VOICE,
            tier="standard",
            reason="unroutable",
            rule="skills:billing>=3",
        ),
    ] == router.reject("c1", "a1", 2.0)
    assert [] == router.waiting()


# ------------------------------------------------------------------------------------------------- stages


def test_stage_timeout_counts_from_entering_the_stage() -> None:
    """With stage timeouts of 10 s and 25 s, the stages change at 10 and 35 s after arrival."""
    plan = FixedPlan(
        Stage(target=Target(channel="voice", team="t1"), timeout=10.0),
        Stage(target=Target(channel="voice", team="t2"), timeout=25.0),
        Stage(target=Target(channel="voice")),
    )
    router = make_router(plan)
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(contact("c1"), 5.0)
    assert [StageChanged(at=15.0, contact_id="c1", stage=1, rule="team:t2")] == router.advance(15.0)
    assert 40.0 == router.next_deadline()
    assert [] == router.advance(39.0)
    assert [StageChanged(at=40.0, contact_id="c1", stage=2, rule="skills:any")] == router.advance(40.0)


def test_last_stage_has_no_timeout() -> None:
    """A contact at its plan's last stage has no stage timer and stays there."""
    router = make_router(Skills(relax=[(30, "any")]))
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    router.advance(30.0)
    assert router.next_deadline() is None
    assert [] == router.advance(1e6)
    assert 0 == router.position("c1")


def test_zero_timeout_stage_is_skipped() -> None:
    """A stage with a timeout of 0 is skipped at once (the router's documented choice)."""
    plan = FixedPlan(
        Stage(target=Target(channel="voice", team="t1"), timeout=0.0), Stage(target=Target(channel="voice"))
    )
    router = make_router(plan)
    router.add_agent(agent("a1"), 0.0)
    assert [
        queued(1.0, "c1", rule="team:t1"),
        StageChanged(at=1.0, contact_id="c1", stage=1, rule="skills:any"),
        offered(1.0, "c1", "a1", stage=1),
    ] == router.submit(contact("c1"), 1.0)


def test_skills_relax_schedule_becomes_per_stage_durations() -> None:
    """Skills' times since arrival (30, 90, 180 s) become stage durations 30, 60, 90 and none."""
    policy = Skills(relax=[(30, 1), (90, "names"), (180, "any")])
    plan = policy.plan(contact("c1", skills={"billing": 3}), 0.0)
    assert [30.0, 60.0, 90.0, None] == [stage.timeout for stage in plan.stages]
    router = make_router(policy)
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 10.0)
    assert [
        StageChanged(at=40.0, contact_id="c1", stage=1, rule="skills:billing>=2"),
        StageChanged(at=100.0, contact_id="c1", stage=2, rule="skills:billing>=1"),
        StageChanged(at=190.0, contact_id="c1", stage=3, rule="skills:any"),
        offered(190.0, "c1", "a1", stage=3),
    ] == router.advance(200.0)


def test_stage_changed_retries_matching_at_once() -> None:
    """When a stage widens to take in a free agent, the contact is offered to it at the stage change."""
    router = make_router(Skills(relax=[(30, 1)]))
    router.add_agent(agent("a1", skills={"billing": 2}), 0.0)
    assert [queued(0.0, "c1", rule="skills:billing>=3")] == router.submit(contact("c1", skills={"billing": 3}), 0.0)
    assert [
        StageChanged(at=30.0, contact_id="c1", stage=1, rule="skills:billing>=2"),
        offered(30.0, "c1", "a1", stage=1, rule="skills:billing>=2"),
    ] == router.advance(30.0)


def test_stage_timeout_during_offer_does_not_rescind_it() -> None:
    """A contact whose stage times out while offered moves stage but keeps its offer, and can be accepted."""
    router = make_router(Skills(relax=[(10, 1)]))
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    router.add_agent(agent("a2", skills={"billing": 2}), 5.0)  # free, and matches the next stage
    assert [StageChanged(at=10.0, contact_id="c1", stage=1, rule="skills:billing>=2")] == router.advance(10.0)
    assert "c1" == router.agent_state("a1").offer
    assert [Assigned(at=12.0, contact_id="c1", agent_id="a1", waited=12.0)] == router.accept("c1", "a1", 12.0)


def test_single_agent_stage_moves_on_when_the_agent_rejects() -> None:
    """A contact whose stage targets one agent moves to the next stage at once when that agent rejects."""
    plan = FixedPlan(
        Stage(target=Target(channel="voice", agent="a1"), timeout=60.0), Stage(target=Target(channel="voice"))
    )
    router = make_router(plan)
    router.add_agent(agent("a1"), 0.0)
    router.add_agent(agent("a2"), 0.0)
    assert [
        queued(1.0, "c1", rule="agent:a1"),
        offered(1.0, "c1", "a1", rule="agent:a1", selection="sticky"),
    ] == (router.submit(contact("c1"), 1.0))
    assert [
        OfferRejected(at=2.0, contact_id="c1", agent_id="a1"),
        StageChanged(at=2.0, contact_id="c1", stage=1, rule="skills:any"),
        offered(2.0, "c1", "a2", stage=1),
    ] == router.reject("c1", "a1", 2.0)


def test_single_agent_stage_moves_on_when_the_agent_misses_the_offer() -> None:
    """A contact whose stage targets one agent moves on at once when that agent lets the offer expire."""
    plan = FixedPlan(
        Stage(target=Target(channel="voice", agent="a1"), timeout=60.0), Stage(target=Target(channel="voice"))
    )
    router = make_router(plan)
    router.add_agent(agent("a1"), 0.0)
    router.add_agent(agent("a2"), 0.0)
    router.submit(contact("c1"), 1.0)
    assert [
        OfferExpired(at=21.0, contact_id="c1", agent_id="a1"),
        status(21.0, "a1", AWAY),
        StageChanged(at=21.0, contact_id="c1", stage=1, rule="skills:any"),
        offered(21.0, "c1", "a2", stage=1),
    ] == router.advance(21.0)


def test_single_agent_stage_moves_on_when_the_agent_is_away() -> None:
    """A contact waiting for one agent moves on at once when that agent goes away (and skips it if away)."""
    plan = FixedPlan(
        Stage(target=Target(channel="voice", agent="a1"), timeout=60.0), Stage(target=Target(channel="voice"))
    )
    router = make_router(plan)
    router.add_agent(agent("a1", chat=1, voice=1), 0.0)
    router.add_agent(agent("a2"), 0.0, status=AWAY)
    router.submit(contact("chat-1", "chat"), 0.0)
    router.accept("chat-1", "a1", 0.0)
    assert [queued(1.0, "c1", rule="agent:a1")] == router.submit(contact("c1"), 1.0)
    assert [status(2.0, "a1", AWAY), StageChanged(at=2.0, contact_id="c1", stage=1, rule="skills:any")] == (
        router.set_status("a1", AWAY, 2.0)
    )
    assert [
        queued(3.0, "c2", rule="agent:a1"),
        StageChanged(at=3.0, contact_id="c2", stage=1, rule="skills:any"),
    ] == router.submit(contact("c2"), 3.0)


def test_transferred_contact_relaxes_from_the_start_of_its_new_plan() -> None:
    """A transferred contact's relaxation counts from the transfer, not from its original arrival."""
    router = make_router(Skills(relax=[(30, "any")]))
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0)
    router.add_agent(agent("a2"), 0.0, status=AWAY)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    router.accept("c1", "a1", 1.0)
    router.set_status("a1", AWAY, 2.0)
    router.transfer("c1", 100.0)
    assert 130.0 == router.next_deadline()
    assert [StageChanged(at=130.0, contact_id="c1", stage=1, rule="skills:any")] == router.advance(130.0)


def test_freed_agent_takes_best_waiting_contact_over_all_its_targets() -> None:
    """A freed agent takes the earliest-arrived contact over every queue it serves, not its first queue."""
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 3, "spanish": 3}), 0.0)
    router.submit(contact("c0"), 0.0)
    router.accept("c0", "a1", 0.0)
    router.submit(contact("billing", skills={"billing": 3}), 5.0)  # its queue is made first
    router.submit(contact("spanish", skills={"spanish": 3}, arrived_at=2.0), 6.0)  # but it arrived earlier
    assert [
        Completed(at=7.0, contact_id="c0", agent_id="a1", wrap_up_until=7.0),
        offered(7.0, "spanish", "a1", rule="skills:spanish>=3"),
    ] == router.complete("c0", 7.0)


# ---------------------------------------------------------------------------------------------------- ids


def test_denied_is_terminal_and_its_id_is_not_reused() -> None:
    """A denied contact is gone for good; its id cannot be submitted again within the retention time."""
    router = make_router()
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0, status=AWAY)
    router.add_agent(agent("a2"), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 1.0)
    router.remove_agent("a1", 2.0)
    assert router.state("c1") is None
    refused(router, 3.0, DuplicateIdError, lambda: router.submit(contact("c1"), 3.0))
    refused(router, 3.0, StateError, lambda: router.abandon("c1", 3.0))


def test_finished_contact_ids_are_not_reused_within_retention() -> None:
    """A completed contact's id is refused by submit until the retention time has passed."""
    router = one_offer(retention=100.0)
    router.accept("c1", "a1", 1.0)
    router.complete("c1", 10.0)
    refused(router, 109.0, DuplicateIdError, lambda: router.submit(contact("c1"), 109.0))


def test_finished_contacts_are_forgotten_after_retention() -> None:
    """Once the retention time has passed since a contact finished, its id may be used again."""
    router = one_offer(retention=100.0)
    router.accept("c1", "a1", 1.0)
    router.complete("c1", 10.0)
    assert [queued(110.0, "c1"), offered(110.0, "c1", "a1")] == router.submit(contact("c1"), 110.0)


# --------------------------------------------------------------------------------------------------- time


def test_every_call_fires_due_timers_first() -> None:
    """A call made after a timer was due returns the timer's events first, then its own."""
    router = one_offer()
    assert [
        OfferExpired(at=20.0, contact_id="c1", agent_id="a1"),
        status(20.0, "a1", AWAY),
        queued(25.0, "c2"),
    ] == router.submit(contact("c2"), 25.0)


def test_events_caused_by_a_timer_carry_its_due_time() -> None:
    """Advancing well past several timers stamps each event with its own timer's due time."""
    router = one_offer(away_on_missed_offer=False)
    assert [
        OfferExpired(at=20.0, contact_id="c1", agent_id="a1"),
        offered(50.0, "c1", "a1"),
        OfferExpired(at=70.0, contact_id="c1", agent_id="a1"),
        offered(100.0, "c1", "a1"),
    ] == router.advance(110.0)


def test_timers_due_together_fire_by_kind() -> None:
    """Offer expiry, stage timeout and wrap-up end due together fire in that order, whatever the set order."""
    router = make_router(Skills(relax=[(80, "any")]), away_on_missed_offer=False)
    router.add_agent(agent("a1", chat=1, wrap_up={"chat": 90.0}), 0.0)
    router.add_agent(agent("a2"), 0.0)
    router.submit(contact("chat-1", "chat"), 0.0)
    router.accept("chat-1", "a1", 5.0)
    router.complete("chat-1", 10.0)  # wrap-up ends at 100, set first
    router.submit(contact("c2", skills={"billing": 3}), 20.0)  # stage timeout at 100, set second
    router.submit(contact("c3"), 80.0)  # offer to a2 expires at 100, set last
    assert [
        OfferExpired(at=100.0, contact_id="c3", agent_id="a2"),
        StageChanged(at=100.0, contact_id="c2", stage=1, rule="skills:any"),
        offered(100.0, "c2", "a2", stage=1),
        WrapUpEnded(at=100.0, agent_id="a1", contact_id="chat-1"),
    ] == router.advance(100.0)


def test_offer_expiry_fires_before_a_reoffer_delay_end_due_with_it() -> None:
    """An offer expiry and a re-offer delay end due together fire expiry first, though set second."""
    router = make_router(away_on_missed_offer=False)
    router.add_agent(agent("a1"), 0.0)
    router.add_agent(agent("a2", skills={"spanish": 3}), 0.0, status=AWAY)
    router.submit(contact("v"), 0.0)
    router.reject("v", "a1", 5.0)  # a1 barred from v until 35
    router.submit(contact("w", skills={"spanish": 3}, priority=1), 10.0)
    router.set_status("a2", AVAILABLE, 15.0)  # w offered to a2, expiring at 35
    # Expiry first: a2 is freed while a1 is still barred, so v goes to a2.
    assert [
        OfferExpired(at=35.0, contact_id="w", agent_id="a2"),
        offered(35.0, "v", "a2"),
    ] == router.advance(35.0)


def test_reoffer_delay_end_fires_before_a_stage_timeout_due_with_it() -> None:
    """A re-offer delay end and a stage timeout due together fire the delay end first, though set first."""
    router = make_router(Skills(relax=[(20, "any")]), reoffer_delay=40.0)
    router.add_agent(agent("a1", skills={"spanish": 3}), 0.0)
    router.submit(contact("v", skills={"spanish": 3}), 0.0)
    router.reject("v", "a1", 10.0)  # a1 barred from v until 50
    router.submit(contact("c", skills={"billing": 3}), 30.0)  # stage timeout at 50
    # Delay end first: a1 takes v before c's stage widens to take in a1.
    assert [
        offered(50.0, "v", "a1", stage=1),
        StageChanged(at=50.0, contact_id="c", stage=1, rule="skills:any"),
    ] == router.advance(50.0)


def test_conversation_timers_due_together_fire_by_kind() -> None:
    """Hold expiry, wrap-up end and park TTL due together fire in that order, though set in reverse."""
    router = make_router(StickyFirst(hold=100.0, park_ttl=800.0))
    router.add_agent(agent("a1", messaging=1), 0.0)
    router.add_agent(agent("a2", messaging=1), 0.0)
    router.add_agent(agent("a3", chat=1, wrap_up={"chat": 500.0}), 0.0)
    for contact_id, channel, agent_id in (
        ("m1", "messaging", "a1"),
        ("m2", "messaging", "a2"),
        ("k1", "chat", "a3"),
    ):
        router.submit(contact(contact_id, channel), 0.0)
        router.accept(contact_id, agent_id, 0.0)
    router.await_customer("m1", 100.0)  # parked at 200; park TTL ends at 1000, set at 200
    router.complete("k1", 500.0)  # wrap-up ends at 1000, set at 500
    router.await_customer("m2", 900.0)  # hold ends at 1000, set at 900
    assert [
        Parked(at=1000.0, conversation_id="m2", contact_id="m2", agent_id="a2"),
        WrapUpEnded(at=1000.0, agent_id="a3", contact_id="k1"),
        ConversationClosed(at=1000.0, conversation_id="m1", reason="park-ttl"),
    ] == router.advance(1000.0)


def test_timers_of_one_kind_due_together_fire_in_the_order_set() -> None:
    """Two offers expiring at one moment expire in the order they were made, not by id."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.add_agent(agent("a2"), 0.0)
    router.submit(contact("z"), 0.0)
    router.submit(contact("b"), 0.0)
    assert [
        OfferExpired(at=20.0, contact_id="z", agent_id="a1"),
        status(20.0, "a1", AWAY),
        OfferExpired(at=20.0, contact_id="b", agent_id="a2"),
        status(20.0, "a2", AWAY),
    ] == router.advance(20.0)


def test_next_deadline_is_the_earliest_timer() -> None:
    """``next_deadline`` is None with no timers, then the earliest due time among them."""
    router = make_router(Skills(relax=[(50, "any")]))
    assert router.next_deadline() is None
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    assert 20.0 == router.next_deadline()  # the offer's expiry, before the stage timeout at 50
    router.accept("c1", "a1", 1.0)
    assert router.next_deadline() is None  # an accepted contact has no stage timer


def test_advance_fires_timers_due_at_or_before_now() -> None:
    """``advance`` fires nothing before a timer is due, and fires it when ``now`` equals its due time."""
    router = one_offer()
    assert [] == router.advance(19.0)
    assert [] == router.advance(19.0)
    assert [
        OfferExpired(at=20.0, contact_id="c1", agent_id="a1"),
        status(20.0, "a1", AWAY),
    ] == router.advance(20.0)
    assert [] == router.advance(20.0)


# ------------------------------------------------------------------------------------- explained decisions


def test_every_offered_names_its_stage_rule_and_selection() -> None:
    """An ``Offered`` carries the stage index, the stage's rule and the selection that chose the agent."""
    router = make_router(Skills(relax=[(30, 1)]))
    router.add_agent(agent("a1", skills={"billing": 2}), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    [_, offer] = router.advance(30.0)
    assert (1, "skills:billing>=2", "longest-idle") == (offer.stage, offer.rule, offer.selection)


# ---------------------------------------------------------------------------------------------- selection


def test_longest_idle_is_the_default_selection() -> None:
    """By default the agent free the longest gets the contact, whatever its id."""
    router = make_router()
    router.add_agent(agent("a2"), 0.0)
    router.add_agent(agent("a1"), 1.0)
    assert [queued(2.0, "c1"), offered(2.0, "c1", "a2")] == router.submit(contact("c1"), 2.0)


def test_most_proficient_selection() -> None:
    """``most-proficient`` picks the agent with the highest level on the target's skills."""
    router = make_router(selection="most-proficient")
    router.add_agent(agent("a1", skills={"billing": 3}), 0.0)
    router.add_agent(agent("a2", skills={"billing": 5}), 1.0)
    assert [
        queued(2.0, "c1", rule="skills:billing>=3"),
        offered(2.0, "c1", "a2", rule="skills:billing>=3", selection="most-proficient"),
    ] == router.submit(contact("c1", skills={"billing": 3}), 2.0)


def test_least_occupied_selection() -> None:
    """``least-occupied`` picks the agent using the smallest share of its capacity, not the longest idle."""
    router = make_router(selection="least-occupied")
    router.add_agent(agent("a2", chat=2), 0.0)
    router.add_agent(agent("a1", chat=4), 1.0)
    for n, who in ((1, "a2"), (2, "a1")):
        router.submit(contact(f"c{n}", "chat"), 2.0)
        router.accept(f"c{n}", who, 2.0)
    # a2 is idle the longest but uses 1/2 of its capacity; a1 uses 1/4.
    assert [
        queued(3.0, "c3", channel=CHAT),
        offered(3.0, "c3", "a1", channel=CHAT, selection="least-occupied"),
    ] == router.submit(contact("c3", "chat"), 3.0)


def test_round_robin_selection() -> None:
    """``round-robin`` picks the agent offered a contact least recently, even if another is freer."""
    router = make_router(selection="round-robin")
    router.add_agent(agent("a1", chat=3), 0.0)
    router.add_agent(agent("a2", chat=3), 0.0)
    for n, who in ((1, "a1"), (2, "a2")):
        router.submit(contact(f"c{n}", "chat"), float(n))
        router.accept(f"c{n}", who, float(n))
    router.complete("c2", 3.0)  # a2 now holds nothing, a1 one chat; a1 was offered one the longest ago
    assert [
        queued(4.0, "c3", channel=CHAT),
        offered(4.0, "c3", "a1", channel=CHAT, selection="round-robin"),
    ] == router.submit(contact("c3", "chat"), 4.0)


@pytest.mark.parametrize("selection", ["longest-idle", "most-proficient", "least-occupied", "round-robin"])
def test_selection_ties_end_on_agent_id(selection: str) -> None:
    """Agents equal under a selection key are chosen in agent id order."""
    router = make_router(selection=selection)
    router.add_agent(agent("b"), 0.0)
    router.add_agent(agent("a"), 0.0)
    assert [queued(1.0, "c1"), offered(1.0, "c1", "a", selection=selection)] == router.submit(contact("c1"), 1.0)


# ------------------------------------------------------------------------------------------ determinism


def _first_half(router: Checked) -> list[Event]:
    out: list[Event] = []
    out += router.add_agent(agent("a1", chat=2, voice=1, skills={"billing": 3}, wrap_up={"voice": 15.0}), 0.0)
    out += router.add_agent(agent("a2", chat=3), 0.0)
    out += router.submit(contact("v1", skills={"billing": 3}), 1.0)
    out += router.submit(contact("k1", "chat"), 2.0)
    out += router.submit(contact("k2", "chat", priority=1), 3.0)
    out += router.accept("v1", "a1", 4.0)
    out += router.reject("k1", "a2", 5.0)
    out += router.submit(contact("v2", skills={"billing": 2}), 6.0)
    out += router.complete("v1", 7.0)
    return out


def _second_half(router: Checked) -> list[Event]:
    out: list[Event] = []
    out += router.advance(30.0)
    out += router.submit(contact("k3", "chat"), 31.0)
    out += router.advance(200.0)
    out += router.set_status("a1", AVAILABLE, 201.0)
    out += router.advance(400.0)
    return out


def _script_policy() -> Skills:
    return Skills(relax=[(20, 1), (60, "any")])


def test_same_calls_give_equal_events() -> None:
    """Two routers given the same calls return equal event lists and end in equal states."""
    one, two = make_router(_script_policy()), make_router(_script_policy())
    assert _first_half(one) + _second_half(one) == _first_half(two) + _second_half(two)
    assert one.snapshot() == two.snapshot()


def test_restored_snapshot_returns_the_same_next_events() -> None:
    """A snapshot through JSON, restored, returns the same events as the original for the same calls."""
    original = make_router(_script_policy())
    _first_half(original)
    data = json.loads(json.dumps(original.snapshot()))
    restored = Checked(Router.restore(data, _script_policy()))
    restored._check()
    assert original.snapshot() == restored.snapshot()
    expected = _second_half(original)
    assert len(expected) > 5
    assert expected == _second_half(restored)


# -------------------------------------------------------------------------------------------------- views


def test_position_is_the_place_in_the_queue_or_none() -> None:
    """``position`` is a waiting contact's 0-based place in its queue, and None once it is not waiting."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    router.submit(contact("c3", priority=1), 2.0)
    assert (None, 1, 0) == (router.position("c1"), router.position("c2"), router.position("c3"))
    assert router.position("nobody") is None


def test_waiting_lists_contacts_in_service_order_across_queues() -> None:
    """``waiting()`` merges every queue in service order: priority, then arrival, then submission."""
    router = make_router()
    router.add_agent(agent("a1", chat=1, voice=1), 0.0, status=AWAY)
    router.submit(contact("v1"), 1.0)
    router.submit(contact("k1", "chat"), 2.0)
    router.submit(contact("v2", priority=2), 3.0)
    router.submit(contact("k2", "chat", arrived_at=0.5), 4.0)
    assert ["v2", "k2", "v1", "k1"] == router.waiting()


def test_agent_state_reports_status_load_and_work() -> None:
    """``agent_state`` shows presence, load per channel, contacts in hand, the pending offer and idle time."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    router.submit(contact("c1", "chat"), 1.0)
    router.accept("c1", "a1", 2.0)
    router.submit(contact("c2", "chat"), 3.0)
    view = router.agent_state("a1")
    assert (AVAILABLE, {CHAT: 2}, 2, "c2", {"c1": "assigned", "c2": "offered"}, 0.0) == (
        view.status,
        view.load,
        view.busy,
        view.offer,
        view.work,
        view.idle_since,
    )


def test_reprioritize_moves_a_waiting_contact() -> None:
    """``reprioritize`` gives a waiting contact a new priority, and its place in the queue follows."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=AWAY)
    router.submit(contact("c1"), 1.0)
    router.submit(contact("c2"), 2.0)
    assert [Reprioritized(at=3.0, contact_id="c2", priority=5)] == router.reprioritize("c2", 5, 3.0)
    assert ["c2", "c1"] == router.waiting()
    assert [status(4.0, "a1", AVAILABLE), offered(4.0, "c2", "a1")] == router.set_status("a1", AVAILABLE, 4.0)


def test_transfer_requeues_an_assigned_contact_with_a_new_plan_keeping_its_arrival() -> None:
    """``transfer`` frees the agent and queues the contact on its new target, keeping its arrival time."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.add_agent(agent("a2", teams=["tier2"]), 0.0)
    router.submit(contact("c1"), 0.0)
    router.accept("c1", "a1", 1.0)
    router.submit(contact("c2"), 2.0)
    router.accept("c2", "a2", 3.0)
    router.submit(contact("c3"), 6.0)
    assert [
        Transferred(at=10.0, contact_id="c1", agent_id="a1"),
        queued(10.0, "c1", arrived_at=0.0, rule="team:tier2"),
        offered(10.0, "c3", "a1"),
    ] == router.transfer("c1", 10.0, target=Target(channel="voice", team="tier2"))
    assert [
        Completed(at=11.0, contact_id="c2", agent_id="a2", wrap_up_until=11.0),
        offered(11.0, "c1", "a2", rule="team:tier2"),
    ] == router.complete("c2", 11.0)
    assert [Assigned(at=12.0, contact_id="c1", agent_id="a2", waited=12.0)] == router.accept("c1", "a2", 12.0)


# -------------------------------------------------------------------------------------------- abandonment


def test_abandon_of_a_waiting_contact() -> None:
    """A waiting contact that is abandoned leaves its queue with ``Abandoned``."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    assert [Abandoned(at=2.0, contact_id="c2")] == router.abandon("c2", 2.0)
    assert [] == router.waiting()


def test_abandon_of_an_offered_contact_rescinds_the_offer_first() -> None:
    """Abandoning an offered contact gives ``OfferRescinded``, ``Abandoned``, then the agent's next offer."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    assert [
        OfferRescinded(at=2.0, contact_id="c1", agent_id="a1", reason="abandoned"),
        Abandoned(at=2.0, contact_id="c1"),
        offered(2.0, "c2", "a1"),
    ] == router.abandon("c1", 2.0)


# ------------------------------------------------------------------------------------------ conversations


def _held(router: Checked) -> None:
    """Agent a1 on messaging answers conversation m1 at 1 and holds it from 2 (hold 60 s: until 62)."""
    router.add_agent(agent("a1", messaging=1), 0.0)
    router.submit(contact("m1", "messaging"), 0.0)
    router.accept("m1", "a1", 1.0)
    router.await_customer("m1", 2.0)


def test_await_customer_holds_the_slot_for_the_policy_hold_time() -> None:
    """``await_customer`` holds the slot until ``hold_until``; nothing else is offered meanwhile."""
    router = make_router(StickyFirst(hold=60.0))
    router.add_agent(agent("a1", messaging=1), 0.0)
    router.submit(contact("m1", "messaging"), 0.0)
    router.accept("m1", "a1", 1.0)
    assert [AwaitingCustomer(at=2.0, contact_id="m1", conversation_id="m1", agent_id="a1", hold_until=62.0)] == (
        router.await_customer("m1", 2.0)
    )
    assert [queued(3.0, "m2", channel=MESSAGING)] == router.submit(contact("m2", "messaging"), 3.0)


def test_reply_inside_the_hold_gives_the_turn_back_to_its_agent() -> None:
    """A reply during the hold cancels it; the turn is assigned to the agent again."""
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    assert [CustomerReplied(at=10.0, conversation_id="m1", contact_id="m1")] == router.customer_replied("m1", 10.0)
    assert {"m1": "assigned"} == router.agent_state("a1").work
    assert router.next_deadline() is None


def test_reply_while_the_turn_waits_is_absorbed() -> None:
    """A reply while the conversation's turn is waiting gives ``CustomerReplied`` and no new turn."""
    router = make_router(StickyFirst())
    router.add_agent(agent("a1", messaging=1), 0.0, status=AWAY)
    router.submit(contact("m1", "messaging"), 0.0)
    assert [CustomerReplied(at=1.0, conversation_id="m1", contact_id="m1")] == router.customer_replied("m1", 1.0)
    assert ["m1"] == router.waiting()


def test_hold_that_runs_out_parks_the_conversation_without_wrap_up() -> None:
    """When the hold runs out the conversation is parked and the slot freed at once, with no wrap-up."""
    router = make_router(StickyFirst(hold=60.0), wrap_up=30.0)
    _held(router)
    router.submit(contact("m2", "messaging"), 3.0)
    assert [
        Parked(at=62.0, conversation_id="m1", contact_id="m1", agent_id="a1"),
        offered(62.0, "m2", "a1", channel=MESSAGING),
    ] == router.advance(62.0)


def test_reply_to_a_parked_conversation_opens_a_new_turn_sticky_first() -> None:
    """A reply to a parked conversation opens turn ``m1#2``, queued first for the agent who served it."""
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    router.advance(62.0)
    assert [
        Resumed(at=100.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        queued(100.0, "m1#2", channel=MESSAGING, rule="sticky:last-agent"),
        offered(100.0, "m1#2", "a1", channel=MESSAGING, rule="sticky:last-agent", selection="sticky"),
    ] == router.customer_replied("m1", 100.0)


def test_parked_conversation_closes_after_its_park_ttl() -> None:
    """A parked conversation nobody replies to closes when the policy's park TTL runs out."""
    router = make_router(StickyFirst(hold=60.0, park_ttl=1000.0))
    _held(router)
    router.advance(62.0)
    assert [ConversationClosed(at=1062.0, conversation_id="m1", reason="park-ttl")] == router.advance(2000.0)


def test_complete_closes_the_conversation() -> None:
    """Completing a conversation's turn closes the conversation."""
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    assert [
        Completed(at=5.0, contact_id="m1", agent_id="a1", wrap_up_until=5.0),
        ConversationClosed(at=5.0, conversation_id="m1", reason="completed"),
    ] == router.complete("m1", 5.0)


def test_abandon_of_a_parked_conversation_closes_it() -> None:
    """Abandoning a parked conversation gives ``Abandoned`` for its last turn and ``ConversationClosed``."""
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    router.advance(62.0)
    assert [
        Abandoned(at=70.0, contact_id="m1"),
        ConversationClosed(at=70.0, conversation_id="m1", reason="abandoned"),
    ] == router.abandon("m1", 70.0)


def test_abandon_of_a_held_conversation_closes_it() -> None:
    """Abandoning a conversation held for a reply frees the slot and closes the conversation."""
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    assert [
        Abandoned(at=10.0, contact_id="m1"),
        ConversationClosed(at=10.0, conversation_id="m1", reason="abandoned"),
    ] == router.abandon("m1", 10.0)
    assert {} == router.agent_state("a1").work


def test_abandon_of_a_waiting_conversation_turn_closes_the_conversation() -> None:
    """Abandoning a conversation's waiting turn also closes its conversation (the router's docstring)."""
    router = make_router(StickyFirst())
    router.add_agent(agent("a1", messaging=1), 0.0, status=AWAY)
    router.submit(contact("m1", "messaging"), 0.0)
    assert [
        Abandoned(at=1.0, contact_id="m1"),
        ConversationClosed(at=1.0, conversation_id="m1", reason="abandoned"),
    ] == router.abandon("m1", 1.0)


def test_reply_turn_nobody_can_serve_is_denied() -> None:
    """A reply to a parked conversation whose only agent was removed is denied and the conversation closed.

    Its ``rule`` is the plan's first stage, as for any other unroutable contact.
    """
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    router.advance(62.0)
    router.remove_agent("a1", 63.0)
    assert [
        Resumed(at=70.0, conversation_id="m1", contact_id="m1#2", last_agent_id="a1"),
        Denied(
            at=70.0,
            contact_id="m1#2",
            channel=MESSAGING,
            tier="standard",
            reason="unroutable",
            rule="sticky:last-agent",
        ),
        ConversationClosed(at=70.0, conversation_id="m1", reason="unroutable"),
    ] == router.customer_replied("m1", 70.0)


def test_restored_snapshot_keeps_conversations_and_selection() -> None:
    """A restored router with held and parked conversations and round-robin selection matches the original."""

    def later(router: Checked) -> list[Event]:
        return [
            *router.customer_replied("m1", 70.0),
            *router.submit(contact("m3", "messaging"), 71.0),
            *router.advance(200.0),
            *router.customer_replied("m2", 201.0),
            *router.advance(5000.0),
        ]

    policy = StickyFirst(hold=60.0, park_ttl=1000.0)
    original = make_router(policy, selection="round-robin")
    original.add_agent(agent("a1", messaging=2), 0.0)
    original.add_agent(agent("a2", messaging=1), 0.0)
    for n, who in ((1, "a1"), (2, "a2")):
        original.submit(contact(f"m{n}", "messaging"), float(n))
        original.accept(f"m{n}", who, float(n))
        original.await_customer(f"m{n}", float(n))
    original.advance(61.5)  # m1 parked at 61; m2 still held until 62
    restored = Checked(Router.restore(json.loads(json.dumps(original.snapshot())), policy))
    restored._check()
    expected = later(original)
    assert len(expected) > 5
    assert expected == later(restored)


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.set_status("nobody", AWAY, 1.0),
        lambda r: r.update_agent(agent("nobody"), 1.0),
        lambda r: r.remove_agent("nobody", 1.0),
        lambda r: r.end_wrap_up("nobody", 1.0),
    ],
    ids=["set_status", "update_agent", "remove_agent", "end_wrap_up"],
)
def test_unknown_agent_id_is_refused(call: Callable[[Checked], Any]) -> None:
    """A call naming an unregistered agent raises ``UnknownIdError`` (a ``KeyError``) and changes nothing."""
    router = one_offer()
    error = refused(router, 1.0, UnknownIdError, lambda: call(router))
    assert isinstance(error, KeyError)
    with pytest.raises(UnknownIdError):
        router.agent_state("nobody")


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.complete("nobody", 1.0),
        lambda r: r.abandon("nobody", 1.0),
        lambda r: r.reprioritize("nobody", 1, 1.0),
        lambda r: r.transfer("nobody", 1.0),
        lambda r: r.customer_replied("nobody", 1.0),
    ],
    ids=["complete", "abandon", "reprioritize", "transfer", "customer_replied"],
)
def test_unknown_contact_id_is_refused(call: Callable[[Checked], Any]) -> None:
    """A call naming a contact never submitted raises ``UnknownIdError`` and changes nothing."""
    router = one_offer()
    error = refused(router, 1.0, UnknownIdError, lambda: call(router))
    assert isinstance(error, KeyError)


def test_duplicate_agent_is_refused() -> None:
    """Adding an agent whose id is taken raises ``DuplicateIdError`` (a ``ValueError``), changing nothing."""
    router = one_offer()
    error = refused(router, 1.0, DuplicateIdError, lambda: router.add_agent(agent("a1", chat=3), 1.0))
    assert isinstance(error, ValueError)


def test_duplicate_contact_id_is_refused() -> None:
    """Submitting a live contact's id again raises ``DuplicateIdError`` (a ``ValueError``), no change."""
    router = one_offer()
    error = refused(router, 1.0, DuplicateIdError, lambda: router.submit(contact("c1", "chat"), 1.0))
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_answer_by_an_agent_without_the_offer_is_refused(answer: str) -> None:
    """An accept or reject by an agent who holds no offer of that contact raises ``OfferStateError``."""
    router = one_offer()
    router.add_agent(agent("a2"), 0.5)
    error = refused(router, 1.0, OfferStateError, lambda: getattr(router, answer)("c1", "a2", 1.0))
    assert isinstance(error, StateError)
    assert isinstance(error, RuntimeError)


def test_answer_to_a_contact_that_was_never_offered_is_refused() -> None:
    """Accepting a waiting contact, or one never submitted, raises ``OfferStateError``."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    refused(router, 1.0, OfferStateError, lambda: router.accept("c2", "a1", 1.0))
    refused(router, 1.0, OfferStateError, lambda: router.accept("nobody", "a1", 1.0))


def test_answer_after_the_offer_expired_is_refused() -> None:
    """An accept after the offer expired raises ``OfferStateError`` and changes nothing."""
    router = one_offer()
    refused(router, 20.0, OfferStateError, lambda: router.accept("c1", "a1", 20.0))


def test_refused_call_carries_the_timer_events_it_fired() -> None:
    """A call refused after firing due timers carries exactly the events ``advance`` would have returned."""
    advanced, answered = one_offer(), one_offer()
    expected = advanced.advance(25.0)
    assert [OfferExpired(at=20.0, contact_id="c1", agent_id="a1"), status(20.0, "a1", AWAY)] == expected
    with pytest.raises(OfferStateError) as caught:
        answered.accept("c1", "a1", 25.0)
    assert expected == caught.value.events
    assert advanced.snapshot() == answered.snapshot()


@pytest.mark.parametrize(("first", "second"), [("accept", "accept"), ("accept", "reject"), ("reject", "accept")])
def test_second_answer_is_refused(first: str, second: str) -> None:
    """A second answer to one offer raises ``OfferStateError`` and changes nothing."""
    router = one_offer()
    getattr(router, first)("c1", "a1", 1.0)
    refused(router, 2.0, OfferStateError, lambda: getattr(router, second)("c1", "a1", 2.0))


def test_time_going_backwards_is_refused() -> None:
    """A call with a ``now`` before the last one raises ``ClockError`` and changes nothing."""
    router = one_offer()
    error = refused(router, 10.0, ClockError, lambda: router.submit(contact("c2"), 9.0))
    assert isinstance(error, ValueError)
    refused(router, 10.0, ClockError, lambda: router.advance(9.999))


@pytest.mark.parametrize("now", [math.nan, math.inf, -math.inf])
def test_nan_or_infinite_time_is_refused(now: float) -> None:
    """A ``now`` that is NaN or infinite raises ``ClockError`` and changes nothing."""
    router = one_offer()
    refused(router, 10.0, ClockError, lambda: router.advance(now))
    refused(router, 10.0, ClockError, lambda: router.accept("c1", "a1", now))


def test_complete_of_a_non_assigned_contact_is_refused() -> None:
    """Completing a contact that is offered or waiting raises ``StateError`` and changes nothing."""
    router = one_offer()
    router.submit(contact("c2"), 1.0)
    refused(router, 2.0, StateError, lambda: router.complete("c1", 2.0))
    refused(router, 2.0, StateError, lambda: router.complete("c2", 2.0))


def test_complete_of_a_finished_contact_is_refused() -> None:
    """Completing a contact twice raises ``StateError`` and changes nothing."""
    router = one_offer()
    router.accept("c1", "a1", 1.0)
    router.complete("c1", 2.0)
    refused(router, 3.0, StateError, lambda: router.complete("c1", 3.0))


def test_abandon_of_an_assigned_contact_is_refused() -> None:
    """Abandoning an assigned contact raises ``StateError`` (use complete) and changes nothing."""
    router = one_offer()
    router.accept("c1", "a1", 1.0)
    refused(router, 2.0, StateError, lambda: router.abandon("c1", 2.0))


def test_reprioritize_of_a_non_waiting_contact_is_refused() -> None:
    """Reprioritizing an offered or assigned contact raises ``StateError`` and changes nothing."""
    router = one_offer()
    refused(router, 1.0, StateError, lambda: router.reprioritize("c1", 3, 1.0))
    router.accept("c1", "a1", 2.0)
    refused(router, 3.0, StateError, lambda: router.reprioritize("c1", 3, 3.0))


def test_transfer_of_a_non_assigned_contact_is_refused() -> None:
    """Transferring an offered contact raises ``StateError`` and changes nothing."""
    router = one_offer()
    refused(router, 1.0, StateError, lambda: router.transfer("c1", 1.0))


def test_end_wrap_up_of_an_agent_not_in_wrap_up_is_refused() -> None:
    """``end_wrap_up`` for an agent not in wrap-up raises ``StateError`` and changes nothing."""
    router = one_offer()
    refused(router, 1.0, StateError, lambda: router.end_wrap_up("a1", 1.0))


def test_unknown_status_is_refused_and_carries_the_timer_events() -> None:
    """A status that is not an ``AgentStatus`` raises a ``RoutekitError`` that carries the due timers' events.

    DESIGN.md: "Errors derive from one RoutekitError" and "If the call is then refused, the error carries
    those timer events (err.events), so nothing is lost."
    """
    advanced, called = one_offer(), one_offer()
    expected = advanced.advance(25.0)
    with pytest.raises(RoutekitError) as caught:
        called.set_status("a1", "busy", 25.0)
    assert expected == caught.value.events
    assert advanced.snapshot() == called.snapshot()


def test_await_customer_of_a_synchronous_contact_is_refused() -> None:
    """``await_customer`` of an assigned voice contact (no conversation) raises ``StateError``."""
    router = one_offer()
    router.accept("c1", "a1", 1.0)
    refused(router, 2.0, StateError, lambda: router.await_customer("c1", 2.0))


def test_reply_to_a_closed_conversation_is_refused() -> None:
    """``customer_replied`` on a closed conversation raises ``StateError`` and changes nothing."""
    router = make_router(StickyFirst(hold=60.0))
    _held(router)
    router.complete("m1", 5.0)
    refused(router, 6.0, StateError, lambda: router.customer_replied("m1", 6.0))


def test_settings_are_read_only() -> None:
    """The router keeps the settings it reads for every contact at hand, so they cannot be swapped later."""
    router = Router(Skills(), reoffer_delay=5.0)
    assert 5.0 == router.settings.reoffer_delay
    with pytest.raises(AttributeError):
        router.settings = RouterSettings()  # type: ignore[misc]
