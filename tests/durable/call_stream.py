"""A seeded random stream of valid and invalid router calls, for the durable router's tests and crash test.

The stream reads only the router's read views to choose its next call, so the same seed drives a
``Router`` and a ``DurableRouter`` (or a recovered one) through the very same calls.
"""

from __future__ import annotations

import random
from typing import Any

import routekit as rk
from routekit.events import Event

CHANNELS = ("voice", "chat", "messaging")
SKILLS = ("billing", "tech", "sales")


def make_policy() -> rk.policies.RoutingPolicy:
    """Sticky conversations over relaxing skills: every kind of timer fires in the stream."""
    return rk.policies.Sticky(
        hold=40.0, window=90.0, park_ttl=600.0, then=rk.policies.Skills(relax=[(20, 1), (60, "any")])
    )


SETTINGS: dict[str, Any] = {"wrap_up": 3.0, "retention": 1e9, "reoffer_delay": 15.0}


class CallStream:
    """Chooses each next call from a seeded generator and the router's read views; counts what it does."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = 0.0
        self.agents = 0
        self.contacts = 0
        self.submitted: list[str] = []
        self.conversations: list[str] = []

    def step(self, router: Any) -> tuple[str, list[Event] | None, rk.RoutekitError | None]:
        """Make one call on ``router``; return its name, its events (or ``None``) and its error (or ``None``)."""
        name, call = self._choose(router)
        try:
            return name, call(), None
        except rk.RoutekitError as error:
            return name, None, error

    def _now(self) -> float:
        rng = self.rng
        if rng.random() < 0.03:
            return self.clock - rng.uniform(0.5, 5.0)  # time going backwards: refused, not journaled
        self.clock = round(self.clock + rng.expovariate(0.5), 3)
        return self.clock

    def _choose(self, router: Any) -> tuple[str, Any]:
        rng = self.rng
        now = self._now()
        roll = rng.random()
        agents = router.agents()
        if roll < 0.08 or not agents:
            self.agents += 1
            agent_id = f"a-{self.agents}" if rng.random() > 0.05 or not agents else rng.choice(agents)
            skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 3))}
            capacity = {c: rng.randint(1, 3) if c != "voice" else 1 for c in rng.sample(CHANNELS, rng.randint(1, 3))}
            agent = rk.Agent(id=agent_id, skills=skills, capacity=capacity, wrap_up={"voice": rng.choice([0, 5])})
            return "add_agent", lambda: router.add_agent(agent, now)
        if roll < 0.30:
            self.contacts += 1
            contact_id = (
                f"c-{self.contacts}" if rng.random() > 0.03 or not self.submitted else rng.choice(self.submitted)
            )
            skill = rng.choice((*SKILLS, "latin")) if rng.random() < 0.05 else rng.choice(SKILLS)
            contact = rk.Contact(
                id=contact_id,
                customer=rk.Customer(id=f"u-{rng.randint(1, 50)}", tier=rng.choice(["standard", "gold"])),
                channel=rng.choice(CHANNELS),
                skills={skill: rng.randint(1, 4)},
                priority=rng.choice([0, 0, 1]),
                context={"note": f"n{self.contacts}"},
            )
            self.submitted.append(contact_id)
            return "submit", lambda: router.submit(contact, now)
        offers = [(s.offer, s.agent_id) for s in map(router.agent_state, agents) if s.offer is not None]
        if roll < 0.48:
            if offers and rng.random() < 0.9:
                contact_id, agent_id = rng.choice(offers)
            else:
                contact_id, agent_id = self._some_contact(), rng.choice(agents)
            if rng.random() < 0.8:
                return "accept", lambda: router.accept(contact_id, agent_id, now)
            return "reject", lambda: router.reject(contact_id, agent_id, now)
        if roll < 0.62:
            assigned = [c for c in self.submitted[-200:] if router.state(c) == rk.ContactState.ASSIGNED]
            contact_id = rng.choice(assigned) if assigned and rng.random() < 0.9 else self._some_contact()
            if rng.random() < 0.25:
                return "await_customer", lambda: router.await_customer(contact_id, now)
            if rng.random() < 0.1:
                return "transfer", lambda: router.transfer(contact_id, now)
            return "complete", lambda: router.complete(contact_id, now)
        if roll < 0.68:
            conversation = self._some_contact()
            return "customer_replied", lambda: router.customer_replied(conversation, now)
        if roll < 0.72:
            contact_id = self._some_contact()
            return "abandon", lambda: router.abandon(contact_id, now)
        if roll < 0.75:
            contact_id = self._some_contact()
            priority = rng.randint(0, 3)
            return "reprioritize", lambda: router.reprioritize(contact_id, priority, now)
        if roll < 0.82:
            agent_id = rng.choice(agents)
            status = rng.choice(list(rk.AgentStatus))
            return "set_status", lambda: router.set_status(agent_id, status, now)
        if roll < 0.84:
            agent_id = rng.choice(agents)
            return "end_wrap_up", lambda: router.end_wrap_up(agent_id, now)
        if roll < 0.86:
            agent_id = rng.choice(agents)
            return "remove_agent", lambda: router.remove_agent(agent_id, now)
        if roll < 0.88:
            agent_id = rng.choice(agents)
            agent = rk.Agent(id=agent_id, skills={rng.choice(SKILLS): rng.randint(1, 5)}, capacity={"chat": 2})
            return "update_agent", lambda: router.update_agent(agent, now)
        return "advance", lambda: router.advance(now)

    def _some_contact(self) -> str:
        if not self.submitted:
            return "c-none"
        return self.rng.choice(self.submitted[-50:])
