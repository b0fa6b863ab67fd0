"""Several offers at once for an agent with several free slots (issue 23): ``offers_per_agent``.

Every router here is wrapped by :class:`Checked`, so ``router._check()`` (no more pending offers than
``offers_per_agent``, none beyond the free slots, an exclusive offer alone) runs after every call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from checked import Checked

from routekit import Agent, ConfigError, Contact, Customer, DurableRouter, Router, RouterSettings, SnapshotError
from routekit.durable import MemoryStore
from routekit.events import AgentStatusChanged, ContactQueued, Offered, OfferExpired, OfferRescinded
from routekit.policies import Skills


def make_router(**settings: Any) -> Checked:
    return Checked(Router(Skills(), **settings))


def chat(contact_id: str, channel: str = "chat") -> Contact:
    return Contact(id=contact_id, customer=Customer(id=f"u-{contact_id}"), channel=channel)


def offers_in(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.contact_id, e.agent_id) for e in events if isinstance(e, Offered)]


def test_a_chat_agent_with_three_free_slots_gets_three_offers_at_once() -> None:
    """With offers_per_agent=3 a freed chat agent is offered its three best waiting chats in one call."""
    router = make_router(offers_per_agent=3)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0, status="away")
    for n in range(4):
        router.submit(chat(f"c{n}"), float(n))
    events = router.set_status("ana", "available", 10.0)
    assert [("c0", "ana"), ("c1", "ana"), ("c2", "ana")] == offers_in(events)
    assert ("c0", "c1", "c2") == router.agent_state("ana").pending_offers
    assert "c0" == router.agent_state("ana").offer


def test_by_default_an_agent_gets_one_offer_at_a_time() -> None:
    """offers_per_agent defaults to 1: today's behaviour, one pending offer per agent."""
    router = make_router()
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    assert [("c0", "ana")] == offers_in(router.submit(chat("c0"), 1.0))
    assert [] == offers_in(router.submit(chat("c1"), 2.0))
    assert ("c0",) == router.agent_state("ana").pending_offers
    assert [("c1", "ana")] == offers_in(router.accept("c0", "ana", 3.0))


def test_parallel_offers_never_exceed_the_free_slots() -> None:
    """An agent with one chat assigned of three is offered two more, however many it may hold."""
    router = make_router(offers_per_agent=5)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    router.submit(chat("c0"), 1.0)
    router.accept("c0", "ana", 2.0)
    for n in range(1, 5):
        router.submit(chat(f"c{n}"), 3.0)
    assert ("c1", "c2") == router.agent_state("ana").pending_offers
    assert ["c3", "c4"] == router.waiting()


def test_parallel_offers_never_break_exclusivity() -> None:
    """A pending chat offer keeps a voice call from the agent; a pending voice offer keeps every chat away."""
    router = make_router(offers_per_agent=3)
    router.add_agent(Agent(id="ana", capacity={"chat": 3, "voice": 1}), 0.0)
    assert [("c0", "ana")] == offers_in(router.submit(chat("c0"), 1.0))
    assert [] == offers_in(router.submit(chat("v0", channel="voice"), 2.0))
    assert [("v0", "ana")] == offers_in(router.reject("c0", "ana", 3.0))  # c0 is barred from ana a while
    assert [] == offers_in(router.submit(chat("c1"), 4.0))
    assert ("v0",) == router.agent_state("ana").pending_offers


def test_a_contact_still_has_one_outstanding_offer() -> None:
    """Two agents with free slots: the one contact is offered to one of them only."""
    router = make_router(offers_per_agent=3)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    router.add_agent(Agent(id="bo", capacity={"chat": 3}), 0.0)
    assert [("c0", "ana")] == offers_in(router.submit(chat("c0"), 1.0))
    assert [("c1", "bo")] == offers_in(router.submit(chat("c1"), 2.0))


def test_going_away_rescinds_every_pending_offer_oldest_first() -> None:
    """Away takes back all the agent's pending offers, in the order they were made, and requeues them."""
    router = make_router(offers_per_agent=2)
    router.add_agent(Agent(id="ana", capacity={"chat": 2}), 0.0)
    router.submit(chat("c0"), 1.0)
    router.submit(chat("c1"), 2.0)
    assert [
        AgentStatusChanged(at=3.0, agent_id="ana", status="away"),
        OfferRescinded(at=3.0, contact_id="c0", agent_id="ana", reason="agent-away"),
        OfferRescinded(at=3.0, contact_id="c1", agent_id="ana", reason="agent-away"),
    ] == router.set_status("ana", "away", 3.0)
    assert ["c0", "c1"] == router.waiting()


def test_a_missed_offer_that_sets_the_agent_away_rescinds_its_other_offers() -> None:
    """The first offer expires: the agent goes away and its later offer is rescinded without a bar."""
    router = make_router(offers_per_agent=2)
    router.add_agent(Agent(id="ana", capacity={"chat": 2}), 0.0)
    router.submit(chat("c0"), 0.0)
    router.submit(chat("c1"), 5.0)
    assert [
        OfferExpired(at=30.0, contact_id="c0", agent_id="ana"),
        AgentStatusChanged(at=30.0, agent_id="ana", status="away"),
        OfferRescinded(at=30.0, contact_id="c1", agent_id="ana", reason="agent-away"),
    ] == router.advance(30.0)
    router.set_status("ana", "available", 31.0)
    assert ("c1",) == router.agent_state("ana").pending_offers  # c0 is barred from ana; c1 is not


def test_accepting_one_of_several_offers_leaves_the_others_pending() -> None:
    """Each offer is answered on its own."""
    router = make_router(offers_per_agent=3)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    for n in range(3):
        router.submit(chat(f"c{n}"), 1.0)
    router.accept("c1", "ana", 2.0)
    assert ("c0", "c2") == router.agent_state("ana").pending_offers
    assert {"c0": "offered", "c1": "assigned", "c2": "offered"} == router.agent_state("ana").work


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "2"])
def test_offers_per_agent_refuses_a_bad_value(value: Any) -> None:
    """A setting that is not a whole number >= 1 is a ConfigError naming the setting and the value."""
    with pytest.raises(ConfigError) as caught:
        RouterSettings(offers_per_agent=value)
    assert f"offers_per_agent must be a whole number of offers >= 1, got {value!r}" == str(caught.value)


def test_several_pending_offers_survive_a_snapshot() -> None:
    """A restored router has the same pending offers and decides as the original."""
    router = make_router(offers_per_agent=2)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    for n in range(3):
        router.submit(chat(f"c{n}"), 1.0)
    snapshot = json.loads(json.dumps(router.snapshot()))
    restored = Checked(Router.restore(snapshot, Skills()))
    assert ("c0", "c1") == restored.agent_state("ana").pending_offers
    assert router.accept("c0", "ana", 2.0) == restored.accept("c0", "ana", 2.0)
    assert {"offers_per_agent": 2} == {k: v for k, v in snapshot["settings"].items() if k == "offers_per_agent"}


def test_restore_refuses_pending_offers_that_do_not_start_with_the_offer() -> None:
    """A damaged list of pending offers is refused with its path inside the snapshot."""
    router = make_router(offers_per_agent=2)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    for n in range(2):
        router.submit(chat(f"c{n}"), 1.0)
    snapshot = router.snapshot()
    snapshot["agents"][0]["offers"] = ["c1", "c0"]
    with pytest.raises(SnapshotError) as caught:
        Router.restore(snapshot, Skills())
    assert "agents[0].offers[0]" == caught.value.path


def test_a_queued_contact_is_offered_when_the_agent_accepts_and_has_room() -> None:
    """An agent at its offer limit gets the next waiting chat once it answers one."""
    router = make_router(offers_per_agent=2)
    router.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    for n in range(3):
        router.submit(chat(f"c{n}"), 1.0)
    assert [ContactQueued] == [type(e) for e in router.submit(chat("c3"), 1.5)]
    assert [("c2", "ana")] == offers_in(router.accept("c0", "ana", 2.0))


def test_a_durable_router_keeps_offers_per_agent_and_the_pending_offers() -> None:
    """A durable router reopened on its store has the setting and every pending offer back."""
    store = MemoryStore()
    durable = DurableRouter.open(store, Skills(), offers_per_agent=2)
    durable.add_agent(Agent(id="ana", capacity={"chat": 3}), 0.0)
    for n in range(3):
        durable.submit(chat(f"c{n}"), 1.0)
    before = durable.snapshot()
    durable.close()
    again = DurableRouter.open(store, Skills(), offers_per_agent=2)
    assert before == again.snapshot()
    assert ("c0", "c1") == again.agent_state("ana").pending_offers
