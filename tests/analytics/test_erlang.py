"""Erlang B, C and A against independent exact references, across 1 to 10,000 agents.

The Erlang A reference solves the truncated M/M/n+M birth–death chain with mpmath at 40 digits and
follows a tagged arrival through its own absorbing chain (j contacts ahead of it, then served or
abandoned): expected times in each state by back-substitution for the answered share, ASA and mean
wait, and uniformization for the share answered within the threshold. It shares no formula with the
implementation, which sums incomplete-gamma series in closed form.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tagged_chain import served_by

from routekit.analytics import QueueFigures, erlang_a, erlang_b, erlang_c
from routekit.errors import ConfigError

FIELDS = ("p_wait", "p_abandon", "asa", "mean_wait", "service_level", "occupancy")


def reference_erlang_a(rate: float, aht: float, agents: int, patience: float, threshold: float) -> dict[str, float]:
    """The exact M/M/n+M figures from the birth–death chain and a tagged customer's chain."""
    mpmath.mp.dps = 40
    lam = mpmath.mpf(rate) / 3600
    mu = 1 / mpmath.mpf(aht)
    theta = 1 / mpmath.mpf(patience)
    n = agents
    weights = [mpmath.mpf(1)]
    largest = mpmath.mpf(1)
    tiny = mpmath.mpf(10) ** -45
    k = 0
    while True:  # π_k up to where the chain's tail is far below 40 digits
        k += 1
        weights.append(weights[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
        largest = max(largest, weights[-1])
        if k > n and lam < n * mu + (k - n) * theta and weights[-1] < largest * tiny:
            break
    total = mpmath.fsum(weights)
    pi = [w / total for w in weights]
    p_wait = mpmath.fsum(pi[n:])  # PASTA: an arrival sees the time-stationary state
    occupancy = mpmath.fsum(min(k, n) * p for k, p in enumerate(pi)) / n
    ahead = len(pi) - n - 1
    # From "i ahead" the tagged contact moves to i − 1 (or is served, from 0) at rate nμ + iθ,
    # and abandons at rate θ.
    moves = [n * mu + i * theta for i in range(ahead + 1)]
    start = [pi[n + i] / p_wait for i in range(ahead + 1)]
    time_in = [mpmath.mpf(0)] * (ahead + 1)
    time_in[ahead] = start[ahead] / (moves[ahead] + theta)
    for i in range(ahead - 1, -1, -1):
        time_in[i] = (start[i] + moves[i + 1] * time_in[i + 1]) / (moves[i] + theta)
    served_later = [moves[0] / (moves[0] + theta)]  # P(eventually served | i ahead)
    for i in range(1, ahead + 1):
        served_later.append(moves[i] / (moves[i] + theta) * served_later[-1])
    served_if_waiting = n * mu * time_in[0]
    answered = 1 - p_wait + p_wait * served_if_waiting
    # E[wait; answered] = ∫ P(still waiting at s and answered later) ds.
    answered_wait = p_wait * mpmath.fsum(t * h for t, h in zip(time_in, served_later, strict=True))
    within = served_by(
        np.array([float(m) for m in moves]), float(theta), np.array([float(s) for s in start]), threshold
    )
    return {
        "p_wait": float(p_wait),
        "p_abandon": float(p_wait * (1 - served_if_waiting)),
        "asa": float(answered_wait / answered),
        "mean_wait": float(p_wait * mpmath.fsum(time_in)),
        "service_level": float(1 - p_wait) + float(p_wait) * within,
        "occupancy": float(occupancy),
    }


def textbook_erlang_b(agents: int, load: float) -> float:
    """Erlang B by the textbook recursion B(k) = a·B(k−1) / (k + a·B(k−1))."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def assert_close(expected: float, actual: float) -> None:
    """1e-9 relative, or 1e-15 absolute for a probability below 1e-6."""
    if abs(expected) < 1e-6:
        assert expected == pytest.approx(actual, rel=0, abs=1e-15)
    else:
        assert expected == pytest.approx(actual, rel=1e-9, abs=0)


# rate/h, aht s, agents, patience s, threshold s
ERLANG_A_CASES = [
    pytest.param(570, 60, 10, 120, 20, id="issue-10-agents-95pct"),
    pytest.param(30, 60, 1, 30, 10, id="one-agent-half-load"),
    pytest.param(19_600, 180, 1000, 300, 20, id="1000-agents-98pct"),
    pytest.param(66_000, 60, 1000, 120, 20, id="1000-agents-110pct"),
    pytest.param(660, 300, 50, 90, 30, id="50-agents-110pct"),
    pytest.param(150, 240, 40, 60, 20, id="light-load-tiny-wait"),
    pytest.param(2_280, 30, 20, 1800, 15, id="long-patience-95pct"),
    pytest.param(36, 600, 5, 10, 5, id="short-patience-120pct"),
    pytest.param(100_000, 60, 10, 120, 20, id="10-agents-166x-load"),
    pytest.param(599_400, 60, 10_000, 120, 20, id="10000-agents-99.9pct"),
]


def test_erlang_a_reproduces_the_issue_figures() -> None:
    """The issue's figures (570/h, 60 s, 10 agents, 120 s patience, 20 s) come out to the printed digits."""
    f = erlang_a(570, 60, 10, 120, 20)
    assert (0.545722, 0.084452, 9.61614, 0.737054, 0.869771) == (
        round(f.p_wait, 6),
        round(f.p_abandon, 6),
        round(f.asa, 5),
        round(f.service_level, 6),
        round(f.occupancy, 6),
    )


@pytest.mark.parametrize(("rate", "aht", "agents", "patience", "threshold"), ERLANG_A_CASES)
def test_erlang_a_matches_the_exact_chain(
    rate: float, aht: float, agents: int, patience: float, threshold: float
) -> None:
    """Every Erlang A figure equals the exact M/M/n+M value to 1e-9 relative (1e-15 absolute below 1e-6)."""
    expected = reference_erlang_a(rate, aht, agents, patience, threshold)
    actual = erlang_a(rate, aht, agents, patience, threshold)
    for field in FIELDS:
        assert_close(expected[field], getattr(actual, field))


@pytest.mark.parametrize(
    ("rate", "aht", "agents", "threshold"),
    [
        (570, 60, 10, 20),
        (30, 60, 1, 10),
        (1_000, 180, 60, 30),
        (19_600, 180, 1000, 20),
        (59_940, 60, 1000, 0),
        (540_000, 60, 10_000, 20),
        (599_400, 60, 10_000, 20),
    ],
)
def test_erlang_c_matches_the_textbook_formula(rate: float, aht: float, agents: int, threshold: float) -> None:
    """Erlang C's figures equal the textbook values built on the Erlang B recursion, to 1e-9 relative."""
    load = rate * aht / 3600
    b = textbook_erlang_b(agents, load)
    c = agents * b / (agents - load * (1 - b))
    asa = c * aht / (agents - load)
    level = 1 - c * math.exp(-(agents - load) * threshold / aht)
    f = erlang_c(rate, aht, agents, threshold)
    assert c == pytest.approx(f.p_wait, rel=1e-9)
    assert asa == pytest.approx(f.asa, rel=1e-9)
    assert asa == pytest.approx(f.mean_wait, rel=1e-9)
    assert level == pytest.approx(f.service_level, rel=1e-9)
    assert load / agents == pytest.approx(f.occupancy, rel=1e-12)
    assert 0.0 == f.p_abandon


def test_erlang_c_reproduces_the_issue_figures() -> None:
    """Erlang C on the issue's queue predicts about 99 s of ASA and 30% service level."""
    f = erlang_c(570, 60, 10, 20)
    assert (99.07, 0.301) == (round(f.asa, 2), round(f.service_level, 3))


@pytest.mark.parametrize(
    ("agents", "load"),
    [(1, 0.5), (1, 1e4), (10, 9.5), (50, 100.0), (1000, 950.0), (10_000, 9990.0), (10_000, 2e4)],
)
def test_erlang_b_matches_the_recursion(agents: int, load: float) -> None:
    """Erlang B equals the textbook recursion to 1e-9 relative, below and above capacity."""
    assert textbook_erlang_b(agents, load) == pytest.approx(erlang_b(agents, load), rel=1e-9)


def test_erlang_b_of_no_load_is_zero() -> None:
    """Nothing is blocked when nothing arrives."""
    assert 0.0 == erlang_b(5, 0.0)


def test_erlang_b_underflows_gracefully_far_below_capacity() -> None:
    """At 10,000 agents and a load of 10 the blocking probability is 0 in floating point, not an error."""
    assert 0.0 == pytest.approx(erlang_b(10_000, 10.0), abs=1e-300)


@pytest.mark.parametrize("agents", [1, 2, 10, 100, 1000, 10_000])
@pytest.mark.parametrize("utilisation", [0.5, 0.99, 1.0, 1.1, 3.0, 100.0])
def test_erlang_a_is_stable_from_one_to_ten_thousand_agents(agents: int, utilisation: float) -> None:
    """Erlang A returns finite probabilities and waits at any agent count and load, with no overflow."""
    aht = 120.0
    rate = utilisation * agents * 3600 / aht
    f = erlang_a(rate, aht, agents, 90.0, 20.0)
    for field in FIELDS:
        assert math.isfinite(getattr(f, field)), field
    assert 0.0 <= f.p_abandon <= f.p_wait <= 1.0
    assert 0.0 <= f.service_level <= 1.0 - f.p_abandon + 1e-12
    assert 0.0 <= f.occupancy <= 1.0
    assert f.p_abandon * 90.0 == pytest.approx(f.mean_wait, rel=1e-12)


@pytest.mark.parametrize("agents", [1, 10, 1000, 10_000])
def test_erlang_c_is_stable_just_below_capacity(agents: int) -> None:
    """Erlang C at 99.99% load gives a wait probability near 1 and a finite, long ASA."""
    aht = 60.0
    rate = 0.9999 * agents * 3600 / aht
    f = erlang_c(rate, aht, agents, 20.0)
    assert 0.9 < f.p_wait <= 1.0
    assert math.isfinite(f.asa)
    assert f.asa > 50.0


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    """With a patience of a year, Erlang A's figures are Erlang C's to four digits."""
    c = erlang_c(1000, 180, 60, 20)
    a = erlang_a(1000, 180, 60, 3.15e7, 20)
    for field in ("p_wait", "asa", "service_level", "occupancy"):
        assert getattr(c, field) == pytest.approx(getattr(a, field), rel=1e-4)


def test_erlang_a_tends_to_erlang_b_as_patience_vanishes() -> None:
    """With a patience of a microsecond, whoever must wait abandons: P(abandon) is Erlang B's blocking."""
    a = erlang_a(570, 60, 10, 1e-6, 20)
    assert erlang_b(10, 9.5) == pytest.approx(a.p_abandon, rel=1e-6)


@given(
    agents=st.integers(1, 300),
    utilisation=st.floats(0.05, 3.0),
    patience=st.floats(1.0, 3600.0),
    threshold=st.floats(0.0, 600.0),
)
def test_erlang_a_improves_with_every_agent(agents: int, utilisation: float, patience: float, threshold: float) -> None:
    """One more agent never lowers the service level nor raises abandonment, ASA or occupancy.

    The service level is compared within 1e-10: at about three times capacity with long patience it is
    below 1e-11, and there the difference of two log-space sums of magnitude ~1e3 leaves ~1e-12 of noise.
    """
    aht = 200.0
    rate = utilisation * agents * 3600 / aht
    f = erlang_a(rate, aht, agents, patience, threshold)
    g = erlang_a(rate, aht, agents + 1, patience, threshold)
    assert g.service_level >= f.service_level - 1e-10
    assert g.p_abandon <= f.p_abandon + 1e-12
    assert g.asa <= f.asa * (1 + 1e-9) + 1e-12
    assert g.occupancy <= f.occupancy + 1e-12


def test_no_arrivals_gives_an_idle_queue() -> None:
    """A rate of 0 means nobody waits and nobody is busy, under both models."""
    for f in (erlang_a(0, 60, 3, 120, 20), erlang_c(0, 60, 3, 20)):
        assert (0.0, 0.0, 0.0, 1.0, 0.0) == (f.p_wait, f.p_abandon, f.asa, f.service_level, f.occupancy)


def test_the_figures_are_a_frozen_record() -> None:
    """QueueFigures cannot be changed after it is made."""
    f = erlang_a(570, 60, 10, 120, 20)
    assert isinstance(f, QueueFigures)
    assert ("erlang-a", 10, 1, 9.5, 20.0) == (f.model, f.agents, f.concurrency, f.load, f.threshold)
    with pytest.raises(AttributeError):
        f.agents = 11  # type: ignore[misc]


def test_erlang_c_refuses_a_load_at_capacity() -> None:
    """Erlang C at exactly capacity has no steady state, and says so."""
    with pytest.raises(ConfigError, match=r"at or above capacity: load 10 Erlangs .*agents=10"):
        erlang_c(600, 60, 10, 20)


def test_erlang_c_refuses_a_load_above_capacity() -> None:
    """Erlang C above capacity points to Erlang A."""
    with pytest.raises(ConfigError, match="use erlang_a"):
        erlang_c(660, 60, 10, 20)


BAD_PARAMETERS = [
    pytest.param({"rate": -1.0}, r"rate must be .*>= 0.*got -1\.0", id="negative-rate"),
    pytest.param({"rate": math.nan}, r"rate must be .*got nan", id="nan-rate"),
    pytest.param({"rate": math.inf}, r"rate must be .*got inf", id="infinite-rate"),
    pytest.param({"rate": "many"}, r"rate must be a number .*got 'many'", id="text-rate"),
    pytest.param({"aht": 0.0}, r"aht must be .*> 0.*got 0\.0", id="zero-aht"),
    pytest.param({"aht": -60.0}, r"aht must be .*got -60\.0", id="negative-aht"),
    pytest.param({"agents": 0}, r"agents must be a whole number >= 1, got 0", id="zero-agents"),
    pytest.param({"agents": -3}, r"agents must be a whole number >= 1, got -3", id="negative-agents"),
    pytest.param({"agents": 2.5}, r"agents must be a whole number >= 1, got 2\.5", id="fractional-agents"),
    pytest.param({"agents": True}, r"agents must be a whole number >= 1, got True", id="bool-agents"),
    pytest.param({"agents": "3"}, r"agents must be a whole number >= 1, got '3'", id="text-agents"),
    pytest.param({"threshold": -1.0}, r"threshold must be .*>= 0.*got -1\.0", id="negative-threshold"),
    pytest.param({"threshold": math.inf}, r"threshold must be .*got inf", id="infinite-threshold"),
]


@pytest.mark.parametrize(("change", "message"), BAD_PARAMETERS)
def test_erlang_a_refuses_bad_parameters(change: dict[str, object], message: str) -> None:
    """Erlang A refuses each bad parameter with its name and value."""
    args: dict[str, object] = {
        "rate": 570,
        "aht": 60,
        "agents": 10,
        "patience": 120,
        "threshold": 20,
    } | change
    with pytest.raises(ConfigError, match=message):
        erlang_a(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "message"), BAD_PARAMETERS)
def test_erlang_c_refuses_bad_parameters(change: dict[str, object], message: str) -> None:
    """Erlang C refuses each bad parameter with its name and value."""
    args: dict[str, object] = {"rate": 300, "aht": 60, "agents": 10, "threshold": 20} | change
    with pytest.raises(ConfigError, match=message):
        erlang_c(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("patience", "message"),
    [
        (0.0, r"patience must be .*> 0.*got 0\.0"),
        (-5.0, r"patience must be .*got -5\.0"),
        (math.inf, r"patience must be a finite number .*got inf"),
        (None, r"patience must be a number .*got None"),
    ],
)
def test_erlang_a_refuses_a_bad_patience(patience: object, message: str) -> None:
    """Erlang A needs a finite patience above 0, and says which value it got."""
    with pytest.raises(ConfigError, match=message):
        erlang_a(570, 60, 10, patience, 20)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("agents", "load", "message"),
    [
        (0, 1.0, r"agents must be a whole number >= 1, got 0"),
        (1.5, 1.0, r"agents must be a whole number >= 1, got 1\.5"),
        (3, -1.0, r"load must be .*>= 0.*got -1\.0"),
        (3, math.nan, r"load must be .*got nan"),
    ],
)
def test_erlang_b_refuses_bad_parameters(agents: object, load: float, message: str) -> None:
    """Erlang B refuses a bad agent count or load with its name and value."""
    with pytest.raises(ConfigError, match=message):
        erlang_b(agents, load)  # type: ignore[arg-type]


def test_erlang_a_refuses_an_absurd_patience_above_capacity() -> None:
    """A patience of centuries above capacity would need billions of terms: refused, naming patience."""
    with pytest.raises(ConfigError, match="patience too long"):
        erlang_a(1e6, 60, 10_000, 1e10, 20)


def test_numpy_integers_count_as_agents() -> None:
    """An agent count from a numpy array is accepted like an int."""
    assert erlang_a(570, 60, 10, 120, 20) == erlang_a(570, 60, np.int64(10), 120, 20)  # type: ignore[arg-type]
