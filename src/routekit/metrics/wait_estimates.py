"""How good each wait predictor is: its estimates at queueing against the waits that followed.

For every contact that waits at its first queueing, the simulator asks each predictor it measures
(``run.wait_estimates``) for an estimate (:meth:`WaitEstimateTallies.queued`); the contact's first
``Offered`` gives the actual wait, ``Offered.at - ContactQueued.at`` (:meth:`WaitEstimateTallies.offered`).
Contacts that leave before an offer are dropped (:meth:`WaitEstimateTallies.forget`): the measure is over
the contacts that waited and were answered, as issue 21 defines it. A predictor with nothing on record
for a contact (``None``) counts as ``missing`` for that predictor, not as an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from routekit.models.channel import Channel

__all__ = ["WaitEstimateRow", "WaitEstimateTallies", "WaitEstimateTally", "merge_tallies", "rows"]


@attrs.define(kw_only=True)
class WaitEstimateTally:
    """Running sums for one (predictor, channel, tier): enough to pool replications by adding them."""

    n: int = 0
    missing: int = 0
    error_sum: float = 0.0
    abs_error_sum: float = 0.0
    actual_sum: float = 0.0
    within_20: int = 0
    within_60: int = 0

    def add(self, other: WaitEstimateTally) -> None:
        """Add another tally's sums to this one (a replication's, or another tier's)."""
        self.n += other.n
        self.missing += other.missing
        self.error_sum += other.error_sum
        self.abs_error_sum += other.abs_error_sum
        self.actual_sum += other.actual_sum
        self.within_20 += other.within_20
        self.within_60 += other.within_60


@attrs.frozen(kw_only=True)
class WaitEstimateRow:
    """One predictor's accuracy on one channel and tier (``tier`` ``None``: every tier).

    Attributes:
        n: Contacts that waited, were answered, and had an estimate from this predictor.
        missing: Those the predictor had no estimate for.
        bias: ``mean(estimate - actual) / mean(actual)`` (relative; ``None`` without contacts).
        mae: ``mean(|estimate - actual|) / mean(actual)``.
        bias_seconds, mae_seconds: The same means in seconds, undivided.
        mean_wait: The mean actual wait of those contacts, seconds.
        within_20: The share whose estimate was within 20% of the actual wait.
        within_60: The share whose estimate was within 60 s of it.
    """

    predictor: str
    channel: Channel
    tier: str | None
    n: int
    missing: int
    bias: float | None
    mae: float | None
    bias_seconds: float | None
    mae_seconds: float | None
    mean_wait: float | None
    within_20: float | None
    within_60: float | None

    @classmethod
    def of(cls, predictor: str, channel: Channel, tier: str | None, t: WaitEstimateTally) -> WaitEstimateRow:
        """The row a tally's sums give."""
        n = t.n
        mean = t.actual_sum / n if n else None
        return cls(
            predictor=predictor,
            channel=channel,
            tier=tier,
            n=n,
            missing=t.missing,
            bias=t.error_sum / t.actual_sum if n and t.actual_sum > 0 else None,
            mae=t.abs_error_sum / t.actual_sum if n and t.actual_sum > 0 else None,
            bias_seconds=t.error_sum / n if n else None,
            mae_seconds=t.abs_error_sum / n if n else None,
            mean_wait=mean,
            within_20=t.within_20 / n if n else None,
            within_60=t.within_60 / n if n else None,
        )


Key = tuple[str, Channel, str]


class WaitEstimateTallies:
    """The tallies of one run: estimates waiting for their contact's first offer, and the sums so far."""

    def __init__(self) -> None:
        self.tallies: dict[Key, WaitEstimateTally] = {}
        # Contact id -> (channel, tier, queued at, estimate by predictor), until its first offer.
        self.pending: dict[str, tuple[Channel, str, float, dict[str, float | None]]] = {}

    def queued(
        self, contact_id: str, channel: Channel, tier: str, at: float, estimates: Mapping[str, float | None]
    ) -> None:
        """A contact waits from ``at``; each predictor's estimate for it, made then."""
        self.pending[contact_id] = (channel, tier, at, dict(estimates))

    def offered(self, contact_id: str, at: float) -> None:
        """A contact's first offer (later ones find nothing pending): score each predictor's estimate."""
        entry = self.pending.pop(contact_id, None)
        if entry is None:
            return
        channel, tier, queued_at, estimates = entry
        actual = at - queued_at
        for predictor, estimate in estimates.items():
            key = (predictor, channel, tier)
            tally = self.tallies.get(key)
            if tally is None:
                tally = self.tallies[key] = WaitEstimateTally()
            if estimate is None:
                tally.missing += 1
                continue
            error = estimate - actual
            tally.n += 1
            tally.error_sum += error
            tally.abs_error_sum += abs(error)
            tally.actual_sum += actual
            tally.within_20 += abs(error) <= 0.2 * actual
            tally.within_60 += abs(error) <= 60.0

    def forget(self, contact_id: str) -> None:
        """A contact left before any offer (abandoned, denied): its estimates are not scored."""
        self.pending.pop(contact_id, None)


def merge_tallies(runs: Iterable[Mapping[Key, WaitEstimateTally]]) -> dict[Key, WaitEstimateTally]:
    """Pool several runs' tallies: the sums added, key by key."""
    pooled: dict[Key, WaitEstimateTally] = {}
    for tallies in runs:
        for key, tally in tallies.items():
            pooled.setdefault(key, WaitEstimateTally()).add(tally)
    return pooled


def rows(tallies: Mapping[Key, WaitEstimateTally], *, by_tier: bool = True) -> list[WaitEstimateRow]:
    """The rows of pooled tallies, per predictor, channel and tier (or per channel alone), sorted."""
    grouped: dict[tuple[str, Channel, str | None], WaitEstimateTally] = {}
    for (predictor, channel, tier), tally in tallies.items():
        grouped.setdefault((predictor, channel, tier if by_tier else None), WaitEstimateTally()).add(tally)
    order = list(Channel)
    return [
        WaitEstimateRow.of(predictor, channel, tier, tally)
        for (predictor, channel, tier), tally in sorted(
            grouped.items(), key=lambda item: (order.index(item[0][1]), item[0][2] or "", item[0][0])
        )
    ]
