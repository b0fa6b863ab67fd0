"""The crash test: kill a child driving a DurableRouter at a random moment, recover, and compare.

Each kill starts ``crash_child.py`` on a new SQLite file with its own seed, lets it run for a random
time, kills it with SIGKILL, reopens the file and checks the recovered router against an in-memory
``Router`` fed the same call stream:

- the recovered router is at the last call the child reported, or one call further (committed, not yet
  reported); with ``sync="batch"`` at least at the last call it reported committed;
- its snapshot equals the in-memory router's after the same number of journaled calls;
- no contact the in-memory router accepted is missing from it;
- every event the child published matches the in-memory router's, and the outbox holds exactly the
  events after the last acknowledgement: published plus pending is every event, once.

Run ``python tests/durable/crash.py --kills 2000`` for the local run; the slow test runs 200.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from call_stream import SETTINGS, CallStream, make_policy  # noqa: E402

import routekit as rk  # noqa: E402
from routekit.durable import codec  # noqa: E402
from routekit.events import Event  # noqa: E402


def reference(seed: int, journaled: int) -> tuple[rk.Router, dict[int, list[Event]], set[str]]:
    """An in-memory router fed the stream until ``journaled`` calls were journaled; events by seq; ids kept."""
    router = rk.Router(make_policy(), **SETTINGS)
    stream = CallStream(seed)
    events_by_seq: dict[int, list[Event]] = {}
    accepted: set[str] = set()
    seq = 0
    while seq < journaled:
        before = router.now
        name, events, error = stream.step(router)
        if error is not None:
            if isinstance(error, rk.ClockError) and router.now == before and not error.events:
                continue
            events = error.events
        elif name == "submit":
            accepted.add(stream.submitted[-1])
        seq += 1
        events_by_seq[seq] = events or []
    return router, events_by_seq, accepted


def one_kill(seed: int, sync: str, workdir: Path, rng: random.Random, max_delay: float = 0.35) -> dict[str, Any]:
    """One child, killed at a random moment; returns what was found (``problems`` empty when all is well)."""
    path = workdir / f"kill-{seed}.db"
    child = subprocess.Popen(
        [sys.executable, str(HERE / "crash_child.py"), str(path), str(seed), sync],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=HERE,
    )
    assert child.stdout is not None
    ready = child.stdout.readline()
    if ready != "ready\n":
        child.kill()
        raise RuntimeError(f"the child did not start: {ready!r}")
    time.sleep(rng.uniform(0.0, max_delay))
    os.kill(child.pid, signal.SIGKILL)
    # Read through the same buffered reader as the "ready" line: readline() may already hold the first
    # calls' lines, which communicate(), reading the pipe's file descriptor, would not see.
    out = child.stdout.read()
    child.wait()
    lines = [line.split() for line in out.split("\n")[:-1]]  # the last piece may be a cut line
    calls = [line for line in lines if line[0] == "call"]
    acks = [int(line[1]) for line in lines if line[0] == "ack"]
    reported = int(calls[-1][2]) if calls else 0
    committed = int(calls[-1][3]) if calls else 0
    acked = acks[-1] if acks else 0
    digests = {int(c[2]): c[4] for c in calls if c[4] != "-"}

    problems: list[str] = []
    recovered = rk.DurableRouter.open(path, make_policy(), **SETTINGS)
    try:
        seq = recovered.seq
        pending = recovered.pending_events()
        snapshot = recovered.snapshot()
    finally:
        recovered.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    if not committed <= seq <= reported + 1:
        problems.append(f"recovered at {seq}; reported {reported}, committed {committed}")
    ref, events_by_seq, accepted = reference(seed, seq)
    if ref.snapshot() != snapshot:
        problems.append(f"the recovered router differs from the in-memory one at {seq}")
    kept = {c["contact"]["id"] for c in snapshot["contacts"]} | set(snapshot["finished"])
    lost = len(accepted - kept)
    if lost:
        problems.append(f"{lost} contacts lost")
    for s, digest in digests.items():
        if s <= seq and digest != codec.digest(codec.encode_events(events_by_seq[s])):
            problems.append(f"the events published at {s} differ from the in-memory router's")
    # The child acknowledges after it reports, so a kill may fall after an acknowledgement it never reported.
    suffixes = [[(s, e) for s in range(after + 1, seq + 1) for e in events_by_seq[s]] for after in (acked, reported)]
    if pending not in suffixes:
        problems.append(f"the outbox is not every event after the last acknowledgement ({acked})")
    return {"seq": seq, "reported": reported, "calls": len(calls), "problems": problems, "lost": lost}


def run(kills: int, seed: int, workdir: Path | None = None, max_delay: float = 0.35) -> dict[str, Any]:
    """``kills`` kills, alternating ``sync="call"`` and ``sync="batch"``, each after a random delay up to
    ``max_delay`` seconds from the child's ``ready``; a summary of what was found."""
    rng = random.Random(seed)
    start = time.perf_counter()
    problems: list[str] = []
    totals: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for i in range(kills):
            sync = "call" if i % 2 == 0 else "batch"
            found = one_kill(seed * 100_000 + i, sync, Path(tmp), rng, max_delay)
            problems += [f"kill {i} ({sync}): {p}" for p in found["problems"]]
            totals["calls"] += found["calls"]
            totals["lost"] += found["lost"]
            totals["one further"] += found["seq"] > found["reported"]
    return {
        "kills": kills,
        "seconds": time.perf_counter() - start,
        "calls": totals["calls"],
        "recovered one call further": totals["one further"],
        "lost contacts": totals["lost"],
        "differences": len(problems),
        "problems": problems,
    }


def main() -> None:
    """Run the crash test from the command line and print its summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--max-delay", type=float, default=0.35, help="longest wait before a kill, in seconds")
    args = parser.parse_args()
    summary = run(args.kills, args.seed, max_delay=args.max_delay)
    for key, value in summary.items():
        if key != "problems":
            print(f"{key}: {value if not isinstance(value, float) else round(value, 1)}")
    for problem in summary["problems"][:20]:
        print(problem)


if __name__ == "__main__":
    main()
