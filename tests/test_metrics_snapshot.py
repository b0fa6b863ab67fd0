"""KpiCollector.snapshot and restore: a collector restored mid-stream reports what one that never stopped does."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import routekit as rk

sys.path.insert(0, str(Path(__file__).resolve().parent / "durable"))

from call_stream import SETTINGS, CallStream, make_policy


def stream_events(seed: int, steps: int) -> list[rk.events.Event]:
    """Every event a router returned (or carried on an error) over a random stream."""
    router = rk.Router(make_policy(), **SETTINGS)
    stream = CallStream(seed)
    events: list[rk.events.Event] = []
    for _ in range(steps):
        _, returned, error = stream.step(router)
        events += returned if error is None else error.events
    return events


@pytest.mark.parametrize("warmup", [0, 30])
def test_a_restored_collector_goes_on_as_the_original(warmup: int) -> None:
    """Snapshot through JSON at every 250th event, restore, go on: the final report is the same."""
    settings = {"service_levels": {"voice": 20.0, "chat": 60.0}, "warmup_contacts": warmup, "interval": 300.0}
    events = stream_events(2, 1500)
    whole = rk.metrics.KpiCollector(**settings)
    whole.observe_all(events)
    pieces = rk.metrics.KpiCollector(**settings)
    for start in range(0, len(events), 250):
        pieces = rk.metrics.KpiCollector.restore(json.loads(json.dumps(pieces.snapshot(), allow_nan=False)))
        pieces.observe_all(events[start : start + 250])
    until = events[-1].at + 100.0
    assert whole.report(until=until) == pieces.report(until=until)


def test_the_snapshot_of_a_new_collector_restores_its_settings() -> None:
    """A collector's settings survive the round trip."""
    kpis = rk.metrics.KpiCollector(service_levels={"chat": 30}, capacity={"a-1": {"chat": 3}}, tiers=["std", "gold"])
    again = rk.metrics.KpiCollector.restore(kpis.snapshot())
    assert (kpis.service_levels, kpis.capacity, kpis.tiers) == (again.service_levels, again.capacity, again.tiers)
