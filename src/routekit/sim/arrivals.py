"""Arrival streams and variates: what the simulator draws, from ``numpy.random.Generator`` streams.

Each source of randomness (each arrival stream, each channel's handle times, ...) has its own stream,
drawn in batches, so that the same scenario and seed give the same day, event for event.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from routekit.models.customer import Customer
from routekit.sim.distributions import Distribution
from routekit.sim.scenario import ArrivalStream

__all__ = ["Arrivals", "Draw", "exponential_gaps", "uniforms", "variates"]

_BATCH = 2048

# One variate per call, handed out by a C-level iterator over batches: itertools' chain of the lists that
# each batch makes, so that a variate costs no Python frame at all (a generator's resume costs one, a
# Python __call__ that indexes a buffer about twice that); the simulator draws four or five per contact.
Draw = Callable[[], float]


def batched(batch: Callable[[int], list[float]]) -> Draw:
    """Values from ``batch``, called for ``_BATCH`` at a time, one per call."""
    return itertools.chain.from_iterable(map(batch, itertools.repeat(_BATCH))).__next__


def variates(dist: Distribution, rng: np.random.Generator) -> Draw:
    """Variates of one distribution from one generator."""
    return batched(lambda n: dist.sample_many(rng, n).tolist())


def uniforms(rng: np.random.Generator) -> Draw:
    """Uniform variates on [0, 1) from one generator."""
    return batched(lambda n: rng.random(n).tolist())


def exponential_gaps(rng: np.random.Generator, rate: float) -> Draw:
    """Gaps of a Poisson stream of ``rate`` per second, by inversion of uniforms from one generator.

    The batches of uniforms and the expression of Arrivals.next_after, so that the same generator
    gives the same times.
    """
    log = math.log
    return batched(lambda n: [-log(1.0 - u) / rate for u in rng.random(n).tolist()])


class Arrivals:
    """A non-homogeneous Poisson stream with a piecewise-constant hourly rate, drawn exactly by inversion."""

    def __init__(self, stream: ArrivalStream, start_hour: float, rng: np.random.Generator) -> None:
        self.stream = stream
        self.id_prefix = f"{stream.channel.value}-"  # contact ids are "<channel>-<arrival number>"
        # Breakpoints in simulated seconds; a profile's rate holds from its hour until the next one.
        self.points = [((hour - start_hour) * 3600.0, rate / 3600.0) for hour, rate in stream.profile]
        self.unit = uniforms(rng)
        self.tier_draw = uniforms(rng)
        cumulative = np.cumsum([share for _, share in stream.tiers]).tolist()
        self.tier_edges = list(zip(cumulative, [tier for tier, _ in stream.tiers], strict=True))
        self.customers: dict[str, Customer] = {}
        # With one tier every arrival is that tier's customer, found without a search of the edges.
        self.only_customer = self.customer(stream.tiers[0][0]) if len(stream.tiers) == 1 else None
        # A stream whose one rate holds from the start needs no search of the profile: each gap is the
        # variate next_after would draw from the same generator (whose draw, self.unit, then stays unused).
        first_at, first_rate = self.points[0]
        self.steady_gap = (
            exponential_gaps(rng, first_rate) if len(self.points) == 1 and first_at <= 0.0 < first_rate else None
        )
        # The segment of the profile the last draw fell in: arrivals are drawn in time order, so the next
        # one almost always falls in it too.
        self.segment = (math.inf, math.inf, 0.0)

    def _rate_at(self, t: float) -> tuple[float, float]:
        begin, until, rate = self.segment
        if begin <= t < until:
            return rate, until
        rate, until, begin = 0.0, math.inf, -math.inf
        for i, (at, value) in enumerate(self.points):
            if at <= t:
                rate, begin = value, at
                until = self.points[i + 1][0] if i + 1 < len(self.points) else math.inf
            else:
                until = min(until, at)
                break
        self.segment = (begin, until, rate)
        return rate, until

    def next_after(self, t: float) -> float:
        if self.steady_gap is not None:
            return t + self.steady_gap()
        while True:
            rate, until = self._rate_at(t)
            if rate <= 0:
                if until == math.inf:
                    return math.inf
                t = until
                continue
            gap = -math.log(1.0 - self.unit()) / rate
            if t + gap < until:
                return t + gap
            t = until  # memoryless: start again at the breakpoint with the next rate

    def customer(self, tier: str) -> Customer:
        # The simulator does not model returning customers: one customer record per tier serves them all,
        # which keeps a long run's memory and time in routing rather than in building look-alike records.
        found = self.customers.get(tier)
        if found is None:
            found = self.customers[tier] = Customer(id=f"customer-{tier}", tier=tier)
        return found

    def tier(self) -> str:
        u = self.tier_draw()
        for edge, tier in self.tier_edges:
            if u < edge:
                return tier
        return self.tier_edges[-1][1]
