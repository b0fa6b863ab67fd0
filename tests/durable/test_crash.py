"""The crash test: SIGKILL a child driving a DurableRouter on an SQLite file, recover, compare (crash.py)."""

from __future__ import annotations

import crash
import pytest


def test_a_few_kills_recover_exactly() -> None:
    """Three kills at random moments: no difference, no lost contact, every event delivered."""
    summary = crash.run(kills=3, seed=7)
    assert ([], 0) == (summary["problems"], summary["lost contacts"])


@pytest.mark.slow
def test_two_hundred_kills_recover_exactly() -> None:
    """Two hundred kills, half with sync="call" and half with sync="batch": no difference, no lost contact."""
    summary = crash.run(kills=200, seed=20261206)
    assert ([], 0) == (summary["problems"], summary["lost contacts"])
