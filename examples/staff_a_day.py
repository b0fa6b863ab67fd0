"""Staff a day of voice calls with Erlang C and with Erlang A, side by side.

**Scenario.** A support line opens at 08:00 and closes at 20:00. The forecast gives calls per hour for
each hour, a mean handle time of 4 minutes, and callers who hang up after 3 minutes on average. The
target is the classic 80/20: 80% of calls answered within 20 seconds. Erlang C, which assumes nobody
ever hangs up, is compared with Erlang A, which knows they do; the difference is the staff that
Erlang C asks for to serve callers who are no longer there.

**Covers.** ``rk.analytics.Targets``, ``rk.analytics.Interval``, ``rk.analytics.staff_day`` with and
without a patience, and the figures of each interval (service level, abandonment).
"""

import routekit as rk

# The computation is deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 7
AHT = 240.0  # seconds
PATIENCE = 180.0  # seconds
TARGET = 0.80
THRESHOLD = 20.0  # seconds
SHRINKAGE = 0.30
CALLS_PER_HOUR = {
    "08:00": 180,
    "09:00": 420,
    "10:00": 610,
    "11:00": 660,
    "12:00": 540,
    "13:00": 500,
    "14:00": 580,
    "15:00": 560,
    "16:00": 470,
    "17:00": 350,
    "18:00": 220,
    "19:00": 120,
}


def main() -> None:
    """Print one row per hour: the load, the agents each model asks for, and what Erlang A expects."""
    targets = rk.analytics.Targets(service_level=TARGET, threshold=THRESHOLD)
    without = [rk.analytics.Interval(start=s, rate=r, aht=AHT) for s, r in CALLS_PER_HOUR.items()]
    with_patience = [
        rk.analytics.Interval(start=s, rate=r, aht=AHT, patience=PATIENCE) for s, r in CALLS_PER_HOUR.items()
    ]
    erlang_c = rk.analytics.staff_day(without, targets, shrinkage=SHRINKAGE)
    erlang_a = rk.analytics.staff_day(with_patience, targets, shrinkage=SHRINKAGE)

    print(f"target {TARGET:.0%} within {THRESHOLD:.0f} s, AHT {AHT:.0f} s, patience {PATIENCE:.0f} s")
    print(f"{'hour':<6}{'calls/h':>8}{'load':>8}{'C agents':>10}{'A agents':>10}{'A SL':>8}{'A aband':>9}")
    for c_row, a_row in zip(erlang_c, erlang_a, strict=True):
        a = a_row.staffing.figures
        print(
            f"{c_row.interval.start:<6}{c_row.interval.rate:>8.0f}{a.load:>8.2f}"
            f"{c_row.staffing.agents:>10}{a_row.staffing.agents:>10}"
            f"{a.service_level:>8.1%}{a.p_abandon:>9.2%}"
        )
    c_hours = sum(row.staffing.agents for row in erlang_c)
    a_hours = sum(row.staffing.agents for row in erlang_a)
    print(f"{'agent-hours':<22}{c_hours:>10}{a_hours:>10}")
    c_scheduled = sum(row.staffing.scheduled for row in erlang_c)
    a_scheduled = sum(row.staffing.scheduled for row in erlang_a)
    print(f"{'scheduled (30% shr.)':<22}{c_scheduled:>10}{a_scheduled:>10}")


if __name__ == "__main__":
    main()
