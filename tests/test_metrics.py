"""KPIs from hand-written event streams: one behaviour per test, plus a property over random streams."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routekit.errors import ConfigError, UnknownIdError
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    ConversationClosed,
    CustomerReplied,
    Denied,
    Event,
    Offered,
    OfferRejected,
    Parked,
    Resumed,
    StageChanged,
    Transferred,
    WrapUpEnded,
)
from routekit.metrics import KpiCollector, KpiReport, summary_table
from routekit.models import Channel, Tiers

VOICE_SL = {Channel.VOICE: 20.0, Channel.CHAT: 60.0}


def queued(
    at: float, cid: str, channel: str = "voice", tier: str = "standard", arrived_at: float | None = None
) -> ContactQueued:
    return ContactQueued(
        at=at,
        contact_id=cid,
        channel=channel,
        tier=tier,
        arrived_at=at if arrived_at is None else arrived_at,
        stage=0,
        rule="skills:billing>=1",
        priority=0,
    )


def offered(at: float, cid: str, agent: str = "a-1") -> Offered:
    return Offered(
        at=at,
        contact_id=cid,
        agent_id=agent,
        stage=0,
        rule="skills:billing>=1",
        selection="longest-idle",
        expires_at=at + 20,
    )


def assigned(at: float, cid: str, agent: str = "a-1", waited: float | None = None) -> Assigned:
    return Assigned(at=at, contact_id=cid, agent_id=agent, waited=at if waited is None else waited)


def answered(queued_at: float, at: float, cid: str, agent: str = "a-1", **kw: Any) -> list[Event]:
    """A contact queued, offered and assigned at ``at``."""
    return [queued(queued_at, cid, **kw), offered(at, cid, agent), assigned(at, cid, agent, at - queued_at)]


def completed(at: float, cid: str, agent: str = "a-1", wrap_up: float = 0.0) -> Completed:
    return Completed(at=at, contact_id=cid, agent_id=agent, wrap_up_until=at + wrap_up)


def status(at: float, agent: str, value: str) -> AgentStatusChanged:
    return AgentStatusChanged(at=at, agent_id=agent, status=value)


def report(events: list[Event], until: float, **kw: Any) -> KpiReport:
    kpis = KpiCollector(**{"service_levels": VOICE_SL, **kw})
    kpis.observe_all(events)
    return kpis.report(until=until)


# -- contact KPIs --------------------------------------------------------------------------------------


def test_counts_rates_and_waits() -> None:
    """Handled, abandoned, service level, ASA and max wait come from Assigned.waited and Abandoned."""
    events = [
        *answered(0.0, 10.0, "c-1"),
        *answered(5.0, 35.0, "c-2", agent="a-2"),
        queued(6.0, "c-3"),
        Abandoned(at=16.0, contact_id="c-3"),
    ]
    row = report(events, until=100.0).row("voice")
    assert (3, 2, 1, 0) == (row.offered, row.handled, row.abandoned, row.still_waiting)
    assert pytest.approx(1 / 3) == row.abandon_rate
    assert pytest.approx(1 / 3) == row.service_level  # the early abandon stays in the denominator
    assert pytest.approx(20.0) == row.asa
    assert pytest.approx(30.0) == row.max_wait


def test_service_level_threshold_is_inclusive() -> None:
    """A contact answered after exactly the threshold is answered in time."""
    row = report(answered(0.0, 20.0, "c-1"), until=30.0).overall
    assert 1.0 == row.service_level


def test_wait_runs_from_arrived_at() -> None:
    """The service-level clock starts at ContactQueued.arrived_at, as Assigned.waited carries it."""
    events = [
        queued(100.0, "c-1", arrived_at=70.0),
        offered(100.0, "c-1"),
        assigned(100.0, "c-1", waited=30.0),
    ]
    row = report(events, until=200.0).overall
    assert (0.0, 30.0, 0.0) == (row.service_level, row.asa, row.p_wait)


def test_channel_without_threshold_has_no_service_level() -> None:
    """Email has no threshold here, so its row has none and the overall one ignores it."""
    events = [*answered(0.0, 5.0, "c-1"), *answered(0.0, 500.0, "e-1", agent="a-2", channel="email")]
    rep = report(events, until=600.0)
    assert None is rep.row("email").service_level
    assert 1.0 == rep.overall.service_level
    assert 2 == rep.overall.offered


def test_p_wait_counts_late_and_missing_offers() -> None:
    """P(wait) is the share not offered at the moment they were queued, never-offered ones included."""
    events = [
        *answered(0.0, 0.0, "c-1"),  # at once
        *answered(0.0, 4.0, "c-2", agent="a-2"),  # waited for an offer
        queued(1.0, "c-3"),
        Abandoned(at=9.0, contact_id="c-3"),  # never offered
        queued(2.0, "c-4"),
        offered(2.0, "c-4", "a-3"),  # at once, then rejected: still not a wait
        OfferRejected(at=3.0, contact_id="c-4", agent_id="a-3"),
        offered(30.0, "c-4", "a-4"),
        assigned(31.0, "c-4", "a-4", waited=29.0),
    ]
    row = report(events, until=100.0).overall
    assert pytest.approx(0.5) == row.p_wait


def test_aht_includes_wrap_up() -> None:
    """AHT is Assigned to Completed plus Completed's wrap-up."""
    events = [*answered(0.0, 10.0, "c-1"), completed(70.0, "c-1", wrap_up=15.0)]
    assert pytest.approx(75.0) == report(events, until=200.0).overall.aht


def test_transfer_is_not_a_new_offered_contact() -> None:
    """A transfer re-queues the same contact: offered and handled once, AHT over both agents."""
    events = [
        *answered(0.0, 5.0, "c-1"),
        Transferred(at=25.0, contact_id="c-1", agent_id="a-1"),
        queued(25.0, "c-1", arrived_at=0.0),
        offered(40.0, "c-1", "a-2"),
        assigned(40.0, "c-1", "a-2", waited=40.0),
        completed(70.0, "c-1", "a-2"),
    ]
    row = report(events, until=100.0).overall
    assert (1, 1, 0) == (row.offered, row.handled, row.abandoned)
    assert pytest.approx(5.0) == row.asa
    assert pytest.approx(20.0 + 30.0) == row.aht


def test_abandon_after_transfer_is_not_an_abandonment() -> None:
    """A transferred contact that leaves the second queue was handled, not abandoned."""
    events = [
        *answered(0.0, 5.0, "c-1"),
        Transferred(at=25.0, contact_id="c-1", agent_id="a-1"),
        queued(25.0, "c-1", arrived_at=0.0),
        Abandoned(at=90.0, contact_id="c-1"),
    ]
    row = report(events, until=100.0).overall
    assert (1, 1, 0, 0) == (row.offered, row.handled, row.abandoned, row.still_waiting)


def test_still_waiting_contacts() -> None:
    """Still waiting at until: offered and unanswered, a miss only once past the threshold."""
    events = [*answered(0.0, 0.0, "c-1"), queued(50.0, "c-2"), queued(90.0, "c-3")]
    row = report(events, until=100.0).overall
    assert (3, 2) == (row.offered, row.still_waiting)
    assert pytest.approx(1 / 2) == row.service_level  # c-3 has waited 10 s < 20 s: undecided
    assert pytest.approx(50.0) == row.max_wait
    assert pytest.approx(2 / 3) == row.p_wait


def test_denied_at_submit_and_in_queue() -> None:
    """A Denied at submit counts in denied (with fallback or not); one after queueing is an outcome."""
    events = [
        Denied(
            at=1.0,
            contact_id="v-1",
            channel="video",
            tier="standard",
            reason="tier",
            rule="t",
            fallback="voice",
        ),
        Denied(at=2.0, contact_id="v-2", channel="video", tier="standard", reason="tier", rule="t"),
        queued(3.0, "c-1"),
        Denied(at=40.0, contact_id="c-1", channel="voice", tier="standard", reason="unroutable", rule="-"),
    ]
    rep = report(events, until=100.0)
    video = rep.row("video")
    assert (0, 2, 1) == (video.offered, video.denied, video.denied_with_fallback)
    voice = rep.row("voice")
    assert (1, 1, 0, 0) == (voice.offered, voice.denied_after_queue, voice.denied, voice.handled)
    assert 0.0 == voice.service_level
    assert pytest.approx(37.0) == voice.max_wait
    assert (1, 2, 1) == (rep.overall.offered, rep.overall.denied, rep.overall.denied_with_fallback)


def test_sticky_hit_and_miss() -> None:
    """A reply turn is a hit when its first Assigned agent is Resumed's last agent."""
    events = [
        Resumed(at=0.0, conversation_id="m-1", contact_id="m-1#2", last_agent_id="a-1"),
        *answered(0.0, 3.0, "m-1#2", agent="a-1", channel="messaging"),
        Resumed(at=1.0, conversation_id="m-2", contact_id="m-2#2", last_agent_id="a-1"),
        *answered(1.0, 50.0, "m-2#2", agent="a-2", channel="messaging"),
        Resumed(at=2.0, conversation_id="m-3", contact_id="m-3#2", last_agent_id="a-3"),
        queued(2.0, "m-3#2", channel="messaging"),
        Abandoned(at=9.0, contact_id="m-3#2"),  # never answered: not in the rate
        *answered(4.0, 5.0, "m-4", agent="a-4", channel="messaging"),  # a first turn
    ]
    row = report(events, until=100.0).row("messaging")
    assert 0.5 == row.sticky_hit_rate
    assert 4 == row.offered


def test_expected_wait_error() -> None:
    """Bias and MAE compare the estimate with the time from submit to the first Offered (issue 21)."""
    kpis = KpiCollector()
    kpis.observe_estimate("c-1", 30.0)  # before its ContactQueued
    kpis.observe_all(answered(0.0, 10.0, "c-1"))
    kpis.observe(queued(0.0, "c-2"))
    kpis.observe_estimate("c-2", 5.0)  # after it
    kpis.observe_all([offered(15.0, "c-2", "a-2"), assigned(19.0, "c-2", "a-2", waited=19.0)])
    row = kpis.report(until=50.0).overall
    assert pytest.approx((20.0 - 10.0) / 2) == row.expected_wait_bias  # c-2: offered at 15, not assigned at 19
    assert pytest.approx((20.0 + 10.0) / 2) == row.expected_wait_mae


def test_interval_series() -> None:
    """Each interval counts the contacts first queued in it, whenever they end."""
    events = [
        *answered(10.0, 15.0, "c-1"),
        queued(20.0, "c-2"),
        *answered(100.0, 150.0, "c-3", agent="a-2"),
        Abandoned(at=130.0, contact_id="c-2"),  # ends in the second interval, counted in the first
    ]
    series = report(events, until=200.0, interval=60.0).overall.intervals
    assert [(0.0, 60.0), (60.0, 120.0)] == [(i.start, i.end) for i in series]
    assert [2, 1] == [i.offered for i in series]
    assert [1, 0] == [i.abandoned for i in series]
    assert [0.5, 0.0] == [i.service_level for i in series]
    assert [5.0, 50.0] == [i.asa for i in series]


def test_interval_series_fills_gaps() -> None:
    """Intervals without contacts between the first and last appear with zero offered."""
    events = [*answered(0.0, 1.0, "c-1"), *answered(200.0, 201.0, "c-2")]
    series = report(events, until=300.0, interval=60.0).overall.intervals
    assert [1, 0, 0, 1] == [i.offered for i in series]
    assert [1.0, None, None, 1.0] == [i.service_level for i in series]


def test_warmup_excludes_the_first_contacts() -> None:
    """The first N contacts to be queued, and denials meanwhile, are left out of every contact KPI."""
    events = [
        *answered(0.0, 100.0, "c-1"),
        Denied(at=1.0, contact_id="v-1", channel="video", tier="standard", reason="tier", rule="t"),
        queued(2.0, "c-2"),
        Abandoned(at=3.0, contact_id="c-2"),
        *answered(10.0, 12.0, "c-3", agent="a-2"),
        Denied(at=11.0, contact_id="v-2", channel="video", tier="standard", reason="tier", rule="t"),
    ]
    row = report(events, until=200.0, warmup_contacts=2).overall
    assert (1, 1, 0, 1) == (row.offered, row.handled, row.abandoned, row.denied)
    assert pytest.approx(2.0) == row.asa


def test_warmup_transfer_stays_excluded() -> None:
    """A warm-up contact that is transferred and re-queued does not become a counted contact."""
    events = [
        *answered(0.0, 1.0, "c-1"),
        Transferred(at=5.0, contact_id="c-1", agent_id="a-1"),
        queued(5.0, "c-1", arrived_at=0.0),
        *answered(6.0, 7.0, "c-2"),
    ]
    row = report(events, until=20.0, warmup_contacts=1).overall
    assert (1, 1) == (row.offered, row.handled)


# -- agent KPIs ----------------------------------------------------------------------------------------


def test_occupancy_includes_wrap_up_and_only_logged_in_time() -> None:
    """Busy from Assigned to the end of wrap-up, over the time logged in (away counts as logged in)."""
    events = [
        status(0.0, "a-1", "available"),
        *answered(10.0, 10.0, "c-1"),
        completed(40.0, "c-1", wrap_up=10.0),
        status(45.0, "a-1", "away"),
        WrapUpEnded(at=50.0, agent_id="a-1", contact_id="c-1"),
        status(80.0, "a-1", "offline"),
        status(90.0, "a-1", "available"),
    ]
    row = report(events, until=100.0).overall
    assert pytest.approx(40.0 / 90.0) == row.occupancy


def test_occupancy_counts_an_agent_busy_once() -> None:
    """Two chats at once are one busy agent; slot utilisation counts both slots."""
    cap = {"a-1": {"chat": 2}}
    events = [
        status(0.0, "a-1", "available"),
        *answered(0.0, 0.0, "c-1", channel="chat"),
        *answered(10.0, 10.0, "c-2", channel="chat"),
        completed(20.0, "c-1"),
        completed(30.0, "c-2"),
    ]
    rep = report(events, until=40.0, capacity=cap)
    chat = rep.row("chat")
    assert pytest.approx(30.0 / 40.0) == rep.overall.occupancy
    assert pytest.approx(30.0 / 40.0) == chat.occupancy
    assert pytest.approx((20.0 + 20.0) / (40.0 * 2)) == chat.slot_utilisation
    assert None is rep.overall.slot_utilisation
    assert None is rep.row(tier="standard").occupancy


def test_interval_occupancy_and_agents_split_agent_time_at_the_boundaries() -> None:
    """Each interval's occupancy and mean agents logged in count only the agent time inside that interval."""
    cap = {"a-1": {"voice": 1}, "a-2": {"voice": 1}}
    events = [
        status(0.0, "a-1", "available"),
        *answered(10.0, 10.0, "c-1"),
        completed(70.0, "c-1"),  # busy 50 s in the first interval and 10 s in the second
        status(90.0, "a-2", "available"),  # a second agent for the last 30 s of the second interval
        *answered(100.0, 100.0, "c-2", agent="a-2"),
        completed(110.0, "c-2", agent="a-2"),
    ]
    rep = report(events, until=120.0, interval=60.0, capacity=cap)
    for row in (rep.overall, rep.row("voice")):
        assert [pytest.approx(50 / 60), pytest.approx(20 / 90)] == [i.occupancy for i in row.intervals]
        assert [pytest.approx(1.0), pytest.approx(1.5)] == [i.agents for i in row.intervals]
    assert [None, None] == [i.occupancy for i in rep.row(tier="standard").intervals]


def test_interval_occupancy_weighted_by_agents_is_the_day_occupancy() -> None:
    """The intervals' occupancies, weighted by their agent time, add up to the row's occupancy."""
    cap = {"a-1": {"chat": 2}}
    events = [
        status(0.0, "a-1", "available"),
        *answered(5.0, 5.0, "c-1", channel="chat"),
        *answered(50.0, 55.0, "c-2", channel="chat"),
        completed(130.0, "c-1"),
        completed(170.0, "c-2"),
        status(200.0, "a-1", "offline"),
    ]
    row = report(events, until=250.0, interval=60.0, capacity=cap).row("chat")
    weighted = sum(i.occupancy * i.agents for i in row.intervals if i.occupancy is not None)
    assert pytest.approx(row.occupancy) == weighted / sum(i.agents for i in row.intervals if i.agents)


def test_channel_occupancy_needs_capacity() -> None:
    """Without the agent's capacity, only the overall row has occupancy."""
    events = [status(0.0, "a-1", "available"), *answered(0.0, 0.0, "c-1"), completed(10.0, "c-1")]
    rep = report(events, until=20.0)
    assert (0.5, None) == (rep.overall.occupancy, rep.row("voice").occupancy)


def test_held_conversation_is_work_until_parked() -> None:
    """An AwaitingCustomer hold keeps the agent busy until Parked; the turn gives no AHT sample."""
    events = [
        status(0.0, "a-1", "available"),
        *answered(0.0, 0.0, "m-1", channel="messaging"),
        AwaitingCustomer(at=20.0, contact_id="m-1", conversation_id="m-1", agent_id="a-1", hold_until=80.0),
        CustomerReplied(at=30.0, conversation_id="m-1", contact_id="m-1"),
        AwaitingCustomer(at=40.0, contact_id="m-1", conversation_id="m-1", agent_id="a-1", hold_until=100.0),
        Parked(at=100.0, conversation_id="m-1", contact_id="m-1", agent_id="a-1"),
    ]
    rep = report(events, until=200.0, capacity={"a-1": {"messaging": 2}})
    assert pytest.approx(0.5) == rep.overall.occupancy
    assert pytest.approx(0.25) == rep.row("messaging").slot_utilisation
    assert (1, None) == (rep.overall.handled, rep.overall.aht)


def test_abandoning_a_held_conversation_frees_the_agent() -> None:
    """Abandon of a held turn ends the agent's work and is no abandonment."""
    events = [
        status(0.0, "a-1", "available"),
        *answered(0.0, 0.0, "m-1", channel="messaging"),
        AwaitingCustomer(at=20.0, contact_id="m-1", conversation_id="m-1", agent_id="a-1", hold_until=80.0),
        Abandoned(at=50.0, contact_id="m-1"),
        ConversationClosed(at=50.0, conversation_id="m-1", reason="abandoned"),
    ]
    row = report(events, until=100.0).overall
    assert (1, 0) == (row.handled, row.abandoned)
    assert pytest.approx(0.5) == row.occupancy


def test_conversation_closed_ends_a_held_turn_left_open() -> None:
    """A ConversationClosed ends a held turn that got no event of its own, so the agent frees up."""
    kpis = KpiCollector()
    kpis.observe_all(
        [
            status(0.0, "a-1", "available"),
            *answered(0.0, 0.0, "m-1#3", channel="messaging"),
            AwaitingCustomer(at=10.0, contact_id="m-1#3", conversation_id="m-1", agent_id="a-1", hold_until=70.0),
            Abandoned(at=20.0, contact_id="m-1"),  # named by the conversation, not the turn
            ConversationClosed(at=20.0, conversation_id="m-1", reason="abandoned"),
        ]
    )
    assert pytest.approx(0.5) == kpis.report(until=40.0).overall.occupancy
    assert 0 == len(kpis._open)


def test_transfer_frees_the_first_agent() -> None:
    """Transferred ends the first agent's work at once."""
    events = [
        status(0.0, "a-1", "available"),
        *answered(0.0, 0.0, "c-1"),
        Transferred(at=10.0, contact_id="c-1", agent_id="a-1"),
        queued(10.0, "c-1", arrived_at=0.0),
    ]
    assert pytest.approx(0.25) == report(events, until=40.0).overall.occupancy


def test_warmup_starts_agent_time_at_the_first_counted_contact() -> None:
    """With a warm-up, occupancy counts from the moment the first counted contact is queued."""
    events = [
        status(0.0, "a-1", "available"),
        *answered(0.0, 0.0, "c-1"),
        completed(50.0, "c-1"),
        queued(60.0, "c-2"),
    ]
    rep = report(events, until=100.0, warmup_contacts=1)
    assert 0.0 == rep.overall.occupancy
    assert None is report(events[:3], until=100.0, warmup_contacts=1).overall.occupancy


# -- the collector itself -------------------------------------------------------------------------------


def test_per_contact_state_is_dropped_when_terminal() -> None:
    """Completed, WrapUpEnded, Abandoned, Denied and Parked each drop what was kept of the contact."""
    kpis = KpiCollector(service_levels=VOICE_SL)
    kpis.observe_estimate("never", 3.0)
    kpis.observe_all(
        [
            *answered(0.0, 1.0, "c-1"),
            completed(5.0, "c-1", wrap_up=5.0),
            queued(1.0, "c-2"),
            Abandoned(at=2.0, contact_id="c-2"),
            queued(2.0, "c-3"),
            Denied(at=3.0, contact_id="c-3", channel="voice", tier="standard", reason="unroutable", rule="-"),
            Resumed(at=3.0, conversation_id="m-1", contact_id="m-1#2", last_agent_id="a-2"),
            *answered(3.0, 4.0, "m-1#2", agent="a-2", channel="messaging"),
            AwaitingCustomer(at=6.0, contact_id="m-1#2", conversation_id="m-1", agent_id="a-2", hold_until=9.0),
            Parked(at=9.0, conversation_id="m-1", contact_id="m-1#2", agent_id="a-2"),
            Denied(at=10.0, contact_id="never", channel="video", tier="standard", reason="tier", rule="t"),
        ]
    )
    assert 1 == len(kpis._wrapping)
    kpis.observe(WrapUpEnded(at=10.0, agent_id="a-1", contact_id="c-1"))
    assert (0, 0, 0, 0, 0) == tuple(
        len(d) for d in (kpis._open, kpis._wrapping, kpis._held, kpis._resumed, kpis._estimates)
    )


def test_memory_stays_bounded_over_many_contacts() -> None:
    """After many finished contacts only agents and tallies remain, not contacts."""
    kpis = KpiCollector(service_levels=VOICE_SL, interval=3600.0)
    for i in range(5000):
        t = float(i)
        kpis.observe_all([*answered(t, t + 0.5, f"c-{i}"), completed(t + 0.9, f"c-{i}", wrap_up=0.05)])
        kpis.observe(WrapUpEnded(at=t + 0.95, agent_id="a-1", contact_id=f"c-{i}"))
    assert (0, 0, 1) == (len(kpis._open), len(kpis._wrapping), len(kpis._agents))
    assert 5000 == kpis.report(until=5000.0).overall.handled


def test_report_changes_nothing() -> None:
    """Reporting twice, or observing more after a report, gives the same as never reporting."""
    events = [status(0.0, "a-1", "available"), *answered(0.0, 5.0, "c-1"), queued(1.0, "c-2")]
    later = [completed(30.0, "c-1"), Abandoned(at=35.0, contact_id="c-2")]
    kpis = KpiCollector(service_levels=VOICE_SL)
    kpis.observe_all(events)
    first = kpis.report(until=20.0)
    assert first == kpis.report(until=20.0)
    kpis.observe_all(later)
    assert report(events + later, until=50.0) == kpis.report(until=50.0)


def test_an_observer_per_event_type_observes_as_observe_does() -> None:
    """Handing each event to ``observer(type(event))`` gives the report that ``observe_all`` gives."""
    stream = [
        AgentStatusChanged(at=0.0, agent_id="a-1", status="available"),
        ContactQueued(
            at=1.0, contact_id="c-1", channel="voice", tier="gold", arrived_at=1.0, stage=0, rule="r", priority=0
        ),
        Assigned(at=4.0, contact_id="c-1", agent_id="a-1", waited=3.0),
        Completed(at=64.0, contact_id="c-1", agent_id="a-1", wrap_up_until=64.0),
        StageChanged(at=70.0, contact_id="x", stage=1, rule="any"),
    ]
    by_type, together = KpiCollector(service_levels={"voice": 20}), KpiCollector(service_levels={"voice": 20})
    for event in stream:
        by_type.observer(type(event))(event)
    together.observe_all(stream)
    assert together.report(until=100.0) == by_type.report(until=100.0)
    with pytest.raises(TypeError, match="not a router event type"):
        by_type.observer(str)


def test_ignored_events_and_non_events() -> None:
    """Events without KPI effect are accepted; anything else is a TypeError."""
    kpis = KpiCollector()
    kpis.observe(StageChanged(at=0.0, contact_id="x", stage=1, rule="any"))
    with pytest.raises(TypeError, match="not a router event"):
        kpis.observe("ContactQueued")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a router event"):
        kpis.observe_all([None])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_levels": {"voice": -1}}, r"service_levels\['voice'\] must be"),
        ({"service_levels": {"fax": 20}}, "unknown channel 'fax'"),
        ({"warmup_contacts": -1}, "warmup_contacts must be"),
        ({"interval": 0}, "interval must be"),
        ({"capacity": {"a-1": {"chat": -2}}}, r"capacity\['chat'\] must be"),
    ],
)
def test_bad_settings(kwargs: dict[str, Any], message: str) -> None:
    """Bad settings fail when the collector is built, naming the value."""
    with pytest.raises(ConfigError, match=message):
        KpiCollector(**kwargs)


def test_rows_order_and_lookup() -> None:
    """Rows run overall, channels, tiers (in the given order), then pairs; an unknown row is a KeyError."""
    events = [
        *answered(0.0, 1.0, "c-1", tier="standard"),
        *answered(0.0, 1.0, "c-2", agent="a-2", tier="gold", channel="chat"),
        *answered(0.0, 1.0, "c-3", agent="a-3", tier="gold"),
    ]
    rep = report(events, until=10.0, tiers=Tiers(["standard", "silver", "gold"]))
    assert [
        ("all", "all"),
        ("voice", "all"),
        ("chat", "all"),
        ("all", "standard"),
        ("all", "gold"),
        ("voice", "standard"),
        ("voice", "gold"),
        ("chat", "gold"),
    ] == [(r.channel, r.tier) for r in rep.rows]
    assert 2 == rep.row(Channel.VOICE).offered
    with pytest.raises(UnknownIdError):
        rep.row("chat", "standard")


def test_set_capacity_applies_from_its_time() -> None:
    """A capacity change counts the agent on the new channel from then on."""
    kpis = KpiCollector()
    kpis.observe(status(0.0, "a-1", "available"))
    kpis.set_capacity("a-1", {"chat": 2}, at=50.0)
    kpis.observe_all([*answered(50.0, 50.0, "c-1", channel="chat"), completed(75.0, "c-1")])
    row = kpis.report(until=100.0).row("chat")
    assert (0.5, 0.25) == (row.occupancy, row.slot_utilisation)


def test_summary_table() -> None:
    """The table has one fixed-width line per row, with percentages and seconds."""
    events = [
        status(0.0, "a-1", "available"),
        queued(0.0, "c-1"),
        queued(1.0, "c-2"),
        Abandoned(at=5.0, contact_id="c-2"),
        offered(10.0, "c-1"),
        assigned(10.0, "c-1", waited=10.0),
        completed(50.0, "c-1"),
    ]
    lines = summary_table(report(events, until=100.0)).splitlines()
    assert 5 == len(lines)  # header, overall, voice, standard, voice and standard
    assert "all        all               2        1       50.0   50.0    10.0         40.0" == lines[1]
    assert lines[2].endswith(" -")
    assert 1 == len({len(line) for line in lines})


# -- property over random streams -------------------------------------------------------------------


@st.composite
def event_streams(draw: st.DrawFn) -> tuple[list[Event], float, int]:
    """A random stream that follows the router's semantics: contacts queue, wait, get served or leave."""
    channels = ["voice", "chat", "messaging"]
    tiers = ["standard", "gold"]
    events: list[Event] = [status(0.0, f"a-{i}", "available") for i in range(3)]
    waiting: dict[str, tuple[float, bool]] = {}  # id -> (arrived_at, answered before)
    serving: dict[str, tuple[str, float]] = {}  # id -> (agent, arrived_at)
    now, count = 0.0, 0
    for _ in range(draw(st.integers(0, 60))):
        now += draw(st.sampled_from([0.0, 1.0, 7.5, 30.0]))
        action = draw(st.sampled_from(["arrive", "arrive", "serve", "abandon", "finish", "transfer", "deny"]))
        if action == "arrive":
            count += 1
            cid, channel, tier = f"c-{count}", draw(st.sampled_from(channels)), draw(st.sampled_from(tiers))
            if draw(st.integers(0, 5)) == 0:
                fallback = draw(st.sampled_from([None, "chat"]))
                events.append(
                    Denied(
                        at=now,
                        contact_id=cid,
                        channel=channel,
                        tier=tier,
                        reason="tier",
                        rule="t",
                        fallback=fallback,
                    )
                )
            else:
                events.append(queued(now, cid, channel=channel, tier=tier))
                waiting[cid] = (now, False)
        elif action == "serve" and waiting:
            cid = draw(st.sampled_from(sorted(waiting)))
            arrived, _ = waiting.pop(cid)
            agent = draw(st.sampled_from(["a-0", "a-1", "a-2"]))
            events += [offered(now, cid, agent), assigned(now, cid, agent, now - arrived)]
            serving[cid] = (agent, arrived)
        elif action in ("abandon", "deny") and waiting:
            cid = draw(st.sampled_from(sorted(waiting)))
            del waiting[cid]
            events.append(
                Abandoned(at=now, contact_id=cid)
                if action == "abandon"
                else Denied(at=now, contact_id=cid, channel="voice", tier="x", reason="unroutable", rule="-")
            )
        elif action == "finish" and serving:
            cid = draw(st.sampled_from(sorted(serving)))
            agent, _ = serving.pop(cid)
            events.append(completed(now, cid, agent))
        elif action == "transfer" and serving:
            cid = draw(st.sampled_from(sorted(serving)))
            agent, arrived = serving.pop(cid)
            events += [
                Transferred(at=now, contact_id=cid, agent_id=agent),
                queued(now, cid, arrived_at=arrived),
            ]
            waiting[cid] = (arrived, True)
    return events, now + draw(st.sampled_from([0.0, 10.0, 100.0])), len(waiting) + len(serving)


@given(event_streams(), st.integers(0, 5))
def test_every_offered_contact_has_one_outcome(stream: tuple[list[Event], float, int], warmup: int) -> None:
    """Rows add up, each offered contact has exactly one outcome, and only open contacts are kept."""
    events, until, still_open = stream
    kpis = KpiCollector(service_levels=VOICE_SL, warmup_contacts=warmup)
    kpis.observe_all(events)
    rep = kpis.report(until=until)
    channel_rows = [r for r in rep.rows if r.channel != "all" and r.tier == "all"]
    tier_rows = [r for r in rep.rows if r.channel == "all" and r.tier != "all"]
    pair_rows = [r for r in rep.rows if "all" not in (r.channel, r.tier)]
    for rows in (channel_rows, tier_rows, pair_rows):
        assert rep.overall.offered == sum(r.offered for r in rows)
        assert rep.overall.denied == sum(r.denied for r in rows)
    for r in rep.rows:
        assert r.offered == r.handled + r.abandoned + r.denied_after_queue + r.still_waiting
        assert r.offered == sum(i.offered for i in r.intervals)
        for value in (r.service_level, r.abandon_rate, r.p_wait, r.occupancy):
            assert value is None or 0.0 <= value <= 1.0
        assert r.max_wait is None or math.isfinite(r.max_wait)
    assert still_open == len(kpis._open)
