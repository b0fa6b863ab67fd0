"""Each KPI defined once, as a pure function of counts: what the simulator's report and the live statistics share.

The simulator's :class:`~routekit.metrics.KpiCollector` and the sliding-window
:class:`~routekit.metrics.CumulativeStatistics` count events in their own ways (one per (channel, tier)
for a whole run, the other per time bucket), then turn the counts into KPIs here, so that a service level
or an ASA means the same thing on a wallboard as in a simulated day.
This module sits low, beside the events, so that the router itself may read these definitions (a
service-level trigger) without importing the metrics package above it.

Every function is O(1) (:func:`wait_band` is O(log edges)); a KPI whose denominator is zero is ``None``,
never ``0.0`` or a division error.

>>> service_level(answered_within=8, decided=10)
0.8
>>> average_speed_of_answer(wait_sum=30.0, answered=0) is None
True
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

__all__ = [
    "abandon_rate",
    "average_acceptance_time",
    "average_handle_time",
    "average_speed_of_answer",
    "mean_error",
    "occupancy",
    "offered_at_once",
    "p_wait",
    "ratio",
    "service_level",
    "sticky_hit_rate",
    "wait_band",
    "within_threshold",
]


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else None


def within_threshold(waited: float, threshold: float) -> bool:
    """Whether a wait of ``waited`` seconds meets a service-level threshold: at most ``threshold``, inclusive.

    It decides both whether an answered contact was answered in time and whether one still waiting is
    undecided (it may yet be answered in time).
    """
    return waited <= threshold


def service_level(answered_within: int, decided: int) -> float | None:
    """The share of decided contacts answered within the channel's threshold.

    Args:
        answered_within: Contacts answered with a wait :func:`within_threshold`.
        decided: Contacts whose outcome against the threshold is known: every answered one, every one that
            left unanswered (abandoned, or ended by a ``Denied`` after queueing) whenever it left, as Erlang
            A counts them, and every one still waiting past the threshold.
            A contact still waiting within the threshold is undecided and left out.
    """
    return ratio(answered_within, decided)


def abandon_rate(abandoned: int, offered: int) -> float | None:
    """Contacts abandoned before being answered, over contacts offered (entered routing)."""
    return ratio(abandoned, offered)


def average_speed_of_answer(wait_sum: float, answered: int) -> float | None:
    """ASA: the mean wait of answered contacts, from the service-level clock start to the first ``Assigned``."""
    return ratio(wait_sum, answered)


def p_wait(offered: int, offered_at_once: int) -> float | None:
    """The share of offered contacts not offered to an agent at once (see :func:`offered_at_once`)."""
    return ratio(offered - offered_at_once, offered)


def offered_at_once(first_offered_at: float, first_queued_at: float) -> bool:
    """Whether a contact's first ``Offered`` came at the moment of its first ``ContactQueued`` (no wait)."""
    return first_offered_at <= first_queued_at


def average_handle_time(handle_sum: float, completed: int) -> float | None:
    """AHT: the mean of time assigned plus wrap-up, over completed contacts."""
    return ratio(handle_sum, completed)


def average_acceptance_time(accept_sum: float, accepted: int) -> float | None:
    """The mean time from an ``Offered`` to the agent's ``Assigned`` (offer to accept), over accepted offers."""
    return ratio(accept_sum, accepted)


def sticky_hit_rate(hits: int, turns: int) -> float | None:
    """The share of answered reply turns whose first agent is the conversation's last agent."""
    return ratio(hits, turns)


def mean_error(error_sum: float, samples: int) -> float | None:
    """The mean of ``estimate - actual`` (or of its absolute value) over the samples with an estimate."""
    return ratio(error_sum, samples)


def occupancy(busy: float, logged: float) -> float | None:
    """Time with work over time logged in (agent seconds, or slot seconds for slot utilisation)."""
    return ratio(busy, logged)


def wait_band(waited: float, edges: Sequence[float]) -> int:
    """The index of the wait band ``waited`` falls in, given increasing band edges; O(log edges).

    Band ``i`` holds waits in ``(edges[i - 1], edges[i]]`` (inclusive upper edge, as
    :func:`within_threshold`), band 0 those up to ``edges[0]``, and band ``len(edges)`` those above the
    last edge.

    >>> [wait_band(w, (10.0, 20.0)) for w in (0.0, 10.0, 10.5, 20.0, 99.0)]
    [0, 0, 1, 1, 2]
    """
    return bisect_left(edges, waited)
