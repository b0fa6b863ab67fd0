"""DurableRouter: the router's calls, journaled; recovery, the outbox, snapshots, batches and descriptions."""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path
from typing import Any

import pytest
from call_stream import SETTINGS, CallStream, make_policy

import routekit as rk
from routekit.durable import Entry, MemoryStore

CALLS = [
    "add_agent",
    "update_agent",
    "remove_agent",
    "set_status",
    "end_wrap_up",
    "submit",
    "accept",
    "reject",
    "complete",
    "abandon",
    "reprioritize",
    "transfer",
    "await_customer",
    "customer_replied",
    "advance",
]
READ_VIEWS = [
    "next_deadline",
    "snapshot",
    "conversation",
    "contact",
    "state",
    "position",
    "waiting",
    "agent_state",
    "agents",
    "expected_wait",
    "quote_wait",
    "explain",
]

VOICE = {"voice": 1}


def agent(agent_id: str = "ana", **fields: Any) -> rk.Agent:
    return rk.Agent(id=agent_id, skills={"billing": 4}, capacity=fields.pop("capacity", VOICE), **fields)


def contact(contact_id: str, channel: str = "voice", **fields: Any) -> rk.Contact:
    return rk.Contact(id=contact_id, customer=rk.Customer(id=f"u-{contact_id}"), channel=channel, **fields)


def drive(router: Any, seed: int, steps: int) -> list[tuple[str, Any, Any]]:
    """The stream's calls on ``router``: (name, events, error type and events) of each."""
    stream = CallStream(seed)
    out = []
    for _ in range(steps):
        name, events, error = stream.step(router)
        out.append((name, events, None if error is None else (type(error), error.events)))
    return out


def open_memory(store: MemoryStore | None = None, **options: Any) -> rk.DurableRouter:
    return rk.DurableRouter.open(store if store is not None else MemoryStore(), make_policy(), **SETTINGS, **options)


class TestSameAsRouter:
    def test_every_call_of_the_router_has_the_same_signature(self) -> None:
        """Each call and read view of the call table is on DurableRouter with Router's signature."""
        differ = [
            name
            for name in CALLS + READ_VIEWS
            if inspect.signature(getattr(rk.Router, name)) != inspect.signature(getattr(rk.DurableRouter, name))
        ]
        assert [] == differ

    def test_a_random_stream_returns_the_same_events_and_errors(self) -> None:
        """Valid and invalid calls return the same events, and raise the same errors with the same err.events."""
        plain = drive(rk.Router(make_policy(), **SETTINGS), 3, 1500)
        durable = drive(open_memory(), 3, 1500)
        assert plain == durable

    @pytest.mark.parametrize("kind", ["memory", "sqlite"])
    def test_reopening_recovers_the_same_state(self, kind: str, tmp_path: Path) -> None:
        """A store reopened after a random stream holds a router equal to one fed the stream in memory."""
        plain = rk.Router(make_policy(), **SETTINGS)
        drive(plain, 5, 1200)
        store: Any = MemoryStore() if kind == "memory" else tmp_path / "domain.db"
        router = rk.DurableRouter.open(store, make_policy(), snapshot_every=250, **SETTINGS)
        drive(router, 5, 1200)
        router.close()
        again = rk.DurableRouter.open(store, make_policy(), **SETTINGS)
        assert plain.snapshot() == again.snapshot()
        assert router.seq == again.seq
        again.close()

    def test_recovery_fires_no_timers_of_its_own(self) -> None:
        """The recovered router is at the last journaled now, with the offer's expiry still pending."""
        store = MemoryStore()
        router = open_memory(store)
        router.add_agent(agent(), 0.0)
        router.submit(contact("c-1"), 1.0)
        router.close()
        again = open_memory(store)
        assert (1.0, 21.0) == (again.now, again.next_deadline())


class TestJournal:
    def test_a_refused_call_is_journaled_as_advance_with_its_timer_events(self) -> None:
        """A late accept refused after the offer expired journals advance(now), and the expiry is in the outbox."""
        store = MemoryStore()
        router = open_memory(store)
        router.add_agent(agent(), 0.0)
        router.submit(contact("c-1"), 1.0)
        with pytest.raises(rk.OfferStateError) as refused:
            router.accept("c-1", "ana", 25.0)
        assert (3, "advance", 25.0) == (router.seq, *json.loads(next(iter(store.read(2)))[1]))
        assert [("OfferExpired", 3), ("AgentStatusChanged", 3)] == [
            (type(event).__name__, seq) for seq, event in router.pending_events() if seq == 3
        ]
        assert [event for seq, event in router.pending_events() if seq == 3] == refused.value.events

    def test_a_time_going_backwards_is_not_journaled(self) -> None:
        """A ClockError changes nothing, so it takes no sequence number."""
        router = open_memory()
        router.advance(10.0)
        with pytest.raises(rk.ClockError):
            router.advance(5.0)
        assert 1 == router.seq

    def test_an_argument_that_is_not_plain_data_is_refused_before_the_call(self) -> None:
        """A contact whose context JSON cannot write is refused with ConfigError, and the router is unchanged."""
        router = open_memory()
        router.add_agent(agent(), 0.0)
        with pytest.raises(rk.ConfigError):
            router.submit(contact("c-1", context={"when": object()}), 1.0)
        assert (1, None) == (router.seq, router.state("c-1"))

    def test_a_failed_write_stops_the_router_until_it_is_reopened(self) -> None:
        """When the store cannot append, the call raises and later calls are refused; reopening recovers."""

        class Failing(MemoryStore):
            fail = False

            def append(self, after: int, entries: Any) -> None:
                if self.fail:
                    raise OSError("disk full")
                super().append(after, entries)

        store = Failing()
        router = open_memory(store)
        router.add_agent(agent(), 0.0)
        store.fail = True
        with pytest.raises(OSError, match="disk full"):
            router.submit(contact("c-1"), 1.0)
        with pytest.raises(rk.StoreError, match="open the store again"):
            router.advance(2.0)
        router.close()
        store.fail = False
        again = open_memory(store)
        assert (1, None) == (again.seq, again.state("c-1"))


class TestSync:
    def test_sync_call_commits_before_returning(self) -> None:
        """With sync="call" the store's last sequence number is the router's after every call."""
        store = MemoryStore()
        router = open_memory(store)
        seen = []
        for now in range(1, 6):
            router.advance(float(now))
            seen.append(store.last_seq())
        assert [1, 2, 3, 4, 5] == seen

    def test_a_batch_commits_at_its_kth_call(self) -> None:
        """With sync="batch" and batch_calls=3 the store catches up at calls 3 and 6."""
        store = MemoryStore()
        router = open_memory(store, sync="batch", batch_calls=3, batch_ms=1e9)
        seen = []
        for now in range(1, 8):
            router.advance(float(now))
            seen.append(store.last_seq())
        assert [0, 0, 3, 3, 3, 6, 6] == seen

    def test_flush_commits_the_open_batch(self) -> None:
        """flush() commits the calls of the open batch."""
        store = MemoryStore()
        router = open_memory(store, sync="batch", batch_calls=100, batch_ms=1e9)
        router.advance(1.0)
        router.advance(2.0)
        before = store.last_seq()
        router.flush()
        assert (0, 2) == (before, store.last_seq())

    def test_a_call_after_batch_ms_commits_the_batch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The first call at least batch_ms after the batch opened commits it, read from time.monotonic."""
        clock = [100.0]
        monkeypatch.setattr("routekit.durable.router.time.monotonic", lambda: clock[0])
        store = MemoryStore()
        router = open_memory(store, sync="batch", batch_calls=100, batch_ms=50.0)
        router.advance(1.0)
        clock[0] += 0.049
        router.advance(2.0)
        early = store.last_seq()
        clock[0] += 0.001
        router.advance(3.0)
        assert (0, 3) == (early, store.last_seq())

    def test_a_crash_loses_at_most_the_open_batch(self) -> None:
        """Reopening a store whose router was dropped without close recovers every committed batch."""
        store = MemoryStore()
        router = open_memory(store, sync="batch", batch_calls=4, batch_ms=1e9)
        for now in range(1, 11):
            router.advance(float(now))
        store.close()  # the process died: the open batch (calls 9 and 10) never reached the store
        again = open_memory(store)
        assert (8, 8.0) == (again.seq, again.now)


class TestOutbox:
    def test_pending_events_lists_every_event_with_its_sequence_number(self) -> None:
        """The outbox holds each call's events under its sequence number, in order."""
        router = open_memory()
        first = router.add_agent(agent(), 0.0)
        second = router.submit(contact("c-1"), 1.0)
        assert [(1, e) for e in first] + [(2, e) for e in second] == router.pending_events()

    def test_ack_drops_the_acknowledged_events(self) -> None:
        """After ack(1), only the second call's events are pending, also after a restart."""
        store = MemoryStore()
        router = open_memory(store)
        router.add_agent(agent(), 0.0)
        second = router.submit(contact("c-1"), 1.0)
        router.ack(1)
        router.close()
        assert [(2, e) for e in second] == open_memory(store).pending_events()

    def test_compaction_keeps_unacknowledged_events(self) -> None:
        """A snapshot drops the journal before it but not the outbox rows nobody acknowledged."""
        store = MemoryStore()
        router = open_memory(store, snapshot_every=2)
        first = router.add_agent(agent(), 0.0)
        second = router.submit(contact("c-1"), 1.0)
        assert ([], [(1, e) for e in first] + [(2, e) for e in second]) == (
            list(store.read(0)),
            router.pending_events(),
        )


class TestSnapshots:
    def test_a_snapshot_every_n_commands_compacts_the_journal(self) -> None:
        """With snapshot_every=4, after 10 calls the latest snapshot is at 8 and the journal holds 9 and 10."""
        store = MemoryStore()
        router = open_memory(store, snapshot_every=4)
        for now in range(1, 11):
            router.advance(float(now))
        latest = store.latest_snapshot()
        assert latest is not None
        assert (8, [9, 10]) == (latest[0], [seq for seq, _, _ in store.read(0)])

    def test_a_snapshot_after_t_seconds(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With snapshot_seconds=60, the first call 60 s (monotonic) after the last snapshot takes one."""
        clock = [0.0]
        monkeypatch.setattr("routekit.durable.router.time.monotonic", lambda: clock[0])
        store = MemoryStore()
        router = open_memory(store, snapshot_every=None, snapshot_seconds=60.0)
        router.advance(1.0)
        clock[0] = 61.0
        router.advance(2.0)
        latest = store.latest_snapshot()
        assert 2 == (latest[0] if latest else None)

    def test_kpis_survive_a_restart(self) -> None:
        """A carried KpiCollector reports after a restart what one fed every event in memory reports."""
        settings = {"service_levels": {"voice": 20, "chat": 60}, "interval": 600}
        plain = rk.Router(make_policy(), **SETTINGS)
        kpis = rk.metrics.KpiCollector(**settings)
        stream = CallStream(11)
        for _ in range(800):
            _, events, error = stream.step(plain)
            kpis.observe_all(events if error is None else error.events)
        store = MemoryStore()
        router = open_memory(store, snapshot_every=300, kpis=rk.metrics.KpiCollector(**settings))
        drive(router, 11, 800)
        router.close()
        again = open_memory(store, kpis=rk.metrics.KpiCollector(**settings))
        assert again.kpis is not None
        assert kpis.report(until=plain.now) == again.kpis.report(until=plain.now)


class TestDescriptions:
    def test_another_policy_is_refused(self) -> None:
        """Reopening with another policy raises RecoveryError naming both descriptions."""
        store = MemoryStore()
        open_memory(store).close()
        with pytest.raises(rk.RecoveryError, match="another policy"):
            rk.DurableRouter.open(store, rk.policies.Skills(), **SETTINGS)

    def test_other_settings_are_refused(self) -> None:
        """Reopening with another re-offer delay raises RecoveryError."""
        store = MemoryStore()
        open_memory(store).close()
        with pytest.raises(rk.RecoveryError, match="other settings"):
            rk.DurableRouter.open(store, make_policy(), **{**SETTINGS, "reoffer_delay": 5.0})

    def test_other_opening_hours_are_refused_and_the_same_recover(self) -> None:
        """Opening hours are settings: reopening with another holiday is refused, and with the same hours a
        message that waited for the opening is recovered and offered at the opening as before (issue 22)."""
        hours = rk.OpeningHours(weekly={day: [("09:00", "17:00")] for day in range(7)}, timezone="UTC")
        holiday = rk.OpeningHours(weekly=hours.to_data()["weekly"], holidays=["2026-12-08"], timezone="UTC")
        epoch = 1796630400.0  # Monday 7 December 2026, 08:00 UTC: the messaging channel opens at t=3600
        store = MemoryStore()
        router = rk.DurableRouter.open(store, make_policy(), **SETTINGS, epoch=epoch, hours={"messaging": hours})
        router.add_agent(agent(capacity={"messaging": 1}), 0.0)
        router.submit(contact("m-1", channel="messaging"), 10.0)
        router.close()
        with pytest.raises(rk.RecoveryError, match="other settings"):
            rk.DurableRouter.open(store, make_policy(), **SETTINGS, epoch=epoch, hours={"messaging": holiday})
        reopened = rk.DurableRouter.open(store, make_policy(), **SETTINGS, epoch=epoch, hours={"messaging": hours})
        offered = [(type(e).__name__, e.contact_id, e.at) for e in reopened.advance(3600.0)]
        assert [("Offered", "m-1", 3600.0)] == offered

    def test_other_exception_rules_are_refused_and_the_same_recover(self) -> None:
        """Exception rules are settings: reopening with another threshold is refused, and with the same rules
        a wait rule pending at the close fires after recovery as before (issue 22)."""

        def rules(threshold: float) -> dict[str, list[rk.ExceptionRule]]:
            return {"voice": [rk.ExceptionRule(name="late", trigger="wait", threshold=threshold, action="deny")]}

        store = MemoryStore()
        router = rk.DurableRouter.open(store, make_policy(), **SETTINGS, exception_rules=rules(60.0))
        router.add_agent(agent(), 0.0)
        router.submit(contact("c-1"), 0.0)
        router.accept("c-1", "ana", 1.0)
        router.submit(contact("c-2"), 5.0)
        router.close()
        with pytest.raises(rk.RecoveryError, match="other settings"):
            rk.DurableRouter.open(store, make_policy(), **SETTINGS, exception_rules=rules(30.0))
        reopened = rk.DurableRouter.open(store, make_policy(), **SETTINGS, exception_rules=rules(60.0))
        fired = [(type(e).__name__, e.contact_id, e.at) for e in reopened.advance(65.0)]
        assert [("ExceptionFired", "c-2", 65.0), ("Denied", "c-2", 65.0)] == fired

    def test_a_policy_change_with_commands_after_the_snapshot_is_refused(self) -> None:
        """policy_changed=True is refused, naming the first command after the latest snapshot."""
        store = MemoryStore()
        router = open_memory(store, snapshot_every=None)
        router.advance(1.0)
        router.advance(2.0)
        router.close()
        with pytest.raises(rk.RecoveryError) as refused:
            rk.DurableRouter.open(store, rk.policies.Skills(), policy_changed=True, **SETTINGS)
        assert 1 == refused.value.seq

    def test_a_policy_change_after_a_checkpoint_is_accepted_and_recorded(self) -> None:
        """After checkpoint(), policy_changed=True opens with the new policy, which is recorded for later."""
        store = MemoryStore()
        router = open_memory(store, snapshot_every=None)
        router.advance(1.0)
        router.checkpoint()
        router.close()
        rk.DurableRouter.open(store, rk.policies.Skills(), policy_changed=True, **SETTINGS).close()
        again = rk.DurableRouter.open(store, rk.policies.Skills(), **SETTINGS)
        assert (1, 1.0) == (again.seq, again.now)

    def test_a_policy_built_alike_is_the_same_policy(self) -> None:
        """Two policies built from the same parameters have equal descriptions."""
        assert rk.durable.codec.describe(make_policy()) == rk.durable.codec.describe(make_policy())


class TestDamage:
    def test_a_command_whose_events_differ_on_replay_is_named(self) -> None:
        """A journaled command changed after the fact fails its digest check, and the error names it."""
        store = MemoryStore()
        router = open_memory(store, snapshot_every=None)
        router.add_agent(agent(), 0.0)
        router.submit(contact("c-1"), 1.0)
        router.close()
        command, digest = store._journal[2]
        store._journal[2] = (command.replace('"priority":0', '"priority":5'), digest)
        with pytest.raises(rk.RecoveryError) as refused:
            open_memory(store)
        assert 2 == refused.value.seq

    def test_a_gap_in_the_journal_is_damage(self) -> None:
        """A missing journal row is a StoreDamagedError naming the first missing sequence number."""
        store = MemoryStore()
        router = open_memory(store, snapshot_every=None)
        for now in (1.0, 2.0, 3.0):
            router.advance(now)
        router.close()
        del store._journal[2]
        with pytest.raises(rk.StoreDamagedError) as refused:
            open_memory(store)
        assert 2 == refused.value.seq

    def test_a_command_that_does_not_parse_is_damage(self) -> None:
        """A journal row that is not a command is a StoreDamagedError naming it."""
        store = MemoryStore()
        open_memory(store).close()
        store.lock()
        store.append(0, [Entry(1, '["no_such_call",1.0]', "d", "[]")])
        store.close()
        with pytest.raises(rk.StoreDamagedError, match="command 1"):
            open_memory(store)

    def test_a_newer_schema_in_the_meta_is_refused(self) -> None:
        """A store whose meta names schema 99 is refused with StoreVersionError."""
        store = MemoryStore()
        open_memory(store).close()
        store._meta = {**(store._meta or {}), "schema": 99}
        with pytest.raises(rk.StoreVersionError):
            open_memory(store)

    def test_a_second_writer_on_one_memory_store_is_refused(self) -> None:
        """While one router holds a memory store, opening it again raises StoreLockedError."""
        store = MemoryStore()
        router = open_memory(store)
        with pytest.raises(rk.StoreLockedError):
            open_memory(store)
        router.close()


def test_times_are_journaled_exactly() -> None:
    """An integer now and a float with many digits come back exactly as the router saw them."""
    store = MemoryStore()
    router = open_memory(store)
    router.advance(3)
    router.advance(math.pi)
    router.close()
    assert math.pi == open_memory(store).now


def test_the_cyclic_collector_is_on_again_after_a_checkpoint_and_a_recovery() -> None:
    """Pausing the garbage collector around a snapshot's data and its parsing leaves it as it was."""
    import gc

    store = MemoryStore()
    router = open_memory(store)
    router.advance(1.0)
    router.checkpoint()
    after_checkpoint = gc.isenabled()
    router.close()
    open_memory(store).close()
    assert (True, True) == (after_checkpoint, gc.isenabled())


def test_recovery_leaves_the_host_s_frozen_objects_frozen() -> None:
    """A host that froze its objects (gc.freeze) still has them frozen after a recovery from a snapshot."""
    import gc

    store = MemoryStore()
    router = open_memory(store)
    router.advance(1.0)
    router.checkpoint()
    router.close()
    unfrozen = gc.get_freeze_count()
    open_memory(store).close()
    after_plain = gc.get_freeze_count()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        open_memory(store).close()
        assert (0, 0, frozen) == (unfrozen, after_plain, gc.get_freeze_count())
    finally:
        gc.unfreeze()
