"""A live wallboard: the router's real-time statistics and the last 15 minutes, refreshed every 15 minutes.

**Scenario.** A small support desk runs for an hour and a half: three voice agents and two chat agents
(three chats each) on the skills policy, voice calls arriving at 60 an hour and chats at 50, with
random handle times, customers who give up after a random patience, and agents who take a few seconds
to accept an offer. At 12:30 one voice agent goes on a break for half an hour: the two windows that
follow are short-staffed on voice, with more abandoned calls and a lower service level. A small loop
plays the platform around the router, as a host would: it submits each arrival, accepts offers after
the agent's delay, completes contacts after their handle time, abandons a contact whose customer's
patience ran out, and calls ``advance`` at the router's next deadline. Every event the router returns
is also recorded into a ``CumulativeStatistics``. Every 15 minutes the wallboard prints,
per channel, what ``router.statistics(now)`` says now (contacts waiting, the oldest wait, agents
logged in, busy and away) and what the cumulative statistics say of the last 15 minutes (offered,
answered, abandoned, service level, ASA).

**Covers.** ``Router.statistics`` (``Statistics.channel``: ``waiting``, ``longest_wait``, ``agents``),
``routekit.metrics.CumulativeStatistics`` (``record``, ``read``: ``WindowStatistics.channel``, ``start``),
``Router.next_deadline`` and ``Router.advance`` in a host's loop.
"""

import heapq
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

import routekit as rk
from routekit.metrics import CumulativeStatistics, WindowStatistics

SEED = 21
START = 12 * 3600.0  # the desk opens at 12:00; times are seconds since midnight
END = START + 5400.0  # and the board's last refresh is at 13:30
REFRESH = 900.0  # the board refreshes every 15 minutes, over the last 15 minutes
SERVICE_LEVELS = {"voice": 20.0, "chat": 60.0}
CHANNELS = {  # arrivals per hour, mean handle time, mean patience, mean accept delay (seconds)
    "voice": (60.0, 150.0, 120.0, 3.0),
    "chat": (50.0, 360.0, 240.0, 5.0),
}
AGENTS = [
    rk.Agent(id="vera", capacity={rk.Channel.VOICE: 1}),
    rk.Agent(id="vic", capacity={rk.Channel.VOICE: 1}),
    rk.Agent(id="val", capacity={rk.Channel.VOICE: 1}),
    rk.Agent(id="cam", capacity={rk.Channel.CHAT: 3}),
    rk.Agent(id="cleo", capacity={rk.Channel.CHAT: 3}),
]
BREAK = ("val", START + 1800.0, START + 3600.0)  # who goes away, when, and when she is back


class Desk:
    """The platform around the router: a heap of what customers and agents will do, and when."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(SEED)
        self.router = rk.Router(rk.policies.Skills())
        self.board = CumulativeStatistics(window=REFRESH, bucket=60.0, service_levels=SERVICE_LEVELS)
        self.heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self.order = itertools.count()
        self.now = START

    def at(self, when: float, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self.heap, (when, next(self.order), action, args))

    def handle(self, events: list[rk.events.Event], now: float) -> None:
        """Record the router's events for the board, and play the agents' and customers' side of them."""
        self.board.record(events)
        for event in events:
            if isinstance(event, rk.events.Offered):
                delay = self.rng.exponential(CHANNELS[self.channel_of(event.contact_id)][3])
                self.at(now + delay, self.accept, event.contact_id, event.agent_id)
            elif isinstance(event, rk.events.Assigned):
                handle = self.rng.exponential(CHANNELS[self.channel_of(event.contact_id)][1])
                self.at(now + handle, self.complete, event.contact_id)

    def channel_of(self, contact_id: str) -> str:
        return contact_id.split("-")[0]

    def arrive(self, channel: str, n: int) -> None:
        now = self.now
        rate, _, patience, _ = CHANNELS[channel]
        contact = rk.Contact(id=f"{channel}-{n}", customer=rk.Customer(id=f"u-{channel}-{n}"), channel=channel)
        self.handle(self.router.submit(contact, now), now)
        self.at(now + self.rng.exponential(patience), self.give_up, contact.id)
        self.at(now + self.rng.exponential(3600.0 / rate), self.arrive, channel, n + 1)

    def accept(self, contact_id: str, agent_id: str) -> None:
        try:
            self.handle(self.router.accept(contact_id, agent_id, self.now), self.now)
        except rk.OfferStateError as error:  # the offer expired, or the customer left, first
            self.handle(error.events, self.now)

    def complete(self, contact_id: str) -> None:
        self.handle(self.router.complete(contact_id, self.now), self.now)

    def give_up(self, contact_id: str) -> None:
        if self.router.state(contact_id) in (rk.ContactState.WAITING, rk.ContactState.OFFERED):
            self.handle(self.router.abandon(contact_id, self.now), self.now)

    def set_status(self, agent_id: str, status: rk.AgentStatus) -> None:
        self.handle(self.router.set_status(agent_id, status, self.now), self.now)

    def refresh(self) -> None:
        show(self.router.statistics(self.now), self.board.read(self.now))

    def run(self) -> None:
        for agent in AGENTS:
            self.handle(self.router.add_agent(agent, START), START)
        for channel in CHANNELS:
            self.at(START + self.rng.exponential(3600.0 / CHANNELS[channel][0]), self.arrive, channel, 1)
        agent_id, away, back = BREAK
        self.at(away, self.set_status, agent_id, rk.AgentStatus.AWAY)
        self.at(back, self.set_status, agent_id, rk.AgentStatus.AVAILABLE)
        for k in range(1, int((END - START) // REFRESH) + 1):
            self.at(START + k * REFRESH, self.refresh)
        while self.heap and self.heap[0][0] <= END:
            deadline = self.router.next_deadline()
            if deadline is not None and deadline < self.heap[0][0]:
                self.now = deadline
                self.handle(self.router.advance(deadline), deadline)
                continue
            self.now, _, action, args = heapq.heappop(self.heap)
            action(*args)


def clock(seconds: float) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def sec(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def show(now: rk.router.Statistics, window: WindowStatistics) -> None:
    """Print one refresh of the board: the state now, then the window's counts, one line per channel."""
    print(f"{clock(now.at)}  now                             | since {clock(window.start)}")
    print(
        f"{'channel':<8} {'waiting':>7} {'oldest':>7} {'in':>4} {'busy':>4} {'away':>4} |"
        f" {'offered':>7} {'answered':>8} {'abandoned':>9} {'SL':>5} {'ASA':>5}"
    )
    for channel in CHANNELS:
        live = now.channel(channel)
        last = window.channel(channel)
        agents = live.agents
        print(
            f"{channel:<8} {live.waiting:>7} {sec(live.longest_wait):>7} {agents.logged_in:>4} {agents.busy:>4}"
            f" {agents.away:>4} | {last.offered:>7} {last.answered:>8} {last.abandoned:>9}"
            f" {pct(last.service_level):>5} {sec(last.asa):>5}"
        )
    print()


def main() -> None:
    """Run the desk for an hour and a half and print the board every 15 minutes."""
    Desk().run()


if __name__ == "__main__":
    main()
