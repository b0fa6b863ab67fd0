"""An asyncio service that feeds a durable router from a queue of platform events, and survives a crash.

**Scenario.** A contact-center platform publishes what happens on its side (an agent logs in, a call
arrives, an agent accepts, an agent completes) as plain messages on an ``asyncio.Queue``. The routing
service takes them one at a time, calls a ``DurableRouter`` (an SQLite file in a temporary folder) with
the current time, publishes the events it returns, and acknowledges them. Between messages it sleeps
until ``router.next_deadline()``, then calls ``router.advance(now)``, so an offer nobody answers expires
and a wrap-up ends on time with no message at all. Ana and Ben log in; Ana takes the first call; Ben lets
the second one ring out at 23 s and is set away. The process dies while it publishes those events: they
are journaled, but never acknowledged. A new process opens the same file, publishes the outbox's
pending events again (at least once), and serves the rest of the script: Ana completes at 25 s, her 5 s
wrap-up ends at 30 s and the waiting call is offered to her. It ends in exactly the state of a service
that never died. The clock is injected: ``main()`` runs on a ``FakeClock`` whose waits jump simulated
time forward, so the 40 simulated seconds take no real time; ``WallClock`` is the one to run in
production.

**Covers.** ``DurableRouter.open`` on a file, ``next_deadline`` and ``advance`` in an asyncio loop,
``add_agent``, ``submit``, ``accept``, ``complete``, refused calls and ``err.events``, the outbox
(``pending_events``, ``ack``), recovery after a crash, and the ``AgentStatusChanged``,
``ContactQueued``, ``Offered``, ``Assigned``, ``OfferExpired``, ``Completed`` and ``WrapUpEnded`` events.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import routekit as rk

# The story is scripted and deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 0
POLICY = rk.policies.Skills(relax=[(30, 1), (90, "any")])
SCRIPT: list[dict[str, Any]] = [
    {"at": 0.0, "type": "agent_logged_in", "agent": "ana", "skills": {"billing": 4},
     "capacity": {"voice": 1}, "wrap_up": {"voice": 5}},
    {"at": 0.0, "type": "agent_logged_in", "agent": "ben", "skills": {"billing": 3},
     "capacity": {"voice": 1}},
    {"at": 1.0, "type": "contact_arrived", "contact": "c-1", "customer": "u-1", "tier": "gold",
     "channel": "voice", "skills": {"billing": 3}},
    {"at": 2.0, "type": "agent_accepted", "contact": "c-1", "agent": "ana"},
    {"at": 3.0, "type": "contact_arrived", "contact": "c-2", "customer": "u-2", "tier": "standard",
     "channel": "voice", "skills": {"billing": 3}},
    {"at": 12.0, "type": "agent_accepted", "contact": "c-1", "agent": "ana"},  # a duplicate: refused
    {"at": 25.0, "type": "agent_completed", "contact": "c-1"},
    {"at": 32.0, "type": "agent_accepted", "contact": "c-2", "agent": "ana"},
    {"at": 40.0, "type": "stop"},
]
CRASH_AT = 23.0  # the process dies while it publishes the events of this time

Message = dict[str, Any]


class Clock(Protocol):
    """What the service needs of time: the current time, and a wait for a message or a deadline."""

    def now(self) -> float:
        """The current time in seconds."""
        ...

    async def next_message(self, inbox: asyncio.Queue[Message], deadline: float | None) -> Message | None:
        """The next platform message, or ``None`` when ``deadline`` comes first."""
        ...


class WallClock:
    """Real time, in seconds since the epoch, so it keeps counting across restarts."""

    def now(self) -> float:
        """The current time in seconds."""
        return time.time()

    async def next_message(self, inbox: asyncio.Queue[Message], deadline: float | None) -> Message | None:
        """Wait for the next message, but no later than ``deadline``."""
        timeout = None if deadline is None else max(0.0, deadline - self.now())
        try:
            return await asyncio.wait_for(inbox.get(), timeout)
        except TimeoutError:
            return None


class FakeClock:
    """Simulated time: a message arrives at its own ``"at"``, and waiting for a deadline jumps to it.

    Every wait returns at once (after the zero-length awaits the queue needs), so a test runs minutes of
    simulated time in no real time. The script must end with a ``stop`` message, because the clock has
    to see the next message to know whether the deadline comes first.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._held: Message | None = None

    def now(self) -> float:
        """The current simulated time in seconds."""
        return self._now

    async def next_message(self, inbox: asyncio.Queue[Message], deadline: float | None) -> Message | None:
        """The next message if it arrives by ``deadline``; otherwise jump to ``deadline`` and return ``None``."""
        if self._held is None:
            self._held = await inbox.get()
        message = self._held
        if deadline is not None and deadline < message["at"]:
            self._now = max(self._now, deadline)
            return None
        self._held = None
        self._now = max(self._now, message["at"])
        return message


def apply(router: rk.DurableRouter, message: Message, now: float) -> list[rk.events.Event]:
    """Turn one platform message into the router call it stands for, and return the call's events."""
    kind = message["type"]
    if kind == "agent_logged_in":
        agent = rk.Agent(
            id=message["agent"],
            skills=message.get("skills", {}),
            capacity=message["capacity"],
            wrap_up=message.get("wrap_up", {}),
        )
        return router.add_agent(agent, now)
    if kind == "contact_arrived":
        customer = rk.Customer(id=message["customer"], tier=message.get("tier", "standard"))
        contact = rk.Contact(
            id=message["contact"],
            customer=customer,
            channel=message["channel"],
            skills=message.get("skills", {}),
        )
        return router.submit(contact, now)
    if kind == "agent_accepted":
        return router.accept(message["contact"], message["agent"], now)
    if kind == "agent_completed":
        return router.complete(message["contact"], now)
    raise ValueError(f"unknown platform message type {kind!r}")


class RoutingService:
    """Feed a durable router from a queue of platform messages, wake up for its timers, publish and ack.

    Use :meth:`start`: it opens (or recovers) the router and publishes what the outbox still holds.

    Args:
        router: The durable router this service owns; nothing else calls it.
        inbox: Platform messages, each a dict with ``"at"`` and ``"type"``.
        clock: Where the current time and the waiting come from.
        publish: Called with each call's events (default: appended to ``handled``); the events are
            acknowledged once it returns.
        on_refused: Called with the time and the error of each refused call (default: appended to
            ``refused``).
    """

    def __init__(
        self,
        router: rk.DurableRouter,
        inbox: asyncio.Queue[Message],
        clock: Clock,
        publish: Callable[[list[rk.events.Event]], None] | None = None,
        on_refused: Callable[[float, rk.RoutekitError], None] | None = None,
    ) -> None:
        self.router = router
        self.inbox = inbox
        self.clock = clock
        self.handled: list[rk.events.Event] = []
        self.refused: list[tuple[float, rk.RoutekitError]] = []
        self.publish = publish if publish is not None else self.handled.extend
        self.on_refused = on_refused if on_refused is not None else self._note_refusal

    @classmethod
    def start(
        cls,
        store: rk.Store | str | Path,
        inbox: asyncio.Queue[Message],
        clock: Clock,
        publish: Callable[[list[rk.events.Event]], None] | None = None,
        on_refused: Callable[[float, rk.RoutekitError], None] | None = None,
    ) -> RoutingService:
        """Open the store (recovering the router it holds), then publish and acknowledge its pending events."""
        service = cls(rk.DurableRouter.open(store, POLICY), inbox, clock, publish, on_refused)
        pending = service.router.pending_events()
        if pending:
            service.publish([event for _, event in pending])
            service.router.ack(pending[-1][0])
        return service

    async def run(self) -> None:
        """Serve until a ``stop`` message: each message is a router call, each deadline an ``advance``."""
        while True:
            message = await self.clock.next_message(self.inbox, self.router.next_deadline())
            if message is not None and message["type"] == "stop":
                return
            # Never hand the router a time before its last one: a wall clock can step back (NTP).
            now = max(self.clock.now(), self.router.now)
            self.call(message, now)

    def call(self, message: Message | None, now: float) -> None:
        """Make the call (journaled before it returns), publish its events, then acknowledge them."""
        try:
            events = self.router.advance(now) if message is None else apply(self.router, message, now)
        except rk.RoutekitError as error:
            # The call changed nothing, but the timers due before it fired: their events happened.
            events = error.events
            self.on_refused(now, error)
        self.publish(events)
        self.router.ack(self.router.seq)

    def _note_refusal(self, now: float, error: rk.RoutekitError) -> None:
        self.refused.append((now, error))


async def platform(inbox: asyncio.Queue[Message], script: list[Message]) -> None:
    """The platform's side: publish each message, yielding to the service in between."""
    for message in script:
        await inbox.put(message)
        await asyncio.sleep(0)


async def serve(script: list[Message], service: RoutingService) -> None:
    """Run the platform and the service side by side until the script's ``stop``."""
    await asyncio.gather(platform(service.inbox, script), service.run())


class ProcessKilledError(Exception):
    """The process dies: raised by the publisher to stand for a kill in the middle of publishing."""


def show(events: list[rk.events.Event], mark: str = " ") -> None:
    """Print one fixed-format line per event: time, event type, then every other field."""
    for event in events:
        data = rk.event_to_dict(event)
        name = data.pop("type")
        data.pop("at")
        fields = " ".join(f"{key}={value}" for key, value in data.items())
        print(f"{mark}{event.at:6.1f}  {name:<18} {fields}")


def show_refusal(now: float, error: rk.RoutekitError) -> None:
    """Print a refused call the way a service would log it."""
    print(f" {now:6.1f}  refused            {type(error).__name__}: {error}")


def crashing_publisher(at: float) -> Callable[[list[rk.events.Event]], None]:
    """Print events, but die (raise :class:`ProcessKilledError`) when asked to publish events of time ``at``."""

    def publish(events: list[rk.events.Event]) -> None:
        if any(event.at == at for event in events):
            raise ProcessKilledError(f"killed while publishing the events of {at:g} s")
        show(events)

    return publish


def main() -> None:
    """Serve the script, die mid-way, recover from the file, serve the rest; compare with no crash."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "routing.db"
        service = RoutingService.start(path, asyncio.Queue(), FakeClock(), crashing_publisher(CRASH_AT), show_refusal)
        try:
            asyncio.run(serve(SCRIPT, service))
        except ProcessKilledError as crash:
            print(f"-- {crash}; journaled up to command {service.router.seq}, acknowledged up to the one before")
        # The operating system releases a dead process's file; closing stands for that here.
        service.router.close()
        rest = [m for m in SCRIPT if m["at"] > CRASH_AT]
        restarted = RoutingService.start(
            path, asyncio.Queue(), FakeClock(), lambda events: show(events, "*"), show_refusal
        )
        print(f"-- restarted at {restarted.router.now:g} s after command {restarted.router.seq}: * lines came again")
        restarted.publish = show  # from now on, events are new
        asyncio.run(serve(rest, restarted))
        uninterrupted = RoutingService.start(rk.MemoryStore(), asyncio.Queue(), FakeClock())
        asyncio.run(serve(SCRIPT, uninterrupted))
        same = restarted.router.snapshot() == uninterrupted.router.snapshot()
        print(f"-- {restarted.router.seq} commands, nothing pending: {restarted.router.pending_events() == []}")
        print(f"-- same state as a service that never died: {same}")
        restarted.router.close()


if __name__ == "__main__":
    main()
