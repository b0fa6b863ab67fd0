"""The matplotlib plumbing every routekit chart shares: an Agg figure, axes for shares and for counts.

matplotlib is the ``plot`` extra; it is imported only when a chart is drawn, and pyplot's global state is
left alone (each figure has its own Agg canvas), so charts can be drawn from worker processes and tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["KPI_AXES", "PLOT_EXTRA", "count_axis", "kpi_axis", "new_figure", "percent_axis", "save"]

PLOT_EXTRA = "routekit[plot]"
"""The extra that installs matplotlib, named in the error raised without it."""


KPI_AXES: dict[str, tuple[str, str]] = {
    "offered": ("offered (contacts)", "count"),
    "handled": ("handled (contacts)", "count"),
    "abandoned": ("abandoned (contacts)", "count"),
    "denied": ("denied (contacts)", "count"),
    "denied_with_fallback": ("denied with a fallback (contacts)", "count"),
    "denied_queue_full": ("denied by a full queue (contacts)", "count"),
    "retrials": ("retrials (contacts)", "count"),
    "abandon_rate": ("abandoned", "share"),
    "service_level": ("service level", "share"),
    "p_wait": ("waited", "share"),
    "occupancy": ("occupancy", "share"),
    "slot_utilisation": ("slot utilisation", "share"),
    "sticky_hit_rate": ("sticky hits", "share"),
    "asa": ("ASA (s)", "seconds"),
    "aht": ("AHT (s)", "seconds"),
    "max_wait": ("longest wait (s)", "seconds"),
    "expected_wait_bias": ("expected wait bias (s)", "seconds"),
    "expected_wait_mae": ("expected wait error (s)", "seconds"),
    "agents": ("agents", "count"),
}
"""A KPI's axis label and kind: ``count`` (whole-number ticks), ``share`` (shown in %) or ``seconds``."""


def kpi_axis(ax: Any, name: str, suffix: str = "") -> None:
    """Label the y axis for a KPI by its name: a share in percent, a count with whole-number ticks."""
    label, kind = KPI_AXES.get(name, (name.replace("_", " "), "seconds"))
    if kind == "share":
        percent_axis(ax, label + suffix)
        ax.set_ylim(auto=True)
    elif kind == "count":
        count_axis(ax, label + suffix)
    else:
        ax.set_ylabel(label + suffix)


def new_figure(rows: int, columns: int, *, what: str, width: float = 4.0, height: float = 2.8) -> tuple[Any, Any]:
    """A constrained-layout figure on its own Agg canvas and its grid of axes (always two-dimensional).

    Raises:
        ImportError: matplotlib is not installed; the message names ``what`` and the extra.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"{what} needs matplotlib: pip install '{PLOT_EXTRA}'") from None
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(rows, columns, squeeze=False)


def percent_axis(ax: Any, label: str, *, top: float | None = None) -> None:
    """Label the y axis as a percentage of shares in [0, 1]: ticks read ``80%``, the label says ``(%)``."""
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel(f"{label} (%)")
    ax.set_ylim(bottom=0.0, top=top)


def count_axis(ax: Any, label: str, axis: str = "y") -> None:
    """Label an axis of counts (agents, contacts) and give it whole-number ticks only."""
    from matplotlib.ticker import MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(integer=True))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def save(figure: Any, path: str | Path, dpi: int = 100) -> Path:
    """Save the figure; the suffix of ``path`` picks the format (``.png``, ``.svg``, ``.pdf``)."""
    target = Path(path)
    figure.savefig(target, dpi=dpi)
    return target
