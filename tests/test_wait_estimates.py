"""Wait estimates: the predictors' formulas, the online statistics behind them, and the router's two calls."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from checked import Checked

import routekit as rk
from routekit.metrics.wait_estimates import WaitEstimateTallies, merge_tallies, rows
from routekit.policies import Plan, Skills, Stage, Target
from routekit.router.estimate import DEFAULT_PREDICTOR, PREDICTORS, queue_length_wait
from routekit.sim.engine import run_day
from routekit.sim.scenario import override, scenario_from_dict


def router(**settings: object) -> Checked:
    return Checked(rk.Router(Skills(), **settings))


def agent(agent_id: str = "a1") -> rk.Agent:
    return rk.Agent(id=agent_id, capacity={"voice": 1})


def contact(contact_id: str, **fields: object) -> rk.Contact:
    return rk.Contact(id=contact_id, customer=rk.Customer(id=f"u-{contact_id}"), channel="voice", **fields)  # type: ignore[arg-type]


def test_queue_length_sums_one_term_per_departure_ahead() -> None:
    """``sum_{i=0..n} 1 / (s*mu + i*theta)``; ``(n + 1) / s*mu`` without abandonment."""
    assert 1 / 0.5 + 1 / 0.6 + 1 / 0.7 == queue_length_wait(2, 0.5, 0.1)
    assert 3 / 0.5 == queue_length_wait(2, 0.5, 0.0)


@pytest.mark.parametrize(("ahead", "rate", "theta"), [(64, 0.5, 0.1), (200, 0.02, 0.003), (5000, 3.0, 1e-7)])
def test_queue_length_closed_form_matches_the_sum(ahead: int, rate: float, theta: float) -> None:
    """Beyond 64 contacts ahead the digamma difference stands in for the sum, to 1e-9 relative."""
    exact = math.fsum(1.0 / (rate + i * theta) for i in range(ahead + 1))
    assert queue_length_wait(ahead, rate, theta) == pytest.approx(exact, rel=1e-9)


def test_queue_length_refuses_no_service() -> None:
    with pytest.raises(ValueError, match="service rate"):
        queue_length_wait(1, 0.0, 0.1)


def backlog() -> Checked:
    """One agent; six calls at 0 answered one by one every 10 s (offers at 0, 10, 20; c4 offered at 30)."""
    r = router()
    r.add_agent(agent(), 0.0)
    for n in range(1, 7):
        r.submit(contact(f"c{n}"), 0.0)
    for n, at in ((1, 10.0), (2, 20.0), (3, 30.0)):
        r.accept(f"c{n}", "a1", at)
        r.complete(f"c{n}", at)
    return r


def test_every_predictor_before_and_after_the_backlog_is_measured() -> None:
    """The service rate is the gaps between answers while contacts waited: answered offers made at 0, 10, 20.

    The first answer has no gap before it (None for queue-length); then gaps of 10 s weighted 0.95 and 1:
    1.95 / 19.5 = 0.1 a second. LES is the last answered wait (c3: offered at 20 after queueing at 0); HOL
    is the head's wait so far, or LES when nobody is ahead.
    """
    r = router()
    r.add_agent(agent(), 0.0)
    for n in range(1, 4):
        r.submit(contact(f"c{n}"), 0.0)
    assert [None, None, None, None] == [r.expected_wait("c2", 0.0, predictor=p) for p in PREDICTORS]
    r.accept("c1", "a1", 10.0)  # offered at 0: it did not wait, so it says nothing for LES
    assert [None, None, None, None] == [r.expected_wait("c2", 10.0, predictor=p) for p in PREDICTORS]
    assert 10.0 == r.expected_wait("c3", 10.0, predictor="hol")  # c2, ahead of it, has waited 10 s
    r = backlog()
    rate = 1.95 / 19.5
    assert pytest.approx(1 / rate) == r.expected_wait("c5", 30.0)  # the default predictor: queue-length
    assert pytest.approx(2 / rate) == r.expected_wait("c6", 30.0)
    assert (20.0, 20.0, 35.0) == (
        r.expected_wait("c5", 35.0, predictor="les"),
        r.expected_wait("c5", 35.0, predictor="hol"),  # nobody ahead: LES
        r.expected_wait("c6", 35.0, predictor="hol"),  # c5 has waited 35 s
    )
    assert r.expected_wait("c4", 30.0) is None  # offered, not waiting


def test_abandonment_is_theta_over_the_time_waited() -> None:
    """theta = abandonments / total time waited (c2 10 s and c3 20 s answered, c6 gone after 40 s)."""
    r = backlog()
    r.abandon("c6", 40.0)
    d = 1 - 1 / 20
    theta = 1 / ((10 * d + 20) * d + 40)
    rate = 1.95 / 19.5
    r.submit(contact("c7"), 41.0)
    assert pytest.approx(1 / rate + 1 / (rate + theta)) == r.expected_wait("c7", 41.0)


def test_quote_wait_is_the_estimate_a_submitted_contact_would_get() -> None:
    """The would-be contact takes the place its key would take; 0.0 when an agent is free; nothing changes."""
    r = backlog()
    before = r.snapshot()
    quote = r.quote_wait(contact("c9"), 31.0)
    assert before == r.snapshot()
    r.submit(contact("c9"), 31.0)
    assert quote == r.expected_wait("c9", 31.0)
    assert r.quote_wait(contact("c10", priority=5), 31.0) == r.expected_wait("c5", 31.0)  # ahead of everybody
    free = router()
    free.add_agent(agent(), 0.0)
    assert 0.0 == free.quote_wait(contact("x"), 1.0)
    assert free.quote_wait(rk.Contact(id="y", customer=rk.Customer(id="u"), channel="chat"), 1.0) is None


def test_quote_wait_starts_at_the_first_stage_submit_would_not_skip() -> None:
    """A stage with a zero timeout is skipped, as submit skips it: the estimate is at the next one."""
    billing = Target(channel=rk.Channel.VOICE, skills={"billing": 1})
    anyone = Target(channel=rk.Channel.VOICE)

    class TwoStages:
        def plan(self, contact: rk.Contact, now: float) -> Plan:
            return Plan(stages=(Stage(target=billing, timeout=0.0), Stage(target=anyone)))

        def hold(self, contact: rk.Contact) -> None:
            return None

    r = Checked(rk.Router(TwoStages()))  # type: ignore[arg-type]
    r.add_agent(rk.Agent(id="a1", capacity={"voice": 1}, skills={"billing": 2}), 0.0)
    assert 0.0 == r.quote_wait(contact("c1"), 0.0)
    r.submit(contact("c1"), 0.0)
    r.submit(contact("c2"), 0.0)
    assert r.state("c2") is rk.ContactState.WAITING
    assert r.quote_wait(contact("c3"), 1.0, predictor="hol") == 1.0  # c2 waits at "anyone", not "billing"


def test_a_bad_predictor_is_refused_by_name() -> None:
    r = backlog()
    names = "queue-length, queue-length-channel, les, hol"
    with pytest.raises(rk.ConfigError, match=rf"predictor must be one of {names}, got 'mean'"):
        r.expected_wait("c5", 30.0, predictor="mean")
    with pytest.raises(rk.ConfigError, match="wait_predictor must be one of"):
        rk.RouterSettings(wait_predictor="mean")


def test_the_default_predictor_comes_from_the_settings() -> None:
    r = Checked(rk.Router(Skills(), wait_predictor="les"))
    r.add_agent(agent(), 0.0)
    for n in range(1, 4):
        r.submit(contact(f"c{n}"), 0.0)
    r.accept("c1", "a1", 10.0)
    r.complete("c1", 10.0)
    r.accept("c2", "a1", 12.0)  # offered at 10 after queueing at 0
    assert 10.0 == r.expected_wait("c3", 12.0)


def test_a_restored_router_estimates_identically() -> None:
    les = Checked(rk.Router(Skills(), wait_predictor="les"))
    assert rk.Router.restore(json.loads(json.dumps(les.snapshot())), les.policy).settings.wait_predictor == "les"
    r = backlog()
    r.abandon("c6", 40.0)
    restored = rk.Router.restore(json.loads(json.dumps(r.snapshot())), r.policy)
    for predictor in PREDICTORS:
        assert r.expected_wait("c5", 41.0, predictor=predictor) == restored.expected_wait(
            "c5", 41.0, predictor=predictor
        )
    assert r.quote_wait(contact("q"), 41.0) == restored.quote_wait(contact("q"), 41.0)


@pytest.mark.parametrize(
    ("where", "value", "path"),
    [
        ("wait_channels", {"voice": [None, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]}, "wait_channels.voice"),
        ("wait_channels", {"voice": [None, 1.0, 0.0, 0.0, 0.0, 0.0]}, "wait_channels.voice"),
        ("wait_channels", {"voice": [500.0, 1.0, 1.0, 10.0, 0.0, 0.0, 0.0, 0.0]}, "wait_channels['voice'].last_start"),
        ("wait_channels", {"voice": [None, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]}, "wait_channels['voice']"),
        ("wait_channels", {"voice": [None, 1.0, 1.0, 10.0, 0.0, 0.0, 100.0, 10.0]}, "wait_channels['voice']"),
        ("wait_channels", {"fax": [None, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]}, "wait_channels.fax"),
        ("wait_targets", [None, None, math.inf, 0.0, 0.0, 0.0, 0.0, 0.0], "wait_targets[0][1]"),
        ("wait_targets", [None, None, 0.0, 0.0, 0.0, 0.0, 0.0], "wait_targets[0][1]"),
    ],
)
def test_restore_refuses_bad_estimate_statistics_naming_the_path(where: str, value: object, path: str) -> None:
    r = backlog()
    snapshot = json.loads(json.dumps(r.snapshot()))
    if where == "wait_targets":
        snapshot[where][0][1] = value
    else:
        snapshot[where] = value
    with pytest.raises(rk.SnapshotError) as caught:
        rk.Router.restore(snapshot, r.policy)
    assert caught.value.path == path


def test_tallies_score_the_first_offer_and_drop_those_who_leave() -> None:
    """Actual = first Offered.at - queued at; bias and MAE relative to the mean actual wait; None is missing."""
    tallies = WaitEstimateTallies()
    voice = rk.Channel.VOICE
    tallies.queued("a", voice, "gold", 0.0, {"les": 10.0, "hol": None})
    tallies.queued("b", voice, "gold", 5.0, {"les": 100.0, "hol": 20.0})
    tallies.queued("c", voice, "gold", 5.0, {"les": 1.0, "hol": 1.0})
    tallies.offered("a", 20.0)  # waited 20: les -10 (within 60 s, not within 20%)
    tallies.offered("b", 25.0)  # waited 20: les +80, hol 0
    tallies.offered("b", 30.0)  # a second offer scores nothing
    tallies.forget("c")  # abandoned: not scored
    tallies.offered("c", 40.0)
    (hol, les) = rows(tallies.tallies)
    assert (les.n, les.missing, les.bias, les.mae, les.bias_seconds, les.within_20, les.within_60) == (
        2,
        0,
        70 / 40,
        90 / 40,
        35.0,
        0.0,
        0.5,
    )
    assert (hol.n, hol.missing, hol.bias, hol.within_20, hol.mean_wait) == (1, 1, 0.0, 1.0, 20.0)
    pooled = merge_tallies([tallies.tallies, tallies.tallies])
    assert rows(pooled, by_tier=False)[1].n == 4


def test_the_simulator_scores_every_listed_predictor() -> None:
    """``run.wait_estimates`` lists the predictors; each one's tallies come back in the day's result."""
    scenario = scenario_from_dict(
        {
            "run": {"customers": 3000, "wait_estimates": list(PREDICTORS)},
            "channel": [{"name": "voice", "handle_time": {"dist": "exponential", "mean": 60}}],
            "arrivals": [{"channel": "voice", "rate": 170}],
            "agents": [{"count": 3, "capacity": {"voice": 1}}],
            "policy": {"kind": "skills"},
        }
    )
    result = run_day(scenario, 1)
    found = {row.predictor: row for row in rows(result.wait_estimates)}
    assert set(found) == set(PREDICTORS)
    assert all(row.n > 100 for row in found.values())
    bias = found["queue-length"].bias
    assert bias is not None
    assert abs(bias) < 0.5
    default = rows(run_day(override(scenario, "run.wait_estimates", []), 1).wait_estimates)
    assert [row.predictor for row in default] == [DEFAULT_PREDICTOR]
    with pytest.raises(rk.ScenarioError, match=r"run\.wait_estimates: expected a list of distinct predictors"):
        override(scenario, "run.wait_estimates", ["mean"])


@pytest.mark.slow
def test_queue_length_meets_the_targets_on_erlang_a() -> None:
    """M/M/10+M (570 an hour, handle 60 s, patience 120 s), 5 x 20,000 customers: the default predictor's
    bias within +-10% and its MAE within 1.2x the exact queue-length predictor's (true c, mu and theta)."""
    scenario = scenario_from_dict(
        {
            "run": {"customers": 20_000, "warmup_customers": 2000},
            "channel": [
                {
                    "name": "voice",
                    "handle_time": {"dist": "exponential", "mean": 60},
                    "patience": {"dist": "exponential", "mean": 120},
                }
            ],
            "arrivals": [{"channel": "voice", "rate": 570}],
            "agents": [{"count": 10, "capacity": {"voice": 1}}],
            "policy": {"kind": "skills"},
        }
    )

    def exact(router: rk.Router, contact_id: str, now: float) -> float | None:
        ahead = router.position(contact_id)
        return None if ahead is None else queue_length_wait(ahead, 10 / 60, 1 / 120)

    runs = [run_day(scenario, seed, estimators={"exact": exact}).wait_estimates for seed in range(5)]
    found = {row.predictor: row for row in rows(merge_tallies(runs), by_tier=False)}
    default, truth = found[DEFAULT_PREDICTOR], found["exact"]
    assert default.n > 30_000
    assert default.bias is not None
    assert abs(default.bias) <= 0.10
    assert default.mae is not None
    assert truth.mae is not None
    assert default.mae <= 1.2 * truth.mae


@pytest.mark.parametrize("now", [math.nan, -math.inf, "5", None, True])
def test_an_estimate_at_a_time_that_is_not_a_finite_number_is_refused(now: Any) -> None:
    """expected_wait and quote_wait refuse a bad now with a ClockError naming it, as every call does."""
    router = rk.Router(Skills())
    router.add_agent(rk.Agent(id="a", capacity={"voice": 1}), 0.0)
    contact = rk.Contact(id="c", customer=rk.Customer(id="u"), channel="voice")
    with pytest.raises(rk.ClockError, match="finite number"):
        router.expected_wait("c", now)
    with pytest.raises(rk.ClockError, match="finite number"):
        router.quote_wait(contact, now)
