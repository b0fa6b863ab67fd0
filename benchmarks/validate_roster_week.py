"""Roster a week of the built-in day and check it by simulation: service level per channel and interval.

Run ``python benchmarks/validate_roster_week.py`` after ``pip install -e .``. The built-in mobile-support
day is repeated seven times (:func:`routekit.sim.rostering.repeat_days`); its demands are staffed for
``--target`` of contacts within each channel's threshold; 8-hour shifts with a half-hour break are
planned for the week at least cost and rostered on named agents (two days off, at most 40 paid hours,
11 hours' rest); the roster replaces the scenario's agents and the week is simulated ``--size`` times
on the scenario's own policy. An interval is judged on a channel when its arrivals are expected to
bring at least ``--min-contacts`` contacts there; it meets the target when the mean over the
replications of its service level reaches ``--target``. No repair round runs: the figures are those
of the first roster.
"""

from __future__ import annotations

import json
import sys
import time

from _harness import header, machine, parser

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


def main(argv: list[str] | None = None) -> int:
    """Plan, roster, simulate and print the share of judged intervals meeting the target per channel."""
    p = parser(__doc__.split("\n")[0], size=20, repeat=1)
    p.add_argument("--days", type=int, default=7, help="copies of the built-in day (default 7)")
    p.add_argument("--target", type=float, default=0.8, help="service-level target share (default 0.8)")
    p.add_argument("--min-contacts", type=float, default=20.0, help="expected contacts to judge an interval")
    args = p.parse_args(argv)

    week = repeat_days(builtin_scenario(), args.days)
    requirement, groups = scenario_requirement(week, target=args.target)
    began = time.perf_counter()
    plan = solve_shifts(requirement, shift_templates(requirement), groups=groups)
    result = roster_pool(plan)
    solve = time.perf_counter() - began
    rostered = rostered_scenario(week, result)
    began = time.perf_counter()
    simulated = simulate(rostered, reps=args.size, seed=args.seed)
    seconds = time.perf_counter() - began
    judged = judged_intervals(rostered, simulated, min_contacts=args.min_contacts)
    rows = []
    for channel, levels in judged.items():
        met = sum(1 for level in levels if level >= args.target)
        rows.append(
            {
                "channel": channel,
                "judged": len(levels),
                "met": met,
                "share": met / len(levels) if levels else None,
                "lowest": min(levels) if levels else None,
            }
        )
    summary = {
        "days": args.days,
        "replications": args.size,
        "seed": args.seed,
        "target": args.target,
        "min_contacts": args.min_contacts,
        "agents": len(result.agents),
        "shifts": len(result.assignments),
        "paid_hours": sum(result.hours(a) for a in result.agents),
        "solve_seconds": solve,
        "simulate_seconds": seconds,
        "channels": rows,
    }
    if args.json:
        print(json.dumps({"machine": machine(), **summary}, indent=2))
        return 0
    for line in header("validate_roster_week", machine(), args):
        print(line)
    print(
        f"# {args.days} days, {summary['agents']} agents on {summary['shifts']} shifts "
        f"({summary['paid_hours']:g} paid hours); planned and rostered in {solve:.2f} s; "
        f"{args.size} replications in {seconds:.0f} s"
    )
    print(f"{'channel':<10} {'judged':>6} {'met':>5} {'share':>7} {'lowest':>7}")
    for row in rows:
        share = "-" if row["share"] is None else f"{100 * row['share']:.1f}%"
        lowest = "-" if row["lowest"] is None else f"{row['lowest']:.3f}"
        print(f"{row['channel']:<10} {row['judged']:>6} {row['met']:>5} {share:>7} {lowest:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
