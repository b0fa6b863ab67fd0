"""The routing state: one record of everything the router knows, and the records it holds per agent, contact
and conversation.

Every module of the router works on one :class:`RoutingState` passed in as ``rs``; none keeps state of its
own. Agent records are named ``ar``, contact records ``cr`` and conversation records ``conv`` throughout,
so that "state" keeps one meaning: :class:`ContactState`, where a live contact is.

This module also keeps the bookkeeping of an agent's load (:func:`add_work`, :func:`remove_work`,
:func:`release`) and of finished contacts (:func:`finish`, :func:`forget`), which every other module uses.
"""

from __future__ import annotations

import math
from collections import deque
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from routekit.models.agent import Agent, AgentStatus
from routekit.models.channel import Channel
from routekit.models.contact import Contact, Conversation
from routekit.policies.base import Plan, RoutingPolicy, Target
from routekit.queues import AgentPool, ContactQueue, QueueKey
from routekit.router.estimate import Tally
from routekit.router.settings import RouterSettings
from routekit.router.timers import TimerKind, Timers

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "AgentRecord",
    "ContactRecord",
    "ContactState",
    "ConversationRecord",
    "ConversationStatus",
    "DecisionData",
    "RoutingState",
    "Work",
    "add_work",
    "finish",
    "forget",
    "release",
    "remove_work",
]

# Who decided, at which stage, by which rule and selection, and when: (agent, stage, rule, selection, at).
DecisionData = tuple[str | None, int | None, str | None, str | None, float | None]
NO_DECISION: DecisionData = (None, None, None, None, None)


class ContactState(StrEnum):
    """Where a live contact is: waiting in a queue, offered, assigned, or held awaiting the customer."""

    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    HELD = "held"


class Work(StrEnum):
    """What a contact in an agent's hands is to that agent; each one takes a slot on its channel."""

    OFFERED = "offered"
    ASSIGNED = "assigned"
    HELD = "held"
    WRAP_UP = "wrap-up"


class ConversationStatus(StrEnum):
    """An open conversation either has a live turn (active) or waits for the customer (parked)."""

    ACTIVE = "active"
    PARKED = "parked"


# Enum members read on the routing paths, as module names: in CPython 3.11 reading a member off its class
# (``ContactState.WAITING``) costs about 0.1 µs against 0.01 µs for a module global, and each contact's
# path reads a dozen of them. The other router modules import these names.
WAITING, OFFERED = ContactState.WAITING, ContactState.OFFERED
ASSIGNED, HELD = ContactState.ASSIGNED, ContactState.HELD
WORK_OFFERED, WORK_ASSIGNED, WORK_HELD, WORK_WRAP_UP = Work.OFFERED, Work.ASSIGNED, Work.HELD, Work.WRAP_UP
ACTIVE, PARKED = ConversationStatus.ACTIVE, ConversationStatus.PARKED
AVAILABLE, AWAY, OFFLINE = AgentStatus.AVAILABLE, AgentStatus.AWAY, AgentStatus.OFFLINE
OFFER_EXPIRY, REOFFER_END, STAGE_TIMEOUT = TimerKind.OFFER_EXPIRY, TimerKind.REOFFER_END, TimerKind.STAGE_TIMEOUT
HOLD_EXPIRY, WRAP_UP_END, PARK_TTL = TimerKind.HOLD_EXPIRY, TimerKind.WRAP_UP_END, TimerKind.PARK_TTL
OPENING_HOURS = TimerKind.OPENING_HOURS
QUEUE_DELAY_END, EXCEPTION_RULE = TimerKind.QUEUE_DELAY_END, TimerKind.EXCEPTION_RULE
INF, NEG_INF = math.inf, -math.inf
# Channel.synchronous as a set: the property is a Python call, and submit asks it of every contact.
SYNCHRONOUS = frozenset(channel for channel in Channel if channel.synchronous)


@attrs.define(eq=False)
class AgentRecord:
    """A registered agent's routing state; a selection key reads it through ``AgentView``."""

    agent: Agent
    status: AgentStatus
    order: int
    idle_since: float
    last_offer_at: float = -math.inf
    # Each contact in the agent's hands, with its channel and what it is to the agent.
    work: dict[str, tuple[Channel, Work]] = attrs.field(factory=dict)
    load: dict[Channel, int] = attrs.field(factory=dict)
    exclusive_work: int = 0
    # The contacts offered to the agent and not yet answered, oldest first (at most offers_per_agent).
    offers: dict[str, None] = attrs.field(factory=dict)
    # What the agent counts as in the live statistics, as last counted (see index.recount):
    # (logged in, available, away, busy, in wrap-up).
    counted: tuple[bool, bool, bool, bool, bool] = (False, False, False, False, False)
    # The count lists it is counted in: one per target it matches, one per channel it has slots on (kept at
    # hand, so that a change costs no look-up of a target).
    tallies: list[list[int]] = attrs.field(factory=list)
    # Every general target the agent matches, with its pool: refreshing the agent needs no look-up.
    targets: dict[Target, AgentPool] = attrs.field(factory=dict)
    wrap_up_timers: dict[str, int] = attrs.field(factory=dict)
    # (logged in, available) as last counted in ``RoutingState.present`` (see index.set_presence).
    present: tuple[int, int] = (0, 0)

    @property
    def busy(self) -> int:
        """How many contacts the agent has in hand: offered, assigned, held or in wrap-up."""
        return len(self.work)

    @property
    def offer(self) -> str | None:
        """The agent's first pending offer, or ``None``."""
        return next(iter(self.offers), None)

    def takes_offers(self, offers_per_agent: int) -> bool:
        """The agent-wide half of eligibility: available, fewer than ``offers_per_agent`` offers pending, no
        exclusive work in hand (an exclusive offer included).

        The per-channel half is :func:`routekit.router.index.has_room`. This is the one definition; the two
        hottest paths (``index.refresh`` and ``matching.best_contact_for``) write it out, and say so.
        """
        return self.status is AVAILABLE and len(self.offers) < offers_per_agent and not self.exclusive_work


class ContactRecord:
    """A live contact's routing state.

    A plain slotted class: one is built per contact, and a plain ``__init__`` costs less than attrs' with
    its defaults and post-init hook.
    """

    __slots__ = (
        "agent",
        "arrival",
        "clock_start",
        "contact",
        "decision",
        "delay_timer",
        "hold_timer",
        "key",
        "offer_rule",
        "offer_timer",
        "offered_at",
        "overflowed",
        "plan",
        "priority",
        "rule_timer",
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
        state: ContactState = WAITING,
        agent: str | None = None,
        offered_at: float = math.nan,
        stage_since: float = math.nan,
        offer_rule: tuple[int, str, str] | None = None,
        decision: DecisionData | None = None,
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
        # The next moment an agent's queue delay for this contact ends (routekit.router.priorities).
        self.delay_timer: int | None = None
        self.rule_timer: int | None = None  # the earliest pending wait rule's (routekit.router.exception_rules)
        self.overflowed = False  # whether an exception rule overflowed it (it never overflows again)
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
        # The current target and queue key, kept at hand because matching compares keys on every offer:
        # (-(priority + the stage's boost), arrival, seq). move_to and reprioritize keep them current.
        self.target: Target = current.target
        self.key: QueueKey = (-(self.priority + current.boost), self.arrival, self.seq)

    def reprioritize(self, priority: int) -> None:
        """Take a new base priority; the queue key follows."""
        self.priority = priority
        self.move_to(self.stage)


@attrs.define(eq=False)
class ConversationRecord:
    """An open (or recently closed) conversation: its public record, whether a turn is live, and its TTL."""

    record: Conversation
    status: ConversationStatus
    turn: str
    first: Contact
    ttl_timer: int | None = None


class RoutingState:
    """Everything the router knows, in one record that each router module takes as ``rs``.

    The indexes (``queues``, ``pools``, ``supply``, ``agent_queues``) are built and kept by
    :mod:`routekit.router.index`; the timers' handles sit on the records they belong to.
    """

    __slots__ = (
        "agent_counts",
        "agent_order",
        "agent_queues",
        "agents",
        "answer_window",
        "away_on_missed_offer",
        "bars",
        "bars_by_agent",
        "channel_agents",
        "closed",
        "contacts",
        "conversations",
        "delay_moments",
        "delays",
        "dirty_agents",
        "dirty_contacts",
        "epoch",
        "exception_rules",
        "exclusive",
        "finished",
        "finished_order",
        "held",
        "hours",
        "hours_timers",
        "live",
        "now",
        "offer_targets",
        "offer_timeout",
        "offers_at",
        "offers_per_agent",
        "oldest",
        "outcomes",
        "park_ttl",
        "parked_count",
        "policy",
        "pools",
        "present",
        "queue_limits",
        "queues",
        "ready_plans",
        "recent",
        "reoffer_delay",
        "retention",
        "selection_key",
        "selection_name",
        "seq",
        "settings",
        "shut",
        "supply",
        "timers",
        "wait_channels",
        "wait_predictor",
        "wait_targets",
        "waiting_priority",
        "waiting_tiers",
        "wrap_up",
    )

    def __init__(self, policy: RoutingPolicy, settings: RouterSettings) -> None:
        self.policy = policy
        self.settings = settings
        # Every setting, kept at hand and read from here alone (the settings are frozen): a setting read
        # per contact costs one attribute look-up instead of two.
        self.offer_timeout = settings.offer_timeout
        self.reoffer_delay = settings.reoffer_delay
        self.wrap_up = settings.wrap_up
        self.away_on_missed_offer = settings.away_on_missed_offer
        self.selection_key: Callable[[AgentRecord, Target], tuple[Any, ...]] = settings.selection.key
        self.selection_name = settings.selection.name
        self.retention = settings.retention
        self.exclusive = settings.exclusive
        self.park_ttl = settings.park_ttl
        self.answer_window = settings.answer_window
        self.wait_predictor = settings.wait_predictor
        self.live = settings.live_statistics
        self.offers_per_agent = settings.offers_per_agent
        self.queue_limits = settings.queue_limits
        self.epoch = settings.epoch
        self.hours = settings.hours
        self.exception_rules = settings.exception_rules
        # With opening hours, now=0 is the epoch the calendars are read from: no earlier time is taken.
        self.now = 0.0 if settings.hours else -math.inf
        self.seq = 0
        self.agent_order = 0
        self.timers = Timers()
        self.agents: dict[str, AgentRecord] = {}
        self.contacts: dict[str, ContactRecord] = {}
        self.conversations: dict[str, ConversationRecord] = {}
        # Finished contacts: the conversation each belonged to (for duplicate ids and parked look-ups) ...
        self.finished: dict[str, str | None] = {}
        # ... and each one's outcome and decision, kept as a pair (unpacking one into the other would cost a
        # tuple per contact that explain rarely reads).
        self.outcomes: dict[str, tuple[str, DecisionData | None]] = {}
        # (when, id, whether the id is a conversation's), oldest first, to forget after the retention time.
        self.finished_order: deque[tuple[float, str, bool]] = deque()
        self.closed: dict[str, float] = {}
        # The index: a queue per target, a pool per general target, how many agents match each, and the
        # sticky queues of each agent.
        self.queues: dict[Target, ContactQueue] = {}
        self.pools: dict[Target, AgentPool] = {}
        self.supply: dict[Target, int] = {}
        self.agent_queues: dict[str, dict[Target, None]] = {}
        # Agents matching each general target that are (logged in, available): kept whether or not the live
        # statistics are, since a stage's skip_if reads them; they change with presence only, never with load.
        self.present: dict[Target, list[int]] = {}
        # Re-offer delays: contact -> agent -> timer, and agent -> contacts, both ways for O(1) look-ups.
        self.bars: dict[str, dict[str, int]] = {}
        self.bars_by_agent: dict[str, dict[str, None]] = {}
        # The wait estimates' online statistics, per target and per channel (routekit.router.estimate).
        self.wait_targets: dict[Target, Tally] = {}
        self.wait_channels: dict[Channel, Tally] = {}
        # Agents' queue delays: a target's rule -> delay seconds -> how many registered agents give it.
        self.delays: dict[str, dict[float, int]] = {}
        # Each delay timer as (due, handle, contact id), a heap: matching at a moment releases every delay
        # due by then, before its timer (ranked last) fires (routekit.router.priorities.release_due).
        self.delay_moments: list[tuple[float, int, str]] = []
        # The last answer_window contacts decided at each target, as (waited, answered): what the
        # service-level trigger of an exception rule reads. Kept always.
        self.recent: dict[Target, deque[tuple[float, bool]]] = {}
        # The live statistics, kept as the state changes so that reading them costs O(targets), never a scan
        # of contacts (routekit.router.statistics reads them; index.enqueue, dequeue and recount keep them):
        # waiting contacts by target and effective priority, and by channel and tier; a lazy heap per target
        # of (arrived at, seq, contact id) for the oldest waiting contact; pending offers by target; agents
        # by target and by channel as (logged in, available, away, busy, in wrap-up); parked conversations.
        # The per-queue counts are keyed by the queue object and the offers by the target's id: both hash in
        # C, where a Target's hash is a Python call (routekit.router.statistics groups them by target).
        self.waiting_priority: dict[ContactQueue, dict[int, int]] = {}
        self.waiting_tiers: dict[tuple[Channel, str], int] = {}
        self.oldest: dict[ContactQueue, list[tuple[float, int, str]]] = {}
        self.offers_at: dict[int, int] = {}
        self.offer_targets: dict[int, Target] = {}
        self.agent_counts: dict[Target, list[int]] = {}
        self.channel_agents: dict[Channel, list[int]] = {}
        self.parked_count: dict[Channel, int] = {}
        # What changed since matching last ran (see routekit.router.matching).
        self.dirty_contacts: dict[str, None] = {}
        self.dirty_agents: dict[str, None] = {}
        # Plans already indexed (every target has its queue and pool) that some registered agent could
        # serve, by id (the plan is kept, so that its id stays its own). A policy that caches its plans
        # makes each later submit of the same plan skip both checks; any change to the roster clears it.
        self.ready_plans: dict[int, Plan] = {}
        # Opening hours (routekit.router.hours): each closed channel with when it reopens (None: never), the
        # closed asynchronous channels (no offers are made on them), and each calendar's timer.
        self.shut: dict[Channel, float | None] = {}
        self.held: set[Channel] = set()
        self.hours_timers: dict[Channel, int] = {}


def add_work(rs: RoutingState, ar: AgentRecord, contact_id: str, channel: Channel, kind: Work) -> None:
    """A contact takes a slot of the agent's on its channel. O(1)."""
    ar.work[contact_id] = (channel, kind)
    ar.load[channel] = ar.load.get(channel, 0) + 1
    if channel in rs.exclusive:
        ar.exclusive_work += 1


def remove_work(rs: RoutingState, ar: AgentRecord, contact_id: str) -> None:
    """A contact gives its slot back. O(1)."""
    channel, _ = ar.work.pop(contact_id)
    ar.load[channel] -= 1
    if channel in rs.exclusive:
        ar.exclusive_work -= 1


def release(rs: RoutingState, ar: AgentRecord, contact_id: str, now: float) -> None:
    """Free the slot a contact held; the agent counts as freed now (longest-idle)."""
    remove_work(rs, ar, contact_id)
    ar.idle_since = now


def finish(
    rs: RoutingState,
    contact_id: str,
    now: float,
    conversation_id: str | None,
    outcome: str,
    decision: DecisionData | None,
) -> None:
    """Remember a finished contact for the retention time: its conversation, outcome and decision."""
    rs.finished[contact_id] = conversation_id
    rs.outcomes[contact_id] = (outcome, decision)
    rs.finished_order.append((now, contact_id, False))


def forget(rs: RoutingState, now: float) -> None:
    """Forget the contacts and conversations that finished more than the retention time before ``now``."""
    horizon = now - rs.retention
    order = rs.finished_order
    while order and order[0][0] <= horizon:
        _, some_id, conversation = order.popleft()
        if conversation:
            rs.closed.pop(some_id, None)
            rs.conversations.pop(some_id, None)
        else:
            rs.finished.pop(some_id, None)
            rs.outcomes.pop(some_id, None)
