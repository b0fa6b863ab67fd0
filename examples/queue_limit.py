"""A voice line with room for two callers to wait: the rest are pointed to in-app messaging.

**Scenario.** A small support line has two voice agents (and one on in-app messaging) and lets at
most two callers wait, as a PBX with ``maxlen=2`` does. A caller who would be the third in line is
denied at once with messaging as the fallback, and the app opens a message for them that keeps their
arrival time. Offered callers do not count against the limit, and a caller whose offer rings out
unanswered goes back to the head of the line even though that takes the line past its limit: the
limit turns away new callers, never one already admitted. Then a simulated day on the same rule:
5 agents, 54 calls an hour of 300 s on average, a limit of 3, against the M/M/5/8 loss formula.

**Covers.** ``RouterSettings(queue_limits=..., queue_fallback=...)``, ``Denied(reason="queue-full")``,
``rk.policies.fallback_contact``, re-entry after an expired offer, the scenario key
``[policy.router] queue_limits``, the KPI ``denied_queue_full`` and
``routekit.analytics.mmck_blocking``.
"""

import tomllib

import routekit as rk
from routekit.analytics import mmck_blocking
from routekit.policies import fallback_contact
from routekit.sim.replications import simulate
from routekit.sim.scenario import scenario_from_dict

SEED = 22
DAY = """
[run]
customers = 20000
warmup_customers = 1000

[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 300 }

[[arrivals]]
channel = "voice"
rate = 54

[[agents]]
name = "voice"
count = 5
capacity = { voice = 1 }

[policy.router]
queue_limits = { voice = 3 }
"""
FIELDS = {
    "AgentStatusChanged": ("agent_id", "status"),
    "Denied": ("contact_id", "reason", "rule", "fallback"),
    "ContactQueued": ("contact_id", "channel", "arrived_at"),
    "Offered": ("contact_id", "agent_id"),
    "OfferExpired": ("contact_id", "agent_id"),
    "Assigned": ("contact_id", "agent_id", "waited"),
}


def show(events: list[rk.events.Event]) -> None:
    """Print one fixed-format line per event: time, type, then the fields that tell the story."""
    for event in events:
        data = rk.event_to_dict(event)
        parts = []
        for key in FIELDS.get(data["type"], ()):
            value = data[key]
            parts.append(f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}")
        print(f"{event.at:6.1f}  {data['type']:<14} {' '.join(parts)}")


def line() -> None:
    router = rk.Router(rk.policies.Skills(), queue_limits={"voice": 2}, queue_fallback={"voice": "messaging"})
    show(router.add_agent(rk.Agent(id="ana", capacity={"voice": 1}), 0.0))
    show(router.add_agent(rk.Agent(id="ben", capacity={"voice": 1}), 0.0))
    show(router.add_agent(rk.Agent(id="mo", capacity={"messaging": 3}), 0.0))
    callers = {n: rk.Contact(id=f"call-{n}", customer=rk.Customer(id=f"u-{n}"), channel="voice") for n in range(1, 6)}
    for n in range(1, 6):  # two are offered at once, two wait, the fifth would be third in line
        events = router.submit(callers[n], float(n))
        show(events)
    denied = events[0]
    message = fallback_contact(callers[5], denied, "call-5-msg")
    show(router.submit(message, 6.0))
    print(f"waiting: {router.waiting()}")
    show(router.advance(21.0))  # ana lets call-1 ring out: she is set away, call-1 re-enters at the head
    print(f"waiting: {router.waiting()} (past the limit of 2: an expired offer re-enters its place)")
    show(router.submit(rk.Contact(id="call-6", customer=rk.Customer(id="u-6"), channel="voice"), 21.5))


def day() -> None:
    scenario = scenario_from_dict(tomllib.loads(DAY))
    result = simulate(scenario, reps=2, seed=SEED)
    for number, run in enumerate(result.runs, 1):
        [row] = [r for r in run.report.rows if r.channel == "voice" and r.tier == "all"]
        share = row.denied_queue_full / (row.offered + row.denied)
        print(f"day {number}: {row.handled} answered, {row.denied_queue_full} denied queue-full ({share:.4f})")
    print(f"M/M/5/8 at 4.5 Erlangs: {mmck_blocking(5, 4.5, 3):.4f} denied")


def main() -> None:
    print("A voice line that lets two callers wait")
    line()
    print()
    print("A simulated day with a limit of 3")
    day()


if __name__ == "__main__":
    main()
