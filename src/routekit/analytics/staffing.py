"""Staffing: the fewest agents that meet a set of targets, for one interval or a day's forecast.

Every figure a target bounds moves one way as agents are added (service level up; ASA, abandonment and
occupancy down), so the smallest staff is found by stepping out from the offered load in doubling steps
and bisecting: O(log n) evaluations of the queue model rather than a scan from one agent.

Erlang A is used when a patience is given and Erlang C otherwise; a concurrency above 1 uses the chat
model of ``routekit.analytics.concurrency``. Shrinkage (breaks, training, absence) turns the agents
needed on the phones into the agents to schedule: scheduled = ⌈required / (1 − shrinkage)⌉.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from routekit._figures import count_axis, new_figure, save
from routekit._tables import data_frame, html_table
from routekit.analytics.concurrency import chat_handle_times, erlang_chat
from routekit.analytics.erlang import (
    QueueFigures,
    _check_agents,
    _check_number,
    _check_patience,
    _offered_load,
    erlang_a,
    erlang_c,
)
from routekit.errors import ConfigError

__all__ = [
    "DEFAULT_AGENTS_MAX",
    "STAFFING_COLUMNS",
    "DayStaffing",
    "Interval",
    "IntervalStaffing",
    "Staffing",
    "Targets",
    "staff",
    "staff_day",
    "staffing_row",
]

DEFAULT_AGENTS_MAX = 100_000


def _fraction(name: str, *, low_open: bool, high_open: bool) -> Callable[[object, object, float | None], None]:
    """An attrs validator for an optional fraction, naming the target when it cannot be met."""

    def check(_instance: object, _attribute: object, value: float | None) -> None:
        if value is None:
            return
        bad = not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
        if not bad:
            bad = value < 0.0 or value > 1.0 or (low_open and value == 0.0) or (high_open and value == 1.0)
        if bad:
            low = "(0" if low_open else "[0"
            high = "1)" if high_open else "1]"
            raise ConfigError(f"target {name}={value!r} cannot be met: it must be a fraction in {low}, {high}")

    return check


def _positive_seconds(name: str) -> Callable[[object, object, float | None], None]:
    def check(_instance: object, _attribute: object, value: float | None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0.0:
            raise ConfigError(f"target {name}={value!r} cannot be met: it must be a number of seconds > 0")
        if not math.isfinite(value):
            raise ConfigError(f"target {name}={value!r} must be finite")

    return check


def _threshold(_instance: object, _attribute: object, value: float) -> None:
    _check_number("threshold", value, minimum=0.0, unit="seconds")


@attrs.frozen(kw_only=True)
class Targets:
    """What a staffing level must achieve; every target given must hold at once.

    Args:
        service_level: Share of offered contacts to answer within ``threshold`` seconds, in (0, 1).
        threshold: Seconds, for the service level (and the service level reported); 20 by default.
        max_asa: Largest acceptable average speed of answer, in seconds.
        max_abandon: Largest acceptable share of contacts that hang up, in (0, 1].
        max_occupancy: Largest acceptable share of agent capacity in use, in (0, 1].

    Raises:
        ConfigError: No target at all, or one that no staffing can meet (a service level of 1, an ASA
            or abandonment of 0, an occupancy of 0), naming it.

    >>> Targets(service_level=0.8, threshold=20).unmet_by(0.75, 12.0, 0.02, 0.9)
    ('service_level',)
    """

    service_level: float | None = attrs.field(
        default=None, validator=_fraction("service_level", low_open=True, high_open=True)
    )
    threshold: float = attrs.field(default=20.0, validator=_threshold)
    max_asa: float | None = attrs.field(default=None, validator=_positive_seconds("max_asa"))
    max_abandon: float | None = attrs.field(
        default=None, validator=_fraction("max_abandon", low_open=True, high_open=False)
    )
    max_occupancy: float | None = attrs.field(
        default=None, validator=_fraction("max_occupancy", low_open=True, high_open=False)
    )

    def __attrs_post_init__(self) -> None:
        if (self.service_level, self.max_asa, self.max_abandon, self.max_occupancy) == (None,) * 4:
            raise ConfigError("no staffing target given: set service_level, max_asa, max_abandon or max_occupancy")

    def unmet_by(self, service_level: float, asa: float, p_abandon: float, occupancy: float) -> tuple[str, ...]:
        """The names of the targets these figures miss, in field order.

        Args:
            service_level: Share answered within ``threshold``.
            asa: Average speed of answer, seconds.
            p_abandon: Share that hangs up.
            occupancy: Share of agent capacity in use.

        Returns:
            Field names such as ``("service_level", "max_asa")``; empty when every target holds.
        """
        missed = []
        if self.service_level is not None and service_level < self.service_level:
            missed.append("service_level")
        if self.max_asa is not None and asa > self.max_asa:
            missed.append("max_asa")
        if self.max_abandon is not None and p_abandon > self.max_abandon:
            missed.append("max_abandon")
        if self.max_occupancy is not None and occupancy > self.max_occupancy:
            missed.append("max_occupancy")
        return tuple(missed)

    def describe(self, name: str) -> str:
        """A target in words, e.g. ``service level 80% within 20 s``.

        Args:
            name: A field name, as ``unmet_by`` returns.

        Returns:
            The target and its value, for messages and tables.

        >>> Targets(max_abandon=0.05).describe("max_abandon")
        'abandonment at most 5%'
        """
        if name == "service_level":
            return f"service level {_percent(self.service_level)} within {self.threshold:g} s"
        if name == "max_asa":
            return f"ASA at most {self.max_asa:g} s"
        if name == "max_abandon":
            return f"abandonment at most {_percent(self.max_abandon)}"
        return f"occupancy at most {_percent(self.max_occupancy)}"


@attrs.frozen(kw_only=True)
class Staffing:
    """The fewest agents meeting the targets, and what they achieve.

    Attributes:
        agents: Agents needed on the phones (productive), the smallest number meeting every target.
        scheduled: Agents to schedule: ⌈agents / (1 − shrinkage)⌉.
        shrinkage: The share of scheduled time not spent handling contacts.
        binding: The targets that one agent fewer would miss (field names of ``Targets``), or
            ``("capacity",)`` when Erlang C needs the agents just to stay below capacity.
        figures: The queue's figures at ``agents``.
    """

    agents: int
    scheduled: int
    shrinkage: float
    binding: tuple[str, ...]
    figures: QueueFigures

    def _repr_html_(self) -> str:
        """The staffing and its figures as a one-row HTML table, for Jupyter; no pandas needed."""
        columns = [c for c in STAFFING_COLUMNS if c not in ("start", "rate", "aht", "patience")]
        return html_table(columns, [staffing_row(self)])


def _handle_times(value: object) -> object:
    """One handle time as given, or a sequence of them frozen into a tuple; checked after conversion."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return value
    return tuple(value)


@attrs.frozen(kw_only=True)
class Interval:
    """One interval of a day's forecast.

    Every value is checked when the interval is made.

    Args:
        start: A label for the interval, such as ``"08:30"``.
        rate: Arrivals in contacts per hour during the interval (per hour even for 15- or 30-minute
            intervals), at least 0.
        aht: Mean handle time in seconds; for chat, one per concurrency (see ``chat_handle_times``).
        patience: Mean patience in seconds for Erlang A, or None for Erlang C.

    Raises:
        ConfigError: A value out of range, naming the interval and the value.
    """

    start: str
    rate: float
    aht: float | tuple[float, ...] = attrs.field(converter=_handle_times)
    patience: float | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.start, str):
            raise ConfigError(f"interval start must be a label such as '08:30', got {self.start!r}")
        try:
            _check_number("rate", self.rate, minimum=0.0, unit="contacts per hour")
            count = len(self.aht) if isinstance(self.aht, tuple) else 1
            chat_handle_times(self.aht, count)
            if self.patience is not None:
                _check_patience(self.patience)
        except ConfigError as err:
            raise ConfigError(f"interval {self.start!r}: {err.message}") from None


@attrs.frozen(kw_only=True)
class IntervalStaffing:
    """One row of a day's staffing table: the interval and the staff it needs."""

    interval: Interval
    staffing: Staffing


def staff(
    rate: float,
    aht: float | Sequence[float],
    targets: Targets,
    *,
    patience: float | None = None,
    concurrency: int = 1,
    shrinkage: float = 0.0,
    agents_max: int = DEFAULT_AGENTS_MAX,
) -> Staffing:
    """The fewest agents meeting every target for one interval.

    Args:
        rate: Arrivals in contacts per hour, at least 0.
        aht: Mean handle time in seconds (for chat, optionally one per concurrency 1..k).
        targets: What the staffing must achieve.
        patience: Mean patience in seconds: Erlang A. None: Erlang C (agents must exceed the load).
        concurrency: Contacts an agent handles at once; above 1 uses the chat model.
        shrinkage: Share of scheduled time lost to breaks, training and absence, in [0, 1).
        agents_max: The most agents to consider.

    Returns:
        The required and scheduled agents, the targets that bind, and the figures achieved.

    Raises:
        ConfigError: A parameter out of range, or targets that ``agents_max`` agents cannot meet,
            naming the targets missed.

    >>> s = staff(570, 60, Targets(service_level=0.8, threshold=20), patience=120, shrinkage=0.3)
    >>> s.agents, s.scheduled, s.binding, round(s.figures.service_level, 4)
    (11, 16, ('service_level',), 0.8458)
    """
    per_hour = _check_number("rate", rate, minimum=0.0, unit="contacts per hour")
    times = chat_handle_times(aht, concurrency)
    if patience is not None:
        _check_patience(patience)
    loss = _check_number("shrinkage", shrinkage, minimum=0.0, unit="share of scheduled time")
    if loss >= 1.0:
        raise ConfigError(f"shrinkage must be a share in [0, 1), got {shrinkage!r}")
    cap = _check_agents(agents_max, "agents_max")
    if not isinstance(targets, Targets):
        raise ConfigError(f"targets must be a Targets, got {targets!r}")
    model = "erlang-c" if patience is None else "erlang-a"
    k = len(times)
    if per_hour == 0.0:
        idle = QueueFigures(
            model=model,
            agents=0,
            concurrency=k,
            load=0.0,
            threshold=float(targets.threshold),
            p_wait=0.0,
            p_abandon=0.0,
            asa=0.0,
            mean_wait=0.0,
            service_level=1.0,
            occupancy=0.0,
        )
        return Staffing(agents=0, scheduled=0, shrinkage=loss, binding=(), figures=idle)

    load = _offered_load(per_hour, times[-1], k)
    threshold = float(targets.threshold)

    def figures_at(n: int) -> QueueFigures:
        if k > 1:
            return erlang_chat(rate, times, n, k, threshold, patience=patience)
        if patience is None:
            return erlang_c(rate, times[0], n, threshold)
        return erlang_a(rate, times[0], n, patience, threshold)

    # Erlang C has no steady state at or below the load: the least staff is the next whole agent.
    lowest = math.floor(load) + 1 if patience is None else 1
    if lowest > cap:
        raise ConfigError(
            f"agents_max={cap} is below the {lowest} agents Erlang C needs for a load of {load:.6g} Erlangs"
        )
    agents, found = _smallest(figures_at, targets, lowest=lowest, highest=cap, guess=math.ceil(load))
    if agents > lowest:
        below = found.get(agents - 1) or figures_at(agents - 1)
        binding = targets.unmet_by(below.service_level, below.asa, below.p_abandon, below.occupancy)
    else:
        binding = ("capacity",) if patience is None else ()
    # Rounded first: 7 / (1 − 0.3) is 10.000000000000002 in binary and must schedule 10, not 11.
    scheduled = math.ceil(round(agents / (1.0 - loss), 9))
    return Staffing(agents=agents, scheduled=scheduled, shrinkage=loss, binding=binding, figures=found[agents])


def staff_day(
    intervals: Iterable[Interval],
    targets: Targets,
    *,
    concurrency: int = 1,
    shrinkage: float = 0.0,
    agents_max: int = DEFAULT_AGENTS_MAX,
) -> tuple[IntervalStaffing, ...]:
    """Staff every interval of a day's forecast: a table of agents per interval.

    Args:
        intervals: The forecast, in order; each interval picks Erlang A when it has a patience.
        targets: What every interval must achieve.
        concurrency: Contacts an agent handles at once; above 1 uses the chat model.
        shrinkage: Share of scheduled time lost, in [0, 1).
        agents_max: The most agents to consider per interval.

    Returns:
        One row per interval, in the forecast's order.

    Raises:
        ConfigError: A bad interval or parameter, or an interval whose targets ``agents_max`` cannot
            meet; the message names the interval.

    >>> day = [Interval(start="08:00", rate=300, aht=240, patience=120),
    ...        Interval(start="08:30", rate=450, aht=240, patience=120)]
    >>> [row.staffing.agents for row in staff_day(day, Targets(service_level=0.8))]
    [22, 32]
    """
    rows = []
    for interval in intervals:
        if not isinstance(interval, Interval):
            raise ConfigError(f"intervals must be Interval records, got {interval!r}")
        try:
            staffing = staff(
                interval.rate,
                interval.aht,
                targets,
                patience=interval.patience,
                concurrency=concurrency,
                shrinkage=shrinkage,
                agents_max=agents_max,
            )
        except ConfigError as err:
            raise ConfigError(f"interval {interval.start!r}: {err.message}") from err
        rows.append(IntervalStaffing(interval=interval, staffing=staffing))
    return tuple(rows)


def _smallest(
    figures_at: Callable[[int], QueueFigures], targets: Targets, *, lowest: int, highest: int, guess: int
) -> tuple[int, dict[int, QueueFigures]]:
    """The smallest n in [lowest, highest] whose figures meet the targets, and every figure computed.

    Meeting the targets is monotone in n, so: start at the offered load, step away from it in doubling
    steps until the answer is bracketed, then bisect the bracket.
    """
    seen: dict[int, QueueFigures] = {}

    def meets(n: int) -> bool:
        f = seen.get(n)
        if f is None:
            f = seen[n] = figures_at(n)
        return not targets.unmet_by(f.service_level, f.asa, f.p_abandon, f.occupancy)

    start = min(max(guess, lowest), highest)
    step = 1
    if meets(start):
        good, bad = start, lowest - 1
        while good > lowest:
            probe = max(good - step, lowest)
            if not meets(probe):
                bad = probe
                break
            good = probe
            step *= 2
    else:
        bad = start
        while True:
            if bad >= highest:
                f = seen[highest]
                missed = targets.unmet_by(f.service_level, f.asa, f.p_abandon, f.occupancy)
                words = ", ".join(targets.describe(name) for name in missed)
                raise ConfigError(
                    f"targets not met with agents_max={highest} agents (load {f.load:.6g} Erlangs): {words}"
                )
            probe = min(bad + step, highest)
            if meets(probe):
                good = probe
                break
            bad = probe
            step *= 2
    while good - bad > 1:
        middle = (good + bad) // 2
        if meets(middle):
            good = middle
        else:
            bad = middle
    return good, seen


def _percent(value: float | None) -> str:
    return f"{100.0 * (value or 0.0):g}%"


STAFFING_COLUMNS = (
    "start",
    "rate",
    "aht",
    "patience",
    "agents",
    "scheduled",
    "shrinkage",
    "binding",
    "model",
    "load",
    "service_level",
    "asa",
    "p_abandon",
    "occupancy",
)
"""The columns of a staffing table's rows, one row per interval (:meth:`DayStaffing.to_rows`)."""


def staffing_row(staffing: Staffing, interval: Interval | None = None) -> dict[str, Any]:
    """One staffing result as a plain row with :data:`STAFFING_COLUMNS` (the interval's, where given).

    ``aht`` is a number, or for chat the handle times per concurrency joined by ``;`` in CSV;
    ``binding`` is the binding targets as a list; a value that does not exist (an Erlang C patience) is
    ``None``.
    """
    figures = staffing.figures
    return {
        "start": None if interval is None else interval.start,
        "rate": None if interval is None else interval.rate,
        "aht": None if interval is None else interval.aht,
        "patience": None if interval is None else interval.patience,
        "agents": staffing.agents,
        "scheduled": staffing.scheduled,
        "shrinkage": staffing.shrinkage,
        "binding": list(staffing.binding),
        "model": figures.model,
        "load": figures.load,
        "service_level": figures.service_level,
        "asa": figures.asa,
        "p_abandon": figures.p_abandon,
        "occupancy": figures.occupancy,
    }


@attrs.frozen(kw_only=True)
class DayStaffing:
    """A day's staffing table (what :func:`staff_day` returns) with its targets, as data, frame and chart.

    >>> day = [Interval(start="08:00", rate=300, aht=240, patience=120),
    ...        Interval(start="08:30", rate=450, aht=240, patience=120)]
    >>> targets = Targets(service_level=0.8)
    >>> table = DayStaffing(rows=staff_day(day, targets), targets=targets)
    >>> [(row["start"], row["agents"]) for row in table.to_rows()]
    [('08:00', 22), ('08:30', 32)]
    """

    rows: tuple[IntervalStaffing, ...]
    targets: Targets

    def to_rows(self) -> list[dict[str, Any]]:
        """One plain row per interval, with :data:`STAFFING_COLUMNS`."""
        return [staffing_row(row.staffing, row.interval) for row in self.rows]

    def to_dataframe(self) -> Any:
        """:meth:`to_rows` as a ``pandas.DataFrame`` (the ``frames`` extra).

        Raises:
            ImportError: pandas is not installed; the message names the extra.
        """
        return data_frame("DayStaffing.to_dataframe", STAFFING_COLUMNS, self.to_rows())

    def _repr_html_(self) -> str:
        """The table as HTML, for Jupyter; no pandas needed."""
        return html_table(STAFFING_COLUMNS, self.to_rows(), caption=f"staffing for {_targets_caption(self.targets)}")

    def plot(self, path: str | Path) -> Path:
        """Draw the agents needed (and scheduled, with shrinkage) by interval, and the forecast rate; save it.

        Returns:
            The path written.

        Raises:
            ImportError: matplotlib is not installed (the ``plot`` extra).
        """
        figure, axes = new_figure(2, 1, what="DayStaffing.plot", width=max(6.0, 0.35 * len(self.rows)), height=2.8)
        needed_ax, rate_ax = axes[0][0], axes[1][0]
        positions = list(range(len(self.rows)))
        labels = [row.interval.start for row in self.rows]
        agents = [row.staffing.agents for row in self.rows]
        scheduled = [row.staffing.scheduled for row in self.rows]
        needed_ax.bar(positions, agents, color="tab:blue", label="agents needed (productive)")
        if scheduled != agents:
            edges = [p - 0.5 for p in positions] + [positions[-1] + 0.5]
            needed_ax.stairs(scheduled, edges, color="tab:orange", linewidth=2, label="agents to schedule (shrinkage)")
        count_axis(needed_ax, "agents")
        needed_ax.set_title(f"staffing for {_targets_caption(self.targets)}", fontsize="medium")
        needed_ax.legend(fontsize="x-small", loc="upper left")
        rate_ax.plot(positions, [row.interval.rate for row in self.rows], marker="o", markersize=3, color="tab:green")
        rate_ax.set_ylabel("forecast (contacts per hour)")
        rate_ax.set_ylim(bottom=0)
        for ax in (needed_ax, rate_ax):
            step = max(1, len(positions) // 16)
            ax.set_xticks(positions[::step], labels[::step])
            ax.set_xlabel("interval")
            ax.grid(alpha=0.3)
        return save(figure, path)


def _targets_caption(targets: Targets) -> str:
    parts = []
    if targets.service_level is not None:
        parts.append(f"{targets.service_level:.0%} within {targets.threshold:g} s")
    if targets.max_asa is not None:
        parts.append(f"ASA at most {targets.max_asa:g} s")
    if targets.max_abandon is not None:
        parts.append(f"abandonment at most {targets.max_abandon:.0%}")
    if targets.max_occupancy is not None:
        parts.append(f"occupancy at most {targets.max_occupancy:.0%}")
    return ", ".join(parts) or "no target"
