"""What the KPI collector counts: a tally per (channel, tier) and interval, open contacts, agents' time.

Plain slotted records, mutated in place on the collector's hot path; see :mod:`routekit.metrics.collector`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel
from routekit.models.tiers import Tier

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
    # Fields added later go last, so that a collector saved before them restores with its fields in place
    # (persistence is by position).
    retrials: int = 0
    denied_queue_full: int = 0
    denied_closed: int = 0


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


