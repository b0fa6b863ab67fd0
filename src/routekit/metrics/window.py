"""The window's records: the frozen rows a read returns, and the counts each bucket keeps per row.

:class:`~routekit.metrics.CumulativeStatistics` (:mod:`routekit.metrics.cumulative`) counts into
``_Counts`` and turns them into frozen :class:`WindowKpis` rows through :mod:`routekit.kpis`; the
snapshot's plain data for the counts is here too.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from routekit import kpis
from routekit.metrics.report import ALL
from routekit.models.channel import Channel, to_channel

__all__ = ["WindowKpis", "WindowStatistics"]


# ---------------------------------------------------------------------------------------------------
# The frozen records a read returns


@attrs.frozen(kw_only=True)
class WindowKpis:
    """The counts and KPIs of one row of a window: a channel, a target, a tier, or all (``"all"``).

    Attributes:
        channel: The channel, or ``"all"``.
        rule: The stage target a contact was first queued at (``Offered.rule``'s names), or ``"all"``.
        tier: The customer's tier, or ``"all"``.
        offered: Contacts first queued in the window.
        answered: Contacts first assigned in the window.
        abandoned: Contacts that left unanswered in the window (an ``Abandoned`` before any ``Assigned``).
        denied: Contacts refused at submit in the window (never offered).
        denied_after_queue: Contacts ended unanswered by a ``Denied`` in the window (say, unroutable).
        denied_by_reason: Every ``Denied`` in the window, at submit or after queueing, by ``reason``.
        answered_within: Answered contacts whose wait met the channel's service-level threshold.
        service_level: :func:`routekit.kpis.service_level`: ``answered_within`` over the contacts decided in
            the window (a contact is decided when it is answered within the threshold, when its wait passes
            the threshold, or when it leaves unanswered before that); ``None`` without a threshold or when
            none was decided.
        asa: :func:`routekit.kpis.average_speed_of_answer` of the answered contacts.
        abandon_rate: :func:`routekit.kpis.abandon_rate`: ``abandoned / offered``.
        offers: ``Offered`` events in the window.
        offers_accepted: ``Assigned`` events (each answers an offer; a transferred contact answers again).
        offers_rejected: ``OfferRejected`` events.
        offers_expired: ``OfferExpired`` events.
        offers_rescinded: ``OfferRescinded`` events.
        average_acceptance_time: :func:`routekit.kpis.average_acceptance_time`, from each accepted offer's
            ``Offered`` to its ``Assigned``.
        answered_by_wait: Answered contacts by wait band (:func:`routekit.kpis.wait_band` over the
            statistics' ``wait_edges``): one more band than edges.
    """

    channel: str
    rule: str
    tier: str
    offered: int
    answered: int
    abandoned: int
    denied: int
    denied_after_queue: int
    denied_by_reason: dict[str, int]
    answered_within: int
    service_level: float | None
    asa: float | None
    abandon_rate: float | None
    offers: int
    offers_accepted: int
    offers_rejected: int
    offers_expired: int
    offers_rescinded: int
    average_acceptance_time: float | None
    answered_by_wait: tuple[int, ...]


@attrs.frozen(kw_only=True)
class WindowStatistics:
    """The cumulative statistics of the window ``[start, at]``: in total, per channel, per target, per tier.

    Rows appear for every channel, target and tier with a count in the window; :meth:`channel`,
    :meth:`target` and :meth:`tier` give a row of zeros for one with none.
    """

    at: float
    start: float
    wait_edges: tuple[float, ...]
    overall: WindowKpis
    channels: tuple[WindowKpis, ...]
    targets: tuple[WindowKpis, ...]
    tiers: tuple[WindowKpis, ...]

    def channel(self, channel: Channel | str) -> WindowKpis:
        """The row of one channel.

        Raises:
            KeyError: Not a channel routekit knows.
        """
        name = to_channel(channel).value
        return _find(self.channels, name, ALL, ALL, len(self.wait_edges))

    def target(self, rule: str, channel: Channel | str | None = None) -> WindowKpis:
        """The row of one stage target, by its rule (and channel, where two channels share a rule).

        Raises:
            KeyError: ``channel`` is not a channel routekit knows, or two channels share the rule and
                ``channel`` was not given.
        """
        if channel is not None:
            return _find(self.targets, to_channel(channel).value, rule, ALL, len(self.wait_edges))
        rows = [row for row in self.targets if row.rule == rule]
        if len(rows) > 1:
            raise KeyError(f"rule {rule!r} is a target on several channels; name the channel")
        return rows[0] if rows else _zeros(ALL, rule, ALL, len(self.wait_edges))

    def tier(self, tier: str) -> WindowKpis:
        """The row of one tier, over every channel."""
        return _find(self.tiers, ALL, ALL, tier, len(self.wait_edges))


def _find(rows: tuple[WindowKpis, ...], channel: str, rule: str, tier: str, edges: int) -> WindowKpis:
    for row in rows:
        if row.channel == channel and row.rule == rule and row.tier == tier:
            return row
    return _zeros(channel, rule, tier, edges)


def _zeros(channel: str, rule: str, tier: str, edges: int) -> WindowKpis:
    return _Counts(edges).kpis(channel, rule, tier)


# ---------------------------------------------------------------------------------------------------
# Mutable state


class _Counts:
    """What one row counts in one bucket (or in a whole window, once buckets are summed)."""

    __slots__ = (
        "abandoned",
        "accept_sum",
        "accepted",
        "answered",
        "answered_within",
        "bands",
        "decided",
        "denied",
        "denied_after_queue",
        "expired",
        "offered",
        "offers",
        "reasons",
        "rejected",
        "rescinded",
        "wait_sum",
    )

    def __init__(self, edges: int) -> None:
        self.offered = 0
        self.answered = 0
        self.abandoned = 0
        self.denied = 0
        self.denied_after_queue = 0
        self.reasons: dict[str, int] = {}
        self.answered_within = 0
        self.decided = 0
        self.wait_sum = 0.0
        self.offers = 0
        self.accepted = 0
        self.accept_sum = 0.0
        self.rejected = 0
        self.expired = 0
        self.rescinded = 0
        self.bands = [0] * (edges + 1)

    def add(self, other: _Counts) -> None:
        # Written out rather than a loop over the slots with getattr and setattr: three times faster, and a
        # read sums buckets x rows of these.
        self.offered += other.offered
        self.answered += other.answered
        self.abandoned += other.abandoned
        self.denied += other.denied
        self.denied_after_queue += other.denied_after_queue
        self.answered_within += other.answered_within
        self.decided += other.decided
        self.wait_sum += other.wait_sum
        self.offers += other.offers
        self.accepted += other.accepted
        self.accept_sum += other.accept_sum
        self.rejected += other.rejected
        self.expired += other.expired
        self.rescinded += other.rescinded
        for reason, n in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + n
        self.bands = [mine + theirs for mine, theirs in zip(self.bands, other.bands, strict=True)]

    def kpis(self, channel: str, rule: str, tier: str, has_threshold: bool = True) -> WindowKpis:
        return WindowKpis(
            channel=channel,
            rule=rule,
            tier=tier,
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            denied=self.denied,
            denied_after_queue=self.denied_after_queue,
            denied_by_reason=dict(sorted(self.reasons.items())),
            answered_within=self.answered_within,
            service_level=kpis.service_level(self.answered_within, self.decided) if has_threshold else None,
            asa=kpis.average_speed_of_answer(self.wait_sum, self.answered),
            abandon_rate=kpis.abandon_rate(self.abandoned, self.offered),
            offers=self.offers,
            offers_accepted=self.accepted,
            offers_rejected=self.rejected,
            offers_expired=self.expired,
            offers_rescinded=self.rescinded,
            average_acceptance_time=kpis.average_acceptance_time(self.accept_sum, self.accepted),
            answered_by_wait=tuple(self.bands),
        )


_SUMMED = tuple(name for name in _Counts.__slots__ if name not in ("reasons", "bands"))


def _counts_to_data(counts: _Counts) -> list[Any]:
    return [*(getattr(counts, name) for name in _SUMMED), dict(counts.reasons), list(counts.bands)]


def _counts_from_data(values: list[Any], edges: int) -> _Counts:
    counts = _Counts(edges)
    if len(values) != len(_SUMMED) + 2:
        raise ValueError(f"{len(values)} values, expected {len(_SUMMED) + 2}")
    for name, value in zip(_SUMMED, values, strict=False):
        number = _finite(value) if name.endswith("_sum") else _whole(value)
        setattr(counts, name, number)
    reasons, bands = values[-2], values[-1]
    counts.reasons = {_text(reason): _whole(n) for reason, n in reasons.items()}
    if len(bands) != edges + 1:
        raise ValueError(f"{len(bands)} wait bands, expected {edges + 1}")
    counts.bands = [_whole(n) for n in bands]
    return counts


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{value!r} is not a finite number")
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true or false")
    return value
