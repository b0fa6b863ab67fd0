"""Sweeps: the same numbers serially, on a process pool and on a Dask cluster; failures reported per task.

Every (grid point, replication) is a pure task, so the executor and the completion order never change
a number: these tests compare results for exact equality across executors, which is a statement about
determinism, not about one seed's statistics (those are checked in ``test_erlang_a.py``).
"""

from __future__ import annotations

import concurrent.futures
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routekit.errors import ConfigError, ScenarioError
from routekit.policies import Skills
from routekit.sim.replications import KPI_NAMES, simulate
from routekit.sim.scenario import Scenario, override, scenario_from_dict
from routekit.sim.sweep import SerialExecutor, SweepResult, SweepTask, TaskResult, run_task, sweep

# `routekit.sim.sweep` the attribute is the function (routekit.sim exports it); the module is here.
sweep_module = importlib.import_module("routekit.sim.sweep")

GRID = {"agents[0].count": [9, 11]}
REPS = 2
SEED = 20260824


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """M/M/n+M with 300 customers a run: a fraction of a second per task."""
    return scenario_from_dict(
        {
            "run": {"customers": 300},
            "channel": [
                {
                    "name": "voice",
                    "service_level": 20,
                    "handle_time": {"dist": "exponential", "mean": 60},
                    "patience": {"dist": "exponential", "mean": 120},
                }
            ],
            "arrivals": [{"channel": "voice", "rate": 570}],
            "agents": [{"count": 10, "capacity": {"voice": 1}}],
        }
    )


@pytest.fixture(scope="module")
def serial(tiny: Scenario) -> SweepResult:
    """The reference sweep, run in this process."""
    return sweep(tiny, GRID, REPS, SEED, SerialExecutor())


def _numbers(result: SweepResult) -> tuple[list[dict[str, Any]], tuple[TaskResult | None, ...]]:
    return result.to_rows(channel=None), result.runs


def test_serial_sweep_has_one_point_per_grid_value(serial: SweepResult) -> None:
    """Two grid values with two replications give two points, each with both runs and no failure."""
    assert ("agents[0].count",) == serial.parameters
    assert [({"agents[0].count": 9}, 2), ({"agents[0].count": 11}, 2)] == [(p.overrides, p.runs) for p in serial.points]
    assert () == serial.failures
    assert [0, 1, 2, 3] == [run.index for run in serial.runs if run is not None]


def test_process_pool_gives_identical_numbers(tiny: Scenario, serial: SweepResult) -> None:
    """A two-process pool returns exactly the serial sweep's numbers."""
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        pooled = sweep(tiny, GRID, REPS, SEED, pool)
    assert _numbers(serial) == _numbers(pooled)


def test_dask_local_cluster_gives_identical_numbers(tiny: Scenario, serial: SweepResult) -> None:
    """A real dask.distributed LocalCluster of two worker processes returns exactly the serial numbers."""
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep(tiny, GRID, REPS, SEED, client.get_executor())
    assert _numbers(serial) == _numbers(on_dask)


class _ReversedExecutor(concurrent.futures.Executor):
    """Holds every call until the last one is submitted, then runs them last first."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...], concurrent.futures.Future[Any]]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.calls.append((fn, args, future))
        if len(self.calls) == self.total:
            for call, arguments, pending in reversed(self.calls):
                pending.set_result(call(*arguments))
        return future


def test_completion_order_does_not_change_the_numbers(tiny: Scenario, serial: SweepResult) -> None:
    """Tasks finishing last first give the same result, collected by task index."""
    reversed_ = sweep(tiny, GRID, REPS, SEED, _ReversedExecutor(len(serial.runs)))
    assert _numbers(serial) == _numbers(reversed_)


def test_thread_pool_gives_identical_numbers(tiny: Scenario, serial: SweepResult) -> None:
    """Any concurrent.futures Executor works, a thread pool included."""
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        threaded = sweep(tiny, GRID, REPS, SEED, threads)
    assert _numbers(serial) == _numbers(threaded)


def test_every_grid_point_uses_the_same_replication_seeds(tiny: Scenario, serial: SweepResult) -> None:
    """Common random numbers: each point equals simulate() on its scenario with the sweep's seed."""
    for point in serial.points:
        scenario = override(tiny, "agents[0].count", point.overrides["agents[0].count"])
        expected = simulate(scenario, reps=REPS, seed=SEED).row("all", "all").kpis
        assert expected == point.row("all").kpis


def test_a_failing_task_is_reported_and_the_others_finish(tiny: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A task that raises is a failure naming its grid point, replication and seed; three others finish."""

    def flaky(task: SweepTask) -> TaskResult:
        if (task.point, task.replication) == (1, 0):
            raise RuntimeError("the worker ran out of luck")
        return run_task(task)

    monkeypatch.setattr(sweep_module, "run_task", flaky)
    finished: list[int] = []
    result = sweep(tiny, GRID, REPS, SEED, SerialExecutor(), progress=finished.append)
    (failure,) = result.failures
    assert (1, {"agents[0].count": 11}, 0, SEED) == (
        failure.point,
        failure.overrides,
        failure.replication,
        failure.seed,
    )
    assert "RuntimeError: the worker ran out of luck" == failure.error
    assert "grid point 1 (agents[0].count=11), replication 0, seed 20260824" in failure.describe()
    assert [2, 1] == [point.runs for point in result.points]
    assert [True, True, False, True] == [run is not None for run in result.runs]
    assert [1, 1, 1, 1] == finished
    assert None is result.to_rows()[1]["service_level_ci95"]  # one replication left: no interval


def test_a_failed_task_can_be_run_again(tiny: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure keeps its task, and run_task on it reproduces that replication's numbers."""

    def broken(task: SweepTask) -> TaskResult:
        raise MemoryError("pretend")

    monkeypatch.setattr(sweep_module, "run_task", broken)
    failed = sweep(tiny, GRID, REPS, SEED, SerialExecutor())
    monkeypatch.undo()
    task = failed.failures[3].task
    assert task is not None
    expected = sweep(tiny, GRID, REPS, SEED, SerialExecutor()).runs[3]
    assert expected == run_task(task)
    assert (SEED, (1,)) == (task.seed, task.spawn_key)
    assert expected == run_task(task)  # a task run twice draws the same numbers


def test_bad_key_path_fails_before_any_task(tiny: Scenario) -> None:
    """A key path the scenario refuses is an error naming the grid point, raised before anything runs."""
    started: list[int] = []
    with pytest.raises(ScenarioError, match=r"grid point 0 \(agents\[3\]\.count=9\): .*no agents\[3\]"):
        sweep(tiny, {"agents[3].count": [9]}, 1, 0, SerialExecutor(), progress=started.append)
    assert [] == started


def test_a_refused_value_names_its_grid_point(tiny: Scenario) -> None:
    """A value the scenario refuses names the grid point holding it."""
    with pytest.raises(ScenarioError, match=r"grid point 1 \(agents\[0\]\.count=-1\): agents\[0\]\.count"):
        sweep(tiny, {"agents[0].count": [5, -1]}, 1, 0, SerialExecutor())


@pytest.mark.parametrize(
    ("grid", "reps", "seed", "message"),
    [
        ({}, 1, 0, "grid: expected a mapping"),
        ({"agents[0].count": []}, 1, 0, "at least one value"),
        ({"policy.kind": "skills"}, 1, 0, "expected a list of values"),
        ({"agents[0].count": [5]}, 0, 0, "reps must be"),
        ({"agents[0].count": [5]}, 1, -3, "seed must be"),
    ],
)
def test_bad_arguments_are_refused(tiny: Scenario, grid: dict[str, Any], reps: int, seed: int, message: str) -> None:
    """An empty grid, an empty or non-list value, no replications or a negative seed is a ConfigError."""
    with pytest.raises(ConfigError, match=message):
        sweep(tiny, grid, reps, seed, SerialExecutor())


def test_customers_below_one_is_refused(tiny: Scenario) -> None:
    """A customer limit below one is a ConfigError, not a day with no arrivals."""
    with pytest.raises(ConfigError, match="customers must be"):
        sweep(tiny, GRID, 1, 0, SerialExecutor(), customers=0)


def test_numpy_values_and_ranges_are_accepted(tiny: Scenario) -> None:
    """Grid values from numpy.arange or range become plain ints, so the scenario accepts them."""
    result = sweep(tiny, {"agents[0].count": np.arange(10, 12), "run.customers": range(50, 51)}, 1, 0, SerialExecutor())
    assert [{"agents[0].count": 10, "run.customers": 50}, {"agents[0].count": 11, "run.customers": 50}] == [
        p.overrides for p in result.points
    ]
    assert [int, int] == [type(p.overrides["agents[0].count"]) for p in result.points]


def test_the_first_key_varies_slowest(tiny: Scenario) -> None:
    """Grid points are the cartesian product in grid order, like itertools.product."""
    result = sweep(
        tiny,
        {"agents[0].count": [9, 10], "policy.router.reoffer_delay": [10, 20]},
        1,
        0,
        SerialExecutor(),
        customers=30,
    )
    assert [(9, 10), (9, 20), (10, 10), (10, 20)] == [
        (p.overrides["agents[0].count"], p.overrides["policy.router.reoffer_delay"]) for p in result.points
    ]


def test_csv_has_a_header_and_one_row_per_point(serial: SweepResult) -> None:
    """The CSV starts with the parameters and KPI columns, then one line per grid point."""
    lines = serial.to_csv().splitlines()
    header = lines[0].split(",")
    assert ["agents[0].count", "channel", "runs", "offered_mean", "offered_ci95"] == header[:5]
    assert 3 + 2 * len(KPI_NAMES) == len(header)
    assert ["9", "all", "2"] == lines[1].split(",")[:3]
    assert 3 == len(lines)


def test_json_holds_every_point_and_channel(serial: SweepResult) -> None:
    """The JSON document carries the parameters, seed, every channel's estimates and the failures."""
    document = json.loads(serial.to_json())
    point = serial.point(1)
    expected = point.kpi("service_level")
    assert (["agents[0].count"], REPS, SEED, []) == (
        document["parameters"],
        document["reps"],
        document["seed"],
        document["failures"],
    )
    assert {"mean": expected.mean, "ci95": expected.ci95} == document["points"][1]["kpis"]["all"]["service_level"]
    assert ["all", "voice"] == list(document["points"][0]["kpis"])


def test_rows_per_channel(serial: SweepResult) -> None:
    """Every channel's rows come with channel=None; an unknown channel is a KeyError."""
    assert ["all", "voice", "all", "voice"] == [row["channel"] for row in serial.to_rows(channel=None)]
    assert [300.0, 300.0] == [row["offered_mean"] for row in serial.to_rows("voice")]
    with pytest.raises(KeyError, match="video"):
        serial.to_rows("video")


def test_dataframe_has_the_tidy_columns(serial: SweepResult) -> None:
    """to_dataframe gives one row per grid point with the same columns as the CSV."""
    pytest.importorskip("pandas")
    frame = serial.to_dataframe()
    assert list(serial.columns()) == list(frame.columns)
    assert [9, 11] == frame["agents[0].count"].tolist()


def test_dataframe_without_pandas_says_what_to_install(serial: SweepResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas, to_dataframe raises an ImportError that names it."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas"):
        serial.to_dataframe()


def test_plot_writes_a_png(serial: SweepResult, tmp_path: Path) -> None:
    """plot() saves a PNG of service level and abandonment against the swept parameter."""
    pytest.importorskip("matplotlib")
    path = serial.plot(tmp_path / "sweep.png")
    assert b"\x89PNG\r\n\x1a\n" == path.read_bytes()[:8]


def test_serial_executor_keeps_exceptions_and_refuses_after_shutdown() -> None:
    """SerialExecutor puts a call's exception in its future and refuses calls after shutdown."""
    executor = SerialExecutor()
    future = executor.submit(int, "not a number")
    assert isinstance(future.exception(), ValueError)
    executor.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(int, "1")


def test_default_executor_is_a_process_pool(tiny: Scenario, serial: SweepResult) -> None:
    """With no executor, sweep runs on its own process pool and gets the same numbers."""
    assert _numbers(serial) == _numbers(sweep(tiny, GRID, REPS, SEED))


def test_a_policy_of_your_own_runs_at_every_grid_point(tiny: Scenario) -> None:
    """``policy=`` replaces the scenario's policy in every task, serially as on a process pool."""
    own = Skills(relax=[(5, "any")])
    serial_run = sweep(tiny, GRID, REPS, SEED, SerialExecutor(), policy=own)
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        pooled = sweep(tiny, GRID, REPS, SEED, pool, policy=own)
    assert _numbers(serial_run) == _numbers(pooled)
    expected = simulate(override(tiny, "agents[0].count", 9), reps=REPS, seed=SEED, policy=own)
    assert expected.row("all", "all").kpis == serial_run.points[0].row("all").kpis
