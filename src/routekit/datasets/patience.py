"""Customer patience estimated from censored waits, as the queueing literature does.

A customer who abandoned after waiting ``w`` seconds gives a patience sample ``w``; a customer who was
served after waiting ``w`` gives a *censored* one: their patience was longer than ``w``, by how much is
unknown. Averaging only the abandoners' waits therefore underestimates patience (the patient ones were
served before they could show it). Three estimators take the censoring into account:

- :func:`fit_kaplan_meier`: the nonparametric Kaplan-Meier survival curve (``scipy.stats.ecdf`` on
  right-censored ``scipy.stats.CensoredData``), with an exponential tail past the last observed wait.
- :func:`fit_exponential`: the exponential maximum-likelihood rate, abandonments over total waiting
  time (Erlang A's patience model).
- :func:`fit_lognormal`: a lognormal maximum-likelihood fit with censoring.

Each returns a frozen record with ``mean``, ``median``, ``sf(t)`` (the probability that patience
exceeds ``t``) and ``sample(rng, n)``.

>>> import numpy as np
>>> waits, served = [5.0, 20.0, 40.0, 60.0], [False, True, False, True]
>>> fit_exponential(waits, served).mean   # 125 s of waiting, 2 abandonments
62.5
>>> km = fit_kaplan_meier(waits, served)
>>> km.sf(30.0), km.median
(0.75, 40.0)
>>> km.sample(np.random.default_rng(1), 3).shape
(3,)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from routekit.errors import ScenarioError

__all__ = [
    "ExponentialPatience",
    "KaplanMeierPatience",
    "LognormalPatience",
    "fit_exponential",
    "fit_kaplan_meier",
    "fit_lognormal",
]

FloatArray = npt.NDArray[np.float64]


def _positive(instance: Any, attribute: Any, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ScenarioError(f"{type(instance).__name__}.{attribute.name} must be finite and > 0, got {value!r}")


def _data(
    times: Sequence[float] | npt.ArrayLike, censored: Sequence[bool] | npt.ArrayLike
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    t = np.asarray(times, dtype=float)
    c = np.asarray(censored, dtype=bool)
    if t.ndim != 1 or t.shape != c.shape:
        raise ScenarioError(f"times and censored must be 1-d and of one length, got {t.shape} and {c.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ScenarioError("every time must be a finite number >= 0")
    if not np.any(~c):
        raise ScenarioError(
            f"{t.size} waits but no abandonment: patience cannot be estimated when it was never observed"
        )
    return t, c


def _check_rng(rng: np.random.Generator, n: int) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")


@attrs.frozen(kw_only=True)
class ExponentialPatience:
    """Exponential patience: a constant hazard ``rate`` of giving up per second of waiting.

    Args:
        rate: Abandonments per second of waiting.
        events: The abandonments it was fitted on.
        exposure: The total waiting time it was fitted on, in seconds.

    >>> ExponentialPatience(rate=0.01, events=10, exposure=1000.0).mean
    100.0
    """

    rate: float = attrs.field(validator=_positive)
    events: int = 0
    exposure: float = 0.0

    @property
    def mean(self) -> float:
        """Mean patience, in seconds."""
        return 1.0 / self.rate

    @property
    def median(self) -> float:
        """Median patience, in seconds."""
        return math.log(2.0) / self.rate

    def sf(self, t: float) -> float:
        """The probability that patience exceeds ``t`` seconds."""
        return math.exp(-self.rate * max(t, 0.0))

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` patience values, in seconds, from ``rng``."""
        _check_rng(rng, n)
        return rng.exponential(1.0 / self.rate, size=n)


def fit_exponential(
    times: Sequence[float] | npt.ArrayLike, censored: Sequence[bool] | npt.ArrayLike
) -> ExponentialPatience:
    """Fit exponential patience by maximum likelihood: abandonments over total waiting time.

    Each wait, censored or not, is time during which the customer could have given up, so every wait
    adds to the exposure and only abandonments count as events.

    Args:
        times: Each customer's wait, in seconds.
        censored: ``True`` where the customer was served (patience only known to exceed the wait).

    Returns:
        The fitted patience.

    Raises:
        ScenarioError: Lengths differ, a time is negative or not finite, no one abandoned, or every wait
            is zero.

    >>> fit_exponential([10.0, 30.0, 60.0], [False, True, True]).rate
    0.01
    """
    t, c = _data(times, censored)
    exposure = float(t.sum())
    if exposure <= 0:
        raise ScenarioError("every wait is zero: an exponential patience cannot be fitted")
    events = int((~c).sum())
    return ExponentialPatience(rate=events / exposure, events=events, exposure=exposure)


def _floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


@attrs.frozen(kw_only=True)
class KaplanMeierPatience:
    """The Kaplan-Meier patience curve, with an exponential tail past the last observed wait.

    Between observed times the survival is a step function: ``survival[i]`` is the probability that
    patience exceeds ``times[i]`` (and every time up to ``times[i + 1]``). Past ``times[-1]``, the last
    wait observed (abandoned or served), the data say nothing; there the curve continues as
    ``survival[-1] * exp(-tail_rate * (t - times[-1]))``, a memoryless tail whose rate is, by default,
    the exponential fit to the same data. When the last observed wait is an abandonment the curve has
    already reached 0 and the tail is never used.

    Args:
        times: The distinct observed waits, ascending, in seconds.
        survival: The estimated survival at each of ``times`` (non-increasing, in [0, 1]).
        tail_rate: The hazard of the tail, per second.
        events: The abandonments it was fitted on.
        censored: The served (censored) waits it was fitted on.

    Raises:
        ScenarioError: Times not ascending, survival outside [0, 1] or increasing, lengths that differ.
    """

    times: tuple[float, ...] = attrs.field(converter=_floats)
    survival: tuple[float, ...] = attrs.field(converter=_floats)
    tail_rate: float = attrs.field(validator=_positive)
    events: int = 0
    censored: int = 0

    def __attrs_post_init__(self) -> None:
        t, s = np.asarray(self.times, dtype=float), np.asarray(self.survival, dtype=float)
        if not t.size or t.shape != s.shape:
            raise ScenarioError("KaplanMeierPatience: times and survival must be non-empty and of one length")
        if np.any(np.diff(t) <= 0) or t[0] < 0:
            raise ScenarioError("KaplanMeierPatience: times must be >= 0 and strictly ascending")
        if np.any(np.diff(s) > 0) or s[0] > 1 or s[-1] < 0:
            raise ScenarioError("KaplanMeierPatience: survival must be non-increasing within [0, 1]")

    @property
    def last_time(self) -> float:
        """The last observed wait; the exponential tail starts there."""
        return self.times[-1]

    @property
    def mean(self) -> float:
        """Mean patience in seconds: the area under the curve, tail included."""
        t, s = np.asarray(self.times), np.asarray(self.survival)
        area = t[0] + float(np.sum(s[:-1] * np.diff(t)))  # the curve is 1 before the first time
        return float(area + s[-1] / self.tail_rate)

    @property
    def median(self) -> float:
        """The smallest time at which survival is at most one half (in the tail if need be)."""
        return self.quantile(0.5)

    def quantile(self, p: float) -> float:
        """The smallest time ``t`` at which the probability that patience exceeds ``t`` is at most ``1 - p``.

        >>> KaplanMeierPatience(times=(10.0, 20.0), survival=(0.5, 0.25), tail_rate=0.1).quantile(0.5)
        10.0
        """
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        return float(self._inverse(np.array([1.0 - p]))[0])

    def sf(self, t: float) -> float:
        """The probability that patience exceeds ``t`` seconds.

        >>> km = KaplanMeierPatience(times=(10.0, 20.0), survival=(0.5, 0.25), tail_rate=0.1)
        >>> km.sf(5.0), km.sf(15.0), round(km.sf(30.0), 4)
        (1.0, 0.5, 0.092)
        """
        if t > self.last_time:
            return self.survival[-1] * math.exp(-self.tail_rate * (t - self.last_time))
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        return 1.0 if i < 0 else self.survival[i]

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` patience values by inverse transform from the curve (and its tail), using ``rng``.

        Values inside the observed range are observed waits (whole seconds for the Anonymous Bank);
        values past it come from the exponential tail.
        """
        _check_rng(rng, n)
        # 1 - random() lies in (0, 1], so the tail's logarithm below never sees a zero.
        return self._inverse(1.0 - rng.random(n))

    def _inverse(self, level: FloatArray) -> FloatArray:
        # The draw is the first time at which survival falls to the level or below.
        s = np.asarray(self.survival)
        t = np.asarray(self.times)
        i = np.searchsorted(-s, -level, side="left")
        inside = i < s.size
        out = np.empty_like(level)
        out[inside] = t[i[inside]]
        tail = level[~inside]
        out[~inside] = self.last_time + np.log(s[-1] / tail) / self.tail_rate
        return out


def fit_kaplan_meier(
    times: Sequence[float] | npt.ArrayLike,
    censored: Sequence[bool] | npt.ArrayLike,
    *,
    tail_rate: float | None = None,
) -> KaplanMeierPatience:
    """Estimate the patience curve by Kaplan-Meier (``scipy.stats.ecdf`` on right-censored data).

    Args:
        times: Each customer's wait, in seconds.
        censored: ``True`` where the customer was served (patience only known to exceed the wait).
        tail_rate: The hazard past the last observed wait; ``None`` takes the exponential fit's rate.

    Returns:
        The estimated curve.

    Raises:
        ScenarioError: As :func:`fit_exponential`.

    >>> km = fit_kaplan_meier([10.0, 20.0, 30.0], [False, True, False])
    >>> km.times, [round(s, 3) for s in km.survival]
    ((10.0, 20.0, 30.0), [0.667, 0.667, 0.0])
    """
    from scipy import stats  # imported here so that importing routekit does not load scipy

    t, c = _data(times, censored)
    rate = fit_exponential(t, c).rate if tail_rate is None else tail_rate
    result = stats.ecdf(stats.CensoredData(uncensored=t[~c], right=t[c]))
    return KaplanMeierPatience(
        times=tuple(float(x) for x in result.sf.quantiles),
        survival=tuple(float(x) for x in result.sf.probabilities),
        tail_rate=rate,
        events=int((~c).sum()),
        censored=int(c.sum()),
    )


@attrs.frozen(kw_only=True)
class LognormalPatience:
    """Lognormal patience: ``log(patience)`` is normal with mean ``mu`` and standard deviation ``sigma``.

    >>> round(LognormalPatience(mu=4.0, sigma=1.0).median, 2)
    54.6
    """

    mu: float = attrs.field()
    sigma: float = attrs.field(validator=_positive)
    events: int = 0
    censored: int = 0

    @mu.validator
    def _finite_mu(self, attribute: Any, value: float) -> None:
        if not math.isfinite(value):
            raise ScenarioError(f"LognormalPatience.mu must be finite, got {value!r}")

    @property
    def mean(self) -> float:
        """Mean patience, in seconds."""
        return math.exp(self.mu + self.sigma**2 / 2.0)

    @property
    def median(self) -> float:
        """Median patience, in seconds."""
        return math.exp(self.mu)

    def sf(self, t: float) -> float:
        """The probability that patience exceeds ``t`` seconds."""
        if t <= 0:
            return 1.0
        return 0.5 * math.erfc((math.log(t) - self.mu) / (self.sigma * math.sqrt(2.0)))

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` patience values, in seconds, from ``rng``."""
        _check_rng(rng, n)
        return rng.lognormal(self.mu, self.sigma, size=n)


def fit_lognormal(
    times: Sequence[float] | npt.ArrayLike,
    censored: Sequence[bool] | npt.ArrayLike,
    *,
    resolution: float = 1.0,
) -> LognormalPatience:
    """Fit lognormal patience by maximum likelihood with right censoring (``scipy.optimize``).

    An abandonment logged with a zero wait has no lognormal density (the logarithm of zero); it is read
    as a patience somewhere in ``(0, resolution)``, the clock's resolution, and enters the likelihood
    as that interval's probability. A served call with a zero wait says nothing and drops out.

    Args:
        times: Each customer's wait, in seconds.
        censored: ``True`` where the customer was served (patience only known to exceed the wait).
        resolution: The resolution of the recorded waits, in seconds.

    Returns:
        The fitted patience.

    Raises:
        ScenarioError: As :func:`fit_exponential`, or the optimiser did not converge.

    >>> fit = fit_lognormal([20.0, 60.0, 100.0, 30.0, 200.0], [False, False, False, True, True])
    >>> round(fit.median), round(fit.sigma, 2)
    (87, 1.03)
    """
    from scipy import optimize, special  # imported here so that importing routekit does not load scipy

    if not math.isfinite(resolution) or resolution <= 0:
        raise ScenarioError(f"resolution must be finite and > 0, got {resolution!r}")
    t, c = _data(times, censored)
    exact = np.log(t[~c & (t > 0)])
    zeros = int(np.sum(~c & (t == 0)))
    right = np.log(t[c & (t > 0)])
    start_logs = np.log(t[t > 0])
    if exact.size + right.size < 2 or np.ptp(start_logs) == 0:
        raise ScenarioError("a lognormal fit needs at least two distinct positive waits")
    log_res = math.log(resolution)

    def negative_log_likelihood(theta: FloatArray) -> float:
        mu, log_sigma = float(theta[0]), float(theta[1])
        sigma = math.exp(log_sigma)
        z = (exact - mu) / sigma
        total = -exact.size * log_sigma - 0.5 * float(np.sum(z * z)) - float(np.sum(exact))
        total += zeros * float(special.log_ndtr((log_res - mu) / sigma))
        total += float(np.sum(special.log_ndtr(-(right - mu) / sigma)))
        return -total

    start = np.array([float(np.mean(start_logs)), math.log(float(np.std(start_logs)))])
    result = optimize.minimize(negative_log_likelihood, start, method="Nelder-Mead", options={"xatol": 1e-6})
    if not result.success:
        raise ScenarioError(f"the lognormal fit did not converge: {result.message}")
    return LognormalPatience(
        mu=float(result.x[0]),
        sigma=math.exp(float(result.x[1])),
        events=int((~c).sum()),
        censored=int(c.sum()),
    )
