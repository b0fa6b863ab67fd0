"""The shift plan: how many agents of each skill group work each shift template on each day, and their breaks.

:func:`solve_shifts` is a mixed-integer linear programme solved by ``scipy.optimize.milp`` (HiGHS): the
agents working (on shift and not on a break) cover every interval's requirement at least cost
(``objective="cost"``) or as closely as possible (``objective="difference"``: the least total absolute
difference, pyworkforce's ``MinAbsDifference``), under caps per interval and per shift. Breaks are placed
in the same model, so the coverage it reports already has every break taken out of it.

In each interval an agent counts towards one demand at a time, so the model pools no capacity across
demands: a multi-skilled agent is counted once, wherever the solver allocates them, and may be split
between demands in fractions (the allocation is a linear relaxation; the agent counts are whole).

>>> from routekit.analytics.shifts import Requirement, ShiftTemplate
>>> day = Requirement(needs={"voice": (1, 2, 2, 1)}, periods=4, interval=3600)
>>> plan = solve_shifts(day, [ShiftTemplate(name="a", start=0, length=2), ShiftTemplate(name="b", start=1, length=3)])
>>> [(c.template, c.agents) for c in plan.counts], plan.value
([('a', 1), ('b', 2)], 3.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from routekit.analytics.milp import MilpModel
from routekit.analytics.shifts import (
    DEFAULT_TIME_LIMIT,
    EVERY_DEMAND,
    Requirement,
    ShiftTemplate,
    SkillGroup,
    time_limit_seconds,
    whole_number,
)
from routekit.errors import ConfigError, InfeasibleRosterError

__all__ = ["ShiftCount", "ShiftPlan", "solve_shifts"]


@attrs.frozen(kw_only=True)
class ShiftCount:
    """How many agents of one skill group work one template on one day, and when they take breaks.

    Attributes:
        template: The template's name.
        day: The day, 0 first.
        group: The skill group.
        agents: How many.
        breaks: For each of the template's breaks, how many of the agents start it at each of its
            window's starts (``Break.starts``), so each tuple adds up to ``agents``.
    """

    template: str
    day: int
    group: str
    agents: int
    breaks: tuple[tuple[int, ...], ...]


@attrs.frozen(kw_only=True)
class ShiftPlan:
    """Agents per shift, day and skill group, with their breaks, and what they cover.

    Attributes:
        requirement: What was asked for.
        templates: The templates, by name.
        groups: The skill groups, by name.
        counts: Every shift worked by at least one agent, by day, template order, then group.
        coverage: For each demand, the agents the plan allocates to it in each interval.
        shortfall: For each demand, the need the allocation leaves uncovered in each interval (all 0
            for ``objective="cost"``).
        objective: ``"cost"`` or ``"difference"``.
        value: The objective's value: the total cost, or the total absolute difference.
        optimal: False when the time limit stopped the solver with a feasible plan.
        seconds: Wall time of the solve.
    """

    requirement: Requirement
    templates: Mapping[str, ShiftTemplate]
    groups: Mapping[str, SkillGroup]
    counts: tuple[ShiftCount, ...]
    coverage: Mapping[str, tuple[float, ...]]
    shortfall: Mapping[str, tuple[float, ...]]
    objective: str
    value: float
    optimal: bool
    seconds: float

    def working(self, group: str | None = None) -> tuple[int, ...]:
        """Agents working (on shift and not on a break) in each interval; one group, or all.

        O(shifts x length).
        """
        return _working(self.requirement, self.templates, self.counts, group)

    def on_shift(self) -> tuple[int, ...]:
        """Agents on shift in each interval, on a break or not (the seats in use)."""
        size = self.requirement.horizon
        seats = [0] * size
        for count in self.counts:
            shift = self.templates[count.template]
            origin = count.day * self.requirement.periods + shift.start
            for i in range(shift.length):
                seats[(origin + i) % size] += count.agents
        return tuple(seats)


def _working(
    requirement: Requirement, templates: Mapping[str, ShiftTemplate], counts: Iterable[ShiftCount], group: str | None
) -> tuple[int, ...]:
    size = requirement.horizon
    working = [0] * size
    for count in counts:
        if group is not None and count.group != group:
            continue
        shift = templates[count.template]
        origin = count.day * requirement.periods + shift.start
        for i in range(shift.length):
            working[(origin + i) % size] += count.agents
        for item, starts in zip(shift.breaks, count.breaks, strict=True):
            for offset, agents in zip(item.starts, starts, strict=True):
                for i in range(item.length):
                    working[(origin + offset + i) % size] -= agents
    return tuple(working)


def _by_name(items: Iterable[Any], kind: str) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for item in items:
        if item.name in named:
            raise ConfigError(f"two {kind}s are named {item.name!r}")
        named[item.name] = item
    if not named:
        raise ConfigError(f"give at least one {kind}")
    return named


def solve_shifts(
    requirement: Requirement,
    templates: Sequence[ShiftTemplate],
    *,
    groups: Sequence[SkillGroup] | None = None,
    objective: Literal["cost", "difference"] = "cost",
    max_per_interval: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> ShiftPlan:
    """Agents per shift template, day and skill group, with their breaks, for a requirement.

    ``"cost"`` covers every interval of every demand at the least total cost; ``"difference"``
    minimises the total absolute difference between the agents allocated and the need, over every
    demand and interval (under- and over-staffing alike, as pyworkforce's ``MinAbsDifference``).
    Each template can be worked on every day of the horizon. The model has one whole variable per
    template, day and group, one per break start, and one allocation per group, demand and interval:
    O(days x templates x groups x break starts + groups x demands x intervals) variables.

    Args:
        requirement: Agents needed per interval and demand.
        templates: The shifts that may be worked.
        groups: The skill groups; None: one group, ``"all"``, covering every demand.
        objective: ``"cost"`` or ``"difference"``.
        max_per_interval: The most agents on shift (seats, breaks included) in any interval; None: no cap.
        time_limit: Seconds the solver may take; past it the best plan found is returned with
            ``optimal=False``.

    Returns:
        The plan.

    Raises:
        InfeasibleRosterError: ``"cost"`` cannot cover some interval: no template or group covers it,
            or the caps leave too few seats; the message names the first such interval and why.
        ConfigError: A bad argument, or no plan found within the time limit.
    """
    if not isinstance(requirement, Requirement):
        raise ConfigError(f"requirement must be a Requirement, got {requirement!r}")
    shifts: dict[str, ShiftTemplate] = _by_name(templates, "shift template")
    teams: dict[str, SkillGroup] = (
        {EVERY_DEMAND: SkillGroup(name=EVERY_DEMAND, covers=frozenset(requirement.needs.keys()))}
        if groups is None
        else _by_name(groups, "skill group")
    )
    if objective not in ("cost", "difference"):
        raise ConfigError(f"objective must be 'cost' or 'difference', got {objective!r}")
    if max_per_interval is not None:
        whole_number("max_per_interval", max_per_interval, minimum=0)
    limit = time_limit_seconds(time_limit)
    for team in teams.values():
        unknown = sorted(team.covers - set(requirement.needs))
        if unknown:
            raise ConfigError(f"skill group {team.name!r} covers unknown demand(s) {unknown}")
        if team.templates is not None and team.templates - set(shifts):
            extra = sorted(team.templates - set(shifts))
            raise ConfigError(f"skill group {team.name!r} names unknown template(s) {extra}")
    if objective == "cost":
        _check_coverable(requirement, shifts, teams, max_per_interval)
    return _plan(requirement, shifts, teams, objective, max_per_interval, limit)


def _plan(
    requirement: Requirement,
    shifts: Mapping[str, ShiftTemplate],
    teams: Mapping[str, SkillGroup],
    objective: str,
    max_per_interval: int | None,
    limit: float,
) -> ShiftPlan:
    """Build and solve the shift model; ``objective="shortfall"`` minimises the uncovered need alone."""
    model = MilpModel()
    size, periods = requirement.horizon, requirement.periods
    working: list[list[tuple[int, float]]] = [[] for _ in range(size * len(teams))]
    seats: list[list[tuple[int, float]]] = [[] for _ in range(size)]
    team_index = {name: i for i, name in enumerate(teams)}
    shift_vars: list[tuple[str, int, str, int, list[list[int]]]] = []
    per_shift_day: dict[tuple[str, int], list[int]] = {}
    for day in range(requirement.days):
        for shift in shifts.values():
            for team in teams.values():
                if team.templates is not None and shift.name not in team.templates:
                    continue
                cost = shift.cost * team.cost if objective == "cost" else 0.0
                var = model.var(cost, upper=math.inf if shift.max_agents is None else shift.max_agents)
                per_shift_day.setdefault((shift.name, day), []).append(var)
                g = team_index[team.name]
                origin = day * periods + shift.start
                for i in range(shift.length):
                    t = (origin + i) % size
                    working[g * size + t].append((var, 1.0))
                    seats[t].append((var, 1.0))
                starts: list[list[int]] = []
                for item in shift.breaks:
                    z = [model.var() for _ in item.starts]
                    model.row([(var, -1.0)] + [(v, 1.0) for v in z], 0.0, 0.0)
                    for v, offset in zip(z, item.starts, strict=True):
                        for i in range(item.length):
                            working[g * size + (origin + offset + i) % size].append((v, -1.0))
                    starts.append(z)
                shift_vars.append((shift.name, day, team.name, var, starts))
    for (name, _day), xs in per_shift_day.items():
        cap = shifts[name].max_agents
        if cap is not None and len(xs) > 1:
            model.row([(v, 1.0) for v in xs], 0.0, cap)
    if max_per_interval is not None:
        for terms in seats:
            if terms:
                model.row(terms, 0.0, max_per_interval)

    allocation: dict[tuple[str, str, int], int] = {}
    for team in teams.values():
        g = team_index[team.name]
        for t in range(size):
            if objective == "cost":
                keys = [k for k in sorted(team.covers) if requirement.needs[k][t] > 0]
            else:
                keys = sorted(team.covers)
            ys = []
            for key in keys:
                y = model.var(integer=False)
                allocation[(team.name, key, t)] = y
                ys.append((y, 1.0))
            # The allocation takes no more than the agents working; for "difference" every working agent
            # is allocated somewhere, so that over-staffing counts.
            if ys or working[g * size + t]:
                lower = -math.inf if objective == "cost" else 0.0
                model.row(ys + [(v, -c) for v, c in working[g * size + t]], lower, 0.0)
    for key, row in requirement.needs.items():
        for t, need in enumerate(row):
            terms = [(allocation[(name, key, t)], 1.0) for name in teams if (name, key, t) in allocation]
            if objective == "cost":
                if need > 0:
                    model.row(terms, need, math.inf)
            else:
                over = model.var(1.0 if objective == "difference" else 0.0, integer=False)
                under = model.var(1.0, integer=False)
                model.row([*terms, (over, -1.0), (under, 1.0)], need, need)

    status, x, seconds = model.solve(limit)
    if x is None:
        if status == 2:
            _explain_infeasible(requirement, shifts, teams, max_per_interval, limit)
        raise ConfigError(
            f"no shift plan found within time_limit={limit:g} s (HiGHS status {status}); give the solver more time"
        )
    counts = []
    for name, day, team_name, var, starts in shift_vars:
        agents = round(x[var])
        if agents:
            breaks = tuple(tuple(round(x[v]) for v in z) for z in starts)
            counts.append(ShiftCount(template=name, day=day, group=team_name, agents=agents, breaks=breaks))
    coverage = {
        key: tuple(
            sum(float(x[allocation[(name, key, t)]]) for name in teams if (name, key, t) in allocation)
            for t in range(size)
        )
        for key in requirement.needs
    }
    shortfall = {
        key: tuple(
            max(0.0, need - have) if need - have > 1e-6 else 0.0 for need, have in zip(row, coverage[key], strict=True)
        )
        for key, row in requirement.needs.items()
    }
    value = float(np.dot(model.cost, x))
    return ShiftPlan(
        requirement=requirement,
        templates=shifts,
        groups=teams,
        counts=tuple(counts),
        coverage=coverage,
        shortfall=shortfall,
        objective=objective,
        value=round(value, 9),
        optimal=status == 0,
        seconds=seconds,
    )


def _covering(requirement: Requirement, shift: ShiftTemplate, day: int) -> range:
    return range(day * requirement.periods + shift.start, day * requirement.periods + shift.start + shift.length)


def _check_coverable(
    requirement: Requirement,
    shifts: Mapping[str, ShiftTemplate],
    teams: Mapping[str, SkillGroup],
    max_per_interval: int | None,
) -> None:
    """Refuse, by name, an interval that no template, no group or no number of seats can cover."""
    size = requirement.horizon
    reach: list[list[tuple[str, int]]] = [[] for _ in range(size)]
    for day in range(requirement.days):
        for shift in shifts.values():
            resting = shift.always_on_break
            for i, t in enumerate(_covering(requirement, shift, day)):
                if i not in resting:
                    reach[t % size].append((shift.name, day))
    for t in range(size):
        total = requirement.total(t)
        for key, row in requirement.needs.items():
            if row[t] == 0:
                continue
            able = [team for team in teams.values() if key in team.covers]
            if not able:
                raise InfeasibleRosterError(
                    requirement.label(t), key, f"it needs {row[t]} agents and no skill group covers it"
                )
            names = {name for name, _ in reach[t]}
            usable = [name for name in names if any(team.templates is None or name in team.templates for team in able)]
            if not usable:
                raise InfeasibleRosterError(
                    requirement.label(t),
                    key,
                    f"it needs {row[t]} agents and no shift template its groups may work covers it "
                    "(outside a break every agent of the shift takes then)",
                )
        if total == 0:
            continue
        capped = [(name, day) for name, day in reach[t] if shifts[name].max_agents is not None]
        if len(capped) == len(reach[t]):
            most = sum(shifts[name].max_agents or 0 for name, _ in capped)
            if most < total:
                detail = ", ".join(f"{name} (day {day + 1}) at most {shifts[name].max_agents}" for name, day in capped)
                raise InfeasibleRosterError(
                    requirement.label(t),
                    _biggest(requirement, t),
                    f"it needs {total} agents and the shifts covering it are capped: {detail}",
                )
        if max_per_interval is not None and max_per_interval < total:
            raise InfeasibleRosterError(
                requirement.label(t),
                _biggest(requirement, t),
                f"it needs {total} agents and max_per_interval allows {max_per_interval}",
            )


def _biggest(requirement: Requirement, t: int) -> str:
    return max(requirement.needs, key=lambda key: (requirement.needs[key][t], key))


def _explain_infeasible(
    requirement: Requirement,
    shifts: Mapping[str, ShiftTemplate],
    teams: Mapping[str, SkillGroup],
    max_per_interval: int | None,
    limit: float,
) -> None:
    """Find the intervals the caps leave short, by solving for the least total shortfall, and raise."""
    relaxed = _plan(requirement, shifts, teams, "shortfall", max_per_interval, limit)
    for t in range(requirement.horizon):
        for key in sorted(requirement.needs):
            short = relaxed.shortfall[key][t]
            if short > 1e-6:
                need = requirement.needs[key][t]
                raise InfeasibleRosterError(
                    requirement.label(t),
                    key,
                    f"it needs {need} agents; under the caps per interval and per shift and the break windows, "
                    f"the closest plan puts "
                    f"{need - short:.3g} there while covering the other intervals",
                )
    raise ConfigError("HiGHS found the shift problem infeasible but no interval is short; please report this")
