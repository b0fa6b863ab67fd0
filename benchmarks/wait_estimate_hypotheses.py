"""Measure three hypotheses for the built-in day's voice bias against the default wait predictor (issue #21).

What it measures
    The default ``queue-length-channel`` runs -30.5% on the built-in day's voice (docs/benchmarks.md). The
    hypotheses below are predictors written as benchmark estimators (``run_day(estimators=...)``) that read
    the router's state; none is in the router. Each is scored on the same runs as the router's predictors,
    pooled over ``--reps`` replications (seeds spawned from ``SeedSequence(--seed)``, as in
    ``validate_wait_estimates.py``), and printed in that script's table, per channel or ``--by-tier``.

    - ``overtaking``: in a priority queue, later arrivals of a higher effective priority overtake a waiting
      contact, so the rate left for it is ``s*mu - lambda_higher``. ``lambda_higher`` is the share of the
      channel's last ``answer_window`` arrivals with a smaller queue key priority (higher priority) over the
      time they span; arrivals are seen as contacts the router holds (waiting, offered or being served), so
      a contact answered and finished between two estimates is missed. The rate left is at least
      ``theta``: a contact overtaken by more than the channel serves still moves as those ahead give up.
    - ``stage-share``: a contact at a narrow stage is served only by that stage's eligible agents; walking
      the plan's remaining stages, it progresses through the channel predictor's wait at the share
      (eligible logged-in agents over the channel's, the widest general target's count) of full speed for
      each stage's remaining time.
    - ``stage-share-own``: the same, counting ahead only the contacts in its own queue.

Run ``.venv/bin/python benchmarks/wait_estimate_hypotheses.py`` (20 replications; about 10 s on the
machine of docs/benchmarks.md). The figures and what they say are in docs/benchmarks.md and
docs/explanation/wait-estimates.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _harness import machine
from validate_wait_estimates import table

from routekit.metrics.wait_estimates import merge_tallies, rows
from routekit.router import Router
from routekit.router.estimate import DEFAULT_PREDICTOR, abandon_rate, queue_length_wait
from routekit.router.index import place
from routekit.router.state import WAITING, ContactRecord, RoutingState
from routekit.sim.engine import Estimator, run_day
from routekit.sim.scenario import builtin_scenario, override


def _state(router: Router) -> RoutingState:
    # The hypotheses need what no public call gives (stage shares, every contact's key): read the state.
    return router._rs


def _channel_wait(rs: RoutingState, cr: ContactRecord, ahead: int, overtaking: float) -> float | None:
    """The channel predictor's estimate with ``overtaking`` contacts a second taken from the channel's rate."""
    channel = rs.wait_channels.get(cr.contact.channel)
    if channel is None or channel.pool_gaps < 1.5:
        return None
    theta = abandon_rate(channel)
    rate = channel.pool_gaps / channel.pool_gap_time - overtaking
    if rate < theta or rate <= 0:
        if theta <= 0:
            return None
        rate = theta
    return queue_length_wait(ahead, rate, theta)


def _pooled_ahead(rs: RoutingState, cr: ContactRecord) -> int:
    ahead = 0
    for other, queue in rs.queues.items():
        if other.channel is cr.target.channel and (other.agent is None or other == cr.target) and len(queue):
            ahead += queue.place_of(cr.key)
    return ahead


def overtaking() -> Estimator:
    """``queue-length-channel`` less the arrival rate of higher-priority contacts on the channel."""
    seen: set[str] = set()
    arrivals: dict[object, list[tuple[float, int]]] = {}

    def estimate(router: Router, contact_id: str, now: float) -> float | None:
        rs = _state(router)
        for other_id, other in rs.contacts.items():
            if other_id not in seen:
                seen.add(other_id)
                arrivals.setdefault(other.contact.channel, []).append((other.clock_start, other.key[0]))
        cr = rs.contacts[contact_id]
        if cr.state is not WAITING:
            return None
        recent = sorted(arrivals[cr.contact.channel])[-rs.answer_window :]
        del arrivals[cr.contact.channel][: -rs.answer_window]
        span = recent[-1][0] - recent[0][0] if len(recent) > 1 else 0.0
        higher = sum(1 for _, level in recent[1:] if level < cr.key[0])
        lam = higher / span if span > 0 else 0.0
        return _channel_wait(rs, cr, _pooled_ahead(rs, cr), lam)

    return estimate


def stage_share(*, own_queue: bool) -> Estimator:
    """The channel predictor's wait, walked through the remaining stages at each stage's share of agents."""

    def estimate(router: Router, contact_id: str, now: float) -> float | None:
        rs = _state(router)
        cr = rs.contacts[contact_id]
        if cr.state is not WAITING:
            return None
        full = _channel_wait(rs, cr, place(rs, cr) if own_queue else _pooled_ahead(rs, cr), 0.0)
        if full is None:
            return None
        channel = cr.target.channel
        logged_in = max((n[0] for t, n in rs.present.items() if t.channel is channel and t.agent is None), default=0)
        elapsed, left = 0.0, full
        stages = cr.plan.stages
        for k in range(cr.stage, len(stages)):
            stage = stages[k]
            present = rs.present.get(stage.target)
            share = 1.0
            if stage.target.agent is None and present is not None and logged_in:
                share = min(1.0, present[0] / logged_in)
            if stage.timeout is None or k == len(stages) - 1 or share <= 0:
                if share <= 0:
                    elapsed += stage.timeout or 0.0
                    continue
                return elapsed + left / share
            span = max(0.0, cr.stage_since + stage.timeout - now) if k == cr.stage else stage.timeout
            if span * share >= left:
                return elapsed + left / share
            left -= span * share
            elapsed += span
        return elapsed + left

    return estimate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=20, help="replications (default 20)")
    p.add_argument("--seed", type=int, default=20261206, help="root seed (default 20261206)")
    p.add_argument("--by-tier", action="store_true", help="one row per channel and tier")
    args = p.parse_args(argv)
    started = time.perf_counter()
    day = override(builtin_scenario(), "run.wait_estimates", [DEFAULT_PREDICTOR])
    results = []
    for seed in np.random.SeedSequence(args.seed).spawn(args.reps):
        estimators = {
            "overtaking": overtaking(),
            "stage-share": stage_share(own_queue=False),
            "stage-share-own": stage_share(own_queue=True),
        }
        results.append(run_day(day, seed, estimators=estimators).wait_estimates)
    found = rows(merge_tallies(results), by_tier=args.by_tier)
    elapsed = time.perf_counter() - started
    print(f"{args.reps} replications, seed {args.seed}, {elapsed:.0f} s; {machine()}")
    print(
        "| model | channel | predictor | n | missing | mean wait s | bias % | MAE % | within 20% | within 60 s"
        " | MAE / exact |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in found:  # no exact predictor on the day: the last column stays "-"
        print(table(f"day, {row.tier or 'every tier'}", [row])[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
