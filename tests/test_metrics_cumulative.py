"""The sliding-window cumulative statistics: agreement with the simulator's KPIs, the window's edge, bands."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

import routekit.sim.engine as engine
from routekit.errors import ClockError, ConfigError, RoutekitError, SnapshotError
from routekit.events import (
    Abandoned,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    ConversationClosed,
    Denied,
    Event,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    Transferred,
)
from routekit.metrics import CumulativeStatistics, KpiCollector
from routekit.sim.engine import run_day
from routekit.sim.scenario import builtin_scenario, load_scenario

VOICE_RULE = "skills:billing>=3"


def queued(
    at: float,
    cid: str,
    *,
    channel: str = "voice",
    tier: str = "gold",
    rule: str = VOICE_RULE,
    arrived_at: float | None = None,
) -> ContactQueued:
    return ContactQueued(
        at=at,
        contact_id=cid,
        channel=channel,
        tier=tier,
        arrived_at=at if arrived_at is None else arrived_at,
        stage=0,
        rule=rule,
        priority=0,
    )


def offered(at: float, cid: str, agent: str = "a-1") -> Offered:
    return Offered(
        at=at, contact_id=cid, agent_id=agent, stage=0, rule=VOICE_RULE, selection="longest-idle", expires_at=at + 20
    )


def assigned(at: float, cid: str, waited: float, agent: str = "a-1") -> Assigned:
    return Assigned(at=at, contact_id=cid, agent_id=agent, waited=waited)


# ------------------------------------------------------------------------------ agreement with KpiReport


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    """Every router event the simulator's engine handles, in order."""
    seen: list[Event] = []

    class Recording(KpiCollector):
        def observer(self, kind: type) -> Callable[[Any], None]:
            handler = super().observer(kind)

            def record(event: Event) -> None:
                seen.append(event)
                handler(event)

            return record

        def observe(self, event: Event) -> None:
            # The engine logs a contact the router refused as unroutable at submit itself, as a host would.
            seen.append(event)
            super().observe(event)

    monkeypatch.setattr(engine, "KpiCollector", Recording)
    return seen


@pytest.mark.parametrize("name", ["builtin", "three_mistakes"])
def test_a_window_of_the_whole_day_agrees_with_the_simulators_kpis(recorded: list[Event], name: str) -> None:
    """Over one simulated day, a window holding the whole day gives the KpiReport's numbers per channel."""
    scenario = builtin_scenario() if name == "builtin" else load_scenario("tests/scenarios/three_mistakes.toml")
    result = run_day(scenario, seed=7)
    assert 0 == scenario.run.warmup_customers
    stats = CumulativeStatistics(window=2 * 86400, bucket=300, service_levels=scenario.service_levels())
    stats.record(recorded)
    window = stats.read(result.ended_at)
    assert window.start <= 0.0
    channels = [row.channel for row in result.report.rows if row.tier == "all" and row.channel != "all"]
    assert channels == [row.channel for row in window.channels]
    for channel in ["all", *channels]:
        expected = result.report.row(channel)
        actual = window.overall if channel == "all" else window.channel(channel)
        assert (expected.offered, expected.handled, expected.abandoned, expected.denied) == (
            actual.offered,
            actual.answered,
            actual.abandoned,
            actual.denied,
        ), channel
        assert expected.denied_after_queue == actual.denied_after_queue
        assert expected.abandon_rate == actual.abandon_rate
        # Sums of waits in another order: equal to float rounding.
        assert _close(expected.service_level, actual.service_level), channel
        assert _close(expected.asa, actual.asa), channel
        assert sum(actual.answered_by_wait) == actual.answered
    assert window.overall.denied + window.overall.denied_after_queue == sum(window.overall.denied_by_reason.values())
    assert 0 < window.overall.offered


def _close(expected: float | None, actual: float | None) -> bool:
    return (expected is None and actual is None) or (
        expected is not None and actual is not None and actual == pytest.approx(expected, rel=1e-12, abs=0)
    )


# ---------------------------------------------------------------------------------------- the window


def test_counts_leave_the_window_a_bucket_at_a_time() -> None:
    """A contact queued at 30 s counts until the window starts after its bucket, then not."""
    stats = CumulativeStatistics(window=300, bucket=60)
    stats.record([queued(30.0, "c-1")])
    assert 1 == stats.read(30.0).channel("voice").offered
    # The window starts at the bucket boundary at or before now - 300 s.
    assert (0.0, 1) == (stats.read(359.0).start, stats.read(359.0).channel("voice").offered)
    assert (60.0, 0) == (stats.read(360.0).start, stats.read(360.0).channel("voice").offered)
    assert (-60.0, 1) == (stats.read(299.0).start, stats.read(299.0).channel("voice").offered)


def test_an_empty_window_has_none_not_zero_over_zero() -> None:
    """With nothing in the window the counts are 0 and every KPI is None."""
    stats = CumulativeStatistics(service_levels={"voice": 20})
    empty = stats.read(0.0)
    assert (0, None, None, None, None) == (
        empty.overall.offered,
        empty.overall.service_level,
        empty.overall.asa,
        empty.overall.abandon_rate,
        empty.overall.average_acceptance_time,
    )
    assert (0, 0, 0, 0, 0, 0, 0) == empty.channel("chat").answered_by_wait


def test_old_buckets_are_dropped_as_time_moves_on() -> None:
    """Memory is bounded by the buckets of one window, however long the stream runs."""
    stats = CumulativeStatistics(window=120, bucket=60)
    for n in range(1000):
        stats.record([queued(float(n * 30), f"c-{n}"), Abandoned(at=float(n * 30) + 1, contact_id=f"c-{n}")])
    assert len(stats._counts) <= 3
    assert 0 == len(stats._open)
    # The window from 29,820 s holds the contacts queued at 29,820 s to 29,970 s.
    assert 6 == stats.read(1000 * 30.0 - 1).channel("voice").abandoned


def test_a_miss_is_counted_when_the_wait_passes_the_threshold() -> None:
    """A contact still waiting is undecided until its wait passes the threshold, then a miss, once."""
    stats = CumulativeStatistics(window=300, bucket=60, service_levels={"voice": 20})
    stats.record([queued(0.0, "c-1"), queued(5.0, "c-2"), offered(6.0, "c-2"), assigned(8.0, "c-2", 3.0)])
    assert 1.0 == stats.read(20.0).channel("voice").service_level  # c-1 has waited exactly 20 s: undecided
    assert 0.5 == stats.read(20.5).channel("voice").service_level
    stats.record([offered(100.0, "c-1"), assigned(110.0, "c-1", 110.0)])
    row = stats.read(110.0).channel("voice")
    assert (0.5, 2, 1) == (row.service_level, row.answered, row.answered_within)
    # The miss was decided at 20 s: once the bucket holding 20 s leaves, so does the miss (and c-2's hit).
    late = stats.read(360.0).channel("voice")
    assert (1, None) == (late.answered, late.service_level)


def test_an_early_abandonment_is_a_miss_when_it_leaves() -> None:
    """An abandoned contact counts against the service level whenever it left, as in the KpiReport."""
    stats = CumulativeStatistics(service_levels={"voice": 20})
    stats.record([queued(0.0, "c-1"), Abandoned(at=5.0, contact_id="c-1")])
    row = stats.read(10.0).channel("voice")
    assert (1, 0.0, 1.0) == (row.abandoned, row.service_level, row.abandon_rate)


def test_waits_are_split_into_bands_with_inclusive_upper_edges() -> None:
    """Answered contacts fall in the band whose upper edge is the first at or above their wait."""
    stats = CumulativeStatistics(wait_edges=(10, 20))
    events: list[Event] = []
    for n, wait in enumerate([0.0, 10.0, 10.5, 20.0, 45.0]):
        events += [queued(float(n), f"c-{n}"), offered(float(n), f"c-{n}"), assigned(float(n) + wait, f"c-{n}", wait)]
    events.sort(key=lambda event: event.at)
    stats.record(events)
    assert (2, 2, 1) == stats.read(100.0).channel("voice").answered_by_wait


def test_offers_and_acceptance_time() -> None:
    """Each offer's end is counted by kind; acceptance time runs from the accepted offer to Assigned."""
    stats = CumulativeStatistics()
    stats.record(
        [
            queued(0.0, "c-1"),
            offered(0.0, "c-1", "a-1"),
            OfferRejected(at=2.0, contact_id="c-1", agent_id="a-1"),
            offered(2.0, "c-1", "a-2"),
            OfferExpired(at=22.0, contact_id="c-1", agent_id="a-2"),
            offered(22.0, "c-1", "a-3"),
            OfferRescinded(at=23.0, contact_id="c-1", agent_id="a-3", reason="agent-away"),
            offered(30.0, "c-1", "a-4"),
            assigned(34.0, "c-1", 34.0, "a-4"),
            Transferred(at=60.0, contact_id="c-1", agent_id="a-4"),
            queued(60.0, "c-1"),
            offered(61.0, "c-1", "a-5"),
            assigned(67.0, "c-1", 34.0, "a-5"),
        ]
    )
    row = stats.read(70.0).channel("voice")
    assert (1, 1, 5, 2, 1, 1, 1) == (
        row.offered,
        row.answered,
        row.offers,
        row.offers_accepted,
        row.offers_rejected,
        row.offers_expired,
        row.offers_rescinded,
    )
    assert 5.0 == row.average_acceptance_time
    assert 34.0 == row.asa


def test_rows_per_target_and_tier_and_denials_by_reason() -> None:
    """A contact counts under the rule and tier of its first ContactQueued; a denial at submit under its own."""
    stats = CumulativeStatistics()
    stats.record(
        [
            queued(0.0, "c-1", tier="gold"),
            queued(1.0, "c-2", tier="silver", rule="skills:any"),
            Denied(
                at=2.0,
                contact_id="v-1",
                channel="video",
                tier="silver",
                reason="tier",
                rule="tier:video-gold",
                fallback="chat",
            ),
            Denied(at=3.0, contact_id="c-2", channel="voice", tier="silver", reason="unroutable", rule="skills:any"),
        ]
    )
    window = stats.read(10.0)
    assert (1, 1) == (window.target(VOICE_RULE).offered, window.target("skills:any").offered)
    assert 1 == window.target("skills:any").denied_after_queue
    assert (1, 0) == (window.target("tier:video-gold").denied, window.target("tier:video-gold").offered)
    assert {"tier": 1, "unroutable": 1} == window.overall.denied_by_reason
    assert (1, 2) == (window.tier("gold").offered, window.tier("silver").denied + window.tier("silver").offered)
    assert 0 == window.target("skills:nobody").offered


def test_a_held_conversation_is_forgotten_when_it_closes() -> None:
    """Abandoning a held conversation is not an abandonment, and a close forgets its turn."""
    stats = CumulativeStatistics()
    stats.record(
        [
            queued(0.0, "m-1", channel="messaging"),
            offered(0.0, "m-1"),
            assigned(1.0, "m-1", 1.0),
            AwaitingCustomer(at=50.0, contact_id="m-1", conversation_id="m-1", agent_id="a-1", hold_until=170.0),
            ConversationClosed(at=60.0, conversation_id="m-1", reason="abandoned"),
            Abandoned(at=60.0, contact_id="m-1"),
        ]
    )
    assert ({}, {}) == (stats._open, stats._held)
    assert (1, 0) == (stats.read(60.0).channel("messaging").answered, stats.read(60.0).channel("messaging").abandoned)


def test_completed_contacts_are_forgotten() -> None:
    """Only open contacts are remembered."""
    stats = CumulativeStatistics()
    stats.record(
        [
            queued(0.0, "c-1"),
            offered(0.0, "c-1"),
            assigned(1.0, "c-1", 1.0),
            Completed(at=9.0, contact_id="c-1", agent_id="a-1", wrap_up_until=9.0),
        ]
    )
    assert {} == stats._open


# ------------------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"window": 0}, "window must be a number of seconds > 0, got 0"),
        ({"bucket": float("nan")}, "bucket must be a number of seconds > 0, got nan"),
        ({"window": 100, "bucket": 60}, "window must be a whole number of buckets of 60 s, got 100"),
        ({"wait_edges": (20, 10)}, "wait_edges must increase, got (20, 10)"),
        ({"wait_edges": (-1,)}, "wait_edges must be numbers of seconds >= 0, got (-1,)"),
        ({"service_levels": {"voice": -5}}, "service_levels['voice'] must be a number of seconds >= 0, got -5"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(settings: dict[str, Any], message: str) -> None:
    """Each setting refuses a bad value at construction with its name and the value."""
    with pytest.raises(ConfigError) as error:
        CumulativeStatistics(**settings)
    assert message == str(error.value)


def test_time_going_backwards_is_refused() -> None:
    """An event or a read earlier than the last event recorded is a ClockError, and changes nothing."""
    stats = CumulativeStatistics()
    stats.record([queued(10.0, "c-1")])
    with pytest.raises(ClockError):
        stats.record([queued(5.0, "c-2")])
    with pytest.raises(ClockError):
        stats.read(9.0)
    assert 1 == stats.read(10.0).overall.offered
    with pytest.raises(TypeError):
        stats.record(["not an event"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "events",
    [
        [("c-2", 20.0), "not an event"],  # a good event, then a bad item
        [("c-2", 20.0), ("c-3", 15.0)],  # a good event, then one earlier than it
    ],
)
def test_a_refused_list_records_none_of_its_events(events: list[Any]) -> None:
    """A list with a bad item is refused before any of it is counted, with a RoutekitError naming it."""
    stats = CumulativeStatistics()
    stats.record([queued(10.0, "c-1")])
    batch = [queued(item[1], item[0]) if isinstance(item, tuple) else item for item in events]
    with pytest.raises(RoutekitError, match=r"not a router event|earlier than"):
        stats.record(batch)
    assert 1 == stats.read(30.0).overall.offered


@pytest.mark.parametrize("now", [math.nan, math.inf, "10", True])
def test_a_read_at_a_time_that_is_not_a_finite_number_is_refused(now: Any) -> None:
    with pytest.raises(ClockError, match="finite number"):
        CumulativeStatistics().read(now)


# ------------------------------------------------------------------------------------------ snapshot


def test_a_restored_snapshot_reads_and_records_as_the_original(recorded: list[Event]) -> None:
    """Snapshot mid-day through JSON, restore, record the rest into both: every read is the same."""
    scenario = builtin_scenario()
    run_day(scenario, seed=3, customers=600)
    half = len(recorded) // 2
    original = CumulativeStatistics(window=1800, bucket=300, service_levels=scenario.service_levels())
    original.record(recorded[:half])
    restored = CumulativeStatistics.restore(json.loads(json.dumps(original.snapshot())))
    assert original.snapshot() == restored.snapshot()
    moment = recorded[half - 1].at
    assert original.read(moment) == restored.read(moment)
    answered = 0
    step = (len(recorded) - half) // 4 + 1
    for start in range(half, len(recorded), step):
        chunk = recorded[start : start + step]
        original.record(chunk)
        restored.record(chunk)
        assert original.read(chunk[-1].at) == restored.read(chunk[-1].at)
        answered += original.read(chunk[-1].at).overall.answered
    assert 0 < answered


def test_an_empty_snapshot_restores() -> None:
    """Statistics that recorded nothing restore to statistics that record from any time on."""
    restored = CumulativeStatistics.restore(json.loads(json.dumps(CumulativeStatistics(window=120).snapshot())))
    assert 120 == restored.window
    restored.record([queued(-5.0, "c-1")])
    assert 1 == restored.read(0.0).overall.offered


@pytest.mark.parametrize(
    ("damage", "path"),
    [
        (lambda data: data["open"][0].__setitem__(4, "soon"), "open[0]"),
        (lambda data: data["buckets"][0][1][0].__setitem__(3, 1.5), "buckets[0][1][0]"),
        (lambda data: data["buckets"][0][1][0].pop(), "buckets[0][1][0]"),
        (lambda data: data.__setitem__("last_at", "late"), "last_at"),
        (lambda data: data.pop("settings"), "settings"),
    ],
)
def test_a_damaged_snapshot_is_refused_naming_where(damage: Callable[[dict[str, Any]], Any], path: str) -> None:
    """A damaged snapshot is a SnapshotError naming the path of what is wrong in it."""
    stats = CumulativeStatistics(service_levels={"voice": 20})
    stats.record([queued(0.0, "c-1"), queued(1.0, "c-2"), offered(1.0, "c-2"), assigned(2.0, "c-2", 1.0)])
    data = json.loads(json.dumps(stats.snapshot()))
    damage(data)
    with pytest.raises(SnapshotError) as error:
        CumulativeStatistics.restore(data)
    assert path == error.value.path


def test_a_snapshot_with_bad_settings_is_a_config_error() -> None:
    """Settings that could not be given to the constructor are refused as they would be there."""
    data = CumulativeStatistics().snapshot()
    data["settings"]["bucket"] = -1
    with pytest.raises(ConfigError, match="bucket must be a number of seconds > 0, got -1"):
        CumulativeStatistics.restore(data)
