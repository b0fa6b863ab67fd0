"""Policy-aware pools: tier gates and dedicated teams, against Erlang figures and the simulator.

The simulation checks run the scenario the analysis describes (``mobile-support`` with only the gate or
only the team; ``skills`` for the pooled group) with exponential handle times and patience. Their
tolerance comes from the replications: a simulated service level "agrees" with a figure when they are
within 1.5 half-widths of its 95% t-interval (about 4 standard errors at 5 replications, 3.4 at 10), and
"meets" a target when the target is inside that interval or below it. At the analytic staffing the
simulated service level must meet the target; one agent fewer must miss it or be within that noise of it
(the analytic staffing is the least that meets the target, so the level one agent below is just under it
and may not be told apart from it by a short run; asserting a clear miss would fail by chance).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from routekit.analytics import Targets, erlang_a, erlang_c, staff
from routekit.analytics.gates import Fallback, gate_cost, gate_rule
from routekit.analytics.teams import team_cost, team_queue
from routekit.errors import ConfigError
from routekit.policies.mobile import mobile_support
from routekit.sim.replications import Estimate, simulate
from routekit.sim.scenario import scenario_from_dict

VIDEO = {"standard": 48.0, "silver": 36.0, "gold": 24.0, "platinum": 12.0}  # 120 video calls per hour
VIDEO_TARGET = Targets(service_level=0.8, threshold=20)
CHAT_TARGET = Targets(service_level=0.8, threshold=30)
CHAT = Fallback(channel="chat", rate=60, aht=180, patience=240, share=0.7, targets=CHAT_TARGET)


def exponential(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": mean}


def the_gate() -> Any:
    return gate_cost(VIDEO, 240, 180, VIDEO_TARGET, "gold", fallback=CHAT)


def gate_scenario(video_agents: int, chat_agents: int, customers: int) -> Any:
    """Video gated to gold and up, 70% of the denied to chat; one agent group per channel."""
    return scenario_from_dict(
        {
            "run": {"customers": customers, "warmup_customers": 500},
            "channel": [
                {"name": "video", "service_level": 20, "handle_time": exponential(240), "patience": exponential(180)},
                {"name": "chat", "service_level": 30, "handle_time": exponential(180), "patience": exponential(240)},
            ],
            "arrivals": [
                {"channel": "video", "rate": sum(VIDEO.values()), "tiers": VIDEO, "fallback_probability": 0.7},
                {"channel": "chat", "rate": 60},
            ],
            "agents": [
                {"name": "video", "count": video_agents, "capacity": {"video": 1}},
                {"name": "chat", "count": chat_agents, "capacity": {"chat": 1}},
            ],
            "policy": {
                "kind": "mobile-support",
                "tiers": {"names": list(VIDEO), "gates": {"video": "gold"}, "fallback": {"video": "chat"}},
            },
        }
    )


TEAM = {"rate_team_tier": 60.0, "rate_others": 240.0, "aht": 240.0, "patience": 180.0, "overflow_after": 30.0}


def the_team() -> Any:
    return team_cost(target=VIDEO_TARGET, team_size=4, **TEAM)


def team_scenario(team: int, general: int, customers: int) -> Any:
    """Platinum to a dedicated vip team for 30 s, then a general pool the team cannot serve."""
    rate = TEAM["rate_team_tier"] + TEAM["rate_others"]
    return scenario_from_dict(
        {
            "run": {"customers": customers, "warmup_customers": 500},
            "channel": [
                {"name": "video", "service_level": 20, "handle_time": exponential(240), "patience": exponential(180)}
            ],
            "arrivals": [
                {
                    "channel": "video",
                    "rate": rate,
                    "tiers": {"standard": TEAM["rate_others"], "platinum": TEAM["rate_team_tier"]},
                    # Only the general pool has the skill: the team never takes a standard or overflowed call.
                    "skills": {"general": 1},
                }
            ],
            "agents": [
                {"name": "vip", "count": team, "capacity": {"video": 1}, "teams": ["vip"]},
                {"name": "general", "count": general, "capacity": {"video": 1}, "skills": {"general": 1}},
            ],
            "policy": {
                "kind": "mobile-support",
                "tiers": {"names": ["standard", "platinum"], "teams": {"platinum": ["vip", TEAM["overflow_after"]]}},
            },
        }
    )


def pooled_scenario(agents: int, customers: int) -> Any:
    """The same video traffic on one pooled group, routed by skills alone."""
    return scenario_from_dict(
        {
            "run": {"customers": customers, "warmup_customers": 500},
            "channel": [
                {"name": "video", "service_level": 20, "handle_time": exponential(240), "patience": exponential(180)}
            ],
            "arrivals": [{"channel": "video", "rate": TEAM["rate_team_tier"] + TEAM["rate_others"]}],
            "agents": [{"count": agents, "capacity": {"video": 1}}],
        }
    )


def level(scenario: Any, reps: int, seed: int, channel: str = "video", tier: str = "all") -> Estimate:
    """The simulated service level of one row, over the replications."""
    return simulate(scenario, reps=reps, seed=seed).row(channel, tier).kpis["service_level"]


def agrees(est: Estimate, figure: float, allowance: float = 0.0) -> bool:
    assert est.mean is not None
    assert est.ci95 is not None
    return abs(est.mean - figure) <= 1.5 * est.ci95 + allowance


def meets(est: Estimate, target: float) -> bool:
    assert est.mean is not None
    assert est.ci95 is not None
    return est.mean + 1.5 * est.ci95 >= target


def misses_or_noise(est: Estimate, target: float) -> bool:
    assert est.mean is not None
    assert est.ci95 is not None
    return est.mean - 1.5 * est.ci95 < target


# --- the analysis on its own ---------------------------------------------------------------------------


def test_team_queue_without_overflow_is_erlang_a() -> None:
    """A team whose contacts never overflow is Erlang A, to 1e-9."""
    q = team_queue(570, 60, 10, 120, 1e9, 20)
    f = erlang_a(570, 60, 10, 120, 20)
    expected = [f.p_wait, f.p_abandon, f.service_level, f.asa, f.occupancy, 0.0]
    actual = [q.p_wait, q.p_abandon, q.service_level, q.asa, q.occupancy, q.p_overflow]
    assert expected == pytest.approx(actual, rel=1e-9, abs=1e-15)


def test_team_queue_without_patience_is_erlang_c() -> None:
    """A patient team tier that never overflows is Erlang C, to 1e-9."""
    q = team_queue(570, 60, 10, None, 1e6, 20)
    f = erlang_c(570, 60, 10, 20)
    assert [f.p_wait, f.service_level, f.asa] == pytest.approx([q.p_wait, q.service_level, q.asa], rel=1e-9)


def test_team_queue_outcomes_add_up() -> None:
    """Every team-tier contact is answered by the team, abandons, or overflows."""
    q = team_queue(300, 240, 4, 180, 30, 20)
    assert 1.0 == pytest.approx(q.p_answered + q.p_abandon + q.p_overflow, abs=1e-12)


def test_gate_pools_are_the_thinned_streams() -> None:
    """After the gate, video staffs gold and platinum alone and chat its own plus 70% of the denied."""
    cost = the_gate()
    video = staff(36, 240, VIDEO_TARGET, patience=180).agents
    chat = staff(60 + 0.7 * 84, 180, CHAT_TARGET, patience=240).agents
    assert [("video", 36.0, video), ("chat", 118.8, chat)] == [
        (p.channel, round(p.rate, 9), p.agents) for p in cost.after
    ]
    assert cost.change("video") + cost.change("chat") == cost.cost


def test_gate_summary_names_both_channels() -> None:
    """The summary says what the gate costs and what it does to each channel."""
    cost = the_gate()
    assert cost.summary().startswith(f"gating video to gold and up {'costs' if cost.cost >= 0 else 'saves'} ")
    assert f"video {cost.before[0].agents} → {cost.after[0].agents}" in cost.summary()


def test_gate_rule_reads_the_policy() -> None:
    """The built-in policy gates video to gold and up, with chat as the fallback."""
    rule = gate_rule(mobile_support(), "video")
    assert (("gold", "platinum"), "chat") == (rule.allowed, rule.fallback.value if rule.fallback else None)


def test_gate_unknown_tier_is_refused() -> None:
    """A gate to a tier the rates do not name is a ConfigError naming it."""
    with pytest.raises(ConfigError, match="unknown tier 'diamond'"):
        gate_cost(VIDEO, 240, 180, VIDEO_TARGET, "diamond")


def test_team_costs_agents_against_pooling() -> None:
    """A dedicated team never needs fewer agents than one pooled group, and its split meets the target."""
    cost = the_team()
    assert (True, True) == (cost.cost >= 0, cost.service_level >= 0.8)


def test_team_too_small_is_refused() -> None:
    """A one-agent team for heavy traffic that overflows late cannot meet 80/20 with any general pool."""
    with pytest.raises(ConfigError, match="answers too few platinum"):
        team_cost(600, 10, 240, 1800, VIDEO_TARGET, 1, 600, agents_max=200)


# --- against the simulator -------------------------------------------------------------------------


def check_gate(reps: int, customers: int, seed: int) -> dict[str, bool]:
    cost = the_gate()
    video, chat = (p.agents for p in cost.after)
    checks = {}
    for name, (n_video, n_chat) in {"at": (video, chat), "below": (video - 1, chat - 1)}.items():
        scenario = gate_scenario(n_video, n_chat, customers)
        result = simulate(scenario, reps=reps, seed=seed)
        for channel, pool, n in (("video", cost.after[0], n_video), ("chat", cost.after[1], n_chat)):
            est = result.row(channel).kpis["service_level"]
            target = 0.8
            if name == "at":
                assert pool.figures is not None
                checks[f"{channel} agrees"] = agrees(est, pool.figures.service_level)
                checks[f"{channel} meets"] = meets(est, target)
            else:
                wait = 180 if channel == "video" else 240
                aht, threshold = (240, 20) if channel == "video" else (180, 30)
                checks[f"{channel}-1 agrees"] = agrees(est, erlang_a(pool.rate, aht, n, wait, threshold).service_level)
                checks[f"{channel}-1 misses"] = misses_or_noise(est, target)
    return checks


def test_gate_staffing_holds_in_simulation_small_run() -> None:
    """Five runs of 4,000 customers: the gated pools' analytic staffing meets 80/20 and one fewer does not."""
    checks = check_gate(reps=5, customers=4_000, seed=11)
    assert dict.fromkeys(checks, True) == checks


@pytest.mark.slow
def test_gate_staffing_holds_in_simulation() -> None:
    """Ten runs of 30,000 customers: the gated pools' analytic staffing meets 80/20 and one fewer does not."""
    checks = check_gate(reps=10, customers=30_000, seed=20260824)
    assert dict.fromkeys(checks, True) == checks


# The general pool is approximate (the overflow taken as Poisson, served in arrival order): the checks
# that depend on it allow this much on top of the replication noise. Ten runs of 30,000 customers put
# the bias at about -0.004 on the other tiers' service level (docs/reference/analytics.md).
APPROXIMATION = 0.015


def check_team(reps: int, customers: int, seed: int, *, full: bool) -> dict[str, bool]:
    cost = the_team()
    m, g = cost.team_pool.agents, cost.general.agents
    at = simulate(team_scenario(m, g, customers), reps=reps, seed=seed)
    channel = at.row("video").kpis["service_level"]
    checks = {
        "team queue exact": agrees(at.row("video", "platinum").kpis["service_level"], cost.tier_service_level),
        "others": agrees(at.row("video", "standard").kpis["service_level"], cost.others_service_level, APPROXIMATION),
        "channel": agrees(channel, cost.service_level, APPROXIMATION),
        "split meets": meets(channel, 0.8),
    }
    if full:
        below = level(team_scenario(m, g - 1, customers), reps, seed)
        pooled = level(pooled_scenario(cost.pooled.agents, customers), reps, seed)
        assert cost.pooled.figures is not None
        checks["general-1 misses"] = misses_or_noise(below, 0.8)
        checks["pooled agrees"] = agrees(pooled, cost.pooled.figures.service_level)
        checks["pooled meets"] = meets(pooled, 0.8)
    return checks


def test_team_split_holds_in_simulation_small_run() -> None:
    """Five runs of 6,000 customers: the team's tier, the others and the channel match the analysis."""
    checks = check_team(reps=5, customers=6_000, seed=13, full=False)
    assert dict.fromkeys(checks, True) == checks


@pytest.mark.slow
def test_team_split_holds_in_simulation() -> None:
    """Ten runs of 30,000 customers: the split, one general agent fewer and the pooled group match the analysis."""
    checks = check_team(reps=10, customers=30_000, seed=20260824, full=True)
    assert dict.fromkeys(checks, True) == checks


def test_overflow_share_is_small_where_the_approximation_is_claimed() -> None:
    """The test's team overflows under 10% of the general pool's traffic, where team_cost claims accuracy."""
    cost = the_team()
    share = (cost.general.rate - TEAM["rate_others"]) / cost.general.rate
    assert True is (0.0 < share < 0.1 and math.isfinite(share))
