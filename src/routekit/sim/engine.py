"""The discrete-event simulator: it plays the platform around the very same :class:`~routekit.Router`.

The engine keeps a heap of ``(time, rank, seq)`` events and drives the router through its public API
only, as a platform would: it submits arrivals, lets agents accept offers after a delay (or reject them
with a probability), completes contacts after a handle time, abandons contacts when the customer's
patience runs out, plays the customer's replies in conversations, resubmits a denied contact on its
fallback channel with a probability, logs agents in and out by shift, and calls ``advance`` whenever the
router's next deadline comes before the next platform event. The KPIs come from the router's events
through :class:`~routekit.metrics.KpiCollector`, the code a platform would run on its live stream.

Randomness comes only from ``numpy.random.Generator`` streams spawned from one seed: each source of
randomness (each arrival stream, each channel's handle times, ...) has its own stream, drawn in
batches, so that the same scenario and seed give the same day, event for event.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Mapping
from heapq import heappop, heappush
from typing import Any, NamedTuple

import attrs
import numpy as np

from routekit.errors import RoutekitError, StateError, UnknownIdError, UnroutableContactError
from routekit.events import (
    EVENT_TYPES,
    Abandoned,
    AgentStatusChanged,
    Assigned,
    Completed,
    ContactQueued,
    ConversationClosed,
    CustomerReplied,
    Denied,
    Event,
    ExceptionFired,
    Offered,
    OfferExpired,
    OfferRescinded,
    Resumed,
)
from routekit.metrics import KpiCollector, KpiReport
from routekit.metrics.wait_estimates import WaitEstimateTallies, WaitEstimateTally
from routekit.models.agent import Agent, AgentStatus
from routekit.models.channel import Channel
from routekit.models.contact import Contact, trusted_contact
from routekit.models.customer import Customer
from routekit.policies.base import RoutingPolicy
from routekit.policies.tiers import fallback_contact
from routekit.router import ContactState, Router
from routekit.sim.arrivals import Arrivals, Draw, uniforms, variates
from routekit.sim.scenario import Scenario

__all__ = ["DayResult", "run_day"]

# Platform events at the same moment happen in this order: agents log in or out, agents finish work,
# agents answer offers, customers reply, customers give up, new contacts arrive.
_SHIFT, _HANDLED, _ANSWER, _REPLY, _PATIENCE, _ARRIVAL, _RETURN = range(7)

# Draws a censored patience may take, by rejection, before it falls back (see _Day.censored_patience).
_CENSORED_TRIES = 1000

# An offer as the agent answers it: (contact id, agent id, offered at, accepts).
_Offer = tuple[str, str, float, bool]

# A platform event in the heap: (time, rank, seq, action, argument). Each action takes one argument (a
# tuple where it needs several), so that the loop calls it without building and spreading *args.
_Entry = tuple[float, int, int, Callable[[Any], None], Any]

_WAITING, _OFFERED, _ASSIGNED = ContactState.WAITING, ContactState.OFFERED, ContactState.ASSIGNED
_STILL_WAITING = (_WAITING, _OFFERED)  # the states in which a customer can still give up

# Outside a submit: no contact, no share taking a fallback.
_NOT_SUBMITTING = ("", 0.0)

_INF = math.inf  # a module name: the loop reads it twice per event
# A wait estimator of the caller's own, measured beside the router's predictors: (router, contact id, now).
Estimator = Callable[[Router, str, float], "float | None"]

# Denials that trying later cannot change (who the customer is, what the roster can do): never retried.
_NOT_RETRIED = frozenset({"tier-gate", "unroutable"})


class _Retrial(NamedTuple):
    """A channel's customers who try again: the chance after abandoning and after a denial, the delay
    and coin draws, and how many later attempts one customer makes at most."""

    after_abandoning: float
    after_denial: float
    delay: Draw
    coin: Draw
    limit: int


@attrs.frozen(kw_only=True)
class DayResult:
    """One simulated run: its KPIs, how many customers arrived, and how many events the router returned.

    ``unroutable`` counts, by arrival stream (``"arrivals[2] voice billing>=2,spanish>=3"``), the contacts
    that no agent on the roster could ever serve: the router refused them at submit, and the run counts
    each as denied with reason ``unroutable``. ``exceptions`` counts the firings of each exception rule
    (``ExceptionFired``), by the rule's name.
    """

    report: KpiReport
    customers: int
    events: int
    ended_at: float
    unroutable: dict[str, int] = attrs.field(factory=dict)
    # Each measured wait predictor's tallies, by (predictor, channel, tier) (routekit.metrics.wait_estimates).
    wait_estimates: dict[tuple[str, Channel, str], WaitEstimateTally] = attrs.field(factory=dict)
    exceptions: dict[str, int] = attrs.field(factory=dict)


class _Day:
    """One simulated run. Mutable, single-use: it owns the router and the platform's side of the story."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int | np.random.SeedSequence,
        customers: int | None,
        policy: RoutingPolicy | None = None,
        estimators: Mapping[str, Estimator] | None = None,
    ) -> None:
        self.scenario = scenario
        self.estimators = dict(estimators or {})
        # Spawn from a copy: SeedSequence.spawn advances its parent, and the same seed must give the same day.
        sequence = (
            np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
            if isinstance(seed, np.random.SeedSequence)
            else np.random.SeedSequence(seed)
        )
        names = [f"arrivals{i}" for i in range(len(scenario.arrivals))]
        for name in scenario.channels:
            names += [f"{name}.handle", f"{name}.patience", f"{name}.accept", f"{name}.coin", f"{name}.turns"]
            names += [f"{name}.reply"]
        names.append("fallback")
        # Streams added later come last, so that every earlier stream (and so every earlier day) stays the same.
        for name in scenario.channels:
            names += [f"{name}.retrial", f"{name}.retrial_coin"]
        rngs = dict(zip(names, (np.random.default_rng(s) for s in sequence.spawn(len(names))), strict=True))
        self.arrivals = [
            Arrivals(s, scenario.run.start, rngs[f"arrivals{i}"]) for i, s in enumerate(scenario.arrivals)
        ]
        self.handle: dict[Channel, Draw] = {}
        self.patience: dict[Channel, Draw | None] = {}
        self.accept: dict[Channel, Draw] = {}
        self.coin: dict[Channel, Draw] = {}
        self.turns: dict[Channel, Draw | None] = {}
        self.reply: dict[Channel, Draw | None] = {}
        self.reject: dict[Channel, float] = {}
        self.retrial: dict[Channel, _Retrial] = {}
        for name, spec in scenario.channels.items():
            channel = spec.channel
            self.handle[channel] = variates(spec.handle_time, rngs[f"{name}.handle"])
            self.patience[channel] = variates(spec.patience, rngs[f"{name}.patience"]) if spec.patience else None
            self.accept[channel] = variates(spec.accept_delay, rngs[f"{name}.accept"])
            self.coin[channel] = uniforms(rngs[f"{name}.coin"])
            self.turns[channel] = variates(spec.turns, rngs[f"{name}.turns"]) if spec.turns else None
            self.reply[channel] = variates(spec.reply_delay, rngs[f"{name}.reply"]) if spec.reply_delay else None
            self.reject[channel] = spec.reject_probability
            if spec.retrial_delay is not None and (spec.retrial_probability or spec.denied_retrial_probability):
                self.retrial[channel] = _Retrial(
                    spec.retrial_probability,
                    spec.denied_retrial_probability,
                    variates(spec.retrial_delay, rngs[f"{name}.retrial"]),
                    uniforms(rngs[f"{name}.retrial_coin"]),
                    spec.max_retrials,
                )
        self.fallback_coin = uniforms(rngs["fallback"])
        chosen = policy if policy is not None else scenario.policy.build()
        # A simulated day reads no live statistics: keeping them would cost about a tenth of each contact.
        self.router = Router(
            chosen, **scenario.policy.router_settings(), **scenario.hours_settings(), live_statistics=False
        )
        capacity = {f"{group.name}-{i}": dict(group.capacity) for group in scenario.agents for i in range(group.count)}
        # The wait predictors measured at each first queueing; the router's default feeds the KPI rows.
        self.predictors = scenario.run.wait_estimates or (self.router.settings.wait_predictor,)
        self.default_predictor = self.router.settings.wait_predictor
        self.wait_tallies = WaitEstimateTallies()
        self.pending_estimates = self.wait_tallies.pending  # read on every offer and every finished contact
        self.kpis = KpiCollector(
            service_levels=scenario.service_levels(),
            warmup_contacts=scenario.run.warmup_customers,
            interval=scenario.run.interval,
            capacity=capacity,
        )
        limit = customers if customers is not None else scenario.run.customers
        self.limit: float = math.inf if limit is None else limit
        horizon = scenario.run.horizon
        self.horizon = math.inf if horizon is None else horizon
        self.end = math.inf if horizon is None else horizon + scenario.run.drain
        self.heap: list[_Entry] = []
        self.next_seq = itertools.count(1).__next__
        self.arrived = 0
        self.events = 0
        self.now = 0.0
        self.offers: dict[str, tuple[str, float]] = {}
        self.remaining_turns: dict[str, int] = {}
        # The turns of each open conversation, so that closing it forgets them all.
        self.turns_of: dict[str, list[str]] = {}
        self.contacts: dict[str, Contact] = {}
        self.on_shift: set[str] = set()
        # The contact being submitted and the share of its stream who take a fallback channel when gated:
        # a gate denies within submit's own call, so the share is kept only for the length of that call.
        self.submitting = _NOT_SUBMITTING
        self.immediate: deque[_Offer] = deque()
        # Per-contact handle times and patience from a trace, by contact id; empty without a trace.
        self.traced_handle: dict[str, float] = {}
        self.traced_patience: dict[str, float] = {}
        # Contacts refused at submit because nobody on the roster could serve them, by arrival stream.
        self.unroutable: dict[str, int] = {}
        self.exceptions: dict[str, int] = {}  # firings of each exception rule, by its name
        # Conversations a late reply restarted: how many times, by the first conversation's id.
        self.restarts: dict[str, int] = {}
        self.restarted: dict[str, str] = {}  # a restarted conversation's id to the first one's
        # A later attempt's contact id to the first attempt's id and how many retrials it is (1 for the first).
        self.attempt_of: dict[str, tuple[str, int]] = {}
        # Without conversations of several turns, a handled contact is simply completed, and a finished
        # one is simply forgotten: the scenario decides once which reactions the day needs.
        conversations = any(draw is not None for draw in self.turns.values())
        self.work_done = self.turn_handled if conversations else self.contact_handled
        reactions = _REACTIONS if conversations else {**_REACTIONS, **_SINGLE_TURN_REACTIONS}
        # With opening hours, a message sent while its channel is closed waits for the opening, and so does
        # its customer's patience: the day reads the opening off ContactQueued (only then: it costs a call).
        self.opens_at: dict[str, float] = {}
        if scenario.hours_settings():
            reactions = {**reactions, ContactQueued: _Day.on_queued}
        # For each event type, what the KPI collector does with it and how the platform reacts (if at all):
        # one look-up per event for both.
        self.handlers: dict[type, tuple[Callable[[Any], None], Callable[[Any], None] | None]] = {}
        for kind in EVENT_TYPES.values():
            reaction = reactions.get(kind)
            self.handlers[kind] = (self.kpis.observer(kind), None if reaction is None else reaction.__get__(self))

    # --------------------------------------------------------------------------------------- the loop

    def schedule(self, at: float, rank: int, action: Callable[[Any], None], argument: Any) -> None:
        heappush(self.heap, (at, rank, self.next_seq(), action, argument))

    def run(self) -> DayResult:
        self.staff()
        for arrivals in self.arrivals:
            first = arrivals.next_after(0.0)
            if first < self.horizon:
                self.schedule(first, _ARRIVAL, self.arrive, arrivals)
        for index in range(len(self.scenario.traces)):
            self.schedule_traced(index, 0)
        self.play()
        until = self.now if self.end == math.inf else self.end
        return DayResult(
            report=self.kpis.report(until),
            customers=self.arrived,
            events=self.events,
            ended_at=until,
            unroutable=dict(self.unroutable),
            wait_estimates=self.wait_tallies.tallies,
            exceptions=dict(self.exceptions),
        )

    def play(self) -> None:
        """Take the next platform event or router deadline, whichever comes first, until the run ends."""
        heap, pop, end = self.heap, heappop, self.end
        next_deadline, advance = self.router.next_deadline, self.router.advance
        while True:
            next_event = heap[0][0] if heap else _INF
            deadline = next_deadline()
            if deadline is not None and deadline < next_event:
                if deadline > end:
                    return
                self.now = deadline
                self.handle_events(advance(deadline))
                continue
            if next_event == _INF or next_event > end:
                return
            self.now, _, _, action, argument = pop(heap)
            action(argument)

    def call(self, method: Callable[..., list[Event]], *args: Any) -> list[Event] | None:
        """Call the router and handle its events, or the events a refused call carries (then ``None``).

        The per-contact paths (submit, answer, give_up, contact_handled) write this out and push their heap
        entries without ``schedule``: through these helpers the Erlang A day ran about 10% slower
        (``ab_sim.py``, 7 rounds each way).
        """
        try:
            events = method(*args)
        except RoutekitError as error:
            self.handle_events(error.events)
            return None
        self.handle_events(events)
        return events

    def handle_events(self, events: list[Event]) -> None:
        self.events += len(events)
        handlers = self.handlers
        for event in events:
            observe, react = handlers[type(event)]
            observe(event)
            if react is not None:
                react(event)
        # Agents who answer with no delay answer once the router's call is over, not in the middle of
        # reading its events: the same order a platform sees, without a trip through the heap.
        immediate = self.immediate
        while immediate:
            self.answer(immediate.popleft())

    # ------------------------------------------------------------------------------------------ agents

    def staff(self) -> None:
        start = self.scenario.run.start
        for group in self.scenario.agents:
            for i in range(group.count):
                agent = Agent(
                    id=f"{group.name}-{i}",
                    skills=group.skills,
                    capacity=group.capacity,
                    teams=group.teams,
                    wrap_up=group.wrap_up,
                )
                if group.staffing is not None:
                    self.call(self.router.add_agent, agent, 0.0, AgentStatus.OFFLINE)
                    self.staff_by_table(agent.id, i, group.staffing)
                    continue
                if group.shift is None:
                    self.call(self.router.add_agent, agent, 0.0, AgentStatus.AVAILABLE)
                    self.on_shift.add(agent.id)
                    continue
                self.call(self.router.add_agent, agent, 0.0, AgentStatus.OFFLINE)
                begin, finish = ((hour - start) * 3600.0 for hour in group.shift)
                if finish <= 0:
                    continue  # the shift ended before the run began: the agent never logs in
                self.schedule(max(begin, 0.0), _SHIFT, self.log_in, agent.id)
                self.schedule(finish, _SHIFT, self.log_out, agent.id)

    def log_in(self, agent_id: str) -> None:
        self.on_shift.add(agent_id)
        self.call(self.router.set_status, agent_id, AgentStatus.AVAILABLE, self.now)

    def log_out(self, agent_id: str) -> None:
        self.on_shift.discard(agent_id)
        self.call(self.router.set_status, agent_id, AgentStatus.OFFLINE, self.now)

    def come_back(self, agent_id: str) -> None:
        if agent_id in self.on_shift:
            self.call(self.router.set_status, agent_id, AgentStatus.AVAILABLE, self.now)

    def staff_by_table(self, agent_id: str, rank: int, staffing: tuple[tuple[float, int], ...]) -> None:
        """Log the group's agent number ``rank`` in while a staffing row asks for more than ``rank`` agents.

        The agents with the highest numbers log out first when a row asks for fewer, so that each agent's
        time logged in is as few stretches as the table allows.
        """
        logged_in = False
        for start, agents in staffing:
            if (rank < agents) != logged_in:
                logged_in = not logged_in
                self.schedule(start, _SHIFT, self.log_in if logged_in else self.log_out, agent_id)

    # ---------------------------------------------------------------------------------------- contacts

    def arrive(self, arrivals: Arrivals) -> None:
        if self.arrived >= self.limit:
            return  # another stream brought the last customer; this one stops too
        self.arrived = n = self.arrived + 1
        now = self.now
        if n < self.limit:
            gap = arrivals.steady_gap  # next_after's own shortcut, taken here without the call
            later = now + gap() if gap is not None else arrivals.next_after(now)
            if later < self.horizon:
                heappush(self.heap, (later, _ARRIVAL, self.next_seq(), self.arrive, arrivals))
        customer = arrivals.only_customer
        if customer is None:
            customer = arrivals.customer(arrivals.tier())
        else:
            arrivals.tier_draw()  # drawn all the same: the arrival gaps' batches come from the same generator
        stream = arrivals.stream
        # id, customer, channel, skills, priority, head start, arrived at: by position, the cheaper call
        contact = trusted_contact(
            f"{arrivals.id_prefix}{n}", customer, stream.channel, stream.skills, stream.priority, stream.head_start, now
        )
        self.submit(contact, stream.fallback_probability)

    def schedule_traced(self, index: int, k: int) -> None:
        """Schedule record ``k`` of trace ``index``, if there is one and it arrives before the horizon."""
        records = self.scenario.traces[index].records
        if k < len(records) and records[k].arrival < self.horizon:
            self.schedule(records[k].arrival, _ARRIVAL, self.arrive_traced, (index, k))

    def arrive_traced(self, record_at: tuple[int, int]) -> None:
        """Submit a trace's record, given as (trace index, record number), with its own handle time and patience."""
        if self.arrived >= self.limit:
            return
        index, k = record_at
        trace = self.scenario.traces[index]
        record = trace.records[k]
        self.arrived += 1
        n = self.arrived
        if n < self.limit:
            self.schedule_traced(index, k + 1)
        channel = record.channel
        contact = Contact(
            id=f"{channel.value}-{n}",
            customer=Customer(id=f"u-{n}", tier=record.tier),
            channel=channel,
            skills=record.skills,
            priority=record.priority,
            head_start=record.head_start,
            arrived_at=self.now,
        )
        if record.handle_time is not None:
            self.traced_handle[contact.id] = record.handle_time
        if trace.use_patience and record.patience is not None:
            self.traced_patience[contact.id] = (
                self.censored_patience(channel, record.patience) if record.patience_censored else record.patience
            )
        self.submit(contact, 1.0)
        self.traced_patience.pop(contact.id, None)  # unused when the contact did not wait

    def censored_patience(self, channel: Channel, above: float) -> float:
        """A patience known only to exceed ``above``: the channel's draw conditioned to exceed it.

        Drawn by rejection from the channel's patience stream. Without a channel patience, the customer
        waits as long as it takes. When 1,000 draws in a row do not exceed ``above`` (a bound deep in the
        tail), the patience is ``above`` plus one more draw, as if patience were memoryless past it.
        """
        draw = self.patience[channel]
        if draw is None:
            return math.inf
        for _ in range(_CENSORED_TRIES):
            value = draw()
            if value > above:
                return value
        return above + draw()

    def submit(self, contact: Contact, fallback_probability: float) -> None:
        contact_id = contact.id
        self.contacts[contact_id] = contact
        self.submitting = (contact_id, fallback_probability)
        try:
            events = self.router.submit(contact, self.now)
        except RoutekitError as error:
            self.handle_events(error.events)
            self.submitting = _NOT_SUBMITTING
            del self.contacts[contact_id]
            self.remaining_turns.pop(contact_id, None)
            if isinstance(error, UnroutableContactError):
                self.deny_unroutable(contact)
            return
        self.handle_events(events)
        self.submitting = _NOT_SUBMITTING
        self.start_contact(contact)

    def deny_unroutable(self, contact: Contact) -> None:
        """Count a contact nobody on the roster can serve as denied, under the stream it came from.

        The router refuses it at submit with an error rather than an event (a platform must hear at
        once that its roster cannot take the contact); the day still owes the customer a place in the
        KPIs, so the platform's side records the denial a live host would log.
        """
        self.kpis.observe(
            Denied(
                at=self.now,
                contact_id=contact.id,
                channel=contact.channel,
                tier=contact.customer.tier,
                reason="unroutable",
                rule="",
            )
        )
        stream = self.stream_of(contact)
        self.unroutable[stream] = self.unroutable.get(stream, 0) + 1

    def stream_of(self, contact: Contact) -> str:
        """The arrival stream a contact's needs come from, as ``arrivals[i] channel skills``."""
        needs = ",".join(f"{skill}>={level}" for skill, level in contact.skills.items()) or "any skill"
        generated = [i for i, entry in enumerate(self.scenario.source.get("arrivals", ())) if "trace" not in entry]
        for i, stream in zip(generated, self.scenario.arrivals, strict=True):
            if stream.channel is contact.channel and dict(stream.skills) == dict(contact.skills):
                return f"arrivals[{i}] {contact.channel.value} {needs}"
        for trace in self.scenario.traces:
            if contact.channel in trace.channels:
                return f"arrivals[{trace.index}] (trace) {contact.channel.value} {needs}"
        return f"{contact.channel.value} {needs}"

    def start_contact(self, contact: Contact) -> None:
        contact_id = contact.id
        channel = contact.channel
        turns = self.turns[channel]
        if turns is not None and contact.conversation == contact_id and contact_id not in self.remaining_turns:
            self.remaining_turns[contact_id] = max(1, round(turns()))
        state = self.router.state(contact_id)
        if state == _WAITING:
            expected_wait, now = self.router.expected_wait, self.now
            estimates = {name: expected_wait(contact_id, now, predictor=name) for name in self.predictors}
            for name, estimator in self.estimators.items():
                estimates[name] = estimator(self.router, contact_id, now)
            if self.default_predictor in estimates:
                estimate = estimates[self.default_predictor]
            else:
                estimate = expected_wait(contact_id, now)
            if estimate is not None:
                self.kpis.observe_estimate(contact_id, estimate)
            if self.arrived > self.scenario.run.warmup_customers:
                self.wait_tallies.queued(contact_id, channel, contact.customer.tier, now, estimates)
        elif state != _OFFERED:
            return  # already with an agent (or denied): the customer waits for nobody
        traced = self.traced_patience.pop(contact_id, None) if self.traced_patience else None
        starts = self.opens_at.pop(contact_id, self.now) if self.opens_at else self.now
        if traced is not None:
            if traced < math.inf:
                self.schedule(starts + traced, _PATIENCE, self.give_up, contact_id)
            return
        patience = self.patience[channel]
        if patience is not None:
            heappush(self.heap, (starts + patience(), _PATIENCE, self.next_seq(), self.give_up, contact_id))

    def give_up(self, contact_id: str) -> None:
        if self.router.state(contact_id) in _STILL_WAITING:
            contact = self.contacts.get(contact_id)
            try:
                events = self.router.abandon(contact_id, self.now)
            except RoutekitError as error:
                events = error.events
            self.handle_events(events)
            if contact is not None and contact.channel in self.retrial:
                retrial = self.retrial[contact.channel]
                self.try_again(contact, retrial.after_abandoning)

    def try_again(self, contact: Contact, probability: float) -> None:
        """With ``probability``, the customer of ``contact`` tries again after the channel's retrial delay.

        The later attempt is a new contact, ``<first attempt>-t<n>``, with the customer, skills and priority
        of the first and its own arrival time; the KPIs count it in ``retrials`` as well. No attempt comes
        after ``max_retrials`` of them, nor at or after the run's horizon (as no arrival does).
        """
        retrial = self.retrial[contact.channel]
        first, n = self.attempt_of.pop(contact.id, (contact.id, 0))
        if n >= retrial.limit or retrial.coin() >= probability:
            return
        at = self.now + retrial.delay()
        if at < self.horizon:
            self.schedule(at, _ARRIVAL, self.retry, (contact, first, n + 1))

    def retry(self, attempt: tuple[Contact, str, int]) -> None:
        """Submit a customer's later attempt, given as (the last attempt, the first one's id, its number)."""
        last, first, n = attempt
        contact = self.again(last, f"{first}-t{n}")
        self.attempt_of[contact.id] = (first, n)
        turns = self.remaining_turns.get(last.id)
        if turns is not None:
            self.remaining_turns[contact.id] = turns
        self.kpis.observe_retrial(contact.id)
        self.submit(contact, 1.0)

    def answer(self, offer: _Offer) -> None:
        contact_id, agent_id, offered_at, accept = offer
        if self.offers.get(contact_id) != (agent_id, offered_at):
            return  # the offer ended before the agent answered (expired, rescinded)
        method = self.router.accept if accept else self.router.reject
        try:
            events = method(contact_id, agent_id, self.now)
        except RoutekitError as error:
            events = error.events
        self.handle_events(events)

    def contact_handled(self, contact_id: str) -> None:
        """The agent is done with a contact of one turn: it completes (refused if it ended some other way).

        Without a look at its state first: in a day of single turns nothing but this ends an assigned
        contact, so the look would cost a call per contact and the refusal never comes.
        """
        try:
            events = self.router.complete(contact_id, self.now)
        except RoutekitError as error:
            events = error.events
        self.handle_events(events)

    def turn_handled(self, contact_id: str) -> None:
        """The agent is done with a turn: the conversation awaits the customer's reply, or it completes."""
        if self.router.state(contact_id) != _ASSIGNED:
            return
        contact = self.contacts[contact_id]
        conversation = contact.conversation
        left = self.remaining_turns.get(conversation, 1) - 1
        if left > 0:
            self.remaining_turns[conversation] = left
            self.call(self.router.await_customer, contact_id, self.now)
            reply = self.reply[contact.channel]
            assert reply is not None
            self.schedule(self.now + reply(), _REPLY, self.customer_writes, (conversation, contact, left))
        else:
            self.call(self.router.complete, contact_id, self.now)

    def customer_writes(self, reply: tuple[str, Contact, int]) -> None:
        """The customer writes again in a conversation, given as (its id, its last turn, turns left)."""
        conversation_id, turn, left = reply
        try:
            events = self.router.customer_replied(conversation_id, self.now)
        except (StateError, UnknownIdError) as error:
            # The conversation closed (park TTL), or the router has even forgotten it (retention): the
            # customer is still there and writes all the same, so the message opens a new conversation.
            self.handle_events(error.events)
            self.restart(conversation_id, turn, left)
            return
        self.handle_events(events)
        for event in events:
            if isinstance(event, CustomerReplied):
                channel = self.contacts[event.contact_id].channel
                self.schedule(self.now + self.handle[channel](), _HANDLED, self.work_done, event.contact_id)
            elif isinstance(event, Resumed) and event.contact_id in self.contacts:
                self.start_contact(self.contacts[event.contact_id])

    def restart(self, conversation_id: str, turn: Contact, left: int) -> None:
        """Open ``<first conversation>-r<n>`` for a reply to a closed conversation, with the turns left.

        It is a new contact (counted in ``offered``) whose service-level clock starts now, with the
        customer, channel, skills and priority of the conversation it continues.
        """
        first = self.restarted.get(conversation_id, conversation_id)
        n = self.restarts[first] = self.restarts.get(first, 0) + 1
        contact = self.again(turn, f"{first}-r{n}")
        self.restarted[contact.id] = first
        self.remaining_turns[contact.id] = left
        self.submit(contact, 1.0)

    def again(self, earlier: Contact, contact_id: str) -> Contact:
        """The same customer coming again now, as a new contact ``contact_id``: the customer, channel,
        skills, priority and head start of ``earlier``, its own arrival time, and no conversation of old."""
        return Contact(
            id=contact_id,
            customer=earlier.customer,
            channel=earlier.channel,
            skills=earlier.skills,
            priority=earlier.priority,
            head_start=earlier.head_start,
            arrived_at=self.now,
        )

    def resubmit(self, denial: Denied) -> None:
        contact = self.contacts.pop(denial.contact_id)
        self.submit(fallback_contact(contact, denial, f"{denial.contact_id}-fb"), 1.0)

    # ------------------------------------------------------------------------------ reacting to events

    def on_offered(self, event: Offered) -> None:
        contact_id, agent_id, at = event.contact_id, event.agent_id, event.at
        self.offers[contact_id] = (agent_id, at)
        if self.pending_estimates:
            self.wait_tallies.offered(contact_id, at)
        channel = self.contacts[contact_id].channel
        reject = self.reject[channel]
        offer = (contact_id, agent_id, at, reject == 0.0 or self.coin[channel]() >= reject)
        delay = self.accept[channel]()
        if delay == 0.0:
            self.immediate.append(offer)
        else:
            heappush(self.heap, (at + delay, _ANSWER, self.next_seq(), self.answer, offer))

    def on_queued(self, event: ContactQueued) -> None:
        if event.arrived_at > event.at:  # waiting for its channel to open: patience starts then
            self.opens_at[event.contact_id] = event.arrived_at

    def on_offer_ended(self, event: OfferExpired | OfferRescinded) -> None:
        self.offers.pop(event.contact_id, None)

    def on_assigned(self, event: Assigned) -> None:
        contact_id = event.contact_id
        self.offers.pop(contact_id, None)
        traced = self.traced_handle.pop(contact_id, None) if self.traced_handle else None
        handle = self.handle[self.contacts[contact_id].channel]() if traced is None else traced
        heappush(self.heap, (event.at + handle, _HANDLED, self.next_seq(), self.work_done, contact_id))

    def on_finished(self, event: Completed | Abandoned) -> None:
        self.offers.pop(event.contact_id, None)
        if self.pending_estimates:
            self.wait_tallies.forget(event.contact_id)
        contact = self.contacts.get(event.contact_id)
        if contact is not None and contact.conversation not in self.remaining_turns:
            del self.contacts[event.contact_id]

    def on_single_turn_finished(self, event: Completed | Abandoned) -> None:
        """on_finished when no contact is a turn of a longer conversation: the contact is simply forgotten."""
        self.offers.pop(event.contact_id, None)
        if self.pending_estimates:
            self.wait_tallies.forget(event.contact_id)
        self.contacts.pop(event.contact_id, None)

    def on_denied(self, event: Denied) -> None:
        if self.pending_estimates:
            self.wait_tallies.forget(event.contact_id)
        if event.contact_id not in self.contacts:
            return
        submitted, share = self.submitting
        if submitted != event.contact_id:
            share = 0.0  # denied outside its own submit: nobody takes a fallback
        if event.fallback is not None and self.fallback_coin() < share:
            self.schedule(event.at, _ARRIVAL, self.resubmit, event)
            return
        contact = self.contacts.pop(event.contact_id)  # denied for good: the customer goes elsewhere
        retrial = self.retrial.get(event.channel)
        if retrial is not None and event.fallback is None and event.reason not in _NOT_RETRIED:
            self.try_again(contact, retrial.after_denial)

    def on_closed(self, event: ConversationClosed) -> None:
        conversation = event.conversation_id
        self.remaining_turns.pop(conversation, None)
        for contact_id in self.turns_of.pop(conversation, [conversation]):
            self.contacts.pop(contact_id, None)

    def on_resumed(self, event: Resumed) -> None:
        # The new turn's own events (ContactQueued, Offered) follow in the same list: register it first.
        self.contacts[event.contact_id] = self.router.contact(event.contact_id)
        self.turns_of.setdefault(event.conversation_id, [event.conversation_id]).append(event.contact_id)

    def on_status(self, event: AgentStatusChanged) -> None:
        # A missed offer sets the agent away; the simulated agent notices and is back after 30 seconds.
        if event.status == AgentStatus.AWAY and event.agent_id in self.on_shift:
            self.schedule(event.at + 30.0, _RETURN, self.come_back, event.agent_id)

    def on_exception(self, event: ExceptionFired) -> None:
        self.exceptions[event.rule] = self.exceptions.get(event.rule, 0) + 1


_REACTIONS: dict[type, Callable[[_Day, Any], None]] = {
    Offered: _Day.on_offered,
    OfferExpired: _Day.on_offer_ended,
    OfferRescinded: _Day.on_offer_ended,
    Assigned: _Day.on_assigned,
    Completed: _Day.on_finished,
    Abandoned: _Day.on_finished,
    Denied: _Day.on_denied,
    ConversationClosed: _Day.on_closed,
    AgentStatusChanged: _Day.on_status,
    Resumed: _Day.on_resumed,
    ExceptionFired: _Day.on_exception,
}

# The reactions that differ in a day without conversations of several turns.
_SINGLE_TURN_REACTIONS: dict[type, Callable[[_Day, Any], None]] = {
    Completed: _Day.on_single_turn_finished,
    Abandoned: _Day.on_single_turn_finished,
}


def run_day(
    scenario: Scenario,
    seed: int | np.random.SeedSequence = 0,
    *,
    customers: int | None = None,
    policy: RoutingPolicy | None = None,
    estimators: Mapping[str, Estimator] | None = None,
) -> DayResult:
    """Simulate one run of a scenario and return its KPIs.

    Args:
        scenario: What to simulate.
        seed: The seed (or a spawned ``SeedSequence``) every random draw comes from.
        customers: Stop arrivals after this many customers (overrides ``[run] customers``).
        policy: Run this policy (your own, say) instead of the one the scenario's ``[policy]`` describes;
            the router settings still come from ``[policy.router]``.
        estimators: Wait estimators of your own to measure beside ``run.wait_estimates``, by name: each is
            called as ``estimator(router, contact_id, now)`` when a contact first waits, and its estimate
            (or ``None``) is scored in ``DayResult.wait_estimates`` as the predictors' are.

    Returns:
        The run's KPI report, with how many customers arrived and how many router events there were.
    """
    return _Day(scenario, seed, customers, policy, estimators).run()
