"""Check the simulator against queueing theory: M/M/10+M (Erlang A) within 3 standard errors of exact.

What it measures
    ``benchmarks/scenarios/erlang_a.toml``: 570 arrivals per hour, exponential handle time with mean
    60 s, 10 agents, exponential patience with mean 120 s, service level at 20 s, warm-up 2,000
    customers. It runs ``--reps`` independent replications of ``--customers`` customers each through
    :func:`routekit.sim.replications.simulate` (seeds spawned from ``SeedSequence(--seed)``), takes each
    replication's overall ASA, service level, abandonment, P(wait) and occupancy, and compares the mean
    of the replication means with the exact Erlang A value. The standard error comes from the spread of
    the replication means (sample sd / sqrt(reps)); ``z = (mean - exact) / SE`` and a KPI passes when
    ``|z| <= 3``. The exact values are those of :func:`routekit.analytics.erlang.erlang_a` (issue 6),
    and a KPI's definition is the one in :mod:`routekit.metrics` (service level: answered within 20 s
    over all offered, abandoned ones included).

Run ``.venv/bin/python benchmarks/validate_erlang_a.py --reps 20 --customers 200000`` (the issue's
check: about 6 minutes on a 2-core machine); ``--json`` prints the figures as JSON. The exit status is
1 when any KPI fails. Results, command and machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _harness import machine

from routekit.sim.replications import simulate
from routekit.sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "erlang_a.toml"

# Exact Erlang A figures for the scenario (issue 6; routekit.analytics.erlang.erlang_a(570, 60, 10, 120, 20)).
EXACT: dict[str, float] = {
    "asa": 9.616,
    "service_level": 0.73705,
    "abandon_rate": 0.08445,
    "p_wait": 0.54572,
    "occupancy": 0.86977,
}
LABELS = {
    "asa": "ASA (s)",
    "service_level": "service level",
    "abandon_rate": "abandonment",
    "p_wait": "P(wait)",
    "occupancy": "occupancy",
}
Z_LIMIT = 3.0


def compare(samples: dict[str, list[float]], limit: float = Z_LIMIT) -> list[dict[str, Any]]:
    """Each KPI's exact value, mean of replication means, standard error, z-score and verdict."""
    rows = []
    for name, exact in EXACT.items():
        values = samples[name]
        mean = statistics.fmean(values)
        se = statistics.stdev(values) / math.sqrt(len(values))
        z = (mean - exact) / se if se > 0 else math.inf
        rows.append({"kpi": name, "exact": exact, "mean": mean, "se": se, "z": z, "pass": abs(z) <= limit})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=20, help="replications (default 20)")
    p.add_argument("--customers", type=int, default=200_000, help="customers per replication (default 200,000)")
    p.add_argument("--seed", type=int, default=20260824, help="root seed (default 20260824)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = p.parse_args(argv)
    if args.reps < 2:
        p.error("--reps must be at least 2: the standard error comes from the spread of replications")

    scenario = load_scenario(SCENARIO)
    info = machine()
    started = time.perf_counter()
    result = simulate(
        scenario,
        reps=args.reps,
        seed=args.seed,
        customers=args.customers,
        progress=lambda _: print(".", end="", file=sys.stderr, flush=True),
    )
    elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    overall = [run.report.overall for run in result.runs]
    samples: dict[str, list[float]] = {}
    for name in EXACT:
        values = [getattr(row, name) for row in overall]
        assert all(v is not None for v in values), f"{name} undefined in a replication"
        samples[name] = [float(v) for v in values]
    rows = compare(samples)
    ok = all(row["pass"] for row in rows)

    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "reps": args.reps,
                    "customers": args.customers,
                    "warmup": scenario.run.warmup_customers,
                    "seed": args.seed,
                    "seconds": elapsed,
                    "kpis": rows,
                    "replications": samples,
                    "pass": ok,
                },
                indent=2,
            )
        )
        return 0 if ok else 1

    print(f"# validate_erlang_a: {info['python']} on {info['platform']}")
    print(f"# processor {info['processor']}, {info['cpus']} CPUs")
    print(
        f"# M/M/10+M, {args.reps} replications x {args.customers:,} customers "
        f"(warm-up {scenario.run.warmup_customers:,}), seed {args.seed}; {elapsed:.0f} s"
    )
    print(f"{'KPI':<14} {'exact':>9} {'mean':>9} {'SE':>9} {'z':>6}  verdict")
    for row in rows:
        digits = 3 if row["kpi"] == "asa" else 5
        print(
            f"{LABELS[row['kpi']]:<14} {row['exact']:>9.{digits}f} {row['mean']:>9.{digits}f}"
            f" {row['se']:>9.{digits}f} {row['z']:>+6.2f}  {'PASS' if row['pass'] else 'FAIL'}"
        )
    print(f"# {'all within' if ok else 'NOT all within'} {Z_LIMIT:g} standard errors")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
