"""The simulator against queueing theory: M/M/10+M (Erlang A) KPIs within a few standard errors of exact.

The standard error comes from the spread of the replication means (sd / sqrt(reps)), never from one
seed's exact numbers (STYLE.md, section 8). The full check, 20 replications of 200,000 customers, is
``benchmarks/validate_erlang_a.py``; here a slow-marked version and a small fast one that keeps the path
exercised on every run.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest

from routekit.analytics.erlang import erlang_a
from routekit.sim.replications import simulate
from routekit.sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "benchmarks" / "scenarios" / "erlang_a.toml"

# Issue 6's exact values for 570 calls/h, AHT 60 s, 10 agents, patience 120 s, threshold 20 s.
EXACT = {
    "asa": 9.616,
    "service_level": 0.73705,
    "abandon_rate": 0.08445,
    "p_wait": 0.54572,
    "occupancy": 0.86977,
}


def _z_scores(reps: int, customers: int, seed: int) -> dict[str, float]:
    """Each KPI's (mean of replication means - exact) / (sd of replication means / sqrt(reps))."""
    result = simulate(load_scenario(SCENARIO), reps=reps, seed=seed, customers=customers)
    scores = {}
    for name, exact in EXACT.items():
        values = [getattr(run.report.overall, name) for run in result.runs]
        assert None not in values
        se = statistics.stdev(values) / math.sqrt(reps)
        scores[name] = (statistics.fmean(values) - exact) / se
    return scores


def test_exact_values_match_erlang_a() -> None:
    """The exact values the simulator is held to are routekit's own Erlang A figures, rounded."""
    figures = erlang_a(570, 60, 10, 120, 20)
    actual = {
        "asa": round(figures.asa, 3),
        "service_level": round(figures.service_level, 5),
        "abandon_rate": round(figures.p_abandon, 5),
        "p_wait": round(figures.p_wait, 5),
        "occupancy": round(figures.occupancy, 5),
    }
    assert EXACT == actual


def test_erlang_a_small_run_within_five_standard_errors() -> None:
    """Five replications of 5,000 customers put every KPI within 5 standard errors of exact."""
    scores = _z_scores(reps=5, customers=5_000, seed=6)
    assert dict.fromkeys(EXACT, True) == {name: abs(z) <= 5.0 for name, z in scores.items()}, scores


@pytest.mark.slow
def test_erlang_a_within_three_standard_errors() -> None:
    """Ten replications of 30,000 customers put every KPI within 3 standard errors of exact."""
    scores = _z_scores(reps=10, customers=30_000, seed=20260824)
    assert dict.fromkeys(EXACT, True) == {name: abs(z) <= 3.0 for name, z in scores.items()}, scores
