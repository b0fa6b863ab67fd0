"""Roster a week of voice calls on 8-hour shifts with breaks, check it by simulation, and repair it.

**Scenario.** A support line takes calls from 08:00 to 20:00, seven days a week, with a busier late
morning and afternoon. Calls last 4 minutes on average and callers hang up after 3 minutes of waiting.
The target is 80% of calls answered within 20 seconds in every half hour. Agents work 8-hour shifts
starting on any half hour from 08:00 to 12:00, each with an unpaid half-hour break placed somewhere in
the middle of the shift; each agent has two days off a week, at most 40 paid hours and 11 hours' rest
between shifts. The week is planned at least cost, rostered on named agents, and simulated on the
scenario's routing. Half hours staffed to just meet the target by Erlang A miss it about as often as
not in a few replications, so one repair round adds an agent wherever the simulation missed, and the
week is planned, rostered and simulated again.

**Covers.** ``routekit.sim.rostering.repeat_days``; ``routekit.commands.roster.run_rounds`` (what
``routekit roster`` runs: ``scenario_requirement``, ``shift_templates``, ``solve_shifts``,
``roster_pool``, ``rostered_scenario``, ``simulate``, ``missed_intervals``, ``add_staff``); a
roster's ``assignments``, ``working``, ``days_off`` and ``hours``.
"""

from routekit.commands.roster import run_rounds
from routekit.sim.rostering import repeat_days
from routekit.sim.scenario import scenario_from_dict

SEED = 7
REPLICATIONS = 2
REPAIR_ROUNDS = 1
TARGET = 0.80
DAYS = 7
CALLS_PER_HOUR = [
    [8, 90], [9, 150], [10, 200], [11, 210], [12, 170], [13, 160],
    [14, 190], [15, 180], [16, 150], [17, 120], [18, 90], [19, 60],
]  # fmt: skip
DAY = {
    "run": {"start": 8, "horizon": 12 * 3600, "drain": 1800, "interval": 1800},
    "channel": [
        {
            "name": "voice",
            "service_level": 20,
            "handle_time": {"dist": "lognormal", "mean": 240, "sd": 150},
            "patience": {"dist": "exponential", "mean": 180},
        }
    ],
    "arrivals": [{"channel": "voice", "profile": CALLS_PER_HOUR}],
    "agents": [{"name": "voice", "count": 1, "capacity": {"voice": 1}, "wrap_up": {"voice": 20}}],
}


def main() -> None:
    """Print one row per day: shifts and missed half hours before and after the repair, and staff at 11:00."""
    week = repeat_days(scenario_from_dict(DAY), DAYS)
    rounds = run_rounds(week, target=TARGET, days_off=2, rounds=REPAIR_ROUNDS, reps=REPLICATIONS, seed=SEED)
    first, last = rounds[0], rounds[-1]
    periods = last.roster.plan.requirement.periods
    for done in rounds:
        roster = done.roster
        hours = sum(roster.hours(a) for a in roster.agents)
        print(
            f"round {done.round}: {len(roster.agents)} agents, {len(roster.assignments)} shifts, {hours:g} paid hours"
        )
    print(f"{'':<4}{'round ' + str(first.round):>14} {'round ' + str(last.round):>14}")
    print(f"{'day':<4}{'shifts':>7}{'missed':>7} {'shifts':>7}{'missed':>7}{'working at 11:00':>18}")
    for day in range(DAYS):
        cells = []
        for done in (first, last):
            shifts = sum(1 for a in done.roster.assignments if a.day == day)
            missed = sum(1 for m in done.misses if m.interval // periods == day)
            cells.append(f"{shifts:>7}{missed:>7}")
        print(f"{day + 1:<4}{cells[0]} {cells[1]}{last.roster.working()[day * periods + 22]:>18}")
    roster = last.roster
    off = sorted({len(roster.days_off(agent)) for agent in roster.agents})
    print(f"days off per agent: {off}; most paid hours: {max(roster.hours(a) for a in roster.agents):g}")


if __name__ == "__main__":
    main()
