"""Time routekit's rosters beside pyworkforce on pyworkforce's own examples, then a week of 200 agents.

Run ``python benchmarks/bench_rosters.py`` after ``pip install -e '.[bench]'``.

The first table takes the scheduling examples pyworkforce publishes (its README and its tests: two
days of 24 hourly requirements, four shifts ``Morning``, ``Afternoon``, ``Night`` and ``Mixed``, caps
per period and per shift, with and without a cost per shift) and solves each with pyworkforce
(``MinAbsDifference``, ``MinRequiredResources`` on OR-tools CP-SAT) and with routekit's
:func:`routekit.analytics.solve_shifts` (HiGHS), reporting both objectives and both solve times.
pyworkforce's days are independent and each shift wraps within its own day (``Night`` covers 21:00 to
05:00 of the same day), so routekit solves each day as a one-day horizon, which wraps the same way,
and adds the two objectives.

The second table is a week of half hours (336 intervals) with 20 shift templates (starts every half
hour from 07:00 to 16:30, 8.5 hours with an unpaid half-hour break starting 3 to 5 hours in) and
``--size`` agents (40 paid hours, two days off, 11 hours' rest, each banned from one random shift):
the time to plan the shifts and the time to roster the agents on them, each the whole call (the
model built in Python, then solved by HiGHS); the first table times whole calls too, for both. The
demand, drawn from ``--seed``, peaks at ``0.4 * --size`` agents working, which takes about four in
five of the shifts the ``--size`` agents can work (five each).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _harness import fmt_seconds, header, machine, measure, parser

from routekit.analytics import Break, Requirement, RosterAgent, ShiftTemplate, roster, solve_shifts

REQUIRED = [
    [9, 11, 17, 9, 7, 12, 5, 11, 8, 9, 18, 17, 8, 12, 16, 8, 7, 12, 11, 10, 13, 19, 16, 7],
    [13, 13, 12, 15, 18, 20, 13, 16, 17, 8, 13, 11, 6, 19, 11, 20, 19, 17, 10, 13, 14, 23, 16, 8],
]
COVERAGE = {
    "Morning": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "Afternoon": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    "Night": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1],
    "Mixed": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
}
# (case, pyworkforce class, objective, max_period_concurrency, max_shift_concurrency, cost per shift)
CASES: list[tuple[str, str, str, int, int, dict[str, int] | None]] = [
    ("README MinAbsDifference", "MinAbsDifference", "difference", 27, 25, None),
    ("README MinRequiredResources", "MinRequiredResources", "cost", 27, 25, None),
    ("tests MinAbsDifference", "MinAbsDifference", "difference", 25, 20, None),
    ("tests MinRequiredResources", "MinRequiredResources", "cost", 25, 25, None),
    ("tests MinRequiredResources cost_dict", "MinRequiredResources", "cost", 25, 25,
     {"Morning": 8, "Afternoon": 8, "Night": 10, "Mixed": 7}),
]  # fmt: skip


def _templates(max_shift: int, costs: dict[str, int] | None) -> list[ShiftTemplate]:
    """pyworkforce's coverage arrays as templates: the first hour covered after an uncovered one, and the length."""
    templates = []
    for name, row in COVERAGE.items():
        start = next(h for h in range(24) if row[h] and not row[h - 1])
        templates.append(
            ShiftTemplate(
                name=name,
                start=start,
                length=sum(row),
                cost=1.0 if costs is None else costs[name],
                max_agents=max_shift,
            )
        )
    return templates


def _routekit(objective: str, max_period: int, max_shift: int, costs: dict[str, int] | None) -> tuple[float, str]:
    value = 0.0
    optimal = True
    for day in REQUIRED:
        plan = solve_shifts(
            Requirement(needs={"x": tuple(day)}, periods=24, interval=3600),
            _templates(max_shift, costs),
            objective="difference" if objective == "difference" else "cost",
            max_per_interval=max_period,
        )
        value += plan.value
        optimal = optimal and plan.optimal
    return value, "OPTIMAL" if optimal else "FEASIBLE"


def _pyworkforce(kind: str, max_period: int, max_shift: int, costs: dict[str, int] | None) -> tuple[float, str]:
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    options: dict[str, Any] = {
        "num_days": 2,
        "periods": 24,
        "shifts_coverage": COVERAGE,
        "required_resources": REQUIRED,
        "max_period_concurrency": max_period,
        "max_shift_concurrency": max_shift,
    }
    if kind == "MinAbsDifference":
        solution = MinAbsDifference(**options).solve()
    else:
        solution = MinRequiredResources(**options, cost_dict=costs).solve()
    return float(solution["cost"]), str(solution["status"])


def _timed(call: Callable[[], tuple[float, str]], box: list[tuple[float, str]]) -> Callable[[], float]:
    def run() -> float:
        began = time.perf_counter()
        box.append(call())
        return time.perf_counter() - began

    return run


def week(size: int, seed: int) -> tuple[Requirement, list[ShiftTemplate], list[RosterAgent]]:
    """The second table's problem: a week of half hours, 20 templates and ``size`` agents."""
    rng = np.random.default_rng(seed)
    periods = 48
    hours = np.arange(periods) / 2.0
    # Open 07:00 to 01:00; a morning and an afternoon peak, lower at the weekend (days 5 and 6).
    shape = np.exp(-(((hours - 11.0) / 3.0) ** 2)) + 0.8 * np.exp(-(((hours - 17.0) / 3.5) ** 2))
    shape[(hours < 7.0) & (hours >= 1.0)] = 0.0
    needs: list[int] = []
    for day in range(7):
        level = 0.7 if day >= 5 else 1.0
        noise = rng.uniform(0.9, 1.1, periods)
        needs += [round(v) for v in (size * 0.4) * level * shape * noise / shape.max()]
    requirement = Requirement(needs={"voice": tuple(needs)}, periods=periods, interval=1800)
    templates = [
        ShiftTemplate(
            name=f"s{14 + i:02d}",
            start=14 + i,
            length=17,
            breaks=(Break(length=1, earliest=6, latest=10),),
            cost=8.0,
        )
        for i in range(20)
    ]
    agents = [
        RosterAgent(
            id=f"a{i:03d}",
            max_hours=40.0,
            days_off=2,
            banned=frozenset({(int(rng.integers(7)), templates[int(rng.integers(20))].name)}),
        )
        for i in range(size)
    ]
    return requirement, templates, agents


def main(argv: list[str] | None = None) -> int:
    """Run both tables and print them (or JSON)."""
    args = parser(__doc__.split("\n")[0], size=200, repeat=5).parse_args(argv)
    info = machine()
    rows: list[dict[str, Any]] = []
    for case, kind, objective, max_period, max_shift, costs in CASES:
        ours: list[tuple[float, str]] = []
        theirs: list[tuple[float, str]] = []
        routekit_call = functools.partial(_routekit, objective, max_period, max_shift, costs)
        peer_call = functools.partial(_pyworkforce, kind, max_period, max_shift, costs)
        mine = measure(_timed(routekit_call, ours), repeat=args.repeat)
        peer = measure(_timed(peer_call, theirs), repeat=args.repeat)
        rows.append(
            {
                "case": case,
                "routekit": {"objective": ours[-1][0], "status": ours[-1][1], "timing": mine.as_dict()},
                "pyworkforce": {"objective": theirs[-1][0], "status": theirs[-1][1], "timing": peer.as_dict()},
            }
        )

    requirement, templates, agents = week(args.size, args.seed)
    plans: list[Any] = []
    rosters: list[Any] = []

    # The whole call: building the model in Python and HiGHS's solve (the plan's ``seconds`` is the latter).
    def plan_once() -> float:
        began = time.perf_counter()
        plans.append(solve_shifts(requirement, templates))
        return time.perf_counter() - began

    def roster_once() -> float:
        began = time.perf_counter()
        rosters.append(roster(plans[-1], agents, min_rest=11.0))
        return time.perf_counter() - began

    plan_timing = measure(plan_once, repeat=args.repeat)
    roster_timing = measure(roster_once, repeat=args.repeat)
    plan, result = plans[-1], rosters[-1]
    week_row = {
        "intervals": requirement.horizon,
        "templates": len(templates),
        "agents": len(agents),
        "shifts": sum(c.agents for c in plan.counts),
        "rostered": len(result.assignments),
        "plan_cost": plan.value,
        "plan_optimal": plan.optimal,
        "roster_optimal": result.optimal,
        "plan": plan_timing.as_dict(),
        "roster": roster_timing.as_dict(),
    }
    if args.json:
        print(json.dumps({"machine": info, "pyworkforce_examples": rows, "week": week_row}, indent=2))
        return 0
    for line in header("bench_rosters", info, args):
        print(line)
    print()
    print(
        f"{'pyworkforce example (2 days x 24 h)':<38} {'routekit':>9} {'pyworkforce':>11}  "
        f"{'routekit min/median':>21}  {'pyworkforce min/median':>23}"
    )
    for row in rows:
        ours, theirs = row["routekit"], row["pyworkforce"]
        print(
            f"{row['case']:<38} {ours['objective']:>9g} {theirs['objective']:>11g}  "
            f"{fmt_seconds(ours['timing']['min_s']):>10}/{fmt_seconds(ours['timing']['median_s']):>10}  "
            f"{fmt_seconds(theirs['timing']['min_s']):>11}/{fmt_seconds(theirs['timing']['median_s']):>11}"
        )
    print()
    print(
        f"week: {week_row['intervals']} half hours, {week_row['templates']} templates, {week_row['agents']} agents; "
        f"{week_row['shifts']} shifts planned (cost {week_row['plan_cost']:g}), {week_row['rostered']} rostered"
    )
    print(f"{'step':<22} {'min':>10} {'median':>10}  optimal")
    print(
        f"{'plan shifts + breaks':<22} {fmt_seconds(plan_timing.min_s):>10} {fmt_seconds(plan_timing.median_s):>10}  "
        f"{week_row['plan_optimal']}"
    )
    print(
        f"{'roster the agents':<22} {fmt_seconds(roster_timing.min_s):>10} "
        f"{fmt_seconds(roster_timing.median_s):>10}  {week_row['roster_optimal']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
