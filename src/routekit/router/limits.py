"""Queue limits: the most contacts that may wait in one queue, checked when a contact enters routing.

A limit (``RouterSettings.queue_limits``) is keyed by a target's rule or by a channel name, and read per
queue: the queue of each target with that rule, or every queue on that channel with no rule of its own.
The count it reads is the queue's own length, which is kept whether or not the live statistics are, and
counts only waiting contacts (an offered contact has left its queue).

A limit gates admission, as Asterisk's ``maxlen`` and Amazon Connect's ``MaxContacts`` do: ``submit``
denies a contact that would wait in a full queue (``Denied(reason="queue-full")``) and ``transfer`` refuses
to send one there. A contact offered at once waits in no queue, so it is admitted even when the queue is
full (with a limit of 0, only a contact that finds a free agent gets in: the Erlang B loss system). A
contact already in routing is never turned away: a rejected or expired offer puts it back at its place, a
stage change moves it to its next stage even when that stage's queue is full (the queue is then over its
limit until it drains, and new contacts are denied meanwhile), and a conversation's reply turn always
enters.
"""

from __future__ import annotations

from typing import NamedTuple

from routekit.models.channel import Channel
from routekit.models.contact import Contact
from routekit.policies.base import Plan, Target
from routekit.router.hours import closed_to
from routekit.router.index import eligible
from routekit.router.stages import entry_stage
from routekit.router.state import RoutingState

__all__ = ["QUEUE_FULL", "EntryRefusal", "fallback_of", "full_target", "limit_of", "refused_entry"]

QUEUE_FULL = "queue-full"


class EntryRefusal(NamedTuple):
    """Why a contact entering routing is turned away: the ``Denied`` event's reason, rule, fallback channel
    and reopening time."""

    reason: str
    rule: str
    fallback: Channel | None
    reopens_at: float | None


def refused_entry(rs: RoutingState, contact: Contact, plan: Plan) -> EntryRefusal | None:
    """What turns away a contact entering routing now with ``plan``, else ``None``: a closed line (a
    synchronous channel outside its hours, or a channel that never opens again), then a full queue.

    The one definition: ``submit`` denies by it, and ``quote_wait`` quotes no wait for a contact it would
    deny. O(1) with no re-offer delays on the contact (see :func:`full_target`).
    """
    channel = contact.channel
    if rs.shut and channel in rs.shut and closed_to(rs, channel):
        return EntryRefusal("closed", f"hours:{channel.value}", None, rs.shut[channel])
    if rs.queue_limits:
        full = full_target(rs, contact.id, plan)
        if full is not None:
            return EntryRefusal(QUEUE_FULL, full.rule, fallback_of(rs, channel), None)
    return None


def limit_of(rs: RoutingState, target: Target) -> int | None:
    """The most contacts that may wait at ``target``: its rule's limit, else its channel's, else none."""
    limits = rs.queue_limits
    limit = limits.get(target.rule)
    if limit is None:
        limit = limits.get(target.channel.value)
    return limit


def fallback_of(rs: RoutingState, channel: Channel) -> Channel | None:
    """The channel a contact denied by a full queue on ``channel`` is pointed to, if any."""
    return rs.settings.queue_fallback.get(channel)


def full_target(rs: RoutingState, contact_id: str, plan: Plan) -> Target | None:
    """The target a contact entering ``plan`` would wait at, when that queue is full; else ``None``.

    The contact would wait when no agent can be offered it at once: by the matching's stability, a free
    eligible agent at a queue with contacts in it is barred from all of them, and so free for this one.
    O(1) with no re-offer delays on the contact, O(barred) with them.
    """
    target = plan.stages[entry_stage(rs, plan)].target
    limit = limit_of(rs, target)
    if limit is None:
        return None
    queue = rs.queues.get(target)
    if (len(queue) if queue is not None else 0) < limit:
        return None
    return None if _offerable(rs, contact_id, target) else target


def _offerable(rs: RoutingState, contact_id: str, target: Target) -> bool:
    """Whether some agent could be offered a contact at ``target`` now (``matching.best_agent_for``'s test)."""
    barred = rs.bars.get(contact_id, {})
    if target.agent is not None:
        ar = rs.agents.get(target.agent)
        return (
            ar is not None
            and target.agent not in barred
            and target.matches(ar.agent)
            and eligible(rs, ar, target.channel)
        )
    pool = rs.pools.get(target)
    if pool is None:  # a target no plan has named yet (a transfer's): its pool is not built, so scan once
        return any(
            target.matches(ar.agent) and eligible(rs, ar, target.channel) and agent_id not in barred
            for agent_id, ar in rs.agents.items()
        )
    return any(agent_id not in barred for agent_id in pool)
