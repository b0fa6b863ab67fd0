"""A scenario's demand as a roster requirement, a shift plan as the scenario's agents, and the check by simulation.

The chain ``routekit roster`` runs, one step a function:

- :func:`scenario_requirement`: each ``[[arrivals]]`` stream's channel and skills is a *demand*; its
  rate in each interval is staffed with Erlang A (Erlang C without a patience) for the channel's
  service-level threshold and a target share, and every ``[[agents]]`` group becomes a skill group
  covering the demands whose channel it has capacity on and whose skills it meets.
- :func:`shift_templates`: shifts of a fixed length starting every interval of the open day, each
  with an unpaid break in the middle of the shift.
- :func:`rostered_scenario`: the plan's shifts replace the scenario's ``[[agents]]``, one group per
  skill group, template and day, logged in by a staffing table that takes the breaks out.
- :func:`missed_intervals`: the intervals whose mean simulated service level, over the replications,
  misses the target, among those expected to bring enough contacts to judge.
- :func:`repeat_days`: a scenario's day repeated, to plan and simulate a week.

What the first version models and does not: see ``docs/reference/rosters.md``.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from routekit.analytics.rosters import Roster
from routekit.analytics.shift_plan import ShiftCount, ShiftPlan
from routekit.analytics.shifts import Break, Requirement, ShiftTemplate, SkillGroup
from routekit.analytics.staffing import Targets, staff
from routekit.errors import ConfigError, ScenarioError
from routekit.sim.replications import SimulationResult
from routekit.sim.scenario import ArrivalStream, Scenario, scenario_from_dict

__all__ = [
    "Demand",
    "Miss",
    "add_staff",
    "apply_forecast",
    "demands",
    "expected_contacts",
    "judged_intervals",
    "missed_intervals",
    "repeat_days",
    "rostered_scenario",
    "scenario_requirement",
    "shift_templates",
]

_DAY = 86400.0


@attrs.frozen(kw_only=True)
class Demand:
    """Contacts of one channel needing one set of skills: the unit a requirement is given for.

    Attributes:
        key: ``channel`` alone, or ``channel:skill>=level,...``, such as ``voice:billing>=3``.
        channel: The channel.
        skills: The skills required, with their least levels.
        streams: The indices of the ``[[arrivals]]`` streams it gathers.
    """

    key: str
    channel: str
    skills: Mapping[str, int]
    streams: tuple[int, ...]


@attrs.frozen(kw_only=True)
class Miss:
    """An interval whose simulated service level, on the mean of the replications, missed the target.

    Attributes:
        channel: The channel.
        interval: The interval of the requirement (from midnight of day 1).
        label: The interval as ``day D HH:MM``.
        service_level: The mean over the replications of the interval's service level.
        expected: The contacts the arrivals were expected to bring in the interval.
    """

    channel: str
    interval: int
    label: str
    service_level: float
    expected: float


def _check_scenario(scenario: Scenario) -> tuple[int, int]:
    """The requirement's first interval (run.start) and the number of intervals the arrivals run for."""
    if scenario.traces:
        raise ScenarioError("arrivals: a rostered scenario draws its arrivals; replace the trace by a profile")
    if scenario.run.horizon is None:
        raise ScenarioError("run.horizon: missing (a roster needs the hours the arrivals run for)")
    interval = scenario.run.interval
    if _DAY % interval:
        raise ScenarioError(f"run.interval: {interval:g} s does not divide a day; use 900, 1800 or 3600, say")
    first = scenario.run.start * 3600.0 / interval
    if abs(first - round(first)) > 1e-9:
        raise ScenarioError(f"run.start: {scenario.run.start:g} is not on an interval of {interval:g} s")
    return round(first), math.ceil(scenario.run.horizon / interval - 1e-9)


def demands(scenario: Scenario) -> tuple[Demand, ...]:
    """The scenario's demands, one per channel and skill set among its arrival streams, in stream order."""
    found: dict[str, list[int]] = {}
    specs: dict[str, tuple[str, dict[str, int]]] = {}
    for i, stream in enumerate(scenario.arrivals):
        skills = dict(sorted(stream.skills.items()))
        channel = str(stream.channel)
        key = channel + (":" + ",".join(f"{k}>={v}" for k, v in skills.items()) if skills else "")
        found.setdefault(key, []).append(i)
        specs[key] = (channel, skills)
    return tuple(
        Demand(key=key, channel=specs[key][0], skills=specs[key][1], streams=tuple(found[key])) for key in found
    )


def _rate_between(stream: ArrivalStream, begin: float, end: float) -> float:
    """The mean rate per hour of a piecewise-constant profile between two hours of the day (begin < end)."""
    total = 0.0
    points = stream.profile
    for j, (hour, rate) in enumerate(points):
        until = points[j + 1][0] if j + 1 < len(points) else math.inf
        low, high = max(begin, hour), min(end, until)
        if high > low:
            total += rate * (high - low)
    return total / (end - begin)


def expected_contacts(scenario: Scenario, channel: str) -> tuple[float, ...]:
    """Contacts the arrival streams of a channel are expected to bring in each simulated interval.

    Fallback contacts (those a tier gate sends from another channel) are not counted.
    """
    first, count = _check_scenario(scenario)
    hours = scenario.run.interval / 3600.0
    start = first * hours
    return tuple(
        sum(
            _rate_between(stream, start + i * hours, start + (i + 1) * hours) * hours
            for stream in scenario.arrivals
            if str(stream.channel) == channel
        )
        for i in range(count)
    )


def scenario_requirement(
    scenario: Scenario,
    *,
    target: float | None = None,
    extra: Mapping[str, Mapping[int, int]] | None = None,
) -> tuple[Requirement, tuple[SkillGroup, ...]]:
    """Agents needed per interval for each of the scenario's demands, and its agent groups as skill groups.

    Each demand's rate in each interval is the mean of its streams' profiles over the interval; an
    asynchronous channel's rate is multiplied by its mean turns per conversation. It is staffed by
    :func:`routekit.analytics.staff` for ``target`` of contacts answered within the channel's
    ``service_level`` threshold, with the channel's mean handle time plus the longest wrap-up on the
    channel among the groups covering the demand, its mean patience (Erlang A; none: Erlang C) and
    the least capacity on the channel among those groups as the concurrency.

    Args:
        scenario: The day; its run starts on an interval and has a horizon.
        target: The share to answer within each channel's threshold, in (0, 1); ``None``: each channel's
            ``service_level_target`` from the scenario.
        extra: Agents to add, by demand key and interval of the requirement (what a repair adds).

    Returns:
        The requirement over the days the run spans (from midnight of day 1) and the skill groups: the
        ``[[agents]]`` groups that cover some demand, one for each set of groups alike in capacity,
        skills, teams and wrap-up (named after the first of them).

    Raises:
        ScenarioError: A trace, no horizon, an interval that does not divide the day, a start off an
            interval, or a channel without a ``service_level``.
        ConfigError: A demand no agent group covers, or a target that cannot be met.
    """
    first, count = _check_scenario(scenario)
    interval = scenario.run.interval
    periods = round(_DAY / interval)
    days = math.ceil((first + count) / periods)
    hours = interval / 3600.0
    wanted = demands(scenario)
    groups = []
    alike: set[tuple[Any, ...]] = set()
    for group in scenario.agents:
        # Groups alike in all but name and shift (a day's copies, an early and a late group) are one skill
        # group: the plan then chooses their shifts, and the model has no copies that only slow HiGHS down.
        kind = (
            tuple(sorted((str(c), n) for c, n in group.capacity.items())),
            tuple(sorted(group.skills.items())),
            tuple(sorted(group.teams)),
            tuple(sorted((str(c), v) for c, v in group.wrap_up.items())),
        )
        if kind in alike:
            continue
        alike.add(kind)
        covers = {
            d.key
            for d in wanted
            if group.capacity.get(_channel(scenario, d.channel), 0) > 0
            and all(group.skills.get(skill, 0) >= level for skill, level in d.skills.items())
        }
        if covers:
            groups.append(SkillGroup(name=group.name, covers=covers))
    needs: dict[str, tuple[int, ...]] = {}
    for d in wanted:
        spec = scenario.channels[d.channel]
        if spec.service_level is None:
            raise ScenarioError(f"channel {d.channel!r} has no service_level threshold to staff it for")
        channel = _channel(scenario, d.channel)
        covering = [g for g in scenario.agents if any(s.name == g.name and d.key in s.covers for s in groups)]
        capacities = [g.capacity[channel] for g in covering]
        default_wrap = float(scenario.policy.router.get("wrap_up", 0.0))
        wrap = max((g.wrap_up.get(channel, default_wrap) for g in covering), default=0.0)
        if not capacities:
            raise ConfigError(f"no [[agents]] group can serve demand {d.key!r}: none has the channel and the skills")
        turns = spec.turns.mean if spec.turns is not None else 1.0
        share = spec.service_level_target if target is None else target
        targets = Targets(service_level=share, threshold=spec.service_level)
        patience = spec.patience.mean if spec.patience is not None else None
        row = [0] * (days * periods)
        added = (extra or {}).get(d.key, {})
        for i in range(count):
            begin = (first + i) * hours
            rate = sum(_rate_between(scenario.arrivals[j], begin, begin + hours) for j in d.streams) * turns
            aht = spec.handle_time.mean + wrap
            agents = staff(rate, aht, targets, patience=patience, concurrency=min(capacities)).agents
            row[first + i] = agents + added.get(first + i, 0)
        needs[d.key] = tuple(row)
    return Requirement(needs=needs, periods=periods, interval=interval), tuple(groups)


def _channel(scenario: Scenario, name: str) -> Any:
    return scenario.channels[name].channel


def shift_templates(
    requirement: Requirement, *, hours: float = 8.0, break_minutes: float = 30.0, every: int = 1
) -> list[ShiftTemplate]:
    """Shifts of one length starting every ``every`` intervals from the first needed interval of the day.

    The starts run from the earliest interval of the day with any need (over every day) to the
    latest start that still ends by the last such interval (at least one start). Each shift has one
    unpaid break of ``break_minutes`` whose start lies in the middle third of the shift; its cost is
    its paid hours.

    Args:
        requirement: What the shifts are for.
        hours: The length of every shift, breaks included.
        break_minutes: The break's length; 0 for none.
        every: Intervals between two starts.

    Raises:
        ConfigError: A length that is not a whole number of intervals, or a requirement of all zeros.
    """
    per = requirement.hours_per_interval
    length = hours / per
    pause = break_minutes / 60.0 / per
    if abs(length - round(length)) > 1e-9 or round(length) < 1:
        raise ConfigError(f"a {hours:g}-hour shift is not a whole number of {per * 60:g}-minute intervals")
    if abs(pause - round(pause)) > 1e-9 or pause < 0 or round(pause) >= round(length):
        raise ConfigError(f"a {break_minutes:g}-minute break does not fit {per * 60:g}-minute intervals and the shift")
    length_i, pause_i = round(length), round(pause)
    needed = [
        t % requirement.periods for t in range(requirement.horizon) if requirement.total(t) > 0
    ]  # hours of the day with some need
    if not needed:
        raise ConfigError("the requirement needs no agent at all")
    first, last = min(needed), max(needed)
    latest = max(first, last + 1 - length_i)
    breaks: tuple[Break, ...] = ()
    if pause_i:
        earliest = length_i // 3
        breaks = (Break(length=pause_i, earliest=earliest, latest=max(earliest, length_i - earliest - pause_i)),)
    templates = []
    for start in range(first, latest + 1, every):
        shift = ShiftTemplate(name=_clock(start, per), start=start, length=length_i, breaks=breaks)
        templates.append(attrs.evolve(shift, cost=shift.paid_intervals * per))
    return templates


def _clock(start: int, per: float) -> str:
    minutes = round(start * per * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def rostered_scenario(scenario: Scenario, plan: ShiftPlan | Roster) -> Scenario:
    """The scenario with its ``[[agents]]`` replaced by the plan's (or roster's) shifts, breaks taken out.

    A roster is simulated as the shifts its agents work, with their breaks, so a shift it left short
    has fewer agents than the plan's.

    Each shift count becomes a group named ``<group>-d<day>-<HH:MM>`` with the skill group's capacity,
    skills, teams and wrap-up from the scenario, and a staffing table that logs the agents in at the
    shift's start, out for each break and back, and out at its end. A shift running past the end of
    the horizon is cut there (the simulated run does not wrap as the plan's horizon does).

    Raises:
        ScenarioError: A plan group that is not one of the scenario's ``[[agents]]`` groups.
    """
    counts = _counts(plan) if isinstance(plan, Roster) else plan.counts
    if isinstance(plan, Roster):
        plan = plan.plan
    data = copy.deepcopy(dict(scenario.source))
    by_name = {entry.get("name", f"g{i}"): entry for i, entry in enumerate(data["agents"])}
    origin = scenario.run.start * 3600.0
    seconds = plan.requirement.interval
    size = plan.requirement.horizon
    groups = []
    for count in counts:
        if count.group not in by_name:
            raise ScenarioError(f"agents: the plan's group {count.group!r} is not an [[agents]] group of the scenario")
        base = {k: v for k, v in by_name[count.group].items() if k not in ("name", "count", "shift", "staffing")}
        shift = plan.templates[count.template]
        begin = count.day * plan.requirement.periods + shift.start
        changes: dict[int, int] = {begin: count.agents, min(begin + shift.length, size): -count.agents}
        for item, starts in zip(shift.breaks, count.breaks, strict=True):
            for offset, agents in zip(item.starts, starts, strict=True):
                if agents:
                    away, back = begin + offset, min(begin + offset + item.length, size)
                    changes[away] = changes.get(away, 0) - agents
                    changes[back] = changes.get(back, 0) + agents
        rows: list[list[float | int]] = []
        logged = 0
        for t in sorted(changes):
            logged += changes[t]
            at = max(0.0, t * seconds - origin)
            if rows and rows[-1][0] == at:
                rows[-1][1] = logged
            else:
                rows.append([at, logged])
        name = f"{count.group}-d{count.day + 1}-{count.template}"
        groups.append({"name": name, "count": count.agents, **base, "staffing": rows})
    if not groups:
        raise ScenarioError("agents: the plan has no shifts to simulate")
    data["agents"] = groups
    return scenario_from_dict(data, base=scenario.base)


def _counts(result: Roster) -> tuple[ShiftCount, ...]:
    """The shifts a roster's agents work, counted as a plan counts them."""
    periods = result.plan.requirement.periods
    tally: dict[tuple[str, int, str], list[int]] = {}
    breaks: dict[tuple[str, int, str], list[list[int]]] = {}
    for a in result.assignments:
        key = (a.template, a.day, a.group)
        shift = result.plan.templates[a.template]
        if key not in tally:
            tally[key] = [0]
            breaks[key] = [[0] * len(item.starts) for item in shift.breaks]
        tally[key][0] += 1
        origin = a.day * periods + shift.start
        for j, (item, at) in enumerate(zip(shift.breaks, a.breaks, strict=True)):
            breaks[key][j][item.starts.index(at - origin)] += 1
    return tuple(
        ShiftCount(template=t, day=d, group=g, agents=tally[(t, d, g)][0], breaks=tuple(map(tuple, breaks[(t, d, g)])))
        for t, d, g in tally
    )


def missed_intervals(
    scenario: Scenario, result: SimulationResult, *, target: float | None = None, min_contacts: float = 20.0
) -> list[Miss]:
    """The intervals that miss the target on the mean of the replications, among those judged.

    The target is each channel's ``service_level_target`` from the scenario, unless ``target`` is given.

    An interval is judged on a channel when its arrivals are expected to bring at least
    ``min_contacts`` contacts there (:func:`expected_contacts`) and some replication measured a
    service level in it.
    """
    first, _ = _check_scenario(scenario)
    misses = []
    for name in scenario.channels:
        expected = expected_contacts(scenario, name)
        levels = _mean_levels(result, name, len(expected))
        share = scenario.channels[name].service_level_target if target is None else target
        for i, (count, level) in enumerate(zip(expected, levels, strict=True)):
            if count >= min_contacts and level is not None and level < share:
                misses.append(
                    Miss(channel=name, interval=first + i, label=_label(scenario, first + i), service_level=level,
                         expected=count)
                )  # fmt: skip
    return sorted(misses, key=lambda m: (m.interval, m.channel))


def judged_intervals(
    scenario: Scenario, result: SimulationResult, *, min_contacts: float = 20.0
) -> dict[str, list[float]]:
    """For each channel, the mean simulated service level of every interval judged (see :func:`missed_intervals`)."""
    judged: dict[str, list[float]] = {}
    for name in scenario.channels:
        expected = expected_contacts(scenario, name)
        levels = _mean_levels(result, name, len(expected))
        judged[name] = [
            level for count, level in zip(expected, levels, strict=True) if count >= min_contacts and level is not None
        ]
    return judged


def _mean_levels(result: SimulationResult, channel: str, count: int) -> list[float | None]:
    sums = [0.0] * count
    seen = [0] * count
    for run in result.runs:
        try:
            row = run.report.row(channel)
        except KeyError:
            continue
        for kpis in row.intervals:
            i = round(kpis.start / run.report.interval)
            if i < count and kpis.service_level is not None:
                sums[i] += kpis.service_level
                seen[i] += 1
    return [s / n if n else None for s, n in zip(sums, seen, strict=True)]


def _label(scenario: Scenario, t: int) -> str:
    minutes = round(t * scenario.run.interval / 60.0)
    day, minute = divmod(minutes, 24 * 60)
    return f"day {day + 1} {minute // 60:02d}:{minute % 60:02d}"


def repeat_days(scenario: Scenario, days: int) -> Scenario:
    """The scenario's day repeated ``days`` times, a day apart: arrivals, shifts and horizon.

    Each stream's profile is copied to every day and closed (rate 0) at the end of each day's arrivals;
    each agent group's shift is copied to every day as a group ``<name>-d<day>``.

    Raises:
        ScenarioError: A trace, a horizon longer than a day, or an agent group with a staffing table.
    """
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ConfigError(f"days must be a whole number >= 1, got {days!r}")
    _check_scenario(scenario)
    horizon = scenario.run.horizon or 0.0
    if horizon > _DAY:
        raise ScenarioError(f"run.horizon: {horizon:g} s is longer than a day; there is no day to repeat")
    data = copy.deepcopy(dict(scenario.source))
    start, end = scenario.run.start, scenario.run.start + horizon / 3600.0
    for entry, stream in zip(data["arrivals"], scenario.arrivals, strict=True):
        profile: list[list[float]] = []
        for day in range(days):
            shift = 24.0 * day
            points = [[max(hour, start) + shift, rate] for hour, rate in stream.profile if hour < end]
            points = [p for j, p in enumerate(points) if j + 1 == len(points) or points[j + 1][0] > p[0]]
            profile += [*points, [end + shift, 0.0]]
        entry.pop("rate", None)
        entry["profile"] = profile
    agents = []
    for i, (entry, group) in enumerate(zip(data["agents"], scenario.agents, strict=True)):
        if group.staffing is not None:
            raise ScenarioError(f"agents[{i}].staffing: a staffing table cannot be repeated; give a shift")
        first, last = group.shift if group.shift is not None else (start, end)
        for day in range(days):
            copy_ = dict(entry, name=f"{group.name}-d{day + 1}", shift=[first + 24.0 * day, last + 24.0 * day])
            agents.append(copy_)
    data["agents"] = agents
    data["run"] = dict(data["run"], horizon=(days - 1) * _DAY + horizon)
    return scenario_from_dict(data, base=scenario.base)


def add_staff(
    requirement: Requirement, misses: Sequence[Miss], extra: Mapping[str, Mapping[int, int]] | None = None
) -> dict[str, dict[int, int]]:
    """One more agent, in each missed interval, for the channel's demand that needs the most there.

    Returns:
        The agents to add by demand and interval, the ones given plus these.
    """
    added = {key: dict(rows) for key, rows in (extra or {}).items()}
    for miss in misses:
        keys = [k for k in requirement.needs if k == miss.channel or k.startswith(miss.channel + ":")]
        if not keys:
            continue
        key = max(keys, key=lambda k: (requirement.needs[k][miss.interval], k))
        added.setdefault(key, {})
        added[key][miss.interval] = added[key].get(miss.interval, 0) + 1
    return added


def apply_forecast(scenario: Scenario, forecast: Mapping[str, Sequence[tuple[float, float]]]) -> Scenario:
    """The scenario with each forecast channel's arrivals set to the forecast's rates.

    Each stream on a forecast channel keeps its share of the channel's rate at each forecast start
    (an equal share where the scenario's channel rate is 0 there), so tiers, skills and priorities keep
    their mix; the rate is 0 before the first start and from one interval after the last.

    Args:
        scenario: The day.
        forecast: For each channel, ``(hour of day, rate per hour)`` rows in increasing hours, one per
            interval of ``run.interval``.

    Raises:
        ScenarioError: A channel the scenario has no arrivals on, or hours that do not increase.
    """
    _check_scenario(scenario)
    data = copy.deepcopy(dict(scenario.source))
    step = scenario.run.interval / 3600.0
    for channel, rows in forecast.items():
        indices = [i for i, stream in enumerate(scenario.arrivals) if str(stream.channel) == channel]
        if not indices:
            raise ScenarioError(f"forecast: the scenario has no [[arrivals]] on channel {channel!r}")
        hours = [hour for hour, _ in rows]
        if any(b <= a for a, b in itertools.pairwise(hours)):
            raise ScenarioError(f"forecast: the starts of channel {channel!r} must increase")
        for i in indices:
            profile = []
            for hour, rate in rows:
                here = [_rate_between(scenario.arrivals[j], hour, hour + step) for j in indices]
                total = sum(here)
                share = here[indices.index(i)] / total if total > 0 else 1.0 / len(indices)
                profile.append([hour, rate * share])
            profile.append([hours[-1] + step, 0.0])
            data["arrivals"][i].pop("rate", None)
            data["arrivals"][i]["profile"] = profile
    return scenario_from_dict(data, base=scenario.base)
