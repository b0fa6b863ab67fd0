"""Instructions per simulated customer, counted by valgrind: a speed measure a shared machine cannot disturb.

What it measures
    The machine instructions CPython executes per customer of the M/M/10+M day
    (``benchmarks/scenarios/erlang_a.toml``), counted by ``valgrind --tool=callgrind`` for the working
    tree and, with ``--base REV``, for an earlier commit (checked out into a temporary worktree); with
    ``--peers``, also for the SimPy and Ciw models of ``bench_sim_vs_peers.py``. Each subject runs twice,
    at ``--small`` and ``--large`` customers, and the difference over the difference in customers is
    the count per customer: start-up, imports and warm-up cancel out.

    A count barely moves from one run to the next (about 0.1% back to back and up to 0.5% an hour apart
    here, with ``PYTHONHASHSEED=0``, which the script sets), whatever else the host runs, where a timing
    on this machine moves by 5 to 15%. It is not a time: memory stalls and branch misses are not in it,
    so a change that saves instructions must still be confirmed by ``ab_sim.py`` or
    ``bench_sim_vs_peers.py``. It is the tool for telling apart changes of 1 to 2%, which timings here
    cannot. On this machine a Python-level call costs
    about 400 to 600 instructions.

Run ``.venv/bin/python benchmarks/count_instructions.py --base HEAD --peers`` (valgrind from Debian's
``valgrind`` package; a minute or two, two runs at a time). ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _harness import checkout, machine

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "benchmarks" / "scenarios" / "erlang_a.toml"

ROUTEKIT = """
import sys
import numpy as np
from routekit.sim.engine import run_day
from routekit.sim.scenario import load_scenario
run_day(load_scenario(sys.argv[1]), np.random.SeedSequence(1), customers=int(sys.argv[2]))
"""

PEER = """
import sys
sys.path.insert(0, sys.argv[1])
import bench_sim_vs_peers as peers
getattr(peers, sys.argv[3])(int(sys.argv[2]), 1)
"""


def instructions(command: list[str], src: Path | None) -> int:
    """Instructions callgrind counts for one run of ``command`` (with ``src`` first on the path)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.out", *command],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def command(subject: str, customers: int) -> list[str]:
    """The command that simulates ``customers`` with ``subject``'s code."""
    if subject in ("simpy", "ciw"):
        return [sys.executable, "-c", PEER, str(ROOT / "benchmarks"), str(customers), f"run_{subject}"]
    return [sys.executable, "-c", ROUTEKIT, str(SCENARIO), str(customers)]


def per_customer(subject: str, src: Path | None, small: int, large: int, pool: ThreadPoolExecutor) -> float:
    """Instructions per customer: the two runs' difference over the difference in customers."""
    low, high = pool.map(lambda n: instructions(command(subject, n), src), (small, large))
    return (high - low) / (large - small)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a git revision to count beside the working tree")
    parser.add_argument("--peers", action="store_true", help="also count the SimPy and Ciw models")
    parser.add_argument("--small", type=int, default=3_000, help="customers in the shorter run (default 3,000)")
    parser.add_argument("--large", type=int, default=13_000, help="customers in the longer run (default 13,000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.small < 2_500 or args.large <= args.small:
        sys.exit("--small must be at least 2,500 (the peers' KPIs skip 2,000 warm-up customers) and below --large")

    counts: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        if args.base is not None:
            with checkout(args.base) as worktree:
                base = per_customer("routekit", worktree / "src", args.small, args.large, pool)
            counts[f"routekit {args.base}"] = base
        counts["routekit (working tree)"] = per_customer("routekit", ROOT / "src", args.small, args.large, pool)
        if args.peers:
            counts["SimPy"] = per_customer("simpy", None, args.small, args.large, pool)
            counts["Ciw"] = per_customer("ciw", None, args.small, args.large, pool)

    new = counts["routekit (working tree)"]
    if args.json:
        print(json.dumps({"machine": machine(), "small": args.small, "large": args.large, "per_customer": counts}))
        return
    info = machine()
    print(f"# count_instructions: {info['python']} on {info['platform']}")
    print(f"# M/M/10+M; callgrind, PYTHONHASHSEED=0; runs of {args.small:,} and {args.large:,} customers")
    print(f"{'subject':<28} {'instructions per customer':>26} {'routekit (working tree) / subject':>34}")
    for subject, count in counts.items():
        print(f"{subject:<28} {count:>26,.0f} {new / count:>33.3f}x")
    print("# below 1x: the working tree runs fewer instructions per customer than the subject")


if __name__ == "__main__":
    main()
