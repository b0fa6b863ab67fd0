"""Where the simulator's time goes: cProfile of ``run_day`` on the Erlang A model, by part of the loop.

What it measures
    ``run_day`` on ``benchmarks/scenarios/erlang_a.toml`` (M/M/10+M, the model of
    ``bench_sim_vs_peers.py``) under :mod:`cProfile`, and each function's own time (tottime) summed
    by the part of the loop it belongs to:

    - **router**: the ``router/`` package, ``queues.py``, the policies, sortedcontainers;
    - **engine**: ``sim/engine.py`` and the distributions (the loop, the reactions, the variate buffers);
    - **metrics**: ``metrics.py`` (the KPI collector reading the router's events);
    - **contacts**: building a ``Contact`` per arrival (``models/``);
    - **events**: the attrs ``__init__`` of the router's events (``events.py``);
    - **heapq** and **numpy**: the engine's and the router's heaps, and drawing variates.

    A built-in call (``dict.get``, ``len``, ...) is charged to the part that made it, in proportion to
    the time each caller spent in it. cProfile slows every Python call alike, so the shares, not the
    absolute times, are the result.

With ``--opcodes`` it counts instead, through :func:`sys.settrace` with ``f_trace_opcodes``, the
bytecodes CPython executes per customer in each part and each function. The count is exact and the
same at every run, whatever the machine is doing, and it does not favour functions that call many
others as cProfile's own time does; a bytecode is not a fixed time (a dict look-up costs more than a
local load), so it ranks the work rather than timing it. Tracing is slow: 5,000 customers by default.

Run ``.venv/bin/python benchmarks/profile_sim.py`` (``--customers N``, default 50,000, or 5,000 with
``--opcodes``; ``--seed S``; ``--top K`` functions to list). The table goes into docs/benchmarks.md with
the command and machine.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
from _harness import machine

from routekit.sim.engine import run_day
from routekit.sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "erlang_a.toml"

# The first pattern that matches a function's file (or attrs' generated name) gives its part.
PARTS: list[tuple[str, str]] = [
    (r"routekit[./]events", "events"),
    (r"routekit[./]models", "contacts"),
    (r"routekit/router/|routekit/queues\.py|routekit[./]policies|sortedcontainers", "router"),
    (r"routekit/sim/", "engine"),
    (r"routekit/metrics\.py|routekit\.metrics", "metrics"),
    (r"heapq", "heapq"),
    (r"numpy", "numpy"),
]

Func = tuple[str, int, str]


def part_of(func: Func) -> str | None:
    """The part a function belongs to, or ``None`` for a built-in (charged to its callers)."""
    filename, _, name = func
    where = f"{filename} {name}"
    for pattern, part in PARTS:
        if re.search(pattern, where):
            return part
    return None if filename == "~" else "other"


def label(func: Func) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    return f"{Path(filename).name}:{line} {name}"


def shares(stats: dict[Func, Any]) -> Counter[str]:
    """Own time by part, with each built-in's time split among its callers' parts."""
    by_part: Counter[str] = Counter()
    for func, (_, _, tottime, _, callers) in stats.items():
        part = part_of(func)
        if part is not None:
            by_part[part] += tottime
            continue
        if "heappush" in func[2] or "heappop" in func[2]:
            by_part["heapq"] += tottime
            continue
        total = sum(entry[2] for entry in callers.values())
        for caller, entry in callers.items():
            share = tottime * (entry[2] / total) if total > 0 else tottime / len(callers)
            by_part[part_of(caller) or "other"] += share
    return by_part


def opcodes_per_function(scenario: Any, seed: int, customers: int) -> Counter[Func]:
    """Bytecodes executed in each function during ``run_day``, counted by a trace function."""
    counts: Counter[Func] = Counter()

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        code = frame.f_code
        func = (code.co_filename, code.co_firstlineno, code.co_name)

        def on_opcode(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                counts[func] += 1
            return on_opcode

        return on_opcode

    sys.settrace(on_call)
    try:
        run_day(scenario, np.random.SeedSequence(seed), customers=customers)
    finally:
        sys.settrace(None)
    return counts


def print_opcodes(counts: Counter[Func], customers: int, top: int) -> None:
    total = sum(counts.values())
    by_part: Counter[str] = Counter()
    for func, n in counts.items():
        by_part[part_of(func) or "other"] += n
    print(f"# bytecodes per customer: {total / customers:,.0f}")
    print(f"{'part':<10} {'per customer':>13} {'share':>7}")
    for part, n in by_part.most_common():
        print(f"{part:<10} {n / customers:>13,.1f} {n / total:>7.1%}")
    print()
    print(f"{'function':<60} {'per customer':>13} {'share':>7}")
    for func, n in counts.most_common(top):
        print(f"{label(func)[:60]:<60} {n / customers:>13,.1f} {n / total:>7.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, help="customers (default 50,000; 5,000 with --opcodes)")
    parser.add_argument("--seed", type=int, default=20260824, help="random seed (default 20260824)")
    parser.add_argument("--top", type=int, default=15, help="functions to list by own time (default 15)")
    parser.add_argument("--opcodes", action="store_true", help="count bytecodes per function instead of timing")
    args = parser.parse_args()
    customers = args.customers or (5_000 if args.opcodes else 50_000)

    scenario = load_scenario(SCENARIO)
    run_day(scenario, np.random.SeedSequence(args.seed), customers=2_000)  # imports and caches, not counted
    info = machine()
    print(f"# profile_sim: {info['python']} on {info['platform']}")
    what = "bytecodes (sys.settrace)" if args.opcodes else "cProfile own time"
    print(
        f"# processor {info['processor']}, {info['cpus']} CPUs; run_day on M/M/10+M, {customers:,} customers, "
        f"seed {args.seed}; {what}"
    )
    if args.opcodes:
        print_opcodes(opcodes_per_function(scenario, args.seed, customers), customers, args.top)
        return

    profile = cProfile.Profile()
    profile.enable()
    result = run_day(scenario, np.random.SeedSequence(args.seed), customers=customers)
    profile.disable()
    stats: dict[Func, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    print(f"# per customer: {result.events / customers:.2f} router events")
    print(f"{'part':<10} {'share':>7}")
    for part, seconds in shares(stats).most_common():
        print(f"{part:<10} {seconds / total:>7.1%}")
    print()
    print(f"{'function':<60} {'own':>6} {'with callees':>12} {'calls':>10}")
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[: args.top]
    for func, (_, calls, tottime, cumtime, _) in ranked:
        print(f"{label(func)[:60]:<60} {tottime / total:>6.1%} {cumtime / total:>12.1%} {calls:>10,}")


if __name__ == "__main__":
    main()
