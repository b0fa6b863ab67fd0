"""One simulated day with a full queue, a closed hour and an overflow rule, each checked by hand.

**Scenario.** A help desk opens 09:00-12:00 and 13:00-17:00 on Monday 7 December 2026 (Paris), for voice
and chat. Voice: 5 agents, 54 calls an hour of 300 s on average (4.5 Erlangs), and at most 3 callers may
wait: a caller who would be the fourth is denied ``queue-full``. Chat: 3 agents, 36 chats an hour of 240 s
(2.4 Erlangs), and an exception rule overflows a chat that enters behind 2 waiting ones to a backup team of
2, which serves nothing else. Nobody abandons.

**By hand.** A Poisson stream of constant rate puts 1 of its 8 hours in the closed lunch hour, so 1/8 of
each channel's arrivals are denied ``closed``. While open, the voice line is the M/M/5/8 loss system (5
agents, 3 places to wait), and the main chat queue is M/M/3/5 (3 agents, 2 places before the rule
overflows): in steady state each turns away the blocking probability ``mmck_blocking`` of the arrivals it
sees, 7/8 of the day's. But the line starts empty at 09:00 and again at 13:00 (the calls still waiting at
noon are served by then), and at 90% and 80% busy it takes the better part of an hour to fill: the
transient column follows the birth-death chain of the M/M/c/K system from empty through each open block
(its probability of being full, integrated over the 3 and 4 hours with a matrix exponential per second),
which is the exact expectation for Poisson arrivals.

**Covers.** ``[policy.router] queue_limits``, ``[[policy.router.exception_rules.<rule>]]`` with an
``overflow`` action, ``[channel.hours]`` with ``run.date`` and ``run.timezone``, the report's
``denied_queue_full`` and ``denied_closed``, and ``routekit.analytics.mmck_blocking``.
"""

import math
import tomllib

import numpy as np
from scipy.linalg import expm

from routekit.analytics import mmck_blocking
from routekit.sim.engine import DayResult, run_day
from routekit.sim.scenario import scenario_from_dict

SEED = 22
REPLICATIONS = 40
DAY = """
[run]
horizon = 28800
start = 9
date = 2026-12-07
timezone = "Europe/Paris"

[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 300 }

[channel.hours]
weekly = { mon = [["09:00", "12:00"], ["13:00", "17:00"]] }
timezone = "Europe/Paris"

[[channel]]
name = "chat"
service_level = 60
handle_time = { dist = "exponential", mean = 240 }

[channel.hours]
weekly = { mon = [["09:00", "12:00"], ["13:00", "17:00"]] }
timezone = "Europe/Paris"

[[arrivals]]
channel = "voice"
rate = 54
skills = { phone = 1 }

[[arrivals]]
channel = "chat"
rate = 36
skills = { writing = 1 }

[[agents]]
name = "voice"
count = 5
capacity = { voice = 1 }
skills = { phone = 1 }

[[agents]]
name = "chat"
count = 3
capacity = { chat = 1 }
skills = { writing = 1 }

[[agents]]
name = "backup"
count = 2
capacity = { chat = 1 }
teams = ["backup"]

[policy.router]
queue_limits = { voice = 3 }

[[policy.router.exception_rules."skills:writing>=1"]]
name = "chat-overflow"
trigger = "queue-length"
threshold = 2
action = "overflow"
target = { channel = "chat", team = "backup" }
"""


def transient_blocking(agents: int, load: float, limit: int, handle: float, blocks: tuple[float, ...]) -> float:
    """The share of arrivals an M/M/c/K system turns away over open blocks of ``blocks`` seconds, each
    starting empty: the mean over the open time of the probability of being full, from the birth-death
    chain's generator (K = agents + limit), stepped one second at a time with its matrix exponential."""
    full = agents + limit
    arrival, service = load / handle, 1 / handle
    generator = np.zeros((full + 1, full + 1))
    for n in range(full + 1):
        if n < full:
            generator[n, n + 1] = arrival
        if n > 0:
            generator[n, n - 1] = min(n, agents) * service
        generator[n, n] = -generator[n].sum()
    step = expm(generator)
    blocked = 0.0
    for seconds in blocks:
        p = np.zeros(full + 1)
        p[0] = 1.0
        for _ in range(int(seconds)):
            after = p @ step
            blocked += (p[full] + after[full]) / 2  # the trapezoid over each second
            p = after
    return blocked / sum(blocks)


def share(count: int, of: int, expected: float) -> str:
    """A measured share beside one by hand, with how many binomial standard errors apart they are."""
    error = math.sqrt(expected * (1 - expected) / of)
    return f"{count / of:.4f} against {expected:.4f} ({(count / of - expected) / error:+.1f} s.e.)"


# Each channel's line: the arrivals' name, what turns a contact away while open, and its M/M/c/K system
# (agents, Erlangs, places to wait, mean handle time).
LINES = {
    "voice": ("calls", "queue-full", (5, 4.5, 3, 300.0)),
    "chat": ("chats", "overflowed", (3, 2.4, 2, 240.0)),
}


def turned_away(day: DayResult, channel: str) -> int:
    """The contacts a channel's line turned away while open: denied queue-full, or overflowed by the rule."""
    if channel == "voice":
        return day.report.row("voice").denied_queue_full
    return day.exceptions.get("chat-overflow", 0)


def main() -> None:
    scenario = scenario_from_dict(tomllib.loads(DAY))
    totals = {channel: [0, 0, 0] for channel in LINES}  # arrivals, denied closed, turned away while open
    for i in range(REPLICATIONS):
        day = run_day(scenario, SEED + i)
        for channel, total in totals.items():
            row = day.report.row(channel)
            total[0] += row.offered + row.denied
            total[1] += row.denied_closed
            total[2] += turned_away(day, channel)
    closed, open_share, blocks = 1 / 8, 7 / 8, (3 * 3600.0, 4 * 3600.0)
    print(f"{REPLICATIONS} days of 09:00-17:00, closed 12:00-13:00; by hand: steady state, then from empty")
    for channel, (noun, away, (agents, load, limit, handle)) in LINES.items():
        arrivals, denied_closed, turned = totals[channel]
        print(f"{channel}: {arrivals} {noun}")
        print(f"  denied closed:     {share(denied_closed, arrivals, closed)}")
        for name, by_hand in (
            ("steady", mmck_blocking(agents, load, limit)),
            ("transient", transient_blocking(agents, load, limit, handle, blocks)),
        ):
            print(f"  {away}, {name + ':':<10} {share(turned, arrivals, open_share * by_hand)}")


if __name__ == "__main__":
    main()
