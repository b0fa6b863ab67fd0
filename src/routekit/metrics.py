"""KPIs computed from the router's event stream: the same code a platform runs on its live events.

A :class:`KpiCollector` observes events one at a time (O(1) each, a dict dispatch on the event type) and
keeps per-contact state only while a contact is open, so memory stays bounded over millions of events.
``report(until)`` returns a frozen :class:`KpiReport` with a row per channel, per tier, per (channel, tier)
and overall (``"all"``).

Every contact KPI is over *offered* contacts after warm-up, and each contact counts once under the
channel and tier of its first ``ContactQueued``.
A contact's *wait* runs from ``ContactQueued.arrived_at`` (the service-level clock start: the original
arrival, or the customer's reply for a conversation turn) to its first ``Assigned``, which carries it as
``Assigned.waited``.

- ``offered``: contacts that entered routing, that is, the first ``ContactQueued`` of each contact id.
  A later ``ContactQueued`` of the same id (after ``Transferred``) is the same contact, not a new one.
  A reply turn of a conversation has its own id, so it is a new offered contact.
- ``handled``: offered contacts with an ``Assigned``.
- ``abandoned``: offered contacts with an ``Abandoned`` before any ``Assigned``.
  Abandoning a held or parked conversation, or a transferred contact, is not an abandonment: the contact
  was handled.
- ``denied``: contacts refused at submit (a ``Denied`` with no ``ContactQueued`` before it); they are not
  offered.
- ``denied_with_fallback``: those of ``denied`` whose ``Denied.fallback`` names a channel.
- ``denied_after_queue``: offered contacts ended by a ``Denied`` before any ``Assigned`` (for example
  ``reason="unroutable"`` after the last agent who could serve them left).
- ``still_waiting``: offered contacts neither assigned nor ended by ``until`` (waiting or being offered).
  Each offered contact has exactly one outcome:
  ``handled + abandoned + denied_after_queue + still_waiting == offered``.
- ``abandon_rate``: ``abandoned / offered``.
- ``service_level``: contacts answered with a wait at most the channel's threshold, over offered contacts,
  abandoned ones included whenever they left (Erlang A defines it the same way).
  A contact still waiting at ``until`` counts as a miss once it has waited past the threshold; one that
  has not is undecided and left out of the denominator, so a report taken mid-day is not biased by
  contacts that may yet be answered in time.
  Channels without a threshold in ``service_levels`` have no service level and are left out of the
  tier and overall rows' service level.
- ``asa``: the mean wait of handled contacts.
- ``p_wait``: the share of offered contacts not offered to an agent at once: the first ``Offered.at`` is
  after the first ``ContactQueued.at``, or there was no ``Offered`` at all.
- ``aht``: the mean, over contacts with a ``Completed``, of the time assigned (each ``Assigned`` to the
  next ``Transferred`` or the ``Completed``, summed over transfers) plus the wrap-up,
  ``Completed.wrap_up_until - Completed.at``.
  A conversation turn that ends ``Parked`` has no ``Completed`` and gives no sample.
- ``max_wait``: the longest wait of any offered contact: answered (``Assigned.waited``), abandoned or
  denied (the time it ended less ``arrived_at``), or still waiting at ``until``.
- ``sticky_hit_rate``: the share of answered reply turns (announced by ``Resumed`` with a
  ``last_agent_id``) whose first ``Assigned`` agent is that last agent.
- ``expected_wait_bias`` and ``expected_wait_mae``: the mean and the mean absolute value of
  ``estimate - actual`` over handled contacts with an estimate (:meth:`KpiCollector.observe_estimate`),
  where ``actual`` is the first ``Assigned.at`` less the first ``ContactQueued.at``: the estimate is
  made at submit, so it is measured from submit.
- ``occupancy``: the time agents have any work, over the time they are logged in.
  An agent has work from ``Assigned`` until the ``WrapUpEnded`` after ``Completed`` (until ``Completed``
  when there is no wrap-up), ``Transferred`` or ``Parked``; a conversation held by ``AwaitingCustomer``
  is work until it is parked, completed or abandoned.
  An agent is busy with at least one unit of work, and counts only while logged in: from an
  ``AgentStatusChanged`` to ``AVAILABLE`` or ``AWAY`` until one to ``OFFLINE``.
  On a channel row, the agents are those with capacity on that channel (given by ``capacity``), busy
  when they have work on that channel; tier rows have no occupancy.
- ``slot_utilisation`` (channel rows): busy slot-seconds on the channel (the number of its contacts an
  agent holds, times the time) over logged-in seconds times the agent's capacity on it.
- ``intervals``: per interval of ``interval`` seconds (each one with a contact first queued in it or an
  agent logged in, and those between), by the contact's first ``ContactQueued.at``:
  ``offered``, ``handled``, ``abandoned``, ``service_level`` and ``asa`` as above; on the rows of every
  tier (``tier == "all"``), also the agent time within the interval itself: ``occupancy`` as above, and
  ``agents``, the mean number of agents logged in (with capacity on the row's channel), that is, logged-in
  agent seconds over the seconds of the interval that were measured.

Warm-up: the first ``warmup_contacts`` distinct contacts to be queued are left out of every contact KPI,
and so is a ``Denied`` at submit before they are all queued.
Agent time (occupancy, slot utilisation) counts from the moment the first counted contact is queued.
A KPI whose denominator is zero is ``None``.

>>> from routekit.events import Assigned, ContactQueued, Completed, Offered
>>> kpis = KpiCollector(service_levels={Channel.VOICE: 20.0})
>>> kpis.observe_all([
...     ContactQueued(at=0.0, contact_id="c-1", channel="voice", tier="gold", arrived_at=0.0, stage=0,
...                   rule="skills:billing>=3", priority=0),
...     Offered(at=5.0, contact_id="c-1", agent_id="a-1", stage=0, rule="skills:billing>=3",
...             selection="longest-idle", expires_at=25.0),
...     Assigned(at=8.0, contact_id="c-1", agent_id="a-1", waited=8.0),
...     Completed(at=68.0, contact_id="c-1", agent_id="a-1", wrap_up_until=78.0),
... ])
>>> row = kpis.report(until=100.0).row("voice", "gold")
>>> row.offered, row.handled, row.service_level, row.asa, row.p_wait, row.aht
(1, 1, 1.0, 8.0, 1.0, 70.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from routekit.errors import ConfigError, UnknownIdError
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
from routekit.models.agent import AgentStatus
from routekit.models.channel import Channel, to_channel
from routekit.models.tiers import Tier

__all__ = ["ALL", "IntervalKpis", "KpiCollector", "KpiReport", "KpiRow", "summary_table"]

ALL = "all"
"""The channel or tier name of a row that totals over every channel or tier."""


# ---------------------------------------------------------------------------------------------------
# The frozen report


@attrs.frozen(kw_only=True)
class IntervalKpis:
    """Contact KPIs for the contacts first queued in ``[start, end)``."""

    start: float
    end: float
    offered: int
    handled: int
    abandoned: int
    service_level: float | None
    asa: float | None
    occupancy: float | None = None
    agents: float | None = None


@attrs.frozen(kw_only=True)
class KpiRow:
    """The KPIs of one channel and tier (``"all"`` for totals); each is defined in :mod:`routekit.metrics`."""

    channel: str
    tier: str
    offered: int
    handled: int
    abandoned: int
    denied: int
    denied_with_fallback: int
    denied_after_queue: int
    still_waiting: int
    abandon_rate: float | None
    service_level: float | None
    asa: float | None
    p_wait: float | None
    aht: float | None
    max_wait: float | None
    sticky_hit_rate: float | None
    expected_wait_bias: float | None
    expected_wait_mae: float | None
    occupancy: float | None
    slot_utilisation: float | None
    intervals: tuple[IntervalKpis, ...] = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class KpiReport:
    """The KPIs at ``until``: overall first, then per channel, per tier, and per (channel, tier)."""

    until: float
    interval: float
    warmup_contacts: int
    rows: tuple[KpiRow, ...]

    @property
    def overall(self) -> KpiRow:
        """The row totalling every channel and tier."""
        return self.rows[0]

    def row(self, channel: Channel | str = ALL, tier: str = ALL) -> KpiRow:
        """The row of one channel and tier; ``"all"`` totals over that dimension.

        Raises:
            UnknownIdError: No contact of that channel and tier was observed.
        """
        for row in self.rows:
            if row.channel == channel and row.tier == tier:
                return row
        raise UnknownIdError(f"no KPI row for channel {str(channel)!r} and tier {tier!r}")


def summary_table(report: KpiReport) -> str:
    """A fixed-width text table of the main KPIs, one line per row of ``report``; ``-`` where undefined.

    >>> print(summary_table(KpiCollector().report(until=0.0)))
    channel    tier        offered  handled  abandon %   SL %   ASA s  occupancy %
    all        all               0        0          -      -       -            -
    """

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}"

    def sec(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    lines = [
        f"{'channel':<10} {'tier':<10} {'offered':>8} {'handled':>8} {'abandon %':>10} {'SL %':>6}"
        f" {'ASA s':>7} {'occupancy %':>12}"
    ]
    for row in report.rows:
        lines.append(
            f"{row.channel:<10} {row.tier:<10} {row.offered:>8} {row.handled:>8}"
            f" {pct(row.abandon_rate):>10} {pct(row.service_level):>6} {sec(row.asa):>7}"
            f" {pct(row.occupancy):>12}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Mutable state of the collector


@attrs.define
class _Tally:
    """Counts and sums for one (channel, tier), or one interval of it; KPIs are ratios of these.

    An interval's ``wait_max`` stays 0: the interval series has no max wait, and keeping it would cost a
    comparison per contact.
    """

    offered: int = 0
    handled: int = 0
    abandoned: int = 0
    denied: int = 0
    denied_with_fallback: int = 0
    denied_after_queue: int = 0
    still_waiting: int = 0
    immediate: int = 0
    sl_offered: int = 0
    sl_answered: int = 0
    sl_undecided: int = 0
    wait_sum: float = 0.0
    wait_max: float = 0.0
    aht_n: int = 0
    aht_sum: float = 0.0
    sticky_turns: int = 0
    sticky_hits: int = 0
    estimates: int = 0
    estimate_error_sum: float = 0.0
    estimate_abs_error_sum: float = 0.0


_TALLY_FIELDS = tuple(field.name for field in attrs.fields(_Tally))


def _merged(tallies: Iterable[_Tally]) -> _Tally:
    total = _Tally()
    for tally in tallies:
        for name in _TALLY_FIELDS:
            if name == "wait_max":
                total.wait_max = max(total.wait_max, tally.wait_max)
            else:
                setattr(total, name, getattr(total, name) + getattr(tally, name))
    return total


class _Open:
    """What the collector keeps of a contact between its first ``ContactQueued`` and its end."""

    # A plain slotted class rather than attrs: one is built per contact, and this __init__ sets the
    # defaulted fields without taking them as arguments.
    __slots__ = (
        "agent",
        "answered",
        "arrived_at",
        "assigned_at",
        "assigned_for",
        "channel",
        "conversation",
        "estimate",
        "interval",
        "offered",
        "queued_at",
        "sticky_agent",
        "tally",
        "threshold",
    )

    channel: Channel
    tally: _Tally | None  # None: a warm-up contact, left out of the contact KPIs
    interval: _Tally | None  # None for a warm-up contact
    threshold: float | None  # None for a warm-up contact, and on a channel without a service level
    arrived_at: float
    queued_at: float
    estimate: float | None
    sticky_agent: str | None
    offered: bool
    answered: bool
    agent: str | None
    assigned_at: float
    assigned_for: float  # time assigned before a transfer, for AHT
    conversation: str | None

    def __init__(
        self,
        channel: Channel,
        tally: _Tally | None,
        interval: _Tally | None,
        threshold: float | None,
        arrived_at: float,
        queued_at: float,
        estimate: float | None,
        sticky_agent: str | None,
    ) -> None:
        self.channel = channel
        self.tally = tally
        self.interval = interval
        self.threshold = threshold
        self.arrived_at = arrived_at
        self.queued_at = queued_at
        self.estimate = estimate
        self.sticky_agent = sticky_agent
        self.offered = False
        self.answered = False
        self.agent = None
        self.assigned_at = 0.0
        self.assigned_for = 0.0
        self.conversation = None


class _Counting:
    """Where a new contact of one (channel, tier) is counted: the pair's tally and its latest interval's.

    Contacts are queued in time order, so most land in the interval of the one before: keeping it saves
    looking its tally up by (channel, tier, index) for each contact.
    """

    __slots__ = ("index", "interval", "tally", "threshold")

    tally: _Tally
    threshold: float | None  # the channel's service level
    index: float  # at // interval of the latest contact; NaN before the first
    interval: _Tally | None

    def __init__(self, tally: _Tally, threshold: float | None) -> None:
        self.tally = tally
        self.threshold = threshold
        self.index = math.nan
        self.interval = None


class _AgentClock:
    """An agent's presence and work, and when they last changed."""

    __slots__ = ("last", "logged_in", "seats", "units", "work")

    # The capacity's items: accruing time loops over them at each change, faster over a tuple than a dict.
    seats: tuple[tuple[Channel, int], ...]
    logged_in: bool
    last: float
    work: int
    units: dict[Channel, int]  # every channel, so that adding work needs no default

    def __init__(self, capacity: dict[Channel, int]) -> None:
        self.seats = tuple(capacity.items())
        self.logged_in = False
        self.last = -math.inf
        self.work = 0
        self.units = dict.fromkeys(Channel, 0)


class _ChannelTime:
    """Agent seconds on one channel: logged in with capacity on it, busy on it, and the same in slots."""

    __slots__ = ("busy", "logged", "slot_busy", "slot_capacity")

    logged: float
    busy: float
    slot_capacity: float
    slot_busy: float

    def __init__(self, logged: float = 0.0, busy: float = 0.0, slot_capacity: float = 0.0, slot_busy: float = 0.0):
        self.logged = logged
        self.busy = busy
        self.slot_capacity = slot_capacity
        self.slot_busy = slot_busy


def _per_channel() -> dict[Channel, _ChannelTime]:
    return {channel: _ChannelTime() for channel in Channel}


@attrs.define
class _AgentTime:
    """Agent seconds accrued since warm-up ended."""

    logged: float = 0.0
    busy: float = 0.0
    # One record per channel rather than four dicts: accruing looks the channel up once.
    channels: dict[Channel, _ChannelTime] = attrs.field(factory=_per_channel)

    def copy(self) -> _AgentTime:
        channels = {
            channel: _ChannelTime(spent.logged, spent.busy, spent.slot_capacity, spent.slot_busy)
            for channel, spent in self.channels.items()
        }
        return _AgentTime(self.logged, self.busy, channels)

    def since(self, earlier: _AgentTime) -> _AgentTime:
        """The time accrued between ``earlier`` (a copy of these totals) and now."""
        channels = {
            channel: _ChannelTime(
                spent.logged - then.logged,
                spent.busy - then.busy,
                spent.slot_capacity - then.slot_capacity,
                spent.slot_busy - then.slot_busy,
            )
            for (channel, spent), then in zip(self.channels.items(), earlier.channels.values(), strict=True)
        }
        return _AgentTime(self.logged - earlier.logged, self.busy - earlier.busy, channels)

    def accrue(self, agent: _AgentClock, seconds: float) -> None:
        self.logged += seconds
        if agent.work:
            self.busy += seconds
        units = agent.units
        channels = self.channels
        for channel, slots in agent.seats:
            spent = channels[channel]
            spent.logged += seconds
            spent.slot_capacity += seconds * slots
            working = units[channel]
            if working:
                spent.busy += seconds
                spent.slot_busy += seconds * working


def _thresholds(value: Mapping[Channel, float] | Mapping[str, float] | None) -> dict[Channel, float]:
    thresholds = {}
    for channel, seconds in (value or {}).items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
            raise ConfigError(f"service_levels[{str(channel)!r}] must be a number of seconds >= 0, got {seconds!r}")
        thresholds[to_channel(channel)] = float(seconds)
    return thresholds


def _slots(value: Mapping[Channel, int] | Mapping[str, int]) -> dict[Channel, int]:
    slots = {}
    for channel, count in value.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ConfigError(f"capacity[{str(channel)!r}] must be an integer >= 0, got {count!r}")
        if count:
            slots[to_channel(channel)] = count
    return slots


def _capacities(
    value: Mapping[str, Mapping[Channel, int] | Mapping[str, int]] | None,
) -> dict[str, dict[Channel, int]]:
    return {agent_id: _slots(slots) for agent_id, slots in (value or {}).items()}


def _tier_names(value: Iterable[str | Tier]) -> tuple[str, ...]:
    # Accepts a Tiers (which iterates Tier records) as well as plain names.
    return tuple(tier.name if isinstance(tier, Tier) else tier for tier in value)


def _check_warmup(instance: Any, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"warmup_contacts must be an integer >= 0, got {value!r}")


def _check_interval(instance: Any, attribute: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ConfigError(f"interval must be a number of seconds > 0, got {value!r}")


# ---------------------------------------------------------------------------------------------------
# The collector


# Validators run when the collector is built; re-running them on every counter update cost about a fifth
# of observe's time.
@attrs.define(on_setattr=attrs.setters.NO_OP)
class KpiCollector:
    """Observes router events and reports KPIs; the definitions are in :mod:`routekit.metrics`.

    Args:
        service_levels: Channel to its service-level threshold in seconds; a channel not listed has no
            service level.
        warmup_contacts: How many of the first contacts to be queued to leave out of the KPIs.
        interval: The length of each interval of the per-interval series, in seconds.
        capacity: Agent id to its channel capacity, needed for per-channel occupancy and slot
            utilisation (agents not listed count only in the overall occupancy).
        tiers: The order of tier rows in the report, lowest first (names, or a
            :class:`~routekit.models.Tiers`); tiers not listed follow by name.

    Raises:
        ConfigError: A negative threshold, warm-up or capacity, or an interval that is not > 0.

    >>> kpis = KpiCollector(service_levels={"chat": 60}, warmup_contacts=100, interval=900)
    >>> kpis.report(until=0.0).overall.offered
    0
    """

    service_levels: dict[Channel, float] = attrs.field(factory=dict, converter=_thresholds)
    warmup_contacts: int = attrs.field(default=0, validator=_check_warmup)
    interval: float = attrs.field(default=1800.0, validator=_check_interval)
    capacity: dict[str, dict[Channel, int]] = attrs.field(factory=dict, converter=_capacities)
    tiers: tuple[str, ...] = attrs.field(default=(), converter=_tier_names)

    _open: dict[str, _Open] = attrs.field(init=False, factory=dict)
    _tallies: dict[tuple[Channel, str], _Tally] = attrs.field(init=False, factory=dict)
    _interval_tallies: dict[tuple[Channel, str, int], _Tally] = attrs.field(init=False, factory=dict)
    _agents: dict[str, _AgentClock] = attrs.field(init=False, factory=dict)
    _time: _AgentTime = attrs.field(init=False, factory=_AgentTime)
    _wrapping: dict[tuple[str, str], Channel] = attrs.field(init=False, factory=dict)
    # Keyed by conversation id; a finished contact pops its conversation, None outside one (never a key).
    _held: dict[str | None, str] = attrs.field(init=False, factory=dict)
    _resumed: dict[str, str] = attrs.field(init=False, factory=dict)
    _estimates: dict[str, float] = attrs.field(init=False, factory=dict)
    _queued: int = attrs.field(init=False, default=0)
    _measure_from: float = attrs.field(init=False, default=-math.inf)
    _dispatch: dict[type, Callable[[Any], None]] = attrs.field(init=False, factory=dict)
    _counting: dict[tuple[Channel, str], _Counting] = attrs.field(init=False, factory=dict)
    _first_counted: int = attrs.field(init=False, default=0)  # the count of queued contacts that ends warm-up
    # The agent time totals at each interval boundary passed so far (the k-th at (k + 1) * interval), and
    # the next boundary: agent time is split into intervals by settling every agent at each boundary.
    _boundary_totals: list[_AgentTime] = attrs.field(init=False, factory=list)
    _next_boundary: float = attrs.field(init=False, default=math.inf)

    def __attrs_post_init__(self) -> None:
        if self.warmup_contacts:
            # Agent time starts counting when the first counted contact is queued.
            self._measure_from = math.inf
            self._first_counted = self.warmup_contacts + 1
        self._next_boundary = self.interval
        ignore = self._ignore
        self._dispatch = {
            ContactQueued: self._on_queued,
            Offered: self._on_offered,
            Assigned: self._on_assigned,
            Completed: self._on_completed,
            WrapUpEnded: self._on_wrap_up_ended,
            Transferred: self._on_transferred,
            Abandoned: self._on_abandoned,
            Denied: self._on_denied,
            AwaitingCustomer: self._on_awaiting,
            Parked: self._on_parked,
            ConversationClosed: self._on_closed,
            Resumed: self._on_resumed,
            AgentStatusChanged: self._on_status,
            OfferRejected: ignore,
            OfferExpired: ignore,
            OfferRescinded: ignore,
            StageChanged: ignore,
            CustomerReplied: ignore,
            Reprioritized: ignore,
        }

    # -- public ------------------------------------------------------------------------------------

    def observe(self, event: Event) -> None:
        """Take one event into account. O(1).

        Raises:
            TypeError: ``event`` is not a router event.
        """
        try:
            handler = self._dispatch[type(event)]
        except KeyError:
            raise TypeError(f"not a router event: {event!r}") from None
        handler(event)

    def observe_all(self, events: Iterable[Event]) -> None:
        """Take each event into account, in order. O(1) per event.

        Raises:
            TypeError: An item is not a router event.
        """
        dispatch = self._dispatch
        for event in events:
            try:
                handler = dispatch[type(event)]
            except KeyError:
                raise TypeError(f"not a router event: {event!r}") from None
            handler(event)

    def observer(self, kind: type) -> Callable[[Any], None]:
        """The function :meth:`observe` hands each event of type ``kind`` to.

        For a host that already sorts each event by its type (the simulator does, to react to it):
        calling ``observer(type(event))(event)`` is ``observe(event)`` without a second look-up.

        Raises:
            TypeError: ``kind`` is not a router event type.
        """
        try:
            return self._dispatch[kind]
        except KeyError:
            raise TypeError(f"not a router event type: {kind!r}") from None

    def observe_estimate(self, contact_id: str, estimate_seconds: float) -> None:
        """Record the router's expected wait for a contact, made at submit, to measure its error.

        It may come before or after the contact's ``ContactQueued``; an estimate for a contact that is
        never queued is dropped at its ``Denied``.
        """
        contact = self._open.get(contact_id)
        if contact is None:
            self._estimates[contact_id] = float(estimate_seconds)
        elif not contact.answered:
            contact.estimate = float(estimate_seconds)

    def login(self, agent_id: str, at: float) -> None:
        """Start counting the agent's logged-in time (a no-op if it is already logged in)."""
        agent = self._agent(agent_id)
        if not agent.logged_in:
            self._settle(agent, at)
            agent.logged_in = True

    def logout(self, agent_id: str, at: float) -> None:
        """Stop counting the agent's logged-in time (a no-op if it is not logged in)."""
        agent = self._agent(agent_id)
        if agent.logged_in:
            self._settle(agent, at)
            agent.logged_in = False

    def set_capacity(self, agent_id: str, capacity: Mapping[Channel, int] | Mapping[str, int], at: float) -> None:
        """Change an agent's channel capacity from ``at`` on (after the router's ``update_agent``).

        Raises:
            ConfigError: A slot count that is not an integer >= 0.
        """
        slots = _slots(capacity)
        agent = self._agent(agent_id)
        self._settle(agent, at)
        agent.seats = tuple(slots.items())
        self.capacity[agent_id] = slots

    def report(self, until: float) -> KpiReport:
        """The KPIs of everything observed, with open work and waiting contacts counted up to ``until``.

        It changes nothing, so it can be called at any time, for example every interval on live events.
        O(open contacts + agents + rows x intervals).
        """
        time = self._time_at(until)

        tallies = {key: attrs.evolve(tally) for key, tally in self._tallies.items()}
        intervals = {key: attrs.evolve(tally) for key, tally in self._interval_tallies.items()}
        copies = {id(self._tallies[key]): tally for key, tally in tallies.items()}
        copies.update({id(self._interval_tallies[key]): tally for key, tally in intervals.items()})
        for contact in self._open.values():
            if contact.tally is None or contact.answered:
                continue
            waited = max(0.0, until - contact.arrived_at)
            undecided = contact.threshold is not None and waited <= contact.threshold
            for original in (contact.tally, contact.interval):
                tally = copies[id(original)]
                tally.still_waiting += 1
                if undecided:
                    tally.sl_undecided += 1
            pair = copies[id(contact.tally)]
            pair.wait_max = max(pair.wait_max, waited)
        return KpiReport(
            until=until,
            interval=self.interval,
            warmup_contacts=self.warmup_contacts,
            rows=self._rows(tallies, intervals, time, self._interval_time(until, time)),
        )

    def _time_at(self, moment: float) -> _AgentTime:
        """The agent time totals as they will stand at ``moment`` if no agent changes before it."""
        time = self._time.copy()
        start_from = self._measure_from
        for agent in self._agents.values():
            start = agent.last if agent.last > start_from else start_from
            if agent.logged_in and moment > start:
                time.accrue(agent, moment - start)
        return time

    def _interval_time(self, until: float, total: _AgentTime) -> list[tuple[_AgentTime, float]]:
        """Each interval's agent time up to ``until``, with the seconds of it that were measured."""
        totals = list(self._boundary_totals)
        boundary = self._next_boundary
        while boundary < until:
            totals.append(self._time_at(boundary))
            boundary += self.interval
        totals.append(total)
        series = []
        before = _AgentTime()
        for k, now in enumerate(totals):
            start, end = k * self.interval, min((k + 1) * self.interval, until)
            measured = end - max(start, self._measure_from)
            series.append((now.since(before), measured))
            before = now
        return series

    def _cross_boundaries(self, at: float) -> None:
        """Settle every agent at each interval boundary up to ``at``, and keep the totals there. O(agents)."""
        while self._next_boundary <= at:
            boundary = self._next_boundary
            for agent in self._agents.values():
                self._settle(agent, boundary)
            self._boundary_totals.append(self._time.copy())
            self._next_boundary = boundary + self.interval

    # -- snapshot ----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The collector's whole state as plain, JSON-able data; :meth:`restore` rebuilds it. O(state).

        A durable router keeps it in its snapshots, so that live KPIs survive a restart.
        """
        tally_refs = {id(tally): i for i, tally in enumerate(self._tallies.values())}
        interval_refs = {id(tally): i for i, tally in enumerate(self._interval_tallies.values())}

        def ref(refs: dict[int, int], tally: _Tally | None) -> int | None:
            return None if tally is None else refs[id(tally)]

        return {
            "settings": {
                "service_levels": {c.value: s for c, s in self.service_levels.items()},
                "warmup_contacts": self.warmup_contacts,
                "interval": self.interval,
                "capacity": {a: {c.value: n for c, n in slots.items()} for a, slots in self.capacity.items()},
                "tiers": list(self.tiers),
            },
            "tallies": [[c.value, t, *attrs.astuple(v)] for (c, t), v in self._tallies.items()],
            "intervals": [[c.value, t, i, *attrs.astuple(v)] for (c, t, i), v in self._interval_tallies.items()],
            "open": [
                [
                    cid,
                    o.channel.value,
                    ref(tally_refs, o.tally),
                    ref(interval_refs, o.interval),
                    o.threshold,
                    o.arrived_at,
                    o.queued_at,
                    o.estimate,
                    o.sticky_agent,
                    o.offered,
                    o.answered,
                    o.agent,
                    o.assigned_at,
                    o.assigned_for,
                    o.conversation,
                ]
                for cid, o in self._open.items()
            ],
            "agents": [
                [
                    a,
                    [[c.value, n] for c, n in k.seats],
                    k.logged_in,
                    _number(k.last),
                    k.work,
                    [[c.value, n] for c, n in k.units.items()],
                ]
                for a, k in self._agents.items()
            ],
            "time": _time_to_data(self._time),
            # The agent time totals at each interval boundary passed, for the per-interval occupancy.
            "boundary_totals": [_time_to_data(total) for total in self._boundary_totals],
            "next_boundary": _number(self._next_boundary),
            "wrapping": [[a, cid, c.value] for (a, cid), c in self._wrapping.items()],
            "held": dict(self._held),
            "resumed": dict(self._resumed),
            "estimates": dict(self._estimates),
            "queued": self._queued,
            "measure_from": _number(self._measure_from),
            "first_counted": self._first_counted,
            "counting": [
                [c.value, t, tally_refs[id(k.tally)], k.threshold, _number(k.index), ref(interval_refs, k.interval)]
                for (c, t), k in self._counting.items()
            ],
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any]) -> KpiCollector:
        """Rebuild a collector from :meth:`snapshot`'s data (after a JSON round trip or not).

        Raises:
            ConfigError: The settings in the snapshot are not valid.
        """
        kpis = cls(**snapshot["settings"])
        tallies = []
        for channel, tier, *values in snapshot["tallies"]:
            tally = kpis._tallies[(Channel(channel), tier)] = _Tally(*values)
            tallies.append(tally)
        intervals = []
        for channel, tier, index, *values in snapshot["intervals"]:
            tally = kpis._interval_tallies[(Channel(channel), tier, index)] = _Tally(*values)
            intervals.append(tally)
        for row in snapshot["open"]:
            (cid, channel, tally_ref, interval_ref, threshold, arrived_at, queued_at, estimate, sticky) = row[:9]
            o = _Open(
                Channel(channel),
                None if tally_ref is None else tallies[tally_ref],
                None if interval_ref is None else intervals[interval_ref],
                threshold,
                arrived_at,
                queued_at,
                estimate,
                sticky,
            )
            o.offered, o.answered, o.agent, o.assigned_at, o.assigned_for, o.conversation = row[9:]
            kpis._open[cid] = o
        for agent_id, seats, logged_in, last, work, units in snapshot["agents"]:
            clock = _AgentClock({Channel(c): n for c, n in seats})
            clock.logged_in, clock.last, clock.work = logged_in, float(last), work
            clock.units.update({Channel(c): n for c, n in units})
            kpis._agents[agent_id] = clock
        kpis._time = _time_from_data(snapshot["time"])
        kpis._boundary_totals = [_time_from_data(total) for total in snapshot["boundary_totals"]]
        kpis._next_boundary = float(snapshot["next_boundary"])
        kpis._wrapping = {(a, cid): Channel(c) for a, cid, c in snapshot["wrapping"]}
        kpis._held = dict(snapshot["held"])
        kpis._resumed = dict(snapshot["resumed"])
        kpis._estimates = dict(snapshot["estimates"])
        kpis._queued = snapshot["queued"]
        kpis._measure_from = float(snapshot["measure_from"])
        kpis._first_counted = snapshot["first_counted"]
        for channel, tier, tally_ref, threshold, index, interval_ref in snapshot["counting"]:
            counting = _Counting(tallies[tally_ref], threshold)
            counting.index = float(index)
            counting.interval = None if interval_ref is None else intervals[interval_ref]
            kpis._counting[(Channel(channel), tier)] = counting
        return kpis

    # -- report helpers ----------------------------------------------------------------------------

    def _rows(
        self,
        tallies: dict[tuple[Channel, str], _Tally],
        intervals: dict[tuple[Channel, str, int], _Tally],
        time: _AgentTime,
        interval_time: list[tuple[_AgentTime, float]],
    ) -> tuple[KpiRow, ...]:
        channels = [c for c in Channel if any(key[0] == c for key in tallies)]
        seen = {tier for _, tier in tallies}
        tiers = [t for t in self.tiers if t in seen] + sorted(seen - set(self.tiers))
        by_index: dict[int, list[tuple[Channel, str, _Tally]]] = {}
        for (c, t, index), tally in intervals.items():
            by_index.setdefault(index, []).append((c, t, tally))
        # The intervals with a contact first queued in them, or with an agent logged in, and those between.
        indices = list(by_index) + [k for k, (spent, _) in enumerate(interval_time) if spent.logged > 0]
        span = range(min(indices), max(indices) + 1) if indices else range(0)

        def row(channel: Channel | None, tier: str | None) -> KpiRow:
            def match(c: Channel, t: str) -> bool:
                return (channel is None or c == channel) and (tier is None or t == tier)

            series = []
            for index in span:
                part = _merged(v for c, t, v in by_index.get(index, ()) if match(c, t))
                busy = agents = None
                if tier is None and 0 <= index < len(interval_time):
                    inside, measured = interval_time[index]
                    logged, working = (
                        (inside.logged, inside.busy)
                        if channel is None
                        else (inside.channels[channel].logged, inside.channels[channel].busy)
                    )
                    busy = _ratio(working, logged)
                    agents = logged / measured if measured > 0 else None
                series.append(
                    IntervalKpis(
                        start=index * self.interval,
                        end=(index + 1) * self.interval,
                        offered=part.offered,
                        handled=part.handled,
                        abandoned=part.abandoned,
                        service_level=_ratio(part.sl_answered, part.sl_offered - part.sl_undecided),
                        asa=_ratio(part.wait_sum, part.handled),
                        occupancy=busy,
                        agents=agents,
                    )
                )
            occupancy = slot_utilisation = None
            if tier is None:
                if channel is None:
                    occupancy = _ratio(time.busy, time.logged)
                else:
                    spent = time.channels[channel]
                    occupancy = _ratio(spent.busy, spent.logged)
                    slot_utilisation = _ratio(spent.slot_busy, spent.slot_capacity)
            total = _merged(v for (c, t), v in tallies.items() if match(c, t))
            return _row(
                ALL if channel is None else channel.value,
                ALL if tier is None else tier,
                total,
                occupancy,
                slot_utilisation,
                tuple(series),
            )

        rows = [row(None, None)]
        rows += [row(channel, None) for channel in channels]
        rows += [row(None, tier) for tier in tiers]
        rows += [row(channel, tier) for channel in channels for tier in tiers if (channel, tier) in tallies]
        return tuple(rows)

    # -- event handlers: each O(1) -----------------------------------------------------------------

    def _ignore(self, event: Event) -> None:
        pass

    def _on_queued(self, event: ContactQueued) -> None:
        contact_id = event.contact_id
        if contact_id in self._open:
            return  # back in routing after a transfer: the same offered contact
        queued = self._queued = self._queued + 1
        estimate = self._estimates.pop(contact_id, None) if self._estimates else None
        sticky = self._resumed.pop(contact_id, None) if self._resumed else None
        channel = event.channel
        # A warm-up contact needs no tallies and no threshold: it is never counted.
        tally = interval = threshold = None
        if queued > self.warmup_contacts:
            if queued == self._first_counted:
                self._measure_from = event.at
            counting = self._counting.get((channel, event.tier))
            if counting is None:
                counting = self._start_counting(channel, event.tier)
            tally = counting.tally
            threshold = counting.threshold
            index = event.at // self.interval
            if index != counting.index:
                counting.index = index
                counting.interval = self._interval_tally(channel, event.tier, int(index))
            interval = counting.interval
            assert interval is not None  # set on the first contact
            tally.offered += 1
            interval.offered += 1
            if threshold is not None:
                tally.sl_offered += 1
                interval.sl_offered += 1
        self._open[contact_id] = _Open(
            channel, tally, interval, threshold, event.arrived_at, event.at, estimate, sticky
        )

    def _start_counting(self, channel: Channel, tier: str) -> _Counting:
        counting = self._counting[(channel, tier)] = _Counting(
            self._tally(channel, tier), self.service_levels.get(channel)
        )
        return counting

    def _tally(self, channel: Channel, tier: str) -> _Tally:
        tally = self._tallies.get((channel, tier))
        if tally is None:
            tally = self._tallies[(channel, tier)] = _Tally()
        return tally

    def _interval_tally(self, channel: Channel, tier: str, index: int) -> _Tally:
        tally = self._interval_tallies.get((channel, tier, index))
        if tally is None:
            tally = self._interval_tallies[(channel, tier, index)] = _Tally()
        return tally

    def _on_offered(self, event: Offered) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None or contact.offered:
            return
        contact.offered = True
        if contact.tally is not None and event.at <= contact.queued_at:
            contact.tally.immediate += 1

    def _on_assigned(self, event: Assigned) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            return  # queued before the collector started observing
        agent_id = event.agent_id
        contact.agent = agent_id
        contact.assigned_at = event.at
        self._add_work(agent_id, contact.channel, event.at, 1)
        if contact.answered:
            return  # after a transfer: handled once
        contact.answered = True
        tally = contact.tally
        if tally is None:
            return
        interval = contact.interval
        assert interval is not None  # counted contacts have both tallies
        waited = event.waited
        tally.handled += 1
        interval.handled += 1
        tally.wait_sum += waited
        interval.wait_sum += waited
        if waited > tally.wait_max:
            tally.wait_max = waited
        threshold = contact.threshold
        if threshold is not None and waited <= threshold:
            tally.sl_answered += 1
            interval.sl_answered += 1
        if contact.sticky_agent is not None:
            tally.sticky_turns += 1
            if contact.sticky_agent == agent_id:
                tally.sticky_hits += 1
        if contact.estimate is not None:
            error = contact.estimate - (event.at - contact.queued_at)
            tally.estimates += 1
            tally.estimate_error_sum += error
            tally.estimate_abs_error_sum += abs(error)

    def _on_completed(self, event: Completed) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            return
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        at = event.at
        wrap_up = event.wrap_up_until - at
        tally = contact.tally
        if tally is not None:
            tally.aht_n += 1
            tally.aht_sum += contact.assigned_for + (at - contact.assigned_at) + (wrap_up if wrap_up > 0.0 else 0.0)
        if contact.agent is None:
            return  # not assigned as far as this stream shows: no work to end
        if wrap_up > 0:
            self._wrapping[(event.agent_id, event.contact_id)] = contact.channel
        else:
            self._add_work(event.agent_id, contact.channel, at, -1)

    def _on_wrap_up_ended(self, event: WrapUpEnded) -> None:
        channel = self._wrapping.pop((event.agent_id, event.contact_id), None)
        if channel is not None:
            self._add_work(event.agent_id, channel, event.at, -1)

    def _on_transferred(self, event: Transferred) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None or contact.agent is None:
            return
        contact.assigned_for += event.at - contact.assigned_at
        contact.agent = None
        self._add_work(event.agent_id, contact.channel, event.at, -1)

    def _on_abandoned(self, event: Abandoned) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            return  # e.g. a parked conversation, whose turn already ended
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        if contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)
        elif not contact.answered and contact.tally is not None:
            assert contact.interval is not None  # counted contacts have both tallies
            contact.tally.abandoned += 1
            contact.interval.abandoned += 1
            waited = event.at - contact.arrived_at
            if waited > contact.tally.wait_max:
                contact.tally.wait_max = waited

    def _on_denied(self, event: Denied) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            # Refused at submit: never offered, counted apart.
            if self._estimates:
                self._estimates.pop(event.contact_id, None)
            if self._resumed:
                self._resumed.pop(event.contact_id, None)
            if self._queued < self.warmup_contacts:
                return
            tally = self._tally(event.channel, event.tier)
            tally.denied += 1
            if event.fallback is not None:
                tally.denied_with_fallback += 1
            return
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        if contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)
        if not contact.answered and contact.tally is not None:
            contact.tally.denied_after_queue += 1
            waited = event.at - contact.arrived_at
            contact.tally.wait_max = max(contact.tally.wait_max, waited)

    def _on_awaiting(self, event: AwaitingCustomer) -> None:
        contact = self._open.get(event.contact_id)
        if contact is not None:
            contact.conversation = event.conversation_id
            self._held[event.conversation_id] = event.contact_id

    def _on_parked(self, event: Parked) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            return
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        if contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)

    def _on_closed(self, event: ConversationClosed) -> None:
        # A held turn normally ends with its own Completed or Abandoned; this catches one that did not
        # (say, an abandon named by the conversation's id), so that the agent's slot is not busy forever.
        contact_id = self._held.pop(event.conversation_id, None)
        if contact_id is None:
            return
        contact = self._open.pop(contact_id, None)
        if contact is not None and contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)

    def _on_resumed(self, event: Resumed) -> None:
        if event.last_agent_id is not None:
            self._resumed[event.contact_id] = event.last_agent_id

    def _on_status(self, event: AgentStatusChanged) -> None:
        if event.status is AgentStatus.OFFLINE:
            self.logout(event.agent_id, event.at)
        else:
            self.login(event.agent_id, event.at)

    # -- agent time ----------------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> _AgentClock:
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = _AgentClock(self.capacity.get(agent_id, {}))
        return agent

    def _settle(self, agent: _AgentClock, now: float) -> None:
        """Accrue the agent's time since its last change, in the state it has had since then."""
        if now > self._next_boundary:
            self._cross_boundaries(now)
        start = agent.last if agent.last > self._measure_from else self._measure_from
        if now > start:
            if agent.logged_in:
                self._time.accrue(agent, now - start)
            agent.last = now

    def _add_work(self, agent_id: str, channel: Channel, at: float, units: int) -> None:
        if at > self._next_boundary:
            self._cross_boundaries(at)
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agent(agent_id)
        # _settle, inlined: this runs twice per handled contact.
        last = agent.last
        if at > last:
            measure_from = self._measure_from
            if at > measure_from:
                if agent.logged_in:
                    self._time.accrue(agent, at - (last if last > measure_from else measure_from))
                agent.last = at
        agent.work += units
        agent.units[channel] += units


def _number(value: float) -> float | str:
    # JSON has no infinity or NaN: those go as their names, which float() reads back.
    return value if math.isfinite(value) else repr(value)


def _time_to_data(time: _AgentTime) -> list[Any]:
    channels = [[c.value, t.logged, t.busy, t.slot_capacity, t.slot_busy] for c, t in time.channels.items()]
    return [time.logged, time.busy, channels]


def _time_from_data(data: Sequence[Any]) -> _AgentTime:
    logged, busy, channels = data
    return _AgentTime(logged, busy, {Channel(c): _ChannelTime(*values) for c, *values in channels})


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _row(
    channel: str,
    tier: str,
    t: _Tally,
    occupancy: float | None,
    slot_utilisation: float | None,
    intervals: tuple[IntervalKpis, ...],
) -> KpiRow:
    return KpiRow(
        channel=channel,
        tier=tier,
        offered=t.offered,
        handled=t.handled,
        abandoned=t.abandoned,
        denied=t.denied,
        denied_with_fallback=t.denied_with_fallback,
        denied_after_queue=t.denied_after_queue,
        still_waiting=t.still_waiting,
        abandon_rate=_ratio(t.abandoned, t.offered),
        service_level=_ratio(t.sl_answered, t.sl_offered - t.sl_undecided),
        asa=_ratio(t.wait_sum, t.handled),
        p_wait=_ratio(t.offered - t.immediate, t.offered),
        aht=_ratio(t.aht_sum, t.aht_n),
        max_wait=t.wait_max if t.offered else None,
        sticky_hit_rate=_ratio(t.sticky_hits, t.sticky_turns),
        expected_wait_bias=_ratio(t.estimate_error_sum, t.estimates),
        expected_wait_mae=_ratio(t.estimate_abs_error_sum, t.estimates),
        occupancy=occupancy,
        slot_utilisation=slot_utilisation,
        intervals=intervals,
    )
