"""The crash test's child: drive a seeded call stream through a DurableRouter on an SQLite file until killed.

Run as ``python crash_child.py PATH SEED SYNC``. It prints ``ready`` once the store is open, then one line
per call, ``call INDEX SEQ COMMITTED DIGEST`` (the digest of the events it publishes, ``-`` for none), and
``ack SEQ`` after each acknowledgement, flushing each line: what the parent reads is what happened.
"""

from __future__ import annotations

import random
import sys

from call_stream import SETTINGS, CallStream, make_policy

import routekit as rk
from routekit.durable import codec


def main() -> None:
    """Open the store and call until killed (or 100,000 calls)."""
    path, seed, sync = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    router = rk.DurableRouter.open(
        path, make_policy(), sync=sync, batch_calls=8, batch_ms=20.0, snapshot_every=40, **SETTINGS
    )
    stream = CallStream(seed)
    acks = random.Random(seed + 1)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for index in range(100_000):
        before = router.seq
        _, events, error = stream.step(router)
        published = events if error is None else error.events
        text = codec.digest(codec.encode_events(published)) if router.seq != before else "-"
        out.write(f"call {index} {router.seq} {router.committed_seq} {text}\n")
        out.flush()
        if acks.random() < 0.3:
            router.ack(router.seq)
            out.write(f"ack {router.seq}\n")
            out.flush()
    router.close()


if __name__ == "__main__":
    main()
