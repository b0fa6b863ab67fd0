"""Rosters: named agents for every shift of a plan, with days off, most hours, least rest and banned shifts.

:func:`roster` gives each shift of a :class:`~routekit.analytics.shift_plan.ShiftPlan` to agents of its
group, with at most one shift a day, a least number of days off, a most paid hours, a least rest between
two shifts, and no banned shift (a mixed-integer linear programme on ``scipy.optimize.milp``); the plan's
break starts are handed to the agents of each shift in id order. :func:`roster_pool` finds the fewest
agents per group that can fill a plan.

The whole chain, from agents needed per interval to named agents: :mod:`routekit.analytics.shifts` (what
is planned from), :mod:`routekit.analytics.shift_plan` (shifts and breaks), this module (the roster).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs

from routekit.analytics.milp import MilpModel
from routekit.analytics.shift_plan import ShiftCount, ShiftPlan, solve_shifts
from routekit.analytics.shifts import (
    DEFAULT_TIME_LIMIT,
    EVERY_DEMAND,
    Break,
    Requirement,
    ShiftTemplate,
    SkillGroup,
    needs_from_staffing,
    nonnegative,
    time_limit_seconds,
    whole_number,
)
from routekit.errors import ConfigError, InfeasibleRosterError

__all__ = [
    "Assignment",
    "Break",
    "InfeasibleRosterError",
    "Requirement",
    "Roster",
    "RosterAgent",
    "ShiftCount",
    "ShiftPlan",
    "ShiftTemplate",
    "SkillGroup",
    "needs_from_staffing",
    "roster",
    "roster_pool",
    "solve_shifts",
]


@attrs.frozen(kw_only=True)
class RosterAgent:
    """A person to roster, with the limits on their week.

    Args:
        id: Unique among the agents.
        group: Their skill group's name (``"all"`` when the plan has one group).
        max_hours: The most paid hours over the horizon.
        days_off: The least number of days without a shift.
        banned: ``(day, template)`` pairs the agent may not work, day 0 first.
    """

    id: str
    group: str = EVERY_DEMAND
    max_hours: float = 40.0
    days_off: int = 2
    banned: frozenset[tuple[int, str]] = attrs.field(default=frozenset(), converter=frozenset)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ConfigError(f"RosterAgent.id must be a non-empty string, got {self.id!r}")
        nonnegative(f"agent {self.id!r} max_hours", self.max_hours)
        whole_number(f"agent {self.id!r} days_off", self.days_off, minimum=0)


@attrs.frozen(kw_only=True)
class Assignment:
    """One agent working one shift on one day.

    Attributes:
        agent: The agent's id.
        day: The day, 0 first.
        template: The shift template's name.
        group: The agent's skill group.
        start: The first interval worked, counted from the start of the horizon.
        end: The interval after the last, which may run past the horizon (it wraps).
        breaks: The interval each of the shift's breaks starts in, counted like ``start``.
    """

    agent: str
    day: int
    template: str
    group: str
    start: int
    end: int
    breaks: tuple[int, ...]


@attrs.frozen(kw_only=True)
class Roster:
    """Named agents on the plan's shifts, with their breaks.

    Attributes:
        plan: The shift plan rostered.
        agents: The agents, by id.
        assignments: Every shift an agent works, by day, template, then agent id.
        shortfall: ``(template, day, group, agents)`` for shifts the agents could not fill (empty unless
            ``allow_shortfall``).
        min_rest: The least hours between the end of a shift and the start of the agent's next.
        optimal: False when the time limit stopped the solver with a feasible roster.
        seconds: Wall time of the solve.
    """

    plan: ShiftPlan
    agents: Mapping[str, RosterAgent]
    assignments: tuple[Assignment, ...]
    shortfall: tuple[tuple[str, int, str, int], ...]
    min_rest: float
    optimal: bool
    seconds: float

    def hours(self, agent: str) -> float:
        """The paid hours of one agent over the horizon."""
        per = self.plan.requirement.hours_per_interval
        return sum(self.plan.templates[a.template].paid_intervals * per for a in self.assignments if a.agent == agent)

    def days_off(self, agent: str) -> tuple[int, ...]:
        """The days on which the agent works no shift."""
        worked = {a.day for a in self.assignments if a.agent == agent}
        return tuple(d for d in range(self.plan.requirement.days) if d not in worked)

    def working(self, group: str | None = None) -> tuple[int, ...]:
        """Agents working (on shift and not on a break) in each interval, from the assignments."""
        size = self.plan.requirement.horizon
        working = [0] * size
        for a in self.assignments:
            if group is not None and a.group != group:
                continue
            for t in range(a.start, a.end):
                working[t % size] += 1
            for item, begin in zip(self.plan.templates[a.template].breaks, a.breaks, strict=True):
                for t in range(begin, begin + item.length):
                    working[t % size] -= 1
        return tuple(working)


def roster(
    plan: ShiftPlan,
    agents: Sequence[RosterAgent],
    *,
    min_rest: float = 11.0,
    allow_shortfall: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Roster:
    """Give every shift of a plan to named agents of its group, within each agent's limits.

    Each agent works at most one shift a day, has at least ``days_off`` days without a shift, at most
    ``max_hours`` paid hours, at least ``min_rest`` hours between the end of one shift and the start
    of the next (across the wrap of the horizon too) and no banned shift. One binary variable per
    agent and shift the plan uses on each day: O(agents x templates x days) variables and constraints.

    Args:
        plan: What :func:`solve_shifts` returned.
        agents: The people; each agent's ``group`` must be one of the plan's groups.
        min_rest: Hours, at least 0.
        allow_shortfall: Return a roster that leaves shifts short (listed in ``shortfall``) instead of
            raising.
        time_limit: Seconds the solver may take.

    Returns:
        The roster; its breaks are the plan's, handed out in agent id order within each shift.

    Raises:
        InfeasibleRosterError: Without ``allow_shortfall``, a shift the agents cannot fill, naming its
            first interval, the group, and the limits in the way.
        ConfigError: A bad argument, or no roster found within the time limit.
    """
    people: dict[str, RosterAgent] = {}
    for person in agents:
        if person.id in people:
            raise ConfigError(f"two agents have the id {person.id!r}")
        if person.group not in plan.groups:
            raise ConfigError(f"agent {person.id!r} is in group {person.group!r}, which the plan does not have")
        people[person.id] = person
    if isinstance(min_rest, bool) or not isinstance(min_rest, (int, float)) or not min_rest >= 0:
        raise ConfigError(f"min_rest must be a number of hours >= 0, got {min_rest!r}")
    limit = time_limit_seconds(time_limit)
    requirement = plan.requirement
    days, periods = requirement.days, requirement.periods
    per = requirement.hours_per_interval
    rest = min_rest / per  # in intervals

    # Which templates each group works on each day, from the plan.
    needed = {(c.template, c.day, c.group): c.agents for c in plan.counts}
    used_by_group: dict[str, list[str]] = {}
    for template, _day, group in needed:
        names = used_by_group.setdefault(group, [])
        if template not in names:
            names.append(template)
    order = {name: i for i, name in enumerate(plan.templates)}
    for names in used_by_group.values():
        names.sort(key=order.__getitem__)

    model = MilpModel()
    w: dict[tuple[str, int, str], int] = {}
    for person in people.values():
        for day in range(days):
            for name in used_by_group.get(person.group, []):
                if (name, day, person.group) in needed and (day, name) not in person.banned:
                    w[(person.id, day, name)] = model.var(upper=1.0)
    slack: dict[tuple[str, int, str], int] = {}
    for (name, day, group), count in needed.items():
        terms = [(w[(p.id, day, name)], 1.0) for p in people.values() if p.group == group and (p.id, day, name) in w]
        short = model.var(1.0, upper=count)
        slack[(name, day, group)] = short
        model.row([*terms, (short, 1.0)], count, count)
    for person in people.values():
        mine = [(key, var) for key, var in w.items() if key[0] == person.id]
        if not mine:
            continue
        model.row([(var, 1.0) for _, var in mine], 0.0, max(0, days - person.days_off))
        model.row([(var, plan.templates[key[2]].paid_intervals * per) for key, var in mine], 0.0, person.max_hours)
        by_day: dict[int, list[tuple[str, int]]] = {}
        for (_, day, name), var in mine:
            by_day.setdefault(day, []).append((name, var))
        for day, worked in by_day.items():
            if len(worked) > 1:
                model.row([(var, 1.0) for _, var in worked], 0.0, 1.0)
            if days == 1:
                continue
            following = (day + 1) % days
            for name, var in worked:
                shift = plan.templates[name]
                end = shift.start + shift.length
                clash = [
                    other
                    for other_name, other in by_day.get(following, [])
                    if periods + plan.templates[other_name].start - end < rest - 1e-9
                ]
                if clash:
                    model.row([(var, 1.0)] + [(other, 1.0) for other in clash], 0.0, 1.0)

    if not model.cost:
        return Roster(
            plan=plan, agents=people, assignments=(), shortfall=(), min_rest=float(min_rest), optimal=True, seconds=0.0
        )
    status, x, seconds = model.solve(limit)
    if x is None:
        raise ConfigError(
            f"no roster found within time_limit={limit:g} s (HiGHS status {status}); give the solver more time"
        )
    shortfall = tuple(
        (name, day, group, round(x[var])) for (name, day, group), var in slack.items() if round(x[var]) > 0
    )
    if shortfall and not allow_shortfall:
        name, day, group, short = min(shortfall, key=lambda s: (s[1], order[s[0]], s[2]))
        _explain_short(plan, people, name, day, group, short, needed[(name, day, group)], min_rest)

    assignments = []
    for name, day, group in sorted(needed, key=lambda key: (key[1], order[key[0]], key[2])):
        shift = plan.templates[name]
        origin = day * periods + shift.start
        ids = sorted(
            p.id
            for p in people.values()
            if p.group == group and (p.id, day, name) in w and round(x[w[(p.id, day, name)]]) == 1
        )
        plan_count = next(c for c in plan.counts if (c.template, c.day, c.group) == (name, day, group))
        offsets = [
            [item.starts[i] for i, agents in enumerate(starts) for _ in range(agents)]
            for item, starts in zip(shift.breaks, plan_count.breaks, strict=True)
        ]
        for k, person_id in enumerate(ids):
            assignments.append(
                Assignment(
                    agent=person_id,
                    day=day,
                    template=name,
                    group=group,
                    start=origin,
                    end=origin + shift.length,
                    breaks=tuple(origin + offs[k] for offs in offsets),
                )
            )
    return Roster(
        plan=plan,
        agents=people,
        assignments=tuple(assignments),
        shortfall=shortfall,
        min_rest=float(min_rest),
        optimal=status == 0,
        seconds=seconds,
    )


def _explain_short(
    plan: ShiftPlan,
    people: Mapping[str, RosterAgent],
    name: str,
    day: int,
    group: str,
    short: int,
    count: int,
    min_rest: float,
) -> None:
    members = [p for p in people.values() if p.group == group]
    banned = sum(1 for p in members if (day, name) in p.banned)
    shift = plan.templates[name]
    first = day * plan.requirement.periods + shift.start
    hours = shift.paid_intervals * plan.requirement.hours_per_interval
    too_long = sum(1 for p in members if p.max_hours < hours - 1e-9)
    reasons = [f"group {group!r} has {len(members)} agents"]
    if banned:
        reasons.append(f"{banned} banned from it")
    if too_long:
        reasons.append(f"{too_long} with max_hours below its {hours:g} paid hours")
    reasons.append(
        f"the rest are held by their other shifts, days off, maximum hours or the {min_rest:g} h minimum rest"
    )
    raise InfeasibleRosterError(
        plan.requirement.label(first),
        group,
        f"shift {name!r} on day {day + 1} needs {count} agents of the group and only {count - short} can be rostered: "
        + "; ".join(reasons),
    )


def roster_pool(
    plan: ShiftPlan,
    *,
    days_off: int = 2,
    max_hours: float = 40.0,
    min_rest: float = 11.0,
    rounds: int = 10,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Roster:
    """Roster a plan on the fewest alike agents per group found by adding one at a time.

    Each group starts from a lower bound: its most agents on one day, its shifts over the working
    days one agent has, and its paid hours over ``max_hours``. While the roster leaves a shift short,
    one agent is added to each group short, at most ``rounds`` times. Agents are named
    ``<group>-<n>`` from 0.

    Args:
        plan: What :func:`solve_shifts` returned.
        days_off: Each agent's least days off.
        max_hours: Each agent's most paid hours.
        min_rest: Hours between two shifts of one agent.
        rounds: The most times agents are added.
        time_limit: Seconds for each roster solve.

    Returns:
        A roster with no shortfall.

    Raises:
        InfeasibleRosterError: Still short after ``rounds`` additions (as :func:`roster` says why).
        ConfigError: A bad argument.
    """
    requirement = plan.requirement
    working_days = requirement.days - whole_number("days_off", days_off, minimum=0)
    if working_days < 1:
        raise ConfigError(f"days_off={days_off} leaves no working day in a horizon of {requirement.days}")
    whole_number("rounds", rounds, minimum=0)
    size: dict[str, int] = {}
    per = requirement.hours_per_interval
    for name in plan.groups:
        mine = [c for c in plan.counts if c.group == name]
        if not mine:
            continue
        daily = max(sum(c.agents for c in mine if c.day == d) for d in range(requirement.days))
        shifts = sum(c.agents for c in mine)
        hours = sum(c.agents * plan.templates[c.template].paid_intervals * per for c in mine)
        size[name] = max(daily, math.ceil(shifts / working_days), math.ceil(hours / max_hours - 1e-9))

    def pool() -> list[RosterAgent]:
        return [
            RosterAgent(id=f"{name}-{i}", group=name, max_hours=max_hours, days_off=days_off)
            for name, count in size.items()
            for i in range(count)
        ]

    for _ in range(rounds):
        result = roster(plan, pool(), min_rest=min_rest, allow_shortfall=True, time_limit=time_limit)
        if not result.shortfall:
            return result
        for group in {short[2] for short in result.shortfall}:
            size[group] += 1
    return roster(plan, pool(), min_rest=min_rest, time_limit=time_limit)
