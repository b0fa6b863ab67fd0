"""Sweep the sticky window of the built-in mobile-support day and read what it buys messaging.

**Scenario.** The built-in day (08:00 to 20:00: voice, chat, in-app messaging and video on the
mobile-support policy) is simulated with the sticky window at 0, 120, 300, 600 and 1,200 seconds, four
replications each. The window is how long a customer's reply waits for the agent who served the last
turn before it falls back to the pool. Every window runs on the same four replication seeds (common
random numbers), so the columns move with the window, not with the noise. The table shows how often a
reply went back to its last agent (the sticky hit rate) and what that cost in the replies' service
level (answered within 5 minutes of the customer writing), with each ± a 95% t interval over the
replications. The sweep runs on a pool of two processes; serially, or on a Dask cluster, it prints the
very same numbers.

Run ``python examples/sweep_sticky_window.py sticky.png`` to also draw service level and abandonment
against the window, with 95% bands (the ``plot`` extra). Without an argument no plot is drawn, so the
golden output test compares text only.

**Covers.** ``routekit.sim.sweep`` with a ``concurrent.futures.ProcessPoolExecutor``, ``SweepResult``
(``points``, ``SweepPoint.kpi`` per channel, ``failures``) and ``SweepResult.plot``.
"""

import concurrent.futures
import sys

from routekit.sim import sweep
from routekit.sim.replications import Estimate
from routekit.sim.scenario import builtin_scenario

SEED = 2026
WINDOWS = [0, 120, 300, 600, 1200]  # seconds a reply waits for its last agent
REPS = 4
WORKERS = 2


def pct(estimate: Estimate) -> str:
    """A KPI as ``mean ± half-width`` in percent, or ``-`` where it is undefined."""
    if estimate.mean is None:
        return "-"
    return f"{100 * estimate.mean:5.1f} ± {100 * (estimate.ci95 or 0.0):4.1f}"


def main() -> None:
    """Print one row per sticky window: sticky hits and service level for messaging, and the day's."""
    grid = {"policy.sticky.window": WINDOWS}
    with concurrent.futures.ProcessPoolExecutor(max_workers=WORKERS) as pool:
        result = sweep(builtin_scenario(), grid, REPS, SEED, pool)
    print(f"built-in day, {REPS} replications per window, seed {SEED}; ± is a 95% t interval")
    print(f"{'window s':>8}  {'sticky hits %':>13}  {'messaging SL %':>14}  {'day SL %':>12}  {'abandon %':>12}")
    for point in result.points:
        window = point.overrides["policy.sticky.window"]
        hits = pct(point.kpi("sticky_hit_rate", "messaging"))
        messaging = pct(point.kpi("service_level", "messaging"))
        day = pct(point.kpi("service_level"))
        abandon = pct(point.kpi("abandon_rate"))
        print(f"{window:>8}  {hits:>13}  {messaging:>14}  {day:>12}  {abandon:>12}")
    print(f"failed tasks: {len(result.failures)}")
    if len(sys.argv) > 1:
        result.plot(sys.argv[1])
        print(f"plot written to {sys.argv[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
