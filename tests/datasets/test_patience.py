"""Patience from censored waits: each fit recovers a known patience that the naive mean gets wrong.

Tolerances are four standard errors computed from the sample (the count of abandonments, or Greenwood's
formula for Kaplan-Meier), never tuned to the seed.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from routekit.datasets import (
    ExponentialPatience,
    KaplanMeierPatience,
    fit_exponential,
    fit_kaplan_meier,
    fit_lognormal,
)
from routekit.errors import ScenarioError

N = 20_000
MEAN_PATIENCE = 60.0
MEAN_SERVICE_WAIT = 60.0  # served after this long on average, unless the caller gave up first
Z = 4.0


def _censored(
    patience: npt.NDArray[np.float64], rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Each caller waits until served or until their patience runs out, whichever comes first."""
    answer = rng.exponential(MEAN_SERVICE_WAIT, size=patience.size)
    return np.minimum(patience, answer), answer < patience


def _greenwood_se(
    times: npt.NDArray[np.float64], censored: npt.NDArray[np.bool_], t: float, s: float
) -> float:
    """Greenwood's standard error of the Kaplan-Meier survival ``s`` at ``t``."""
    ordered = np.sort(times)
    events = np.sort(times[~censored & (times <= t)])
    at_risk = ordered.size - np.searchsorted(ordered, events, side="left")
    return s * math.sqrt(float(np.sum(1.0 / (at_risk * (at_risk - 1.0)))))


def test_exponential_fit_recovers_the_rate_that_the_naive_mean_misses(rng: np.random.Generator) -> None:
    """The censored exponential MLE is within four standard errors of the true rate; the naive mean is not."""
    times, censored = _censored(rng.exponential(MEAN_PATIENCE, size=N), rng)
    fit = fit_exponential(times, censored)
    tolerance = Z * (1 / MEAN_PATIENCE) / math.sqrt(fit.events)
    assert abs(fit.rate - 1 / MEAN_PATIENCE) <= tolerance
    naive_rate = 1 / float(np.mean(times[~censored]))
    assert abs(naive_rate - 1 / MEAN_PATIENCE) > tolerance
    assert int((~censored).sum()) == fit.events


def test_kaplan_meier_recovers_the_survival_curve(rng: np.random.Generator) -> None:
    """Kaplan-Meier survival is within four Greenwood errors of the true curve at several waits."""
    times, censored = _censored(rng.exponential(MEAN_PATIENCE, size=N), rng)
    km = fit_kaplan_meier(times, censored)
    for t in (15.0, 60.0, 150.0):
        s = km.sf(t)
        assert abs(s - math.exp(-t / MEAN_PATIENCE)) <= Z * _greenwood_se(times, censored, t, s)


def test_kaplan_meier_median_is_not_biased_by_censoring(rng: np.random.Generator) -> None:
    """The Kaplan-Meier median is near the true one; the median of the abandoners' waits is far below it."""
    times, censored = _censored(rng.exponential(MEAN_PATIENCE, size=N), rng)
    km = fit_kaplan_meier(times, censored)
    true_median = MEAN_PATIENCE * math.log(2)
    # Delta method: the survival's error divided by the density at the median.
    tolerance = Z * _greenwood_se(times, censored, true_median, 0.5) / (0.5 / MEAN_PATIENCE)
    assert abs(km.median - true_median) <= tolerance
    assert abs(float(np.median(times[~censored])) - true_median) > tolerance


def test_kaplan_meier_samples_follow_the_curve(rng: np.random.Generator) -> None:
    """Draws from the Kaplan-Meier curve exceed a wait as often as the curve says."""
    times, censored = _censored(rng.exponential(MEAN_PATIENCE, size=N), rng)
    km = fit_kaplan_meier(times, censored)
    draws = km.sample(rng, N)
    for t in (15.0, 60.0, 150.0):
        p = km.sf(t)
        assert abs(float(np.mean(draws > t)) - p) <= Z * math.sqrt(p * (1 - p) / N)


def test_kaplan_meier_tail_is_exponential() -> None:
    """Past the last observed wait, survival decays at the tail rate, and the mean counts the tail."""
    km = fit_kaplan_meier([10.0, 20.0, 30.0], [False, False, True], tail_rate=0.1)
    assert ((10.0, 20.0, 30.0), (2 / 3, 1 / 3, 1 / 3)) == (km.times, pytest.approx(km.survival))
    assert pytest.approx(math.exp(-1) / 3) == km.sf(40.0)
    assert pytest.approx(10 + 10 * 2 / 3 + 10 / 3 + (1 / 3) / 0.1) == km.mean
    assert pytest.approx(30 + 10 * math.log(1 / 3 / 0.25)) == km.quantile(0.75)


def test_kaplan_meier_tail_samples(rng: np.random.Generator) -> None:
    """Draws past the last observed wait come from the exponential tail."""
    km = KaplanMeierPatience(times=(10.0, 20.0), survival=(0.5, 0.5), tail_rate=0.1)
    draws = km.sample(rng, N)
    p = 0.5 * math.exp(-1)
    assert abs(float(np.mean(draws > 30.0)) - p) <= Z * math.sqrt(p * (1 - p) / N)
    assert {10.0} == set(draws[draws <= 20.0].tolist())


def test_default_tail_rate_is_the_exponential_fit() -> None:
    """Without a tail rate, Kaplan-Meier continues at the exponential fit's rate."""
    times, censored = [5.0, 20.0, 40.0, 60.0], [False, True, False, True]
    assert fit_exponential(times, censored).rate == fit_kaplan_meier(times, censored).tail_rate


def test_exponential_samples_have_the_fitted_mean(rng: np.random.Generator) -> None:
    """Exponential draws average the fitted mean within four standard errors."""
    fit = ExponentialPatience(rate=1 / MEAN_PATIENCE)
    draws = fit.sample(rng, N)
    assert abs(float(draws.mean()) - MEAN_PATIENCE) <= Z * MEAN_PATIENCE / math.sqrt(N)


def test_lognormal_fit_recovers_its_parameters(rng: np.random.Generator) -> None:
    """The censored lognormal MLE is within four standard errors of the true mu and sigma."""
    mu, sigma = 4.0, 1.0
    times, censored = _censored(rng.lognormal(mu, sigma, size=N), rng)
    fit = fit_lognormal(times, censored)
    # Counting only the abandonments gives standard errors at least as large as the true ones.
    events = fit.events
    assert abs(fit.mu - mu) <= Z * sigma / math.sqrt(events)
    assert abs(fit.sigma - sigma) <= Z * sigma / math.sqrt(2 * events)
    draws = fit.sample(rng, N)
    p = fit.sf(60.0)
    assert abs(float(np.mean(draws > 60.0)) - p) <= Z * math.sqrt(p * (1 - p) / N)


def test_lognormal_fit_takes_zero_waits() -> None:
    """Abandonments logged at zero seconds enter the lognormal fit instead of breaking its logarithm."""
    times, censored = [20.0, 60.0, 100.0, 30.0], [False, False, False, True]
    with_zeros = fit_lognormal([0.0, 0.0, *times], [False, False, *censored])
    assert with_zeros.median < fit_lognormal(times, censored).median


@pytest.mark.parametrize(
    ("times", "censored", "message"),
    [
        ([10.0, 20.0], [True, True], "no abandonment"),
        ([10.0, 20.0], [True], "of one length"),
        ([10.0, -1.0], [False, True], "finite number >= 0"),
        ([10.0, math.nan], [False, True], "finite number >= 0"),
    ],
)
def test_unusable_data_is_refused(times: list[float], censored: list[bool], message: str) -> None:
    """Each fit refuses data from which patience cannot be estimated."""
    for fit in (fit_exponential, fit_kaplan_meier, fit_lognormal):
        with pytest.raises(ScenarioError, match=message):
            fit(times, censored)


def test_sample_needs_a_generator() -> None:
    """Sampling takes a numpy Generator only, so no draw comes from global random state."""
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        ExponentialPatience(rate=0.1).sample(np.random.RandomState(1), 3)  # type: ignore[arg-type]  # on purpose
