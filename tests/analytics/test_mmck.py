"""M/M/n/K blocking (issue 22): the share of contacts a queue limit turns away, K = agents + limit."""

from __future__ import annotations

from fractions import Fraction
from math import factorial

import pytest

from routekit import ConfigError
from routekit.analytics import erlang_b, mmck_blocking


def exact(agents: int, load: Fraction, limit: int) -> float:
    """π_K / Σ π_k in exact rational arithmetic, term by term."""
    terms = [load**k / factorial(k) for k in range(agents + 1)]
    terms += [terms[agents] * (load / agents) ** j for j in range(1, limit + 1)]
    return float(terms[-1] / sum(terms))


@pytest.mark.parametrize(
    ("agents", "load", "limit"),
    [
        (1, Fraction(1, 2), 2),
        (10, Fraction(19, 2), 5),
        (50, Fraction(48), 10),
        (5, Fraction(7), 3),
        (3, Fraction(3), 40),
    ],
)
def test_mmck_blocking_equals_the_exact_sum(agents: int, load: Fraction, limit: int) -> None:
    assert mmck_blocking(agents, float(load), limit) == pytest.approx(exact(agents, load, limit), rel=1e-12)


def test_mm1k_closed_form() -> None:
    """M/M/1/K: (1 - ρ) ρ^K / (1 - ρ^(K+1)); ρ = 0.8, K = 1 + 4."""
    rho, k = 0.8, 5
    assert mmck_blocking(1, rho, 4) == pytest.approx((1 - rho) * rho**k / (1 - rho ** (k + 1)), rel=1e-12)


@pytest.mark.parametrize(("agents", "load"), [(1, 0.3), (10, 9.5), (200, 180.0), (5000, 5100.0)])
def test_a_limit_of_zero_is_erlang_b(agents: int, load: float) -> None:
    assert mmck_blocking(agents, load, 0) == pytest.approx(erlang_b(agents, load), rel=1e-12)


def test_blocking_falls_as_the_limit_grows_and_vanishes_below_capacity() -> None:
    values = [mmck_blocking(10, 8.0, limit) for limit in (0, 1, 5, 20, 200)]
    assert values == sorted(values, reverse=True)
    assert values[-1] < 1e-15


def test_overload_blocks_the_excess() -> None:
    """Far above capacity, a long queue still turns away about 1 - n / a of the contacts."""
    assert mmck_blocking(1000, 1100.0, 500) == pytest.approx(1 - 1000 / 1100, rel=1e-6)


def test_no_load_blocks_nothing() -> None:
    assert mmck_blocking(3, 0.0, 0) == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 1.0, 1), "agents must be a whole number >= 1, got 0"),
        ((2, -1.0, 1), "load must be a finite number >= 0 (Erlangs), got -1.0"),
        ((2, 1.0, -1), "limit must be a whole number >= 0, got -1"),
        ((2, 1.0, 1.5), "limit must be a whole number >= 0, got 1.5"),
        ((2, 1.0, True), "limit must be a whole number >= 0, got True"),
    ],
)
def test_bad_arguments_are_refused_naming_them(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        mmck_blocking(*args)  # type: ignore[arg-type]
    assert str(error.value) == message
