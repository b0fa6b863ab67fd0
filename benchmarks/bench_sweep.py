"""Time one 64-task sweep serially and on a 2-worker process pool (and, with --dask, a 2-worker Dask cluster).

What it measures
    Wall-clock seconds for :func:`routekit.sim.sweep` over the built-in mobile-support day (about one
    second of simulation per task on a 2-core EPYC): the grid ``policy.sticky.window`` in 120, 300,
    600, 900 x ``agents[0].count`` in 8, 9, with ``--size / 8`` replications each (64 tasks by default).
    The same sweep runs on each executor:

    - **serial**: :class:`routekit.sim.sweep.SerialExecutor`, every task in this process, one by one;
    - **process pool**: a fresh ``concurrent.futures.ProcessPoolExecutor(2)`` per repeat, its start-up
      (forking two workers, which then import nothing new) inside the timing, as ``sweep`` with no
      executor would pay it;
    - **dask** (``--dask``): a ``dask.distributed.LocalCluster(n_workers=2, processes=True,
      threads_per_worker=1)`` started once, outside the timing, through ``Client.get_executor()``:
      what a sweep on a running cluster pays (serialising tasks, the scheduler, the results' trip back).

    Every executor's result is checked equal, number for number, to the serial one.

How it times
    One untimed warm-up sweep of two tasks per executor, then ``--repeat`` rounds in which each executor
    runs the whole sweep once, in turn (interleaved, so that a shared machine's changing load falls on
    all of them alike). The figures are the min and median of the rounds, seconds per task (median
    divided by the tasks), and the speed-up of each executor's median over the serial median.

Machine
    This machine has 2 cores and is shared with other work, so the figures are noisy: read the median,
    and expect less than 2x from two workers (the parent process, the other tenants and the operating
    system share the same two cores).

Run ``.venv/bin/python benchmarks/bench_sweep.py`` (about ``--repeat`` x 100 s); ``--size N`` (a multiple
of 8), ``--customers N`` (shorter tasks), ``--repeat R``, ``--seed S``, ``--dask``, ``--json``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _harness import header, machine, parser

from routekit.sim.scenario import builtin_scenario
from routekit.sim.sweep import SerialExecutor, SweepResult, sweep

WINDOWS = [120, 300, 600, 900]
COUNTS = [8, 9]
WORKERS = 2


def grid() -> dict[str, list[int]]:
    """The sweep's grid: eight points."""
    return {"policy.sticky.window": WINDOWS, "agents[0].count": COUNTS}


def numbers(result: SweepResult) -> list[dict[str, Any]]:
    """What must agree across executors: every channel's row of every grid point."""
    return result.to_rows(channel=None)


def main(argv: list[str] | None = None) -> int:
    """Time the sweep on each executor and print a table (or JSON)."""
    p = parser(__doc__.split("\n")[0], size=64, repeat=3)
    p.add_argument("--customers", type=int, default=None, help="customers per task (default: the whole day)")
    p.add_argument("--dask", action="store_true", help="also time a 2-worker dask.distributed LocalCluster")
    args = p.parse_args(argv)
    points = len(WINDOWS) * len(COUNTS)
    if args.size % points:
        p.error(f"--size must be a multiple of {points}, got {args.size}")
    reps = args.size // points
    scenario = builtin_scenario()

    warm_grid: dict[str, list[int]] = {"agents[0].count": [9]}

    def run(executor: concurrent.futures.Executor, warm: bool) -> SweepResult:
        if warm:  # two short tasks: imports, worker start-up, the scheduler's first contact
            return sweep(scenario, warm_grid, 2, args.seed, executor, customers=200)
        return sweep(scenario, grid(), reps, args.seed, executor, customers=args.customers)

    def serial(warm: bool) -> SweepResult:
        return run(SerialExecutor(), warm)

    def pool(warm: bool) -> SweepResult:
        with concurrent.futures.ProcessPoolExecutor(WORKERS) as executor:
            return run(executor, warm)

    cases: dict[str, Callable[[bool], SweepResult]] = {"serial": serial, "process pool": pool}
    closers: list[Callable[[], Any]] = []
    if args.dask:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=WORKERS, processes=True, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        closers += [client.close, cluster.close]
        cases["dask LocalCluster"] = lambda warm: run(client.get_executor(), warm)

    def log(message: str) -> None:
        print(f"# {message}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    try:
        log("warming up: a two-task sweep on each executor")
        for case in cases.values():
            case(True)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        reference: list[dict[str, Any]] | None = None
        same = True
        for round_ in range(args.repeat):
            for name, case in cases.items():
                start = time.perf_counter()
                result = case(False)
                seconds = time.perf_counter() - start
                samples[name].append(seconds)
                reference = numbers(result) if reference is None else reference
                same = same and reference == numbers(result)
                log(f"round {round_ + 1}/{args.repeat}: {name} {seconds:.2f} s")
    finally:
        for close in closers:
            close()

    load = (load_before, os.getloadavg()[0])  # other tenants' work on the same cores
    serial_median = statistics.median(samples["serial"])
    rows = []
    for name, values in samples.items():
        median = statistics.median(values)
        rows.append(
            {
                "executor": name,
                "workers": 1 if name == "serial" else WORKERS,
                "min_s": min(values),
                "median_s": median,
                "per_task_s": median / args.size,
                "speedup": serial_median / median,
                "samples": values,
            }
        )
    info = machine()
    task = "the whole built-in day" if args.customers is None else f"the built-in day, {args.customers} customers"
    data = {
        "machine": info,
        "args": vars(args),
        "tasks": args.size,
        "task": task,
        "load_average_1min": load,
        "rows": rows,
        "identical": same,
    }
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        lines = header("bench_sweep", info, args)
        lines.append(
            f"# {args.size} tasks ({points} grid points x {reps} reps), each {task}; a shared, noisy 2-core machine"
        )
        lines.append(f"# 1-minute load average {load[0]:.1f} before, {load[1]:.1f} after (2 cores)")
        lines.append(f"{'executor':<18} {'workers':>7} {'min s':>8} {'median s':>9} {'s/task':>7} {'speed-up':>8}")
        for row in rows:
            lines.append(
                f"{row['executor']:<18} {row['workers']:>7} {row['min_s']:>8.2f} {row['median_s']:>9.2f} "
                f"{row['per_task_s']:>7.3f} {row['speedup']:>7.2f}x"
            )
        lines.append(f"# identical numbers on every executor: {'yes' if same else 'NO'}")
        print("\n".join(lines))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
