"""Wait estimates: what a waiting contact (or one about to join) is told, and the online statistics behind it.

Predictors from the queueing literature, each a pure function of a few numbers the router keeps:

- ``queue-length`` (Whitt 1999; Ibrahim and Whitt 2009): with ``n`` contacts ahead, the target's
  service rate ``s*mu`` (contacts it answers per second while contacts wait) and the abandonment rate
  ``theta`` (per waiting contact per second), ``E[W | n] = sum_{i=0..n} 1 / (s*mu + i*theta)``: each of the
  ``n + 1`` departures in front of the contact takes ``1 / (s*mu + i*theta)`` on average while ``i`` are
  still ahead, any of whom may be served or leave.
- ``queue-length-channel`` (the default, chosen by measurement: docs/explanation/wait-estimates.md): the
  same formula with the channel as one pool: ``n`` counts the contacts ahead in every general queue of
  the channel (contacts at a later stage of their plan compete for the same agents), and ``s*mu`` is the
  channel's rate, from the gaps between answers on the channel while the contact answered was waiting.
  Per-target rates starve when plans move contacts between stage targets: a target whose stage lasts
  30 s only ever sees answers within 30 s.
- ``les`` (last to enter service): the wait of the last contact answered at the target after waiting.
- ``hol`` (head of line): how long the contact at the head of the target's queue has waited so far.

The online statistics (:class:`Tally`, one per target and one per channel) are updated where the router
sees the facts: an answer (:func:`answered`, from ``Router.accept``) and a waiting or offered contact
withdrawn (:func:`abandoned`, from ``Router.abandon``). Every sum is exponentially weighted by count: each
new observation weighs 1 and the older ones ``1 - 1/answer_window`` times what they weighed, so the
estimates follow the last ``answer_window`` or so observations. Nothing decays with time, so a quiet night
keeps the evening's estimate instead of forgetting it.

- ``s*mu``: the gaps between answers at the target while it was backlogged: an answer counts when the
  contact answered was already waiting at the target when the previous answer there was made, so the gap
  between the two was spent with contacts waiting (idle gaps, the old estimate's error, never count). The
  rate is the weighted number of gaps over their weighted total length. This is the eligible agents' real
  capacity for the target, as they share it with every other target they serve.
- ``theta``: the maximum-likelihood estimate for exponential patience, abandonments over the total time
  the contacts who waited spent waiting (the answered ones' waits are censored patience), per channel:
  patience belongs to the customer, and pooling over the channel's targets gives it more data.

Fall-backs, so that a new target or a sparse one stays sane: the service rate is the target's when it has
at least two gaps on record, else the channel's (every gap of its targets), else unknown, and the
estimate is ``None`` (no number is better than a made-up one). ``theta`` is 0 until the channel has seen a
contact wait (the prior: nobody leaves, which errs towards the longer estimate). ``les`` falls back to the
channel's last answered wait, ``hol`` to ``les`` when nobody is ahead. No estimate is ever negative.

Every read is O(1) but the queue-length sum, which is O(min(n, 64)): beyond 64 contacts ahead it is
computed in closed form from the digamma function's asymptotic series. Counting the contacts ahead is
O(log n) in the contact's queue, O(targets log n) over a channel.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from routekit.models.channel import Channel
from routekit.policies.base import Target

if TYPE_CHECKING:
    from routekit.router.state import ContactRecord, RoutingState

__all__ = [
    "DEFAULT_PREDICTOR",
    "PREDICTORS",
    "Tally",
    "abandon_rate",
    "abandoned",
    "answered",
    "estimate",
    "queue_length_wait",
    "service_rate",
]

# The predictors by name; the default was chosen by measurement (docs/explanation/wait-estimates.md).
PREDICTORS = ("queue-length", "queue-length-channel", "les", "hol")
DEFAULT_PREDICTOR = "queue-length-channel"

# Enough gaps on record for a target's own service rate: two (a weighted count of 1 + the decay factor).
_ENOUGH_GAPS = 1.5
# Beyond this many terms the queue-length sum is computed in closed form.
_TERMS = 64


class Tally:
    """The online statistics of one target (or one channel, pooled over its targets).

    Attributes:
        last_start: When the latest answered offer here was made (``None`` before the first answer).
        last_wait: The wait of the last contact answered after waiting (clock start to the offer it took).
        gaps: The weighted count of the backlogged gaps between answers.
        gap_time: Their weighted total length, in seconds.
        abandons: The weighted count of contacts that left while waiting (channel tallies only).
        waited: The weighted total time waited by contacts that waited (channel tallies only).
        pool_gaps: The weighted count of the gaps between answers on the channel while it was backlogged
            (channel tallies only: the channel as one pool, for ``queue-length-channel``).
        pool_gap_time: Their weighted total length, in seconds.
    """

    __slots__ = ("abandons", "gap_time", "gaps", "last_start", "last_wait", "pool_gap_time", "pool_gaps", "waited")

    def __init__(
        self,
        last_start: float | None = None,
        last_wait: float | None = None,
        gaps: float = 0.0,
        gap_time: float = 0.0,
        abandons: float = 0.0,
        waited: float = 0.0,
        pool_gaps: float = 0.0,
        pool_gap_time: float = 0.0,
    ) -> None:
        self.last_start = last_start
        self.last_wait = last_wait
        self.gaps = gaps
        self.gap_time = gap_time
        self.abandons = abandons
        self.waited = waited
        self.pool_gaps = pool_gaps
        self.pool_gap_time = pool_gap_time

    def as_data(self) -> list[float | None]:
        """The fields as a list, in the order the snapshot keeps them."""
        return [
            self.last_start,
            self.last_wait,
            self.gaps,
            self.gap_time,
            self.abandons,
            self.waited,
            self.pool_gaps,
            self.pool_gap_time,
        ]


def queue_length_wait(ahead: int, service_rate: float, abandon_rate: float) -> float:
    """Whitt and Ibrahim's queue-length predictor: ``sum_{i=0..ahead} 1 / (service_rate + i*abandon_rate)``.

    The mean wait of a contact with ``ahead`` contacts in front of it in an M/M/s+M queue whose ``s`` busy
    agents answer ``service_rate`` contacts a second between them, and whose waiting contacts each leave at
    ``abandon_rate`` a second. O(min(ahead, 64)).

    >>> queue_length_wait(0, 0.5, 0.1)
    2.0
    >>> round(queue_length_wait(2, 0.5, 0.1), 6)  # 1/0.5 + 1/0.6 + 1/0.7
    5.095238
    """
    if service_rate <= 0 or ahead < 0:
        raise ValueError(f"the service rate must be > 0 and ahead >= 0, got {service_rate!r}, {ahead!r}")
    terms = ahead + 1
    if abandon_rate <= 0:
        return terms / service_rate
    if terms <= _TERMS:
        total = 0.0  # a plain loop: the same additions, in the same order, as sum() over a generator
        for i in range(terms):
            total += 1.0 / (service_rate + i * abandon_rate)
        return total
    # sum_{i<terms} 1/(x + i) = digamma(x + terms) - digamma(x), with x = service_rate / abandon_rate.
    return _digamma_difference(service_rate / abandon_rate, terms) / abandon_rate


def _digamma_difference(x: float, terms: int) -> float:
    """``digamma(x + terms) - digamma(x)`` for ``x > 0``, within about 1e-9 relative.

    The first terms up to ``x >= 6`` are summed as they are; the rest is the asymptotic series'
    difference, with the logarithm as ``log1p`` so that a small ``terms / x`` loses no digits.
    """
    total = 0.0
    while x < 6.0 and terms > 0:
        total += 1.0 / x
        x += 1.0
        terms -= 1
    y = x + terms

    def series(z: float) -> float:
        z2 = 1.0 / (z * z)
        return 1.0 / (2.0 * z) + z2 * (1.0 / 12.0 - z2 * (1.0 / 120.0 - z2 / 252.0))

    return total + math.log1p(terms / x) - series(y) + series(x)


def service_rate(target: Tally | None, channel: Tally | None) -> float | None:
    """Contacts answered per second while contacts wait: the target's, else the channel's, else ``None``."""
    for tally in (target, channel):
        if tally is not None and tally.gaps >= _ENOUGH_GAPS:
            return tally.gaps / tally.gap_time
    return None


def abandon_rate(channel: Tally | None) -> float:
    """Abandonments per waiting contact per second on a channel (0 before anyone has waited)."""
    if channel is None or channel.waited <= 0:
        return 0.0
    return channel.abandons / channel.waited


def estimate(
    predictor: str,
    ahead: int,
    head_waited: float | None,
    target: Tally | None,
    channel: Tally | None,
) -> float | None:
    """A predictor's estimate, in seconds, for a contact with ``ahead`` contacts in front of it.

    ``head_waited`` is how long the contact at the head of the queue has waited (``None`` when nobody is
    ahead); ``target`` and ``channel`` are the tallies of the contact's target and channel. ``None`` when
    the predictor has nothing on record to go by. O(1) (the queue-length sum: O(min(ahead, 64))).
    """
    if predictor == "queue-length":
        rate = service_rate(target, channel)
        return None if rate is None else queue_length_wait(ahead, rate, abandon_rate(channel))
    if predictor == "queue-length-channel":
        if channel is None or channel.pool_gaps < _ENOUGH_GAPS:
            return None
        return queue_length_wait(ahead, channel.pool_gaps / channel.pool_gap_time, abandon_rate(channel))
    if predictor == "hol" and head_waited is not None:
        return max(0.0, head_waited)
    for tally in (target, channel):
        if tally is not None and tally.last_wait is not None:
            return tally.last_wait
    return None


def _tally(tallies: dict[Target, Tally] | dict[Channel, Tally], key: Target | Channel) -> Tally:
    tally = tallies.get(key)  # type: ignore[arg-type]
    if tally is None:
        tally = tallies[key] = Tally()  # type: ignore[index]
    return tally


def answered(rs: RoutingState, cr: ContactRecord) -> None:
    """A contact's offer was accepted: record its wait, the gap since the previous answer, its patience.

    Reads the contact's offer time (``offered_at``), its stage's start and its clock start. O(1).
    """
    start = cr.offered_at
    wait = max(0.0, start - cr.clock_start)
    decay = 1.0 - 1.0 / rs.answer_window
    # _tally, written out: every answer comes this way.
    target = cr.target
    here = rs.wait_targets.get(target)
    if here is None:
        here = rs.wait_targets[target] = Tally()
    channel = rs.wait_channels.get(cr.contact.channel)
    if channel is None:
        channel = rs.wait_channels[cr.contact.channel] = Tally()
    last = here.last_start
    # The gap counts when this contact already waited here when the previous answer was made: the target
    # was backlogged all along (a rejected offer's requeue keeps the stage's start).
    if last is not None and cr.stage_since <= last < start:
        gap = start - last
        for tally in (here, channel):
            tally.gaps = tally.gaps * decay + 1.0
            tally.gap_time = tally.gap_time * decay + gap
    if last is None or start > last:
        here.last_start = start
    # The same on the channel as one pool: the contact waited (at any stage) since the channel's last answer.
    last = channel.last_start
    if last is not None and cr.clock_start <= last < start:
        channel.pool_gaps = channel.pool_gaps * decay + 1.0
        channel.pool_gap_time = channel.pool_gap_time * decay + (start - last)
    if last is None or start > last:
        channel.last_start = start
    if wait > 0:
        # LES is the last wait of a contact that waited: one offered on arrival says nothing of the queue
        # a new contact joins (counting those, LES ran 24% low on M/M/10+M, 87% on the built-in day).
        here.last_wait = channel.last_wait = wait
        channel.abandons *= decay
        channel.waited = channel.waited * decay + wait


def abandoned(rs: RoutingState, cr: ContactRecord, now: float) -> None:
    """A waiting or offered contact left: an abandonment after its wait, for ``theta``. O(1)."""
    decay = 1.0 - 1.0 / rs.answer_window
    channel = _tally(rs.wait_channels, cr.contact.channel)
    channel.abandons = channel.abandons * decay + 1.0
    channel.waited = channel.waited * decay + max(0.0, now - cr.clock_start)
