"""Loyalty-tier gating (issue 5): channel gates with a fallback, priority boost, dedicated team then overflow.

Each rule is tested through the :class:`~routekit.Router`, not only the policy object. Routers here are
wrapped by :class:`Checked`, so ``router._check()`` runs after every call, refused or not.
"""

from __future__ import annotations

from typing import Any

import pytest
from checked import Checked

import routekit as rk
from routekit.events import (
    AgentStatusChanged,
    Assigned,
    ContactQueued,
    Denied,
    Offered,
    StageChanged,
)
from routekit.policies import Denial, Skills, TierGate, fallback_contact

TIERS = rk.Tiers(["standard", "silver", "gold", "platinum"])
VIDEO, CHAT, VOICE = rk.Channel.VIDEO, rk.Channel.CHAT, rk.Channel.VOICE
OFFER_TIMEOUT = {VOICE: 20.0, VIDEO: 20.0, CHAT: 30.0}  # DESIGN.md's defaults
OVERFLOW = 60.0


def gate(**overrides: Any) -> TierGate:
    """Video for gold and up (chat as the fallback), +1 gold, +2 platinum, platinum to "vip" for 60 s."""
    settings: dict[str, Any] = {
        "tiers": TIERS,
        "gates": {"video": "gold"},
        "fallback": {"video": "chat"},
        "boost": {"gold": 1, "platinum": 2},
        "teams": {"platinum": ("vip", OVERFLOW)},
        "then": Skills(),
    }
    settings.update(overrides)
    return TierGate(**settings)


def make_router(policy: Any = None) -> Checked:
    """A checked router under ``policy`` (default: :func:`gate`)."""
    return Checked(rk.Router(gate() if policy is None else policy))


def agent(agent_id: str, *, teams: tuple[str, ...] = (), **capacity: int) -> rk.Agent:
    """An agent with channel capacities as keywords: ``agent("a1", video=1, chat=3)``."""
    return rk.Agent(id=agent_id, capacity=capacity or {"video": 1, "chat": 3}, teams=frozenset(teams))


def contact(contact_id: str, tier: str, channel: str = "video", **fields: Any) -> rk.Contact:
    """A contact from customer ``u-<id>`` of ``tier`` on ``channel``."""
    customer = rk.Customer(id=f"u-{contact_id}", tier=tier)
    return rk.Contact(id=contact_id, customer=customer, channel=channel, **fields)


def queued(
    at: float,
    contact_id: str,
    tier: str,
    *,
    channel: rk.Channel = VIDEO,
    arrived_at: float | None = None,
    rule: str = "skills:any",
    priority: int = 0,
) -> ContactQueued:
    """The ``ContactQueued`` for a contact entering stage 0."""
    return ContactQueued(
        at=at,
        contact_id=contact_id,
        channel=channel,
        tier=tier,
        arrived_at=at if arrived_at is None else arrived_at,
        stage=0,
        rule=rule,
        priority=priority,
    )


def offered(
    at: float,
    contact_id: str,
    agent_id: str,
    *,
    channel: rk.Channel = VIDEO,
    stage: int = 0,
    rule: str = "skills:any",
) -> Offered:
    """The ``Offered`` under the default selection and the channel's default offer timeout."""
    return Offered(
        at=at,
        contact_id=contact_id,
        agent_id=agent_id,
        stage=stage,
        rule=rule,
        selection="longest-idle",
        expires_at=at + OFFER_TIMEOUT[channel],
    )


def video_denied(at: float, contact_id: str, tier: str) -> Denied:
    """The ``Denied`` of a video contact below gold, pointing to chat."""
    return Denied(
        at=at,
        contact_id=contact_id,
        channel=VIDEO,
        tier=tier,
        reason="tier-gate",
        rule="tier:video>=gold",
        fallback=CHAT,
    )


# ------------------------------------------------------------------------------------------ channel gates


@pytest.mark.parametrize("tier", ["standard", "silver"])
def test_gated_channel_returns_only_denied_naming_rule_and_fallback(tier: str) -> None:
    """Below the gate's tier, ``submit`` returns only ``Denied`` with the rule and the fallback channel."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    assert [video_denied(1.0, "v1", tier)] == router.submit(contact("v1", tier), 1.0)


def test_denied_contact_is_not_queued() -> None:
    """A denied contact waits nowhere, holds no offer, and leaves every agent idle."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("v1", "silver"), 1.0)
    assert [] == router.waiting()
    assert None is router.state("v1")
    assert None is router.position("v1")
    assert {} == router.agent_state("a1").work
    assert None is router.next_deadline()


def test_denied_is_terminal_and_its_id_is_not_reused() -> None:
    """``Denied`` is terminal: submitting the denied id again is a ``DuplicateIdError``."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    router.submit(contact("v1", "silver"), 1.0)
    with pytest.raises(rk.DuplicateIdError, match="v1"):
        router.submit(contact("v1", "silver", channel="chat"), 2.0)


@pytest.mark.parametrize("tier", ["gold", "platinum"])
def test_gate_lets_its_tier_and_higher_through(tier: str) -> None:
    """Gold and platinum customers get video: the contact is queued on video, not denied."""
    router = make_router(gate(teams={}))
    router.add_agent(agent("a1"), 0.0)
    events = router.submit(contact("v1", tier), 1.0)
    boost = {"gold": 1, "platinum": 2}[tier]
    assert [queued(1.0, "v1", tier, priority=boost), offered(1.0, "v1", "a1")] == events


def test_gate_is_checked_before_routability() -> None:
    """A gated contact is denied even when no agent works its channel: the gate refuses it, not the staff."""
    router = make_router()
    router.add_agent(agent("a1", chat=3), 0.0)
    assert [video_denied(1.0, "v1", "silver")] == router.submit(contact("v1", "silver"), 1.0)


def test_ungated_channel_is_open_to_every_tier() -> None:
    """A channel with no gate routes a standard customer as usual."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    assert [
        queued(1.0, "c1", "standard", channel=CHAT),
        offered(1.0, "c1", "a1", channel=CHAT),
    ] == router.submit(contact("c1", "standard", channel="chat"), 1.0)


def test_resubmit_on_fallback_keeps_context_and_arrival_time() -> None:
    """``fallback_contact`` gives a new id on the fallback channel with the same context and arrival time."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=rk.AgentStatus.AWAY)
    original = contact("v1", "silver", skills={}, context={"bot_transcript": "card blocked"})
    [denied] = router.submit(original, 10.0)
    retry = fallback_contact(original, denied, "v1-chat")
    assert (CHAT, {"bot_transcript": "card blocked"}, 10.0) == (
        retry.channel,
        retry.context,
        retry.arrived_at,
    )
    assert [queued(25.0, "v1-chat", "silver", channel=CHAT, arrived_at=10.0)] == router.submit(retry, 25.0)
    assert {"bot_transcript": "card blocked"} == router.contact("v1-chat").context
    assert [
        AgentStatusChanged(at=40.0, agent_id="a1", status=rk.AgentStatus.AVAILABLE),
        offered(40.0, "v1-chat", "a1", channel=CHAT),
    ] == router.set_status("a1", rk.AgentStatus.AVAILABLE, 40.0)
    assert [Assigned(at=42.0, contact_id="v1-chat", agent_id="a1", waited=32.0)] == router.accept("v1-chat", "a1", 42.0)


def test_resubmit_keeps_an_explicit_original_arrival_time() -> None:
    """A denied contact that carried ``arrived_at`` keeps that time, not the time it was denied."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    original = contact("v1", "silver", arrived_at=3.0)
    [denied] = router.submit(original, 10.0)
    assert [
        queued(12.0, "v1-chat", "silver", channel=CHAT, arrived_at=3.0),
        offered(12.0, "v1-chat", "a1", channel=CHAT),
    ] == router.submit(fallback_contact(original, denied, "v1-chat"), 12.0)


def test_resubmitted_contact_keeps_its_place_by_arrival() -> None:
    """The resubmitted contact is served before a chat contact that arrived after the original video call."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status=rk.AgentStatus.AWAY)
    original = contact("v1", "silver")
    [denied] = router.submit(original, 10.0)
    router.submit(contact("c2", "silver", channel="chat"), 11.0)
    router.submit(fallback_contact(original, denied, "v1-chat"), 12.0)
    assert ["v1-chat", "c2"] == router.waiting()


def test_fallback_contact_without_fallback_channel_is_config_error() -> None:
    """``fallback_contact`` refuses a denial that names no fallback channel."""
    router = make_router(gate(fallback={}))
    original = contact("v1", "silver")
    router.add_agent(agent("a1"), 0.0)
    [denied] = router.submit(original, 1.0)
    assert None is denied.fallback
    with pytest.raises(rk.ConfigError, match="no fallback"):
        fallback_contact(original, denied, "v1-chat")


# ------------------------------------------------------------------------------------------ priority boost


def test_priority_boost_per_tier_shows_in_contact_queued() -> None:
    """Each tier's boost is added to the contact's priority at every stage (``ContactQueued.priority``)."""
    router = make_router(gate(teams={}))
    router.add_agent(agent("a1", chat=3), 0.0, status=rk.AgentStatus.AWAY)
    got = [
        router.submit(contact(f"c-{tier}", tier, channel="chat", priority=5), 1.0)[0].priority for tier in TIERS.names
    ]
    assert [5, 5, 6, 7] == got


def test_gold_contact_submitted_later_is_offered_first() -> None:
    """A gold contact submitted after a silver one is offered first when an agent frees up."""
    router = make_router()
    router.add_agent(agent("a1", chat=1), 0.0, status=rk.AgentStatus.AWAY)
    router.submit(contact("s1", "silver", channel="chat"), 1.0)
    router.submit(contact("g1", "gold", channel="chat"), 2.0)
    assert ["g1", "s1"] == router.waiting()
    assert [
        AgentStatusChanged(at=3.0, agent_id="a1", status=rk.AgentStatus.AVAILABLE),
        offered(3.0, "g1", "a1", channel=CHAT),
    ] == router.set_status("a1", rk.AgentStatus.AVAILABLE, 3.0)


def test_boost_outranks_an_earlier_arrival_but_not_a_higher_base_priority() -> None:
    """Boost adds to the base priority: silver at priority 2 beats gold (+1) at priority 0."""
    router = make_router()
    router.add_agent(agent("a1", chat=1), 0.0, status=rk.AgentStatus.AWAY)
    router.submit(contact("g1", "gold", channel="chat"), 1.0)
    router.submit(contact("s1", "silver", channel="chat", priority=2), 2.0)
    assert ["s1", "g1"] == router.waiting()


# -------------------------------------------------------------------------------- dedicated team, overflow


def test_dedicated_team_gets_the_tier_first() -> None:
    """A platinum contact goes to a free vip agent (``tier:vip-team``), even past a longer-idle agent."""
    router = make_router()
    router.add_agent(agent("g1"), 0.0)
    router.add_agent(agent("v1", teams=("vip",)), 1.0)
    assert [
        queued(5.0, "p1", "platinum", channel=CHAT, rule="tier:vip-team", priority=2),
        offered(5.0, "p1", "v1", channel=CHAT, rule="tier:vip-team"),
    ] == router.submit(contact("p1", "platinum", channel="chat"), 5.0)


def test_dedicated_team_overflows_after_n_seconds() -> None:
    """With the vip team away, platinum waits N s, then ``StageChanged`` and a non-team agent gets it."""
    router = make_router()
    router.add_agent(agent("v1", teams=("vip",)), 0.0, status=rk.AgentStatus.AWAY)
    router.add_agent(agent("g1"), 0.0)
    assert [queued(5.0, "p1", "platinum", channel=CHAT, rule="tier:vip-team", priority=2)] == router.submit(
        contact("p1", "platinum", channel="chat"), 5.0
    )
    assert 5.0 + OVERFLOW == router.next_deadline()
    assert [] == router.advance(5.0 + OVERFLOW - 0.001)
    assert [
        StageChanged(at=5.0 + OVERFLOW, contact_id="p1", stage=1, rule="skills:any"),
        offered(5.0 + OVERFLOW, "p1", "g1", channel=CHAT, stage=1),
    ] == router.advance(5.0 + OVERFLOW)


def test_team_agent_still_takes_the_contact_after_overflow() -> None:
    """After overflow the vip agent, matching the general pool too, can still take the contact."""
    router = make_router()
    router.add_agent(agent("v1", teams=("vip",)), 0.0, status=rk.AgentStatus.AWAY)
    router.submit(contact("p1", "platinum", channel="chat"), 0.0)
    router.advance(OVERFLOW)
    assert [
        AgentStatusChanged(at=70.0, agent_id="v1", status=rk.AgentStatus.AVAILABLE),
        offered(70.0, "p1", "v1", channel=CHAT, stage=1),
    ] == router.set_status("v1", rk.AgentStatus.AVAILABLE, 70.0)


def test_team_stage_keeps_the_tier_boost() -> None:
    """The dedicated-team stage carries the tier's boost too, so platinum leads the team queue."""
    plan = gate().plan(contact("p1", "platinum", channel="chat"), 0.0)
    assert isinstance(plan, rk.policies.Plan)
    assert [("tier:vip-team", OVERFLOW, 2), ("skills:any", None, 2)] == [
        (s.target.rule, s.timeout, s.boost) for s in plan.stages
    ]


def test_other_tiers_skip_the_dedicated_team() -> None:
    """A gold contact is not sent to the vip team: its first stage is the wrapped plan's."""
    router = make_router()
    router.add_agent(agent("v1", teams=("vip",)), 0.0, status=rk.AgentStatus.AWAY)
    router.add_agent(agent("g1"), 0.0)
    assert [
        queued(1.0, "c1", "gold", channel=CHAT, priority=1),
        offered(1.0, "c1", "g1", channel=CHAT),
    ] == router.submit(contact("c1", "gold", channel="chat"), 1.0)


# -------------------------------------------------------------------------------------------- bad input


def test_unknown_tier_at_submit_is_unknown_id_error() -> None:
    """A customer whose tier the gate does not know is refused at submit with ``UnknownIdError``."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0)
    before = router.snapshot()
    with pytest.raises(rk.UnknownIdError, match="diamond"):
        router.submit(contact("c1", "diamond", channel="chat"), 0.0)
    assert before == router.snapshot()
    assert [] == router.waiting()


def test_unknown_tier_error_carries_the_timer_events_due() -> None:
    """The refused submit still fires the timers due at its ``now`` and carries their events."""
    router = make_router()
    router.add_agent(agent("v1", teams=("vip",)), 0.0, status=rk.AgentStatus.AWAY)
    router.add_agent(agent("g1"), 0.0)
    router.submit(contact("p1", "platinum", channel="chat"), 0.0)
    with pytest.raises(rk.UnknownIdError) as caught:
        router.submit(contact("c1", "diamond", channel="chat"), OVERFLOW)
    assert [
        StageChanged(at=OVERFLOW, contact_id="p1", stage=1, rule="skills:any"),
        offered(OVERFLOW, "p1", "g1", channel=CHAT, stage=1),
    ] == caught.value.events


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"gates": {"video": "diamond"}}, r"TierGate\.gates\['video'\]", id="gate-tier"),
        pytest.param({"boost": {"diamond": 1}}, r"TierGate\.boost\['diamond'\]", id="boost-tier"),
        pytest.param({"teams": {"diamond": ("vip", 60)}}, r"TierGate\.teams\['diamond'\]", id="team-tier"),
        pytest.param(
            {"gates": {"video": "gold", "chat": "silver"}},
            r"TierGate\.fallback\['video'\]",
            id="fallback-gated",
        ),
        pytest.param(
            {"gates": {"video": "silver", "chat": "platinum"}},
            r"TierGate\.fallback\['video'\]",
            id="fallback-gated-higher",
        ),
        pytest.param({"teams": {"platinum": ("vip", 0)}}, r"TierGate\.teams\['platinum'\]", id="overflow-0"),
        pytest.param({"teams": {"platinum": ("vip", -5.0)}}, r"TierGate\.teams\['platinum'\]", id="overflow-negative"),
        pytest.param(
            {"teams": {"platinum": ("vip", float("inf"))}},
            r"TierGate\.teams\['platinum'\]",
            id="overflow-infinite",
        ),
        pytest.param({"teams": {"platinum": ("vip", None)}}, r"TierGate\.teams\['platinum'\]", id="overflow-none"),
        pytest.param({"teams": {"platinum": ("", 60)}}, r"TierGate\.teams\['platinum'\]", id="team-empty"),
        pytest.param({"boost": {"gold": 1.5}}, r"TierGate\.boost\['gold'\]", id="boost-not-int"),
        pytest.param({"fallback": {"voice": "chat"}}, r"TierGate\.fallback\['voice'\]", id="fallback-ungated"),
        pytest.param({"fallback": {"video": "video"}}, r"TierGate\.fallback\['video'\]", id="fallback-same"),
    ],
)
def test_bad_tier_gate_fails_at_construction_naming_the_field(overrides: dict[str, Any], field: str) -> None:
    """Each construction-time refusal of ``TierGate`` is a ``ConfigError`` naming the field."""
    with pytest.raises(rk.ConfigError, match=field):
        gate(**overrides)


def test_fallback_gated_only_at_the_lowest_tier_is_allowed() -> None:
    """A fallback whose gate admits every tier (the lowest) denies nobody the first gate denies."""
    policy = gate(gates={"video": "gold", "chat": "standard"})
    assert Denial(reason="tier-gate", rule="tier:video>=gold", fallback=CHAT) == policy.plan(
        contact("v1", "silver"), 0.0
    )


def test_tier_gate_passes_the_wrapped_hold_through() -> None:
    """``TierGate.hold`` is the wrapped policy's: Skills holds nothing."""
    assert None is gate().hold(contact("m1", "gold", channel="messaging"))
