"""The router's own fuzzer: valid calls mixed with wrong types, bad times, stale ids and broken guards (#18).

A hypothesis state machine drives one router with calls a platform fed by webhooks, retried requests and
database rows might make. After every call:

- refused with ``ArgumentTypeError`` or ``ClockError``: ``err.events == []`` and the snapshot is the one
  taken just before the call;
- refused with any other ``RoutekitError``: a twin restored from the snapshot taken just before the call
  and advanced to the call's ``now`` has the same snapshot, and its ``advance`` events are ``err.events``;
- accepted: ``router._check()`` holds.

Any other exception escapes and fails the test. Calls the contract says must be refused (a cross-channel
transfer, a synchronous contact naming a conversation, an ``arrived_at`` later than ``now``, a reply to a
closed conversation, ...) must be refused with the error it names.

The number of examples is ``ROUTEKIT_FUZZ_EXAMPLES`` (default 300, whatever the hypothesis profile), of
up to ``ROUTEKIT_FUZZ_STEPS`` steps (default 60). A long local run::

    ROUTEKIT_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_router_fuzz.py

``ROUTEKIT_FUZZ_SHRINK=0`` reports a failure as found, without shrinking it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

import routekit as rk
from routekit import events as ev
from routekit.policies import Plan, Skills, Stage, Sticky, Target, mobile_support

EXAMPLES = int(os.environ.get("ROUTEKIT_FUZZ_EXAMPLES", "300"))
STEPS = int(os.environ.get("ROUTEKIT_FUZZ_STEPS", "60"))
# ROUTEKIT_FUZZ_SHRINK=0 skips shrinking: a long hunt reports its first failure at once, unshrunk.
PHASES = tuple(Phase) if os.environ.get("ROUTEKIT_FUZZ_SHRINK", "1") != "0" else tuple(set(Phase) - {Phase.shrink})

AGENT_IDS = [f"a{i}" for i in range(4)]
SKILLS = ["billing", "tech"]
CHANNELS = [rk.Channel.VOICE, rk.Channel.CHAT, rk.Channel.MESSAGING, rk.Channel.VIDEO]
ASYNC = [rk.Channel.MESSAGING]
TIERS = ["standard", "silver", "gold", "platinum"]
RETENTION = 200.0
POLICIES: list[Any] = [
    Skills(relax=[(20, "any")]),
    mobile_support(hold=20.0, window=30.0, park_ttl=100.0, vip_overflow=15.0),
    Sticky(10.0, 20.0, park_ttl=50.0, then=Skills(relax=[(20, "any")])),
    Sticky(0.0, 20.0, park_ttl=30.0, then=Skills(relax=[(20, "any")])),  # parks at once
]

# Not a str (ids), and not a finite number (now).
WRONG_IDS = [None, 7, 3.5, ["c0"], {"id": "c0"}, ("a0",), b"c0", True]
BAD_TIMES = [math.nan, math.inf, -math.inf, "5.0", None, True, [1.0]]
# What the calls came to, by call and outcome ("submit:ok", "accept:OfferStateError"): to see what a run covered.
OUTCOMES: Counter[str] = Counter()
steps = st.sampled_from([0.0, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0])


def roundtrip(snapshot: dict[str, Any]) -> Any:
    return json.loads(json.dumps(snapshot))


def valid_time(now: Any, last: float) -> bool:
    """Whether the router must take ``now``: a finite int or float, not earlier than the last call."""
    return isinstance(now, int | float) and not isinstance(now, bool) and math.isfinite(now) and (now >= last)


class RefusedError(Exception):
    """The call was refused; the machine's bookkeeping treats it as a no-op."""


class FuzzMachine(RuleBasedStateMachine):
    """One router, driven with valid and invalid calls, checked against a restored twin after each refusal."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.next_contact = 0
        self.seen: dict[str, rk.Channel] = {}  # every contact id ever submitted or queued, with its channel
        self.offers: dict[str, str] = {}  # contact id: agent id, for the offers pending now
        self.answered: dict[str, str] = {}  # offers that ended: for late and double answers
        self.conversations: dict[str, rk.Channel] = {}  # id: channel, every conversation ever opened
        self.parked: set[str] = set()
        self.closed: dict[str, float] = {}  # conversation id: when it closed
        self.agents: dict[str, rk.Agent] = {}  # the agents registered, as last added or updated
        self.error: rk.RoutekitError | None = None

    # ------------------------------------------------------------------------------------------- helpers

    def call(self, name: str, *args: Any, now: Any, expect: Any = None, **kwargs: Any) -> list[Any]:
        """Make one call and check the property for its outcome; ``expect``: the error it must be refused with."""
        router = self.router
        before = roundtrip(router.snapshot())
        try:
            events = getattr(router, name)(*args, **kwargs)
        except rk.RoutekitError as error:
            OUTCOMES[f"{name}:{type(error).__name__}"] += 1
            self.refused(name, args, error, before, now, expect)
            raise RefusedError from error
        OUTCOMES[f"{name}:ok"] += 1
        assert expect is None, f"{name}{args} at {now!r} was accepted, expected {expect}"
        router._check()
        self.now = router.now
        self.note(events)
        return list(events)

    def refused(self, name: str, args: Any, error: rk.RoutekitError, before: Any, now: Any, expect: Any) -> None:
        self.error = error
        after = roundtrip(self.router.snapshot())
        what = f"{name}{args!r} at {now!r}: {type(error).__name__}: {error}"
        if expect is not None:
            assert isinstance(error, expect), f"{what}; expected {expect}"
        # A wrong type, or a bad now, is refused before any timer fires; anything else after them.
        if isinstance(error, rk.ArgumentTypeError) or not valid_time(now, self.now):
            assert isinstance(error, rk.ArgumentTypeError | rk.ClockError), f"{what}: not a ClockError"
            assert [] == error.events, what
            assert before == after, f"{what}: the snapshot changed"
            return
        twin = rk.Router.restore(before, self.policy)
        fired = twin.advance(now)
        assert fired == error.events, what
        assert roundtrip(twin.snapshot()) == after, f"{what}: the snapshot differs from the twin's"
        self.now = self.router.now
        self.note(error.events)

    def attempt(self, name: str, *args: Any, now: Any, expect: Any = None, **kwargs: Any) -> list[Any] | None:
        try:
            return self.call(name, *args, now=now, expect=expect, **kwargs)
        except RefusedError:
            return None

    def note(self, events: list[Any]) -> None:
        """Learn the ids in play from the events, as a platform does."""
        for event in events:
            if isinstance(event, ev.ContactQueued | ev.Denied):
                self.seen[event.contact_id] = rk.Channel(event.channel)  # an id may come back after retention
            elif isinstance(event, ev.Offered):
                self.offers[event.contact_id] = event.agent_id
            elif isinstance(event, ev.Assigned | ev.OfferRejected | ev.OfferExpired | ev.OfferRescinded):
                agent = self.offers.pop(event.contact_id, None)
                if agent is not None:
                    self.answered[event.contact_id] = agent
            elif isinstance(event, ev.AwaitingCustomer):
                self.conversations.setdefault(event.conversation_id, rk.Channel.MESSAGING)
            elif isinstance(event, ev.Parked):
                self.parked.add(event.conversation_id)
            elif isinstance(event, ev.Resumed):
                self.parked.discard(event.conversation_id)
            elif isinstance(event, ev.ConversationClosed):
                self.parked.discard(event.conversation_id)
                self.closed[event.conversation_id] = event.at

    def when(self, data: st.DataObject, *, bad: bool = True) -> Any:
        """A time: mostly a step forward, sometimes (when ``bad``) one the router must refuse."""
        if bad and data.draw(st.integers(0, 9)) == 0:
            return data.draw(st.sampled_from([*BAD_TIMES, self.now - 1.0, self.now - 1e-9]))
        step = data.draw(steps)
        if data.draw(st.integers(0, 9)) == 0 and float(int(self.now + step)) >= self.now:
            return int(self.now + step)  # an int is a valid time
        return self.now + step

    def expect_clock(self, now: Any, expect: Any = None) -> Any:
        """The error a call at ``now`` must be refused with: ``ClockError`` for a bad time, else ``expect``.

        ``expect`` is read from the state before the call, so it holds only when no timer fires first.
        """
        if not valid_time(now, self.now):
            return rk.ClockError
        deadline = self.router.next_deadline()
        return expect if deadline is None or deadline > now else None

    def live(self, *states: rk.ContactState) -> list[str]:
        return sorted(cid for cid in self.seen if self.router.state(cid) in states)

    def any_contact(self, data: st.DataObject) -> str:
        """A contact id: live, finished, a conversation's, or never seen."""
        live = self.live(*rk.ContactState)
        finished = sorted(cid for cid in self.seen if self.router.state(cid) is None)[-4:]
        return data.draw(st.sampled_from([*live, *finished, *sorted(self.conversations)[:3], "c-unknown"]))

    def remembered(self, conversation_id: str, now: Any) -> bool:
        """Whether a closed conversation is certainly still within the retention time at ``now``."""
        closed = self.closed.get(conversation_id)
        return closed is not None and valid_time(now, self.now) and now - closed < RETENTION - 1.0

    # ------------------------------------------------------------------------------------------------ rules

    @initialize(
        policy=st.sampled_from(range(len(POLICIES))),
        away=st.booleans(),
        reoffer_delay=st.sampled_from([0.0, 30.0]),
        roster=st.lists(st.sampled_from(AGENT_IDS), min_size=1, max_size=3, unique=True),
    )
    def staff(self, policy: int, away: bool, reoffer_delay: float, roster: list[str]) -> None:
        """Build the router and staff a few agents on every channel."""
        self.policy = POLICIES[policy]
        self.router = rk.Router(
            self.policy,
            wrap_up=5.0,
            retention=RETENTION,
            away_on_missed_offer=away,
            reoffer_delay=reoffer_delay,
        )
        for agent_id in roster:
            agent = rk.Agent(
                id=agent_id,
                skills={"billing": 3, "tech": 3},
                capacity={rk.Channel.VOICE: 1, rk.Channel.CHAT: 2, rk.Channel.MESSAGING: 2, rk.Channel.VIDEO: 1},
                teams=frozenset({"vip"}),
            )
            self.call("add_agent", agent, 0.0, now=0.0)
            self.agents[agent_id] = agent

    @rule(data=st.data())
    def agent_call(self, data: st.DataObject) -> None:
        """Add (or add again), update (or lower capacity below load), remove (with work), set status, end wrap-up."""
        action = data.draw(st.sampled_from(["add", "update", "lower", "remove", "status", "bad-status", "wrap"]))
        agent_id = data.draw(st.sampled_from(AGENT_IDS))
        now = self.when(data)
        if action == "add" or (action in ("update", "lower") and agent_id not in self.agents):
            capacity = data.draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 2), min_size=1))
            skills = data.draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5)))
            wrap = data.draw(st.dictionaries(st.sampled_from(CHANNELS), st.sampled_from([0.0, 5.0])))
            agent = rk.Agent(id=agent_id, skills=skills, capacity=capacity, wrap_up=wrap, teams={"vip"})
            if action == "add":
                duplicate = rk.DuplicateIdError if agent_id in self.agents else None
                status = data.draw(st.sampled_from(list(rk.AgentStatus)))
                if self.attempt("add_agent", agent, now, status, now=now, expect=self.expect_clock(now, duplicate)):
                    self.agents[agent_id] = agent
            else:
                self.attempt("update_agent", agent, now, now=now, expect=self.expect_clock(now, rk.UnknownIdError))
        elif action in ("update", "lower"):
            old = self.agents[agent_id]
            capacity = dict(old.capacity)
            if action == "lower":
                capacity = dict.fromkeys(capacity, 0)  # below any load it has
            else:
                capacity[data.draw(st.sampled_from(CHANNELS))] = data.draw(st.integers(0, 3))
            agent = rk.Agent(id=agent_id, skills=old.skills, capacity=capacity, teams=old.teams, wrap_up=old.wrap_up)
            if self.attempt("update_agent", agent, now, now=now, expect=self.expect_clock(now)) is not None:
                self.agents[agent_id] = agent
        elif action == "remove":
            unknown = None if agent_id in self.agents else rk.UnknownIdError
            if self.attempt("remove_agent", agent_id, now, now=now, expect=self.expect_clock(now, unknown)):
                del self.agents[agent_id]
        elif action == "status":
            status = data.draw(st.sampled_from([*rk.AgentStatus, "away", "available"]))
            unknown = None if agent_id in self.agents else rk.UnknownIdError
            self.attempt("set_status", agent_id, status, now, now=now, expect=self.expect_clock(now, unknown))
        elif action == "bad-status":
            status = data.draw(st.sampled_from(["busy", "", "AWAY"]))
            # A bad status is a ConfigError, after the timers fire (they cannot remove the agent).
            expect = rk.ConfigError if agent_id in self.agents else rk.RoutekitError
            self.attempt("set_status", agent_id, status, now, now=now, expect=self.expect_clock(now, expect))
        else:
            self.attempt("end_wrap_up", agent_id, now, now=now, expect=self.expect_clock(now))

    @rule(
        data=st.data(),
        channel=st.sampled_from(CHANNELS),
        skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 4), max_size=2),
        tier=st.sampled_from([*TIERS, "bronze"]),  # bronze is unknown to the tier gate
        priority=st.integers(0, 2),
    )
    def submit(
        self, data: st.DataObject, channel: rk.Channel, skills: dict[str, int], tier: str, priority: int
    ) -> None:
        """Submit a contact: new, a duplicate id, arriving in the future, or naming a known conversation."""
        how = data.draw(
            st.sampled_from(
                [
                    *("new", "new", "new", "new", "new", "new", "early"),
                    *("future", "duplicate", "conversation", "closed"),
                ]
            )
        )
        now = self.when(data)
        contact_id = f"c{self.next_contact}"
        self.next_contact += 1
        arrived_at: float | None = None
        conversation_id: str | None = None
        expect: Any = None
        if how == "early":
            arrived_at = max(0.0, self.now - 15.0)
        elif how == "future" and valid_time(now, self.now):
            arrived_at = float(now) + data.draw(st.sampled_from([0.5, 30.0]))
            expect = rk.RoutekitError
        elif how == "duplicate" and self.seen:
            contact_id = data.draw(st.sampled_from(sorted(self.seen)))
            expect = rk.RoutekitError if contact_id in self.live(*rk.ContactState) else None
        elif how in ("conversation", "closed") and self.conversations:
            pool = sorted(self.closed) if how == "closed" and self.closed else sorted(self.conversations)
            conversation_id = data.draw(st.sampled_from(pool))
            open_ = conversation_id not in self.closed
            # A synchronous contact may not name a conversation the router knows; nor may a turn join a
            # conversation of another channel or a closed one.
            if (open_ or self.remembered(conversation_id, now)) and (
                channel.synchronous or channel != self.conversations[conversation_id] or not open_
            ):
                expect = rk.RoutekitError
        contact = rk.Contact(
            id=contact_id,
            customer=rk.Customer(id=f"u{self.next_contact % 3}", tier=tier),
            channel=channel,
            skills=skills,
            priority=priority,
            arrived_at=arrived_at,
            conversation_id=conversation_id,
        )
        events = self.attempt("submit", contact, now, now=now, expect=self.expect_clock(now, expect))
        if events and not channel.synchronous and any(isinstance(e, ev.ContactQueued) for e in events):
            self.conversations.setdefault(contact.conversation, channel)

    @rule(data=st.data())
    def serve(self, data: st.DataObject) -> None:
        """The happy path, soon after the last call: accept an offer, then hold, complete or transfer the work."""
        now = self.now + data.draw(st.sampled_from([0.0, 1.0, 3.0]))
        assigned = self.live(rk.ContactState.ASSIGNED)
        held = self.live(rk.ContactState.HELD)
        choices = [
            *(["offer"] if self.offers else []),
            *(["assigned"] if assigned else []),
            *(["held"] if held else []),
            *(["parked"] if self.parked else []),
        ]
        if not choices:
            return
        choice = data.draw(st.sampled_from(choices))
        if choice == "offer":
            contact_id = data.draw(st.sampled_from(sorted(self.offers)))
            verb = data.draw(st.sampled_from(["accept", "accept", "accept", "reject"]))
            self.attempt(verb, contact_id, self.offers[contact_id], now, now=now)
        elif choice == "assigned":
            contact_id = data.draw(st.sampled_from(assigned))
            verb = data.draw(st.sampled_from(["complete", "await", "await", "transfer", "cross"]))
            if verb == "cross":
                self.cross_transfer(data, contact_id, now)
            elif verb == "complete":
                self.attempt("complete", contact_id, now, now=now)
            elif verb == "await":
                turns = [c for c in assigned if not self.seen[c].synchronous]
                if turns and data.draw(st.integers(0, 3)):
                    contact_id = data.draw(st.sampled_from(turns))
                # A synchronous contact is no conversation turn: holding it for the customer is refused.
                expect = rk.StateError if self.seen[contact_id].synchronous else None
                self.attempt("await_customer", contact_id, now, now=now, expect=self.expect_clock(now, expect))
            else:
                self.attempt("transfer", contact_id, now, now=now)
        elif choice == "held":
            contact_id = data.draw(st.sampled_from(held))
            verb = data.draw(st.sampled_from(["complete", "reply", "abandon"]))
            if verb == "reply":
                self.attempt("customer_replied", self.router.contact(contact_id).conversation, now, now=now)
            else:
                self.attempt(verb, contact_id, now, now=now)
        else:
            self.attempt("customer_replied", data.draw(st.sampled_from(sorted(self.parked))), now, now=now)

    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        """Accept or reject a pending offer; or answer late, twice, or as another agent."""
        action = data.draw(st.sampled_from(["accept", "accept", "accept", "reject", "late", "wrong-agent"]))
        now = self.when(data)
        if action in ("accept", "reject") and self.offers:
            contact_id = data.draw(st.sampled_from(sorted(self.offers)))
            agent_id = self.offers[contact_id]
            self.attempt(action, contact_id, agent_id, now, now=now)
        elif action == "late" and self.answered:
            contact_id = data.draw(st.sampled_from(sorted(self.answered)))
            agent_id = self.answered[contact_id]
            if self.offers.get(contact_id) != agent_id:
                verb = data.draw(st.sampled_from(["accept", "reject"]))
                self.attempt(
                    verb, contact_id, agent_id, now, now=now, expect=self.expect_clock(now, rk.OfferStateError)
                )
        else:
            contact_id = self.any_contact(data)
            agent_id = data.draw(st.sampled_from([*AGENT_IDS, "a-unknown"]))
            expect = None if self.offers.get(contact_id) == agent_id else rk.OfferStateError
            verb = data.draw(st.sampled_from(["accept", "reject"]))
            self.attempt(verb, contact_id, agent_id, now, now=now, expect=self.expect_clock(now, expect))

    @rule(data=st.data())
    def work(self, data: st.DataObject) -> None:
        """Complete, abandon, hold for the customer, transfer (also across channels) or reprioritize a contact."""
        action = data.draw(
            st.sampled_from(
                ["complete", "complete", "abandon", "await", "await", "await-sync", "transfer", "cross", "reprioritize"]
            )
        )
        wanted = {
            "complete": (rk.ContactState.ASSIGNED, rk.ContactState.HELD),
            "abandon": (rk.ContactState.WAITING, rk.ContactState.OFFERED, rk.ContactState.HELD),
            "await": (rk.ContactState.ASSIGNED,),
            "await-sync": (rk.ContactState.ASSIGNED,),
            "transfer": (rk.ContactState.ASSIGNED,),
            "cross": (rk.ContactState.ASSIGNED,),
            "reprioritize": (rk.ContactState.WAITING,),
        }[action]
        candidates = self.live(*wanted)
        if action == "await":
            candidates = [c for c in candidates if not self.seen[c].synchronous]
        elif action == "await-sync":
            candidates = [c for c in candidates if self.seen[c].synchronous]
        contact_id = data.draw(st.sampled_from(candidates)) if candidates else self.any_contact(data)
        now = self.when(data)
        live = self.router.state(contact_id) is not None
        if action == "complete":
            self.attempt("complete", contact_id, now, now=now)
        elif action == "abandon":
            self.attempt("abandon", contact_id, now, now=now)
        elif action in ("await", "await-sync"):
            expect = rk.StateError if candidates and action == "await-sync" else None
            self.attempt("await_customer", contact_id, now, now=now, expect=self.expect_clock(now, expect))
        elif action == "reprioritize":
            priority = data.draw(st.sampled_from([0, 1, 3, 1.5, "2", None]))
            expect = None
            if isinstance(priority, bool) or not isinstance(priority, int):
                # Not an integer: a ConfigError for a waiting contact, after the timers fire.
                expect = rk.ConfigError if contact_id in candidates else rk.RoutekitError
            self.attempt("reprioritize", contact_id, priority, now, now=now, expect=self.expect_clock(now, expect))
        elif action == "transfer" or not (candidates and live):
            team = data.draw(st.sampled_from([None, "vip"]))
            target = (
                None if team is None or not live else Target(channel=self.router.contact(contact_id).channel, team=team)
            )
            self.attempt("transfer", contact_id, now, now=now, target=target)
        else:
            self.cross_transfer(data, contact_id, now)

    def cross_transfer(self, data: st.DataObject, contact_id: str, now: Any) -> None:
        """Transfer an assigned contact to another channel (a target, or a plan's later stage): a ConfigError."""
        own = self.router.contact(contact_id).channel
        other = data.draw(st.sampled_from([c for c in CHANNELS if c != own]))
        target: Target | Plan = Target(channel=other)
        if data.draw(st.booleans()):
            target = Plan([Stage(target=Target(channel=own), timeout=10.0), Stage(target=Target(channel=other))])
        events = self.attempt(
            "transfer", contact_id, now, now=now, target=target, expect=self.expect_clock(now, rk.ConfigError)
        )
        if events is None and isinstance(self.error, rk.ConfigError):
            message = str(self.error)
            assert own.value in message, message
            assert other.value in message, message

    @rule(data=st.data())
    def reply(self, data: st.DataObject) -> None:
        """The customer writes: in a parked, held or open conversation; a closed one; or one never seen."""
        pool = sorted(self.parked) or sorted(self.conversations)
        strays = [*sorted(self.closed)[-2:], "c-unknown", "c0#9"]
        conversation_id = data.draw(st.sampled_from(pool if pool and data.draw(st.integers(0, 2)) else strays))
        now = self.when(data)
        expect: Any = None
        if conversation_id in self.closed and self.remembered(conversation_id, now):
            expect = rk.StateError
        elif conversation_id not in self.conversations:
            expect = rk.UnknownIdError
        self.attempt("customer_replied", conversation_id, now, now=now, expect=self.expect_clock(now, expect))

    @rule(data=st.data())
    def wrong_type(self, data: st.DataObject) -> None:
        """Any state-changing call with an id or a record of the wrong type: refused before any timer fires."""
        name = data.draw(
            st.sampled_from(
                [
                    *("add_agent", "update_agent", "remove_agent", "set_status", "end_wrap_up", "submit"),
                    *("accept", "reject", "complete", "abandon", "reprioritize", "transfer", "await_customer"),
                    "customer_replied",
                ]
            )
        )
        wrong = data.draw(st.sampled_from(WRONG_IDS))
        now = self.when(data)
        contact_id = self.any_contact(data)
        agent_id = data.draw(st.sampled_from(AGENT_IDS))
        some_agent = rk.Agent(id=agent_id, capacity={"chat": 1})
        some_contact = rk.Contact(id="c-wrong", customer=rk.Customer(id="u0"), channel="chat")
        wrong_agent = data.draw(st.sampled_from([*WRONG_IDS, "a0", some_contact, {"id": "a0"}]))
        wrong_contact = data.draw(st.sampled_from([*WRONG_IDS, "c0", some_agent, {"id": "c0"}]))
        wrong_target = data.draw(st.sampled_from([7, "chat", {"channel": "chat"}, some_agent, ["chat"]]))
        pair = data.draw(st.sampled_from([(wrong, agent_id), (contact_id, wrong), (wrong, wrong)]))
        args: tuple[Any, ...]
        kwargs: dict[str, Any] = {}
        if name in ("add_agent", "update_agent"):
            args = (wrong_agent, now)
        elif name == "submit":
            args = (wrong_contact, now)
        elif name in ("remove_agent", "end_wrap_up", "complete", "abandon", "await_customer", "customer_replied"):
            args = (wrong, now)
        elif name == "set_status":
            args = (wrong, rk.AgentStatus.AWAY, now)
        elif name in ("accept", "reject"):
            args = (*pair, now)
        elif name == "reprioritize":
            args = (wrong, 1, now)
        elif data.draw(st.booleans()):
            args = (wrong, now)
        else:
            args, kwargs = (contact_id, now), {"target": wrong_target}
        # A bad time as well: either error may win, and both come before any timer fires.
        expect = rk.ArgumentTypeError if valid_time(now, self.now) else (rk.ArgumentTypeError, rk.ClockError)
        self.attempt(name, *args, now=now, expect=expect, **kwargs)

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """Move the clock: by a step, exactly onto the next timer, just past it, or (refused) a bad time."""
        how = data.draw(st.sampled_from(["step", "deadline", "deadline", "past-deadline", "bad"]))
        deadline = self.router.next_deadline()
        if how == "bad":
            now = data.draw(st.sampled_from([*BAD_TIMES, self.now - 1.0]))
        elif how == "step" or deadline is None:
            now = self.now + data.draw(steps)
        else:
            now = max(self.now, deadline + (0.5 if how == "past-deadline" else 0.0))
        self.attempt("advance", now, now=now, expect=self.expect_clock(now))


FuzzMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    report_multiple_bugs=False,
    phases=PHASES,
)
TestRouterFuzz = FuzzMachine.TestCase


def test_a_new_contact_may_take_the_id_of_a_parked_turn_that_retention_forgot() -> None:
    """A contact submitted with the id of a parked conversation's turn, after retention, leaves _check() holding."""
    router = rk.Router(Skills(), retention=200.0)
    router.add_agent(rk.Agent(id="a0", capacity={"messaging": 1, "voice": 1}), 0.0)
    router.submit(rk.Contact(id="c0", customer=rk.Customer(id="u0"), channel="messaging"), 0.0)
    router.accept("c0", "a0", 1.0)
    router.await_customer("c0", 2.0)  # Skills holds nothing: parked at once, for the park TTL of a day
    with contextlib.suppress(rk.DuplicateIdError):
        router.submit(rk.Contact(id="c0", customer=rk.Customer(id="u1"), channel="voice"), 300.0)
    router._check()
