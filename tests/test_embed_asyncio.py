"""The asyncio service of examples/embed_asyncio.py, on a durable router and a fake clock."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

import routekit as rk
from routekit.events import (
    AgentStatusChanged,
    Assigned,
    Completed,
    ContactQueued,
    Offered,
    OfferExpired,
    WrapUpEnded,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from embed_asyncio import SCRIPT, FakeClock, ProcessKilledError, RoutingService, serve


def run(script: list[dict], store: rk.Store | Path | None = None) -> RoutingService:
    """Serve ``script`` on a durable router (a memory store unless given) and a fake clock."""
    service = RoutingService.start(store if store is not None else rk.MemoryStore(), asyncio.Queue(), FakeClock())
    asyncio.run(serve(script, service))
    return service


def login(at: float, agent: str) -> dict:
    return {"at": at, "type": "agent_logged_in", "agent": agent, "capacity": {"voice": 1}, "wrap_up": {"voice": 5}}


def call(at: float, contact: str) -> dict:
    return {"at": at, "type": "contact_arrived", "contact": contact, "customer": f"u-{contact}", "channel": "voice"}


def test_messages_become_router_calls_at_their_time() -> None:
    """An agent logs in, a call arrives and is accepted, then completed: one router call per message."""
    script = [
        login(0.0, "ana"),
        call(1.0, "c-1"),
        {"at": 2.0, "type": "agent_accepted", "contact": "c-1", "agent": "ana"},
        {"at": 4.0, "type": "agent_completed", "contact": "c-1"},
        {"at": 5.0, "type": "stop"},
    ]
    handled = run(script).handled
    assert [
        AgentStatusChanged(at=0.0, agent_id="ana", status=rk.AgentStatus.AVAILABLE),
        ContactQueued(
            at=1.0,
            contact_id="c-1",
            channel="voice",
            tier="standard",
            arrived_at=1.0,
            stage=0,
            rule="skills:any",
            priority=0,
        ),
        Offered(
            at=1.0,
            contact_id="c-1",
            agent_id="ana",
            stage=0,
            rule="skills:any",
            selection="longest-idle",
            expires_at=21.0,
        ),
        Assigned(at=2.0, contact_id="c-1", agent_id="ana", waited=1.0),
        Completed(at=4.0, contact_id="c-1", agent_id="ana", wrap_up_until=9.0),
    ] == handled


def test_the_service_wakes_at_the_next_deadline_with_no_message() -> None:
    """The wrap-up ends at 9 s and the offer expires at 29 s although no message arrives in between."""
    script = [
        login(0.0, "ana"),
        call(1.0, "c-1"),
        {"at": 2.0, "type": "agent_accepted", "contact": "c-1", "agent": "ana"},
        {"at": 4.0, "type": "agent_completed", "contact": "c-1"},
        call(6.0, "c-2"),
        {"at": 40.0, "type": "stop"},
    ]
    service = run(script)
    tail = [(type(e).__name__, e.at) for e in service.handled[5:]]
    assert [
        ("ContactQueued", 6.0),
        ("WrapUpEnded", 9.0),
        ("Offered", 9.0),
        ("OfferExpired", 29.0),
        ("AgentStatusChanged", 29.0),
    ] == tail
    assert 40.0 == service.clock.now()
    assert 59.0 == service.router.next_deadline()  # the re-offer delay after Ana's missed offer


def test_a_refused_call_is_reported_and_changes_nothing() -> None:
    """Accepting an offer nobody made is refused with OfferStateError, journaled as advance; the service goes on."""
    script = [
        login(0.0, "ana"),
        {"at": 1.0, "type": "agent_accepted", "contact": "c-9", "agent": "ana"},
        call(2.0, "c-1"),
        {"at": 3.0, "type": "stop"},
    ]
    service = run(script)
    assert [(1.0, "OfferStateError")] == [(at, type(error).__name__) for at, error in service.refused]
    assert ["AgentStatusChanged", "ContactQueued", "Offered"] == [type(e).__name__ for e in service.handled]
    assert 3 == service.router.seq


def test_every_published_event_is_acknowledged() -> None:
    """After the example's script, the outbox holds nothing."""
    assert [] == run(SCRIPT).router.pending_events()


def test_the_example_story() -> None:
    """The example's script: Ben misses an offer at 23 s, Ana's wrap-up ends at 30 s and she takes the call."""
    service = run(SCRIPT)
    by_kind = [(type(e).__name__, e.at) for e in service.handled if isinstance(e, OfferExpired | WrapUpEnded)]
    assert [("OfferExpired", 23.0), ("WrapUpEnded", 30.0)] == by_kind
    assert Assigned(at=32.0, contact_id="c-2", agent_id="ana", waited=29.0) == service.handled[-1]


def test_a_service_killed_while_publishing_redelivers_and_ends_in_the_same_state(tmp_path: Path) -> None:
    """Killed while publishing the 23 s events, a restarted service publishes them again, ending as if never killed."""
    path = tmp_path / "routing.db"
    published: list[rk.events.Event] = []

    def publish(events: list[rk.events.Event]) -> None:
        if any(event.at == 23.0 for event in events):
            raise ProcessKilledError("killed")
        published.extend(events)

    service = RoutingService.start(path, asyncio.Queue(), FakeClock(), publish)
    with pytest.raises(ProcessKilledError):
        asyncio.run(serve(SCRIPT, service))
    service.router.close()
    restarted = run([m for m in SCRIPT if m["at"] > 23.0], path)
    uninterrupted = run(SCRIPT)
    assert uninterrupted.handled == published + restarted.handled
    assert uninterrupted.router.snapshot() == restarted.router.snapshot()
