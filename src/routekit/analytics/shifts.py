"""Shift templates, skill groups and the requirement per interval: what a roster is planned from.

Time is counted in intervals of the requirement (half hours, say) from midnight of the first day. The
horizon is ``days`` days of ``periods`` intervals and it wraps, as a week that repeats does: a shift that
runs past the end of the horizon covers its first intervals, and the rest between the last day's shift
and the first day's counts too.

Several channels or skill groups: the requirement is given per *demand* (a channel, or a channel and its
skills, named by any string), and a :class:`SkillGroup` lists the demands its agents can cover.
:func:`routekit.analytics.shift_plan.solve_shifts` plans shifts from them and
:func:`routekit.analytics.rosters.roster` names the agents.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import attrs
import numpy as np

from routekit.analytics.staffing import IntervalStaffing
from routekit.errors import ConfigError

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "EVERY_DEMAND",
    "Break",
    "Requirement",
    "ShiftTemplate",
    "SkillGroup",
    "needs_from_staffing",
    "nonnegative",
    "time_limit_seconds",
    "whole_number",
]

DEFAULT_TIME_LIMIT = 60.0
# The one demand of a plan given no skill groups: every agent covers every demand.
EVERY_DEMAND = "all"


def whole_number(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def nonnegative(name: str, value: object) -> float:
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
        whole_number("Break.length", self.length, minimum=1)
        whole_number("Break.earliest", self.earliest, minimum=0)
        whole_number("Break.latest", self.latest, minimum=0)
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
        whole_number(f"shift {self.name!r} start", self.start, minimum=0)
        whole_number(f"shift {self.name!r} length", self.length, minimum=1)
        nonnegative(f"shift {self.name!r} cost", self.cost)
        if self.max_agents is not None:
            whole_number(f"shift {self.name!r} max_agents", self.max_agents, minimum=0)
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
        nonnegative(f"skill group {self.name!r} cost", self.cost)


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
        whole_number("periods", self.periods, minimum=1)
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
    whole_number("first", first, minimum=0)
    if first + len(rows) > periods:
        raise ConfigError(f"{len(rows)} rows from interval {first} run past the day's {periods} intervals")
    day = [0] * periods
    for i, row in enumerate(rows):
        day[first + i] = row.staffing.agents if productive else row.staffing.scheduled
    return tuple(day) * whole_number("days", days, minimum=1)


def time_limit_seconds(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigError(f"time_limit must be a number of seconds > 0, got {value!r}")
    return float(value)
