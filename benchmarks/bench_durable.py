"""Time the durable router beside the plain one, weigh its journal, and time its recovery and snapshots.

What it measures
    *Throughput.* The steady churn of ``bench_router.py`` (every agent busy, N contacts waiting; one
    cycle is a ``complete``, the ``accept`` of the offer it makes, and a ``submit``: three calls) at
    1,000 agents and 10,000 waiting, on a plain ``Router``, on a ``DurableRouter`` with ``sync="batch"``
    (its defaults: a group commit every 100 calls or 50 ms) and with ``sync="call"`` (a commit, and an
    fsync, per call), each on an SQLite file in ``--dir``, snapshots off while timed. The figure is calls
    per second (three per cycle), min and median over the repeats, timed side by side.

    *Bytes on disk per million calls.* A new store filled by those calls and then run for ``--cycles``
    cycles with ``sync="batch"``, nothing acknowledged and no snapshot: the file's size (after closing,
    which checkpoints the WAL into it) over the number of journaled calls, times a million. Journal and
    outbox both count; acknowledging drops the outbox rows and compaction drops the journal's.

    *Recovery.* A store with a snapshot at ``--size`` waiting (``--size`` / 10 agents), then 10,000
    journaled calls of the churn: the time of ``DurableRouter.open`` (parse the snapshot, restore, read
    and replay the 10,000 commands, check each digest), against ``Router.restore`` of the same snapshot
    as plain data already in memory plus the same 10,000 calls, as objects, made on it in memory. Each
    runs in a fresh process, as after a restart (the baseline's process loads its snapshot and calls
    before its clock starts). The JSON parse of the snapshot (with the garbage collector paused, as
    ``open`` does) is reported apart: the baseline does not pay it.

    *Snapshot pause.* The time of one ``checkpoint()`` at ``--size`` waiting: the router's
    ``snapshot()``, its JSON text, the write and the compaction. A live router stops for it. The parts
    (``snapshot()`` and ``json.dumps`` on their own, with the collector on) are reported beside it.

Targets (issue 20)
    ``sync="batch"`` at >= 30% of the plain router's calls per second at 10,000 waiting; recovery within
    1.5x the baseline.

Run ``.venv/bin/python benchmarks/bench_durable.py`` (about three minutes); ``--json`` prints the figures as
JSON. Results, command and machine go into docs/benchmarks.md.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _harness import fmt_seconds, header, machine, measure, measure_side_by_side, parser
from bench_router import Churn, ContactStream, make_agents

import routekit as rk
from routekit.events import Offered
from routekit.policies import Skills

THROUGHPUT_SCALE = (1_000, 10_000)
REPLAYED_CALLS = 10_000
TARGET_BATCH_SHARE = 0.30
TARGET_RECOVERY = 1.5


def fill(router: Any, agents: int, waiting: int, stream: ContactStream) -> Churn:
    """``router`` (plain or durable) filled by real calls: every agent busy, ``waiting`` contacts waiting."""
    for agent in make_agents(agents):
        router.add_agent(agent, 0.0)
    churn = Churn(router, deque(), 0.0)
    queued = 0
    while len(churn.assigned) < agents or queued < waiting:
        (contact,) = stream.take(1)
        offered = [e for e in router.submit(contact, 0.0) if type(e) is Offered]
        for event in offered:
            router.accept(event.contact_id, event.agent_id, 0.0)
            churn.assigned.append(event.contact_id)
        queued += not offered
    return churn


def durable(path: Path, **options: Any) -> rk.DurableRouter:
    """A durable router on a new SQLite file, snapshots off."""
    return rk.DurableRouter.open(path, Skills(), snapshot_every=None, snapshot_seconds=None, **options)


def file_bytes(path: Path) -> int:
    """The store's size on disk: the file and its WAL."""
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


def throughput(args: Any, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Calls per second at 10,000 waiting: plain, batch and call, side by side; and bytes per million calls."""
    agents, waiting = THROUGHPUT_SCALE
    cases: dict[str, tuple[Churn, ContactStream, int]] = {}
    routers: list[rk.DurableRouter] = []
    for name in ("plain", "batch", "call"):
        stream = ContactStream(args.seed)
        if name == "plain":
            router: Any = rk.Router(Skills())
        else:
            # Filled in large batches, then reopened with the mode under test.
            filling = durable(workdir / f"{name}.db", sync="batch", batch_calls=5_000, batch_ms=1e9)
            churn = fill(filling, agents, waiting, stream)
            filling.close()
            router = durable(workdir / f"{name}.db", sync=name)
            routers.append(router)
        start = time.perf_counter()
        churn = fill(router, agents, waiting, stream) if name == "plain" else Churn(router, churn.assigned, 0.0)
        log(f"{name}: ready in {time.perf_counter() - start:.1f} s")
        cycles = args.call_cycles if name == "call" else args.cycles
        cases[name] = (churn, stream, cycles)

    def runner(churn: Churn, stream: ContactStream, cycles: int) -> Callable[[], float]:
        def run() -> float:
            contacts = stream.take(cycles)
            start = time.perf_counter()
            churn.run(contacts)
            return (time.perf_counter() - start) / (3 * len(contacts))

        return run

    timings = measure_side_by_side([runner(*case) for case in cases.values()], repeat=args.repeat, warmup=1)
    for router in routers:
        router.close()
    per_call = dict(zip(cases, timings, strict=True))

    # Bytes on disk: a new store, filled and churned with sync="batch", nothing acknowledged.
    path = workdir / "bytes.db"
    stream = ContactStream(args.seed)
    router = durable(path, sync="batch")
    churn = fill(router, agents, waiting, stream)
    churn.run(stream.take(args.cycles * 3))
    calls = router.seq
    router.close()
    size = file_bytes(path)
    return {
        "agents": agents,
        "waiting": waiting,
        "seconds_per_call": {name: t.as_dict() for name, t in per_call.items()},
        "calls_per_second_median": {name: 1 / t.median_s for name, t in per_call.items()},
        "batch_share_of_plain": per_call["plain"].median_s / per_call["batch"].median_s,
        "call_share_of_plain": per_call["plain"].median_s / per_call["call"].median_s,
        "bytes_on_disk": size,
        "journaled_calls": calls,
        "bytes_per_million_calls": size / calls * 1e6,
    }


class Recorder:
    """Wraps a router and keeps every call made through it, to replay them on another router."""

    def __init__(self, router: Any) -> None:
        self.router = router
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.router, name)

        def call(*args: Any) -> Any:
            self.calls.append((name, args))
            return method(*args)

        return call


# Each recovery runs in a fresh process, as after a restart: a process that still held the benchmark's
# own data would make every garbage collection during the restore walk it too.
RECOVER = """
import sys, time
import routekit as rk
from routekit.policies import Skills
start = time.perf_counter()
router = rk.DurableRouter.open(sys.argv[1], Skills())
print(time.perf_counter() - start, router.seq)
"""
BASELINE = """
import json, pickle, sys, time
import routekit as rk
from routekit.policies import Skills
with open(sys.argv[1]) as f:
    snapshot = json.load(f)
with open(sys.argv[2], "rb") as f:
    calls = pickle.load(f)
start = time.perf_counter()
router = rk.Router.restore(snapshot, Skills())
for name, args in calls:
    getattr(router, name)(*args)
print(time.perf_counter() - start, len(calls))
"""


def in_child(code: str, *args: Path) -> tuple[float, int]:
    """Run ``code`` in a fresh Python process; the seconds and the count it prints."""
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True)
    seconds, count = done.stdout.split()
    return float(seconds), int(count)


def recovery(args: Any, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Recovery from a snapshot at ``--size`` waiting plus 10,000 calls, against restore and replay in memory."""
    waiting = args.size
    agents = max(20, waiting // 10)
    path = workdir / "recovery.db"
    stream = ContactStream(args.seed)
    router = durable(path, sync="batch", batch_calls=5_000, batch_ms=1e9)
    start = time.perf_counter()
    churn = fill(router, agents, waiting, stream)
    log(f"recovery: filled {agents:,} agents / {waiting:,} waiting in {time.perf_counter() - start:.1f} s")

    # The snapshot pause, with its parts: the router's snapshot(), the JSON text, the store's write.
    def pause() -> float:
        start = time.perf_counter()
        router.checkpoint()
        return time.perf_counter() - start

    pause_timing = measure(pause, repeat=args.repeat, warmup=0)
    start = time.perf_counter()
    snapshot = router.snapshot()
    snapshot_s = time.perf_counter() - start
    start = time.perf_counter()
    text = json.dumps({"router": snapshot}, separators=(",", ":"))
    dumps_s = time.perf_counter() - start
    (workdir / "snapshot.json").write_text(json.dumps(snapshot))
    del snapshot
    snapshot_seq = router.seq

    recorder = Recorder(router)
    churn.router = recorder
    while router.seq - snapshot_seq < REPLAYED_CALLS:
        churn.run(stream.take(1))
    replayed = router.seq - snapshot_seq
    router.close()
    with open(workdir / "calls.pickle", "wb") as f:
        pickle.dump(recorder.calls, f)
    log(f"recovery: {replayed:,} calls journaled after the snapshot ({len(text) / 1e6:.1f} MB of JSON)")

    def recover() -> float:
        seconds, seq = in_child(RECOVER, path)
        if seq != snapshot_seq + replayed:
            raise RuntimeError(f"recovered at {seq}, not {snapshot_seq + replayed}")
        return seconds

    def baseline() -> float:
        return in_child(BASELINE, workdir / "snapshot.json", workdir / "calls.pickle")[0]

    recover_timing, baseline_timing = measure_side_by_side([recover, baseline], repeat=args.repeat, warmup=1)
    gc.collect()
    gc.disable()
    start = time.perf_counter()
    json.loads(text)
    loads_s = time.perf_counter() - start
    gc.enable()
    return {
        "agents": agents,
        "waiting": waiting,
        "replayed_calls": replayed,
        "snapshot_json_bytes": len(text),
        "recovery_s": recover_timing.as_dict(),
        "baseline_s": baseline_timing.as_dict(),
        "recovery_over_baseline": recover_timing.median_s / baseline_timing.median_s,
        "snapshot_json_parse_s": loads_s,
        "checkpoint_pause_s": pause_timing.as_dict(),
        "pause_parts_s": {"snapshot()": snapshot_s, "json.dumps": dumps_s},
        "file_bytes": file_bytes(path),
    }


def table(info: dict[str, Any], args: Any, result: dict[str, Any]) -> str:
    """The figures as a fixed-width text table under the machine header."""
    t, r = result["throughput"], result["recovery"]
    lines = header("bench_durable", info, args)
    lines.append(f"# churn at {t['agents']:,} agents / {t['waiting']:,} waiting; calls per second (median, min time)")
    lines.append(f"{'router':<22} {'calls/s median':>15} {'calls/s best':>13} {'share of plain':>15}")
    for name, label in (("plain", "Router"), ("batch", 'Durable sync="batch"'), ("call", 'Durable sync="call"')):
        timing = t["seconds_per_call"][name]
        share = t["seconds_per_call"]["plain"]["median_s"] / timing["median_s"]
        lines.append(f"{label:<22} {1 / timing['median_s']:>15,.0f} {1 / timing['min_s']:>13,.0f} {share:>14.0%}")
    lines.append(
        f"bytes on disk per million calls: {t['bytes_per_million_calls'] / 1e6:,.0f} MB"
        f" ({t['bytes_on_disk']:,} bytes for {t['journaled_calls']:,} calls, nothing acknowledged)"
    )
    lines.append(
        f"# recovery: snapshot at {r['waiting']:,} waiting ({r['snapshot_json_bytes'] / 1e6:.1f} MB of JSON)"
        f" + {r['replayed_calls']:,} journaled calls"
    )
    lines.append(
        f"DurableRouter.open        {fmt_seconds(r['recovery_s']['median_s']):>10} median"
        f" ({fmt_seconds(r['recovery_s']['min_s'])} best)"
    )
    lines.append(
        f"Router.restore + replay   {fmt_seconds(r['baseline_s']['median_s']):>10} median"
        f" ({fmt_seconds(r['baseline_s']['min_s'])} best); JSON parse of the snapshot alone"
        f" {fmt_seconds(r['snapshot_json_parse_s'])}"
    )
    lines.append(f"recovery / baseline       {r['recovery_over_baseline']:>9.2f}x")
    parts = ", ".join(f"{k} {fmt_seconds(v)}" for k, v in r["pause_parts_s"].items())
    lines.append(
        f"checkpoint pause at {r['waiting']:,} waiting: {fmt_seconds(r['checkpoint_pause_s']['median_s'])} median"
        f" ({parts})"
    )
    for verdict in result["targets"]:
        met = "met" if verdict["met"] else "NOT met"
        lines.append(f"target {verdict['target']}: {verdict['value']:.2f} ({verdict['bound']}) {met}")
    return "\n".join(lines)


def main() -> None:
    """Measure, then print a table (or JSON)."""
    p = parser(__doc__.split("\n")[0], size=100_000, repeat=5)
    p.add_argument("--cycles", type=int, default=2_000, help="churn cycles per timed repeat (default 2,000)")
    p.add_argument("--call-cycles", type=int, default=200, help='cycles per repeat for sync="call" (default 200)')
    p.add_argument("--dir", type=Path, default=None, help="where the SQLite files go (default: a temporary dir)")
    args = p.parse_args()
    log = (lambda message: None) if args.json else (lambda message: print(f"# {message}", flush=True))
    info = machine()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        workdir = Path(tmp)
        result: dict[str, Any] = {
            "throughput": throughput(args, workdir, log),
            "recovery": recovery(args, workdir, log),
        }
    share = result["throughput"]["batch_share_of_plain"]
    ratio = result["recovery"]["recovery_over_baseline"]
    result["targets"] = [
        {
            "target": 'sync="batch" calls/s over the plain router\'s at 10,000 waiting (medians)',
            "value": share,
            "bound": f">= {TARGET_BATCH_SHARE:.2f}",
            "met": share >= TARGET_BATCH_SHARE,
        },
        {
            "target": "recovery time over Router.restore + in-memory replay (medians)",
            "value": ratio,
            "bound": f"<= {TARGET_RECOVERY:.2f}",
            "met": ratio <= TARGET_RECOVERY,
        },
    ]
    if args.json:
        print(json.dumps({"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, **result}, indent=2))
    else:
        print(table(info, args, result))


if __name__ == "__main__":
    main()
