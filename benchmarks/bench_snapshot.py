"""Time ``Router.snapshot()`` and ``Router.restore()`` on a filled router, beside an earlier commit.

What it measures
    The router of ``bench_router.py``'s steady churn, filled by real calls: N / 10 agents, every one busy,
    and N contacts waiting over 20 targets. ``snapshot()`` (to plain data), a JSON round trip of it (what a
    store does), and ``Router.restore()`` of the round-tripped data: min and median of ``--repeat`` runs
    after one warm-up, the garbage collector on, a full collection before each run. ``--base REV`` runs the
    same measurement on the code of an earlier commit (in a temporary git worktree, in a child process), so
    that restore with validation (this tree) and without (an earlier commit) are timed on the same data.

Run ``.venv/bin/python benchmarks/bench_snapshot.py --base c25d7fa`` (about two minutes); ``--size`` sets N
(default 100,000). Results, command and machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _harness import Timing, checkout, fmt_seconds, header, machine, measure, parser
from bench_router import ContactStream, fill

from routekit import Router

HERE = Path(__file__).resolve().parent


def timed(run: Any) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure_here(size: int, seed: int, repeat: int) -> dict[str, Any]:
    """Fill a router with ``size`` waiting contacts and time its snapshot, JSON round trip and restore."""
    churn = fill(max(1, size // 10), size, ContactStream(seed))
    router: Router = churn.router
    data = json.loads(json.dumps(router.snapshot()))
    text = json.dumps(data)
    figures: dict[str, Timing] = {
        "snapshot": measure(lambda: timed(router.snapshot), repeat=repeat),
        "json round trip": measure(lambda: timed(lambda: json.loads(json.dumps(router.snapshot()))), repeat=repeat),
        "restore": measure(lambda: timed(lambda: Router.restore(data, router.policy)), repeat=repeat),
    }
    restored = Router.restore(data, router.policy)
    if json.loads(json.dumps(restored.snapshot())) != data:
        raise RuntimeError("the restored router's snapshot differs from the original's")
    return {
        "waiting": size,
        "agents": max(1, size // 10),
        "json_bytes": len(text),
        "figures": {name: {"min": t.min_s, "median": t.median_s} for name, t in figures.items()},
    }


def measure_base(revision: str, args: Any) -> dict[str, Any]:
    """The same measurement on the code of ``revision``, in a child process."""
    with checkout(revision) as worktree:
        env = dict(os.environ, PYTHONPATH=str(worktree / "src"))
        command = [sys.executable, str(HERE / "bench_snapshot.py"), "--child"]
        command += ["--size", str(args.size), "--seed", str(args.seed), "--repeat", str(args.repeat)]
        done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    cli = parser(__doc__ or "", size=100_000, repeat=5)
    cli.add_argument("--base", help="a git revision to time beside the working tree")
    cli.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = cli.parse_args()
    if args.child:
        print(json.dumps(measure_here(args.size, args.seed, args.repeat)))
        return
    info = machine()
    here = measure_here(args.size, args.seed, args.repeat)
    base = measure_base(args.base, args) if args.base else None
    if args.json:
        print(json.dumps({"machine": info, "working_tree": here, "base": base, "base_revision": args.base}))
        return
    for line in header("bench_snapshot", info, args):
        print(line)
    size = f"# {here['waiting']:,} waiting, {here['agents']:,} agents; snapshot JSON {here['json_bytes'] / 1e6:.1f} MB"
    print(size)
    columns = f"{'what':<18} {'working tree (median)':>22} {'min':>10}"
    if base:
        columns += f" {args.base + ' (median)':>20} {'ratio':>7}"
    print(columns)
    for name, figure in here["figures"].items():
        line = f"{name:<18} {fmt_seconds(figure['median']):>22} {fmt_seconds(figure['min']):>10}"
        if base:
            other = base["figures"][name]
            line += f" {fmt_seconds(other['median']):>20} {figure['median'] / other['median']:>6.2f}x"
        print(line)


if __name__ == "__main__":
    main()
