"""Queue limits (issue 22): one named test per rule of ``RouterSettings.queue_limits``.

A limit gates admission: ``submit`` denies a contact that would wait in a full queue, ``transfer`` refuses
to send one there; a contact already in routing (a rejected or expired offer, a stage change, a reply turn)
is never turned away. Every router here runs ``_check()`` after each call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from checked import Checked

from routekit import Agent, Channel, ConfigError, Contact, Customer, Router, RouterSettings, StateError
from routekit.events import ContactQueued, Denied, Offered, OfferRejected, StageChanged
from routekit.policies import Hold, Plan, Skills, Stage, Target

VOICE, MESSAGING = Channel.VOICE, Channel.MESSAGING


class FixedPlan:
    """Every contact gets the same stages; conversations are held 60 s, then parked."""

    def __init__(self, *stages: Stage) -> None:
        self.stages = stages

    def plan(self, contact: Contact, now: float) -> Plan:
        return Plan(self.stages)

    def hold(self, contact: Contact) -> Hold | None:
        return Hold(hold=60.0)


def router_with(policy: Any = None, **settings: Any) -> Checked:
    return Checked(Router(Skills() if policy is None else policy, **settings))


def voice(contact_id: str, **skills: int) -> Contact:
    return Contact(id=contact_id, customer=Customer(id="u-" + contact_id), channel=VOICE, skills=skills)


def denied(at: float, contact_id: str, rule: str = "skills:any", fallback: Channel | None = None) -> Denied:
    return Denied(
        at=at, contact_id=contact_id, channel=VOICE, tier="standard", reason="queue-full", rule=rule, fallback=fallback
    )


def busy_voice_router(limit: int, **settings: Any) -> Checked:
    """One voice agent, offered ``c0`` at 0 s (an offer pending: the agent takes nothing else)."""
    router = router_with(**{"queue_limits": {"voice": limit}, **settings})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    return router


def test_submit_into_a_full_queue_is_denied_with_the_fallback() -> None:
    """A contact that would wait in a queue at its limit gets only ``Denied(queue-full)``, with the fallback."""
    router = busy_voice_router(2, queue_fallback={"voice": "messaging"})
    assert isinstance(router.submit(voice("c1"), 1.0)[0], ContactQueued)
    assert isinstance(router.submit(voice("c2"), 2.0)[0], ContactQueued)
    assert [denied(3.0, "c3", fallback=MESSAGING)] == router.submit(voice("c3"), 3.0)
    assert ["c1", "c2"] == router.waiting()
    assert router.state("c3") is None


def test_a_contact_being_offered_does_not_count() -> None:
    """The offered ``c0`` has left its queue: a limit of 1 still lets one contact wait beside it."""
    router = busy_voice_router(1)
    assert isinstance(router.submit(voice("c1"), 1.0)[0], ContactQueued)
    assert [denied(2.0, "c2")] == router.submit(voice("c2"), 2.0)


def test_limit_of_zero_admits_only_a_contact_offered_at_once() -> None:
    """A limit of 0 is the Erlang B loss system: a free agent takes the contact, else it is denied."""
    router = router_with(queue_limits={"voice": 0})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    assert isinstance(router.submit(voice("c0"), 0.0)[1], Offered)
    assert [denied(1.0, "c1")] == router.submit(voice("c1"), 1.0)
    router.accept("c0", "a1", 2.0)
    router.complete("c0", 3.0)
    assert isinstance(router.submit(voice("c2"), 4.0)[1], Offered)


def test_a_rejected_offer_re_enters_its_place_in_a_full_queue() -> None:
    """A rejected contact goes back to the head of a full queue: the queue is over its limit, not the contact out."""
    router = busy_voice_router(1, reoffer_delay=30.0)
    router.submit(voice("c1"), 1.0)
    assert [OfferRejected(at=2.0, contact_id="c0", agent_id="a1")] == router.reject("c0", "a1", 2.0)[:1]
    # a1 is barred from c0, so c1 (next in line) is offered; c0 waits alone again, at its old place.
    assert ["c0"] == router.waiting()
    assert 0 == router.position("c0")


def test_an_expired_offer_re_enters_its_place_beyond_the_limit() -> None:
    """An expired offer puts the contact back even when that takes its queue past the limit."""
    router = busy_voice_router(1, away_on_missed_offer=True)
    router.submit(voice("c1"), 1.0)
    router.advance(20.0)  # c0's offer expires; a1 is set away, so nobody takes either contact
    assert ["c0", "c1"] == router.waiting()
    assert [denied(21.0, "c2")] == router.submit(voice("c2"), 21.0)


def test_a_stage_change_into_a_full_queue_moves_the_contact_anyway() -> None:
    """An admitted contact is never turned away: its next stage takes it even at the limit; new ones are denied."""
    billing = Target(channel="voice", skills={"billing": 3})
    anyone = Target(channel="voice")
    policy = FixedPlan(Stage(target=billing, timeout=30.0), Stage(target=anyone))
    router = router_with(policy, queue_limits={"skills:any": 1, "skills:billing>=3": 5})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)  # no billing: serves only the second stage
    router.add_agent(Agent(id="b1", skills={"billing": 3}, capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)  # offered to b1 at once
    router.accept("c0", "b1", 0.5)
    router.submit(voice("c1"), 1.0)
    router.submit(voice("c2"), 2.0)  # both wait at billing (limit 5); a1 is offered neither (not their stage)
    router.set_status("a1", "away", 3.0)
    assert [StageChanged(at=31.0, contact_id="c1", stage=1, rule="skills:any")] == router.advance(31.0)
    assert [StageChanged(at=32.0, contact_id="c2", stage=1, rule="skills:any")] == router.advance(32.0)
    assert ["c1", "c2"] == router.waiting()  # two wait at skills:any, over its limit of 1
    events = router.submit(voice("c3"), 33.0)
    assert isinstance(events[0], ContactQueued)  # c3 enters at billing, whose queue has room
    policy.stages = (Stage(target=anyone),)
    assert [denied(34.0, "c4")] == router.submit(voice("c4"), 34.0)


def test_a_transfer_into_a_full_queue_is_refused_and_changes_nothing() -> None:
    """``transfer`` to a target whose queue is at its limit raises ``StateError``; the contact stays assigned."""
    router = router_with(queue_limits={"team:tier2": 1})
    tier2 = Target(channel="voice", team="tier2")
    for n, member in enumerate(["t1", "a1", "a2"]):
        teams = frozenset({"tier2"}) if member == "t1" else frozenset()
        router.add_agent(Agent(id=member, teams=teams, capacity={"voice": 1}), float(n))
        router.submit(voice(f"c{n}"), float(n))
        router.accept(f"c{n}", member, float(n))
    events = router.transfer("c1", 5.0, target=tier2)  # t1 is busy: c1 waits at tier2, its one place
    assert isinstance(events[1], ContactQueued)
    router.advance(6.0)
    before = json.dumps(router.snapshot())
    with pytest.raises(StateError, match="queue-full"):
        router.transfer("c2", 6.0, target=tier2)
    assert before == json.dumps(router.snapshot())
    assert router.state("c2") == "assigned"


def test_a_transfer_offered_at_once_is_not_limited() -> None:
    """A transfer to a queue of limit 0 whose agent is free is offered at once: it waits nowhere, so it goes."""
    router = router_with(queue_limits={"team:tier2": 0})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    router.accept("c0", "a1", 1.0)
    router.add_agent(Agent(id="t1", teams=frozenset({"tier2"}), capacity={"voice": 1}), 2.0)
    events = router.transfer("c0", 3.0, target=Target(channel="voice", team="tier2"))
    assert isinstance(events[-1], Offered)
    assert events[-1].agent_id == "t1"


def test_a_reply_turn_is_never_denied() -> None:
    """A parked conversation's reply opens its turn even when the messaging queue is full."""
    policy = FixedPlan(Stage(target=Target(channel="messaging")))
    router = router_with(policy, queue_limits={"messaging": 0})
    router.add_agent(Agent(id="a1", capacity={"messaging": 1}), 0.0)
    message = Contact(id="m1", customer=Customer(id="u"), channel=MESSAGING)
    router.submit(message, 0.0)
    router.accept("m1", "a1", 1.0)
    router.await_customer("m1", 2.0)
    router.advance(62.0)  # the hold runs out: parked, a1 free
    router.submit(Contact(id="m2", customer=Customer(id="v"), channel=MESSAGING), 63.0)  # a1 takes m2
    events = router.customer_replied("m1", 64.0)
    assert [type(e).__name__ for e in events] == ["Resumed", "ContactQueued"]
    blocked = router.submit(Contact(id="m3", customer=Customer(id="w"), channel=MESSAGING), 65.0)
    assert [e.reason for e in blocked] == ["queue-full"]  # type: ignore[attr-defined]


def test_a_rule_key_is_read_before_the_channel_key() -> None:
    """``{"voice": 0, "skills:any": 1}``: the skills:any queue on voice holds one, its rule's limit."""
    router = router_with(queue_limits={"voice": 0, "skills:any": 1})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.add_agent(Agent(id="b1", skills={"billing": 2}, capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    router.submit(voice("cb", billing=2), 0.0)  # a1 and b1 each have an offer pending
    assert isinstance(router.submit(voice("c1"), 1.0)[0], ContactQueued)
    assert [denied(2.0, "c2")] == router.submit(voice("c2"), 2.0)
    other = router.submit(voice("c3", billing=2), 3.0)  # skills:billing>=2 reads the channel's limit, 0
    assert [denied(3.0, "c3", rule="skills:billing>=2")] == other


def test_limits_hold_without_live_statistics() -> None:
    """The limit reads the queue's own length, kept whether or not the live statistics are."""
    router = busy_voice_router(1, live_statistics=False)
    router.submit(voice("c1"), 1.0)
    assert [denied(2.0, "c2")] == router.submit(voice("c2"), 2.0)


def test_a_restored_router_denies_as_the_original() -> None:
    """The snapshot carries the limits and the fallback; a restored router decides the same."""
    router = busy_voice_router(1, queue_fallback={"voice": "messaging"})
    router.submit(voice("c1"), 1.0)
    snapshot = json.loads(json.dumps(router.snapshot()))
    assert snapshot["settings"]["queue_limits"] == {"voice": 1}
    assert snapshot["settings"]["queue_fallback"] == {"voice": "messaging"}
    restored = Router.restore(snapshot, Skills())
    assert restored.submit(voice("c2"), 2.0) == router.submit(voice("c2"), 2.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"queue_limits": {"voice": -1}}, "queue_limits['voice'] must be a whole number of contacts >= 0, got -1"),
        ({"queue_limits": {"voice": 2.5}}, "queue_limits['voice'] must be a whole number of contacts >= 0, got 2.5"),
        ({"queue_limits": {"voice": True}}, "queue_limits['voice'] must be a whole number of contacts >= 0, got True"),
        ({"queue_limits": {"": 3}}, "queue_limits: a key is a target's rule or a channel name, got ''"),
        ({"queue_limits": 5}, "queue_limits must map a rule or channel to a number of contacts, got 5"),
        ({"queue_fallback": {"voice": "fax"}}, "queue_fallback['voice']: unknown channel 'fax'"),
        ({"queue_fallback": {"voice": "voice"}}, "queue_fallback['voice'] falls back to the same channel 'voice'"),
        ({"queue_fallback": ["voice"]}, "queue_fallback must map a channel to a channel, got ['voice']"),
    ],
)
def test_bad_limit_settings_are_refused_naming_field_and_value(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        RouterSettings(**settings)
    assert str(error.value).startswith(message)


def test_a_durable_router_recovers_its_limits_and_refuses_other_ones() -> None:
    """The store records the settings, limits included: recovery decides as before, other limits are refused."""
    from routekit import DurableRouter, MemoryStore, RecoveryError

    store = MemoryStore()
    durable = DurableRouter.open(store, Skills(), queue_limits={"voice": 0}, queue_fallback={"voice": "messaging"})
    durable.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    durable.submit(voice("c0"), 1.0)
    durable.close()
    again = DurableRouter.open(store, Skills(), queue_limits={"voice": 0}, queue_fallback={"voice": "messaging"})
    assert [denied(2.0, "c1", fallback=MESSAGING)] == again.submit(voice("c1"), 2.0)
    again.close()
    with pytest.raises(RecoveryError, match="settings"):
        DurableRouter.open(store, Skills(), queue_limits={"voice": 1}, queue_fallback={"voice": "messaging"})
