"""Exception rules (issue 22): one named test per trigger and action of ``RouterSettings.exception_rules``.

Every router here runs ``_check()`` after each call. A rule fires ``ExceptionFired`` naming it, then the
action's own events.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from checked import Checked
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_router import ReferenceRouter

from routekit import Agent, Channel, ConfigError, Contact, Customer, RoutekitError, Router, RouterSettings
from routekit.events import (
    Abandoned,
    Assigned,
    ContactQueued,
    Denied,
    ExceptionFired,
    Offered,
    Reprioritized,
    StageChanged,
)
from routekit.policies import Hold, Plan, Skills, Stage, Target
from routekit.router.settings import ExceptionRule
from routekit.router.timers import TimerKind

VOICE = Channel.VOICE
BILLING = Target(channel="voice", skills={"billing": 3})
ANY = Target(channel="voice")
TEAM_B = Target(channel="voice", team="b")


class FixedPlan:
    """Every contact gets the same stages."""

    def __init__(self, *stages: Stage) -> None:
        self.stages = stages

    def plan(self, contact: Contact, now: float) -> Plan:
        return Plan(self.stages)

    def hold(self, contact: Contact) -> Hold | None:
        return None


def voice(contact_id: str, priority: int = 0) -> Contact:
    return Contact(id=contact_id, customer=Customer(id="u-" + contact_id), channel=VOICE, priority=priority)


def router_with(rules: dict[str, list[ExceptionRule]], *stages: Stage, **settings: Any) -> Checked:
    policy = FixedPlan(*stages) if stages else Skills()
    return Checked(Router(policy, exception_rules=rules, **settings))


def fired(at: float, contact_id: str, rule: ExceptionRule, stage: int = 0) -> ExceptionFired:
    return ExceptionFired(
        at=at, contact_id=contact_id, rule=rule.name, trigger=rule.trigger, action=rule.action, stage=stage
    )


def busy(router: Checked, agent: Agent | None = None) -> None:
    """One agent, assigned ``c0`` at 0 s: it takes nothing else, so later contacts wait."""
    router.add_agent(agent or Agent(id="a1", skills={"billing": 3}, capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    router.accept("c0", "a1", 0.0)


def stage_rule(router: Checked, contact_id: str, now: float) -> str:
    explanation = router.explain(contact_id, now)
    return str(explanation.plan[explanation.stage].rule)


def test_a_wait_rule_raises_priority_after_its_seconds_at_the_stage() -> None:
    """A wait rule is a timer: after 30 s at the stage the waiting contact's priority rises by ``by``."""
    rule = ExceptionRule(name="late", trigger="wait", threshold=30, action="raise-priority", by=5)
    router = router_with({"voice": [rule]})
    busy(router)
    router.submit(voice("c1"), 1.0)
    assert router.advance(30.9) == []
    assert router.advance(31.0) == [fired(31.0, "c1", rule), Reprioritized(at=31.0, contact_id="c1", priority=5)]
    assert router.explain("c1", 31.0).position == 0


def test_a_wait_rule_moves_the_contact_to_its_next_stage() -> None:
    """A wait rule with ``next-stage`` moves on before the stage's own timeout."""
    rule = ExceptionRule(name="widen", trigger="wait", threshold=10, action="next-stage")
    router = router_with({BILLING.rule: [rule]}, Stage(target=BILLING, timeout=60), Stage(target=ANY))
    busy(router)
    router.submit(voice("c1"), 0.0)
    assert router.advance(10.0) == [
        fired(10.0, "c1", rule),
        StageChanged(at=10.0, contact_id="c1", stage=1, rule="skills:any"),
    ]
    assert router.advance(60.0) == []  # the first stage's timeout went with it


def test_a_trigger_and_a_stage_timeout_due_at_the_same_moment_the_timeout_wins() -> None:
    """Timers due together fire in kind order: the stage timeout moves the contact first, and the wait rule,
    whose stage has ended, never fires."""
    rule = ExceptionRule(name="deny-late", trigger="wait", threshold=30, action="deny", reason="too-long")
    router = router_with({BILLING.rule: [rule]}, Stage(target=BILLING, timeout=30), Stage(target=ANY))
    busy(router)
    router.submit(voice("c1"), 0.0)
    assert router.advance(30.0) == [StageChanged(at=30.0, contact_id="c1", stage=1, rule="skills:any")]
    assert router.advance(100.0) == []


def test_the_queue_length_rule_overflows_a_contact_entering_a_long_queue() -> None:
    """Judged as the contact enters: with 2 already waiting, the third goes to the overflow target, in a
    one-stage plan that replaces the rest."""
    rule = ExceptionRule(name="long-queue", trigger="queue-length", threshold=2, action="overflow", target=TEAM_B)
    router = router_with({"voice": [rule]})
    busy(router)
    router.add_agent(Agent(id="b1", teams=["b"], capacity={"voice": 1}), 0.0)
    router.set_status("b1", "away", 0.0)
    router.submit(voice("c1"), 1.0)
    router.submit(voice("c2"), 2.0)
    events = router.submit(voice("c3"), 3.0)
    assert events[1:] == [fired(3.0, "c3", rule), StageChanged(at=3.0, contact_id="c3", stage=0, rule="team:b")]
    assert stage_rule(router, "c3", 3.0) == "team:b"


def test_a_queue_growing_later_does_not_fire_the_queue_length_rule() -> None:
    """The queue-length rule is judged at entry only: contacts queued behind never move those ahead."""
    rule = ExceptionRule(name="long-queue", trigger="queue-length", threshold=1, action="deny", reason="busy")
    router = router_with({"voice": [rule]})
    busy(router)
    assert ExceptionFired not in [type(e) for e in router.submit(voice("c1"), 1.0)]
    assert router.submit(voice("c2"), 2.0)[-1] == Denied(
        at=2.0, contact_id="c2", channel=VOICE, tier="standard", reason="busy", rule="long-queue"
    )
    assert router.explain("c1", 2.0).state == "waiting"


def test_the_estimated_wait_rule_denies_with_its_reason() -> None:
    """The rule reads the router's default predictor, here last-to-enter-service: c1 waited 20 s behind c0,
    so a contact entering behind the busy agent expects 20 s, over the 15 s threshold."""
    rule = ExceptionRule(name="too-slow", trigger="estimated-wait", threshold=15, action="deny", reason="call-back")
    router = router_with({"voice": [rule]}, wait_predictor="les", wrap_up=0.0)
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    assert ExceptionFired not in [type(e) for e in router.submit(voice("c1"), 0.0)]  # nothing on record yet
    router.accept("c0", "a1", 0.0)
    router.complete("c0", 20.0)
    router.accept("c1", "a1", 20.0)
    events = router.submit(voice("c2"), 20.0)
    assert events == [
        ContactQueued(
            at=20.0, contact_id="c2", channel=VOICE, tier="standard", arrived_at=20.0, stage=0,
            rule="skills:any", priority=0,
        ),
        fired(20.0, "c2", rule),
        Denied(at=20.0, contact_id="c2", channel=VOICE, tier="standard", reason="call-back", rule="too-slow"),
    ]  # fmt: skip
    assert router.explain("c2", 20.0).decision.outcome == "denied: call-back"


def test_the_service_level_rule_reads_the_targets_recent_record() -> None:
    """Of the target's last decided contacts, one answered within 20 s and one abandoned: 50 % < 80 %, so the
    next contact entering moves to the wider stage."""
    rule = ExceptionRule(name="sl-low", trigger="service-level", threshold=0.8, within=20, action="next-stage")
    router = router_with({BILLING.rule: [rule]}, Stage(target=BILLING, timeout=60), Stage(target=ANY))
    router.add_agent(Agent(id="a1", skills={"billing": 3}, capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    router.accept("c0", "a1", 5.0)  # answered within 20 s
    assert ExceptionFired not in [type(e) for e in router.submit(voice("c1"), 6.0)]  # 100 %
    assert router.abandon("c1", 40.0) == [Abandoned(at=40.0, contact_id="c1")]
    events = router.submit(voice("c2"), 41.0)
    assert events[1:] == [fired(41.0, "c2", rule), StageChanged(at=41.0, contact_id="c2", stage=1, rule="skills:any")]


def test_a_wait_rule_due_while_the_contact_is_offered_does_not_fire() -> None:
    """An agent is ringing: the rule is passed over and the next wait rule is set."""
    first = ExceptionRule(name="w10", trigger="wait", threshold=10, action="raise-priority", by=1)
    second = ExceptionRule(name="w20", trigger="wait", threshold=20, action="raise-priority", by=2)
    router = router_with({"voice": [second, first]})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    assert isinstance(router.submit(voice("c1"), 0.0)[-1], Offered)
    assert router.advance(10.0) == []
    router.reject("c1", "a1", 15.0)
    assert router.advance(20.0) == [fired(20.0, "c1", second), Reprioritized(at=20.0, contact_id="c1", priority=2)]


def test_a_next_stage_rule_at_the_last_stage_does_not_fire() -> None:
    """An action that cannot act does not fire: there is no next stage."""
    rule = ExceptionRule(name="nowhere", trigger="queue-length", threshold=0, action="next-stage")
    router = router_with({"voice": [rule]})
    busy(router)
    assert ExceptionFired not in [type(e) for e in router.submit(voice("c1"), 1.0)]


def test_overflows_never_loop() -> None:
    """Two targets overflowing to each other: a contact overflows once, then waits where it went."""
    to_b = ExceptionRule(name="to-b", trigger="queue-length", threshold=0, action="overflow", target=TEAM_B)
    to_any = ExceptionRule(name="to-any", trigger="queue-length", threshold=0, action="overflow", target=ANY)
    router = router_with({"skills:any": [to_b], "team:b": [to_any]})
    busy(router, Agent(id="a1", teams=["b"], capacity={"voice": 1}))
    events = router.submit(voice("c1"), 1.0)
    assert [e.rule for e in events if isinstance(e, ExceptionFired)] == ["to-b"]
    assert stage_rule(router, "c1", 1.0) == "team:b"


def test_an_accepted_contact_keeps_no_rule_timer() -> None:
    """Answering a contact cancels its wait rule: nothing fires later."""
    rule = ExceptionRule(name="late", trigger="wait", threshold=30, action="raise-priority", by=5)
    router = router_with({"voice": [rule]})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.submit(voice("c1"), 0.0)
    assert router.accept("c1", "a1", 1.0) == [Assigned(at=1.0, contact_id="c1", agent_id="a1", waited=1.0)]
    assert router.advance(100.0) == []


def test_a_snapshot_carries_the_rules_their_timers_and_the_record() -> None:
    """A restored router fires the same pending wait rule, and judges service level from the same record."""
    wait = ExceptionRule(name="late", trigger="wait", threshold=30, action="raise-priority", by=5)
    sl = ExceptionRule(name="sl", trigger="service-level", threshold=0.9, within=1, action="deny", reason="r")
    router = router_with({"voice": [wait, sl]})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}), 0.0)
    router.submit(voice("c0"), 0.0)
    router.accept("c0", "a1", 5.0)  # answered in 5 s: the record's service level within 1 s is 0 %
    data = json.loads(json.dumps(router.snapshot()))
    copy = Checked(Router.restore(data, Skills()))
    for r in (router, copy):
        assert r.submit(voice("c1"), 6.0)[-1].reason == "r"
    assert copy.snapshot() == router.snapshot()


def test_a_snapshot_with_a_rule_timer_nothing_holds_names_its_path() -> None:
    """A wait rule's timer for a contact that is not there is refused, at its path."""
    rule = ExceptionRule(name="late", trigger="wait", threshold=30, action="raise-priority", by=5)
    router = router_with({"voice": [rule]})
    busy(router)
    router.submit(voice("c1"), 1.0)
    data = json.loads(json.dumps(router.snapshot()))
    index = next(i for i, timer in enumerate(data["timers"]) if timer[1] == TimerKind.EXCEPTION_RULE)
    data["timers"][index][2][0] = "ghost"
    with pytest.raises(ConfigError, match=rf"timers\[{index}\]"):
        Router.restore(data, Skills())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "trigger": "wait", "threshold": 1, "action": "deny"}, "ExceptionRule.name"),
        ({"name": "x", "trigger": "mood", "threshold": 1, "action": "deny"}, "ExceptionRule.trigger"),
        ({"name": "x", "trigger": "wait", "threshold": 1, "action": "callback"}, "ExceptionRule.action"),
        ({"name": "x", "trigger": "queue-length", "threshold": 1.5, "action": "deny"}, "threshold.*1.5"),
        ({"name": "x", "trigger": "service-level", "threshold": 2, "within": 20, "action": "deny"}, "fraction"),
        ({"name": "x", "trigger": "service-level", "threshold": 0.8, "action": "deny"}, "within.*None"),
        ({"name": "x", "trigger": "wait", "threshold": 1, "action": "raise-priority"}, "by.*0"),
        ({"name": "x", "trigger": "wait", "threshold": 1, "action": "overflow"}, "target.*None"),
        ({"name": "x", "trigger": "wait", "threshold": 1, "action": "deny", "reason": ""}, "reason"),
    ],
)
def test_a_bad_rule_is_refused_with_the_field_and_value(fields: dict[str, Any], message: str) -> None:
    """Each field of a rule refuses a bad value at construction, naming it."""
    with pytest.raises(ConfigError, match=message):
        ExceptionRule(**fields)


def test_bad_exception_rules_settings_are_refused() -> None:
    """The settings refuse a list of something else, and a rule name used twice."""
    rule = ExceptionRule(name="x", trigger="wait", threshold=1, action="next-stage")
    with pytest.raises(ConfigError, match=r"exception_rules\['voice'\]\[0\] must be an ExceptionRule, got 3"):
        RouterSettings(exception_rules={"voice": [3]})
    with pytest.raises(ConfigError, match="the rule name 'x' is used twice"):
        RouterSettings(exception_rules={"voice": [rule], "chat": [rule]})
    with pytest.raises(ConfigError, match="must be a list of ExceptionRule"):
        RouterSettings(exception_rules={"voice": rule})


def test_explain_shows_the_rules_and_when_they_fire() -> None:
    """The rules at the contact's stage: a pending wait rule with its time, one passed, one judged at entry."""
    w10 = ExceptionRule(name="w10", trigger="wait", threshold=10, action="raise-priority", by=1)
    w40 = ExceptionRule(name="w40", trigger="wait", threshold=40, action="deny")
    long = ExceptionRule(name="long", trigger="queue-length", threshold=9, action="deny")
    router = router_with({"voice": [w10, w40, long]})
    busy(router)
    router.submit(voice("c1"), 5.0)
    assert router.explain("c1", 5.0).exception_rules[0].fires_at == 15.0
    router.advance(20.0)
    explanation = router.explain("c1", 20.0)
    assert [(r.name, r.fires_at, r.judged) for r in explanation.exception_rules] == [
        ("w10", None, "fired or passed over"),
        ("w40", 45.0, "waiting"),
        ("long", None, "judged at entry to the stage"),
    ]
    assert "  w40: wait 40 -> deny, fires at t=45" in explanation.text()


@given(
    rules=st.lists(
        st.tuples(
            st.sampled_from(["estimated-wait", "service-level"]),
            st.sampled_from(["next-stage", "raise-priority", "overflow", "deny"]),
            st.sampled_from([0.0, 5.0, 0.5, 1.0]),
        ),
        min_size=1,
        max_size=3,
    ),
    calls=st.lists(
        st.tuples(
            st.sampled_from(["submit", "submit", "accept", "accept", "abandon", "complete"]),
            st.integers(0, 7),
            st.integers(0, 9),
        ),
        max_size=80,
    ),
)
@settings(max_examples=150, deadline=None)
def test_the_estimate_and_service_level_triggers_decide_as_the_reference(
    rules: list[tuple[str, str, float]], calls: list[tuple[str, int, int]]
) -> None:
    """The entry triggers that read records (answer times, decided contacts) against the reference router,
    on random calls: the same events, ``_check()`` after every call, and a restored copy deciding alike."""
    listed = [
        ExceptionRule(
            name=f"r{n}",
            trigger=trigger,
            threshold=min(threshold, 1.0) if trigger == "service-level" else threshold,
            within=5.0 if trigger == "service-level" else None,
            action=action,
            by=1 if action == "raise-priority" else 0,
            target=TEAM_B if action == "overflow" else None,
        )
        for n, (trigger, action, threshold) in enumerate(rules)
    ]
    policy = FixedPlan(Stage(target=BILLING, timeout=30), Stage(target=ANY))
    # The wider stage's target answers to the channel key: the first rule again, under another name.
    rules_by_key = {BILLING.rule: listed, "voice": [attrs.evolve(listed[0], name="v0")]}
    fast = Router(policy, exception_rules=rules_by_key)
    ref = ReferenceRouter(policy, exception_rules=rules_by_key)
    for aid, teams in (("a1", []), ("a2", ["b"])):
        agent = Agent(id=aid, skills={"billing": 3}, teams=teams, capacity={"voice": 1})
        assert fast.add_agent(agent, 0.0) == ref.add_agent(agent, 0.0)
    now, submitted = 0.0, 0
    for name, which, step in calls:
        now += step
        if name == "submit":
            args: tuple[Any, ...] = (voice(f"c{submitted}"),)
            submitted += 1
        elif name == "accept":
            pending = [(c, a) for a in ("a1", "a2") for c in [fast.agent_state(a).offer] if c is not None]
            if not pending:
                continue
            args = pending[which % len(pending)]
        else:
            # complete an assigned contact; abandon a waiting or offered one
            wanted = ("assigned",) if name == "complete" else ("waiting", "offered")
            live = [c for c in (f"c{i}" for i in range(submitted)) if fast.state(c) in wanted]
            if not live:
                continue
            args = (live[which % len(live)],)
        results = []
        for router in (fast, ref):
            try:
                results.append(("ok", getattr(router, name)(*args, now)))
            except RoutekitError as error:
                results.append((type(error).__name__, error.events))
        assert results[0] == results[1], f"{name}{args} at {now}"
        fast._check()
        copy = Router.restore(json.loads(json.dumps(fast.snapshot())), policy)
        assert copy.snapshot() == fast.snapshot()


@pytest.mark.parametrize(
    ("spoil", "path"),
    [
        (lambda data: data["recent"][0][1][0].__setitem__(1, "yes"), r"recent\[0\]\[1\]"),
        (lambda data: data["recent"][0][1][0].__setitem__(0, "NaN"), r"recent\[0\]\[1\]"),
        (lambda data: data["contacts"][0].__setitem__("overflowed", 1), r"contacts\[0\]\.overflowed"),
        (
            lambda data: data["settings"]["exception_rules"]["voice"][0].__setitem__("threshold", -5),
            r"settings\.exception_rules\.voice\[0\]",
        ),
    ],
)
def test_a_snapshot_with_a_bad_rule_record_or_flag_names_its_path(spoil: Any, path: str) -> None:
    """The record the service-level trigger reads, a contact's overflow flag and the rules themselves are
    checked on restore, and a bad one is refused at its path."""
    rule = ExceptionRule(name="late", trigger="wait", threshold=30, action="raise-priority", by=5)
    router = router_with({"voice": [rule]})
    busy(router)
    router.submit(voice("c1"), 1.0)
    data = json.loads(json.dumps(router.snapshot()))
    spoil(data)
    with pytest.raises(ConfigError, match=path):
        Router.restore(data, Skills())


def test_a_transferred_contact_may_overflow_again() -> None:
    """An overflow happens once per plan: a contact overflowed, answered and transferred back into the long
    queue starts afresh and overflows again."""
    rule = ExceptionRule(name="long-queue", trigger="queue-length", threshold=1, action="overflow", target=TEAM_B)
    router = router_with({"skills:any": [rule]})
    busy(router)
    router.add_agent(Agent(id="b1", teams=["b"], capacity={"voice": 1}), 0.0, "away")
    router.submit(voice("c1"), 1.0)
    assert router.submit(voice("c2"), 2.0)[1] == fired(2.0, "c2", rule)
    router.set_status("b1", "available", 3.0)  # offered c1, the oldest of b1's queues
    router.accept("c1", "b1", 3.0)
    router.complete("c1", 4.0)  # then c2
    router.accept("c2", "b1", 4.0)
    assert ExceptionFired not in [type(e) for e in router.submit(voice("c3"), 5.0)]  # nobody waits at skills:any
    events = router.transfer("c2", 6.0, ANY)  # c3 waits there: c2 overflows again
    assert fired(6.0, "c2", rule) in events
    assert stage_rule(router, "c2", 6.0) == "team:b"


def test_a_next_stage_rule_does_not_move_a_contact_where_nobody_can_serve_it() -> None:
    """An action that would strand the contact does not fire: nobody matches the next stage."""
    rule = ExceptionRule(name="widen", trigger="queue-length", threshold=0, action="next-stage")
    router = router_with({BILLING.rule: [rule]}, Stage(target=BILLING, timeout=60), Stage(target=TEAM_B))
    busy(router)
    assert ExceptionFired not in [type(e) for e in router.submit(voice("c1"), 1.0)]
    assert stage_rule(router, "c1", 1.0) == BILLING.rule


def test_a_contact_a_rule_denies_leaves_no_queue_delay_timer_behind() -> None:
    """A wait rule denies a contact an agent's queue delay holds back: the delay's timer goes with it (the
    stateful test found it left behind, firing later for a contact the router no longer had)."""
    rule = ExceptionRule(name="late", trigger="wait", threshold=2, action="deny", reason="too-long")
    router = router_with({"voice": [rule]})
    router.add_agent(Agent(id="a1", capacity={"voice": 1}, queue_priorities={"skills:any": (1, 5.0)}), 0.0)
    router.submit(voice("c0"), 0.0)  # the only agent delays skills:any by 5 s: c0 waits
    assert [type(e) for e in router.advance(2.0)] == [ExceptionFired, Denied]
    assert router.next_deadline() is None
    assert router.advance(10.0) == []
