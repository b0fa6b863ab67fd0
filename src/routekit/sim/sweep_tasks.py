"""A sweep's tasks: one (grid point, replication) each, pure, run wherever an Executor runs them.

A :class:`SweepTask` holds the scenario's plain source data, the folder its relative paths are read from,
the overrides and the seed; :func:`run_task`, a top-level function, rebuilds the scenario with
``override`` wherever it runs and simulates one day. :class:`SerialExecutor` runs them in this process.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs
import numpy as np

from routekit.policies.base import RoutingPolicy
from routekit.sim.engine import run_day
from routekit.sim.replications import KPI_NAMES
from routekit.sim.scenario import Scenario, override, scenario_from_dict

__all__ = ["Overrides", "SerialExecutor", "SweepTask", "TaskResult", "rebuild_scenario", "run_task"]

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


def rebuild_scenario(source: Mapping[str, Any], base: Path | None, overrides: Overrides) -> Scenario:
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
    scenario = rebuild_scenario(task.source, task.base, task.overrides)
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
