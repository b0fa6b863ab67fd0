"""Replications of a scenario: independent runs from spawned seeds, summarised with 95% t intervals."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import attrs
import numpy as np

from routekit.metrics import KpiReport, KpiRow
from routekit.policies.base import RoutingPolicy
from routekit.sim.engine import DayResult, run_day
from routekit.sim.scenario import Scenario

__all__ = ["KPI_NAMES", "Estimate", "SimulationResult", "SummaryRow", "estimate", "simulate", "summarize"]

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
    "expected_wait_bias",
    "expected_wait_mae",
)


@attrs.frozen
class Estimate:
    """A KPI's mean over replications and the half-width of its 95% t interval (0 for one replication)."""

    mean: float | None
    ci95: float | None
    n: int


def estimate(values: Sequence[float | None]) -> Estimate:
    """The mean and the 95% t-interval half-width of the defined values.

    >>> result = estimate([1.0, 2.0, 3.0])
    >>> result.mean, round(result.ci95, 4), result.n
    (2.0, 2.4841, 3)
    >>> estimate([None, 5.0])
    Estimate(mean=5.0, ci95=0.0, n=1)
    """
    defined = [float(v) for v in values if v is not None]
    if not defined:
        return Estimate(None, None, 0)
    n = len(defined)
    mean = math.fsum(defined) / n
    if n == 1:
        return Estimate(mean, 0.0, 1)
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
class SimulationResult:
    """Every replication's result and the summary across them."""

    seed: int
    runs: tuple[DayResult, ...]
    rows: tuple[SummaryRow, ...]

    def row(self, channel: str = "all", tier: str = "all") -> SummaryRow:
        """The summary row of one channel and tier (``"all"`` totals).

        Raises:
            KeyError: No replication has that row.
        """
        for row in self.rows:
            if row.channel == channel and row.tier == tier:
                return row
        raise KeyError(f"no row for channel {channel!r} and tier {tier!r}")


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
    return SimulationResult(seed, tuple(runs), summarize([run.report for run in runs]))
