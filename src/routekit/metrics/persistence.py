"""A KPI collector as plain data and back: what a durable router keeps in its snapshots.

Private to the metrics package: :meth:`KpiCollector.snapshot <routekit.metrics.KpiCollector.snapshot>` and
:meth:`KpiCollector.restore <routekit.metrics.KpiCollector.restore>` are the public calls.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from routekit.metrics.collector import KpiCollector
from routekit.metrics.tallies import _AgentClock, _AgentTime, _ChannelTime, _Counting, _Open, _Tally
from routekit.models.channel import Channel

__all__ = ["collector_from_data", "collector_to_data"]


def collector_to_data(kpis: KpiCollector) -> dict[str, Any]:
    """The collector's whole state as plain, JSON-able data. O(state)."""
    tally_refs = {id(tally): i for i, tally in enumerate(kpis._tallies.values())}
    interval_refs = {id(tally): i for i, tally in enumerate(kpis._interval_tallies.values())}

    def ref(refs: dict[int, int], tally: _Tally | None) -> int | None:
        return None if tally is None else refs[id(tally)]

    return {
        "settings": {
            "service_levels": {c.value: s for c, s in kpis.service_levels.items()},
            "warmup_contacts": kpis.warmup_contacts,
            "interval": kpis.interval,
            "capacity": {a: {c.value: n for c, n in slots.items()} for a, slots in kpis.capacity.items()},
            "tiers": list(kpis.tiers),
        },
        "tallies": [[c.value, t, *attrs.astuple(v)] for (c, t), v in kpis._tallies.items()],
        "intervals": [[c.value, t, i, *attrs.astuple(v)] for (c, t, i), v in kpis._interval_tallies.items()],
        "open": [
            [
                cid,
                o.channel.value,
                ref(tally_refs, o.tally),
                ref(interval_refs, o.interval),
                o.threshold,
                o.arrived_at,
                o.queued_at,
                o.estimate,
                o.sticky_agent,
                o.offered,
                o.answered,
                o.agent,
                o.assigned_at,
                o.assigned_for,
                o.conversation,
            ]
            for cid, o in kpis._open.items()
        ],
        "agents": [
            [
                a,
                [[c.value, n] for c, n in k.seats],
                k.logged_in,
                _number(k.last),
                k.work,
                [[c.value, n] for c, n in k.units.items()],
            ]
            for a, k in kpis._agents.items()
        ],
        "time": _time_to_data(kpis._time),
        # The agent time totals at each interval boundary passed, for the per-interval occupancy.
        "boundary_totals": [_time_to_data(total) for total in kpis._boundary_totals],
        "next_boundary": _number(kpis._next_boundary),
        "wrapping": [[a, cid, c.value] for (a, cid), c in kpis._wrapping.items()],
        "held": dict(kpis._held),
        "resumed": dict(kpis._resumed),
        "estimates": dict(kpis._estimates),
        "retrials": sorted(kpis._retrials),
        "queued": kpis._queued,
        "measure_from": _number(kpis._measure_from),
        "first_counted": kpis._first_counted,
        "counting": [
            [c.value, t, tally_refs[id(k.tally)], k.threshold, _number(k.index), ref(interval_refs, k.interval)]
            for (c, t), k in kpis._counting.items()
        ],
    }


def collector_from_data(snapshot: Mapping[str, Any]) -> KpiCollector:
    """Rebuild a collector from :func:`collector_to_data`'s data."""
    kpis = KpiCollector(**snapshot["settings"])
    tallies = []
    for channel, tier, *values in snapshot["tallies"]:
        tally = kpis._tallies[(Channel(channel), tier)] = _Tally(*values)
        tallies.append(tally)
    intervals = []
    for channel, tier, index, *values in snapshot["intervals"]:
        tally = kpis._interval_tallies[(Channel(channel), tier, index)] = _Tally(*values)
        intervals.append(tally)
    for row in snapshot["open"]:
        (cid, channel, tally_ref, interval_ref, threshold, arrived_at, queued_at, estimate, sticky) = row[:9]
        o = _Open(
            Channel(channel),
            None if tally_ref is None else tallies[tally_ref],
            None if interval_ref is None else intervals[interval_ref],
            threshold,
            arrived_at,
            queued_at,
            estimate,
            sticky,
        )
        o.offered, o.answered, o.agent, o.assigned_at, o.assigned_for, o.conversation = row[9:]
        kpis._open[cid] = o
    for agent_id, seats, logged_in, last, work, units in snapshot["agents"]:
        clock = _AgentClock({Channel(c): n for c, n in seats})
        clock.logged_in, clock.last, clock.work = logged_in, float(last), work
        clock.units.update({Channel(c): n for c, n in units})
        kpis._agents[agent_id] = clock
    kpis._time = _time_from_data(snapshot["time"])
    kpis._boundary_totals = [_time_from_data(total) for total in snapshot["boundary_totals"]]
    kpis._next_boundary = float(snapshot["next_boundary"])
    kpis._wrapping = {(a, cid): Channel(c) for a, cid, c in snapshot["wrapping"]}
    kpis._held = dict(snapshot["held"])
    kpis._resumed = dict(snapshot["resumed"])
    kpis._estimates = dict(snapshot["estimates"])
    kpis._retrials = set(snapshot.get("retrials", ()))  # absent from snapshots written before retrials
    kpis._queued = snapshot["queued"]
    kpis._measure_from = float(snapshot["measure_from"])
    kpis._first_counted = snapshot["first_counted"]
    for channel, tier, tally_ref, threshold, index, interval_ref in snapshot["counting"]:
        counting = _Counting(tallies[tally_ref], threshold)
        counting.index = float(index)
        counting.interval = None if interval_ref is None else intervals[interval_ref]
        kpis._counting[(Channel(channel), tier)] = counting
    return kpis


def _number(value: float) -> float | str:
    # JSON has no infinity or NaN: those go as their names, which float() reads back.
    return value if math.isfinite(value) else repr(value)


def _time_to_data(time: _AgentTime) -> list[Any]:
    channels = [[c.value, t.logged, t.busy, t.slot_capacity, t.slot_busy] for c, t in time.channels.items()]
    return [time.logged, time.busy, channels]


def _time_from_data(data: Sequence[Any]) -> _AgentTime:
    logged, busy, channels = data
    return _AgentTime(logged, busy, {Channel(c): _ChannelTime(*values) for c, *values in channels})


