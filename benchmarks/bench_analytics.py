"""Time routekit's Erlang A and C and a day's staffing, beside pyworkforce and erlanglib (Erlang C).

Run ``python benchmarks/bench_analytics.py`` after ``pip install -e '.[bench]'``. It times one
evaluation of each model at 10, 100, 1,000 and 10,000 agents (95% load, 180 s handle time, 120 s
patience, 80/20), then the staffing of a day of ``--size`` intervals drawn from ``--seed``; every case
is warmed up once, run ``--repeat`` times, and reported as min and median per call. A peer that is
missing, or too slow at a size (``--peer-budget`` seconds per call), is marked and skipped. Results,
command and machine go into docs/benchmarks.md.

The peers compute Erlang C only: pyworkforce's ``ErlangC`` (minutes and transactions per interval,
a linear scan from the load when staffing) and erlanglib (``Decimal`` at 1,000 digits; it has no
staffing search, so it appears only in the single-evaluation rows).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import routekit.analytics as analytics

AGENTS = (10, 100, 1_000, 10_000)
UTILISATION = 0.95
AHT = 180.0  # seconds
PATIENCE = 120.0  # seconds
THRESHOLD = 20.0  # seconds
TARGET = 0.8


def main(argv: list[str] | None = None) -> int:
    """Run every case and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=20260824, help="seed of the day's forecast")
    parser.add_argument("--size", type=int, default=48, help="intervals in the day (default 48)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case (default 7)")
    parser.add_argument("--peer-budget", type=float, default=30.0, help="skip a peer call slower than this (s)")
    parser.add_argument(
        "--slow-peers", action="store_true", help="also time erlanglib at 10,000 agents (about 20 s a call)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    peers = _peers()
    results: list[dict[str, Any]] = []
    for n in AGENTS:
        rate = UTILISATION * n * 3600.0 / AHT
        case = f"one queue, {n:,} agents"
        erlang_a = functools.partial(analytics.erlang_a, rate, AHT, n, PATIENCE, THRESHOLD)
        erlang_c = functools.partial(analytics.erlang_c, rate, AHT, n, THRESHOLD)
        results.append(_row(case, "routekit erlang_a", erlang_a, args))
        results.append(_row(case, "routekit erlang_c", erlang_c, args))
        for name, make in peers.items():
            results.append(_row(case, name, make(rate, n, args.slow_peers), args))

    day = _forecast(args.seed, args.size)
    targets = analytics.Targets(service_level=TARGET, threshold=THRESHOLD)
    case = f"staff a day of {args.size} intervals"
    with_patience = [analytics.Interval(start=s, rate=r, aht=AHT, patience=PATIENCE) for s, r in day]
    without = [analytics.Interval(start=s, rate=r, aht=AHT) for s, r in day]
    results.append(
        _row(case, "routekit staff_day, Erlang A", lambda: analytics.staff_day(with_patience, targets), args)
    )
    results.append(_row(case, "routekit staff_day, Erlang C", lambda: analytics.staff_day(without, targets), args))
    if "pyworkforce ErlangC" in peers:
        results.append(_row(case, "pyworkforce ErlangC", _pyworkforce_day(day), args))
    agreement = _agreement(day, targets, peers)

    machine = _machine()
    if args.json:
        print(
            json.dumps({"machine": machine, "args": vars(args), "results": results, "agreement": agreement}, indent=2)
        )
        return 0
    print(f"# bench_analytics: {machine['python']} on {machine['platform']}")
    print(f"# processor {machine['processor']}, {machine['cpus']} CPUs; seed {args.seed}, repeat {args.repeat}")
    print(f"{'case':<32} {'implementation':<30} {'min':>12} {'median':>12}")
    for r in results:
        if r["skipped"]:
            print(f"{r['case']:<32} {r['implementation']:<30} {'skipped: ' + r['skipped']:>25}")
        else:
            print(f"{r['case']:<32} {r['implementation']:<30} {_ms(r['min_s']):>12} {_ms(r['median_s']):>12}")
    for line in agreement:
        print(f"# {line}")
    return 0


def _row(case: str, implementation: str, call: Callable[[], object] | str, args: argparse.Namespace) -> dict[str, Any]:
    """Time one call: warm up, choose an inner loop of at least 20 ms, then take `repeat` runs."""
    row: dict[str, Any] = {
        "case": case,
        "implementation": implementation,
        "skipped": "",
        "min_s": None,
        "median_s": None,
    }
    if isinstance(call, str):
        row["skipped"] = call
        return row
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    if first > args.peer_budget:
        row["skipped"] = f"{first:.0f} s per call"
        return row
    loops = max(1, int(0.02 / max(first, 1e-9)))
    # A call of many seconds (erlanglib at 10,000 agents) gets three runs, not --repeat.
    repeat = args.repeat if first * loops * args.repeat < 60 else min(args.repeat, 3)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        times.append((time.perf_counter() - start) / loops)
    row["min_s"] = min(times)
    row["median_s"] = statistics.median(times)
    return row


Peer = Callable[[float, int, bool], Callable[[], object] | str]


def _peers() -> dict[str, Peer]:
    """The peers that import, each as a factory of a zero-argument call (or the reason it is skipped)."""
    peers: dict[str, Peer] = {}
    try:
        from pyworkforce.queuing import ErlangC  # type: ignore[import-untyped]

        def pyworkforce(rate: float, n: int, _slow: bool) -> Callable[[], object]:
            # pyworkforce counts transactions per interval and times in minutes.
            queue = ErlangC(transactions=rate, aht=AHT / 60.0, asa=THRESHOLD / 60.0, interval=60)
            return lambda: (queue.waiting_probability(n), queue.service_level(n))

        peers["pyworkforce ErlangC"] = pyworkforce
    except ImportError as err:
        print(f"# pyworkforce not available ({err}); pip install -e '.[bench]'", file=sys.stderr)
    try:
        import erlanglib  # type: ignore[import-untyped]

        def erlang_lib(rate: float, n: int, slow: bool) -> Callable[[], object] | str:
            load = rate * AHT / 3600.0
            if n > 2_000 and not slow:
                # Its Decimal sums cost O(n²) at 1,000 digits: about 20 s a call at 10,000 agents.
                return "~20 s a call; --slow-peers"

            def call() -> object:
                p_wait = erlanglib.erlang_c(n, load)
                return erlanglib.service_level(n, load, p_wait, THRESHOLD, AHT)

            return call

        peers["erlanglib erlang_c"] = erlang_lib
    except ImportError as err:
        print(f"# erlanglib not available ({err}); pip install -e '.[bench]'", file=sys.stderr)
    return peers


def _forecast(seed: int, size: int) -> list[tuple[str, float]]:
    """A day's arrivals per hour: a two-humped intraday curve with seeded noise, 50 to 3,000 calls/h."""
    rng = np.random.default_rng(seed)
    hours = np.linspace(7.0, 21.0, size, endpoint=False)
    curve = 0.25 + np.exp(-(((hours - 11.0) / 2.0) ** 2)) + 0.8 * np.exp(-(((hours - 15.5) / 2.2) ** 2))
    rates = np.clip(3000.0 * curve / curve.max() * rng.lognormal(0.0, 0.1, size), 50.0, None)
    return [(f"{int(h):02d}:{round((h % 1) * 60):02d}", float(r)) for h, r in zip(hours, rates, strict=True)]


def _pyworkforce_day(day: list[tuple[str, float]]) -> Callable[[], object]:
    from pyworkforce.queuing import ErlangC

    def call() -> object:
        return [
            ErlangC(transactions=rate, aht=AHT / 60.0, asa=THRESHOLD / 60.0, interval=60).required_positions(TARGET)
            for _, rate in day
        ]

    return call


def _agreement(day: list[tuple[str, float]], targets: analytics.Targets, peers: dict[str, Peer]) -> list[str]:
    """Check that the peers compute the same thing: P(wait) and the day's Erlang C agents."""
    lines = []
    if "pyworkforce ErlangC" in peers:
        from pyworkforce.queuing import ErlangC

        ours = [
            r.staffing.agents
            for r in analytics.staff_day([analytics.Interval(start=s, rate=r, aht=AHT) for s, r in day], targets)
        ]
        theirs = [
            ErlangC(transactions=r, aht=AHT / 60.0, asa=THRESHOLD / 60.0, interval=60).required_positions(TARGET)[
                "raw_positions"
            ]
            for _, r in day
        ]
        same = sum(a == b for a, b in zip(ours, theirs, strict=True))
        lines.append(f"Erlang C agents per interval, routekit vs pyworkforce: {same} of {len(day)} equal")
        worst = 0.0
        for n in AGENTS:
            rate = UTILISATION * n * 3600.0 / AHT
            mine = analytics.erlang_c(rate, AHT, n, THRESHOLD).p_wait
            other = ErlangC(transactions=rate, aht=AHT / 60.0, asa=THRESHOLD / 60.0, interval=60).waiting_probability(n)
            worst = max(worst, abs(mine - other) / other)
        lines.append(f"P(wait) routekit vs pyworkforce, largest relative difference: {worst:.1e}")
    if "erlanglib erlang_c" in peers:
        import erlanglib

        worst = 0.0
        for n in AGENTS[:3]:
            load = UTILISATION * n
            mine = analytics.erlang_c(load * 3600.0 / AHT, AHT, n, THRESHOLD).p_wait
            worst = max(worst, abs(mine - erlanglib.erlang_c(n, load)) / mine)
        lines.append(f"P(wait) routekit vs erlanglib (up to 1,000 agents), largest relative difference: {worst:.1e}")
    return lines


def _machine() -> dict[str, Any]:
    uname = platform.uname()
    return {
        "python": f"Python {platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "processor": platform.processor() or uname.machine,
        "cpus": os.cpu_count(),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.4g} ms"


if __name__ == "__main__":
    sys.exit(main())
