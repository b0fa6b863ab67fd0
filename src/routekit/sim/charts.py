"""The day chart: per channel, service level, ASA, abandonment and occupancy by interval, staffing overlaid.

:func:`plot` draws one row of four panels per channel of a :class:`~routekit.sim.replications.SimulationResult`
(``routekit simulate --plot day.png`` calls it):

- **service level** (%) by interval, with the channel's target share drawn as a dashed line
  (``[[channel]] service_level_target``, 80% by default) and its threshold in the title;
- **ASA** (seconds) by interval, with the service-level threshold drawn as a dotted line;
- **abandoned** (%) of the contacts offered in each interval;
- **occupancy** (%) by interval, and on a second axis with whole-number ticks the **agents** logged in
  with capacity on the channel (the simulated staffing), and, given the scenario, the agents Erlang A (or
  C, without a patience) needs to meet the target at the interval's simulated offered rate (synchronous
  channels: an asynchronous conversation's load is not an Erlang queue).

With several replications each line is the mean and the band its 95% t interval. The x axis is the hour
of day (``run.start`` plus the interval's start). matplotlib is the ``plot`` extra.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from routekit._figures import count_axis, new_figure, percent_axis, save
from routekit.errors import ConfigError
from routekit.sim.replications import IntervalSummary, SimulationResult
from routekit.sim.scenario import Scenario

__all__ = ["PANELS", "day_figure", "erlang_staffing", "plot"]

PANELS = ("service level (%)", "ASA (s)", "abandoned (%)", "occupancy (%)")
"""The y labels of each channel's four panels, left to right."""

_INTERVAL_COLOUR = "tab:blue"
_TARGET_COLOUR = "tab:red"
_AGENTS_COLOUR = "tab:green"
_ERLANG_COLOUR = "tab:purple"


def erlang_staffing(result: SimulationResult, scenario: Scenario, channel: str) -> list[int | None]:
    """The agents Erlang needs in each of the channel's intervals to meet its service-level target.

    The rate is the interval's mean offered contacts, the handle time and patience the channel's means,
    and the concurrency the chat slots most of its agents have. ``None`` where it does not apply: an
    asynchronous channel, a channel without a threshold, an interval without contacts, or one no
    staffing within the search bound can serve.
    """
    from routekit.analytics import Targets, staff  # imported here: analytics loads scipy

    spec = scenario.channels.get(channel)
    intervals = result.intervals(channel)
    if spec is None or not spec.channel.synchronous or spec.service_level is None:
        return [None] * len(intervals)
    slots: Counter[int] = Counter()
    for group in scenario.agents:
        if group.capacity.get(spec.channel):
            slots[group.capacity[spec.channel]] += group.count
    concurrency = slots.most_common(1)[0][0] if slots else 1
    targets = Targets(service_level=spec.service_level_target, threshold=spec.service_level)
    patience = spec.patience.mean if spec.patience is not None else None
    needed: list[int | None] = []
    for interval in intervals:
        offered = interval.kpis["offered"].mean
        if not offered:
            needed.append(None)
            continue
        rate = offered * 3600.0 / (interval.end - interval.start)
        try:
            needed.append(
                staff(rate, spec.handle_time.mean, targets, patience=patience, concurrency=concurrency).agents
            )
        except ConfigError:
            needed.append(None)
    return needed


def _hours(result: SimulationResult, intervals: tuple[IntervalSummary, ...]) -> list[float]:
    return [result.start_hour + interval.start / 3600.0 for interval in intervals]


def _steps(ax: Any, hours: list[float], step: float, values: list[float | None], **style: Any) -> Any:
    xs = [h for h, v in zip(hours, values, strict=True) if v is not None]
    ys = [v for v in values if v is not None]
    if not xs:
        return None
    (line,) = ax.step([*xs, xs[-1] + step], [*ys, ys[-1]], where="post", **style)
    return line


def _band(
    ax: Any,
    hours: list[float],
    step: float,
    intervals: tuple[IntervalSummary, ...],
    name: str,
    top: float | None = None,
) -> None:
    """The 95% band of a KPI, clipped to [0, top]: a share's interval past 100% says nothing more."""
    xs, lows, highs = [], [], []
    for hour, interval in zip(hours, intervals, strict=True):
        value = interval.kpis[name]
        if value.mean is None or value.ci95 is None:
            continue
        xs.append(hour)
        lows.append(max(0.0, value.mean - value.ci95))
        highs.append(value.mean + value.ci95 if top is None else min(top, value.mean + value.ci95))
    if xs:
        ax.fill_between(
            [*xs, xs[-1] + step], [*lows, lows[-1]], [*highs, highs[-1]], step="post", alpha=0.2, linewidth=0
        )


def plot(
    result: SimulationResult,
    path: str | Path,
    *,
    scenario: Scenario | None = None,
    channels: list[str] | None = None,
) -> Path:
    """Draw the day chart of a simulated day (see the module's description) and save it.

    Args:
        result: What :func:`~routekit.sim.replications.simulate` returned.
        path: Where to save; the suffix picks the format (``.png``, ``.svg``, ``.pdf``).
        scenario: The scenario simulated; with it, the Erlang staffing for each channel's target is
            overlaid on the agents logged in.
        channels: Which channels, one row each (default: every channel with contacts, in the result's order).

    Returns:
        The path written.

    Raises:
        ImportError: matplotlib is not installed (the ``plot`` extra).
        KeyError: A channel the result has no row for.
    """
    return save(day_figure(result, scenario=scenario, channels=channels), path)


def day_figure(result: SimulationResult, *, scenario: Scenario | None = None, channels: list[str] | None = None) -> Any:
    """The day chart as a matplotlib ``Figure``, not saved: :func:`plot`'s figure, to adjust or embed."""
    names = channels or [
        row.channel
        for row in result.rows
        if row.tier == "all" and row.channel != "all" and result.intervals(row.channel)
    ]
    figure, axes = new_figure(len(names), len(PANELS), what="plot", width=4.2, height=2.9)
    reps = len(result.runs)
    for row, channel in enumerate(names):
        intervals = result.intervals(channel)
        hours = _hours(result, intervals)
        step = (intervals[0].end - intervals[0].start) / 3600.0 if intervals else 0.5
        sl_ax, asa_ax, abandon_ax, occupancy_ax = axes[row]

        def mean(name: str, series: tuple[IntervalSummary, ...] = intervals) -> list[float | None]:
            return [interval.kpis[name].mean for interval in series]

        threshold, target = result.targets.get(channel, (None, None))
        _steps(sl_ax, hours, step, mean("service_level"), color=_INTERVAL_COLOUR, label="simulated, by interval")
        _band(sl_ax, hours, step, intervals, "service_level", top=1.0)
        percent_axis(sl_ax, "service level", top=1.05)
        goal = ""
        if target is not None and threshold is not None:
            sl_ax.axhline(target, color=_TARGET_COLOUR, linestyle="--", linewidth=1, label="target")
            goal = f", target {target:.0%} within {threshold:g} s"
        sl_ax.set_title(f"{channel}: service level{goal}", fontsize="medium")

        asa = mean("asa")
        _steps(asa_ax, hours, step, asa, color=_INTERVAL_COLOUR)
        _band(asa_ax, hours, step, intervals, "asa", top=1.1 * max([v for v in asa if v is not None] + [1.0]))
        asa_ax.set_ylabel("ASA (s)")
        highest = max([v for v in asa if v is not None] + [threshold or 0.0, 1.0])
        asa_ax.set_ylim(0.0, 1.1 * highest)
        if threshold is not None:
            asa_ax.axhline(threshold, color=_TARGET_COLOUR, linestyle=":", linewidth=1)
        asa_ax.set_title(f"{channel}: average speed of answer (threshold dotted)", fontsize="medium")

        _steps(abandon_ax, hours, step, mean("abandon_rate"), color=_INTERVAL_COLOUR)
        _band(abandon_ax, hours, step, intervals, "abandon_rate", top=1.0)
        percent_axis(abandon_ax, "abandoned")
        abandon_ax.set_title(f"{channel}: abandoned", fontsize="medium")

        _steps(occupancy_ax, hours, step, mean("occupancy"), color=_INTERVAL_COLOUR, label="simulated, by interval")
        percent_axis(occupancy_ax, "occupancy", top=1.05)
        occupancy_ax.set_title(f"{channel}: occupancy and staffing", fontsize="medium")
        staff_ax = occupancy_ax.twinx()
        _steps(staff_ax, hours, step, mean("agents"), color=_AGENTS_COLOUR, label="agents logged in (right axis)")
        if scenario is not None:
            needed = erlang_staffing(result, scenario, channel)
            _steps(
                staff_ax,
                hours,
                step,
                [None if n is None else float(n) for n in needed],
                color=_ERLANG_COLOUR,
                linestyle="--",
                label="agents Erlang needs for the target (right axis)",
            )
        count_axis(staff_ax, "agents")
        staff_ax.set_ylim(bottom=0)

        for ax in axes[row]:
            ax.set_xlabel("hour of day")
            ax.grid(alpha=0.3)
            if hours:
                ax.set_xlim(hours[0], hours[-1] + step)  # every panel of a channel spans its whole day
    legend: dict[str, Any] = {}
    for ax in figure.axes:
        for line in ax.get_lines():
            label = line.get_label()
            if not label.startswith("_") and label not in legend:
                legend[label] = line
    figure.legend(list(legend.values()), list(legend), loc="outside lower center", ncols=len(legend), fontsize="small")
    plural = "s" if reps != 1 else ""
    band = "; bands are 95% t intervals" if reps > 1 else ""
    figure.suptitle(f"{reps} replication{plural}, seed {result.seed}, by interval{band}", fontsize="medium")
    return figure
