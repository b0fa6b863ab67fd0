"""Queue limits and skip_if in scenarios (issue 22): the keys, and a simulated day against M/M/n/K."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from routekit import ScenarioError
from routekit.analytics import erlang_b, mmck_blocking
from routekit.sim.check import check_scenario
from routekit.sim.replications import simulate
from routekit.sim.scenario import scenario_from_dict

DAY = """
[run]
customers = {customers}
warmup_customers = 1000

[[channel]]
name = "voice"
service_level = 20
handle_time = {{ dist = "exponential", mean = 300 }}

[[arrivals]]
channel = "voice"
rate = 54

[[agents]]
name = "voice"
count = 5
capacity = {{ voice = 1 }}

[policy.router]
queue_limits = {{ voice = {limit} }}
"""


def day(limit: int, customers: int = 40_000) -> Any:
    return scenario_from_dict(tomllib.loads(DAY.format(limit=limit, customers=customers)))


def test_the_scenario_keys_reach_the_router_and_the_policy() -> None:
    text = (
        DAY.format(limit=3, customers=100)
        + """queue_fallback = { voice = "messaging" }

[policy.skills]
relax = [[30, "any"]]
skip_if = "none-available"
"""
    )
    scenario = scenario_from_dict(tomllib.loads(text))
    assert scenario.policy.router_settings()["queue_limits"] == {"voice": 3}
    assert scenario.policy.router_settings()["queue_fallback"] == {"voice": "messaging"}
    assert scenario.policy.build().skip_if == "none-available"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[policy.router]\nqueue_limits = { voice = -1 }", "policy.router.queue_limits.voice: must be >= 0, got -1"),
        ("[policy.router]\nqueue_limits = { voice = 2.5 }", "policy.router.queue_limits.voice: expected an integer"),
        ('[policy.router]\nqueue_fallback = { voice = "fax" }', "policy.router.queue_fallback.voice: unknown channel"),
        ('[policy.router]\nqueue_fallback = { voice = "voice" }', "policy.router.queue_fallback['voice'] falls back"),
        ('[policy.skills]\nskip_if = "never"', "policy.skills.skip_if: expected 'none-logged-in' or 'none-available'"),
        ("[policy.tiers]\nskip_if = 3", "policy.tiers.skip_if: expected 'none-logged-in' or 'none-available', got 3"),
    ],
)
def test_bad_keys_are_refused_naming_the_key(table: str, message: str) -> None:
    text = DAY.format(limit=3, customers=100).replace("[policy.router]\nqueue_limits = { voice = 3 }\n", "")
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(tomllib.loads(text + table))
    assert str(error.value).startswith(message)


def test_a_short_day_with_a_full_queue_counts_the_callers_who_leave() -> None:
    """Callers who meet the full queue leave: each is denied, counted by reason, never offered."""
    result = simulate(day(limit=1, customers=3000), reps=1, seed=3)
    row = result.row("voice", "all").kpis
    assert row["denied_queue_full"].mean > 0
    assert row["denied_queue_full"].mean == row["denied"].mean
    assert row["abandoned"].mean == 0


def share_denied(limit: int, reps: int = 4) -> tuple[float, float]:
    """The mean share of arrivals denied as queue-full over ``reps`` days, and its 95% half-width."""
    result = simulate(day(limit), reps=reps, seed=1)
    shares = []
    for run in result.runs:
        [row] = [r for r in run.report.rows if r.channel == "voice" and r.tier == "all"]
        shares.append(row.denied_queue_full / (row.offered + row.denied))
    mean = sum(shares) / len(shares)
    sd = (sum((s - mean) ** 2 for s in shares) / (len(shares) - 1)) ** 0.5
    return mean, 3.182 * sd / len(shares) ** 0.5  # Student t, 3 degrees of freedom


@pytest.mark.slow
@pytest.mark.parametrize(("limit", "expected"), [(3, mmck_blocking(5, 4.5, 3)), (0, erlang_b(5, 4.5))])
def test_the_share_denied_matches_the_loss_formula(limit: int, expected: float) -> None:
    """5 agents, 54 calls an hour of 300 s (4.5 Erlangs): M/M/5/(5 + limit), by hand in the how-to."""
    mean, half_width = share_denied(limit)
    assert abs(mean - expected) <= half_width + 0.002


def test_check_flags_a_limit_of_zero_and_a_rule_that_points_nowhere() -> None:
    """``routekit check``: ``queue-limit-zero`` for a 0, ``queue-limit-unused`` for a key no stage answers to."""
    text = DAY.format(limit=0, customers=100).replace("voice = 0 }", 'voice = 0, "skills:billing>3" = 2, chat = 4 }')
    findings = check_scenario(scenario_from_dict(tomllib.loads(text)))
    found = sorted((f.code, f.where) for f in findings if f.code.startswith("queue-limit"))
    assert found == [
        ("queue-limit-unused", "policy.router.queue_limits.chat"),
        ("queue-limit-unused", "policy.router.queue_limits.skills:billing>3"),
        ("queue-limit-zero", "policy.router.queue_limits.voice"),
    ]
    assert all(f.severity == "warning" for f in findings if f.code.startswith("queue-limit"))


def test_check_is_quiet_about_limits_the_plans_use() -> None:
    text = DAY.format(limit=3, customers=100).replace("voice = 3 }", 'voice = 3, "skills:any" = 5 }')
    findings = check_scenario(scenario_from_dict(tomllib.loads(text)))
    assert [f for f in findings if f.code.startswith("queue-limit")] == []
