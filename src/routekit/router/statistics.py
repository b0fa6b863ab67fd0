"""Live statistics for a wallboard: waiting contacts, the oldest wait, pending offers and agents by state.

Per target and per channel, as Twilio TaskRouter's ``RealTimeStatistics`` and Amazon Connect's real-time
metrics give them (``CONTACTS_IN_QUEUE``, ``OLDEST_CONTACT_AGE``, ``AGENTS_AVAILABLE``, ``AGENTS_ONLINE``).
The router keeps the counts as its state changes (:mod:`routekit.router.index`), so reading them costs
O(targets + channels + tiers), never a scan of contacts. A held conversation counts as busy; parked
conversations wait for the customer, not for an agent, and are counted apart, never as waiting.
"""

from __future__ import annotations

import heapq

import attrs

from routekit.models.channel import Channel
from routekit.policies.base import Target
from routekit.router.state import WAITING, RoutingState

__all__ = ["AgentCounts", "ChannelStatistics", "Statistics", "TargetStatistics", "offers_by_target", "statistics"]


@attrs.frozen(kw_only=True)
class AgentCounts:
    """Agents by state. Logged in: every registered agent not offline; busy: with an assigned or held contact
    in hand (an offer alone is not busy); eligible: who could be offered a contact here now."""

    logged_in: int = 0
    available: int = 0
    away: int = 0
    busy: int = 0
    wrap_up: int = 0
    eligible: int | None = None


@attrs.frozen(kw_only=True)
class TargetStatistics:
    """One stage target's queue, offers and agents.

    Attributes:
        rule: The target as ``Offered.rule`` names it (``skills:billing>=3``, ``sticky:last-agent``, ...).
        channel: The target's channel.
        agent: The agent of a sticky target (one agent alone), else ``None``.
        waiting: Contacts waiting at this target.
        waiting_by_priority: The same by effective priority (the contact's priority plus its stage's boost).
        oldest_contact: The waiting contact that arrived first (by ``arrived_at``), or ``None``.
        oldest_arrived_at: When it arrived.
        longest_wait: Seconds it has waited by ``at`` (0.0 when nobody waits).
        offers: Contacts at this target being offered to an agent now.
        agents: The agents who match the target (for a sticky target, ``None``).
    """

    rule: str
    channel: Channel
    agent: str | None
    waiting: int
    waiting_by_priority: dict[int, int]
    oldest_contact: str | None
    oldest_arrived_at: float | None
    longest_wait: float
    offers: int
    agents: AgentCounts | None


@attrs.frozen(kw_only=True)
class ChannelStatistics:
    """One channel's totals over its targets, with the waiting contacts by tier and the parked conversations."""

    channel: Channel
    waiting: int
    waiting_by_priority: dict[int, int]
    waiting_by_tier: dict[str, int]
    oldest_contact: str | None
    oldest_arrived_at: float | None
    longest_wait: float
    offers: int
    parked: int
    agents: AgentCounts


@attrs.frozen(kw_only=True)
class Statistics:
    """The router's live statistics at time ``at``: per target, per channel, and in total."""

    at: float
    targets: tuple[TargetStatistics, ...]
    channels: tuple[ChannelStatistics, ...]

    @property
    def waiting(self) -> int:
        """Contacts waiting over every target."""
        return sum(c.waiting for c in self.channels)

    def channel(self, channel: Channel | str) -> ChannelStatistics:
        """The statistics of one channel (zeros when the router has seen nothing of it).

        Raises:
            KeyError: Not a channel routekit knows.
        """
        wanted = Channel(channel)
        for row in self.channels:
            if row.channel is wanted:
                return row
        return ChannelStatistics(
            channel=wanted,
            waiting=0,
            waiting_by_priority={},
            waiting_by_tier={},
            oldest_contact=None,
            oldest_arrived_at=None,
            longest_wait=0.0,
            offers=0,
            parked=0,
            agents=AgentCounts(),
        )

    def target(self, rule: str) -> TargetStatistics:
        """The statistics of the general target with that rule.

        Raises:
            KeyError: No general target has that rule.
        """
        for row in self.targets:
            if row.rule == rule and row.agent is None:
                return row
        raise KeyError(rule)


def statistics(rs: RoutingState, at: float) -> Statistics:
    """Read the live statistics at ``at``. O(targets + channels + tiers), plus the stale entries the
    oldest-contact heaps drop on the way (each dropped once)."""
    offers = offers_by_target(rs)
    targets: dict[Target, TargetStatistics] = {}
    for target in sorted({*rs.pools, *rs.queues, *offers}, key=_order):
        oldest = _oldest(rs, target)
        counts = rs.agent_counts.get(target)
        queue = rs.queues.get(target)
        targets[target] = TargetStatistics(
            rule=target.rule,
            channel=target.channel,
            agent=target.agent,
            waiting=len(queue) if queue is not None else 0,
            waiting_by_priority=dict(
                sorted(rs.waiting_priority.get(queue, {}).items() if queue is not None else (), reverse=True)
            ),
            oldest_contact=oldest[1] if oldest else None,
            oldest_arrived_at=oldest[0] if oldest else None,
            longest_wait=max(0.0, at - oldest[0]) if oldest else 0.0,
            offers=offers.get(target, 0),
            agents=None if counts is None else _agents(counts, len(rs.pools[target])),
        )
    channels = []
    seen = {t.channel for t in targets} | set(rs.channel_agents) | set(rs.parked_count)
    for channel in sorted(seen, key=lambda c: list(Channel).index(c)):
        rows = [row for row in targets.values() if row.channel is channel]
        by_priority: dict[int, int] = {}
        for row in rows:
            for priority, n in row.waiting_by_priority.items():
                by_priority[priority] = by_priority.get(priority, 0) + n
        first = min(
            ((row.oldest_arrived_at, row.oldest_contact) for row in rows if row.oldest_arrived_at is not None),
            default=None,
        )
        channels.append(
            ChannelStatistics(
                channel=channel,
                waiting=sum(row.waiting for row in rows),
                waiting_by_priority=dict(sorted(by_priority.items(), reverse=True)),
                waiting_by_tier={tier: n for (c, tier), n in sorted(rs.waiting_tiers.items()) if c is channel},
                oldest_contact=first[1] if first else None,
                oldest_arrived_at=first[0] if first else None,
                longest_wait=max(0.0, at - first[0]) if first else 0.0,
                offers=sum(row.offers for row in rows),
                parked=rs.parked_count.get(channel, 0),
                agents=_agents(rs.channel_agents.get(channel, [0, 0, 0, 0, 0]), None),
            )
        )
    return Statistics(at=at, targets=tuple(targets.values()), channels=tuple(channels))


def _oldest(rs: RoutingState, target: Target) -> tuple[float, str] | None:
    """The waiting contact of ``target`` that arrived first, dropping the heap's stale entries on the way."""
    queue = rs.queues.get(target)
    heap = rs.oldest.get(queue) if queue is not None else None
    while heap:
        arrived, seq, contact_id = heap[0]
        cr = rs.contacts.get(contact_id)
        if cr is not None and cr.state is WAITING and cr.target == target and cr.seq == seq:
            return arrived, contact_id
        heapq.heappop(heap)
    return None


def offers_by_target(rs: RoutingState) -> dict[Target, int]:
    """The pending offers by target (kept by the target's id; equal targets are one). O(targets)."""
    offers: dict[Target, int] = {}
    for key, n in rs.offers_at.items():
        target = rs.offer_targets[key]
        offers[target] = offers.get(target, 0) + n
    return offers


def _agents(counts: list[int], eligible: int | None) -> AgentCounts:
    logged_in, available, away, busy, wrap_up = counts
    return AgentCounts(
        logged_in=logged_in, available=available, away=away, busy=busy, wrap_up=wrap_up, eligible=eligible
    )


def _order(target: Target) -> tuple[str, str, str]:
    return (target.channel.value, target.agent or "", target.rule)
