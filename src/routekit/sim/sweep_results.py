"""A sweep's results: a point per grid point with its replications' estimates, as rows, CSV, JSON, frames
and a chart."""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from routekit._figures import count_axis, kpi_axis, new_figure, save
from routekit._tables import FRAMES_EXTRA, html_table
from routekit.sim.replications import KPI_NAMES, Estimate, SummaryRow
from routekit.sim.sweep_tasks import SweepTask, TaskResult

__all__ = ["SweepFailure", "SweepPoint", "SweepResult", "describe_overrides", "plain_value"]

# ----------------------------------------------------------------------------------------- the results


@attrs.frozen(kw_only=True)
class SweepFailure:
    """A task that raised: its grid point, replication and seed, and the error.

    Attributes:
        point: The grid point's index.
        overrides: The grid point's values by key path.
        replication: The replication, 0-based.
        seed: The sweep's root seed; the run's own seed is ``SeedSequence(seed).spawn(reps)[replication]``,
            which is ``SeedSequence(seed, spawn_key=(replication,))``.
        error: The exception's type and message.
        task: The task itself, to re-run with :func:`run_task` (None only when built by hand).
    """

    point: int
    overrides: dict[str, Any]
    replication: int
    seed: int
    error: str
    task: SweepTask | None = attrs.field(default=None, eq=False, repr=False)

    def describe(self) -> str:
        """One line naming the grid point, the replication, the seed and the error.

        >>> failure = SweepFailure(point=2, overrides={"agents[0].count": 9}, replication=1, seed=7,
        ...                        error="RuntimeError: boom")
        >>> failure.describe()
        'grid point 2 (agents[0].count=9), replication 1, seed 7: RuntimeError: boom'
        """
        return (
            f"grid point {self.point} ({describe_overrides(self.overrides)}), replication {self.replication}, "
            f"seed {self.seed}: {self.error}"
        )


@attrs.frozen(kw_only=True)
class SweepPoint:
    """One grid point's KPIs over its replications: overall first, then each channel (tier ``"all"``).

    Attributes:
        index: The grid point's index.
        overrides: Its values by key path.
        runs: How many of its replications finished (the others are in ``SweepResult.failures``).
        rows: One :class:`~routekit.sim.replications.SummaryRow` per channel, ``"all"`` first.
    """

    index: int
    overrides: dict[str, Any]
    runs: int
    rows: tuple[SummaryRow, ...]

    def row(self, channel: str = "all") -> SummaryRow:
        """The summary of one channel (``"all"``: every channel together).

        Raises:
            KeyError: No replication of this grid point saw that channel.
        """
        for row in self.rows:
            if row.channel == channel:
                return row
        raise KeyError(f"grid point {self.index} has no row for channel {channel!r}")

    def kpi(self, name: str, channel: str = "all") -> Estimate:
        """One KPI's mean and 95% half-width over the replications.

        Raises:
            KeyError: An unknown KPI or channel.
        """
        return self.row(channel).kpis[name]


def describe_overrides(overrides: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{path}={value!r}" if isinstance(value, str) else f"{path}={value}" for path, value in overrides.items()
    )


def plain_value(value: Any) -> Any:
    # Grid values such as numpy.int64 would be refused by the scenario's checks and by json.
    return value.item() if isinstance(value, np.generic) else value


@attrs.frozen(kw_only=True)
class SweepResult:
    """A sweep's outcome: one :class:`SweepPoint` per grid point, every task's result, the failures.

    Attributes:
        parameters: The swept key paths, in grid order.
        reps: Replications per grid point.
        seed: The root seed.
        points: One per grid point, in the order of the grid's cartesian product.
        runs: Every task's result by task index (``point * reps + replication``); None where it failed.
            The same replication of two grid points ran on the same random numbers, so paired
            differences between grid points have less noise than independent ones.
        failures: The tasks that raised, in task order.
    """

    parameters: tuple[str, ...]
    reps: int
    seed: int
    points: tuple[SweepPoint, ...]
    runs: tuple[TaskResult | None, ...] = attrs.field(repr=False)
    failures: tuple[SweepFailure, ...] = ()

    def point(self, index: int) -> SweepPoint:
        """The grid point of that index."""
        return self.points[index]

    def channels(self) -> tuple[str, ...]:
        """Every channel a grid point has a row for, ``"all"`` first."""
        seen: dict[str, None] = {}
        for point in self.points:
            for row in point.rows:
                seen.setdefault(row.channel, None)
        return tuple(seen)

    def _repr_html_(self) -> str:
        """The overall KPIs per grid point as an HTML table, for Jupyter; no pandas needed."""
        return html_table(
            self.columns(),
            self.to_rows("all"),
            caption=f"{len(self.points)} grid points x {self.reps} replications, seed {self.seed}",
        )

    def columns(self) -> tuple[str, ...]:
        """The tidy table's columns: the parameters, ``channel``, ``runs``, then each KPI's mean and ci95."""
        kpis = (f"{name}_{part}" for name in KPI_NAMES for part in ("mean", "ci95"))
        return (*self.parameters, "channel", "runs", *kpis)

    def to_rows(self, channel: str | None = "all") -> list[dict[str, Any]]:
        """The tidy table as dicts: one row per grid point for one channel, or per (point, channel).

        Args:
            channel: ``"all"`` (the overall row, the default), a channel's name, or None for every
                channel's row of every grid point.

        Raises:
            KeyError: No grid point has a row for that channel.
        """
        names = self.channels() if channel is None else (channel,)
        if channel is not None and channel not in self.channels():
            raise KeyError(f"no grid point has a row for channel {channel!r}; have {', '.join(self.channels())}")
        rows = []
        for point in self.points:
            for name in names:
                try:
                    summary: SummaryRow | None = point.row(name)
                except KeyError:
                    summary = None
                if summary is None and channel is None:
                    continue
                row: dict[str, Any] = dict(point.overrides)
                row["channel"] = name
                row["runs"] = point.runs
                for kpi in KPI_NAMES:
                    value = summary.kpis[kpi] if summary is not None else Estimate(None, None, 0)
                    row[f"{kpi}_mean"] = value.mean
                    row[f"{kpi}_ci95"] = value.ci95
                rows.append(row)
        return rows

    def to_csv(self, channel: str | None = "all") -> str:
        """The tidy table as CSV with a header row; an undefined KPI is an empty cell."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = self.columns()
        writer.writerow(columns)
        for row in self.to_rows(channel):
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
        return out.getvalue()

    def to_json(self) -> str:
        """Every grid point with every channel's KPIs as ``{"mean": x, "ci95": h}``, and the failures."""
        points = [
            {
                "point": point.index,
                "overrides": point.overrides,
                "runs": point.runs,
                "kpis": {
                    row.channel: {
                        name: {"mean": row.kpis[name].mean, "ci95": row.kpis[name].ci95} for name in KPI_NAMES
                    }
                    for row in point.rows
                },
            }
            for point in self.points
        ]
        failures = [
            {
                "point": failure.point,
                "overrides": failure.overrides,
                "replication": failure.replication,
                "seed": failure.seed,
                "error": failure.error,
            }
            for failure in self.failures
        ]
        document = {
            "parameters": list(self.parameters),
            "reps": self.reps,
            "seed": self.seed,
            "points": points,
            "failures": failures,
        }
        return json.dumps(document, indent=2, default=str) + "\n"

    def to_dataframe(self, channel: str | None = "all") -> Any:
        """The tidy table as a ``pandas.DataFrame`` (pandas is imported only here).

        Raises:
            ImportError: pandas is not installed.
        """
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise ImportError(f"SweepResult.to_dataframe needs pandas: pip install '{FRAMES_EXTRA}'") from None
        return pandas.DataFrame(self.to_rows(channel), columns=list(self.columns()))

    def plot(
        self,
        path: str | Path,
        kpis: Sequence[str] = ("service_level", "abandon_rate"),
        *,
        channel: str = "all",
    ) -> Path:
        """Draw each KPI against each swept parameter with its 95% band, and save the figure.

        One column per parameter and one row per KPI. Each line holds the other parameters fixed (one
        line per combination of their values); the band is the mean ± the 95% half-width. It draws on
        matplotlib's Agg canvas (the ``plot`` extra) and leaves pyplot's global state alone.

        Args:
            path: Where to save; the suffix picks the format (``.png``, ``.svg``, ``.pdf``).
            kpis: Which KPIs, by their names in :data:`~routekit.sim.replications.KPI_NAMES`.
            channel: Whose KPIs (``"all"``: every channel together).

        Returns:
            The path written.

        Raises:
            ImportError: matplotlib is not installed.
            KeyError: An unknown KPI.
        """
        for name in kpis:
            if name not in KPI_NAMES:
                raise KeyError(f"unknown KPI {name!r}; expected one of {', '.join(KPI_NAMES)}")
        width = max(6.0 / len(self.parameters), 4.2)
        figure, axes = new_figure(len(kpis), len(self.parameters), what="SweepResult.plot", width=width, height=3.0)
        for column, parameter in enumerate(self.parameters):
            others = [p for p in self.parameters if p != parameter]
            lines: dict[tuple[Any, ...], list[SweepPoint]] = {}
            for point in self.points:
                lines.setdefault(tuple(repr(point.overrides[p]) for p in others), []).append(point)
            values = list(dict.fromkeys(point.overrides[parameter] for point in self.points))
            numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
            for row, name in enumerate(kpis):
                ax = axes[row][column]
                for key, points in lines.items():
                    xs, means, lows, highs = [], [], [], []
                    for point in points:
                        if channel not in {r.channel for r in point.rows}:
                            continue
                        value = point.kpi(name, channel)
                        if value.mean is None:
                            continue
                        x = point.overrides[parameter]
                        half = value.ci95 or 0.0
                        xs.append(float(x) if numeric else float(values.index(x)))
                        means.append(value.mean)
                        lows.append(value.mean - half)
                        highs.append(value.mean + half)
                    order = sorted(range(len(xs)), key=xs.__getitem__)
                    xs, means = [xs[i] for i in order], [means[i] for i in order]
                    lows, highs = [lows[i] for i in order], [highs[i] for i in order]
                    label = ", ".join(f"{p}={v}" for p, v in zip(others, key, strict=True)) or None
                    (line,) = ax.plot(xs, means, marker="o", markersize=3, label=label)
                    ax.fill_between(xs, lows, highs, alpha=0.2, color=line.get_color(), linewidth=0)
                if not numeric:
                    ax.set_xticks(range(len(values)), [str(v) for v in values])
                    ax.set_xlabel(parameter)
                elif all(isinstance(v, int) for v in values):
                    count_axis(ax, parameter, axis="x")  # agents, windows in whole seconds: no 5.5 agents
                else:
                    ax.set_xlabel(parameter)
                kpi_axis(ax, name, "" if channel == "all" else f", {channel}")
                ax.grid(alpha=0.3)
                if others and 1 < len(lines) <= 8 and row == 0:
                    ax.legend(fontsize="x-small")
        figure.suptitle(
            f"{self.reps} replications per point, seed {self.seed}; bands are 95% t intervals",
            fontsize="medium",
        )
        return save(figure, path, dpi=110)
