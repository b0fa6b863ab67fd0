"""Time routekit's simulator beside SimPy 4.1.2 and Ciw 3.2.7 on the same M/M/10+M (Erlang A) model.

What it measures
    Customers simulated per second on ``benchmarks/scenarios/erlang_a.toml``: 570 arrivals per hour,
    exponential handle time with mean 60 s, 10 agents, exponential patience with mean 120 s. Each tool
    simulates ``--customers`` arrivals (default 200,000) and runs until every one of them has been
    served or has hung up. The three run one after another in one process:

    - **routekit**: :func:`routekit.sim.engine.run_day` on the scenario, the whole router in the loop
      (``submit``, ``Offered``, ``accept``, ``complete``, ``abandon``, ``next_deadline``) and the KPIs
      computed online from the router's events by :class:`routekit.metrics.KpiCollector`. The timed call
      includes building the router and the report.
    - **SimPy** as its users write it: a ``simpy.Resource(capacity=10)``; a source process that starts
      one process per caller; each caller yields ``request | env.timeout(patience)`` and, when served,
      ``env.timeout(handle)``; statistics appended to lists inside the processes. Variates come from one
      ``numpy.random.Generator``, one scalar draw per variate as users write it (``rng.exponential``),
      not drawn in batches as routekit does.
    - **Ciw** through ``ciw.create_network`` with ``ciw.dists.Exponential`` arrivals, services and
      ``reneging_time_distributions`` and ``simulate_until_max_customers(N, method="Finish")`` (until N
      customers have left, served or reneged). The timed part builds the network and simulation and
      runs it; reading ``get_all_records()`` afterwards for the KPIs is not timed.

    Each tool prints its measured abandonment, P(wait) and ASA (after a 2,000-customer warm-up) so the
    reader sees that all three simulate the same model (exact: 0.08445, 0.54572, 9.616 s).

How it times
    One untimed warm-up run of 5,000 customers per tool, then ``--repeat`` rounds in which each tool
    runs once, in turn, with the same seed (interleaved, so that a shared machine's changing load falls
    on all three alike; a full garbage collection before each run; the collector stays on). The figures
    are customers per second at the best (min time) and the median run; the ratios routekit/SimPy and
    routekit/Ciw are of the medians (above 1: routekit is faster). The same figures from process CPU
    time (:func:`time.process_time`) are printed beside them: on a shared machine, wall-clock time
    also counts the time spent waiting for a core, CPU time does not. Last, the median over rounds of
    each round's CPU-time ratio: the three runs of a round follow each other within seconds, so their
    ratio is the least disturbed by a neighbour's load that comes and goes over minutes.

Targets (issue 6)
    Faster than Ciw and at least 0.75x SimPy; parity with SimPy is the aim.

Run ``.venv/bin/python benchmarks/bench_sim_vs_peers.py`` (a minute or two per repeat on a 2-core
machine); ``--customers N``, ``--repeat R``, ``--seed S``, ``--json``. Install the peers with
``.venv/bin/pip install -e '.[bench]'``. Results, command and machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ciw  # type: ignore[import-untyped]
import numpy as np
import simpy
from _harness import machine

import routekit
from routekit.sim.engine import run_day
from routekit.sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "erlang_a.toml"

RATE = 570 / 3600.0  # arrivals per second
HANDLE = 60.0  # mean handle time, seconds
PATIENCE = 120.0  # mean patience, seconds
AGENTS = 10
WARMUP = 2_000  # customers left out of the KPIs, as in the scenario
WARMUP_RUN = 5_000  # customers in each tool's untimed warm-up run
EXACT = {"abandon_rate": 0.08445, "p_wait": 0.54572, "asa": 9.616}


@dataclass(frozen=True)
class Kpis:
    """What one run measured, after the warm-up customers."""

    abandon_rate: float
    p_wait: float
    asa: float


@dataclass(frozen=True)
class Run:
    """One timed run: wall-clock and CPU seconds, and the run's KPIs."""

    seconds: float
    cpu_seconds: float
    kpis: Kpis


def _clock() -> tuple[float, float]:
    """Wall-clock and process CPU time, read together at the start and the end of a timed part."""
    return time.perf_counter(), time.process_time()


def _since(started: tuple[float, float]) -> tuple[float, float]:
    """Wall-clock and CPU seconds since ``started``."""
    wall, cpu = _clock()
    return wall - started[0], cpu - started[1]


def _from_waits(waits: list[float], abandoned: list[bool]) -> Kpis:
    """KPIs from each counted customer's wait (to service or to hanging up) and whether they hung up."""
    n = len(waits)
    served = [w for w, gone in zip(waits, abandoned, strict=True) if not gone]
    return Kpis(
        abandon_rate=sum(abandoned) / n,
        p_wait=sum(1 for w, gone in zip(waits, abandoned, strict=True) if gone or w > 0.0) / n,
        asa=math.fsum(served) / len(served),
    )


# --------------------------------------------------------------------------------------------- routekit


def run_routekit(customers: int, seed: int) -> Run:
    """``run_day`` on the Erlang A scenario: the whole router and the KPI collector in the loop."""
    scenario = load_scenario(SCENARIO)
    sequence = np.random.SeedSequence(seed)
    started = _clock()
    result = run_day(scenario, sequence, customers=customers)
    seconds, cpu_seconds = _since(started)
    row = result.report.overall
    assert result.customers == customers, result.customers
    assert row.abandon_rate is not None
    assert row.p_wait is not None
    assert row.asa is not None
    return Run(seconds, cpu_seconds, Kpis(row.abandon_rate, row.p_wait, row.asa))


# ------------------------------------------------------------------------------------------------ SimPy


def run_simpy(customers: int, seed: int) -> Run:
    """A ``simpy.Resource`` of 10 and a process per caller yielding ``request | timeout(patience)``."""
    rng = np.random.default_rng(seed)
    waits: list[float] = []
    abandoned: list[bool] = []

    def caller(env: simpy.Environment, agents: simpy.Resource, counted: bool) -> Generator[Any, Any, None]:
        arrived = env.now
        patience = rng.exponential(PATIENCE)
        with agents.request() as request:
            result = yield request | env.timeout(patience)
            wait = env.now - arrived
            if request in result:
                if counted:
                    waits.append(wait)
                    abandoned.append(False)
                yield env.timeout(rng.exponential(HANDLE))
            elif counted:
                waits.append(wait)
                abandoned.append(True)

    def source(env: simpy.Environment, agents: simpy.Resource) -> Generator[Any, Any, None]:
        for n in range(customers):
            env.process(caller(env, agents, n >= WARMUP))
            if n + 1 < customers:
                yield env.timeout(rng.exponential(1.0 / RATE))

    started = _clock()
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    env.process(source(env, agents))
    env.run()
    seconds, cpu_seconds = _since(started)
    assert len(waits) == max(0, customers - WARMUP)
    return Run(seconds, cpu_seconds, _from_waits(waits, abandoned))


# -------------------------------------------------------------------------------------------------- Ciw


def run_ciw(customers: int, seed: int) -> Run:
    """``ciw.create_network`` with exponential arrivals, services and reneging; until N have left."""
    ciw.seed(seed)
    started = _clock()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / HANDLE)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / PATIENCE)],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(customers, method="Finish")
    seconds, cpu_seconds = _since(started)
    records = sorted(
        (r for r in simulation.get_all_records() if r.record_type in ("service", "renege")),
        key=lambda r: r.id_number,
    )
    counted = [r for r in records if r.id_number > WARMUP]
    waits = [r.waiting_time for r in counted]
    gone = [r.record_type == "renege" for r in counted]
    return Run(seconds, cpu_seconds, _from_waits(waits, gone))


TOOLS: dict[str, Callable[[int, int], Run]] = {"routekit": run_routekit, "SimPy": run_simpy, "Ciw": run_ciw}
VERSIONS = {
    "routekit": f"routekit {routekit.__version__}",
    "SimPy": f"simpy {simpy.__version__}",
    "Ciw": f"ciw {ciw.__version__}",
}


def measure(customers: int, seed: int, repeat: int) -> dict[str, list[Run]]:
    """One small untimed warm-up run per tool, then ``repeat`` rounds of one timed run per tool.

    The tools take turns within each round (routekit, SimPy, Ciw, then again), so that a change in the
    machine's load during the run weighs on all three alike rather than on whichever ran last.
    """
    for tool in TOOLS.values():
        tool(WARMUP_RUN, seed)
    runs: dict[str, list[Run]] = {name: [] for name in TOOLS}
    for round_ in range(max(1, repeat)):
        for name, tool in TOOLS.items():
            print(f"round {round_ + 1}: {name} ...", file=sys.stderr, flush=True)
            gc.collect()
            runs[name].append(tool(customers, seed))
    return runs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=200_000, help="customers per run (default 200,000)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per tool (default 3)")
    p.add_argument("--seed", type=int, default=20260824, help="random seed (default 20260824)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = p.parse_args(argv)
    if args.customers <= WARMUP:
        p.error(f"--customers must exceed the {WARMUP:,}-customer warm-up")

    info = machine()
    results: dict[str, dict[str, Any]] = {}
    measured = measure(args.customers, args.seed, args.repeat)
    for name, runs in measured.items():
        samples = [run.seconds for run in runs]
        cpu = [run.cpu_seconds for run in runs]
        kpis = runs[-1].kpis
        results[name] = {
            "version": VERSIONS[name],
            "best_per_s": args.customers / min(samples),
            "median_per_s": args.customers / statistics.median(samples),
            "median_cpu_per_s": args.customers / statistics.median(cpu),
            "seconds": samples,
            "cpu_seconds": cpu,
            "abandon_rate": kpis.abandon_rate,
            "p_wait": kpis.p_wait,
            "asa": kpis.asa,
        }
    ours = results["routekit"]["median_per_s"]
    ours_cpu = results["routekit"]["median_cpu_per_s"]
    ratios = {f"routekit/{peer}": ours / results[peer]["median_per_s"] for peer in ("SimPy", "Ciw")}
    cpu_ratios = {f"routekit/{peer}": ours_cpu / results[peer]["median_cpu_per_s"] for peer in ("SimPy", "Ciw")}
    # Each round runs the three tools back to back, so a round's ratio compares runs made under nearly the
    # same load; the median over rounds is the steadiest figure on a shared machine.
    round_ratios = {
        f"routekit/{peer}": statistics.median(
            theirs / mine
            for mine, theirs in zip(results["routekit"]["cpu_seconds"], results[peer]["cpu_seconds"], strict=True)
        )
        for peer in ("SimPy", "Ciw")
    }

    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "customers": args.customers,
                    "repeat": args.repeat,
                    "seed": args.seed,
                    "tools": results,
                    "ratios": ratios,
                    "cpu_ratios": cpu_ratios,
                    "round_ratios": round_ratios,
                },
                indent=2,
            )
        )
        return 0

    print(f"# bench_sim_vs_peers: {info['python']} on {info['platform']}")
    print(
        f"# processor {info['processor']}, {info['cpus']} CPUs; M/M/10+M, {args.customers:,} customers, "
        f"seed {args.seed}, repeat {args.repeat}"
    )
    print(
        f"{'tool':<10} {'version':<15} {'best cust/s':>12} {'median cust/s':>14} {'median CPU':>11}"
        f" {'abandon':>8} {'P(wait)':>8} {'ASA s':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<10} {r['version']:<15} {r['best_per_s']:>12,.0f} {r['median_per_s']:>14,.0f}"
            f" {r['median_cpu_per_s']:>11,.0f} {r['abandon_rate']:>8.4f} {r['p_wait']:>8.4f} {r['asa']:>7.3f}"
        )
    print(
        f"{'exact':<10} {'Erlang A':<15} {'':>12} {'':>14} {'':>11} {EXACT['abandon_rate']:>8.4f}"
        f" {EXACT['p_wait']:>8.4f} {EXACT['asa']:>7.3f}"
    )
    print("# ratios of medians, wall clock: " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    print("# ratios of medians, CPU time:   " + ", ".join(f"{k} {v:.2f}x" for k, v in cpu_ratios.items()))
    print("# median of each round's ratio, CPU time: " + ", ".join(f"{k} {v:.2f}x" for k, v in round_ratios.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
