"""Compare a 2-minute and a 10-minute sticky window on the built-in mobile-support day.

**Scenario.** The built-in day (08:00 to 20:00) has in-app messaging conversations of one to four
turns, with customers who reply minutes or hours later. After the 120 s hold, a conversation is parked;
a customer's reply then waits for the agent who served it last, for the sticky window, before anyone
else may take it. A longer window keeps more replies with the agent who knows the conversation, but a
reply that waits for a busy agent waits longer. Each window runs on the same replications of the day
(the same seed, so the same arrivals and durations: common random numbers), and the difference is taken
replication by replication, so its interval leaves out the variation both windows share (a busy day is
busy for both).

**Covers.** ``builtin_scenario``, ``override`` of the dotted key path ``policy.sticky.window``,
``simulate`` with replications from one seed, a run's per-channel KPI row, and 95% t intervals with
``estimate``: messaging service level, ASA and sticky hit rate, and their paired differences.
"""

from routekit.sim.replications import estimate, simulate
from routekit.sim.scenario import builtin_scenario, override

SEED = 2024
REPS = 8  # replications of the day for each window
WINDOWS = (120, 600)  # sticky windows in seconds: the short one first
CHANNEL = "messaging"
KPIS = (  # (KPI, label, scale, decimals)
    ("service_level", "service level %", 100.0, 1),
    ("asa", "ASA s", 1.0, 1),
    ("sticky_hit_rate", "sticky hit rate %", 100.0, 1),
)


def cell(mean: float | None, ci95: float | None, scale: float, decimals: int, sign: str = "") -> str:
    """``mean ± half-width``, scaled and rounded; ``-`` when the KPI is undefined."""
    if mean is None or ci95 is None:
        return "-"
    return f"{mean * scale:{sign}.{decimals}f} ± {ci95 * scale:.{decimals}f}"


def main() -> None:
    """Simulate the day for each window and print each KPI's mean, interval and paired difference."""
    day = builtin_scenario()
    results = [simulate(override(day, "policy.sticky.window", w), reps=REPS, seed=SEED) for w in WINDOWS]
    short, long = WINDOWS
    print(f"{CHANNEL} on the built-in day, {REPS} replications, seed {SEED}; ± is a 95% t interval")
    print(f"{'KPI':<18} {f'window {short} s':>16} {f'window {long} s':>16} {f'{long} s - {short} s':>16}")
    for name, label, scale, decimals in KPIS:
        cells = []
        for result in results:
            kpi = result.row(CHANNEL).kpis[name]
            cells.append(cell(kpi.mean, kpi.ci95, scale, decimals))
        per_rep = [[getattr(run.report.row(CHANNEL), name) for run in result.runs] for result in results]
        paired = [b - a for a, b in zip(*per_rep, strict=True) if a is not None and b is not None]
        difference = estimate(paired)
        cells.append(cell(difference.mean, difference.ci95, scale, decimals, sign="+"))
        print(f"{label:<18}" + "".join(f" {c:>16}" for c in cells))
    print("the difference is paired by replication: both windows see the same arrivals and durations")


if __name__ == "__main__":
    main()
