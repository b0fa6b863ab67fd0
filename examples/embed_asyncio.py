"""An asyncio service that feeds the router from a queue of platform events and sleeps until its next timer.

**Scenario.** A contact-center platform publishes what happens on its side (an agent logs in, a call
arrives, an agent accepts, an agent completes) as plain messages on an ``asyncio.Queue``. The routing
service takes them one at a time, calls the router with the current time, and publishes the events the
router returns. Between messages it sleeps until ``router.next_deadline()``, then calls
``router.advance(now)``, so an offer nobody answers expires and a wrap-up ends on time with no message
at all. Ana and Ben log in; Ana takes the first call; Ben lets the second one ring out at 23 s and is set
away; Ana completes at 25 s, her 5 s wrap-up ends at 30 s and the waiting call is offered to her. The
service checkpoints every few calls (a JSON snapshot, and a journal of the calls since), and a second
service recovered from the last checkpoint and the journal ends in exactly the same state.
The clock is injected: ``main()`` runs on a ``FakeClock`` whose waits jump simulated time forward, so the
40 simulated seconds take no real time (the only awaits are zero-length ones); ``WallClock`` is the one
to run in production.

**Covers.** ``Router.next_deadline`` and ``Router.advance`` in an asyncio loop, ``add_agent``,
``submit``, ``accept``, ``complete``, refused calls and ``err.events``, ``Router.snapshot`` through
``json``, ``Router.restore`` followed by a replay of the journal, and the ``AgentStatusChanged``,
``ContactQueued``, ``Offered``, ``Assigned``, ``OfferExpired``, ``Completed`` and ``WrapUpEnded`` events.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

import routekit as rk

# The story is scripted and deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 0
POLICY = rk.policies.Skills(relax=[(30, 1), (90, "any")])
CHECKPOINT_EVERY = 4  # router calls between two snapshots; the journal holds the calls since the last one
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


def apply(router: rk.Router, message: Message, now: float) -> list[rk.events.Event]:
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
    """Feed a router from a queue of platform messages, wake up for its timers, and journal every call.

    Args:
        router: The router this service owns; nothing else calls it.
        inbox: Platform messages, each a dict with ``"at"`` and ``"type"``.
        clock: Where the current time and the waiting come from.
        publish: Called with each call's events (default: appended to ``handled``).
        on_refused: Called with the time and the error of each refused call (default: appended to
            ``refused``).
        checkpoint_every: Router calls between two snapshots (0: never).
    """

    def __init__(
        self,
        router: rk.Router,
        inbox: asyncio.Queue[Message],
        clock: Clock,
        publish: Callable[[list[rk.events.Event]], None] | None = None,
        on_refused: Callable[[float, rk.RoutekitError], None] | None = None,
        checkpoint_every: int = 0,
    ) -> None:
        self.router = router
        self.inbox = inbox
        self.clock = clock
        self.handled: list[rk.events.Event] = []
        self.refused: list[tuple[float, rk.RoutekitError]] = []
        self.publish = publish if publish is not None else self.handled.extend
        self.on_refused = on_refused if on_refused is not None else self._note_refusal
        self.checkpoint_every = checkpoint_every
        self.snapshot = json.dumps(router.snapshot())
        self.journal: list[dict[str, Any]] = []

    async def run(self) -> None:
        """Serve until a ``stop`` message: each message is a router call, each deadline an ``advance``."""
        while True:
            message = await self.clock.next_message(self.inbox, self.router.next_deadline())
            if message is not None and message["type"] == "stop":
                return
            # Never hand the router a time before its last one: a wall clock can step back (NTP).
            now = max(self.clock.now(), self.router.now)
            self.call(message, now)
            if self.checkpoint_every and len(self.journal) >= self.checkpoint_every:
                self.checkpoint()

    def call(self, message: Message | None, now: float) -> None:
        """Journal the call first (a write-ahead log), then make it and publish its events."""
        self.journal.append({"now": now, "message": message})
        try:
            events = self.router.advance(now) if message is None else apply(self.router, message, now)
        except rk.RoutekitError as error:
            # The call changed nothing, but the timers due before it fired: their events happened.
            self.publish(error.events)
            self.on_refused(now, error)
            return
        self.publish(events)

    def _note_refusal(self, now: float, error: rk.RoutekitError) -> None:
        self.refused.append((now, error))

    def checkpoint(self) -> None:
        """Persist the router as JSON and start a new journal."""
        self.snapshot = json.dumps(self.router.snapshot())
        self.journal = []

    @classmethod
    def recover(
        cls,
        snapshot: str,
        journal: list[dict[str, Any]],
        policy: rk.policies.RoutingPolicy,
        inbox: asyncio.Queue[Message],
        clock: Clock,
    ) -> RoutingService:
        """A service restarted from a JSON snapshot, with the journal's calls replayed on it."""
        service = cls(rk.Router.restore(json.loads(snapshot), policy), inbox, clock)
        for entry in journal:
            service.call(entry["message"], entry["now"])
        return service


async def platform(inbox: asyncio.Queue[Message], script: list[Message]) -> None:
    """The platform's side: publish each message, yielding to the service in between."""
    for message in script:
        await inbox.put(message)
        await asyncio.sleep(0)


async def serve(script: list[Message], service: RoutingService) -> None:
    """Run the platform and the service side by side until the script's ``stop``."""
    await asyncio.gather(platform(service.inbox, script), service.run())


def show(events: list[rk.events.Event]) -> None:
    """Print one fixed-format line per event: time, event type, then every other field."""
    for event in events:
        data = rk.event_to_dict(event)
        name = data.pop("type")
        data.pop("at")
        fields = " ".join(f"{key}={value}" for key, value in data.items())
        print(f"{event.at:6.1f}  {name:<18} {fields}")


def show_refusal(now: float, error: rk.RoutekitError) -> None:
    """Print a refused call the way a service would log it."""
    print(f"{now:6.1f}  refused            {type(error).__name__}: {error}")


def main() -> None:
    """Serve the scripted platform on a fake clock, printing what it handles, then recover and compare."""
    service = RoutingService(
        rk.Router(POLICY),
        asyncio.Queue(),
        FakeClock(),
        publish=show,
        on_refused=show_refusal,
        checkpoint_every=CHECKPOINT_EVERY,
    )
    asyncio.run(serve(SCRIPT, service))
    print(f"snapshot {len(service.snapshot)} bytes of JSON; journal {len(service.journal)} calls since")
    recovered = RoutingService.recover(
        service.snapshot, service.journal, POLICY, asyncio.Queue(), FakeClock()
    )
    same = recovered.router.snapshot() == service.router.snapshot()
    print(f"recovered from the snapshot and the journal: same state {same}")


if __name__ == "__main__":
    main()
