"""Distributions: moments within a sampling tolerance, reproducible draws, and key-path errors."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from routekit.errors import ScenarioError
from routekit.sim.distributions import (
    Deterministic,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    deterministic,
    distribution_from_spec,
    empirical,
    exponential,
    gamma,
    lognormal,
)

N = 200_000
SIGMAS = 5  # a correct sampler fails this by chance about once in 1.7 million runs


def kurtosis(d: Distribution) -> float:
    """The fourth central moment over sd**4, from the parameters (not from the sample)."""
    if isinstance(d, Exponential):
        return 9.0
    if isinstance(d, Gamma):
        return 3.0 + 6.0 / d.shape
    if isinstance(d, LogNormal):
        s2 = d.sigma**2
        return math.exp(4 * s2) + 2 * math.exp(3 * s2) + 3 * math.exp(2 * s2) - 3
    assert isinstance(d, Empirical)
    values = np.asarray(d.values)
    return float(np.mean((values - values.mean()) ** 4) / values.var() ** 2)


CASES: list[Distribution] = [
    exponential(60),
    lognormal(300, 120),
    lognormal(100, 100),
    gamma(60, 30),
    gamma(shape=0.5, scale=40),
    empirical([5, 10, 10, 30, 120, 600]),
]


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_sample_mean_and_sd_match_the_parameters(dist: Distribution, rng: np.random.Generator) -> None:
    """The sample mean and variance lie within 5 standard errors of the distribution's own."""
    draws = dist.sample_many(rng, N)
    assert (N,) == draws.shape
    assert np.float64 == draws.dtype
    mean_se = dist.sd / math.sqrt(N)
    assert abs(draws.mean() - dist.mean) <= SIGMAS * mean_se
    var_se = dist.sd**2 * math.sqrt((kurtosis(dist) - 1) / N)
    assert abs(draws.var(ddof=1) - dist.sd**2) <= SIGMAS * var_se
    assert draws.min() >= 0


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_sample_draws_one_float(dist: Distribution, rng: np.random.Generator) -> None:
    """sample() returns a plain non-negative float, and its mean agrees within 5 standard errors."""
    n = 20_000
    draws = [dist.sample(rng) for _ in range(n)]
    assert all(type(x) is float and x >= 0 for x in draws)
    assert abs(sum(draws) / n - dist.mean) <= SIGMAS * dist.sd / math.sqrt(n)


def test_moments_of_each_parameterisation() -> None:
    """Lognormal and gamma take the mean and sd of the variate; gamma also takes shape and scale."""
    ln = lognormal(100, 50)
    assert pytest.approx(100.0) == math.exp(ln.mu + ln.sigma**2 / 2)
    assert pytest.approx(50.0**2) == (math.exp(ln.sigma**2) - 1) * math.exp(2 * ln.mu + ln.sigma**2)
    g = gamma(60, 30)
    assert (4.0, 15.0) == (g.shape, g.scale)
    assert (pytest.approx(60.0), pytest.approx(30.0)) == (g.mean, g.sd)
    assert Gamma(shape=4.0, scale=15.0) == gamma(shape=4, scale=15)
    assert (60.0, 60.0) == (exponential(60).mean, exponential(60).sd)
    assert (45.0, 0.0) == (deterministic(45).mean, deterministic(45).sd)


def test_deterministic_draws_the_constant_without_randomness() -> None:
    """A constant never touches the generator."""
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    d = Deterministic(12.5)
    assert 12.5 == d.sample(rng)
    assert [12.5, 12.5] == d.sample_many(rng, 2).tolist()
    assert before == rng.bit_generator.state


@pytest.mark.parametrize("dist", [*CASES, deterministic(3)], ids=repr)
def test_seeded_generator_reproduces_the_draws(dist: Distribution) -> None:
    """The same seed gives the same draws, and the global random states are never touched."""
    np_state, py_state = np.random.get_state(), random.getstate()
    first = np.random.default_rng(42)
    second = np.random.default_rng(42)
    assert dist.sample_many(first, 100).tolist() == dist.sample_many(second, 100).tolist()
    assert dist.sample(first) == dist.sample(second)
    assert dist.sample_many(np.random.default_rng(43), 100).tolist() != dist.sample_many(
        np.random.default_rng(44), 100
    ).tolist() or isinstance(dist, Deterministic)
    assert str(np_state) == str(np.random.get_state())
    assert py_state == random.getstate()


def test_sample_many_of_zero_and_bad_counts(rng: np.random.Generator) -> None:
    """sample_many(rng, 0) is empty; a negative or fractional count is a ValueError."""
    assert (0,) == exponential(1).sample_many(rng, 0).shape
    for n in (-1, 2.5, True):
        with pytest.raises(ValueError, match="n must be an integer >= 0"):
            exponential(1).sample_many(rng, n)  # type: ignore[arg-type]


def test_every_distribution_is_a_distribution() -> None:
    """Each record satisfies the Distribution protocol and is frozen."""
    for dist in [*CASES, deterministic(1)]:
        assert isinstance(dist, Distribution)
        with pytest.raises(AttributeError):
            dist.mean = 1.0  # type: ignore[misc]


# -- building from a scenario table -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"dist": "exponential", "mean": 60}, Exponential(60.0)),
        ({"dist": "lognormal", "mean": 300.0, "sd": 120}, LogNormal(300.0, 120.0)),
        ({"dist": "gamma", "mean": 60, "sd": 30}, Gamma(4.0, 15.0)),
        ({"dist": "gamma", "shape": 2, "scale": 30}, Gamma(2.0, 30.0)),
        ({"dist": "deterministic", "value": 0}, Deterministic(0.0)),
        ({"dist": "empirical", "values": [1, 2.5]}, Empirical([1.0, 2.5])),
    ],
)
def test_from_spec(spec: dict[str, Any], expected: Distribution) -> None:
    """Each kind of table builds the distribution it names."""
    assert expected == distribution_from_spec(spec, "channel[0].handle_time")


def test_empirical_from_a_csv_column(tmp_path: Path) -> None:
    """A CSV column is read by its header, blank cells skipped, a relative path against base."""
    (tmp_path / "calls.csv").write_text("id,handle\n1,30\n2,\n3, 90.5\n")
    dist = distribution_from_spec(
        {"dist": "empirical", "path": "calls.csv", "column": "handle"}, "x", base=tmp_path
    )
    assert Empirical([30.0, 90.5]) == dist
    assert Empirical([30.0, 90.5]) == empirical(path=tmp_path / "calls.csv", column="handle")


P = "channel[0].handle_time"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (60, f'{P}: must be a table such as {{ dist = "exponential", mean = 60 }}, got 60'),
        ({"mean": 60}, f"{P}.dist: missing; expected one of deterministic, empirical, exponential"),
        ({"dist": 3}, f"{P}.dist: must be a string, got 3 (int)"),
        ({"dist": "expo", "mean": 60}, f"{P}.dist: unknown distribution 'expo'; expected one of"),
        (
            {"dist": "exponential", "meen": 60},
            f"{P}.meen: unknown key for exponential; expected one of dist, mean",
        ),
        ({"dist": "exponential"}, f"{P}.mean: missing; exponential needs mean"),
        ({"dist": "lognormal", "mean": 60}, f"{P}.sd: missing; lognormal needs mean and sd"),
        ({"dist": "exponential", "mean": "sixty"}, f"{P}.mean: must be a number, got 'sixty' (str)"),
        ({"dist": "exponential", "mean": True}, f"{P}.mean: must be a number, got True (bool)"),
        ({"dist": "exponential", "mean": -3}, f"{P}.mean: must be > 0, got -3"),
        ({"dist": "exponential", "mean": 0}, f"{P}.mean: must be > 0, got 0"),
        ({"dist": "exponential", "mean": math.inf}, f"{P}.mean: must be finite, got inf"),
        ({"dist": "exponential", "mean": math.nan}, f"{P}.mean: must be finite, got nan"),
        ({"dist": "lognormal", "mean": 60, "sd": 0}, f"{P}.sd: must be > 0, got 0"),
        ({"dist": "gamma", "mean": 60, "sd": -1}, f"{P}.sd: must be > 0, got -1"),
        ({"dist": "gamma", "mean": 60}, f"{P}.sd: missing; gamma needs mean and sd, or shape and scale"),
        ({"dist": "gamma", "scale": 6}, f"{P}.shape: missing; gamma needs mean and sd, or shape and scale"),
        ({"dist": "gamma", "mean": 60, "shape": 2}, f"{P}: give either mean and sd, or shape and scale"),
        ({"dist": "gamma", "shape": 0, "scale": 6}, f"{P}.shape: must be > 0, got 0"),
        ({"dist": "deterministic", "value": -1}, f"{P}.value: must be >= 0, got -1"),
        ({"dist": "deterministic"}, f"{P}.value: missing; deterministic needs value"),
        ({"dist": "empirical", "values": []}, f"{P}.values: must not be empty"),
        ({"dist": "empirical", "values": [3, -1]}, f"{P}.values[1]: must be >= 0, got -1"),
        ({"dist": "empirical", "values": [3, "x"]}, f"{P}.values[1]: must be a number, got 'x' (str)"),
        ({"dist": "empirical", "values": "1,2"}, f"{P}.values: must be a list of numbers, got '1,2'"),
        ({"dist": "empirical"}, f"{P}: give either values or path (with column), not both or neither"),
        ({"dist": "empirical", "values": [1], "path": "a.csv"}, f"{P}: give either values or path"),
        ({"dist": "empirical", "path": "a.csv"}, f"{P}.column: missing; empirical with a path needs"),
        ({"dist": "empirical", "values": [1], "column": "c"}, f"{P}.column: only used with path"),
        ({"dist": "empirical", "path": 3, "column": "c"}, f"{P}.path: must be a string, got 3 (int)"),
        ({"dist": "empirical", "path": "a.csv", "column": 1}, f"{P}.column: must be a string, got 1 (int)"),
    ],
)
def test_from_spec_errors_name_the_key_path(spec: Any, message: str) -> None:
    """Every mistake is a ScenarioError whose message starts with the key path."""
    with pytest.raises(ScenarioError) as caught:
        distribution_from_spec(spec, P)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "handle_time.path: cannot read "),
        ("id,other\n1,2\n", "handle_time.column: {file} has no column 'handle' (columns: id, other)"),
        ("id,handle\n1,30\n2,abc\n", "handle_time.path: {file} line 3, column 'handle': not a number: 'abc'"),
        ("id,handle\n1,\n", "handle_time.path: {file} has no values in column 'handle'"),
        ("id,handle\n1,-4\n", "handle_time.values[0]: must be >= 0, got -4.0"),
        ("", "handle_time.column: {file} has no column 'handle' (columns: none)"),
    ],
)
def test_csv_errors_name_the_key_path(tmp_path: Path, content: str | None, message: str) -> None:
    """A missing file, column or number in a CSV is a ScenarioError naming the key path and the file."""
    file = tmp_path / "calls.csv"
    if content is not None:
        file.write_text(content)
    with pytest.raises(ScenarioError) as caught:
        distribution_from_spec({"dist": "empirical", "path": str(file), "column": "handle"}, "handle_time")
    assert str(caught.value).startswith(message.format(file=file))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: exponential(-1), "exponential.mean: must be > 0, got -1"),
        (lambda: Exponential(0), "exponential.mean: must be > 0, got 0.0"),
        (lambda: lognormal(10, 0), "lognormal.sd: must be > 0, got 0"),
        (lambda: LogNormal(10, -2), "lognormal.sd: must be > 0, got -2.0"),
        (lambda: gamma(10), "gamma.sd: missing"),
        (lambda: Gamma(shape=1, scale=0), "gamma.scale: must be > 0, got 0.0"),
        (lambda: deterministic(-5), "deterministic.value: must be >= 0, got -5"),
        (lambda: empirical([]), "empirical.values: must not be empty"),
        (lambda: Empirical([]), "empirical.values: must not be empty"),
        (lambda: Empirical([1, -1]), "empirical.values[1]: must be >= 0, got -1"),
        (lambda: empirical([1], path="x.csv", column="c"), "empirical: give either values or path"),
    ],
)
def test_direct_construction_is_validated(build: Any, message: str) -> None:
    """Building a distribution in code validates it the same way, naming the distribution."""
    with pytest.raises(ScenarioError) as caught:
        build()
    assert str(caught.value).startswith(message)
