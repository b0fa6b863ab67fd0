"""Skip when nobody can serve (issue 22): one named test per rule of ``Stage.skip_if``.

A stage with ``skip_if="none-logged-in"`` is skipped at once, as a contact enters it, when no agent matching
its target is logged in (available or away); with ``"none-available"``, when none is available. The last
stage never is. Every router here runs ``_check()`` after each call, with the live statistics off, so the
presence counts the rule reads are checked on their own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from checked import Checked

from routekit import Agent, ConfigError, Contact, Customer, Router, Tiers
from routekit.events import ContactQueued, Offered, StageChanged
from routekit.policies import Hold, Plan, Skills, Stage, Target, TierGate

VIP = Target(channel="voice", team="vip")
ANYONE = Target(channel="voice")


class FixedPlan:
    """Every contact gets the same stages."""

    def __init__(self, *stages: Stage) -> None:
        self.stages = stages

    def plan(self, contact: Contact, now: float) -> Plan:
        return Plan(self.stages)

    def hold(self, contact: Contact) -> Hold | None:
        return None


def vip_first(skip_if: str | None, **settings: Any) -> Checked:
    """The vip team for 60 s, then anyone; ``v1`` (vip) and ``g1`` (general) are registered away."""
    policy = FixedPlan(Stage(target=VIP, timeout=60.0, skip_if=skip_if), Stage(target=ANYONE))
    router = Checked(Router(policy, live_statistics=False, **settings))
    router.add_agent(Agent(id="v1", teams=frozenset({"vip"}), capacity={"voice": 1}), 0.0, "away")
    router.add_agent(Agent(id="g1", capacity={"voice": 1}), 0.0, "away")
    return router


def call(contact_id: str) -> Contact:
    return Contact(id=contact_id, customer=Customer(id="u-" + contact_id), channel="voice")


def skipped(at: float, contact_id: str, stage: int = 1, rule: str = "skills:any") -> StageChanged:
    return StageChanged(at=at, contact_id=contact_id, stage=stage, rule=rule)


def test_none_logged_in_skips_a_stage_whose_agents_are_all_offline() -> None:
    router = vip_first("none-logged-in")
    router.set_status("v1", "offline", 1.0)
    events = router.submit(call("c1"), 2.0)
    assert isinstance(events[0], ContactQueued)
    assert [skipped(2.0, "c1")] == events[1:]


def test_none_logged_in_waits_while_an_agent_is_away() -> None:
    """Away is logged in: the contact waits out the vip stage, as it would without skip_if."""
    router = vip_first("none-logged-in")
    assert [ContactQueued] == [type(e) for e in router.submit(call("c1"), 1.0)]
    assert [skipped(61.0, "c1")] == router.advance(61.0)


def test_none_available_skips_a_stage_whose_agents_are_away() -> None:
    router = vip_first("none-available")
    assert [skipped(1.0, "c1")] == router.submit(call("c1"), 1.0)[1:]


def test_none_available_waits_for_an_available_agent_who_is_busy() -> None:
    """Available but busy counts: the contact waits for the vip agent's call to end."""
    router = vip_first("none-available")
    router.set_status("v1", "available", 1.0)
    router.submit(call("c0"), 1.0)
    router.accept("c0", "v1", 2.0)
    assert [ContactQueued] == [type(e) for e in router.submit(call("c1"), 3.0)]
    assert [Offered] == [type(e) for e in router.complete("c0", 10.0)[1:]]


def test_the_last_stage_is_never_skipped() -> None:
    policy = FixedPlan(Stage(target=VIP, skip_if="none-logged-in"))
    router = Checked(Router(policy))
    router.add_agent(Agent(id="v1", teams=frozenset({"vip"}), capacity={"voice": 1}), 0.0, "offline")
    assert [ContactQueued] == [type(e) for e in router.submit(call("c1"), 1.0)]
    assert ["c1"] == router.waiting()


def test_a_stage_change_skips_the_next_stage_too() -> None:
    """Entering a stage by a timeout judges its skip_if as a submit does: billing, then vip (skipped), anyone."""
    billing = Target(channel="voice", skills={"billing": 3})
    policy = FixedPlan(
        Stage(target=billing, timeout=30.0),
        Stage(target=VIP, timeout=60.0, skip_if="none-available"),
        Stage(target=ANYONE),
    )
    router = Checked(Router(policy))
    router.add_agent(Agent(id="b1", skills={"billing": 3}, capacity={"voice": 1}), 0.0, "away")
    router.add_agent(Agent(id="v1", teams=frozenset({"vip"}), capacity={"voice": 1}), 0.0, "away")
    router.submit(call("c1"), 1.0)
    assert [skipped(31.0, "c1", 1, "team:vip"), skipped(31.0, "c1", 2)] == router.advance(31.0)


def test_a_transfer_skips_a_stage_nobody_can_serve() -> None:
    router = vip_first(None)
    router.set_status("g1", "available", 1.0)
    router.set_status("v1", "offline", 1.0)
    router.submit(call("c1"), 2.0)
    router.advance(62.0)  # no skip_if in the policy's plan: c1 waits out the vip stage, then g1 takes it
    router.accept("c1", "g1", 63.0)
    plan = Plan([Stage(target=VIP, timeout=60.0, skip_if="none-logged-in"), Stage(target=ANYONE)])
    events = router.transfer("c1", 64.0, target=plan)
    assert [type(e).__name__ for e in events] == ["Transferred", "ContactQueued", "StageChanged", "Offered"]
    assert skipped(64.0, "c1") == events[2]


def test_a_waiting_contact_is_not_moved_when_the_agents_log_off_later() -> None:
    """skip_if is judged as the contact enters the stage (Twilio's skip_if); the timeout still moves it on."""
    router = vip_first("none-logged-in")
    router.submit(call("c1"), 1.0)
    assert [] == router.set_status("v1", "offline", 2.0)[1:]
    assert [skipped(61.0, "c1")] == router.advance(61.0)


def test_a_queue_limit_reads_the_stage_after_the_skipped_one() -> None:
    """With the vip stage skipped, the contact would wait at skills:any: that queue's limit decides."""
    router = vip_first("none-available", queue_limits={"skills:any": 1, "team:vip": 0})
    assert [skipped(1.0, "c1")] == router.submit(call("c1"), 1.0)[1:]
    assert ["queue-full"] == [e.reason for e in router.submit(call("c2"), 2.0)]  # type: ignore[attr-defined]


def test_a_restored_router_skips_as_the_original() -> None:
    router = vip_first("none-logged-in")
    router.submit(call("c1"), 1.0)
    snapshot = json.loads(json.dumps(router.snapshot()))
    assert snapshot["contacts"][0]["plan"][0]["skip_if"] == "none-logged-in"
    restored = Router.restore(snapshot, router.policy)
    assert restored.set_status("v1", "offline", 2.0) == router.set_status("v1", "offline", 2.0)
    assert restored.submit(call("c2"), 3.0) == router.submit(call("c2"), 3.0)


def test_policies_build_stages_with_skip_if() -> None:
    """Skills marks every stage but the last; TierGate marks the tier's team stage."""
    contact = Contact(id="c", customer=Customer(id="u", tier="gold"), channel="voice", skills={"billing": 3})
    skills = Skills(relax=[(30, 1), (90, "any")], skip_if="none-available")
    assert [s.skip_if for s in skills.plan(contact, 0.0).stages] == ["none-available", "none-available", None]
    gate = TierGate(
        tiers=Tiers(["standard", "gold"]), teams={"gold": ("vip", 60)}, skip_if="none-logged-in", then=Skills()
    )
    assert [s.skip_if for s in gate.plan(contact, 0.0).stages] == ["none-logged-in", None]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Stage(target=ANYONE, timeout=5.0, skip_if="never"), "Stage.skip_if must be None, "),
        (lambda: Skills(skip_if=True), "Skills.skip_if must be None, "),
        (lambda: TierGate(tiers=Tiers(["a"]), then=Skills(), skip_if="away"), "TierGate.skip_if must be None, "),
    ],
)
def test_a_bad_skip_if_is_refused_naming_field_and_value(build: Any, message: str) -> None:
    with pytest.raises(ConfigError, match="got") as error:
        build()
    assert str(error.value).startswith(message)
