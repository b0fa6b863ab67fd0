"""Replications of a scenario: independent runs from spawned seeds, summarised with 95% t intervals.

A :class:`SimulationResult` is data first (``rows``, ``intervals()``), then tables: ``to_rows`` and
``interval_rows`` give plain rows, long (tidy: one value per row) or wide (one row per channel and tier,
or per channel, tier and interval, with a ``_mean`` and a ``_ci95`` column per KPI); ``to_dataframe`` and
``intervals_dataframe`` give the same as pandas frames (the ``frames`` extra); in Jupyter a result shows
as an HTML table without pandas.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from routekit._tables import data_frame, html_table
from routekit.metrics import KpiReport, KpiRow
from routekit.policies.base import RoutingPolicy
from routekit.sim.engine import DayResult, run_day
from routekit.sim.scenario import Scenario

__all__ = [
    "INTERVAL_KPI_NAMES",
    "KPI_NAMES",
    "Estimate",
    "IntervalSummary",
    "SimulationResult",
    "SummaryRow",
    "estimate",
    "simulate",
    "summarize",
]

KPI_NAMES = (
    "offered",
    "handled",
    "abandoned",
    "abandon_rate",
    "service_level",
    "asa",
    "p_wait",
    "aht",
    "max_wait",
    "occupancy",
    "slot_utilisation",
    "sticky_hit_rate",
    "denied",
    "denied_with_fallback",
    "denied_queue_full",
    "retrials",
    "expected_wait_bias",
    "expected_wait_mae",
)

INTERVAL_KPI_NAMES = (
    "offered",
    "handled",
    "abandoned",
    "abandon_rate",
    "service_level",
    "asa",
    "occupancy",
    "agents",
)
"""The KPIs of each interval: those of :class:`~routekit.metrics.IntervalKpis`, and ``abandon_rate``."""

LONG_COLUMNS = ("replication", "channel", "tier", "kpi", "value")
INTERVAL_LONG_COLUMNS = ("replication", "channel", "tier", "start", "end", "kpi", "value")


@attrs.frozen
class Estimate:
    """A KPI's mean over replications and the half-width of its 95% t interval (``None`` for one replication)."""

    mean: float | None
    ci95: float | None
    n: int


def estimate(values: Sequence[float | None]) -> Estimate:
    """The mean and the 95% t-interval half-width of the defined values.

    >>> result = estimate([1.0, 2.0, 3.0])
    >>> result.mean, round(result.ci95, 4), result.n
    (2.0, 2.4841, 3)
    >>> estimate([None, 5.0])
    Estimate(mean=5.0, ci95=None, n=1)
    """
    defined = [float(v) for v in values if v is not None]
    if not defined:
        return Estimate(None, None, 0)
    n = len(defined)
    mean = math.fsum(defined) / n
    if n == 1:
        return Estimate(mean, None, 1)  # one value has no spread to measure: no interval, not a zero one
    sd = float(np.std(defined, ddof=1))
    return Estimate(mean, _t975(n - 1) * sd / math.sqrt(n), n)


@functools.lru_cache(maxsize=256)
def _t975(degrees: int) -> float:
    # scipy's ppf costs ~0.1 ms a call and a sweep summarises thousands of rows with few distinct counts.
    from scipy import stats  # imported here: scipy.stats takes ~0.5 s to load, and one run needs none of it

    return float(stats.t.ppf(0.975, degrees))


@attrs.frozen
class SummaryRow:
    """One channel and tier's KPIs across replications."""

    channel: str
    tier: str
    kpis: dict[str, Estimate]


@attrs.frozen
class IntervalSummary:
    """One channel and tier's KPIs in one interval (seconds since the run began), across replications."""

    channel: str
    tier: str
    start: float
    end: float
    kpis: dict[str, Estimate]


def _interval_value(interval: Any, name: str) -> float | None:
    if name == "abandon_rate":
        return interval.abandoned / interval.offered if interval.offered else None
    value: float | None = getattr(interval, name)
    return value


def _wide(kpis: dict[str, Estimate], names: Sequence[str]) -> dict[str, float | None]:
    row: dict[str, float | None] = {}
    for name in names:
        row[f"{name}_mean"] = kpis[name].mean
        row[f"{name}_ci95"] = kpis[name].ci95
    return row


@attrs.frozen
class SimulationResult:
    """Every replication's result and the summary across them.

    Attributes:
        seed: The root seed.
        runs: Each replication's result.
        rows: The KPIs per channel and tier across replications.
        targets: Channel to its service-level threshold in seconds and target share (the scenario's
            ``service_level`` and ``service_level_target``), for the charts.
        start_hour: The clock hour at simulated second 0 (``run.start``), for the charts.
    """

    seed: int
    runs: tuple[DayResult, ...]
    rows: tuple[SummaryRow, ...]
    targets: dict[str, tuple[float, float]] = attrs.field(factory=dict)
    start_hour: float = 0.0

    def columns(self, kind: str = "long") -> tuple[str, ...]:
        """The columns of :meth:`to_rows` of that kind.

        Raises:
            ValueError: A kind other than ``"long"`` and ``"wide"``.
        """
        if _kind(kind) == "long":
            return LONG_COLUMNS
        return ("channel", "tier", *(f"{name}_{part}" for name in KPI_NAMES for part in ("mean", "ci95")))

    def to_rows(self, kind: str = "long") -> list[dict[str, Any]]:
        """The KPIs as plain rows.

        ``"long"`` (tidy): one row per replication, channel, tier and KPI, with columns ``replication``,
        ``channel``, ``tier``, ``kpi`` and ``value`` (``None`` where the KPI has no value).
        ``"wide"``: one row per channel and tier, each KPI as ``<kpi>_mean`` and ``<kpi>_ci95`` (the
        half-width of the 95% t interval over replications, ``None`` with one replication).

        Raises:
            ValueError: A kind other than ``"long"`` and ``"wide"``.
        """
        if _kind(kind) == "wide":
            return [{"channel": row.channel, "tier": row.tier, **_wide(row.kpis, KPI_NAMES)} for row in self.rows]
        return [
            {"replication": r, "channel": row.channel, "tier": row.tier, "kpi": name, "value": getattr(row, name)}
            for r, run in enumerate(self.runs)
            for row in run.report.rows
            for name in KPI_NAMES
        ]

    def to_dataframe(self, kind: str = "long") -> Any:
        """:meth:`to_rows` as a ``pandas.DataFrame`` (the ``frames`` extra), with :meth:`columns`.

        Raises:
            ImportError: pandas is not installed; the message names the extra.
            ValueError: A kind other than ``"long"`` and ``"wide"``.
        """
        return data_frame("SimulationResult.to_dataframe", self.columns(kind), self.to_rows(kind))

    def intervals(self, channel: str = "all", tier: str = "all") -> tuple[IntervalSummary, ...]:
        """One channel and tier's KPIs per interval, across replications, in time order (none for a row of
        contacts all denied at submit, which never entered an interval).

        Raises:
            KeyError: No replication has that row.
        """
        self.row(channel, tier)  # a row no replication has is a KeyError; a row of denials alone has no interval
        return tuple(s for s in self._interval_summaries() if (s.channel, s.tier) == (channel, tier))

    def interval_columns(self, kind: str = "long") -> tuple[str, ...]:
        """The columns of :meth:`interval_rows` of that kind."""
        if _kind(kind) == "long":
            return INTERVAL_LONG_COLUMNS
        parts = (f"{name}_{part}" for name in INTERVAL_KPI_NAMES for part in ("mean", "ci95"))
        return ("channel", "tier", "start", "end", *parts)

    def interval_rows(self, kind: str = "long") -> list[dict[str, Any]]:
        """The KPIs per interval as plain rows; ``start`` and ``end`` are seconds since the run began.

        ``"long"`` (tidy): one row per replication, channel, tier, interval and KPI of
        :data:`INTERVAL_KPI_NAMES`, with columns ``replication``, ``channel``, ``tier``, ``start``,
        ``end``, ``kpi`` and ``value``. ``"wide"``: one row per channel, tier and interval, each KPI as
        ``<kpi>_mean`` and ``<kpi>_ci95``. ``occupancy`` and ``agents`` have values on the rows of every
        tier (``tier == "all"``) only.
        """
        if _kind(kind) == "wide":
            return [
                {
                    "channel": s.channel,
                    "tier": s.tier,
                    "start": s.start,
                    "end": s.end,
                    **_wide(s.kpis, INTERVAL_KPI_NAMES),
                }
                for s in self._interval_summaries()
            ]
        return [
            {
                "replication": r,
                "channel": row.channel,
                "tier": row.tier,
                "start": interval.start,
                "end": interval.end,
                "kpi": name,
                "value": _interval_value(interval, name),
            }
            for r, run in enumerate(self.runs)
            for row in run.report.rows
            for interval in row.intervals
            for name in INTERVAL_KPI_NAMES
        ]

    def intervals_dataframe(self, kind: str = "long") -> Any:
        """:meth:`interval_rows` as a ``pandas.DataFrame`` (the ``frames`` extra).

        Raises:
            ImportError: pandas is not installed; the message names the extra.
        """
        return data_frame("SimulationResult.intervals_dataframe", self.interval_columns(kind), self.interval_rows(kind))

    def _interval_summaries(self) -> list[IntervalSummary]:
        order: list[tuple[str, str, float, float]] = []
        values: dict[tuple[str, str, float, float], list[Any]] = {}
        for run in self.runs:
            for row in run.report.rows:
                for interval in row.intervals:
                    key = (row.channel, row.tier, interval.start, interval.end)
                    if key not in values:
                        order.append(key)
                        values[key] = []
                    values[key].append(interval)
        # Rows in the first report's order, each row's intervals by time.
        rank = {pair: i for i, pair in enumerate(dict.fromkeys((c, t) for c, t, _, _ in order))}
        order.sort(key=lambda key: (rank[(key[0], key[1])], key[2]))
        summaries = []
        for key in order:
            kpis = {name: estimate([_interval_value(i, name) for i in values[key]]) for name in INTERVAL_KPI_NAMES}
            summaries.append(IntervalSummary(*key, kpis))
        return summaries

    def _repr_html_(self) -> str:
        """The main KPIs per channel and tier as an HTML table, for Jupyter; no pandas needed."""
        shown = ("offered", "handled", "denied", "abandon_rate", "service_level", "asa", "occupancy")
        rows = [{"channel": r.channel, "tier": r.tier, **{k: r.kpis[k].mean for k in shown}} for r in self.rows]
        reps = len(self.runs)
        caption = f"{reps} replication{'s' if reps != 1 else ''}, seed {self.seed}: means over replications"
        return html_table(("channel", "tier", *shown), rows, caption=caption)

    def plot(self, path: Any, **options: Any) -> Any:
        """Draw the day chart (:func:`routekit.sim.charts.plot`) and save it to ``path``."""
        from routekit.sim.charts import plot

        return plot(self, path, **options)

    def row(self, channel: str = "all", tier: str = "all") -> SummaryRow:
        """The summary row of one channel and tier (``"all"`` totals).

        Raises:
            KeyError: No replication has that row.
        """
        for row in self.rows:
            if row.channel == channel and row.tier == tier:
                return row
        raise KeyError(f"no row for channel {channel!r} and tier {tier!r}")


def _kind(kind: str) -> str:
    if kind not in ("long", "wide"):
        raise ValueError(f"unknown table kind {kind!r}; expected 'long' or 'wide'")
    return kind


def summarize(reports: Sequence[KpiReport]) -> tuple[SummaryRow, ...]:
    """Each (channel, tier) row's KPIs as estimates over the reports, in the first report's row order."""
    order: list[tuple[str, str]] = []
    by_key: dict[tuple[str, str], list[KpiRow]] = {}
    for report in reports:
        for row in report.rows:
            key = (row.channel, row.tier)
            if key not in by_key:
                order.append(key)
                by_key[key] = []
            by_key[key].append(row)
    return tuple(
        SummaryRow(
            channel,
            tier,
            {name: estimate([getattr(r, name) for r in by_key[(channel, tier)]]) for name in KPI_NAMES},
        )
        for channel, tier in order
    )


def simulate(
    scenario: Scenario,
    *,
    reps: int = 1,
    seed: int = 0,
    customers: int | None = None,
    progress: Callable[[int], None] | None = None,
    policy: RoutingPolicy | None = None,
) -> SimulationResult:
    """Run ``reps`` independent replications, each from a ``SeedSequence(seed).spawn`` child.

    Args:
        scenario: What to simulate.
        reps: How many replications.
        seed: The root seed; the same scenario and seed give the same numbers.
        customers: Stop each run's arrivals after this many customers.
        progress: Called with 1 after each replication (a progress bar's ``update``).
        policy: Run this policy instead of the scenario's ``[policy]`` (see :func:`run_day`).
    """
    runs = []
    for child in np.random.SeedSequence(seed).spawn(reps):
        runs.append(run_day(scenario, child, customers=customers, policy=policy))
        if progress is not None:
            progress(1)
    targets = {
        name: (spec.service_level, spec.service_level_target)
        for name, spec in scenario.channels.items()
        if spec.service_level is not None
    }
    return SimulationResult(seed, tuple(runs), summarize([run.report for run in runs]), targets, scenario.run.start)
