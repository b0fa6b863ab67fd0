"""Customers who try again: after abandoning (and after a denial that waiting can change), in the simulator."""

from __future__ import annotations

from typing import Any

import pytest

from routekit.errors import ArgumentTypeError, ScenarioError
from routekit.events import Abandoned, Assigned, ContactQueued, Denied, Event
from routekit.metrics import KpiCollector
from routekit.metrics.persistence import collector_from_data, collector_to_data
from routekit.models.channel import Channel
from routekit.sim.engine import run_day
from routekit.sim.scenario import scenario_from_dict


def _fixed(seconds: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": seconds}


def _busy_line(handle: float, **channel: Any) -> dict[str, Any]:
    """One voice agent and two callers a hundredth of a second apart; the second waits ``patience``."""
    return {
        "run": {"customers": 2},
        "channel": [
            {"name": "voice", "service_level": 20, "handle_time": _fixed(handle), "patience": _fixed(10), **channel}
        ],
        "arrivals": [{"channel": "voice", "rate": 360_000}],
        "agents": [{"name": "a", "count": 1, "capacity": {"voice": 1}}],
    }


def _of(kind: type, stream: list[Event]) -> list[Any]:
    return [event for event in stream if isinstance(event, kind)]


def test_a_caller_who_abandons_tries_again_after_the_delay_as_a_contact_linked_to_the_first(
    events: list[Event],
) -> None:
    scenario = _busy_line(60, retrial_probability=1.0, retrial_delay=_fixed(100), max_retrials=1)
    day = run_day(scenario_from_dict(scenario), 1)
    first, second, again = _of(ContactQueued, events)
    (abandoned,) = _of(Abandoned, events)
    assert abandoned.contact_id == second.contact_id
    assert again.contact_id == f"{second.contact_id}-t1"
    assert again.at == pytest.approx(abandoned.at + 100)
    assert again.arrived_at == again.at  # a new call: its wait starts when it comes back
    assert [a.contact_id for a in _of(Assigned, events)] == [first.contact_id, again.contact_id]
    row = day.report.overall
    assert (row.offered, row.retrials, row.handled, row.abandoned) == (3, 1, 2, 1)
    assert day.customers == 2  # a retrial is not a new customer


def test_retrials_stop_after_max_retrials(events: list[Event]) -> None:
    """The agent is busy all along: the second caller gives up three times, twice coming back."""
    scenario = _busy_line(10_000, retrial_probability=1.0, retrial_delay=_fixed(5), max_retrials=2)
    day = run_day(scenario_from_dict(scenario), 1)
    second = _of(ContactQueued, events)[1].contact_id
    gave_up = [event.contact_id for event in _of(Abandoned, events)]
    assert gave_up == [second, f"{second}-t1", f"{second}-t2"]
    row = day.report.overall
    assert (row.offered, row.retrials, row.abandoned) == (4, 2, 3)


def test_a_retrial_probability_of_zero_never_retries(events: list[Event]) -> None:
    scenario = _busy_line(60, retrial_probability=0.0, retrial_delay=_fixed(100))
    day = run_day(scenario_from_dict(scenario), 1)
    assert len(_of(ContactQueued, events)) == 2
    assert (day.report.overall.offered, day.report.overall.retrials) == (2, 0)


def test_retrial_keys_leave_every_other_draw_unchanged() -> None:
    """The retrial streams are spawned after all others: a day without retrials is the same day."""
    plain = {
        "run": {"customers": 400},
        "channel": [{"name": "voice", "service_level": 20, "handle_time": {"dist": "exponential", "mean": 60}}],
        "arrivals": [{"channel": "voice", "rate": 300}],
        "agents": [{"name": "a", "count": 5, "capacity": {"voice": 1}}],
    }
    plain["channel"][0]["patience"] = {"dist": "exponential", "mean": 30}
    with_keys = {**plain, "channel": [{**plain["channel"][0], "retrial_delay": _fixed(60)}]}
    assert run_day(scenario_from_dict(plain), 7).report == run_day(scenario_from_dict(with_keys), 7).report


def test_retrials_at_random_keep_the_books_balanced() -> None:
    """Every attempt ends one way: offered = handled + abandoned + denied after queueing + still waiting."""
    scenario = {
        "run": {"customers": 3_000},
        "channel": [
            {
                "name": "voice",
                "service_level": 20,
                "handle_time": {"dist": "exponential", "mean": 60},
                "patience": {"dist": "exponential", "mean": 30},
                "retrial_probability": 0.5,
                "retrial_delay": {"dist": "exponential", "mean": 300},
            }
        ],
        "arrivals": [{"channel": "voice", "rate": 600}],
        "agents": [{"name": "a", "count": 9, "capacity": {"voice": 1}}],
    }
    row = run_day(scenario_from_dict(scenario), 3).report.overall
    assert row.offered == 3_000 + row.retrials
    # About half of those who abandon come back, and each retrial can abandon and come back again.
    assert 0.35 * row.abandoned < row.retrials < 0.65 * row.abandoned


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"retrial_probability": 0.5}, "channel[0].retrial_delay: missing"),
        ({"denied_retrial_probability": 0.5}, "channel[0].retrial_delay: missing"),
        ({"retrial_probability": 1.5, "retrial_delay": _fixed(1)}, "channel[0].retrial_probability: must be"),
        ({"max_retrials": 0, "retrial_delay": _fixed(1)}, "channel[0].max_retrials: must be >= 1"),
        ({"max_retrials": 1.5, "retrial_delay": _fixed(1)}, "channel[0].max_retrials: expected an integer"),
    ],
)
def test_a_bad_retrial_key_is_refused_by_name(keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        scenario_from_dict(_busy_line(60, **keys))


def test_the_collector_counts_an_announced_retrial_once_and_keeps_it_across_a_snapshot() -> None:
    kpis = KpiCollector()
    kpis.observe_retrial("c-1-t1")
    restored = collector_from_data(collector_to_data(kpis))
    queued = ContactQueued(
        at=5.0,
        contact_id="c-1-t1",
        channel=Channel.VOICE,
        tier="standard",
        arrived_at=5.0,
        stage=0,
        rule="any",
        priority=0,
    )
    for collector in (kpis, restored):
        collector.observe(queued)
        assert collector.report(until=10.0).overall.retrials == 1


def test_a_caller_denied_by_a_full_queue_tries_again_when_told_to(events: list[Event]) -> None:
    """Nobody may wait: the second caller is denied queue-full, comes back 100 s later and is answered."""
    scenario = _busy_line(60, denied_retrial_probability=1.0, retrial_delay=_fixed(100))
    scenario["policy"] = {"kind": "skills", "router": {"queue_limits": {"voice": 0}}}
    day = run_day(scenario_from_dict(scenario), 1)
    (denied,) = _of(Denied, events)
    assert denied.reason == "queue-full"
    again = _of(ContactQueued, events)[-1]
    assert (again.contact_id, again.at) == (f"{denied.contact_id}-t1", pytest.approx(denied.at + 100))
    row = day.report.overall
    assert (row.offered, row.denied, row.denied_queue_full, row.retrials, row.handled) == (2, 1, 1, 1, 2)


def test_a_caller_denied_by_the_tier_gate_never_tries_again(events: list[Event]) -> None:
    """Trying later cannot change a tier gate's answer: no retrial, whatever the probability."""
    scenario = {
        "run": {"customers": 1},
        "channel": [
            {
                "name": "video",
                "service_level": 20,
                "handle_time": _fixed(60),
                "denied_retrial_probability": 1.0,
                "retrial_delay": _fixed(10),
            }
        ],
        "arrivals": [{"channel": "video", "rate": 60, "tiers": {"silver": 1}}],
        "agents": [{"name": "a", "count": 1, "capacity": {"video": 1}}],
        "policy": {"kind": "mobile-support", "tiers": {"gates": {"video": "gold"}}},
    }
    day = run_day(scenario_from_dict(scenario), 1)
    assert [d.reason for d in _of(Denied, events)] == ["tier-gate"]
    assert (day.report.overall.denied, day.report.overall.retrials) == (1, 0)


def test_the_collector_refuses_a_retrial_id_that_is_not_a_string() -> None:
    with pytest.raises(ArgumentTypeError, match="contact_id must be a str, got 5"):
        KpiCollector().observe_retrial(5)  # type: ignore[arg-type]
