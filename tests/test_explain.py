"""``Router.explain`` and ``routekit explain`` (issue 11): why a contact waits, and why each agent is or is not its.

Each elimination reason has its own test on a small roster where it is the only thing that rules the agent
out; when a contact must stay waiting, a matching *keeper* agent who is away keeps it routable. Routers here
are wrapped by :class:`Checked`, so ``router._check()`` runs after every call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from checked import Checked
from command_line import run

import routekit as rk
from routekit.explanation import AgentVerdict, Decision, Explanation, PlanStage
from routekit.policies import Skills, Sticky, TierGate

TIERS = rk.Tiers(["standard", "silver", "gold", "platinum"])
AWAY, OFFLINE = rk.AgentStatus.AWAY, rk.AgentStatus.OFFLINE


def make_router(policy: Any = None, **settings: Any) -> Checked:
    """A checked router under ``policy`` (default: skills, never relaxed) with keyword settings."""
    return Checked(rk.Router(Skills() if policy is None else policy, **settings))


def agent(
    agent_id: str,
    *,
    skills: dict[str, int] | None = None,
    teams: tuple[str, ...] = (),
    wrap_up: dict[str, float] | None = None,
    **capacity: int,
) -> rk.Agent:
    """An agent with channel capacities as keywords: ``agent("a", voice=1, chat=3)``."""
    return rk.Agent(id=agent_id, skills=skills or {}, capacity=capacity, teams=frozenset(teams), wrap_up=wrap_up or {})


def contact(contact_id: str, channel: str, *, tier: str = "standard", **fields: Any) -> rk.Contact:
    """A contact of a customer of ``tier``."""
    return rk.Contact(id=contact_id, customer=rk.Customer(id=f"u-{contact_id}", tier=tier), channel=channel, **fields)


def roster(router: Checked, *agents: rk.Agent, away: tuple[str, ...] = ()) -> Checked:
    """Register ``agents`` at t=0, those named in ``away`` as away."""
    for one in agents:
        router.add_agent(one, 0.0, AWAY if one.id in away else rk.AgentStatus.AVAILABLE)
    return router


def serve(router: Checked, contact_id: str, channel: str, agent_id: str, at: float, **fields: Any) -> None:
    """Submit a contact at ``at`` and have ``agent_id`` accept it one second later."""
    router.submit(contact(contact_id, channel, **fields), at)
    router.accept(contact_id, agent_id, at + 1.0)


def ruled_out(explanation: Explanation, agent_id: str) -> str | None:
    """The agent's reason, after checking that it is not eligible and has no rank or terms."""
    verdict = explanation.verdict(agent_id)
    assert (False, None, {}) == (verdict.eligible, verdict.rank, verdict.terms)
    assert agent_id not in explanation.eligible
    return verdict.reason


# ------------------------------------------------------------------------------------ elimination reasons


def test_away() -> None:
    """An away agent who could otherwise take the contact is ruled out as away."""
    router = roster(make_router(), agent("a", voice=1), away=("a",))
    router.submit(contact("c-1", "voice"), 1.0)
    assert "away" == ruled_out(router.explain("c-1"), "a")


def test_offline() -> None:
    """An offline agent (still registered) is ruled out as offline."""
    router = roster(make_router(), agent("a", voice=1))
    router.set_status("a", OFFLINE, 1.0)
    router.submit(contact("c-1", "voice"), 2.0)
    assert "offline" == ruled_out(router.explain("c-1"), "a")


def test_not_on_the_channel() -> None:
    """An idle chat agent is ruled out for a video contact as not on the channel."""
    router = roster(make_router(), agent("keeper", video=1), agent("a", chat=3), away=("keeper",))
    router.submit(contact("c-1", "video"), 1.0)
    assert "not on channel video" == ruled_out(router.explain("c-1"), "a")


def test_stage_targets_another_agent() -> None:
    """While a reply turn's sticky stage targets its last agent, every other agent is ruled out by name."""
    router = roster(make_router(Sticky(hold=0, window=300, then=Skills())), agent("a", messaging=2))
    serve(router, "m-1", "messaging", "a", 1.0)
    router.await_customer("m-1", 3.0)
    router.add_agent(agent("b", messaging=2), 4.0)
    router.customer_replied("m-1", 10.0)
    explanation = router.explain("m-1#2")
    assert "sticky:last-agent" == explanation.plan[explanation.stage].rule
    assert "stage targets agent a" == ruled_out(explanation, "b")


def test_not_in_the_target_team() -> None:
    """During a platinum contact's vip-team stage an idle agent outside the team is ruled out."""
    policy = TierGate(tiers=TIERS, teams={"platinum": ("vip", 60)}, then=Skills())
    router = roster(
        make_router(policy), agent("keeper", video=1, teams=("vip",)), agent("a", video=1), away=("keeper",)
    )
    router.submit(contact("c-1", "video", tier="platinum"), 1.0)
    assert "not in team vip" == ruled_out(router.explain("c-1"), "a")


def test_missing_skill() -> None:
    """An idle agent without a required skill is ruled out, naming the skill."""
    router = roster(
        make_router(), agent("keeper", voice=1, skills={"billing": 4}), agent("a", voice=1), away=("keeper",)
    )
    router.submit(contact("c-1", "voice", skills={"billing": 3}), 1.0)
    assert "missing skill billing" == ruled_out(router.explain("c-1"), "a")


def test_skill_level_too_low() -> None:
    """An idle agent below a required level is ruled out, naming the skill, their level and the minimum."""
    router = roster(
        make_router(),
        agent("keeper", voice=1, skills={"billing": 4, "tech": 4}),
        agent("a", voice=1, skills={"billing": 4, "tech": 2}),
        away=("keeper",),
    )
    router.submit(contact("c-1", "voice", skills={"billing": 3, "tech": 3}), 1.0)
    assert "skill tech 2 < 3" == ruled_out(router.explain("c-1"), "a")


def test_holding_another_offer() -> None:
    """An agent with a free chat slot but a pending offer of another contact is ruled out by that offer."""
    router = roster(make_router(), agent("a", chat=3))
    router.submit(contact("c-1", "chat"), 1.0)
    router.submit(contact("c-2", "chat"), 2.0)
    assert "holding another offer (c-1)" == ruled_out(router.explain("c-2"), "a")


def test_wrap_up_until() -> None:
    """A voice agent in wrap-up is ruled out until the wrap-up ends."""
    router = roster(make_router(), agent("a", voice=1, wrap_up={"voice": 30}))
    serve(router, "c-1", "voice", "a", 1.0)
    router.complete("c-1", 10.0)
    router.submit(contact("c-2", "voice"), 12.0)
    assert "wrap-up until t=40" == ruled_out(router.explain("c-2"), "a")


def test_busy_on_an_exclusive_channel() -> None:
    """An agent on a voice call is ruled out for a chat even with free chat slots."""
    router = roster(make_router(), agent("a", voice=1, chat=2))
    serve(router, "v-1", "voice", "a", 1.0)
    router.submit(contact("c-1", "chat"), 5.0)
    assert "busy on an exclusive channel (voice)" == ruled_out(router.explain("c-1"), "a")


def test_exclusive_channel_while_the_agent_has_other_work() -> None:
    """An agent with a chat in hand is ruled out for a voice call, which is exclusive."""
    router = roster(make_router(), agent("a", voice=1, chat=2))
    serve(router, "c-1", "chat", "a", 1.0)
    router.submit(contact("v-1", "voice"), 5.0)
    assert "voice is exclusive and the agent has other work" == ruled_out(router.explain("v-1"), "a")


def test_no_free_slot_on_the_channel() -> None:
    """An agent with every chat slot in use is ruled out, with the slots in use and the capacity."""
    router = roster(make_router(), agent("a", chat=2))
    serve(router, "c-1", "chat", "a", 1.0)
    serve(router, "c-2", "chat", "a", 3.0)
    router.submit(contact("c-3", "chat"), 5.0)
    assert "no free slot on chat (2 of 2 in use)" == ruled_out(router.explain("c-3"), "a")


def test_no_free_slot_names_the_wrap_up_that_frees_one() -> None:
    """A chat slot held by wrap-up is reported as no free slot, with when the wrap-up ends."""
    router = roster(make_router(), agent("a", chat=1, wrap_up={"chat": 20}))
    serve(router, "c-1", "chat", "a", 1.0)
    router.complete("c-1", 10.0)
    router.submit(contact("c-2", "chat"), 12.0)
    assert "no free slot on chat (1 of 1 in use; wrap-up until t=30)" == ruled_out(router.explain("c-2"), "a")


def test_reoffer_delay_until() -> None:
    """An agent who rejected the contact is ruled out until the re-offer delay ends."""
    router = roster(make_router(reoffer_delay=30.0), agent("a", voice=1))
    router.submit(contact("c-1", "voice"), 1.0)
    router.reject("c-1", "a", 5.0)
    assert "re-offer delay until t=35" == ruled_out(router.explain("c-1"), "a")


def test_offered_this_contact() -> None:
    """The agent holding the contact's offer is reported as offered it, with the offer's expiry."""
    router = roster(make_router(), agent("a", voice=1))
    router.submit(contact("c-1", "voice"), 1.0)
    explanation = router.explain("c-1")
    assert "offered" == explanation.state
    assert "offered this contact (expires at t=21)" == ruled_out(explanation, "a")


def test_the_first_reason_is_reported() -> None:
    """An agent who is away and lacks the skill is reported away: presence is checked before skills."""
    router = roster(
        make_router(), agent("keeper", voice=1, skills={"billing": 3}), agent("a", voice=1), away=("keeper", "a")
    )
    router.submit(contact("c-1", "voice", skills={"billing": 3}), 1.0)
    assert "away" == ruled_out(router.explain("c-1"), "a")


# ------------------------------------------------------------------------------------- eligible agents


def test_eligible_agent_terms() -> None:
    """An eligible agent passed over for an idler one shows its rank and the selection terms."""
    router = roster(make_router(), agent("x", chat=3, skills={"billing": 3}), agent("y", chat=3, skills={"billing": 4}))
    serve(router, "c-1", "chat", "x", 1.0, skills={"billing": 2})
    router.submit(contact("c-2", "chat", skills={"billing": 2}), 5.0)
    explanation = router.explain("c-2")
    expected = AgentVerdict(
        agent_id="x",
        eligible=True,
        rank=1,
        terms={"selection": "longest-idle", "idle_since": 0.0, "busy": 1, "load": 1, "proficiency": 3},
    )
    assert expected == explanation.verdict("x")
    assert ("x",) == explanation.eligible
    assert "offered this contact (expires at t=35)" == explanation.verdict("y").reason


def test_eligible_agents_are_ranked_by_the_selection_key() -> None:
    """Under most-proficient, the agents still free rank by summed proficiency, the offered one aside."""
    router = roster(
        make_router(selection="most-proficient"),
        agent("a", voice=1, skills={"billing": 3}),
        agent("b", voice=1, skills={"billing": 5}),
        agent("c", voice=1, skills={"billing": 4}),
    )
    router.submit(contact("c-1", "voice", skills={"billing": 3}), 1.0)
    explanation = router.explain("c-1")
    assert "c-1" == router.agent_state("b").offer
    assert ("c", "a") == explanation.eligible
    assert [(1, 4), (2, 3)] == [
        (explanation.verdict(a).rank, explanation.verdict(a).terms["proficiency"]) for a in ("c", "a")
    ]
    assert {"most-proficient"} == {explanation.verdict(a).terms["selection"] for a in ("c", "a")}


# ------------------------------------------------------------------------------ a waiting contact's place


def test_waiting_contact_plan_stage_and_place() -> None:
    """A waiting contact shows its plan, the active stage and its end, its place and who is ahead."""
    router = roster(make_router(Skills(relax=[(30, 1), (90, "any")])), agent("a", voice=1, skills={"billing": 4}))
    serve(router, "c-1", "voice", "a", 1.0, skills={"billing": 3})
    router.submit(contact("c-2", "voice", skills={"billing": 3}), 3.0)
    router.submit(contact("c-3", "voice", skills={"billing": 3}), 4.0)
    explanation = router.explain("c-3")
    expected_plan = (
        PlanStage(stage=0, rule="skills:billing>=3", timeout=30.0),
        PlanStage(stage=1, rule="skills:billing>=2", timeout=60.0),
        PlanStage(stage=2, rule="skills:any", timeout=None),
    )
    assert ("waiting", 4.0) == (explanation.state, explanation.at)
    assert expected_plan == explanation.plan
    assert (0, 34.0) == (explanation.stage, explanation.stage_ends_at)
    assert (1, ("c-2",)) == (explanation.position, explanation.ahead)
    assert (0, ()) == (router.explain("c-2").position, router.explain("c-2").ahead)


def test_waiting_contact_at_a_later_stage() -> None:
    """After a stage timeout the explanation shows the new stage, when it ends, and the new queue."""
    router = roster(make_router(Skills(relax=[(30, 1), (90, "any")])), agent("a", voice=1, skills={"billing": 4}))
    serve(router, "c-1", "voice", "a", 1.0, skills={"billing": 3})
    router.submit(contact("c-2", "voice", skills={"billing": 3}), 3.0)
    router.advance(40.0)
    explanation = router.explain("c-2")
    assert (1, 93.0, 0, ()) == (explanation.stage, explanation.stage_ends_at, explanation.position, explanation.ahead)


def test_last_stage_has_no_end() -> None:
    """On its last stage a waiting contact's stage has no end time."""
    router = roster(make_router(), agent("a", voice=1))
    serve(router, "c-1", "voice", "a", 1.0)
    router.submit(contact("c-2", "voice"), 3.0)
    explanation = router.explain("c-2")
    assert (0, None) == (explanation.stage, explanation.stage_ends_at)


def test_an_offered_contact_has_no_place_in_the_queue() -> None:
    """An offered contact has its plan and stage but no place in a queue."""
    router = roster(make_router(), agent("a", voice=1))
    router.submit(contact("c-1", "voice"), 1.0)
    explanation = router.explain("c-1")
    assert (0, None, ()) == (explanation.stage, explanation.position, explanation.ahead)


def test_explain_reports_the_time_asked_for() -> None:
    """``now`` sets the report's time and fires no timer: the stage still ends when it did."""
    router = roster(make_router(Skills(relax=[(30, "any")])), agent("a", voice=1, skills={"billing": 4}))
    serve(router, "c-1", "voice", "a", 1.0, skills={"billing": 3})
    router.submit(contact("c-2", "voice", skills={"billing": 3}), 3.0)
    explanation = router.explain("c-2", 50.0)
    assert (50.0, 0, 33.0) == (explanation.at, explanation.stage, explanation.stage_ends_at)
    assert 3.0 == router.now


# ---------------------------------------------------------------------------------------------- decisions


def test_assigned_contact_decision() -> None:
    """An assigned contact reports who took it, at which stage, by which rule and selection, and when."""
    router = roster(make_router(Skills(relax=[(30, 1)])), agent("a", voice=1, skills={"billing": 2}))
    router.submit(contact("c-1", "voice", skills={"billing": 3}), 1.0)
    router.advance(31.0)
    router.accept("c-1", "a", 33.0)
    explanation = router.explain("c-1", 40.0)
    expected = Decision(
        outcome="assigned", agent_id="a", stage=1, rule="skills:billing>=2", selection="longest-idle", at=33.0
    )
    assert ("assigned", expected, ()) == (explanation.state, explanation.decision, explanation.agents)
    assert 2 == len(explanation.plan)


def test_held_contact_decision() -> None:
    """A conversation turn held for the customer's reply reports the decision that assigned it."""
    router = roster(make_router(Sticky(hold=120, window=300, then=Skills())), agent("a", messaging=2))
    serve(router, "m-1", "messaging", "a", 1.0)
    router.await_customer("m-1", 3.0)
    expected = Decision(outcome="held", agent_id="a", stage=0, rule="skills:any", selection="longest-idle", at=2.0)
    assert expected == router.explain("m-1").decision


def test_completed_contact_decision() -> None:
    """A completed contact is finished, and its decision is the assignment."""
    router = roster(make_router(), agent("a", voice=1))
    serve(router, "c-1", "voice", "a", 1.0)
    router.complete("c-1", 60.0)
    explanation = router.explain("c-1")
    expected = Decision(outcome="completed", agent_id="a", stage=0, rule="skills:any", selection="longest-idle", at=2.0)
    assert ("finished", expected) == (explanation.state, explanation.decision)
    assert ((), None, ()) == (explanation.plan, explanation.stage, explanation.agents)


def test_abandoned_contact_decision() -> None:
    """A contact abandoned while waiting is finished with no agent, stage or rule."""
    router = roster(make_router(), agent("a", voice=1), away=("a",))
    router.submit(contact("c-1", "voice"), 1.0)
    router.abandon("c-1", 9.0)
    expected = Decision(outcome="abandoned", agent_id=None, stage=None, rule=None, selection=None, at=None)
    assert expected == router.explain("c-1").decision


def test_denied_contact_decision() -> None:
    """A contact the tier gate denies is finished with the gate's rule and the time of the denial."""
    policy = TierGate(tiers=TIERS, gates={"video": "gold"}, fallback={"video": "chat"}, then=Skills())
    router = roster(make_router(policy), agent("a", video=1, chat=2))
    router.submit(contact("v-1", "video", tier="silver"), 1.0)
    expected = Decision(
        outcome="denied: tier-gate", agent_id=None, stage=None, rule="tier:video>=gold", selection=None, at=1.0
    )
    assert expected == router.explain("v-1").decision


def test_parked_turn_decision() -> None:
    """A conversation turn parked when its hold ran out is finished as parked, with its assignment."""
    router = roster(make_router(Sticky(hold=60, window=300, then=Skills())), agent("a", messaging=2))
    serve(router, "m-1", "messaging", "a", 1.0)
    router.await_customer("m-1", 3.0)
    router.advance(63.0)
    expected = Decision(outcome="parked", agent_id="a", stage=0, rule="skills:any", selection="longest-idle", at=2.0)
    assert ("finished", expected) == (router.explain("m-1").state, router.explain("m-1").decision)


def test_unknown_contact_is_refused() -> None:
    """An id the router never saw is an UnknownIdError naming it."""
    router = roster(make_router(), agent("a", voice=1))
    with pytest.raises(rk.UnknownIdError, match="unknown contact 'nope'"):
        router.explain("nope")


def test_forgotten_contact_is_refused() -> None:
    """A contact finished longer ago than the retention time is no longer known."""
    router = roster(make_router(retention=100.0), agent("a", voice=1))
    serve(router, "c-1", "voice", "a", 1.0)
    router.complete("c-1", 10.0)
    router.advance(200.0)
    with pytest.raises(rk.UnknownIdError):
        router.explain("c-1")


# ------------------------------------------------------------------------------------- reads, changes none


def test_explain_changes_nothing() -> None:
    """Explaining every contact, now and at a later time past every timer, leaves the snapshot unchanged."""
    router = rk.Router(Skills(relax=[(30, 1)]))
    router.add_agent(agent("a", voice=1, chat=2, skills={"billing": 4}, wrap_up={"voice": 30}), 0.0)
    router.add_agent(agent("b", chat=1, skills={"billing": 2}), 0.0)
    for cid, channel, at in (("v-1", "voice", 1.0), ("c-1", "chat", 2.0), ("c-2", "chat", 3.0)):
        router.submit(contact(cid, channel, skills={"billing": 3}), at)
    router.accept("v-1", "a", 4.0)
    router.complete("v-1", 5.0)
    router.submit(contact("v-2", "voice", skills={"billing": 3}), 6.0)
    before = router.snapshot()
    deadline = router.next_deadline()
    for cid in ("v-1", "v-2", "c-1", "c-2"):
        router.explain(cid)
        router.explain(cid, 10_000.0)
    router._check()
    assert before == router.snapshot()
    assert (deadline, 6.0) == (router.next_deadline(), router.now)


# -------------------------------------------------------------------------------------------- renderings


def waiting_example() -> Checked:
    """c-2 waits at t=3 behind nobody while a is on a call and b is not on voice."""
    router = roster(
        make_router(Skills(relax=[(30, "any")])), agent("a", voice=1, skills={"billing": 4}), agent("b", chat=2)
    )
    serve(router, "c-1", "voice", "a", 1.0, skills={"billing": 3})
    router.submit(contact("c-2", "voice", skills={"billing": 3}), 3.0)
    return router


def test_text_report() -> None:
    """The text report gives the state, the plan with the active stage marked, the place and each agent."""
    expected = "\n".join(
        [
            "contact c-2 at t=3: waiting",
            "plan: >0 skills:billing>=3 for 30 s;  1 skills:any",
            "stage 0, ends at t=33",
            "place in queue: 0 (ahead: nobody)",
            "agents:",
            "  a: busy on an exclusive channel (voice)",
            "  b: not on channel voice",
        ]
    )
    assert expected == waiting_example().explain("c-2").text()


def test_text_report_of_an_eligible_agent_and_a_decision() -> None:
    """An eligible agent's line has its rank and terms; a finished contact's report has its decision."""
    router = roster(make_router(), agent("x", chat=3), agent("y", chat=3))
    serve(router, "c-1", "chat", "x", 1.0)
    router.submit(contact("c-2", "chat"), 5.0)
    lines = router.explain("c-2").text().splitlines()
    assert (
        "  x: eligible, #1 by selection (selection longest-idle, idle_since 0, busy 1, load 1, proficiency 0)"
        == (lines[-2])
    )
    router.complete("c-1", 9.0)
    expected = [
        "contact c-1 at t=9: finished",
        "decision: completed by x at stage 0 (skills:any, selection longest-idle) at t=2",
    ]
    assert expected == router.explain("c-1").text().splitlines()


def test_to_dict_is_plain_json_able_data() -> None:
    """``to_dict`` gives plain data that survives a JSON round trip unchanged."""
    explanation = waiting_example().explain("c-2")
    data = explanation.to_dict()
    assert data == json.loads(json.dumps(data))
    assert ["c-2", "waiting", 0, 33.0] == [data[k] for k in ("contact_id", "state", "stage", "stage_ends_at")]
    assert {"agent_id": "b", "eligible": False, "reason": "not on channel voice", "rank": None, "terms": {}} == (
        data["agents"][1]
    )
    assert {"stage": 1, "rule": "skills:any", "timeout": None} == data["plan"][1]


def test_to_dict_of_a_finished_contact() -> None:
    """A finished contact's plain data carries its decision and no agents."""
    router = roster(make_router(), agent("a", voice=1))
    serve(router, "c-1", "voice", "a", 1.0)
    router.complete("c-1", 9.0)
    data = json.loads(json.dumps(router.explain("c-1").to_dict()))
    expected = {
        "outcome": "completed",
        "agent_id": "a",
        "stage": 0,
        "rule": "skills:any",
        "selection": "longest-idle",
        "at": 2.0,
    }
    assert (expected, []) == (data["decision"], data["agents"])


# ------------------------------------------------------------------------------------------ the command


def write_snapshot(router: Checked, tmp_path: Path) -> Path:
    """The router's snapshot as a JSON file, the way a platform would save it."""
    path = tmp_path / "router.json"
    path.write_text(json.dumps(router.snapshot()), encoding="utf-8")
    return path


def test_command_prints_the_text_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``routekit explain SNAPSHOT CONTACT`` prints the report the live router gives."""
    router = waiting_example()
    path = write_snapshot(router, tmp_path)
    assert (0, router.explain("c-2").text() + "\n", "") == run(["explain", str(path), "c-2"], capsys)


def test_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--format json`` prints the explanation's plain data."""
    router = waiting_example()
    path = write_snapshot(router, tmp_path)
    status, out, err = run(["explain", str(path), "c-2", "--format", "json"], capsys)
    assert (0, "") == (status, err)
    assert json.loads(json.dumps(router.explain("c-2").to_dict())) == json.loads(out)


def test_command_missing_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A snapshot file that does not exist exits 2 with the reason on stderr."""
    status, out, err = run(["explain", str(tmp_path / "absent.json"), "c-1"], capsys)
    assert (2, "") == (status, out)
    assert err.startswith("routekit explain: ")
    assert "absent.json" in err


def test_command_unknown_contact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A contact the snapshot does not know exits 2, naming it on stderr."""
    path = write_snapshot(waiting_example(), tmp_path)
    assert (2, "", "routekit explain: unknown contact 'nope'\n") == run(["explain", str(path), "nope"], capsys)
