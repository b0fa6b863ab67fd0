"""Rosters: from agents needed per interval to shifts, breaks and a weekly roster of named agents.

Three steps, each a mixed-integer linear programme solved by ``scipy.optimize.milp`` (HiGHS):

1. :func:`solve_shifts` chooses how many agents of each skill group work each shift template on each
   day, and when each of them takes each break, so that the agents working (on shift and not on a
   break) cover every interval's requirement at least cost (``objective="cost"``) or as closely as
   possible (``objective="difference"``: the least total absolute difference, pyworkforce's
   ``MinAbsDifference``), under caps per interval and per shift. Breaks are placed in the same model,
   so the coverage it reports already has every break taken out of it.
2. :func:`roster` names the agents: it gives each shift of the plan to agents of its group, with at
   most one shift a day, a least number of days off, a most paid hours, a least rest between two
   shifts, and no banned shift.
3. The plan's break starts are handed to the agents of each shift in id order.

Time is counted in intervals of the requirement (half hours, say) from midnight of the first day.
The horizon is ``days`` days of ``periods`` intervals and it wraps, as a week that repeats does: a
shift that runs past the end of the horizon covers its first intervals, and the rest between the last
day's shift and the first day's counts too.

Several channels or skill groups: the requirement is given per *demand* (a channel, or a channel and
its skills, named by any string), and a :class:`SkillGroup` lists the demands its agents can cover.
In each interval an agent counts towards one demand at a time, so the model pools no capacity across
demands: a multi-skilled agent is counted once, wherever the solver allocates them, and may be split
between demands in fractions (the allocation is a linear relaxation; the agent counts are whole).

>>> day = Requirement(needs={"voice": (1, 2, 2, 1)}, periods=4, interval=3600)
>>> plan = solve_shifts(day, [ShiftTemplate(name="a", start=0, length=2), ShiftTemplate(name="b", start=1, length=3)])
>>> [(c.template, c.agents) for c in plan.counts], plan.value
([('a', 1), ('b', 2)], 3.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np

from routekit.analytics.staffing import IntervalStaffing
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

DEFAULT_TIME_LIMIT = 60.0
_ALL = "all"


def _whole(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _cost(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


@attrs.frozen(kw_only=True)
class Break:
    """A break within a shift: how long, and the window in which it starts.

    Args:
        length: Intervals the break lasts, at least 1.
        earliest: The first interval of the shift (0 is the shift's first) the break may start in.
        latest: The last interval of the shift it may start in, at least ``earliest``.
        paid: Whether the break counts towards paid hours (a coffee break) or not (a meal).

    >>> Break(length=1, earliest=4, latest=6).starts
    (4, 5, 6)
    """

    length: int
    earliest: int
    latest: int
    paid: bool = False

    def __attrs_post_init__(self) -> None:
        _whole("Break.length", self.length, minimum=1)
        _whole("Break.earliest", self.earliest, minimum=0)
        _whole("Break.latest", self.latest, minimum=0)
        if self.latest < self.earliest:
            raise ConfigError(f"Break window ends before it starts: earliest={self.earliest}, latest={self.latest}")

    @property
    def starts(self) -> tuple[int, ...]:
        """Every interval of the shift the break may start in."""
        return tuple(range(self.earliest, self.latest + 1))


def _breaks(value: Iterable[Break]) -> tuple[Break, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ShiftTemplate:
    """A shift agents may work on any day: its start, length, breaks, cost and cap.

    Args:
        name: Unique among the templates.
        start: The interval of the day it starts in (0 is midnight).
        length: Intervals from start to end, breaks included, at least 1.
        breaks: Its breaks; each window lies inside the shift and ends before the next one's opens,
            so no choice of starts makes two breaks overlap.
        cost: What one agent working it once costs (paid hours, say); 1 by default, so the cheapest
            plan is the fewest shifts.
        max_agents: The most agents on it on one day, over every skill group; None: no cap.

    Raises:
        ConfigError: A value out of range, or a break that leaves the shift or overlaps the next.
    """

    name: str
    start: int
    length: int
    breaks: tuple[Break, ...] = attrs.field(default=(), converter=_breaks)
    cost: float = 1.0
    max_agents: int | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"ShiftTemplate.name must be a non-empty string, got {self.name!r}")
        _whole(f"shift {self.name!r} start", self.start, minimum=0)
        _whole(f"shift {self.name!r} length", self.length, minimum=1)
        _cost(f"shift {self.name!r} cost", self.cost)
        if self.max_agents is not None:
            _whole(f"shift {self.name!r} max_agents", self.max_agents, minimum=0)
        end_of_last = 0
        for i, item in enumerate(self.breaks):
            if not isinstance(item, Break):
                raise ConfigError(f"shift {self.name!r} breaks[{i}] must be a Break, got {item!r}")
            if item.latest + item.length > self.length:
                raise ConfigError(
                    f"shift {self.name!r} breaks[{i}] may end at interval {item.latest + item.length}, "
                    f"after the shift's {self.length}"
                )
            if item.earliest < end_of_last:
                raise ConfigError(
                    f"shift {self.name!r} breaks[{i}] may start at {item.earliest}, before breaks[{i - 1}] "
                    f"can end at {end_of_last}"
                )
            end_of_last = item.latest + item.length

    @property
    def always_on_break(self) -> frozenset[int]:
        """The intervals of the shift in which every agent on it is on a break, whatever the starts chosen."""
        return frozenset(
            i
            for item in self.breaks
            for i in range(item.latest, item.earliest + item.length)  # covered by the first and the last start
        )

    @property
    def paid_intervals(self) -> int:
        """Intervals paid: the length less the unpaid breaks."""
        return self.length - sum(b.length for b in self.breaks if not b.paid)


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _names_or_none(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@attrs.frozen(kw_only=True)
class SkillGroup:
    """Agents alike for rostering: the demands they can cover and what they cost.

    Args:
        name: Unique among the groups.
        covers: The demands (keys of :attr:`Requirement.needs`) an agent of the group can work on.
        cost: A factor on every shift cost for this group's agents (1 by default).
        templates: The shift templates the group may work; None: every template.
    """

    name: str
    covers: frozenset[str] = attrs.field(converter=_names)
    cost: float = 1.0
    templates: frozenset[str] | None = attrs.field(default=None, converter=_names_or_none)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"SkillGroup.name must be a non-empty string, got {self.name!r}")
        if not self.covers:
            raise ConfigError(f"skill group {self.name!r} covers no demand")
        _cost(f"skill group {self.name!r} cost", self.cost)


def _needs(value: Mapping[str, Iterable[int]]) -> dict[str, tuple[int, ...]]:
    return {
        str(key): tuple(int(v) if isinstance(v, (int, np.integer)) else v for v in row) for key, row in value.items()
    }


@attrs.frozen(kw_only=True)
class Requirement:
    """Agents needed per interval for each demand, over a horizon of whole days.

    Args:
        needs: For each demand (a channel, or a channel and skill group), the agents needed in every
            interval of the horizon, ``days * periods`` whole numbers >= 0, from midnight of day 1.
        periods: Intervals per day (48 for half hours).
        interval: The length of an interval in seconds, for labels and hours.

    Raises:
        ConfigError: No demand, rows of different or partial-day lengths, or a need that is not a whole
            number >= 0.

    >>> Requirement(needs={"voice": [0, 3] * 24}, periods=48, interval=1800).label(17)
    'day 1 08:30'
    """

    needs: Mapping[str, tuple[int, ...]] = attrs.field(converter=_needs)
    periods: int
    interval: float = 1800.0

    def __attrs_post_init__(self) -> None:
        _whole("periods", self.periods, minimum=1)
        if not isinstance(self.interval, (int, float)) or isinstance(self.interval, bool) or not self.interval > 0:
            raise ConfigError(f"interval must be a number of seconds > 0, got {self.interval!r}")
        if not self.needs:
            raise ConfigError("a requirement needs at least one demand")
        lengths = {len(row) for row in self.needs.values()}
        if len(lengths) != 1:
            raise ConfigError(f"every demand must give the same number of intervals, got {sorted(lengths)}")
        (size,) = lengths
        if size == 0 or size % self.periods:
            raise ConfigError(f"{size} intervals is not a whole number of days of {self.periods} intervals")
        for key, row in self.needs.items():
            for t, value in enumerate(row):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ConfigError(
                        f"demand {key!r} at {self._label(t)}: a need is a whole number >= 0, got {value!r}"
                    )

    @property
    def days(self) -> int:
        """Days in the horizon."""
        return self.horizon // self.periods

    @property
    def horizon(self) -> int:
        """Intervals in the horizon."""
        return len(next(iter(self.needs.values())))

    @property
    def hours_per_interval(self) -> float:
        """The length of an interval in hours."""
        return float(self.interval) / 3600.0

    def label(self, t: int) -> str:
        """The interval ``t`` as ``day D HH:MM`` (day 1 first), wrapping past the horizon."""
        return self._label(t % self.horizon)

    def _label(self, t: int) -> str:
        day, period = divmod(t, self.periods)
        minutes = round(period * float(self.interval) / 60.0)
        return f"day {day + 1} {minutes // 60:02d}:{minutes % 60:02d}"

    def total(self, t: int) -> int:
        """The agents needed at ``t`` over every demand."""
        return sum(row[t] for row in self.needs.values())


def needs_from_staffing(
    rows: Sequence[IntervalStaffing], *, periods: int, first: int = 0, days: int = 1, productive: bool = False
) -> tuple[int, ...]:
    """A day's staffing table as one demand's needs over ``days`` days (0 outside the forecast).

    Args:
        rows: What :func:`routekit.analytics.staff_day` returned, one row per interval, in order.
        periods: Intervals per day.
        first: The interval of the day the first row is (16 for 08:00 in half hours).
        days: Copies of the day.
        productive: Use the agents on the phones (``agents``) rather than those to schedule
            (``scheduled``, with shrinkage).

    Returns:
        ``days * periods`` whole numbers.

    Raises:
        ConfigError: The rows run past the end of the day.
    """
    _whole("first", first, minimum=0)
    if first + len(rows) > periods:
        raise ConfigError(f"{len(rows)} rows from interval {first} run past the day's {periods} intervals")
    day = [0] * periods
    for i, row in enumerate(rows):
        day[first + i] = row.staffing.agents if productive else row.staffing.scheduled
    return tuple(day) * _whole("days", days, minimum=1)


# --- the shift plan ----------------------------------------------------------------------------------


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


class _Model:
    """A MILP under construction: variables with bounds and integrality, and sparse constraint rows."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def var(self, cost: float = 0.0, *, lower: float = 0.0, upper: float = math.inf, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(1 if integer else 0)
        return len(self.cost) - 1

    def row(self, terms: Iterable[tuple[int, float]], lower: float, upper: float) -> int:
        index = len(self.row_lower)
        for col, value in terms:
            self.rows.append(index)
            self.cols.append(col)
            self.vals.append(value)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return index

    def solve(self, time_limit: float) -> tuple[int, np.ndarray[Any, np.dtype[np.float64]] | None, float]:
        """HiGHS's status (0 optimal, 1 time limit, 2 infeasible), the solution or None, and the seconds."""
        # Imported here: scipy.optimize takes a while to load and only a solve needs it.
        from scipy import optimize, sparse

        n = len(self.cost)
        matrix = sparse.csr_array(
            (np.array(self.vals, dtype=float), (np.array(self.rows, dtype=int), np.array(self.cols, dtype=int))),
            shape=(len(self.row_lower), n),
        )
        constraints = [optimize.LinearConstraint(matrix, np.array(self.row_lower), np.array(self.row_upper))]
        began = time.perf_counter()
        result = optimize.milp(
            np.array(self.cost, dtype=float),
            integrality=np.array(self.integer),
            bounds=optimize.Bounds(np.array(self.lower), np.array(self.upper)),
            constraints=constraints if self.row_lower else None,
            options={"time_limit": float(time_limit), "disp": False},
        )
        seconds = time.perf_counter() - began
        x = None if result.x is None else np.asarray(result.x, dtype=float)
        return int(result.status), x, seconds


def _by_name(items: Iterable[Any], kind: str) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for item in items:
        if item.name in named:
            raise ConfigError(f"two {kind}s are named {item.name!r}")
        named[item.name] = item
    if not named:
        raise ConfigError(f"give at least one {kind}")
    return named


def _time_limit(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"time_limit must be a number of seconds > 0, got {value!r}")
    return float(value)


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
        {_ALL: SkillGroup(name=_ALL, covers=frozenset(requirement.needs.keys()))}
        if groups is None
        else _by_name(groups, "skill group")
    )
    if objective not in ("cost", "difference"):
        raise ConfigError(f"objective must be 'cost' or 'difference', got {objective!r}")
    if max_per_interval is not None:
        _whole("max_per_interval", max_per_interval, minimum=0)
    limit = _time_limit(time_limit)
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
    model = _Model()
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


# --- the roster --------------------------------------------------------------------------------------


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
    group: str = _ALL
    max_hours: float = 40.0
    days_off: int = 2
    banned: frozenset[tuple[int, str]] = attrs.field(default=frozenset(), converter=frozenset)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ConfigError(f"RosterAgent.id must be a non-empty string, got {self.id!r}")
        _cost(f"agent {self.id!r} max_hours", self.max_hours)
        _whole(f"agent {self.id!r} days_off", self.days_off, minimum=0)


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
    limit = _time_limit(time_limit)
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

    model = _Model()
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
    working_days = requirement.days - _whole("days_off", days_off, minimum=0)
    if working_days < 1:
        raise ConfigError(f"days_off={days_off} leaves no working day in a horizon of {requirement.days}")
    _whole("rounds", rounds, minimum=0)
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
