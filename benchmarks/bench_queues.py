"""Where a queue should move from a plain sorted list to a SortedList: an add and a remove, side by side.

What it measures
    The cost of one ``add`` and one ``remove`` of a ``((priority, arrival, seq), id)`` entry in the middle
    of a sorted list of N entries, for the two representations a :class:`~routekit.ContactQueue` or
    :class:`~routekit.AgentPool` uses (``routekit.queues``): the plain list kept sorted with :mod:`bisect`
    (``_SmallSorted``), which small queues and pools use, and :class:`sortedcontainers.SortedList`, which
    they become past ``routekit.queues.LARGE`` entries. N runs from 10 to 100,000. The plain list pays
    for moving its tail (O(N), but in C); the SortedList pays a fixed Python bookkeeping (O(log N)).

Run ``.venv/bin/python benchmarks/bench_queues.py`` (``--repeat R``, ``--size OPS`` add-remove pairs per
repeat, ``--json``). The table, command and machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from _harness import fmt_seconds, header, machine, measure_side_by_side, parser
from sortedcontainers import SortedList

from routekit.queues import LARGE, _SmallSorted

SIZES = (10, 100, 1_000, 2_000, 10_000, 100_000)


def add_remove(entries: _SmallSorted | SortedList, ops: int) -> Callable[[], float]:
    """Seconds per add-and-remove of one entry in the middle of ``entries``."""
    middle = ((0, len(entries) / 2 + 0.5, -1), "new")

    def run() -> float:
        add, remove = entries.add, entries.remove
        started = time.perf_counter()
        for _ in range(ops):
            add(middle)
            remove(middle)
        return (time.perf_counter() - started) / ops

    return run


def main() -> None:
    args = parser(__doc__.split("\n\n")[0], size=50_000, repeat=5).parse_args()
    rows = []
    for n in SIZES:
        entries = [((0, float(i), i), f"c-{i}") for i in range(n)]
        small, large = measure_side_by_side(
            [add_remove(_SmallSorted(entries), args.size), add_remove(SortedList(entries), args.size)],
            repeat=args.repeat,
        )
        rows.append({"entries": n, "plain_list_s": small.median_s, "sorted_list_s": large.median_s})
    if args.json:
        print(json.dumps({"machine": machine(), "large": LARGE, "rows": rows}, indent=2))
        return
    print("\n".join(header("bench_queues", machine(), args)))
    print(f"# median of {args.repeat} repeats; routekit.queues.LARGE = {LARGE:,}")
    print(f"{'entries':>8}  {'plain list':>11}  {'SortedList':>11}  plain / sorted")
    for row in rows:
        ratio = row["plain_list_s"] / row["sorted_list_s"]
        print(
            f"{row['entries']:>8,}  {fmt_seconds(row['plain_list_s']):>11}  "
            f"{fmt_seconds(row['sorted_list_s']):>11}  {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
