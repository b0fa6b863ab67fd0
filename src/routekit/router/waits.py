"""The wait a contact is told: the estimate for a waiting contact, and the pieces a quote shares with it.

:mod:`routekit.router.estimate` has the predictors as pure functions of counts and the online rates; this
module reads the router's state for them: the contacts ahead (in the contact's queue, or over its whole
channel for ``queue-length-channel``), how long the head of the queue has waited, and the time until a
closed asynchronous channel opens. ``Router.expected_wait`` and the estimated-wait trigger of an exception
rule (:mod:`routekit.router.exception_rules`) read :func:`expected_wait`, so both tell the same wait.
"""

from __future__ import annotations

from routekit.models.channel import Channel
from routekit.policies.base import Target
from routekit.queues import QueueKey
from routekit.router.estimate import estimate
from routekit.router.index import place
from routekit.router.state import ContactRecord, RoutingState

__all__ = ["POOLED", "channel_ahead", "closed_for", "expected_wait", "head_waited"]

POOLED = "queue-length-channel"  # the predictor that counts the contacts ahead over the whole channel


def head_waited(rs: RoutingState, target: Target, ahead: int, now: float) -> float | None:
    """How long the contact at the head of ``target``'s queue has waited by ``now``; ``None`` if none ahead."""
    queue = rs.queues.get(target)
    head = None if queue is None or not ahead else queue.peek()
    return None if head is None else now - rs.contacts[head].clock_start


def channel_ahead(rs: RoutingState, target: Target, key: QueueKey) -> int:
    """Contacts waiting on ``target``'s channel ahead of ``key``: in its own queue and in every general queue
    of the channel (the channel as one pool, for ``queue-length-channel``). O(targets log n)."""
    channel = target.channel
    ahead = 0
    for other, queue in rs.queues.items():  # a plain loop: cheaper than sum() over a generator here
        if other.channel is channel and (other.agent is None or other == target) and len(queue):
            ahead += queue.place_of(key)
    return ahead


def closed_for(rs: RoutingState, channel: Channel, now: float) -> float:
    """Seconds until an asynchronous channel closed by its opening hours opens again (0.0 when open)."""
    if channel not in rs.held:
        return 0.0
    opens = rs.shut[channel]
    return max(0.0, opens - now) if opens is not None else 0.0


def expected_wait(rs: RoutingState, cr: ContactRecord, now: float, name: str) -> float | None:
    """How much longer the waiting contact ``cr`` will wait by predictor ``name``, plus the seconds until its
    closed asynchronous channel opens; ``None`` when the predictor has nothing on record. O(log n)
    (``queue-length-channel``: O(targets log n))."""
    # Each predictor reads only what it needs: the simulator asks this of every contact that waits.
    ahead = channel_ahead(rs, cr.target, cr.key) if name == POOLED else place(rs, cr)
    guess = estimate(
        name,
        ahead,
        head_waited(rs, cr.target, ahead, now) if name == "hol" else None,
        rs.wait_targets.get(cr.target),
        rs.wait_channels.get(cr.contact.channel),
    )
    if guess is None or not rs.held:
        return guess
    return closed_for(rs, cr.target.channel, now) + guess
