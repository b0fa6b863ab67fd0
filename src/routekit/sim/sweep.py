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
import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from routekit.errors import ConfigError, ScenarioError
from routekit.policies.base import RoutingPolicy
from routekit.sim.replications import KPI_NAMES, SummaryRow, estimate
from routekit.sim.scenario import Scenario
from routekit.sim.sweep_results import SweepFailure, SweepPoint, SweepResult, describe_overrides, plain_value
from routekit.sim.sweep_tasks import Overrides, SerialExecutor, SweepTask, TaskResult, rebuild_scenario, run_task

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
        items = [plain_value(v) for v in values]
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
            rebuild_scenario(scenario.source, scenario.base, overrides)
        except ScenarioError as error:
            raise ScenarioError(f"grid point {index} ({describe_overrides(dict(overrides))}): {error}") from None
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
