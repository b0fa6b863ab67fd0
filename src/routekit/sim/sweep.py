"""Sweeps: a scenario run over a grid of overrides x replications, on any ``concurrent.futures`` Executor.

A grid maps dotted key paths (the paths :func:`~routekit.sim.scenario.override` reads) to lists of
values; the cartesian product of the lists gives the grid points, and every grid point runs ``reps``
replications. Each (grid point, replication) is one pure task, a :class:`SweepTask` holding the
scenario's plain source data, the folder its relative paths are read from, the overrides and the seed.
:func:`run_task`, a top-level function, rebuilds the scenario with ``override`` wherever it runs and
simulates one day, so the numbers do not depend on where or in what order the tasks ran: serially, on a
local process pool (the default) or on a Dask cluster through ``Client.get_executor()``. routekit
schedules nothing of its own.

>>> from routekit.sim.scenario import scenario_from_dict
>>> scenario = scenario_from_dict({
...     "run": {"customers": 200},
...     "channel": [{"name": "voice", "service_level": 20,
...                  "handle_time": {"dist": "exponential", "mean": 60},
...                  "patience": {"dist": "exponential", "mean": 120}}],
...     "arrivals": [{"channel": "voice", "rate": 570}],
...     "agents": [{"count": 10, "capacity": {"voice": 1}}],
... })
>>> result = sweep(scenario, {"agents[0].count": [9, 12]}, reps=2, seed=1, executor=SerialExecutor())
>>> [(row["agents[0].count"], row["runs"]) for row in result.to_rows()]
[(9, 2), (12, 2)]
>>> result.point(1).kpi("abandon_rate").mean < result.point(0).kpi("abandon_rate").mean
True
"""

from __future__ import annotations

import concurrent.futures
import csv
import importlib
import io
import itertools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs
import numpy as np

from routekit._figures import count_axis, kpi_axis, new_figure, save
from routekit._tables import FRAMES_EXTRA, html_table
from routekit.errors import ConfigError, ScenarioError
from routekit.policies.base import RoutingPolicy
from routekit.sim.engine import run_day
from routekit.sim.replications import KPI_NAMES, Estimate, SummaryRow, estimate
from routekit.sim.scenario import Scenario, override, scenario_from_dict

__all__ = [
    "SerialExecutor",
    "SweepFailure",
    "SweepPoint",
    "SweepResult",
    "SweepTask",
    "TaskResult",
    "run_task",
    "sweep",
]

_P = ParamSpec("_P")
_T = TypeVar("_T")

Overrides = tuple[tuple[str, Any], ...]


# ------------------------------------------------------------------------------------------- the tasks


@attrs.frozen(kw_only=True)
class SweepTask:
    """One (grid point, replication): everything a worker needs, as plain picklable data.

    Attributes:
        index: The task's position, ``point * reps + replication``; results are collected by it.
        point: The grid point's index in the cartesian product of the grid's lists.
        replication: The replication, 0-based.
        overrides: ``(key path, value)`` pairs applied to the scenario, in grid order.
        seed: The sweep's root seed.
        spawn_key: The replication's key among ``SeedSequence(seed).spawn(reps)``, ``(replication,)``.
        source: The base scenario's plain data (what ``tomllib`` returned).
        base: The folder the scenario's relative paths (empirical CSVs) are read from.
        customers: Stop each run's arrivals after this many customers (None: the scenario's own limit).
        policy: A policy to run instead of the scenario's ``[policy]`` (it must pickle to reach a worker).
    """

    index: int
    point: int
    replication: int
    overrides: Overrides
    seed: int
    spawn_key: tuple[int, ...]
    source: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    base: Path | None = attrs.field(default=None, eq=False, repr=False)
    customers: int | None = None
    policy: RoutingPolicy | None = attrs.field(default=None, eq=False, repr=False)

    def seed_sequence(self) -> np.random.SeedSequence:
        """A fresh copy of the replication's seed, ``SeedSequence(seed).spawn(reps)[replication]``.

        Fresh at every call because spawning from a ``SeedSequence`` advances it: a run handed the same
        object twice would draw different numbers the second time.
        """
        return np.random.SeedSequence(self.seed, spawn_key=self.spawn_key)


@attrs.frozen(kw_only=True)
class TaskResult:
    """What one task sends back: only the KPIs of the overall and per-channel rows, not the whole report.

    A full :class:`~routekit.sim.engine.DayResult` of the built-in day pickles to about 45 kB, most of it
    per-interval KPIs; these rows are a few hundred bytes, which matters when thousands come back over
    a network to one client.

    Attributes:
        index: The task's index.
        customers: How many customers arrived.
        events: How many events the router returned.
        rows: ``(channel, values)`` per row with tier ``"all"`` (``"all"`` first), the values in
            :data:`~routekit.sim.replications.KPI_NAMES` order.
    """

    index: int
    customers: int
    events: int
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]


def _scenario(source: Mapping[str, Any], base: Path | None, overrides: Overrides) -> Scenario:
    scenario = scenario_from_dict(source, base=base)
    for path, value in overrides:
        scenario = override(scenario, path, value)
    return scenario


def run_task(task: SweepTask) -> TaskResult:
    """Rebuild the task's scenario with its overrides and simulate one day; pure, so it runs anywhere.

    A worker needs only routekit installed (the same version as the client, or the numbers may differ).
    Re-run a failed task where a debugger can see it with ``run_task(failure.task)``.

    Raises:
        ScenarioError: An override is refused (a sweep checks every grid point before it starts, so
            only a worker that reads files differently can get here).
    """
    scenario = _scenario(task.source, task.base, task.overrides)
    day = run_day(scenario, task.seed_sequence(), customers=task.customers, policy=task.policy)
    rows = tuple(
        (row.channel, tuple(getattr(row, name) for name in KPI_NAMES)) for row in day.report.rows if row.tier == "all"
    )
    return TaskResult(index=task.index, customers=day.customers, events=day.events, rows=rows)


class SerialExecutor(concurrent.futures.Executor):
    """An Executor that runs each call at once in the calling thread, when it is submitted.

    No processes and no threads: for debugging (a breakpoint inside a task stops where you can see
    it), doctests and tiny sweeps. An exception is kept in the returned future, as a pool would.

    >>> with SerialExecutor() as executor:
    ...     executor.submit(pow, 2, 10).result()
    1024
    """

    def __init__(self) -> None:
        self._shut = False

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> concurrent.futures.Future[_T]:
        """Run ``fn(*args, **kwargs)`` now and return a finished future holding its result or exception.

        Raises:
            RuntimeError: The executor was shut down.
        """
        if self._shut:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except Exception as error:  # a task's failure belongs to its future, as in any pool
            future.set_exception(error)
        else:
            future.set_result(result)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse further calls; nothing is ever pending."""
        self._shut = True


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
            f"grid point {self.point} ({_describe(self.overrides)}), replication {self.replication}, "
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


def _describe(overrides: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{path}={value!r}" if isinstance(value, str) else f"{path}={value}" for path, value in overrides.items()
    )


def _plain(value: Any) -> Any:
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


# ------------------------------------------------------------------------------------------- the sweep


def _grid(grid: Mapping[str, Iterable[Any]]) -> tuple[tuple[str, ...], list[Overrides]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ConfigError(f"grid: expected a mapping of key paths to lists of values, got {grid!r}")
    paths: list[str] = []
    lists: list[list[Any]] = []
    for path, values in grid.items():
        if not isinstance(path, str) or not path:
            raise ConfigError(f"grid: a key path must be a non-empty string, got {path!r}")
        if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
            raise ConfigError(f"grid[{path!r}]: expected a list of values, got {values!r}")
        items = [_plain(v) for v in values]
        if not items:
            raise ConfigError(f"grid[{path!r}]: expected at least one value")
        paths.append(path)
        lists.append(items)
    points = [tuple(zip(paths, combo, strict=True)) for combo in itertools.product(*lists)]
    return tuple(paths), points


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Iterable[Any]],
    reps: int,
    seed: int,
    executor: concurrent.futures.Executor | None = None,
    *,
    customers: int | None = None,
    progress: Callable[[int], None] | None = None,
    policy: RoutingPolicy | None = None,
) -> SweepResult:
    """Simulate every grid point ``reps`` times on an Executor and summarise each point's KPIs.

    Every grid point is checked with :func:`~routekit.sim.scenario.override` before any task starts,
    so a bad key path or value fails at once and names it. Each (grid point, replication) is then one
    task for :func:`run_task`, submitted to ``executor``. Results are collected by task index, never in
    completion order, and summarised in that order, so the same scenario, grid, reps and seed give the
    same numbers on any executor.

    **Common random numbers.** Replication ``r`` of *every* grid point runs on the same seed,
    ``numpy.random.SeedSequence(seed).spawn(reps)[r]``, the seeds :func:`~routekit.sim.replications.simulate`
    uses. Each source of randomness has its own stream, so two grid points see the same arrivals and
    handle times wherever the overrides leave them alone, and a difference between points is mostly
    the overrides' effect, not noise. A grid point's numbers equal ``simulate`` on the overridden
    scenario with the same seed.

    Args:
        scenario: The base scenario; it must keep its plain ``source`` data (every loaded one does).
        grid: Key paths to lists of values, e.g. ``{"policy.sticky.window": [120, 300, 600],
            "agents[0].count": range(30, 51)}``; the cartesian product gives the grid points, the first
            key varying slowest.
        reps: Replications per grid point.
        seed: The root seed (an integer >= 0).
        executor: Any ``concurrent.futures.Executor``: a ``ProcessPoolExecutor``, a ``ThreadPoolExecutor``
            (no speed-up: the simulator holds the GIL), :class:`SerialExecutor`, or a Dask
            ``Client.get_executor()``. None: a local ``ProcessPoolExecutor`` with ``os.cpu_count()``
            workers, shut down at the end. An executor passed in is left running.
        customers: Stop each run's arrivals after this many customers (overrides ``[run] customers``).
        progress: Called with 1 in the calling thread as each task finishes or fails (a progress bar's
            ``update``).
        policy: Run this policy (your own, say) at every grid point instead of the scenario's ``[policy]``;
            overrides of ``policy.*`` keys other than ``policy.router`` then change nothing. It must
            pickle to reach a process pool or a cluster (a module-level class does).

    Returns:
        One :class:`SweepPoint` per grid point with KPI means and 95% half-widths over the replications
        that finished; a task that raised is in ``failures`` with its grid point and seed, and the others
        still finish.

    Raises:
        ConfigError: ``reps`` below 1, a negative seed, ``customers`` below 1, or a grid that is not key
            paths to non-empty lists.
        ScenarioError: A grid point's key path or value is refused; the message names the grid point.
    """
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        raise ConfigError(f"reps must be an integer >= 1, got {reps!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if customers is not None and (isinstance(customers, bool) or not isinstance(customers, int) or customers < 1):
        raise ConfigError(f"customers must be an integer >= 1 or None, got {customers!r}")
    parameters, points = _grid(grid)
    for index, overrides in enumerate(points):
        try:
            _scenario(scenario.source, scenario.base, overrides)
        except ScenarioError as error:
            raise ScenarioError(f"grid point {index} ({_describe(dict(overrides))}): {error}") from None
    # Only each child's spawn key travels; a worker rebuilds the child (see SweepTask.seed_sequence).
    seeds = np.random.SeedSequence(seed).spawn(reps)
    tasks = [
        SweepTask(
            index=index * reps + replication,
            point=index,
            replication=replication,
            overrides=overrides,
            seed=seed,
            spawn_key=seeds[replication].spawn_key,
            source=scenario.source,
            base=scenario.base,
            customers=customers,
            policy=policy,
        )
        for index, overrides in enumerate(points)
        for replication in range(reps)
    ]
    if executor is not None:
        outcomes = _run(executor, tasks, progress)
    else:
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count())
        try:
            outcomes = _run(pool, tasks, progress)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return _collect(parameters, points, reps, seed, tasks, outcomes)


def _run(
    executor: concurrent.futures.Executor,
    tasks: Sequence[SweepTask],
    progress: Callable[[int], None] | None,
) -> list[TaskResult | BaseException]:
    """Submit every task and gather each outcome by task index, calling ``progress`` in this thread."""
    outcomes: list[TaskResult | BaseException | None] = [None] * len(tasks)
    pending: dict[concurrent.futures.Future[TaskResult], SweepTask] = {}

    def harvest(task: SweepTask, future: concurrent.futures.Future[TaskResult]) -> None:
        if future.cancelled():
            outcomes[task.index] = concurrent.futures.CancelledError("the executor cancelled the task")
        else:
            error = future.exception()
            outcomes[task.index] = future.result() if error is None else error
        if progress is not None:
            progress(1)

    try:
        for task in tasks:
            # Looked up at each call, not bound at import, so a test can replace the task function.
            future = executor.submit(run_task, task)
            if future.done():  # an eager executor (SerialExecutor): report progress as it goes
                harvest(task, future)
            else:
                pending[future] = task
        for future in concurrent.futures.as_completed(pending):
            harvest(pending.pop(future), future)
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    return [outcome for outcome in outcomes if outcome is not None]


def _collect(
    parameters: tuple[str, ...],
    points: Sequence[Overrides],
    reps: int,
    seed: int,
    tasks: Sequence[SweepTask],
    outcomes: Sequence[TaskResult | BaseException],
) -> SweepResult:
    runs: list[TaskResult | None] = []
    failures: list[SweepFailure] = []
    for task, outcome in zip(tasks, outcomes, strict=True):
        if isinstance(outcome, TaskResult):
            runs.append(outcome)
            continue
        runs.append(None)
        failures.append(
            SweepFailure(
                point=task.point,
                overrides=dict(task.overrides),
                replication=task.replication,
                seed=seed,
                error=f"{type(outcome).__name__}: {outcome}",
                task=task,
            )
        )
    summaries = []
    for index, overrides in enumerate(points):
        finished = [run for run in runs[index * reps : (index + 1) * reps] if run is not None]
        order: dict[str, list[tuple[float | None, ...]]] = {}
        for run in finished:
            for channel, values in run.rows:
                order.setdefault(channel, []).append(values)
        rows = tuple(
            SummaryRow(
                channel,
                "all",
                {name: estimate([values[k] for values in order[channel]]) for k, name in enumerate(KPI_NAMES)},
            )
            for channel in order
        )
        summaries.append(SweepPoint(index=index, overrides=dict(overrides), runs=len(finished), rows=rows))
    return SweepResult(
        parameters=parameters,
        reps=reps,
        seed=seed,
        points=tuple(summaries),
        runs=tuple(runs),
        failures=tuple(failures),
    )
