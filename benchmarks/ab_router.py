"""The router's churn cycle at an earlier commit and now, measured side by side in rounds.

What it measures
    ``bench_router.py``'s steady churn (router only, no reference) at every scale up to ``--size``, for
    the code of ``--base`` (a git revision, checked out into a temporary worktree) and for the working
    tree. Each round runs one fresh process per side, base then new, each timing ``--repeat`` repeats of
    ``--cycles`` cycles per scale and reporting its median; the load of a shared machine falls on both
    sides of a round alike. The figure per scale is the median over rounds of each round's ratio
    (new / base: below 1 is faster), with the quartiles of those ratios.

Run ``.venv/bin/python benchmarks/ab_router.py --base f265c0f`` (``--rounds`` default 7, ``--size``
default 10,000 waiting, which is ``bench_router.py --quick``'s largest scale). Results, command and
machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from _harness import checkout, machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def one_side(src: Path, args: argparse.Namespace) -> dict[int, float]:
    """Median seconds per cycle at each scale, for the package under ``src``."""
    command = [sys.executable, str(HERE / "bench_router.py"), "--no-reference", "--json", "--quiet"]
    command += ["--size", str(args.size), "--repeat", str(args.repeat), "--cycles", str(args.cycles)]
    command += ["--seed", str(args.seed)]
    done = subprocess.run(command, env={"PYTHONPATH": str(src)}, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(done.stdout)
    return {row["waiting"]: row["router_s_per_cycle"]["median_s"] for row in data["rows"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--rounds", type=int, default=7, help="rounds of base then new (default 7)")
    parser.add_argument("--size", type=int, default=10_000, help="largest scale, waiting contacts (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeats per scale in each run (default 3)")
    parser.add_argument("--cycles", type=int, default=20_000, help="cycles per repeat (default 20,000)")
    parser.add_argument("--seed", type=int, default=20260824, help="the contacts' seed")
    args = parser.parse_args()

    info = machine()
    ratios: dict[int, list[float]] = {}
    medians: dict[str, dict[int, list[float]]] = {"base": {}, "new": {}}
    with checkout(args.base) as worktree:
        for _ in range(args.rounds):
            base = one_side(worktree / "src", args)
            new = one_side(ROOT / "src", args)
            for waiting in base:
                ratios.setdefault(waiting, []).append(new[waiting] / base[waiting])
                medians["base"].setdefault(waiting, []).append(base[waiting])
                medians["new"].setdefault(waiting, []).append(new[waiting])

    print(f"# ab_router: {info['python']} on {info['platform']}")
    print(f"# processor {info['processor']}, {info['cpus']} CPUs; base {args.base}, {args.rounds} rounds")
    print(f"{'waiting':>8} {'base µs/cycle':>14} {'new µs/cycle':>13} {'new/base':>9} {'quartiles':>16}")
    for waiting, values in sorted(ratios.items()):
        q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
        base_us = statistics.median(medians["base"][waiting]) * 1e6
        new_us = statistics.median(medians["new"][waiting]) * 1e6
        print(f"{waiting:>8,} {base_us:>14.2f} {new_us:>13.2f} {statistics.median(values):>8.3f}x {q1:>7.3f}-{q3:.3f}x")
    print("# new/base: the median over rounds of each round's ratio of medians (below 1: the new code is faster)")


if __name__ == "__main__":
    main()
