"""The sliding-window statistics: the cost of recording an event and of reading a window, by open contacts.

What it measures
    ``CumulativeStatistics.record`` over a synthetic stream of SIZE contacts on 2 channels x 4 tiers x 5
    rules (40 rows), one every 0.05 s: each is queued, offered 1 s later, answered 3 s after that and
    completed a minute later (one in ten abandons instead), so a 15-minute window holds 18,000 contacts.
    Before them, BACKLOG contacts are queued and never answered (0, 10,000 and 100,000): the open contacts
    whose deadlines the statistics keep sorted. Then ``read(now)`` of the 15-minute window at the end of
    the stream (60 s buckets). Recording should cost O(log open contacts) per event and a read
    O(buckets x rows + rows x log open contacts): the open contacts should barely show in either.

Run ``.venv/bin/python benchmarks/bench_cumulative.py`` (``--size`` contacts, ``--repeat R``, ``--json``).
The table, command and machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _harness import fmt_seconds, header, machine, measure_side_by_side, parser

from routekit.events import Abandoned, Assigned, Completed, ContactQueued, Event, Offered
from routekit.metrics import CumulativeStatistics

BACKLOGS = (0, 10_000, 100_000)
CHANNELS = ("voice", "chat")
TIERS = ("standard", "silver", "gold", "platinum")
RULES = tuple(f"skills:billing>={level}" for level in range(1, 6))
SERVICE_LEVELS = {"voice": 20.0, "chat": 60.0}


def stream(contacts: int, backlog: int, seed: int) -> tuple[list[Event], list[Event]]:
    """The backlog (queued at 0 s, never answered), and the contacts' events after it, in time order."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 40, size=backlog + contacts)
    leaves = rng.random(contacts) < 0.1
    timed: list[tuple[float, int, Event]] = []

    def queued(at: float, i: int) -> ContactQueued:
        row = int(rows[i])
        return ContactQueued(
            at=at,
            contact_id=f"c-{i}",
            channel=CHANNELS[row % 2],
            tier=TIERS[row // 2 % 4],
            arrived_at=at,
            stage=0,
            rule=RULES[row // 8],
            priority=0,
        )

    events: list[Event] = [queued(0.0, i) for i in range(backlog)]
    for k in range(contacts):
        i = backlog + k
        at = 1.0 + 0.05 * k
        timed.append((at, 0, queued(at, i)))
        if leaves[k]:
            timed.append((at + 2.0, 1, Abandoned(at=at + 2.0, contact_id=f"c-{i}")))
            continue
        timed.append(
            (
                at + 1.0,
                1,
                Offered(
                    at=at + 1.0,
                    contact_id=f"c-{i}",
                    agent_id="a",
                    stage=0,
                    rule=RULES[0],
                    selection="longest-idle",
                    expires_at=at + 21.0,
                ),
            )
        )
        timed.append((at + 4.0, 2, Assigned(at=at + 4.0, contact_id=f"c-{i}", agent_id="a", waited=4.0)))
        timed.append(
            (at + 64.0, 3, Completed(at=at + 64.0, contact_id=f"c-{i}", agent_id="a", wrap_up_until=at + 64.0))
        )
    timed.sort(key=lambda entry: (entry[0], entry[1]))
    return events, [event for _, _, event in timed]


def recording(backlog: list[Event], events: list[Event]) -> Callable[[], float]:
    """Seconds per event of the contacts' stream, the backlog recorded first, untimed."""

    def run() -> float:
        stats = CumulativeStatistics(window=900, bucket=60, service_levels=SERVICE_LEVELS)
        stats.record(backlog)
        started = time.perf_counter()
        stats.record(events)
        return (time.perf_counter() - started) / len(events)

    return run


def reading(backlog: list[Event], events: list[Event], reads: int = 20) -> Callable[[], float]:
    """Seconds per read of the window at the end of the stream."""
    stats = CumulativeStatistics(window=900, bucket=60, service_levels=SERVICE_LEVELS)
    stats.record(backlog)
    stats.record(events)
    now = events[-1].at

    def run() -> float:
        started = time.perf_counter()
        for _ in range(reads):
            stats.read(now)
        return (time.perf_counter() - started) / reads

    return run


def main() -> None:
    args = parser(__doc__.split("\n\n")[0], size=100_000, repeat=3).parse_args()
    streams = {backlog: stream(args.size, backlog, args.seed) for backlog in BACKLOGS}
    records = measure_side_by_side([recording(*pair) for pair in streams.values()], repeat=args.repeat)
    reads = measure_side_by_side([reading(*pair) for pair in streams.values()], repeat=args.repeat)
    rows: list[dict[str, Any]] = [
        {"backlog": backlog, "events": len(streams[backlog][1]), "record_s": rec.median_s, "read_s": read.median_s}
        for backlog, rec, read in zip(BACKLOGS, records, reads, strict=True)
    ]
    if args.json:
        print(json.dumps({"machine": machine(), "rows": rows}, indent=2))
        return
    print("\n".join(header("bench_cumulative", machine(), args)))
    print(f"# median of {args.repeat} repeats; a 900 s window of 60 s buckets, 40 rows, 18,000 contacts in it")
    print(f"{'open':>8}  {'events':>9}  {'record / event':>14}  {'read':>9}")
    for row in rows:
        print(
            f"{row['backlog']:>8,}  {row['events']:>9,}  {fmt_seconds(row['record_s']):>14}"
            f"  {fmt_seconds(row['read_s']):>9}"
        )


if __name__ == "__main__":
    main()
