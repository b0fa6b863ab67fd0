"""Rostering a scenario: its demands, the plan as staffing tables, repeated days, and misses by simulation."""

from __future__ import annotations

import pytest

from routekit.analytics import solve_shifts
from routekit.errors import ScenarioError
from routekit.sim.replications import simulate
from routekit.sim.rostering import (
    add_staff,
    apply_forecast,
    demands,
    expected_contacts,
    judged_intervals,
    missed_intervals,
    repeat_days,
    rostered_scenario,
    scenario_requirement,
    shift_templates,
)
from routekit.sim.scenario import builtin_scenario, scenario_from_dict


def small(agents: int = 4) -> dict[str, object]:
    """Two hours of voice at 120 an hour from 08:00, four-minute calls, one group."""
    return {
        "run": {"start": 8, "horizon": 7200, "drain": 1800, "interval": 1800},
        "channel": [
            {
                "name": "voice",
                "service_level": 20,
                "handle_time": {"dist": "exponential", "mean": 240},
                "patience": {"dist": "exponential", "mean": 180},
            }
        ],
        "arrivals": [{"channel": "voice", "rate": 120}],
        "agents": [{"name": "voice", "count": agents, "capacity": {"voice": 1}, "shift": [8, 10]}],
    }


def test_the_built_in_day_has_one_demand_per_channel_and_skill_set() -> None:
    """Six streams, each with its own channel and skills, are six demands."""
    expected = [
        "voice:billing>=3",
        "voice:tech>=3",
        "voice:billing>=2,spanish>=3",
        "chat:billing>=2",
        "messaging:tech>=2",
        "video:tech>=2",
    ]
    assert expected == [d.key for d in demands(builtin_scenario())]


def test_groups_cover_the_demands_whose_channel_and_skills_they_have() -> None:
    """Only voice-tech speaks Spanish on voice; voice-early lacks tech 3; alike groups collapse into one."""
    _, groups = scenario_requirement(builtin_scenario())
    covers = {g.name: sorted(g.covers) for g in groups}
    assert ["voice:billing>=2,spanish>=3", "voice:tech>=3"] == covers["voice-tech"]
    assert ["voice:billing>=3"] == covers["voice-early"]
    week = repeat_days(builtin_scenario(), 3)
    assert [f"{g.name}-d1" for g in groups] == [g.name for g in scenario_requirement(week)[1]]


def test_requirement_is_erlang_a_per_interval() -> None:
    """120 calls an hour of 240 s with 180 s patience need the agents staff() gives, from 08:00 to 10:00."""
    from routekit.analytics import Targets, staff

    requirement, _ = scenario_requirement(scenario_from_dict(small()), target=0.8)
    agents = staff(120, 240, Targets(service_level=0.8, threshold=20), patience=180).agents
    assert (agents,) * 4 == requirement.needs["voice"][16:20]
    assert 4 == sum(1 for n in requirement.needs["voice"] if n)


def test_the_plan_becomes_staffing_tables_with_breaks_taken_out() -> None:
    """Agents logged in by the rostered scenario's tables equal the plan's working agents in every interval."""
    scenario = builtin_scenario()
    requirement, groups = scenario_requirement(scenario)
    plan = solve_shifts(requirement, shift_templates(requirement), groups=groups)
    rostered = rostered_scenario(scenario, plan)
    logged = [0] * 24
    for group in rostered.agents:
        assert group.staffing is not None
        for i in range(24):
            at = i * 1800.0
            rows = [agents for start, agents in group.staffing if start <= at]
            logged[i] += rows[-1] if rows else 0
    assert list(plan.working()[16:40]) == logged


def test_repeat_days_copies_arrivals_and_shifts_a_day_apart() -> None:
    """Day 2 has the same expected voice contacts as day 1, and each group has a copy shifted by 24 hours."""
    week = repeat_days(builtin_scenario(), 2)
    voice = expected_contacts(week, "voice")
    assert pytest.approx(voice[:24]) == voice[48:72]
    assert all(v == 0 for v in voice[24:48])
    assert (8.0, 16.0) == next(g for g in week.agents if g.name == "voice-early-d1").shift
    assert (32.0, 40.0) == next(g for g in week.agents if g.name == "voice-early-d2").shift


def test_a_short_staffed_day_misses_and_a_repair_adds_there() -> None:
    """One agent for 120 calls an hour misses every judged interval; add_staff adds one agent in each."""
    scenario = scenario_from_dict(small(agents=1))
    result = simulate(scenario, reps=2, seed=3)
    misses = missed_intervals(scenario, result, target=0.8, min_contacts=20)
    assert [16, 17, 18, 19] == [m.interval for m in misses]
    assert "day 1 08:00" == misses[0].label
    requirement, _ = scenario_requirement(scenario)
    assert {"voice": {16: 1, 17: 1, 18: 1, 19: 1}} == add_staff(requirement, misses)


def test_intervals_with_too_few_expected_contacts_are_not_judged() -> None:
    """At 120 an hour a half hour expects 60 contacts, so a threshold of 61 judges none."""
    scenario = scenario_from_dict(small(agents=1))
    result = simulate(scenario, reps=1, seed=3)
    assert {"voice": []} == judged_intervals(scenario, result, min_contacts=61)


def test_a_forecast_replaces_the_rates_and_keeps_the_mix() -> None:
    """A flat 200 voice calls an hour splits over the three voice streams in the scenario's proportions."""
    day = builtin_scenario()
    changed = apply_forecast(day, {"voice": [(8 + i / 2, 200.0) for i in range(24)]})
    assert pytest.approx([100.0] * 24) == list(expected_contacts(changed, "voice"))
    first = [s.profile[0][1] for s in changed.arrivals if str(s.channel) == "voice"]
    assert pytest.approx(200.0 * 60 / 88) == first[0]


def test_a_forecast_channel_without_arrivals_is_refused() -> None:
    """The forecast must name a channel the scenario has arrivals on."""
    with pytest.raises(ScenarioError, match="no \\[\\[arrivals\\]\\] on channel 'email'"):
        apply_forecast(builtin_scenario(), {"email": [(8.0, 10.0)]})


def test_a_scenario_off_the_interval_grid_is_refused() -> None:
    """A run starting at 08:10 is not on a half-hour interval."""
    data = small()
    data["run"] = {"start": 8 + 1 / 6, "horizon": 7200, "interval": 1800}
    with pytest.raises(ScenarioError, match=r"run\.start"):
        scenario_requirement(scenario_from_dict(data))
