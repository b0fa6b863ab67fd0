"""The simulator: determinism from the seed, independent replications, and the engine's behaviours.

The behaviour tests run tiny hand-made scenarios with deterministic durations, so each expected time is
the sum of a few settings, counted from the contact's own (random) arrival. They watch the router's event
stream through the KPI collector, which sees every event the engine handles.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routekit.cli import main
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    CustomerReplied,
    Denied,
    Event,
    Offered,
    OfferExpired,
    OfferRejected,
    Parked,
    Resumed,
    WrapUpEnded,
)
from routekit.models.agent import AgentStatus
from routekit.sim.engine import run_day
from routekit.sim.replications import simulate
from routekit.sim.scenario import builtin_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]


def _fixed(seconds: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": seconds}


def _voice(customers: int = 1, rate: float = 60, **channel: Any) -> dict[str, Any]:
    """One voice agent, and customers arriving at ``rate`` per hour; durations in ``channel``."""
    return {
        "run": {"customers": customers},
        "channel": [{"name": "voice", "service_level": 20, "handle_time": _fixed(60), **channel}],
        "arrivals": [{"channel": "voice", "rate": rate}],
        "agents": [{"name": "a", "count": 1, "capacity": {"voice": 1}}],
    }


def _of(kind: type, stream: list[Event]) -> list[Any]:
    return [event for event in stream if isinstance(event, kind)]


# ------------------------------------------------------------------------------------- determinism


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert 0 == main(["simulate", *args, "--format", "json"])
    return capsys.readouterr().out


def test_the_same_seed_gives_byte_identical_json(capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs in this process and one in a fresh interpreter print the same bytes."""
    args = ("--customers", "200", "--reps", "2", "--seed", "11")
    first = _json(capsys, *args)
    second = _json(capsys, *args)
    fresh = subprocess.run(
        [sys.executable, "-m", "routekit", "simulate", *args, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert first == second
    assert first == fresh.stdout
    assert 200 <= json.loads(first)["replications"][0]["customers"]


def test_different_seeds_give_different_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    """Another seed gives another day."""
    one = json.loads(_json(capsys, "--customers", "300", "--seed", "1"))
    two = json.loads(_json(capsys, "--customers", "300", "--seed", "2"))
    assert one["replications"] != two["replications"]
    assert one["kpis"][0]["asa"]["mean"] != two["kpis"][0]["asa"]["mean"]


def test_replications_run_independent_spawned_seeds() -> None:
    """Each replication runs from its own SeedSequence child, so two replications differ."""
    scenario = builtin_scenario()
    result = simulate(scenario, reps=2, seed=5, customers=200)
    first, second = (run.report for run in result.runs)
    assert first.overall != second.overall
    child = np.random.SeedSequence(5).spawn(2)[1]
    assert second == run_day(scenario, child, customers=200).report
    assert 2 == result.row().kpis["asa"].n


# --------------------------------------------------------------------------------------- behaviours


def test_an_arrival_is_answered_after_the_accept_delay_and_completes_after_the_handle_time(
    events: list[Event],
) -> None:
    """Offered at arrival, assigned 5 s later, completed 60 s after that, free again after 10 s of wrap-up."""
    data = _voice(accept_delay=_fixed(5))
    data["agents"][0]["wrap_up"] = {"voice": 10}
    day = run_day(scenario_from_dict(data), 1)
    (queued,) = _of(ContactQueued, events)
    t = queued.at
    assert [t] == [e.at for e in _of(Offered, events)]
    assert [(pytest.approx(t + 5), 5.0)] == [(e.at, e.waited) for e in _of(Assigned, events)]
    (completed,) = _of(Completed, events)
    assert pytest.approx((t + 65, t + 75)) == (completed.at, completed.wrap_up_until)
    assert pytest.approx([t + 75]) == [e.at for e in _of(WrapUpEnded, events)]
    row = day.report.overall
    assert (1, 1, 5.0, 70.0, 1.0, 0.0) == (row.offered, row.handled, row.asa, row.aht, row.service_level, row.p_wait)


def test_wrap_up_holds_the_agent(events: list[Event]) -> None:
    """A second caller who arrives during the first's handling is offered the agent only after the wrap-up."""
    data = _voice(customers=2, rate=360_000, accept_delay=_fixed(5))
    data["agents"][0]["wrap_up"] = {"voice": 10}
    day = run_day(scenario_from_dict(data), 1)
    first, second = _of(ContactQueued, events)
    assert second.at < first.at + 75  # the second caller came while the agent was busy
    offers = _of(Offered, events)
    assert [first.contact_id, second.contact_id] == [e.contact_id for e in offers]
    assert pytest.approx([first.at, first.at + 75]) == [e.at for e in offers]
    waited = first.at + 80 - second.at
    assert waited == pytest.approx(_of(Assigned, events)[1].waited)
    assert 0.5 == day.report.overall.p_wait


def test_patience_makes_a_contact_abandon_when_no_agent_is_free(events: list[Event]) -> None:
    """With the only agent busy for 60 s, a caller whose patience is 10 s abandons 10 s after arriving."""
    day = run_day(scenario_from_dict(_voice(customers=2, rate=360_000, patience=_fixed(10))), 1)
    _, second = _of(ContactQueued, events)
    (abandoned,) = _of(Abandoned, events)
    assert (second.contact_id, pytest.approx(second.at + 10)) == (abandoned.contact_id, abandoned.at)
    row = day.report.overall
    assert (2, 1, 1, 0.5) == (row.offered, row.handled, row.abandoned, row.abandon_rate)


def test_reject_probability_one_leads_to_rejections_and_reoffers(events: list[Event]) -> None:
    """Each offer is rejected after the accept delay and made again after the 30 s re-offer delay."""
    data = _voice(accept_delay=_fixed(5), reject_probability=1, patience=_fixed(100))
    day = run_day(scenario_from_dict(data), 1)
    t = _of(ContactQueued, events)[0].at
    assert pytest.approx([t, t + 35, t + 70]) == [e.at for e in _of(Offered, events)]
    assert pytest.approx([t + 5, t + 40, t + 75]) == [e.at for e in _of(OfferRejected, events)]
    assert pytest.approx([t + 100]) == [e.at for e in _of(Abandoned, events)]
    assert (0, 1) == (day.report.overall.handled, day.report.overall.abandoned)


def test_an_offer_the_agent_does_not_answer_in_time_expires_and_the_agent_comes_back(
    events: list[Event],
) -> None:
    """An accept delay past the 20 s voice offer timeout lets the offer expire; the agent is away for 30 s."""
    data = _voice(accept_delay=_fixed(25))
    data["run"] = {"customers": 1, "horizon": 3600, "drain": 0}
    data["channel"][0]["patience"] = _fixed(60)
    run_day(scenario_from_dict(data), 1)
    t = _of(ContactQueued, events)[0].at
    assert pytest.approx([t, t + 50]) == [e.at for e in _of(Offered, events)]
    assert pytest.approx([t + 20]) == [e.at for e in _of(OfferExpired, events)]
    statuses = [(e.at, e.status) for e in _of(AgentStatusChanged, events) if e.at > 0]
    assert [AgentStatus.AWAY, AgentStatus.AVAILABLE] == [status for _, status in statuses]
    assert pytest.approx([t + 20, t + 50]) == [at for at, _ in statuses]
    assert pytest.approx([t + 60]) == [e.at for e in _of(Abandoned, events)]


def test_shifts_log_agents_in_and_out(events: list[Event]) -> None:
    """An agent on shift from 01:00 to 02:00 is offered nothing before 01:00 and logs out at 02:00."""
    data = _voice(rate=3600)
    data["agents"][0]["shift"] = [1, 2]
    day = run_day(scenario_from_dict(data), 1)
    (queued,) = _of(ContactQueued, events)
    assert queued.at < 3600
    assert [3600.0] == [e.at for e in _of(Offered, events)]
    statuses = [(e.at, e.status) for e in _of(AgentStatusChanged, events)]
    assert [(0.0, AgentStatus.OFFLINE), (3600.0, AgentStatus.AVAILABLE), (7200.0, AgentStatus.OFFLINE)] == statuses
    assert 3600.0 - queued.at == pytest.approx(day.report.overall.asa)


def test_a_shift_is_read_against_the_run_start(events: list[Event]) -> None:
    """With the run starting at 08:00, a 09:00 shift logs in after one simulated hour."""
    data = _voice(rate=3600)
    data["run"]["start"] = 8
    data["agents"][0]["shift"] = [9, 17]
    run_day(scenario_from_dict(data), 1)
    assert [3600.0] == [e.at for e in _of(Offered, events)]


def test_a_shift_over_before_the_run_starts_never_logs_in(events: list[Event]) -> None:
    """A night shift from 00:00 to 06:00 takes no contact in a run that starts at 08:00."""
    data = _voice(rate=3600)
    data["run"] = {"start": 8, "horizon": 600, "drain": 0}
    data["agents"][0]["shift"] = [0, 6]
    run_day(scenario_from_dict(data), 1)
    assert [] == _of(Offered, events)


def _video_for_gold(fallback_probability: float) -> dict[str, Any]:
    return {
        "run": {"customers": 4},
        "channel": [
            {"name": "video", "service_level": 30, "handle_time": _fixed(60)},
            {"name": "chat", "service_level": 60, "handle_time": _fixed(60)},
        ],
        "arrivals": [
            {"channel": "video", "rate": 60, "tiers": {"silver": 1}, "fallback_probability": fallback_probability}
        ],
        "agents": [{"count": 2, "capacity": {"video": 1, "chat": 2}}],
        "policy": {"kind": "mobile-support", "tiers": {"gates": {"video": "gold"}, "fallback": {"video": "chat"}}},
    }


def test_a_denied_video_contact_takes_the_chat_fallback_with_probability_one(events: list[Event]) -> None:
    """Every silver video caller is denied and comes back on chat, keeping the original arrival time."""
    day = run_day(scenario_from_dict(_video_for_gold(1.0)), 1)
    denied = _of(Denied, events)
    assert 4 == len(denied)
    queued = _of(ContactQueued, events)
    assert [f"{e.contact_id}-fb" for e in denied] == [e.contact_id for e in queued]
    assert {"chat"} == {e.channel.value for e in queued}
    assert [e.at for e in denied] == [e.arrived_at for e in queued]
    assert (4, 4) == (day.report.row("video").denied, day.report.row("chat").handled)


def test_a_denied_video_contact_never_takes_the_fallback_with_probability_zero(events: list[Event]) -> None:
    """With a fallback probability of 0, denied callers leave and nothing reaches chat."""
    day = run_day(scenario_from_dict(_video_for_gold(0.0)), 1)
    assert 4 == len(_of(Denied, events))
    assert [] == _of(ContactQueued, events)
    assert (0, 4) == (day.report.overall.offered, day.report.row("video").denied)


def _conversation(reply_delay: float) -> dict[str, Any]:
    """A messaging conversation of 3 turns of 30 s each, on the sticky policy (hold 120 s, window 300 s)."""
    return {
        "run": {"customers": 1},
        "channel": [
            {
                "name": "messaging",
                "service_level": 60,
                "handle_time": _fixed(30),
                "accept_delay": _fixed(2),
                "turns": _fixed(3),
                "reply_delay": _fixed(reply_delay),
            }
        ],
        "arrivals": [{"channel": "messaging", "rate": 60}],
        "agents": [{"count": 2, "capacity": {"messaging": 2}}],
        "policy": {"kind": "mobile-support", "sticky": {"hold": 120, "window": 300}},
    }


def test_a_reply_within_the_hold_stays_with_its_agent(events: list[Event]) -> None:
    """Replies 60 s after each turn come inside the 120 s hold: one contact, one agent, never parked."""
    day = run_day(scenario_from_dict(_conversation(60)), 1)
    (assigned,) = _of(Assigned, events)
    t = assigned.at
    assert pytest.approx([t + 30, t + 120]) == [e.at for e in _of(AwaitingCustomer, events)]
    assert pytest.approx([t + 90, t + 180]) == [e.at for e in _of(CustomerReplied, events)]
    (completed,) = _of(Completed, events)
    assert (pytest.approx(t + 210), assigned.agent_id) == (completed.at, completed.agent_id)
    assert [] == _of(Parked, events)
    row = day.report.overall
    assert (1, 1) == (row.offered, row.handled)
    assert pytest.approx(210.0) == row.aht


def test_a_reply_after_the_hold_parks_and_resumes_with_the_last_agent(events: list[Event]) -> None:
    """Replies 200 s after each turn come after the 120 s hold: parked, then resumed with the same agent."""
    day = run_day(scenario_from_dict(_conversation(200)), 1)
    first = _of(Assigned, events)[0]
    t = first.at
    assert pytest.approx([t + 150, t + 382]) == [e.at for e in _of(Parked, events)]
    resumed = _of(Resumed, events)
    assert pytest.approx([t + 230, t + 462]) == [e.at for e in resumed]
    assert [first.agent_id] * 2 == [e.last_agent_id for e in resumed]
    assert {first.agent_id} == {e.agent_id for e in _of(Assigned, events)}
    row = day.report.overall
    assert (3, 3, 1.0, 2.0) == (row.offered, row.handled, row.sticky_hit_rate, row.asa)


def test_customers_stops_arrivals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`routekit simulate --customers 7` stops a stream that would bring thousands after 7 customers."""
    day = tmp_path / "day.toml"
    day.write_text(
        '[run]\nhorizon = 3600\n[[channel]]\nname = "voice"\nhandle_time = { dist = "deterministic", value = 1 }\n'
        '[[arrivals]]\nchannel = "voice"\nrate = 3600\n[[agents]]\ncount = 5\ncapacity = { voice = 1 }\n'
    )
    out = json.loads(_json(capsys, str(day), "--customers", "7"))
    assert 7 == out["replications"][0]["customers"]
    assert 7 == out["kpis"][0]["offered"]["mean"]


def test_customers_counts_every_stream() -> None:
    """With three streams, a limit of 10 customers brings 10 customers, not 12."""
    data = _voice(customers=10)
    data["arrivals"] *= 3
    assert 10 == run_day(scenario_from_dict(data), 1).customers
