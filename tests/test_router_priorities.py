"""Agents' own queue priorities (issue 23): a freed agent's rank of targets, and its queue delays.

Every router here is wrapped by :class:`Checked`, so ``router._check()`` runs after every call.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from checked import Checked

from routekit import Agent, ConfigError, Contact, Customer, DurableRouter, OpeningHours, Router, SnapshotError
from routekit.durable import MemoryStore
from routekit.events import AgentStatusChanged, Completed, ContactQueued, Offered, StageChanged
from routekit.policies import Hold, Plan, Skills, Stage, Target

BILLING = "skills:billing>=3"
SALES = "skills:sales>=3"


def make_router(policy: Any = None, **settings: Any) -> Checked:
    """A checked router under ``policy`` (default: skills, never relaxed)."""
    return Checked(Router(Skills() if policy is None else policy, **settings))


def agent(agent_id: str, ranks: dict[str, Any] | None = None, **capacity: int) -> Agent:
    """An agent with billing and sales at 3, on voice unless told, ranking targets as ``ranks``."""
    return Agent(
        id=agent_id,
        skills={"billing": 3, "sales": 3},
        capacity=capacity or {"voice": 1},
        queue_priorities=ranks or {},
    )


def contact(contact_id: str, skill: str, **fields: Any) -> Contact:
    """A voice contact needing ``skill`` at 3."""
    return Contact(id=contact_id, customer=Customer(id=f"u-{contact_id}"), channel="voice", skills={skill: 3}, **fields)


def offered(at: float, contact_id: str, agent_id: str, rule: str, stage: int = 0) -> Offered:
    return Offered(
        at=at,
        contact_id=contact_id,
        agent_id=agent_id,
        stage=stage,
        rule=rule,
        selection="longest-idle",
        expires_at=at + 20.0,
    )


def busy_agent(router: Checked, ranks: dict[str, Any]) -> None:
    """Agent ``a1`` ranking targets as ``ranks``, busy from 0 with contact ``c0``."""
    router.add_agent(agent("a1", ranks), 0.0)
    router.submit(contact("c0", "billing"), 0.0)
    router.accept("c0", "a1", 0.0)


class TwoStages:
    """Billing for 10 s, then anyone on voice."""

    def plan(self, contact: Contact, now: float) -> Plan:
        return Plan(
            [
                Stage(target=Target(channel="voice", skills={"billing": 3}), timeout=10.0),
                Stage(target=Target(channel="voice")),
            ]
        )

    def hold(self, contact: Contact) -> Hold | None:
        return None


def test_agent_queue_priority_beats_an_older_contact_in_a_lower_priority_target() -> None:
    """A freed agent takes the contact of the target it ranks first, though another target's contact is older."""
    router = make_router()
    busy_agent(router, {SALES: 1, BILLING: 2})
    router.submit(contact("old-billing", "billing"), 1.0)
    router.submit(contact("new-sales", "sales"), 5.0)
    assert [
        Completed(at=6.0, contact_id="c0", agent_id="a1", wrap_up_until=6.0),
        offered(6.0, "new-sales", "a1", SALES),
    ] == router.complete("c0", 6.0)


def test_agent_without_queue_priorities_takes_the_older_contact() -> None:
    """The default ranks nothing: the same agent without priorities takes the older contact, as before."""
    router = make_router()
    busy_agent(router, {})
    router.submit(contact("old-billing", "billing"), 1.0)
    router.submit(contact("new-sales", "sales"), 5.0)
    assert offered(6.0, "old-billing", "a1", BILLING) == router.complete("c0", 6.0)[-1]


def test_targets_an_agent_does_not_rank_come_after_every_ranked_one() -> None:
    """An unlisted target ranks after the listed ones, even at the lowest listed priority."""
    router = make_router()
    busy_agent(router, {SALES: 99})
    router.submit(contact("old-billing", "billing"), 1.0)
    router.submit(contact("new-sales", "sales"), 5.0)
    assert offered(6.0, "new-sales", "a1", SALES) == router.complete("c0", 6.0)[-1]


def test_rank_ties_are_ordered_by_queue_key() -> None:
    """Targets an agent ranks alike are served by the queue key, higher contact priority first."""
    router = make_router()
    busy_agent(router, {SALES: 1, BILLING: 1})
    router.submit(contact("old-billing", "billing"), 1.0)
    router.submit(contact("urgent-sales", "sales", priority=1), 5.0)
    router.submit(contact("new-billing", "billing"), 5.0)
    assert offered(6.0, "urgent-sales", "a1", SALES) == router.complete("c0", 6.0)[-1]


def test_an_arriving_contact_goes_to_its_best_agent_by_selection_whatever_the_ranks() -> None:
    """On the contact's side ranks change nothing: the longest-idle agent gets it, not the one ranking it first."""
    router = make_router()
    router.add_agent(agent("idle-longest", {SALES: 3}), 0.0)
    router.add_agent(agent("ranks-it-first", {BILLING: 1}), 1.0)
    assert offered(2.0, "c1", "idle-longest", BILLING) == router.submit(contact("c1", "billing"), 2.0)[-1]


def test_queue_delay_keeps_the_contact_from_the_agent_then_lets_it_through_after_the_set_time() -> None:
    """A delayed target's contact waits beside an idle agent until its delay ends, then a timer offers it."""
    router = make_router()
    router.add_agent(agent("a1", {BILLING: (2, 30.0)}), 0.0)
    events = router.submit(contact("c1", "billing"), 5.0)
    assert [ContactQueued] == [type(event) for event in events]
    assert 35.0 == router.next_deadline()
    assert [] == router.advance(34.9)
    assert [offered(35.0, "c1", "a1", BILLING)] == router.advance(35.0)


def test_queue_delay_holds_back_only_the_agent_that_set_it() -> None:
    """Another agent without the delay takes the contact at once."""
    router = make_router()
    router.add_agent(agent("delays", {BILLING: (1, 30.0)}), 0.0)
    router.add_agent(agent("does-not"), 1.0)
    assert offered(2.0, "c1", "does-not", BILLING) == router.submit(contact("c1", "billing"), 2.0)[-1]


def test_queue_delay_lets_a_lower_ranked_contact_through_to_a_freed_agent() -> None:
    """After its delay, a contact the agent ranks high is taken before an older contact it ranks low."""
    router = make_router()
    busy_agent(router, {SALES: (1, 20.0), BILLING: 2})
    router.submit(contact("old-billing", "billing"), 1.0)
    router.submit(contact("new-sales", "sales"), 5.0)
    assert offered(10.0, "old-billing", "a1", BILLING) == router.complete("c0", 10.0)[-1]
    router.reject("old-billing", "a1", 11.0)
    assert [offered(25.0, "new-sales", "a1", SALES)] == router.advance(25.0)


def test_queue_delay_counts_from_entering_the_stage() -> None:
    """A delay on the second stage's target counts from the stage change, not from arrival."""
    router = make_router(TwoStages())
    router.add_agent(agent("a1", {"skills:any": (1, 15.0)}, chat=1), 0.0)
    router.add_agent(Agent(id="a2", capacity={"voice": 1}, queue_priorities={"skills:any": (1, 15.0)}), 0.0)
    router.submit(Contact(id="c1", customer=Customer(id="u"), channel="voice"), 0.0)
    assert [StageChanged(at=10.0, contact_id="c1", stage=1, rule="skills:any")] == router.advance(10.0)
    assert 25.0 == router.next_deadline()
    assert [offered(25.0, "c1", "a2", "skills:any", stage=1)] == router.advance(25.0)


def test_an_agent_added_with_a_delay_retimes_contacts_already_waiting() -> None:
    """A delay that arrives with a new agent counts from when the contact entered its stage."""
    router = make_router()
    router.add_agent(agent("a1"), 0.0, status="away")
    router.submit(contact("c1", "billing"), 0.0)
    router.add_agent(agent("a2", {BILLING: (1, 40.0)}), 10.0)
    assert 40.0 == router.next_deadline()
    assert [offered(40.0, "c1", "a2", BILLING)] == router.advance(40.0)


def test_explain_shows_the_queue_delay_and_the_queue_priority() -> None:
    """Explain names the delay that holds an agent back, and an eligible agent's queue priority."""
    router = make_router()
    router.add_agent(agent("a1", {BILLING: (2, 30.0)}), 0.0)
    router.submit(contact("c1", "billing"), 5.0)
    verdict = router.explain("c1").verdict("a1")
    assert "queue delay of 30 s for skills:billing>=3 until t=35" == verdict.reason
    router.advance(35.0)  # offered to a1; a2, free, is eligible for it and ranks its target 4
    router.add_agent(agent("a2", {BILLING: 4}), 36.0)
    assert 4 == router.explain("c1").verdict("a2").terms["queue_priority"]


@pytest.mark.parametrize(
    ("ranks", "message"),
    [
        ({BILLING: 0}, "Agent.queue_priorities['skills:billing>=3']: priority must be an integer 1..99, got 0"),
        ({BILLING: 100}, "Agent.queue_priorities['skills:billing>=3']: priority must be an integer 1..99, got 100"),
        (
            {BILLING: (1, -5)},
            "Agent.queue_priorities['skills:billing>=3']: delay must be a finite number of seconds >= 0, got -5.0",
        ),
        ({"": 1}, "Agent.queue_priorities has an empty or non-string rule: ''"),
    ],
)
def test_a_bad_queue_priority_is_refused_at_construction(ranks: dict[str, Any], message: str) -> None:
    """Each bad rank names the field, the rule and the value."""
    with pytest.raises(ConfigError) as caught:
        agent("a1", ranks)
    assert message == str(caught.value)


def test_queue_priorities_and_the_delay_timer_survive_a_snapshot() -> None:
    """A restored router keeps each agent's ranks and the contact's delay timer, and decides as the original."""
    router = make_router()
    router.add_agent(agent("a1", {BILLING: (2, 30.0), SALES: 1}), 0.0)
    router.submit(contact("c1", "billing"), 5.0)
    snapshot = json.loads(json.dumps(router.snapshot()))
    restored = Checked(Router.restore(snapshot, Skills()))
    assert 35.0 == restored.next_deadline()
    assert router.advance(35.0) == restored.advance(35.0)
    assert snapshot["agents"][0]["agent"]["queue_priorities"] == {BILLING: [2, 30.0], SALES: [1, 0.0]}


def test_restore_refuses_a_bad_queue_priority_naming_its_path() -> None:
    """A damaged rank in a snapshot is refused with the path inside the snapshot."""
    router = make_router()
    router.add_agent(agent("a1", {BILLING: 2}), 0.0)
    snapshot = router.snapshot()
    snapshot["agents"][0]["agent"]["queue_priorities"][BILLING] = [0, 0.0]
    with pytest.raises(SnapshotError) as caught:
        Router.restore(snapshot, Skills())
    assert "agents[0].agent" == caught.value.path


def test_a_durable_router_journals_an_agent_s_queue_priorities_and_recovers_them() -> None:
    """The journal keeps an agent's ranks: a recovered durable router has the same delay timer and decides alike."""
    store = MemoryStore()
    durable = DurableRouter.open(store, Skills())
    durable.add_agent(agent("a1", {BILLING: (2, 30.0)}), 0.0)
    durable.submit(contact("c1", "billing"), 5.0)
    before = durable.snapshot()
    durable.close()
    again = DurableRouter.open(store, Skills())
    assert before == again.snapshot()
    assert 35.0 == again.next_deadline()
    assert [offered(35.0, "c1", "a1", BILLING)] == again.advance(35.0)


def test_a_delay_ending_with_a_stage_timeout_passes_before_its_own_timer_fires() -> None:
    """A delay passes at its moment: the stage timeout due then (which fires first) already offers the contact."""
    router = make_router(Skills(relax=[(20, "any")]))
    router.add_agent(
        Agent(id="a0", skills={"billing": 2}, capacity={"voice": 1}, queue_priorities={"skills:any": (1, 20)}), 0.0
    )
    router.submit(Contact(id="c0", customer=Customer(id="u0"), channel="voice"), 0.0)
    router.submit(contact("c1", "billing"), 0.0)
    router.submit(contact("c2", "billing"), 0.0)
    assert [
        StageChanged(at=20.0, contact_id="c1", stage=1, rule="skills:any"),
        offered(20.0, "c0", "a0", "skills:any"),
        StageChanged(at=20.0, contact_id="c2", stage=1, rule="skills:any"),
    ] == router.advance(20.0)


def test_an_agent_that_ranks_targets_is_offered_nothing_on_a_closed_channel() -> None:
    """Opening hours hold a message back from an agent that ranks its target first, until the channel opens."""
    hours = OpeningHours(weekly={day: [("09:00", "17:00")] for day in range(7)}, timezone="UTC")
    router = Checked(Router(Skills(), epoch=datetime(2026, 1, 5, 8, 0, tzinfo=UTC), hours={"messaging": hours}))
    router.add_agent(Agent(id="a1", capacity={"messaging": 1}, queue_priorities={SALES: 1}), 0.0, "away")
    message = Contact(id="m1", customer=Customer(id="u"), channel="messaging")
    assert [ContactQueued] == [type(e) for e in router.submit(message, 60.0)]
    assert [AgentStatusChanged(at=120.0, agent_id="a1", status="available")] == router.set_status(
        "a1", "available", 120.0
    )
    assert [("m1", "a1")] == [(e.contact_id, e.agent_id) for e in router.advance(3600.0) if isinstance(e, Offered)]
