"""The KPI report: a frozen row per channel, tier, (channel, tier) and interval.

:func:`kpi_row` turns the counts of a tally into KPIs (service level, ASA, abandonment, P(wait), AHT, the
expected-wait error, ...) through the definitions in :mod:`routekit.kpis`, which the live
:class:`~routekit.metrics.CumulativeStatistics` share; the collector (:mod:`routekit.metrics.collector`)
only counts.
"""

from __future__ import annotations

import attrs

from routekit import kpis
from routekit.errors import UnknownIdError

# ratio was defined here before routekit.kpis; the name stays importable from here for the code that uses it.
from routekit.kpis import ratio as ratio
from routekit.metrics.tallies import _Tally
from routekit.models.channel import Channel

__all__ = ["ALL", "IntervalKpis", "KpiReport", "KpiRow", "kpi_row", "summary_table"]

ALL = "all"
"""The channel or tier name of a row that totals over every channel or tier."""


# ---------------------------------------------------------------------------------------------------
# The frozen report


@attrs.frozen(kw_only=True)
class IntervalKpis:
    """Contact KPIs for the contacts first queued in ``[start, end)``."""

    start: float
    end: float
    offered: int
    handled: int
    abandoned: int
    service_level: float | None
    asa: float | None
    occupancy: float | None = None
    agents: float | None = None


@attrs.frozen(kw_only=True)
class KpiRow:
    """The KPIs of one channel and tier (``"all"`` for totals); each is defined in :mod:`routekit.metrics`."""

    channel: str
    tier: str
    offered: int
    handled: int
    abandoned: int
    denied: int
    denied_with_fallback: int
    denied_queue_full: int
    retrials: int
    denied_closed: int
    denied_after_queue: int
    still_waiting: int
    abandon_rate: float | None
    service_level: float | None
    asa: float | None
    p_wait: float | None
    aht: float | None
    max_wait: float | None
    sticky_hit_rate: float | None
    expected_wait_bias: float | None
    expected_wait_mae: float | None
    occupancy: float | None
    slot_utilisation: float | None
    intervals: tuple[IntervalKpis, ...] = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class KpiReport:
    """The KPIs at ``until``: overall first, then per channel, per tier, and per (channel, tier)."""

    until: float
    interval: float
    warmup_contacts: int
    rows: tuple[KpiRow, ...]

    @property
    def overall(self) -> KpiRow:
        """The row totalling every channel and tier."""
        return self.rows[0]

    def row(self, channel: Channel | str = ALL, tier: str = ALL) -> KpiRow:
        """The row of one channel and tier; ``"all"`` totals over that dimension.

        Raises:
            UnknownIdError: No contact of that channel and tier was observed.
        """
        for row in self.rows:
            if row.channel == channel and row.tier == tier:
                return row
        raise UnknownIdError(f"no KPI row for channel {str(channel)!r} and tier {tier!r}")


def summary_table(report: KpiReport) -> str:
    """A fixed-width text table of the main KPIs, one line per row of ``report``; ``-`` where undefined.

    >>> from routekit.metrics import KpiCollector
    >>> print(summary_table(KpiCollector().report(until=0.0)))
    channel    tier        offered  handled  abandon %   SL %   ASA s  occupancy %
    all        all               0        0          -      -       -            -
    """

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}"

    def sec(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    lines = [
        f"{'channel':<10} {'tier':<10} {'offered':>8} {'handled':>8} {'abandon %':>10} {'SL %':>6}"
        f" {'ASA s':>7} {'occupancy %':>12}"
    ]
    for row in report.rows:
        lines.append(
            f"{row.channel:<10} {row.tier:<10} {row.offered:>8} {row.handled:>8}"
            f" {pct(row.abandon_rate):>10} {pct(row.service_level):>6} {sec(row.asa):>7}"
            f" {pct(row.occupancy):>12}"
        )
    return "\n".join(lines)


def kpi_row(
    channel: str,
    tier: str,
    t: _Tally,
    occupancy: float | None,
    slot_utilisation: float | None,
    intervals: tuple[IntervalKpis, ...],
) -> KpiRow:
    return KpiRow(
        channel=channel,
        tier=tier,
        offered=t.offered,
        handled=t.handled,
        abandoned=t.abandoned,
        denied=t.denied,
        denied_with_fallback=t.denied_with_fallback,
        denied_queue_full=t.denied_queue_full,
        retrials=t.retrials,
        denied_closed=t.denied_closed,
        denied_after_queue=t.denied_after_queue,
        still_waiting=t.still_waiting,
        abandon_rate=kpis.abandon_rate(t.abandoned, t.offered),
        service_level=kpis.service_level(t.sl_answered, t.sl_offered - t.sl_undecided),
        asa=kpis.average_speed_of_answer(t.wait_sum, t.handled),
        p_wait=kpis.p_wait(t.offered, t.immediate),
        aht=kpis.average_handle_time(t.aht_sum, t.aht_n),
        max_wait=t.wait_max if t.offered else None,
        sticky_hit_rate=kpis.sticky_hit_rate(t.sticky_hits, t.sticky_turns),
        expected_wait_bias=kpis.mean_error(t.estimate_error_sum, t.estimates),
        expected_wait_mae=kpis.mean_error(t.estimate_abs_error_sum, t.estimates),
        occupancy=occupancy,
        slot_utilisation=slot_utilisation,
        intervals=intervals,
    )
