"""The simulator's speed at an earlier commit and now, measured side by side in one run.

What it measures
    Customers per CPU second of ``run_day`` on ``benchmarks/scenarios/erlang_a.toml`` (M/M/10+M) for
    the code of ``--base`` (a git revision, checked out into a temporary worktree) and for the working
    tree, each run in its own fresh process, interleaved (base, new, base, new, ...) so that a shared
    machine's changing load falls on both alike. Each process runs an untimed warm-up day of 5,000
    customers, then the timed one. It also prints each side's abandonment, ASA and event count: when
    a change is meant to keep the router's decisions, they must be identical.

Run ``.venv/bin/python benchmarks/ab_sim.py --base b01a7d4`` (``--customers N``, default 100,000;
``--repeat R``, default 3). The speed-up is the ratio of the medians; the ratio of each side's best run
is printed beside it, since on a shared machine the load only ever slows a run down.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from _harness import checkout, machine

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "benchmarks" / "scenarios" / "erlang_a.toml"

ONE_RUN = """
import sys, time
import numpy as np
from routekit.sim.engine import run_day
from routekit.sim.scenario import load_scenario
scenario = load_scenario(sys.argv[1])
customers = int(sys.argv[2])
run_day(scenario, np.random.SeedSequence(7), customers=5_000)
started = time.process_time()
result = run_day(scenario, np.random.SeedSequence(1), customers=customers)
seconds = time.process_time() - started
row = result.report.overall
print(customers / seconds, row.abandon_rate, row.asa, result.events)
"""


def one_run(src: Path, customers: int) -> tuple[float, str]:
    """Customers per CPU second, and the run's KPIs as text, for the package under ``src``."""
    done = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(SCENARIO), str(customers)],
        env={"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    speed, *kpis = done.stdout.split()
    return float(speed), " ".join(kpis)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--customers", type=int, default=100_000, help="customers per run (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (default 3)")
    args = parser.parse_args()

    info = machine()
    speeds: dict[str, list[float]] = {"base": [], "new": []}
    kpis: dict[str, set[str]] = {"base": set(), "new": set()}
    with checkout(args.base) as worktree:
        for _ in range(args.repeat):
            for side, src in (("base", worktree / "src"), ("new", ROOT / "src")):
                speed, measured = one_run(src, args.customers)
                speeds[side].append(speed)
                kpis[side].add(measured)

    print(f"# ab_sim: {info['python']} on {info['platform']}")
    print(f"# processor {info['processor']}, {info['cpus']} CPUs; M/M/10+M, {args.customers:,} customers")
    print(f"{'side':<6} {'revision':<12} {'median cust/CPU-s':>18}  runs  abandonment, ASA, events")
    for side, revision in (("base", args.base), ("new", "working tree")):
        runs = ", ".join(f"{s:,.0f}" for s in speeds[side])
        print(f"{side:<6} {revision:<12} {statistics.median(speeds[side]):>18,.0f}  {runs}  {' | '.join(kpis[side])}")
    ratio = statistics.median(speeds["new"]) / statistics.median(speeds["base"])
    same = "identical" if kpis["base"] == kpis["new"] else "DIFFERENT"
    best = max(speeds["new"]) / max(speeds["base"])
    print(f"# speed-up of medians: {ratio:.2f}x (of best runs: {best:.2f}x); KPIs and event counts: {same}")


if __name__ == "__main__":
    main()
