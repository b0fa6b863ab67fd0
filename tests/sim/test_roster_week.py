"""A week of the built-in day, rostered, meets each channel's service-level target when simulated (slow)."""

from __future__ import annotations

import pytest

from routekit.analytics import roster_pool, solve_shifts
from routekit.sim.replications import simulate
from routekit.sim.rostering import (
    judged_intervals,
    repeat_days,
    rostered_scenario,
    scenario_requirement,
    shift_templates,
)
from routekit.sim.scenario import builtin_scenario

TARGET = 0.8


@pytest.mark.slow
def test_a_rostered_week_meets_the_target_in_nine_intervals_in_ten() -> None:
    """On the mean of 20 replications, each channel meets 0.8 in at least 90% of intervals expecting 20+ contacts."""
    week = repeat_days(builtin_scenario(), 7)
    requirement, groups = scenario_requirement(week, target=TARGET)
    plan = solve_shifts(requirement, shift_templates(requirement), groups=groups)
    result = roster_pool(plan, days_off=2, max_hours=40, min_rest=11)
    assert all(len(result.days_off(agent)) >= 2 for agent in result.agents)
    simulated = simulate(rostered_scenario(week, result), reps=20, seed=20260824)
    judged = judged_intervals(week, simulated, min_contacts=20)
    shares = {
        channel: sum(1 for level in levels if level >= TARGET) / len(levels)
        for channel, levels in judged.items()
        if levels
    }
    assert {"voice", "chat", "messaging"} == set(shares)
    assert dict.fromkeys(shares, True) == {channel: share >= 0.9 for channel, share in shares.items()}
