"""The router: the one owner of mutable routing state.

Every state-changing call takes ``now`` and returns events.

Waiting contacts sit in a :class:`~routekit.queues.ContactQueue` per stage target and available agents in an
:class:`~routekit.queues.AgentPool` per target, so a submit, a completion or a status change costs
O(log n) in the waiting contacts and agents, plus the number of distinct targets an agent matches.

Matching keeps one invariant, *stability*: after every call, no waiting contact has an eligible agent
that is not barred from it by a re-offer delay. A call that frees an agent or queues a contact marks them
*dirty*; the dispatch loop then repeatedly offers the best waiting contact (by queue key) that has an
eligible agent to that contact's best agent (by selection key), looking only at dirty contacts and at the
best contact of each dirty agent, since by stability no other pair can have become possible.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import attrs

from routekit._slot_init import slot_builder
from routekit._timers import TimerKind, Timers
from routekit.errors import (
    ClockError,
    ConfigError,
    DuplicateIdError,
    OfferStateError,
    RoutekitError,
    StateError,
    UnknownIdError,
    UnroutableContactError,
)
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    ConversationClosed,
    CustomerReplied,
    Denied,
    Event,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    Parked,
    Reprioritized,
    Resumed,
    StageChanged,
    Transferred,
    WrapUpEnded,
)
from routekit.explanation import AgentVerdict, Decision, Explanation, PlanStage
from routekit.models.agent import Agent, AgentStatus
from routekit.models.channel import Channel, to_channel
from routekit.models.contact import Contact, Conversation
from routekit.models.customer import Customer
from routekit.policies.base import Denial, Plan, RoutingPolicy, Stage, Target
from routekit.policies.selection import Selection, longest_idle, selection_named
from routekit.queues import AgentPool, ContactQueue, QueueKey

__all__ = ["AgentSnapshot", "ContactState", "Router", "RouterSettings"]

SNAPSHOT_VERSION = 1

# The events built for every contact, from values the router has already checked, by position in field
# order: half the cost of a keyword call of the class (see routekit._slot_init.slot_builder).
_contact_queued = slot_builder(ContactQueued)
_offered = slot_builder(Offered)
_assigned = slot_builder(Assigned)
_completed = slot_builder(Completed)

# How many distinct plans the router remembers as indexed and routable before it starts over.
_READY_PLANS = 1024

DEFAULT_OFFER_TIMEOUT: dict[Channel, float] = {
    Channel.VOICE: 20.0,
    Channel.VIDEO: 20.0,
    Channel.CHAT: 30.0,
    Channel.MESSAGING: 60.0,
    Channel.EMAIL: 60.0,
    Channel.SMS: 60.0,
    Channel.SOCIAL: 60.0,
}


def _offer_timeouts(value: Mapping[Channel, float] | Mapping[str, float] | None) -> dict[Channel, float]:
    timeouts = dict(DEFAULT_OFFER_TIMEOUT)
    for channel, seconds in (value or {}).items():
        timeouts[to_channel(channel)] = float(seconds) if isinstance(seconds, int | float) else seconds
    return timeouts


def _check_offer_timeouts(instance: Any, attribute: Any, value: dict[Channel, float]) -> None:
    for channel, seconds in value.items():
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds <= 0:
            raise ConfigError(f"offer_timeout[{channel.value!r}] must be seconds > 0, got {seconds!r}")


def _check_seconds(instance: Any, attribute: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{attribute.name} must be a finite number of seconds >= 0, got {value!r}")


def _channels(value: Iterable[Channel | str] | None) -> frozenset[Channel]:
    if value is None:
        return frozenset(c for c in Channel if c.exclusive)
    return frozenset(to_channel(c) for c in value)


@attrs.frozen(kw_only=True)
class RouterSettings:
    """The router's settings, checked when the router is built.

    Args:
        offer_timeout: Seconds an offer rings per channel (defaults: 20 voice and video, 30 chat, 60 others).
        reoffer_delay: Seconds before a contact is offered again to an agent who rejected or missed it.
        wrap_up: Wrap-up seconds for channels an agent has no wrap-up time for.
        away_on_missed_offer: Whether an agent who lets an offer expire is set away.
        selection: The key that orders each agent pool.
        retention: Seconds a finished contact or closed conversation is remembered (for duplicate ids).
        exclusive: Channels an agent handles only with no other work (default voice and video).
        park_ttl: Seconds a parked conversation stays open when the policy names none.
        answer_window: How many recent answers per target the expected-wait estimate uses.
    """

    offer_timeout: dict[Channel, float] = attrs.field(
        factory=dict, converter=_offer_timeouts, validator=_check_offer_timeouts
    )
    reoffer_delay: float = attrs.field(default=30.0, validator=_check_seconds)
    wrap_up: float = attrs.field(default=0.0, validator=_check_seconds)
    away_on_missed_offer: bool = True
    selection: Selection = longest_idle
    retention: float = attrs.field(default=3600.0, validator=_check_seconds)
    exclusive: frozenset[Channel] = attrs.field(default=None, converter=_channels)
    park_ttl: float = attrs.field(default=86400.0, validator=_check_seconds)
    answer_window: int = attrs.field(default=20, validator=attrs.validators.ge(2))


# Who decided, at which stage, by which rule and selection, and when: (agent, stage, rule, selection, at).
_Decision = tuple[str | None, int | None, str | None, str | None, float | None]
_NO_DECISION: _Decision = (None, None, None, None, None)


class ContactState(StrEnum):
    """Where a live contact is: waiting in a queue, offered, assigned, or held awaiting the customer."""

    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    HELD = "held"


class _Work(StrEnum):
    OFFERED = "offered"
    ASSIGNED = "assigned"
    HELD = "held"
    WRAP_UP = "wrap-up"


@attrs.define(eq=False)
class _Agent:
    agent: Agent
    status: AgentStatus
    order: int
    idle_since: float
    last_offer_at: float = -math.inf
    work: dict[str, tuple[Channel, _Work]] = attrs.field(factory=dict)
    load: dict[Channel, int] = attrs.field(factory=dict)
    exclusive_work: int = 0
    offer: str | None = None
    # Every general target the agent matches, with its pool: refreshing the agent needs no look-up.
    targets: dict[Target, AgentPool] = attrs.field(factory=dict)
    wrap_up_timers: dict[str, int] = attrs.field(factory=dict)

    @property
    def busy(self) -> int:
        return len(self.work)

    def takes_offers(self) -> bool:
        """The agent-wide half of eligibility: available, no offer pending, no exclusive work in hand."""
        return self.status is _AVAILABLE and self.offer is None and not self.exclusive_work


class _Contact:
    """A live contact's routing state. A plain slotted class: one is built per contact, and a plain
    ``__init__`` costs less than attrs' with its defaults and post-init hook."""

    __slots__ = (
        "agent",
        "arrival",
        "clock_start",
        "contact",
        "decision",
        "hold_timer",
        "key",
        "offer_rule",
        "offer_timer",
        "offered_at",
        "plan",
        "priority",
        "seq",
        "stage",
        "stage_since",
        "stage_timer",
        "state",
        "target",
    )

    def __init__(
        self,
        contact: Contact,
        plan: Plan,
        stage: int,
        priority: int,
        arrival: float,
        seq: int,
        clock_start: float,
        state: ContactState = ContactState.WAITING,
        agent: str | None = None,
        offered_at: float = math.nan,
        stage_since: float = math.nan,
        offer_rule: tuple[int, str, str] | None = None,
        decision: _Decision | None = None,
    ) -> None:
        self.contact = contact
        self.plan = plan
        self.priority = priority
        self.arrival = arrival
        self.seq = seq
        self.clock_start = clock_start
        self.state = state
        self.agent = agent
        self.stage_timer: int | None = None
        self.offer_timer: int | None = None
        self.hold_timer: int | None = None
        self.offered_at = offered_at
        self.stage_since = stage_since
        self.offer_rule = offer_rule
        self.decision = decision
        self.move_to(stage)

    def move_to(self, stage: int, plan: Plan | None = None) -> None:
        """Go to ``stage`` (of a new ``plan`` when given); the current target and key are kept at hand."""
        if plan is not None:
            self.plan = plan
        self.stage = stage
        current = self.plan.stages[stage]
        # The current target and queue key, kept at hand because dispatch compares keys on every offer:
        # (-(priority + the stage's boost), arrival, seq). move_to and reprioritize keep them current.
        self.target: Target = current.target
        self.key: QueueKey = (-(self.priority + current.boost), self.arrival, self.seq)

    def reprioritize(self, priority: int) -> None:
        self.priority = priority
        self.move_to(self.stage)


class _ConversationStatus(StrEnum):
    ACTIVE = "active"
    PARKED = "parked"


# Enum members read on the routing paths, as module names: in CPython 3.11 reading a member off its class
# (``ContactState.WAITING``) costs about 0.1 µs against 0.01 µs for a module global, and each contact's
# path reads a dozen of them.
_WAITING, _OFFERED = ContactState.WAITING, ContactState.OFFERED
_ASSIGNED, _HELD = ContactState.ASSIGNED, ContactState.HELD
_WORK_OFFERED, _WORK_ASSIGNED, _WORK_HELD, _WORK_WRAP_UP = _Work.OFFERED, _Work.ASSIGNED, _Work.HELD, _Work.WRAP_UP
_ACTIVE, _PARKED = _ConversationStatus.ACTIVE, _ConversationStatus.PARKED
_AVAILABLE, _AWAY, _OFFLINE = AgentStatus.AVAILABLE, AgentStatus.AWAY, AgentStatus.OFFLINE
_OFFER_EXPIRY, _REOFFER_END, _STAGE_TIMEOUT = TimerKind.OFFER_EXPIRY, TimerKind.REOFFER_END, TimerKind.STAGE_TIMEOUT
_HOLD_EXPIRY, _WRAP_UP_END, _PARK_TTL = TimerKind.HOLD_EXPIRY, TimerKind.WRAP_UP_END, TimerKind.PARK_TTL
_INF, _NEG_INF = math.inf, -math.inf
# Channel.synchronous as a set: the property is a Python call, and submit asks it of every contact.
_SYNCHRONOUS = frozenset(channel for channel in Channel if channel.synchronous)


@attrs.define(eq=False)
class _Conversation:
    record: Conversation
    status: _ConversationStatus
    turn: str
    first: Contact
    ttl_timer: int | None = None


@attrs.frozen(kw_only=True)
class AgentSnapshot:
    """A read-only view of one agent for dashboards: presence, load and what is in hand."""

    agent_id: str
    status: AgentStatus
    load: dict[Channel, int]
    busy: int
    offer: str | None
    work: dict[str, str]
    idle_since: float


class Router:
    """Decides which agent handles which contact, and when, under a routing policy.

    Every state-changing call takes ``now`` (seconds), first fires the timers due at or before it, and
    returns the events that happened, in order. A refused call raises a
    :class:`~routekit.errors.RoutekitError` that carries those timer events as ``err.events`` and
    changes nothing else.

    Args:
        policy: Turns each contact into a plan of stages.
        settings: A :class:`RouterSettings`; or give its fields as keywords.

    >>> import routekit as rk
    >>> router = rk.Router(rk.policies.Skills())
    >>> _ = router.add_agent(rk.Agent(id="a-1", skills={"billing": 4}, capacity={"voice": 1}), 0.0)
    >>> contact = rk.Contact(id="c-1", customer=rk.Customer(id="u-1"), channel="voice", skills={"billing": 3})
    >>> [type(e).__name__ for e in router.submit(contact, 1.0)]
    ['ContactQueued', 'Offered']
    >>> router.accept("c-1", "a-1", 2.0)
    [Assigned(at=2.0, contact_id='c-1', agent_id='a-1', waited=1.0)]
    """

    def __init__(self, policy: RoutingPolicy, settings: RouterSettings | None = None, **kwargs: Any) -> None:
        if settings is not None and kwargs:
            raise ConfigError("give either settings or keyword settings, not both")
        if "selection" in kwargs and isinstance(kwargs["selection"], str):
            kwargs["selection"] = selection_named(kwargs["selection"])
        self.policy = policy
        self._settings = settings if settings is not None else RouterSettings(**kwargs)
        # Settings read on every contact, kept at hand (the settings are frozen).
        self._retention = self._settings.retention
        self._exclusive = self._settings.exclusive
        self._offer_timeout = self._settings.offer_timeout
        self._selection_key = self._settings.selection.key
        self._selection_name = self._settings.selection.name
        self._wrap_up = self._settings.wrap_up
        self._now = -math.inf
        self._seq = 0
        self._agent_order = 0
        self._timers = Timers()
        self._agents: dict[str, _Agent] = {}
        self._contacts: dict[str, _Contact] = {}
        self._conversations: dict[str, _Conversation] = {}
        self._finished: dict[str, str | None] = {}
        # A finished contact's outcome and its decision, kept apart (unpacking one into the other would cost
        # a tuple per contact that explain rarely reads).
        self._outcomes: dict[str, tuple[str, _Decision | None]] = {}
        self._decision_hook: Any = None
        # (when, id, whether the id is a conversation's), oldest first, to forget after the retention time.
        self._finished_order: deque[tuple[float, str, bool]] = deque()
        self._closed: dict[str, float] = {}
        self._queues: dict[Target, ContactQueue] = {}
        self._pools: dict[Target, AgentPool] = {}
        self._supply: dict[Target, int] = {}
        self._agent_queues: dict[str, dict[Target, None]] = {}
        self._bars: dict[str, dict[str, int]] = {}
        self._bars_by_agent: dict[str, dict[str, None]] = {}
        self._answers: dict[Target, deque[float]] = {}
        self._dirty_contacts: dict[str, None] = {}
        self._dirty_agents: dict[str, None] = {}
        # Plans already indexed (every target has its queue and pool) that some registered agent could
        # serve, by id (the plan is kept, so that its id stays its own). A policy that caches its plans
        # makes each later submit of the same plan skip both checks; any change to the roster clears it.
        self._ready_plans: dict[int, Plan] = {}

    # ----------------------------------------------------------------------------------------------- time

    @property
    def settings(self) -> RouterSettings:
        """The settings the router was built with; they do not change."""
        return self._settings

    @property
    def now(self) -> float:
        """The latest time the router was given (``-inf`` before the first call)."""
        return self._now

    def next_deadline(self) -> float | None:
        """The earliest pending timer's due time, or ``None``: when the host should call :meth:`advance`."""
        return self._timers.next_due()

    def advance(self, now: float) -> list[Event]:
        """Fire every timer due at or before ``now``, in order of due time, kind and setting.

        Raises:
            ClockError: ``now`` is earlier than the last time given, or not a finite number.
        """
        return self._begin(now)

    def _begin(self, now: float) -> list[Event]:
        if type(now) is not float:
            if isinstance(now, bool) or not isinstance(now, int | float):
                raise ClockError(f"now must be a finite number of seconds, got {now!r}")
            now = float(now)
        if not self._now <= now < _INF or now == _NEG_INF:  # NaN fails every comparison
            if not math.isfinite(now):
                raise ClockError(f"now must be a finite number of seconds, got {now!r}")
            raise ClockError(f"time went backwards: now={now!r} is before the last call at {self._now!r}")
        out: list[Event] = []
        heap = self._timers.heap
        if heap and heap[0][0] <= now:  # else nothing is due: most calls stop at this look
            timers = self._timers
            while (timer := timers.pop_due(now)) is not None:
                due, kind, payload, _ = timer
                self._now = due
                self._fire(due, kind, payload, out)
        self._now = now
        order = self._finished_order
        if order and order[0][0] <= now - self._retention:
            self._forget(now)
        return out

    def _forget(self, now: float) -> None:
        horizon = now - self._retention
        order = self._finished_order
        while order and order[0][0] <= horizon:
            _, some_id, conversation = order.popleft()
            if conversation:
                self._closed.pop(some_id, None)
                self._conversations.pop(some_id, None)
            else:
                self._finished.pop(some_id, None)
                self._outcomes.pop(some_id, None)

    @staticmethod
    def _refuse(error: RoutekitError, events: list[Event]) -> RoutekitError:
        error.events = events + error.events
        return error

    # --------------------------------------------------------------------------------------------- agents

    def add_agent(self, agent: Agent, now: float, status: AgentStatus = _AVAILABLE) -> list[Event]:
        """Register an agent with a presence status; an available agent is offered work at once.

        Returns:
            ``AgentStatusChanged``, then any ``Offered``.

        Raises:
            DuplicateIdError: An agent with that id is registered.
        """
        out = self._begin(now)
        now = self._now
        if agent.id in self._agents:
            raise self._refuse(DuplicateIdError(f"agent {agent.id!r} is already registered"), out)
        status = self._status(status, out)
        state = _Agent(agent=agent, status=status, order=self._agent_order, idle_since=now)
        self._agent_order += 1
        self._agents[agent.id] = state
        self._match_targets(state)
        out.append(AgentStatusChanged(at=now, agent_id=agent.id, status=status))
        self._refresh(state)
        self._dispatch(now, out)
        return out

    def update_agent(self, agent: Agent, now: float) -> list[Event]:
        """Change an agent's skills, teams, capacity or wrap-up at once; work in hand is never dropped.

        Returns:
            Any ``Offered``; ``Denied(reason="unroutable")`` for contacts nobody can serve now.

        Raises:
            UnknownIdError: No agent with that id is registered.
        """
        out = self._begin(now)
        now = self._now
        state = self._agents.get(agent.id)
        if state is None:
            raise self._refuse(UnknownIdError(f"unknown agent {agent.id!r}"), out)
        self._unmatch_targets(state)
        state.agent = agent
        self._match_targets(state)
        self._refresh(state)
        self._dispatch(now, out)
        self._deny_unroutable(now, out)
        return out

    def remove_agent(self, agent_id: str, now: float) -> list[Event]:
        """Unregister an agent with no work in hand.

        Returns:
            ``AgentStatusChanged(OFFLINE)``; ``StageChanged`` for contacts that waited for this agent alone;
            ``Denied(reason="unroutable")`` for contacts nobody can serve now; any ``Offered``.

        Raises:
            UnknownIdError: No agent with that id is registered.
            StateError: The agent has work: an offer, a contact, a held conversation or wrap-up.
        """
        out = self._begin(now)
        now = self._now
        state = self._agent(agent_id, out)
        if state.work:
            raise self._refuse(
                StateError(f"agent {agent_id!r} has work ({', '.join(sorted(state.work))}); it cannot be removed"),
                out,
            )
        out.append(AgentStatusChanged(at=now, agent_id=agent_id, status=_OFFLINE))
        state.status = _OFFLINE
        self._refresh(state)
        self._unmatch_targets(state)
        for contact_id in list(self._bars_by_agent.get(agent_id, ())):
            self._lift_bar(contact_id, agent_id)
        del self._agents[agent_id]
        self._leave_sticky_stages(agent_id, now, out)
        self._dispatch(now, out)
        self._deny_unroutable(now, out)
        return out

    def set_status(self, agent_id: str, status: AgentStatus, now: float) -> list[Event]:
        """Set an agent available, away (keeps work, gets no offers) or offline (also parks held turns).

        Returns:
            ``AgentStatusChanged``; ``OfferRescinded`` (away or offline); ``Parked`` for held conversations
            (offline); ``StageChanged`` for contacts that waited for this agent alone; any ``Offered``.
            Nothing when the status does not change.

        Raises:
            UnknownIdError: No agent with that id is registered.
        """
        out = self._begin(now)
        now = self._now
        state = self._agent(agent_id, out)
        status = self._status(status, out)
        if status == state.status:
            return out
        out.append(AgentStatusChanged(at=now, agent_id=agent_id, status=status))
        state.status = status
        if status == _AVAILABLE:
            state.idle_since = now
        else:
            if state.offer is not None:
                reason = "agent-away" if status == _AWAY else "agent-offline"
                self._rescind(self._contacts[state.offer], now, reason, out, requeue=True)
            if status == _OFFLINE:
                held = sorted(cid for cid, (_, kind) in state.work.items() if kind == _WORK_HELD)
                for contact_id in held:
                    self._park(self._contacts[contact_id], now, out)
        self._refresh(state)
        if status != _AVAILABLE:
            self._leave_sticky_stages(agent_id, now, out)
        self._dispatch(now, out)
        return out

    def end_wrap_up(self, agent_id: str, now: float) -> list[Event]:
        """End an agent's wrap-up early.

        Returns:
            ``WrapUpEnded`` for each contact in wrap-up, then any ``Offered``.

        Raises:
            UnknownIdError: No agent with that id is registered.
            StateError: The agent is not in wrap-up.
        """
        out = self._begin(now)
        now = self._now
        state = self._agent(agent_id, out)
        if not state.wrap_up_timers:
            raise self._refuse(StateError(f"agent {agent_id!r} is not in wrap-up"), out)
        for contact_id in list(state.wrap_up_timers):
            self._timers.cancel(state.wrap_up_timers[contact_id])
            self._end_wrap_up(state, contact_id, now, out)
        self._dispatch(now, out)
        return out

    # ------------------------------------------------------------------------------------------- contacts

    def submit(self, contact: Contact, now: float) -> list[Event]:
        """Route a new contact.

        Returns:
            ``ContactQueued``, then ``Offered`` if someone is free; or only ``Denied`` when the policy
            refuses it (with a ``reason``, the ``rule`` and a ``fallback`` channel).

        Raises:
            DuplicateIdError: The id is in use, or was used by a contact finished within the retention time.
            UnroutableContactError: No registered agent could ever serve the contact.
            UnknownIdError: The policy does not know the customer's tier.
        """
        out = self._begin(now)
        now = self._now
        if contact.id in self._contacts or contact.id in self._finished:
            raise self._refuse(DuplicateIdError(f"contact {contact.id!r} was already submitted"), out)
        conversation_id = contact.conversation if contact.channel not in _SYNCHRONOUS else None
        if conversation_id is not None and conversation_id in self._conversations:
            raise self._refuse(
                DuplicateIdError(f"conversation {conversation_id!r} is already open; a reply is customer_replied()"),
                out,
            )
        plan = self._plan(contact, now, out)
        if isinstance(plan, Denial):
            out.append(self._denied(contact, now, plan.reason, plan.rule, plan.fallback))
            self._finish(contact.id, now, None, f"denied: {plan.reason}", (None, None, plan.rule, None, now))
            return out
        ready = self._ready_plans
        if id(plan) not in ready:
            self._check_routable(contact, plan, out)
            for stage in plan.stages:
                self._ensure_target(stage.target)
            if len(ready) >= _READY_PLANS:
                ready.clear()  # a policy that builds a new plan each time must not grow this forever
            ready[id(plan)] = plan
        if conversation_id is not None:
            record = Conversation(
                id=conversation_id,
                customer=contact.customer,
                channel=contact.channel,
                turns=(contact.id,),
                context=contact.context,
            )
            self._conversations[conversation_id] = _Conversation(
                record=record, status=_ACTIVE, turn=contact.id, first=contact
            )
        cs = self._start(contact, plan, now, out, queue=False)
        if cs.state == _WAITING:
            # Nothing else changed since the last call left no waiting contact with an eligible agent
            # (the stability invariant), so the only possible offer is of this contact to its best
            # agent: make it without a trip through the queue.
            if self._dirty_agents or self._dirty_contacts:
                agent_id = None
                self._dirty_contacts[contact.id] = None  # let dispatch weigh it with the rest
            else:
                agent_id = self._best_agent_for(cs)
            if agent_id is None:
                self._queue(cs.target).push(contact.id, cs.key)
            else:
                self._offer(cs, agent_id, now, out, queued=False)
        if self._dirty_contacts or self._dirty_agents:  # the per-contact calls skip an empty dispatch
            self._dispatch(now, out)
        return out

    def accept(self, contact_id: str, agent_id: str, now: float) -> list[Event]:
        """The agent accepts the contact offered to them.

        Returns:
            ``Assigned``.

        Raises:
            OfferStateError: That agent holds no pending offer of that contact.
        """
        out = self._begin(now)
        now = self._now
        cs = self._pending_offer(contact_id, agent_id, out)
        state = self._agents[agent_id]
        self._timers.cancel(cs.offer_timer)
        if cs.stage_timer is not None:  # most plans have one stage, without a timer: spare the call
            self._timers.cancel(cs.stage_timer)
        cs.offer_timer = cs.stage_timer = None
        cs.state = _ASSIGNED
        state.offer = None
        state.work[contact_id] = (cs.contact.channel, _WORK_ASSIGNED)
        if contact_id in self._bars:
            self._drop_bars(contact_id)
        # The answer times behind expected_wait, the last answer_window of them per target.
        answers = self._answers.get(cs.target)
        if answers is None:
            answers = self._answers[cs.target] = deque(maxlen=self._settings.answer_window)
        answers.append(now)
        stage, rule, selection = cs.offer_rule or (cs.stage, cs.target.rule, None)
        cs.decision = (agent_id, stage, rule, selection, now)
        conversation = self._conversations.get(cs.contact.conversation) if self._conversations else None
        if conversation is not None and conversation.turn == contact_id:
            conversation.record = attrs.evolve(conversation.record, agents=(*conversation.record.agents, agent_id))
        out.append(_assigned(now, contact_id, agent_id, now - cs.clock_start))
        self._refresh(state)
        if self._dirty_contacts or self._dirty_agents:  # the per-contact calls skip an empty dispatch
            self._dispatch(now, out)
        return out

    def reject(self, contact_id: str, agent_id: str, now: float) -> list[Event]:
        """The agent rejects the contact offered to them; it goes back to its place in the queue.

        Returns:
            ``OfferRejected``, then any ``StageChanged`` and ``Offered``.

        Raises:
            OfferStateError: That agent holds no pending offer of that contact.
        """
        out = self._begin(now)
        now = self._now
        cs = self._pending_offer(contact_id, agent_id, out)
        out.append(OfferRejected(at=now, contact_id=contact_id, agent_id=agent_id))
        self._end_offer(cs, now, out, bar=True)
        self._dispatch(now, out)
        return out

    def complete(self, contact_id: str, now: float) -> list[Event]:
        """The agent finished the contact (or closed the conversation); wrap-up starts.

        Returns:
            ``Completed`` (and ``ConversationClosed`` for a conversation); ``WrapUpEnded`` follows when the
            wrap-up ends (none when it is 0), then any ``Offered``.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: The contact is not assigned (or held awaiting the customer).
        """
        out = self._begin(now)
        now = self._now
        cs = self._live_contact(contact_id, out)
        if cs.state is not _ASSIGNED and cs.state is not _HELD:
            raise self._refuse(StateError(f"contact {contact_id!r} is {cs.state.value}, not assigned"), out)
        agent_id = cs.agent
        assert agent_id is not None
        state = self._agents[agent_id]
        if cs.hold_timer is not None:  # only a held conversation has one: spare the call
            self._timers.cancel(cs.hold_timer)
        contact = cs.contact
        channel = contact.channel
        wrap_up = state.agent.wrap_up.get(channel, self._wrap_up)
        out.append(_completed(now, contact_id, agent_id, now + wrap_up))
        del self._contacts[contact_id]
        self._finish(contact_id, now, contact.conversation, "completed", cs.decision)
        if self._conversations:  # most days' contacts are calls: no conversation to look for
            self._close_conversation_of(contact, now, "completed", out)
        if wrap_up > 0:
            state.work[contact_id] = (channel, _WORK_WRAP_UP)
            state.wrap_up_timers[contact_id] = self._timers.set(now + wrap_up, _WRAP_UP_END, (agent_id, contact_id))
        else:
            self._release(state, contact_id, now)
        self._serve_next(state, now, out)
        if self._dirty_contacts or self._dirty_agents:  # the per-contact calls skip an empty dispatch
            self._dispatch(now, out)
        return out

    def abandon(self, contact_id: str, now: float) -> list[Event]:
        """The customer left before being served, or closed a held or parked conversation.

        Returns:
            Waiting: ``Abandoned``. Offered: ``OfferRescinded``, ``Abandoned``. Held or parked (give the
            turn's or the conversation's id): ``Abandoned``, ``ConversationClosed``. A conversation's waiting
            or offered turn also closes its conversation. Then any ``Offered``.

        Raises:
            UnknownIdError: Neither a live contact nor a parked conversation has that id.
            StateError: The contact is assigned (use ``complete``) or already finished.
        """
        out = self._begin(now)
        now = self._now
        cs = self._contacts.get(contact_id)
        if cs is None:
            conversation = self._parked_conversation(contact_id)
            if conversation is None:
                if contact_id in self._finished:
                    raise self._refuse(StateError(f"contact {contact_id!r} has already finished"), out)
                raise self._refuse(UnknownIdError(f"unknown contact {contact_id!r}"), out)
            self._timers.cancel(conversation.ttl_timer)
            out.append(Abandoned(at=now, contact_id=conversation.turn))
            self._close(conversation, now, "abandoned", out)
            return out
        if cs.state == _ASSIGNED:
            raise self._refuse(StateError(f"contact {contact_id!r} is assigned; use complete()"), out)
        if cs.state == _WAITING:
            self._queues[cs.target].remove(contact_id)
        elif cs.state == _OFFERED:
            self._rescind(cs, now, "abandoned", out, requeue=False)
        else:
            state = self._agents[cs.agent]  # type: ignore[index]
            self._timers.cancel(cs.hold_timer)
            self._release(state, contact_id, now)
            self._refresh(state)
        self._timers.cancel(cs.stage_timer)
        self._drop_bars(contact_id)
        del self._contacts[contact_id]
        out.append(Abandoned(at=now, contact_id=contact_id))
        self._finish(contact_id, now, cs.contact.conversation, "abandoned", cs.decision)
        if self._conversations:
            self._close_conversation_of(cs.contact, now, "abandoned", out)
        if self._dirty_contacts or self._dirty_agents:  # the per-contact calls skip an empty dispatch
            self._dispatch(now, out)
        return out

    def reprioritize(self, contact_id: str, priority: int, now: float) -> list[Event]:
        """Give a waiting contact a new base priority; its place in the queue follows.

        Returns:
            ``Reprioritized``, then any ``Offered``.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: The contact is not waiting.
        """
        out = self._begin(now)
        now = self._now
        cs = self._live_contact(contact_id, out)
        if cs.state != _WAITING:
            raise self._refuse(StateError(f"contact {contact_id!r} is {cs.state.value}, not waiting"), out)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise self._refuse(ConfigError(f"priority must be an integer, got {priority!r}"), out)
        queue = self._queues[cs.target]
        queue.remove(contact_id)
        cs.reprioritize(priority)
        queue.push(contact_id, cs.key)
        out.append(Reprioritized(at=now, contact_id=contact_id, priority=priority))
        self._dirty_contacts[contact_id] = None
        self._dispatch(now, out)
        return out

    def transfer(self, contact_id: str, now: float, target: Target | Plan | None = None) -> list[Event]:
        """Send an assigned contact back into routing with a new plan, keeping its original arrival time.

        Args:
            target: A target (a one-stage plan), a plan, or ``None`` to ask the policy for a new plan.

        Returns:
            ``Transferred``, ``ContactQueued``, then any ``Offered``.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: The contact is not assigned.
            UnroutableContactError: No registered agent could ever serve the new plan.
        """
        out = self._begin(now)
        now = self._now
        cs = self._live_contact(contact_id, out)
        if cs.state != _ASSIGNED:
            raise self._refuse(StateError(f"contact {contact_id!r} is {cs.state.value}, not assigned"), out)
        if target is None:
            plan = self._plan(cs.contact, now, out)
            if isinstance(plan, Denial):
                raise self._refuse(StateError(f"the policy denies contact {contact_id!r}: {plan.reason}"), out)
        elif isinstance(target, Target):
            plan = Plan([Stage(target=target)])
        else:
            plan = target
        self._check_routable(cs.contact, plan, out)
        agent_id = cs.agent
        assert agent_id is not None
        state = self._agents[agent_id]
        out.append(Transferred(at=now, contact_id=contact_id, agent_id=agent_id))
        self._release(state, contact_id, now)
        self._refresh(state)
        cs.move_to(0, plan)
        cs.agent, cs.state = None, _WAITING
        self._queued(cs, now, out)
        self._dispatch(now, out)
        return out

    # -------------------------------------------------------------------------------------- conversations

    def await_customer(self, contact_id: str, now: float) -> list[Event]:
        """The agent answered an asynchronous turn; hold the slot for the policy's hold time, then park.

        Returns:
            ``AwaitingCustomer`` (with ``hold_until``); only ``Parked`` when the policy holds nothing.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: Not an assigned conversation turn.
        """
        out = self._begin(now)
        now = self._now
        cs = self._live_contact(contact_id, out)
        if cs.state != _ASSIGNED or cs.contact.conversation not in self._conversations:
            raise self._refuse(
                StateError(f"contact {contact_id!r} is not an assigned conversation turn ({cs.state.value})"),
                out,
            )
        hold = self.policy.hold(cs.contact)
        agent_id = cs.agent
        assert agent_id is not None
        if hold is None or hold.hold <= 0:
            self._park(cs, now, out)
            self._dispatch(now, out)
            return out
        cs.state = _HELD
        self._agents[agent_id].work[contact_id] = (cs.contact.channel, _WORK_HELD)
        cs.hold_timer = self._timers.set(now + hold.hold, _HOLD_EXPIRY, (contact_id,))
        out.append(
            AwaitingCustomer(
                at=now,
                contact_id=contact_id,
                conversation_id=cs.contact.conversation,
                agent_id=agent_id,
                hold_until=now + hold.hold,
            )
        )
        return out

    def customer_replied(self, conversation_id: str, now: float) -> list[Event]:
        """The customer wrote in a conversation.

        Returns:
            Held: ``CustomerReplied`` (hold cancelled; the turn is assigned again). Waiting, offered or
            assigned: ``CustomerReplied``. Parked: ``Resumed``, ``ContactQueued`` for a new turn
            ``<conversation>#<n>`` whose service-level clock starts now, then any ``Offered`` (or
            ``Denied`` and ``ConversationClosed`` when nobody can serve it).

        Raises:
            UnknownIdError: No conversation has that id.
            StateError: The conversation is closed.
        """
        out = self._begin(now)
        now = self._now
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            raise self._refuse(UnknownIdError(f"unknown conversation {conversation_id!r}"), out)
        if conversation_id in self._closed:
            raise self._refuse(StateError(f"conversation {conversation_id!r} is closed"), out)
        if conversation.status == _ACTIVE:
            cs = self._contacts[conversation.turn]
            if cs.state == _HELD:
                self._timers.cancel(cs.hold_timer)
                cs.hold_timer = None
                cs.state = _ASSIGNED
                holder = self._agents[cs.agent]  # type: ignore[index]
                holder.work[cs.contact.id] = (cs.contact.channel, _WORK_ASSIGNED)
            out.append(CustomerReplied(at=now, conversation_id=conversation_id, contact_id=conversation.turn))
            return out
        record = conversation.record
        turn_id = f"{conversation_id}#{len(record.turns) + 1}"
        if turn_id in self._contacts or turn_id in self._finished:
            raise self._refuse(DuplicateIdError(f"the next turn's id {turn_id!r} is already in use"), out)
        turn = attrs.evolve(
            conversation.first,
            id=turn_id,
            arrived_at=now,
            head_start=0.0,
            conversation_id=conversation_id,
            context=record.context,
            served_by=record.agents,
        )
        plan = self._plan(turn, now, out)
        self._timers.cancel(conversation.ttl_timer)
        conversation.ttl_timer = None
        conversation.status = _ACTIVE
        conversation.turn = turn_id
        conversation.record = attrs.evolve(record, turns=(*record.turns, turn_id))
        out.append(
            Resumed(at=now, conversation_id=conversation_id, contact_id=turn_id, last_agent_id=record.last_agent)
        )
        if isinstance(plan, Denial) or not self._routable(turn, plan):
            reason, rule, fallback = (
                (plan.reason, plan.rule, plan.fallback)
                if isinstance(plan, Denial)
                else ("unroutable", plan.stages[0].target.rule, None)
            )
            out.append(self._denied(turn, now, reason, rule, fallback))
            self._finish(turn_id, now, conversation_id, f"denied: {reason}", (None, None, rule, None, now))
            self._close(conversation, now, reason, out)
            return out
        self._start(turn, plan, now, out)
        self._dispatch(now, out)
        return out

    def conversation(self, conversation_id: str) -> Conversation:
        """A conversation's history (turns, agents who served it, context), for the agent's screen.

        Raises:
            UnknownIdError: No conversation has that id (or it was forgotten after the retention time).
        """
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            raise UnknownIdError(f"unknown conversation {conversation_id!r}")
        return conversation.record

    # ---------------------------------------------------------------------------------------- read views

    def contact(self, contact_id: str) -> Contact:
        """A live contact as submitted (with its conversation history for a reply turn).

        Raises:
            UnknownIdError: The contact is not live.
        """
        cs = self._contacts.get(contact_id)
        if cs is None:
            raise UnknownIdError(f"unknown contact {contact_id!r}")
        return cs.contact

    def state(self, contact_id: str) -> ContactState | None:
        """Where a live contact is, or ``None`` when it is not live (finished or unknown)."""
        cs = self._contacts.get(contact_id)
        return None if cs is None else cs.state

    def position(self, contact_id: str) -> int | None:
        """The 0-based place of a waiting contact in its current queue, ``None`` when it is not waiting."""
        cs = self._contacts.get(contact_id)
        if cs is None or cs.state is not _WAITING:
            return None
        return self._place(cs)

    def _place(self, cs: _Contact) -> int:
        queue = self._queues.get(cs.target)
        if queue is None:
            return 0
        # The contacts ahead of its key: its place when queued (the key it is queued under is cs.key), and
        # the place it would take while submit offers it straight to an agent.
        return queue.place_of(cs.key)

    def waiting(self) -> list[str]:
        """Every waiting contact, in service order across all queues. O(n log targets)."""
        queues = [
            ((cs.key, cid) for cid in queue for cs in (self._contacts[cid],))
            for queue in self._queues.values()
            if len(queue)
        ]
        return [cid for _, cid in heapq.merge(*queues)]

    def agent_state(self, agent_id: str) -> AgentSnapshot:
        """An agent's presence, load and work in hand.

        Raises:
            UnknownIdError: No agent with that id is registered.
        """
        state = self._agents.get(agent_id)
        if state is None:
            raise UnknownIdError(f"unknown agent {agent_id!r}")
        return AgentSnapshot(
            agent_id=agent_id,
            status=state.status,
            load={channel: n for channel, n in state.load.items() if n},
            busy=state.busy,
            offer=state.offer,
            work={cid: kind.value for cid, (_, kind) in state.work.items()},
            idle_since=state.idle_since,
        )

    def agents(self) -> list[str]:
        """The ids of the registered agents, in registration order."""
        return list(self._agents)

    def expected_wait(self, contact_id: str, now: float) -> float | None:
        """An estimate of how much longer a waiting contact will wait, in seconds.

        The estimate is the contact's place in its queue, plus one, divided by the rate at which contacts
        of its current target were answered recently (over the last ``answer_window`` answers, up to
        ``now``). It is ``None`` when the contact is not waiting or the target has fewer than two answers
        on record. It reads no state it changes and fires no timers.
        """
        cs = self._contacts.get(contact_id)
        if cs is None or cs.state is not _WAITING:
            return None
        answers = self._answers.get(cs.target)
        if answers is None or len(answers) < 2:
            return None
        span = max(now, answers[-1]) - answers[0]
        if span <= 0:
            return 0.0
        rate = (len(answers) - 1) / span
        return (self._place(cs) + 1) / rate

    def explain(self, contact_id: str, now: float | None = None) -> Explanation:
        """Why a contact is where it is: its plan, stage, place, and every agent's standing. O(agents).

        For a waiting or offered contact: the plan, the active stage and when it ends, the place in the
        queue and the contacts ahead, and for every registered agent either eligible (ranked by the
        selection key, with the terms it orders by) or the first reason that rules the agent out. For an
        assigned, held or finished contact: the decision that was made and the rule that made it.
        It reads state, fires no timers and changes nothing; it is never on the routing path.

        Args:
            contact_id: A live contact, or one finished within the retention time.
            now: The time to report (default: the router's current time); timers are not fired.

        Raises:
            UnknownIdError: The contact is not known (or was forgotten after the retention time).
        """
        at = self._now if now is None else float(now)
        cs = self._contacts.get(contact_id)
        if cs is None:
            outcome = self._outcomes.get(contact_id)
            if outcome is None:
                raise UnknownIdError(f"unknown contact {contact_id!r}")
            return Explanation(contact_id=contact_id, at=at, state="finished", decision=_decision(outcome))
        plan = tuple(
            PlanStage(stage=i, rule=stage.target.rule, timeout=stage.timeout) for i, stage in enumerate(cs.plan.stages)
        )
        if cs.state in (_ASSIGNED, _HELD):
            return Explanation(
                contact_id=contact_id,
                at=at,
                state=cs.state.value,
                plan=plan,
                decision=_decision((cs.state.value, cs.decision)),
            )
        timeout = cs.plan.stages[cs.stage].timeout
        position = self.position(contact_id)
        ahead: tuple[str, ...] = ()
        if position is not None:
            queue = self._queues[cs.target]
            ahead = tuple(cid for _, cid in zip(range(position), queue, strict=False))
        verdicts = [self._verdict(state, cs) for state in self._agents.values()]
        ranked = sorted((v for v in verdicts if v[0] is None), key=lambda v: (v[1], v[2].agent.id))
        rank = {v[2].agent.id: i + 1 for i, v in enumerate(ranked)}
        return Explanation(
            contact_id=contact_id,
            at=at,
            state=cs.state.value,
            plan=plan,
            stage=cs.stage,
            stage_ends_at=None if timeout is None else cs.stage_since + timeout,
            position=position,
            ahead=ahead,
            agents=tuple(
                AgentVerdict(
                    agent_id=state.agent.id,
                    eligible=reason is None,
                    reason=reason,
                    rank=rank.get(state.agent.id),
                    terms=self._terms(state, cs.target) if reason is None else {},
                )
                for reason, _, state in verdicts
            ),
        )

    def _verdict(self, state: _Agent, cs: _Contact) -> tuple[str | None, tuple[Any, ...], _Agent]:
        """The first reason ``state``'s agent cannot take ``cs`` now (``None``: eligible), and its key."""
        target = cs.target
        agent = state.agent
        channel = target.channel
        reason: str | None = None
        wrap_up = {cid: self._timers.due_of(seq) for cid, seq in state.wrap_up_timers.items()}
        exclusive = self.settings.exclusive
        if cs.state == _OFFERED and cs.agent == agent.id:
            reason = f"offered this contact (expires at t={_t(self._timers.due_of(cs.offer_timer))})"
        elif state.status != _AVAILABLE:
            reason = state.status.value
        elif (why := target.why_not(agent)) is not None:
            reason = why
        elif state.offer is not None:
            reason = f"holding another offer ({state.offer})"
        elif state.exclusive_work or (channel in exclusive and state.work):
            busy = [cid for cid, (ch, _) in state.work.items() if ch in exclusive or channel in exclusive]
            if busy and all(cid in wrap_up for cid in busy):
                reason = f"wrap-up until t={_t(max(wrap_up[cid] or 0.0 for cid in busy))}"
            elif state.exclusive_work:
                held = next(ch for ch, _ in state.work.values() if ch in exclusive)
                reason = f"busy on an exclusive channel ({held.value})"
            else:
                reason = f"{channel.value} is exclusive and the agent has other work"
        elif state.load.get(channel, 0) >= agent.capacity.get(channel, 0):
            on_channel = [cid for cid, (ch, _) in state.work.items() if ch == channel]
            ending = [wrap_up[cid] or 0.0 for cid in on_channel if cid in wrap_up]
            used, slots = state.load.get(channel, 0), agent.capacity.get(channel, 0)
            reason = f"no free slot on {channel.value} ({used} of {slots} in use"
            reason += f"; wrap-up until t={_t(min(ending))})" if ending else ")"
        elif agent.id in self._bars.get(cs.contact.id, {}):
            until = self._timers.due_of(self._bars[cs.contact.id][agent.id])
            reason = f"re-offer delay until t={_t(until)}"
        key = self.settings.selection.key(state, target) if reason is None else ()
        return reason, key, state

    def _terms(self, state: _Agent, target: Target) -> dict[str, Any]:
        skills = state.agent.skills
        return {
            "selection": self.settings.selection.name if target.agent is None else "sticky",
            "idle_since": state.idle_since,
            "busy": state.busy,
            "load": state.load.get(target.channel, 0),
            "proficiency": sum(skills.get(name, 0) for name, _ in target.skills),
        }

    # ------------------------------------------------------------------------------------------ internals

    def _agent(self, agent_id: str, out: list[Event]) -> _Agent:
        state = self._agents.get(agent_id)
        if state is None:
            raise self._refuse(UnknownIdError(f"unknown agent {agent_id!r}"), out)
        return state

    def _status(self, status: AgentStatus | str, out: list[Event]) -> AgentStatus:
        try:
            return AgentStatus(status)
        except ValueError:
            names = ", ".join(s.value for s in AgentStatus)
            raise self._refuse(ConfigError(f"unknown agent status {status!r}; expected one of {names}"), out) from None

    def _live_contact(self, contact_id: str, out: list[Event]) -> _Contact:
        cs = self._contacts.get(contact_id)
        if cs is None:
            if contact_id in self._finished:
                raise self._refuse(StateError(f"contact {contact_id!r} has already finished"), out)
            raise self._refuse(UnknownIdError(f"unknown contact {contact_id!r}"), out)
        return cs

    def _pending_offer(self, contact_id: str, agent_id: str, out: list[Event]) -> _Contact:
        cs = self._contacts.get(contact_id)
        if cs is None or cs.state != _OFFERED or cs.agent != agent_id:
            held = "nothing" if cs is None else f"{cs.state.value} (agent {cs.agent!r})"
            raise self._refuse(
                OfferStateError(f"agent {agent_id!r} holds no pending offer of contact {contact_id!r}: it is {held}"),
                out,
            )
        return cs

    def _plan(self, contact: Contact, now: float, out: list[Event]) -> Plan | Denial:
        try:
            return self.policy.plan(contact, now)
        except RoutekitError as error:
            raise self._refuse(error, out) from None

    def _denied(self, contact: Contact, now: float, reason: str, rule: str, fallback: Channel | None) -> Denied:
        return Denied(
            at=now,
            contact_id=contact.id,
            channel=contact.channel,
            tier=contact.customer.tier,
            reason=reason,
            rule=rule,
            fallback=fallback,
        )

    def _target_supply(self, target: Target) -> int:
        if target.agent is not None:
            state = self._agents.get(target.agent)
            return int(state is not None and target.matches(state.agent))
        supply = self._supply.get(target)
        if supply is None:
            supply = sum(target.matches(state.agent) for state in self._agents.values())
        return supply

    def _routable(self, contact: Contact, plan: Plan, first_stage: int = 0) -> bool:
        return any(self._target_supply(stage.target) for stage in plan.stages[first_stage:])

    def _check_routable(self, contact: Contact, plan: Plan, out: list[Event]) -> None:
        if not self._routable(contact, plan):
            rules = ", ".join(stage.target.rule for stage in plan.stages)
            raise self._refuse(
                UnroutableContactError(
                    f"no registered agent could ever serve contact {contact.id!r} "
                    f"(channel {contact.channel.value}; stages {rules})"
                ),
                out,
            )

    def _ensure_target(self, target: Target) -> None:
        """Index a general target the first time a plan names it: O(agents), once per distinct target."""
        if target.agent is not None:
            return
        if target not in self._queues:
            self._queues[target] = ContactQueue()
        if target in self._pools:
            return
        pool = AgentPool()
        self._pools[target] = pool
        supply = 0
        for state in self._agents.values():
            if target.matches(state.agent):
                supply += 1
                state.targets[target] = pool
                if self._eligible(state, target.channel):
                    pool.add(state.agent.id, self.settings.selection.key(state, target))
        self._supply[target] = supply

    def _queue(self, target: Target) -> ContactQueue:
        queue = self._queues.get(target)
        if queue is None:
            self._ensure_target(target)
            queue = self._queues.get(target)
            if queue is None:
                queue = self._queues[target] = ContactQueue()
                assert target.agent is not None
                self._agent_queues.setdefault(target.agent, {})[target] = None
        return queue

    def _match_targets(self, state: _Agent) -> None:
        self._ready_plans.clear()
        state.targets = {t: pool for t, pool in self._pools.items() if t.matches(state.agent)}
        for target in state.targets:
            self._supply[target] += 1

    def _unmatch_targets(self, state: _Agent) -> None:
        self._ready_plans.clear()
        for target, pool in state.targets.items():
            pool.discard(state.agent.id)
            self._supply[target] -= 1
        state.targets = {}

    def _eligible(self, state: _Agent, channel: Channel) -> bool:
        return state.takes_offers() and self._has_room(state, channel)

    def _has_room(self, state: _Agent, channel: Channel) -> bool:
        """The per-channel half of eligibility: a free slot, and no other work if the channel is exclusive."""
        if state.load.get(channel, 0) >= state.agent.capacity.get(channel, 0):
            return False
        return not (channel in self._exclusive and state.work)

    def _refresh(self, state: _Agent) -> None:
        """Re-place an agent in every pool it matches after any change to its state. O(targets log n)."""
        # The agent-wide half of eligibility once (takes_offers, inlined: this runs after every change to an
        # agent), the per-channel half per target.
        if not (state.status is _AVAILABLE and state.offer is None and not state.exclusive_work):
            self._withdraw_from_pools(state)
            return
        agent_id = state.agent.id
        eligible_any = False
        key_of, exclusive = self._selection_key, self._exclusive
        load, capacity, busy = state.load, state.agent.capacity, bool(state.work)
        for target, pool in state.targets.items():
            channel = target.channel
            # _has_room, inlined: this loop runs after every change to an agent
            if load.get(channel, 0) < capacity.get(channel, 0) and not (busy and channel in exclusive):
                pool.place(agent_id, key_of(state, target))
                eligible_any = True
            else:
                pool.discard(agent_id)
        if eligible_any:
            self._dirty_agents[agent_id] = None
        else:
            self._look_in_own_queues(agent_id)

    def _withdraw_from_pools(self, state: _Agent) -> None:
        """An agent eligible for nothing (say, with an offer pending) leaves every pool it is in."""
        agent_id = state.agent.id
        for pool in state.targets.values():
            pool.discard(agent_id)
        # _look_in_own_queues, inlined: every offer comes this way
        if agent_id in self._agent_queues:
            self._dirty_agents[agent_id] = None
        else:
            self._dirty_agents.pop(agent_id, None)

    def _look_in_own_queues(self, agent_id: str) -> None:
        """An agent in no pool still looks for work in the queues of contacts waiting for it alone."""
        if agent_id in self._agent_queues:
            self._dirty_agents[agent_id] = None
        else:
            self._dirty_agents.pop(agent_id, None)  # it can take nothing: no need to look for work

    def _serve_next(self, state: _Agent, now: float, out: list[Event]) -> None:
        """An agent has capacity again: offer it its best waiting contact at once, or place it in its pools.

        When nothing else is dirty, the stability invariant says no other agent can take any contact now
        waiting, so this agent's own best contact is the only possible offer, and the agent need not go
        into its pools only to come out again.
        """
        if self._dirty_agents or self._dirty_contacts:
            self._refresh(state)
            return
        found = self._best_contact_for(state)
        if found is None:
            self._refresh(state)
            self._dirty_agents.pop(state.agent.id, None)  # just looked: nothing it can take waits
            return
        self._offer(found, state.agent.id, now, out)

    def _start(self, contact: Contact, plan: Plan, now: float, out: list[Event], *, queue: bool = True) -> _Contact:
        arrived = contact.arrived_at if contact.arrived_at is not None else now
        # contact, plan, stage, priority, arrival (less the head start), seq, clock start
        cs = _Contact(contact, plan, 0, contact.priority, arrived - contact.head_start, self._seq, arrived)
        self._seq += 1
        self._contacts[contact.id] = cs
        self._queued(cs, now, out, queue=queue)
        return cs

    def _queued(self, cs: _Contact, now: float, out: list[Event], *, queue: bool = True) -> None:
        if id(cs.plan) not in self._ready_plans:
            for stage in cs.plan.stages:
                self._ensure_target(stage.target)
        contact = cs.contact
        # at, contact_id, channel, tier, arrived_at, stage, rule, priority
        out.append(
            _contact_queued(
                now,
                contact.id,
                contact.channel,
                contact.customer.tier,
                cs.clock_start,
                0,
                cs.target.rule,
                cs.priority + cs.plan.stages[0].boost,
            )
        )
        self._enter_stage(cs, now, out, queue=queue)

    def _enter_stage(self, cs: _Contact, now: float, out: list[Event], *, queue: bool = True) -> None:
        """Start the contact's current stage: its timer, then its queue (or the next stage at once).

        With ``queue=False`` a waiting contact is left for the caller to queue or offer.
        """
        while True:
            stage = cs.plan.stages[cs.stage]
            last = cs.stage == len(cs.plan.stages) - 1
            skip = not last and (stage.timeout == 0 or self._sticky_unavailable(stage.target))
            if not skip:
                break
            cs.move_to(cs.stage + 1)
            out.append(StageChanged(at=now, contact_id=cs.contact.id, stage=cs.stage, rule=cs.target.rule))
        cs.stage_since = now
        if stage.timeout is not None:
            cs.stage_timer = self._timers.set(now + stage.timeout, _STAGE_TIMEOUT, (cs.contact.id, cs.stage))
        else:
            cs.stage_timer = None
        if queue and cs.state == _WAITING:
            self._queue(cs.target).push(cs.contact.id, cs.key)
            self._dirty_contacts[cs.contact.id] = None

    def _sticky_unavailable(self, target: Target) -> bool:
        if target.agent is None:
            return False
        state = self._agents.get(target.agent)
        return state is None or state.status != _AVAILABLE or not target.matches(state.agent)

    def _next_stage(self, cs: _Contact, now: float, out: list[Event]) -> None:
        """Move a contact to its next stage (it must have one), waiting or offered alike."""
        self._timers.cancel(cs.stage_timer)
        if cs.state == _WAITING:
            self._queues[cs.target].remove(cs.contact.id)
            self._drop_empty_agent_queue(cs.target)
        cs.move_to(cs.stage + 1)
        out.append(StageChanged(at=now, contact_id=cs.contact.id, stage=cs.stage, rule=cs.target.rule))
        self._enter_stage(cs, now, out)
        self._deny_if_stranded(cs, now, out)

    def _drop_empty_agent_queue(self, target: Target) -> None:
        # Sticky queues are one per agent and channel; dropping empty ones keeps memory bounded.
        if target.agent is not None and not self._queues[target]:
            del self._queues[target]
            owned = self._agent_queues[target.agent]
            del owned[target]
            if not owned:
                del self._agent_queues[target.agent]

    def _leave_sticky_stages(self, agent_id: str, now: float, out: list[Event]) -> None:
        """Contacts waiting for this agent alone move on at once when the agent is away, offline or gone."""
        waiting = [
            self._contacts[contact_id]
            for target in self._agent_queues.get(agent_id, ())
            for contact_id in self._queues[target]
        ]
        waiting.sort(key=lambda cs: cs.key)
        for cs in waiting:
            if cs.stage < len(cs.plan.stages) - 1:
                self._next_stage(cs, now, out)

    def _deny_unroutable(self, now: float, out: list[Event]) -> None:
        """End with ``Denied(unroutable)`` every waiting contact that no registered agent can serve now."""
        doomed: list[_Contact] = []
        for target, queue in self._queues.items():
            if queue and not self._target_supply(target):
                for contact_id in queue:
                    cs = self._contacts[contact_id]
                    if not self._routable(cs.contact, cs.plan, cs.stage):
                        doomed.append(cs)
        doomed.sort(key=lambda cs: cs.key)
        for cs in doomed:
            self._deny(cs, now, out)

    def _deny_if_stranded(self, cs: _Contact, now: float, out: list[Event]) -> None:
        """A contact back in a queue, or at a new stage, that nobody can serve from here ends at once."""
        if cs.state == _WAITING and not self._routable(cs.contact, cs.plan, cs.stage):
            self._deny(cs, now, out)

    def _deny(self, cs: _Contact, now: float, out: list[Event]) -> None:
        contact_id = cs.contact.id
        self._queues[cs.target].remove(contact_id)
        self._drop_empty_agent_queue(cs.target)
        self._timers.cancel(cs.stage_timer)
        self._drop_bars(contact_id)
        self._dirty_contacts.pop(contact_id, None)
        del self._contacts[contact_id]
        out.append(self._denied(cs.contact, now, "unroutable", cs.target.rule, None))
        decision = (None, cs.stage, cs.target.rule, None, now)
        self._finish(contact_id, now, cs.contact.conversation, "denied: unroutable", decision)
        self._close_conversation_of(cs.contact, now, "unroutable", out)

    def _offer(self, cs: _Contact, agent_id: str, now: float, out: list[Event], *, queued: bool = True) -> None:
        if self._decision_hook is not None:  # a test's look at the state the decision was made in
            self._decision_hook(cs.contact.id, agent_id)
        state = self._agents[agent_id]
        contact_id = cs.contact.id
        channel = cs.contact.channel
        target = cs.target
        if queued:
            self._queues[target].remove(contact_id)
            if target.agent is not None:
                self._drop_empty_agent_queue(target)
        cs.state = _OFFERED
        cs.agent = agent_id
        cs.offered_at = now
        expires = now + self._offer_timeout[channel]
        cs.offer_timer = self._timers.set(expires, _OFFER_EXPIRY, (contact_id, agent_id))
        state.offer = contact_id
        state.last_offer_at = now
        self._add_work(state, contact_id, channel, _WORK_OFFERED)
        self._withdraw_from_pools(state)  # an offer pending: eligible for nothing
        selection = "sticky" if target.agent is not None else self._selection_name
        cs.offer_rule = (cs.stage, target.rule, selection)
        # at, contact_id, agent_id, stage, rule, selection, expires_at
        out.append(_offered(now, contact_id, agent_id, cs.stage, target.rule, selection, expires))

    def _add_work(self, state: _Agent, contact_id: str, channel: Channel, kind: _Work) -> None:
        state.work[contact_id] = (channel, kind)
        state.load[channel] = state.load.get(channel, 0) + 1
        if channel in self._exclusive:
            state.exclusive_work += 1

    def _remove_work(self, state: _Agent, contact_id: str) -> None:
        channel, _ = state.work.pop(contact_id)
        state.load[channel] -= 1
        if channel in self._exclusive:
            state.exclusive_work -= 1

    def _release(self, state: _Agent, contact_id: str, now: float) -> None:
        """Free the slot a contact held; the agent counts as freed now (longest-idle)."""
        self._remove_work(state, contact_id)
        state.idle_since = now

    def _withdraw_offer(self, cs: _Contact) -> _Agent:
        """Undo an offer's reservation (not the agent's idle time: an offer is not work done)."""
        agent_id = cs.agent
        assert agent_id is not None
        state = self._agents[agent_id]
        self._timers.cancel(cs.offer_timer)
        cs.offer_timer = None
        state.offer = None
        self._remove_work(state, cs.contact.id)
        return state

    def _end_offer(self, cs: _Contact, now: float, out: list[Event], *, bar: bool) -> None:
        """An offer ended unanswered: free the reservation, bar the agent if asked, requeue the contact."""
        agent_id = cs.agent
        assert agent_id is not None
        state = self._withdraw_offer(cs)
        if bar and self.settings.reoffer_delay > 0:
            self._bar(cs.contact.id, agent_id, now + self.settings.reoffer_delay)
        self._refresh(state)
        if bar and cs.target.agent == agent_id and cs.stage < len(cs.plan.stages) - 1:
            self._next_stage(cs, now, out)  # still offered here, so it touches no queue
        cs.state = _WAITING
        cs.agent = None
        self._queue(cs.target).push(cs.contact.id, cs.key)
        self._dirty_contacts[cs.contact.id] = None
        self._deny_if_stranded(cs, now, out)

    def _rescind(self, cs: _Contact, now: float, reason: str, out: list[Event], *, requeue: bool) -> None:
        agent_id = cs.agent
        assert agent_id is not None
        out.append(OfferRescinded(at=now, contact_id=cs.contact.id, agent_id=agent_id, reason=reason))
        if requeue:
            self._end_offer(cs, now, out, bar=False)
        else:
            self._refresh(self._withdraw_offer(cs))

    def _bar(self, contact_id: str, agent_id: str, until: float) -> None:
        bars = self._bars.setdefault(contact_id, {})
        self._timers.cancel(bars.get(agent_id))
        bars[agent_id] = self._timers.set(until, _REOFFER_END, (contact_id, agent_id))
        self._bars_by_agent.setdefault(agent_id, {})[contact_id] = None

    def _lift_bar(self, contact_id: str, agent_id: str) -> None:
        bars = self._bars.get(contact_id)
        if bars is None or agent_id not in bars:
            return
        self._timers.cancel(bars.pop(agent_id))
        if not bars:
            del self._bars[contact_id]
        by_agent = self._bars_by_agent[agent_id]
        del by_agent[contact_id]
        if not by_agent:
            del self._bars_by_agent[agent_id]

    def _drop_bars(self, contact_id: str) -> None:
        for agent_id in list(self._bars.get(contact_id, ())):
            self._lift_bar(contact_id, agent_id)

    def _park(self, cs: _Contact, now: float, out: list[Event]) -> None:
        """End a conversation's turn without wrap-up; the conversation waits for the customer's reply."""
        agent_id = cs.agent
        assert agent_id is not None
        state = self._agents[agent_id]
        self._timers.cancel(cs.hold_timer)
        contact_id = cs.contact.id
        conversation = self._conversations[cs.contact.conversation]
        self._release(state, contact_id, now)
        self._refresh(state)
        del self._contacts[contact_id]
        self._finish(contact_id, now, conversation.record.id, "parked", cs.decision)
        conversation.status = _PARKED
        hold = self.policy.hold(cs.contact)
        ttl = hold.park_ttl if hold is not None else self.settings.park_ttl
        conversation.ttl_timer = self._timers.set(now + ttl, _PARK_TTL, (conversation.record.id,))
        out.append(Parked(at=now, conversation_id=conversation.record.id, contact_id=contact_id, agent_id=agent_id))

    def _parked_conversation(self, some_id: str) -> _Conversation | None:
        conversation = self._conversations.get(some_id)
        if conversation is None:
            conversation_id = self._finished.get(some_id)
            conversation = self._conversations.get(conversation_id) if conversation_id else None
            if conversation is not None and conversation.turn != some_id:
                return None
        if conversation is None or conversation.status != _PARKED:
            return None
        if conversation.record.id in self._closed:
            return None
        return conversation

    def _close_conversation_of(self, contact: Contact, now: float, reason: str, out: list[Event]) -> None:
        if not self._conversations or contact.channel in _SYNCHRONOUS:
            return  # only asynchronous channels hold conversations
        conversation = self._conversations.get(contact.conversation)
        if conversation is not None and conversation.turn == contact.id and contact.conversation not in self._closed:
            self._close(conversation, now, reason, out)

    def _close(self, conversation: _Conversation, now: float, reason: str, out: list[Event]) -> None:
        conversation_id = conversation.record.id
        self._timers.cancel(conversation.ttl_timer)
        conversation.ttl_timer = None
        self._closed[conversation_id] = now
        self._finished_order.append((now, conversation_id, True))
        out.append(ConversationClosed(at=now, conversation_id=conversation_id, reason=reason))

    def _finish(
        self,
        contact_id: str,
        now: float,
        conversation_id: str | None,
        outcome: str,
        decision: _Decision | None,
    ) -> None:
        self._finished[contact_id] = conversation_id
        self._outcomes[contact_id] = (outcome, decision)
        self._finished_order.append((now, contact_id, False))

    def _end_wrap_up(self, state: _Agent, contact_id: str, now: float, out: list[Event]) -> None:
        del state.wrap_up_timers[contact_id]
        self._release(state, contact_id, now)
        out.append(WrapUpEnded(at=now, agent_id=state.agent.id, contact_id=contact_id))
        self._refresh(state)

    # -------------------------------------------------------------------------------------------- timers

    def _fire(self, at: float, kind: TimerKind, payload: tuple[Any, ...], out: list[Event]) -> None:
        if kind == _OFFER_EXPIRY:
            contact_id, agent_id = payload
            cs = self._contacts[contact_id]
            state = self._agents[agent_id]
            cs.offer_timer = None
            out.append(OfferExpired(at=at, contact_id=contact_id, agent_id=agent_id))
            if self.settings.away_on_missed_offer:
                state.status = _AWAY
                out.append(AgentStatusChanged(at=at, agent_id=agent_id, status=_AWAY))
            self._end_offer(cs, at, out, bar=True)
            if self.settings.away_on_missed_offer:
                self._leave_sticky_stages(agent_id, at, out)
        elif kind == _REOFFER_END:
            contact_id, agent_id = payload
            self._bars[contact_id].pop(agent_id)
            if not self._bars[contact_id]:
                del self._bars[contact_id]
            del self._bars_by_agent[agent_id][contact_id]
            if not self._bars_by_agent[agent_id]:
                del self._bars_by_agent[agent_id]
            self._dirty_contacts[contact_id] = None
            self._dirty_agents[agent_id] = None
        elif kind == _STAGE_TIMEOUT:
            contact_id, _ = payload
            cs = self._contacts[contact_id]
            cs.stage_timer = None
            self._next_stage(cs, at, out)
        elif kind == _HOLD_EXPIRY:
            (contact_id,) = payload
            cs = self._contacts[contact_id]
            cs.hold_timer = None
            self._park(cs, at, out)
        elif kind == _WRAP_UP_END:
            agent_id, contact_id = payload
            self._end_wrap_up(self._agents[agent_id], contact_id, at, out)
        else:
            (conversation_id,) = payload
            conversation = self._conversations[conversation_id]
            conversation.ttl_timer = None
            self._close(conversation, at, "park-ttl", out)
        self._dispatch(at, out)

    # ------------------------------------------------------------------------------------------ dispatch

    def _best_agent_for(self, cs: _Contact) -> str | None:
        target = cs.target
        barred = self._bars.get(cs.contact.id) if self._bars else None
        if target.agent is not None:
            state = self._agents.get(target.agent)
            if state is None or (barred and target.agent in barred) or not target.matches(state.agent):
                return None
            return target.agent if self._eligible(state, target.channel) else None
        pool = self._pools[target]
        if not barred:
            return pool.first()
        for agent_id in pool:
            if agent_id not in barred:
                return agent_id
        return None

    def _best_contact_for(self, state: _Agent) -> _Contact | None:
        if not (state.status is _AVAILABLE and state.offer is None and not state.exclusive_work):  # takes_offers
            return None
        agent_id = state.agent.id
        barred = self._bars_by_agent.get(agent_id)
        best: tuple[QueueKey, str] | None = None
        targets: Iterable[Target] = state.targets
        own = self._agent_queues.get(agent_id)
        if own:
            targets = [*targets, *(t for t in own if t.matches(state.agent))]
        for target in targets:
            queue = self._queues.get(target)
            if queue is None:
                continue
            if barred is None:
                first = queue.head()
            elif queue:
                first = next(((queue.key(c), c) for c in queue if c not in barred), None)
            else:
                continue
            if first is not None and (best is None or first[0] < best[0]) and self._has_room(state, target.channel):
                best = first
        return None if best is None else self._contacts[best[1]]

    def _dispatch(self, now: float, out: list[Event]) -> None:
        """Offer while some waiting contact has an eligible agent: best contact first, to its best agent.

        Only what changed is dirty, and most calls leave nothing dirty: the per-contact calls (submit,
        accept, complete, abandon) look before they call, which spares about 1% of a simulated contact.
        """
        dirty_contacts, dirty_agents = self._dirty_contacts, self._dirty_agents
        while dirty_contacts or dirty_agents:
            best: _Contact | None = None
            best_agent: str | None = None
            for contact_id in list(dirty_contacts):
                cs = self._contacts.get(contact_id)
                agent_id = None
                if cs is not None and cs.state == _WAITING:
                    agent_id = self._best_agent_for(cs)
                if agent_id is None:
                    del dirty_contacts[contact_id]
                elif best is None or cs.key < best.key:  # type: ignore[union-attr]
                    best, best_agent = cs, agent_id
            for agent_id in list(dirty_agents):
                state = self._agents.get(agent_id)
                found = self._best_contact_for(state) if state is not None else None
                if found is None:
                    del dirty_agents[agent_id]
                elif best is None or found.key < best.key:
                    best, best_agent = found, None
            if best is None:
                return
            if best_agent is None:
                best_agent = self._best_agent_for(best)
                assert best_agent is not None
            self._offer(best, best_agent, now, out)

    # ---------------------------------------------------------------------------------------- snapshots

    def snapshot(self) -> dict[str, Any]:
        """The router's whole state as plain, JSON-able data; :meth:`restore` rebuilds a router from it."""
        return {
            "version": SNAPSHOT_VERSION,
            "settings": _settings_to_data(self.settings),
            "now": None if self._now == -math.inf else self._now,
            "seq": self._seq,
            "agent_order": self._agent_order,
            "timer_seq": self._timers.next_seq,
            "agents": [
                {
                    "agent": _agent_to_data(s.agent),
                    "status": s.status.value,
                    "order": s.order,
                    "idle_since": s.idle_since,
                    "last_offer_at": None if s.last_offer_at == -math.inf else s.last_offer_at,
                    "work": [[cid, channel.value, kind.value] for cid, (channel, kind) in s.work.items()],
                    "offer": s.offer,
                }
                for s in self._agents.values()
            ],
            "targets": [_target_to_data(t) for t in self._pools],
            "contacts": [
                {
                    "contact": _contact_to_data(cs.contact),
                    "plan": [_stage_to_data(stage) for stage in cs.plan.stages],
                    "stage": cs.stage,
                    "priority": cs.priority,
                    "arrival": cs.arrival,
                    "seq": cs.seq,
                    "clock_start": cs.clock_start,
                    "state": cs.state.value,
                    "agent": cs.agent,
                    "offered_at": None if math.isnan(cs.offered_at) else cs.offered_at,
                    "stage_since": None if math.isnan(cs.stage_since) else cs.stage_since,
                    "offer_rule": None if cs.offer_rule is None else list(cs.offer_rule),
                    "decision": None if cs.decision is None else list(cs.decision),
                }
                for cs in self._contacts.values()
            ],
            "queues": [[_target_to_data(t), list(queue)] for t, queue in self._queues.items() if len(queue)],
            "timers": [[due, int(kind), list(payload), seq] for due, kind, payload, seq in self._timers.live()],
            "conversations": [
                {
                    "record": {
                        "id": c.record.id,
                        "customer": _customer_to_data(c.record.customer),
                        "channel": c.record.channel.value,
                        "turns": list(c.record.turns),
                        "agents": list(c.record.agents),
                        "context": c.record.context,
                    },
                    "status": c.status.value,
                    "turn": c.turn,
                    "first": _contact_to_data(c.first),
                }
                for c in self._conversations.values()
            ],
            "closed": self._closed,
            "finished": self._finished,
            "outcomes": {
                cid: [outcome, *(decision or _NO_DECISION)] for cid, (outcome, decision) in self._outcomes.items()
            },
            "finished_order": [
                [at, ("conversation:" if conversation else "contact:") + some_id]
                for at, some_id, conversation in self._finished_order
            ],
            "answers": [[_target_to_data(t), list(times)] for t, times in self._answers.items()],
        }

    @classmethod
    def restore(
        cls, snapshot: Mapping[str, Any], policy: RoutingPolicy, *, selection: Selection | None = None
    ) -> Router:
        """Rebuild a router from :meth:`snapshot`'s data; it decides exactly as the original would.

        Args:
            snapshot: The data :meth:`snapshot` returned (after a JSON round trip or not).
            policy: The policy for contacts submitted from now on.
            selection: The selection, when the snapshot names one that is not built in.

        Raises:
            ConfigError: The snapshot is of another version, or names an unknown selection.
        """
        if snapshot.get("version") != SNAPSHOT_VERSION:
            raise ConfigError(f"snapshot version {snapshot.get('version')!r} is not {SNAPSHOT_VERSION}")
        settings = _settings_from_data(snapshot["settings"], selection)
        router = cls(policy, settings)
        router._now = -math.inf if snapshot["now"] is None else snapshot["now"]
        router._seq = snapshot["seq"]
        router._agent_order = snapshot["agent_order"]
        router._timers.next_seq = snapshot["timer_seq"]
        for data in snapshot["agents"]:
            agent = _agent_from_data(data["agent"])
            state = _Agent(
                agent=agent,
                status=AgentStatus(data["status"]),
                order=data["order"],
                idle_since=data["idle_since"],
                last_offer_at=-math.inf if data["last_offer_at"] is None else data["last_offer_at"],
                offer=data["offer"],
            )
            for contact_id, channel, kind in data["work"]:
                router._add_work(state, contact_id, Channel(channel), _Work(kind))
            router._agents[agent.id] = state
        for data in snapshot["targets"]:
            router._ensure_target(_target_from_data(data))
        for data in snapshot["contacts"]:
            contact = _contact_from_data(data["contact"])
            plan = Plan([_stage_from_data(stage) for stage in data["plan"]])
            for stage in plan.stages:
                router._ensure_target(stage.target)
            router._contacts[contact.id] = _Contact(
                contact=contact,
                plan=plan,
                stage=data["stage"],
                priority=data["priority"],
                arrival=data["arrival"],
                seq=data["seq"],
                clock_start=data["clock_start"],
                state=ContactState(data["state"]),
                agent=data["agent"],
                offered_at=math.nan if data["offered_at"] is None else data["offered_at"],
                stage_since=math.nan if data["stage_since"] is None else data["stage_since"],
                offer_rule=None if data["offer_rule"] is None else tuple(data["offer_rule"]),
                decision=None if data["decision"] is None else tuple(data["decision"]),
            )
        for target_data, contact_ids in snapshot["queues"]:
            queue = router._queue(_target_from_data(target_data))
            for contact_id in contact_ids:
                queue.push(contact_id, router._contacts[contact_id].key)
        for data in snapshot["conversations"]:
            record_data = data["record"]
            record = Conversation(
                id=record_data["id"],
                customer=_customer_from_data(record_data["customer"]),
                channel=record_data["channel"],
                turns=record_data["turns"],
                agents=record_data["agents"],
                context=record_data["context"],
            )
            router._conversations[record.id] = _Conversation(
                record=record,
                status=_ConversationStatus(data["status"]),
                turn=data["turn"],
                first=_contact_from_data(data["first"]),
            )
        for due, kind_value, payload, seq in snapshot["timers"]:
            kind = TimerKind(kind_value)
            router._timers.restore(due, kind, tuple(payload), seq)
            router._attach_timer(kind, tuple(payload), seq)
        router._closed = dict(snapshot["closed"])
        router._finished = dict(snapshot["finished"])
        router._outcomes = {cid: (name, tuple(decision)) for cid, (name, *decision) in snapshot["outcomes"].items()}
        router._finished_order = deque(
            (at, *((key[13:], True) if key.startswith("conversation:") else (key[8:], False)))
            for at, key in snapshot["finished_order"]
        )
        for target_data, times in snapshot["answers"]:
            router._answers[_target_from_data(target_data)] = deque(times, maxlen=settings.answer_window)
        for state in router._agents.values():
            router._refresh(state)
        router._dirty_agents.clear()
        router._dirty_contacts.clear()
        return router

    def _attach_timer(self, kind: TimerKind, payload: tuple[Any, ...], seq: int) -> None:
        if kind == _OFFER_EXPIRY:
            self._contacts[payload[0]].offer_timer = seq
        elif kind == _REOFFER_END:
            contact_id, agent_id = payload
            self._bars.setdefault(contact_id, {})[agent_id] = seq
            self._bars_by_agent.setdefault(agent_id, {})[contact_id] = None
        elif kind == _STAGE_TIMEOUT:
            self._contacts[payload[0]].stage_timer = seq
        elif kind == _HOLD_EXPIRY:
            self._contacts[payload[0]].hold_timer = seq
        elif kind == _WRAP_UP_END:
            self._agents[payload[0]].wrap_up_timers[payload[1]] = seq
        else:
            self._conversations[payload[0]].ttl_timer = seq

    # ------------------------------------------------------------------------------------------ checks

    def _check(self) -> None:
        """Assert every invariant: each contact in exactly one place, capacity, pools, timers, stability."""
        live_timers = {seq: (kind, payload) for _, kind, payload, seq in self._timers.live()}
        queued: dict[str, Target] = {}
        for target, queue in self._queues.items():
            queue._check()
            for contact_id in queue:
                assert contact_id not in queued, f"{contact_id} is in two queues"
                queued[contact_id] = target
        for contact_id, cs in self._contacts.items():
            assert contact_id not in self._finished, f"{contact_id} is live and finished"
            if cs.state == _WAITING:
                assert queued.get(contact_id) == cs.target, f"{contact_id} waits outside its stage's queue"
                assert queued[contact_id].agent == cs.target.agent
                assert self._queues[cs.target].key(contact_id) == cs.key
                assert cs.agent is None
            else:
                assert contact_id not in queued, f"{contact_id} is {cs.state} and queued"
                state = self._agents[cs.agent]  # type: ignore[index]
                assert state.work[contact_id][1].value == cs.state.value
            if cs.state == _OFFERED:
                assert self._agents[cs.agent].offer == contact_id  # type: ignore[index]
                assert live_timers[cs.offer_timer][0] == _OFFER_EXPIRY  # type: ignore[index]
            else:
                assert cs.offer_timer is None or cs.offer_timer not in live_timers
            if cs.state in (_WAITING, _OFFERED):
                last = cs.stage == len(cs.plan.stages) - 1
                assert (cs.stage_timer in live_timers) != last, f"{contact_id} stage timer is wrong"
            if cs.state == _HELD:
                assert live_timers[cs.hold_timer][0] == _HOLD_EXPIRY  # type: ignore[index]
        for agent_id, state in self._agents.items():
            load: dict[Channel, int] = {}
            for contact_id, (channel, kind) in state.work.items():
                load[channel] = load.get(channel, 0) + 1
                if kind == _WORK_WRAP_UP:
                    assert contact_id in state.wrap_up_timers
                else:
                    assert self._contacts[contact_id].agent == agent_id
            assert {c: n for c, n in load.items() if n} == {c: n for c, n in state.load.items() if n}
            exclusive = sum(n for c, n in load.items() if c in self.settings.exclusive)
            assert exclusive == state.exclusive_work
            assert exclusive == 0 or len(state.work) == 1, f"{agent_id} holds an exclusive contact and more"
            offers = [cid for cid, (_, kind) in state.work.items() if kind == _WORK_OFFERED]
            assert offers == ([state.offer] if state.offer else []), f"{agent_id} offers {offers}"
            for target in self._pools:
                matches = target.matches(state.agent)
                assert (target in state.targets) == matches
                assert not matches or state.targets[target] is self._pools[target]
                in_pool = agent_id in self._pools[target]
                assert in_pool == (matches and self._eligible(state, target.channel)), f"{agent_id} pool {target}"
                if in_pool:
                    assert self._pools[target].key(agent_id) == self.settings.selection.key(state, target)
        for pool in self._pools.values():
            pool._check()
        for target, supply in self._supply.items():
            assert supply == sum(target.matches(s.agent) for s in self._agents.values())
        for contact_id, bars in self._bars.items():
            for agent_id, seq in bars.items():
                assert live_timers[seq] == (_REOFFER_END, (contact_id, agent_id))
                assert contact_id in self._bars_by_agent[agent_id]
        for contact_id, cs in self._contacts.items():
            if cs.state == _WAITING:
                assert self._best_agent_for(cs) is None, f"{contact_id} waits while an agent is free"
                assert self._routable(cs.contact, cs.plan, cs.stage), f"{contact_id} waits for nobody"
        assert not self._dirty_agents
        assert not self._dirty_contacts


# ------------------------------------------------------------------------------------- plain-data codecs


def _t(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _decision(outcome: tuple[str, _Decision | None]) -> Decision:
    name, decision = outcome
    agent, stage, rule, selection, at = decision or _NO_DECISION
    return Decision(outcome=name, agent_id=agent, stage=stage, rule=rule, selection=selection, at=at)


def _agent_to_data(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "skills": dict(agent.skills),
        "capacity": {c.value: n for c, n in agent.capacity.items()},
        "teams": sorted(agent.teams),
        "wrap_up": {c.value: s for c, s in agent.wrap_up.items()},
    }


def _agent_from_data(data: Mapping[str, Any]) -> Agent:
    return Agent(
        id=data["id"],
        skills=data["skills"],
        capacity=data["capacity"],
        teams=frozenset(data["teams"]),
        wrap_up=data["wrap_up"],
    )


def _customer_to_data(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "tier": customer.tier, "attributes": customer.attributes}


def _customer_from_data(data: Mapping[str, Any]) -> Customer:
    return Customer(id=data["id"], tier=data["tier"], attributes=data["attributes"])


def _contact_to_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "customer": _customer_to_data(contact.customer),
        "channel": contact.channel.value,
        "skills": dict(contact.skills),
        "priority": contact.priority,
        "arrived_at": contact.arrived_at,
        "head_start": contact.head_start,
        "context": contact.context,
        "conversation_id": contact.conversation_id,
        "served_by": list(contact.served_by),
    }


def _contact_from_data(data: Mapping[str, Any]) -> Contact:
    fields = dict(data)
    fields["customer"] = _customer_from_data(fields["customer"])
    fields["served_by"] = tuple(fields["served_by"])
    return Contact(**fields)


def _target_to_data(target: Target) -> dict[str, Any]:
    return {
        "channel": target.channel.value,
        "skills": [list(s) for s in target.skills],
        "team": target.team,
        "agent": target.agent,
        "rule": target.rule,
    }


def _target_from_data(data: Mapping[str, Any]) -> Target:
    return Target(
        channel=data["channel"],
        skills=[tuple(s) for s in data["skills"]],
        team=data["team"],
        agent=data["agent"],
        rule=data["rule"],
    )


def _stage_to_data(stage: Stage) -> dict[str, Any]:
    return {"target": _target_to_data(stage.target), "timeout": stage.timeout, "boost": stage.boost}


def _stage_from_data(data: Mapping[str, Any]) -> Stage:
    return Stage(target=_target_from_data(data["target"]), timeout=data["timeout"], boost=data["boost"])


def _settings_to_data(settings: RouterSettings) -> dict[str, Any]:
    return {
        "offer_timeout": {c.value: s for c, s in settings.offer_timeout.items()},
        "reoffer_delay": settings.reoffer_delay,
        "wrap_up": settings.wrap_up,
        "away_on_missed_offer": settings.away_on_missed_offer,
        "selection": settings.selection.name,
        "retention": settings.retention,
        "exclusive": sorted(c.value for c in settings.exclusive),
        "park_ttl": settings.park_ttl,
        "answer_window": settings.answer_window,
    }


def _settings_from_data(data: Mapping[str, Any], selection: Selection | None) -> RouterSettings:
    fields = dict(data)
    name = fields.pop("selection")
    if selection is None:
        selection = selection_named(name)
    elif selection.name != name:
        raise ConfigError(f"the snapshot was taken with selection {name!r}, not {selection.name!r}")
    return RouterSettings(selection=selection, **fields)
