"""DurableRouter: a router whose every call is journaled, so that it survives a crash.

It wraps a :class:`~routekit.Router` and calls it through its public API only. Each state-changing call
is made on the router, then written to the store's journal as a command with a sequence number and a
digest of its events, and its events to the outbox; with ``sync="call"`` this is committed before the
events are returned. Recovery restores the latest snapshot and replays the commands after it.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from routekit.durable import codec
from routekit.durable.sqlite import SqliteStore
from routekit.durable.store import SCHEMA_VERSION, STORE_FORMAT, Entry, Store
from routekit.errors import (
    ClockError,
    ConfigError,
    NotAStoreError,
    RecoveryError,
    RoutekitError,
    StoreDamagedError,
    StoreError,
    StoreVersionError,
)
from routekit.events import Event
from routekit.explanation import Explanation
from routekit.metrics import KpiCollector
from routekit.models.agent import Agent, AgentStatus
from routekit.models.contact import Contact, Conversation
from routekit.policies.base import Plan, RoutingPolicy, Target
from routekit.router import AgentSnapshot, ContactState, Router, RouterSettings

__all__ = ["DurableRouter"]

Sync = Literal["call", "batch"]

# Journal rows recovery reads, parses and replays at a time.
_REPLAY_CHUNK = 4096


class DurableRouter:
    """A :class:`~routekit.Router` over a store: every call is journaled, and a crash loses nothing returned.

    Build one with :meth:`open`. It has every state-changing call of :class:`~routekit.Router`, with the
    same signature, events and errors, and its read views, which pass through unjournaled.

    - A call that returns is journaled (with ``sync="call"``, committed before it returns).
    - A call refused with a valid ``now`` may have fired timers; it is journaled as ``advance(now)``,
      and the timer events it carries as ``err.events`` go to the outbox. A ``now`` the router refuses
      with :class:`~routekit.errors.ClockError` changes nothing and is not journaled.
    - A call cut off by a crash was never made: recovery ends at the last command committed.

    Every command's events go to the outbox under its sequence number (:attr:`seq` after the call):
    :meth:`pending_events` lists those not yet acknowledged with :meth:`ack`.

    >>> import routekit as rk
    >>> router = rk.DurableRouter.open(rk.MemoryStore(), rk.policies.Skills())
    >>> _ = router.add_agent(rk.Agent(id="a-1", capacity={"voice": 1}), 0.0)
    >>> contact = rk.Contact(id="c-1", customer=rk.Customer(id="u-1"), channel="voice")
    >>> [type(e).__name__ for e in router.submit(contact, 1.0)]
    ['ContactQueued', 'Offered']
    >>> router.seq, [seq for seq, _ in router.pending_events()]
    (2, [1, 2, 2])
    """

    def __init__(
        self,
        store: Store,
        router: Router,
        seq: int,
        *,
        sync: Sync,
        batch_calls: int,
        batch_ms: float,
        snapshot_every: int | None,
        snapshot_seconds: float | None,
        kpis: KpiCollector | None,
    ) -> None:
        self._store = store
        self._router = router
        self._seq = seq
        self._committed = seq
        self._sync = sync
        self._batch_calls = batch_calls
        self._batch_seconds = batch_ms / 1000.0
        self._snapshot_every = snapshot_every
        self._snapshot_seconds = snapshot_seconds
        self._kpis = kpis
        self._batch: list[Entry] = []
        self._batch_opened = 0.0
        self._snapshot_seq = seq
        self._snapshot_at = time.monotonic()
        self._failed: BaseException | None = None
        self._closed = False

    # -------------------------------------------------------------------------------------- opening

    @classmethod
    def open(
        cls,
        store: Store | str | os.PathLike[str],
        policy: RoutingPolicy,
        *,
        sync: Sync = "call",
        batch_calls: int = 1_000,
        batch_ms: float = 50.0,
        snapshot_every: int | None = 10_000,
        snapshot_seconds: float | None = 300.0,
        policy_changed: bool = False,
        kpis: KpiCollector | None = None,
        **router_settings: Any,
    ) -> DurableRouter:
        """Create a durable router on a new store, or recover the one a store holds.

        Recovery restores the latest snapshot and replays every command journaled after it, firing no
        timers of its own: the router is at the last journaled ``now``, exactly as it was.

        Args:
            store: A :class:`~routekit.durable.Store`, or the path of an SQLite file (created if missing).
            policy: The routing policy; it must be described as the one the store records.
            sync: ``"call"``: each call is committed before it returns. ``"batch"``: a group commit at
                the ``batch_calls``-th call, at :meth:`flush`, or at the first call ``batch_ms`` or more
                after the batch opened; a crash loses at most the open batch.
            batch_calls: The most calls in a batch (``sync="batch"``): a cap on the memory and the size of
                one commit; under load the time bound usually commits first.
            batch_ms: Milliseconds after which the next call commits the batch (``sync="batch"``): the
                bound on how old the oldest call a crash can lose is, while calls keep coming.
            snapshot_every: Take a snapshot every this many commands (``None``: never by count).
            snapshot_seconds: Take one at the first call this many seconds after the last one (``None``:
                never by time); read from :func:`time.monotonic`.
            policy_changed: Accept a policy other than the recorded one; allowed only where nothing is
                journaled after the latest snapshot (call :meth:`checkpoint` first).
            kpis: A :class:`~routekit.metrics.KpiCollector` fed every event, kept in the snapshots; on
                recovery its state is restored and it sees the replayed events.
            router_settings: The :class:`~routekit.RouterSettings` fields, as for :class:`~routekit.Router`.

        Raises:
            StoreLockedError: Another writer holds the store.
            NotAStoreError: The store is not a routekit store.
            StoreVersionError: The store was written by a newer routekit.
            StoreDamagedError: The store is damaged (naming the sequence number where it can).
            RecoveryError: Another policy, settings or KPI collector than the recorded ones, or a
                replayed command whose events differ from those recorded (naming its sequence number).
            ConfigError: A bad setting.
        """
        if sync not in ("call", "batch"):
            raise ConfigError(f"sync must be 'call' or 'batch', got {sync!r}")
        if isinstance(batch_calls, bool) or not isinstance(batch_calls, int) or batch_calls < 1:
            raise ConfigError(f"batch_calls must be an integer >= 1, got {batch_calls!r}")
        if not isinstance(batch_ms, int | float) or not batch_ms >= 0:
            raise ConfigError(f"batch_ms must be a number >= 0, got {batch_ms!r}")
        if snapshot_every is not None and (not isinstance(snapshot_every, int) or snapshot_every < 1):
            raise ConfigError(f"snapshot_every must be an integer >= 1 or None, got {snapshot_every!r}")
        if snapshot_seconds is not None and not snapshot_seconds > 0:
            raise ConfigError(f"snapshot_seconds must be > 0 or None, got {snapshot_seconds!r}")
        fresh = Router(policy, **router_settings)
        the_store = SqliteStore(store) if isinstance(store, str | os.PathLike) else store
        the_store.lock()
        try:
            router, seq, kpis = _recover(the_store, policy, fresh, kpis, policy_changed=policy_changed)
        except BaseException:
            the_store.close()
            raise
        return cls(
            the_store,
            router,
            seq,
            sync=sync,
            batch_calls=batch_calls,
            batch_ms=float(batch_ms),
            snapshot_every=snapshot_every,
            snapshot_seconds=snapshot_seconds,
            kpis=kpis,
        )

    # -------------------------------------------------------------------------------- the journal

    @property
    def seq(self) -> int:
        """The sequence number of the last command journaled (0 before the first)."""
        return self._seq

    @property
    def committed_seq(self) -> int:
        """The last sequence number committed to the store (below :attr:`seq` only while a batch is open)."""
        return self._committed

    @property
    def kpis(self) -> KpiCollector | None:
        """The KPI collector this router feeds, or ``None``."""
        return self._kpis

    @property
    def store(self) -> Store:
        """The store."""
        return self._store

    def flush(self) -> None:
        """Commit the open batch now (``sync="batch"``); a no-op when nothing waits."""
        if self._batch:
            batch = self._batch
            try:
                self._store.append(self._committed, batch)
            except BaseException as error:
                self._failed = error
                raise
            self._batch = []
            self._committed = batch[-1].seq

    def checkpoint(self) -> None:
        """Take a snapshot into the store now, then drop the journal before it.

        The router stops for the snapshot: its cost grows with the contacts it holds.
        """
        self._usable()
        self.flush()
        with _collector_paused():
            data: dict[str, Any] = {"router": self._router.snapshot()}
            if self._kpis is not None:
                data["kpis"] = self._kpis.snapshot()
            text = json.dumps(data, separators=(",", ":"))
        self._store.write_snapshot(self._seq, text)
        self._store.compact(self._seq)
        self._snapshot_seq = self._seq
        self._snapshot_at = time.monotonic()

    def pending_events(self) -> list[tuple[int, Event]]:
        """Every event not yet acknowledged, with its command's sequence number, in order.

        After a restart these are the events the host may not have published: publish them, then
        :meth:`ack` (at least once; exactly once if the consumers ignore a repeated ``(seq, index)``).
        """
        self._usable()
        self.flush()
        try:
            return [(seq, event) for seq, text in self._store.pending() for event in codec.decode_events(text)]
        except (ValueError, TypeError, KeyError) as error:
            raise StoreDamagedError(f"an outbox row does not parse: {error}") from error

    def ack(self, seq: int) -> None:
        """Acknowledge the events of every command up to ``seq``: they were published."""
        self._usable()
        if seq > self._committed:
            self.flush()
        self._store.ack(seq)

    def close(self) -> None:
        """Commit the open batch and release the store; the router cannot be called afterwards."""
        if self._closed:
            return
        try:
            if self._failed is None:
                self.flush()
        finally:
            self._closed = True
            self._store.close()

    def __enter__(self) -> DurableRouter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _usable(self) -> None:
        if self._closed:
            raise StoreError("the durable router is closed")
        if self._failed is not None:
            raise StoreError(
                f"the durable router stopped after an error it cannot journal ({self._failed!r}): open the store again"
            )

    def _run(self, head: list[Any], call: Callable[[], list[Event]]) -> list[Event]:
        self._usable()
        try:
            head_text = codec.encode_head(head)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{head[0]}: an argument is not plain JSON data: {error}") from error
        router = self._router
        before = router.now
        try:
            events = call()
        except RoutekitError as error:
            if isinstance(error, ClockError) and router.now == before and not error.events:
                raise  # a refused time: nothing happened
            self._journal(codec.with_now('["advance"]', router.now), error.events)
            raise
        except BaseException as error:
            # The router may have fired timers before this: its state is ahead of the journal.
            self._failed = error
            raise
        self._journal(codec.with_now(head_text, router.now), events)
        return events

    def _journal(self, command: str, events: list[Event]) -> None:
        text = codec.encode_events(events)
        seq = self._seq + 1
        entry = Entry(seq, command, codec.digest(text), text)
        clock = time.monotonic()
        if self._sync == "call":
            try:
                self._store.append(self._seq, [entry])
            except BaseException as error:
                self._failed = error
                raise
            self._seq = self._committed = seq
        else:
            batch = self._batch
            if not batch:
                self._batch_opened = clock
            batch.append(entry)
            self._seq = seq
            if len(batch) >= self._batch_calls or clock - self._batch_opened >= self._batch_seconds:
                self.flush()
        if self._kpis is not None:
            self._kpis.observe_all(events)
        if (self._snapshot_every is not None and seq - self._snapshot_seq >= self._snapshot_every) or (
            self._snapshot_seconds is not None and clock - self._snapshot_at >= self._snapshot_seconds
        ):
            self.checkpoint()

    # ------------------------------------------------------------------------- state-changing calls

    def advance(self, now: float) -> list[Event]:
        """:meth:`Router.advance <routekit.Router.advance>`, journaled."""
        return self._run(["advance"], lambda: self._router.advance(now))

    def add_agent(self, agent: Agent, now: float, status: AgentStatus = AgentStatus.AVAILABLE) -> list[Event]:
        """:meth:`Router.add_agent <routekit.Router.add_agent>`, journaled."""
        head = ["add_agent", codec.agent_to_data(agent), _status_value(status)]
        return self._run(head, lambda: self._router.add_agent(agent, now, status))

    def update_agent(self, agent: Agent, now: float) -> list[Event]:
        """:meth:`Router.update_agent <routekit.Router.update_agent>`, journaled."""
        return self._run(["update_agent", codec.agent_to_data(agent)], lambda: self._router.update_agent(agent, now))

    def remove_agent(self, agent_id: str, now: float) -> list[Event]:
        """:meth:`Router.remove_agent <routekit.Router.remove_agent>`, journaled."""
        return self._run(["remove_agent", agent_id], lambda: self._router.remove_agent(agent_id, now))

    def set_status(self, agent_id: str, status: AgentStatus, now: float) -> list[Event]:
        """:meth:`Router.set_status <routekit.Router.set_status>`, journaled."""
        head = ["set_status", agent_id, _status_value(status)]
        return self._run(head, lambda: self._router.set_status(agent_id, status, now))

    def end_wrap_up(self, agent_id: str, now: float) -> list[Event]:
        """:meth:`Router.end_wrap_up <routekit.Router.end_wrap_up>`, journaled."""
        return self._run(["end_wrap_up", agent_id], lambda: self._router.end_wrap_up(agent_id, now))

    def submit(self, contact: Contact, now: float) -> list[Event]:
        """:meth:`Router.submit <routekit.Router.submit>`, journaled."""
        return self._run(["submit", codec.contact_to_data(contact)], lambda: self._router.submit(contact, now))

    def accept(self, contact_id: str, agent_id: str, now: float) -> list[Event]:
        """:meth:`Router.accept <routekit.Router.accept>`, journaled."""
        return self._run(["accept", contact_id, agent_id], lambda: self._router.accept(contact_id, agent_id, now))

    def reject(self, contact_id: str, agent_id: str, now: float) -> list[Event]:
        """:meth:`Router.reject <routekit.Router.reject>`, journaled."""
        return self._run(["reject", contact_id, agent_id], lambda: self._router.reject(contact_id, agent_id, now))

    def complete(self, contact_id: str, now: float) -> list[Event]:
        """:meth:`Router.complete <routekit.Router.complete>`, journaled."""
        return self._run(["complete", contact_id], lambda: self._router.complete(contact_id, now))

    def abandon(self, contact_id: str, now: float) -> list[Event]:
        """:meth:`Router.abandon <routekit.Router.abandon>`, journaled."""
        return self._run(["abandon", contact_id], lambda: self._router.abandon(contact_id, now))

    def reprioritize(self, contact_id: str, priority: int, now: float) -> list[Event]:
        """:meth:`Router.reprioritize <routekit.Router.reprioritize>`, journaled."""
        head = ["reprioritize", contact_id, priority]
        return self._run(head, lambda: self._router.reprioritize(contact_id, priority, now))

    def transfer(self, contact_id: str, now: float, target: Target | Plan | None = None) -> list[Event]:
        """:meth:`Router.transfer <routekit.Router.transfer>`, journaled."""
        head = ["transfer", contact_id, codec.route_to_data(target)]
        return self._run(head, lambda: self._router.transfer(contact_id, now, target=target))

    def await_customer(self, contact_id: str, now: float) -> list[Event]:
        """:meth:`Router.await_customer <routekit.Router.await_customer>`, journaled."""
        return self._run(["await_customer", contact_id], lambda: self._router.await_customer(contact_id, now))

    def customer_replied(self, conversation_id: str, now: float) -> list[Event]:
        """:meth:`Router.customer_replied <routekit.Router.customer_replied>`, journaled."""
        head = ["customer_replied", conversation_id]
        return self._run(head, lambda: self._router.customer_replied(conversation_id, now))

    # ---------------------------------------------------------------------------------- read views

    @property
    def policy(self) -> RoutingPolicy:
        """The routing policy."""
        return self._router.policy

    @property
    def settings(self) -> RouterSettings:
        """The router's settings."""
        return self._router.settings

    @property
    def now(self) -> float:
        """The latest time the router was given (``-inf`` before the first call)."""
        return self._router.now

    def next_deadline(self) -> float | None:
        """The earliest pending timer's due time, or ``None``."""
        return self._router.next_deadline()

    def snapshot(self) -> dict[str, Any]:
        """The router's whole state as plain data (:meth:`Router.snapshot <routekit.Router.snapshot>`)."""
        return self._router.snapshot()

    def conversation(self, conversation_id: str) -> Conversation:
        """A conversation's history (:meth:`Router.conversation <routekit.Router.conversation>`)."""
        return self._router.conversation(conversation_id)

    def contact(self, contact_id: str) -> Contact:
        """A live contact (:meth:`Router.contact <routekit.Router.contact>`)."""
        return self._router.contact(contact_id)

    def state(self, contact_id: str) -> ContactState | None:
        """Where a live contact is (:meth:`Router.state <routekit.Router.state>`)."""
        return self._router.state(contact_id)

    def position(self, contact_id: str) -> int | None:
        """A waiting contact's place in its queue (:meth:`Router.position <routekit.Router.position>`)."""
        return self._router.position(contact_id)

    def waiting(self) -> list[str]:
        """Every waiting contact in service order (:meth:`Router.waiting <routekit.Router.waiting>`)."""
        return self._router.waiting()

    def agent_state(self, agent_id: str) -> AgentSnapshot:
        """An agent's presence and work (:meth:`Router.agent_state <routekit.Router.agent_state>`)."""
        return self._router.agent_state(agent_id)

    def agents(self) -> list[str]:
        """The registered agents' ids (:meth:`Router.agents <routekit.Router.agents>`)."""
        return self._router.agents()

    def expected_wait(self, contact_id: str, now: float, *, predictor: str | None = None) -> float | None:
        """A waiting contact's expected wait (:meth:`Router.expected_wait <routekit.Router.expected_wait>`)."""
        return self._router.expected_wait(contact_id, now, predictor=predictor)

    def quote_wait(self, contact: Contact, now: float, *, predictor: str | None = None) -> float | None:
        """A would-be contact's expected wait (:meth:`Router.quote_wait <routekit.Router.quote_wait>`)."""
        return self._router.quote_wait(contact, now, predictor=predictor)

    def explain(self, contact_id: str, now: float | None = None) -> Explanation:
        """Why a contact is where it is (:meth:`Router.explain <routekit.Router.explain>`)."""
        return self._router.explain(contact_id, now)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Building a snapshot's plain data, or parsing it, makes millions of containers and no garbage: the
    # cyclic collector's passes over them find nothing, and took two thirds of json.loads' time at
    # 100,000 waiting contacts.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _status_value(status: AgentStatus | str) -> str:
    # The router refuses an unknown status itself (after firing the due timers): keep its text as given.
    return status.value if isinstance(status, AgentStatus) else str(status)


def _description(policy: RoutingPolicy, settings: RouterSettings, kpis: KpiCollector | None) -> dict[str, Any]:
    return {
        "policy": codec.describe(policy),
        "settings": codec.describe(settings),
        "kpis": None if kpis is None else kpis.snapshot()["settings"],
    }


def _recover(
    store: Store, policy: RoutingPolicy, fresh: Router, kpis: KpiCollector | None, *, policy_changed: bool
) -> tuple[Router, int, KpiCollector | None]:
    given = _description(policy, fresh.settings, kpis)
    meta = store.read_meta()
    if meta is None:
        store.write_meta({"format": STORE_FORMAT, "schema": SCHEMA_VERSION, **given})
        return fresh, 0, kpis
    if meta.get("format") != STORE_FORMAT:
        raise NotAStoreError(f"the store's format is {meta.get('format')!r}, not {STORE_FORMAT!r}")
    schema = meta.get("schema")
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        raise StoreVersionError(f"the store has schema version {schema!r}; this routekit reads up to {SCHEMA_VERSION}")
    for part in ("settings", "kpis"):
        if meta.get(part) != given[part]:
            raise RecoveryError(
                f"the store was written with other {part}: recorded {meta.get(part)!r}, given {given[part]!r}"
            )
    last = store.last_seq()
    snapshot = store.latest_snapshot()
    after = 0 if snapshot is None else snapshot[0]
    if meta.get("policy") != given["policy"]:
        if not policy_changed:
            raise RecoveryError(
                f"the store was written with another policy: recorded {meta.get('policy')!r}, given"
                f" {given['policy']!r}; to change it, checkpoint, then open with policy_changed=True"
            )
        if last > after:
            raise RecoveryError(
                f"policy_changed=True, but command {after + 1} is journaled after the latest snapshot"
                f" (at {after}): checkpoint with the old policy first",
                seq=after + 1,
            )
        store.write_meta({**meta, "policy": given["policy"]})

    router = fresh
    if snapshot is not None:
        # The parsed snapshot is millions of containers in a tree: nothing for the cyclic collector to
        # find, yet it walked them over and over while they were parsed (two thirds of json.loads' time
        # at 100,000 waiting) and again in every full collection while the router was restored. So
        # they are parsed with the collector paused and kept out of its sight (gc.freeze) until the
        # router is restored; they are freed by reference counting when dropped. A host that froze
        # objects of its own (a pre-fork server) keeps them frozen: then the tree is not frozen.
        freeze = gc.get_freeze_count() == 0
        try:
            with _collector_paused():
                data = json.loads(snapshot[1])
                if freeze:
                    gc.freeze()
            try:
                router = Router.restore(data["router"], policy, selection=fresh.settings.selection)
                if kpis is not None:
                    kpis = KpiCollector.restore(data["kpis"])
            finally:
                del data
                if freeze:
                    gc.unfreeze()
        except (ValueError, KeyError, TypeError) as error:
            raise StoreDamagedError(f"the snapshot at {after} does not restore: {error}", seq=after) from error
    expected = after
    rows = store.read(after)
    while chunk := list(itertools.islice(rows, _REPLAY_CHUNK)):
        for seq, _, _ in chunk:
            expected += 1
            if seq != expected:
                raise StoreDamagedError(f"the journal skips from {expected - 1} to {seq}", seq=expected)
        for (seq, _, recorded), (name, args, now) in zip(chunk, _decoded(chunk), strict=True):
            try:
                events = _replay(router, name, args, now)
            except RoutekitError as error:
                raise RecoveryError(f"command {seq} ({name}) is refused on replay: {error}", seq=seq) from error
            if codec.digest(codec.encode_events(events)) != recorded:
                raise RecoveryError(f"command {seq} ({name}) returns other events on replay than recorded", seq=seq)
            if kpis is not None:
                kpis.observe_all(events)
    if expected != last:
        raise StoreDamagedError(f"the journal ends at {expected}, but the store's last command is {last}", seq=last)
    return router, last, kpis


def _decoded(chunk: list[tuple[int, str, str]]) -> list[tuple[str, list[Any], float]]:
    try:
        return codec.decode_commands([command for _, command, _ in chunk])
    except (ValueError, TypeError, KeyError):
        pass
    # One of them is damaged: decode them one by one to name it.
    decoded = []
    for seq, command, _ in chunk:
        try:
            decoded.append(codec.decode_command(command))
        except (ValueError, TypeError, KeyError) as error:
            raise StoreDamagedError(f"command {seq} does not parse: {error}", seq=seq) from error
    return decoded


def _replay(router: Router, name: str, args: Sequence[Any], now: float) -> list[Event]:
    if name == "transfer":
        return router.transfer(args[0], now, target=args[1])
    if name == "add_agent":
        return router.add_agent(args[0], now, args[1])
    # Every other call takes its arguments in order, then ``now``.
    call: Callable[..., list[Event]] = getattr(router, name)
    return call(*args, now)
