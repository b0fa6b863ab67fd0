"""The Skills policy's schedule: per-stage durations, dropped no-op steps, refusals at construction.

Routers here are wrapped by :class:`Checked`, so ``router._check()`` runs after every call.
"""

from __future__ import annotations

from typing import Any

import pytest
from checked import Checked

import routekit as rk
from routekit.events import Assigned, ContactQueued, Denied, Offered, StageChanged
from routekit.policies import Skills, TierGate, fallback_contact

TIERS = rk.Tiers(["standard", "silver", "gold", "platinum"])
DEFAULT_RELAX = [(30, 1), (90, "names"), (180, "any")]


def contact(contact_id: str, channel: str = "voice", tier: str = "standard", **fields: Any) -> rk.Contact:
    """A contact from customer ``u-<id>`` of ``tier`` on ``channel``."""
    customer = rk.Customer(id=f"u-{contact_id}", tier=tier)
    return rk.Contact(id=contact_id, customer=customer, channel=channel, **fields)


def stages(policy: Skills, skills: dict[str, int], channel: str = "voice") -> list[tuple[str, float | None]]:
    """The (rule, timeout) of each stage of ``policy``'s plan for a contact needing ``skills``."""
    plan = policy.plan(contact("c", channel, skills=skills), 0.0)
    return [(stage.target.rule, stage.timeout) for stage in plan.stages]


# ----------------------------------------------------------------------------------------- the schedule


def test_relax_steps_become_per_stage_durations() -> None:
    """Times since the Skills part began (30, 90, 180 s) become stage timeouts of 30, 60 and 90 s."""
    assert [
        ("skills:billing>=3", 30.0),
        ("skills:billing>=2", 60.0),
        ("skills:billing>=1", 90.0),
        ("skills:any", None),
    ] == stages(Skills(relax=DEFAULT_RELAX), {"billing": 3})


def test_level_drops_accumulate_and_stop_at_one() -> None:
    """Each integer step drops every minimum by that many more levels, never below 1."""
    assert [
        ("skills:billing>=5,spanish>=2", 10.0),
        ("skills:billing>=4,spanish>=1", 10.0),
        ("skills:billing>=2,spanish>=1", None),
    ] == stages(Skills(relax=[(10, 1), (20, 2)]), {"billing": 5, "spanish": 2})


def test_names_step_requires_only_the_skill_names() -> None:
    """A ``"names"`` step keeps every required skill at level 1."""
    assert [("skills:billing>=4,video>=3", 45.0), ("skills:billing>=1,video>=1", None)] == stages(
        Skills(relax=[(45, "names")]), {"billing": 4, "video": 3}
    )


def test_step_that_widens_nothing_is_dropped() -> None:
    """A step that leaves the target as it was is dropped, and the next kept step's time still counts."""
    assert [("skills:billing>=2", 30.0), ("skills:billing>=1", 90.0), ("skills:any", None)] == stages(
        Skills(relax=[(30, 1), (60, "names"), (120, "any")]), {"billing": 2}
    )


def test_contact_without_skills_has_one_stage() -> None:
    """A contact needing no skill already matches any agent on the channel, so every step is dropped."""
    assert [("skills:any", None)] == stages(Skills(relax=DEFAULT_RELAX), {})


def test_empty_schedule_never_relaxes() -> None:
    """``Skills()`` gives one stage, with no timeout, at the contact's own requirements."""
    assert [("skills:billing>=3", None)] == stages(Skills(), {"billing": 3})


def test_contacts_with_the_same_needs_share_one_plan() -> None:
    """Skills in any order, on another Skills with the same schedule, give the very same plan object."""
    policy = Skills(relax=DEFAULT_RELAX)
    first = policy.plan(contact("c1", skills={"billing": 3, "tech": 2}), 0.0)
    assert policy.plan(contact("c2", skills={"tech": 2, "billing": 3}), 5.0) is first
    assert Skills(relax=DEFAULT_RELAX).plan(contact("c3", skills={"billing": 3, "tech": 2}), 9.0) is first
    assert policy.plan(contact("c4", skills={"billing": 2, "tech": 2}), 9.0) is not first


def test_plans_kept_by_a_policy_are_bounded_and_do_not_change_equality() -> None:
    """A policy keeps at most 4,096 skill sets, and compares and hashes by its schedule alone."""
    policy = Skills(relax=DEFAULT_RELAX)
    for level in range(1, 6):
        for n in range(1_000):
            policy.plan(contact(f"c{level}-{n}", skills={f"skill-{n}": level}), 0.0)
    assert len(policy._plans) <= 4_096
    assert policy == Skills(relax=DEFAULT_RELAX)
    assert hash(policy) == hash(Skills(relax=DEFAULT_RELAX))
    assert stages(Skills(relax=DEFAULT_RELAX), {"skill-7": 2}) == stages(policy, {"skill-7": 2})


def test_skills_holds_no_conversation() -> None:
    """Skills alone holds no conversation slot: ``hold`` is ``None``."""
    assert None is Skills(relax=DEFAULT_RELAX).hold(contact("m", "messaging"))


# ------------------------------------------------------------------------------------------ bad schedules


@pytest.mark.parametrize(
    ("relax", "step"),
    [
        pytest.param([(30, 1), (30, "names")], 1, id="time-repeated"),
        pytest.param([(30, 1), (90, "names"), (60, "any")], 2, id="time-decreasing"),
        pytest.param([(-1, 1)], 0, id="time-negative"),
        pytest.param([(float("nan"), 1)], 0, id="time-nan"),
        pytest.param([(True, 1)], 0, id="time-bool"),
        pytest.param([(30, 0)], 0, id="level-zero"),
        pytest.param([(30, 5)], 0, id="level-five"),
        pytest.param([(30, 1), (60, -1)], 1, id="level-negative"),
        pytest.param([(30, "any"), (60, "names")], 1, id="names-after-any"),
        pytest.param([(30, "names"), (60, "names")], 1, id="names-twice"),
        pytest.param([(30, "any"), (60, "any")], 1, id="any-twice"),
        pytest.param([(30, "names"), (60, 1)], 1, id="level-after-names"),
        pytest.param([(30, "everyone")], 0, id="unknown-word"),
    ],
)
def test_bad_schedule_fails_at_construction_naming_the_step(relax: list[Any], step: int) -> None:
    """A bad schedule raises ``ConfigError`` when ``Skills`` is built, naming the offending step."""
    with pytest.raises(rk.ConfigError, match=rf"Skills\.relax\[{step}\]"):
        Skills(relax=relax)


def test_step_that_is_not_a_pair_fails_at_construction() -> None:
    """A step that is not ``(seconds, what)`` raises ``ConfigError`` naming ``Skills.relax``."""
    with pytest.raises(rk.ConfigError, match=r"Skills\.relax"):
        Skills(relax=[(30, 1, "extra")])


def test_first_step_may_start_at_zero() -> None:
    """A schedule may start at 0 s; times need only be >= 0 and increasing."""
    assert ((0, 1), (30, "any")) == Skills(relax=[(0, 1), (30, "any")]).relax


# ------------------------------------------------------------------------------------ through the router


def test_router_moves_stages_at_the_schedule_times() -> None:
    """Through the router, a waiting contact changes stage at exactly 30, 90 and 180 s after submit."""
    router = Checked(rk.Router(Skills(relax=DEFAULT_RELAX)))
    router.add_agent(rk.Agent(id="a1", skills={"billing": 1}, capacity={"voice": 1}), 0.0, status="away")
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    assert [] == router.advance(29.999)
    assert [StageChanged(at=30.0, contact_id="c1", stage=1, rule="skills:billing>=2")] == router.advance(30.0)
    assert [
        StageChanged(at=90.0, contact_id="c1", stage=2, rule="skills:billing>=1"),
        StageChanged(at=180.0, contact_id="c1", stage=3, rule="skills:any"),
    ] == router.advance(200.0)
    assert None is router.next_deadline()


def test_router_offers_to_a_weaker_agent_once_the_stage_allows() -> None:
    """An agent below the minimum gets the contact only when relaxation reaches their level."""
    router = Checked(rk.Router(Skills(relax=DEFAULT_RELAX)))
    router.add_agent(rk.Agent(id="a2", skills={"billing": 2}, capacity={"voice": 1}), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    assert [
        StageChanged(at=30.0, contact_id="c1", stage=1, rule="skills:billing>=2"),
        Offered(
            at=30.0,
            contact_id="c1",
            agent_id="a2",
            stage=1,
            rule="skills:billing>=2",
            selection="longest-idle",
            expires_at=50.0,
        ),
    ] == router.advance(30.0)


def test_resubmitted_contact_relaxes_from_its_new_plan() -> None:
    """A resubmitted contact keeps its arrival time but relaxes from its resubmission (a new plan)."""
    gate = TierGate(tiers=TIERS, gates={"video": "gold"}, fallback={"video": "chat"}, then=Skills(relax=[(30, 1)]))
    router = Checked(rk.Router(gate))
    router.add_agent(rk.Agent(id="a1", skills={"billing": 2}, capacity={"chat": 1, "video": 1}), 0.0)
    first = contact("v1", "video", tier="silver", skills={"billing": 3})
    [denied] = router.submit(first, 5.0)
    assert isinstance(denied, Denied)
    assert [
        ContactQueued(
            at=20.0,
            contact_id="v1-chat",
            channel="chat",
            tier="silver",
            arrived_at=5.0,
            stage=0,
            rule="skills:billing>=3",
            priority=0,
        )
    ] == router.submit(fallback_contact(first, denied, "v1-chat"), 20.0)
    assert [] == router.advance(49.0)
    assert [
        StageChanged(at=50.0, contact_id="v1-chat", stage=1, rule="skills:billing>=2"),
        Offered(
            at=50.0,
            contact_id="v1-chat",
            agent_id="a1",
            stage=1,
            rule="skills:billing>=2",
            selection="longest-idle",
            expires_at=80.0,
        ),
    ] == router.advance(50.0)
    assert [Assigned(at=51.0, contact_id="v1-chat", agent_id="a1", waited=46.0)] == router.accept("v1-chat", "a1", 51.0)


def test_assigned_wait_counts_from_arrival() -> None:
    """``Assigned.waited`` counts from the contact's arrival time even when relaxation moved its stage."""
    router = Checked(rk.Router(Skills(relax=[(10, "any")])))
    router.add_agent(rk.Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.submit(contact("c1", skills={"billing": 3}), 0.0)
    router.advance(10.0)
    assert [Assigned(at=12.0, contact_id="c1", agent_id="a1", waited=12.0)] == router.accept("c1", "a1", 12.0)
