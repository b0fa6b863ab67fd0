"""Validated probability distributions for durations: handle times, patience, reply and accept delays.

Each distribution is a frozen record with a ``mean`` and ``sd``, ``sample(rng)`` for one variate and
``sample_many(rng, n)`` for a vectorised batch.
Randomness comes only from the :class:`numpy.random.Generator` passed in, so a seed fixes every draw.
Every variate is a duration in seconds, so values are finite and never negative.

>>> import numpy as np
>>> handle = distribution_from_spec({"dist": "lognormal", "mean": 300, "sd": 120}, "channel[0].handle_time")
>>> handle.mean, handle.sd
(300.0, 120.0)
>>> rng = np.random.default_rng(7)
>>> sample = handle.sample(rng)
>>> sample > 0
True
>>> handle.sample_many(rng, 3).shape
(3,)
>>> distribution_from_spec({"dist": "exponential", "mean": -3}, "channel[0].handle_time")
Traceback (most recent call last):
...
routekit.errors.ScenarioError: channel[0].handle_time.mean: must be > 0, got -3
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from routekit.errors import ScenarioError

__all__ = [
    "DISTRIBUTIONS",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
    "deterministic",
    "distribution_from_spec",
    "empirical",
    "exponential",
    "gamma",
    "lognormal",
]

FloatArray = npt.NDArray[np.float64]


@runtime_checkable
class Distribution(Protocol):
    """What the simulator needs of a distribution: its moments and a way to draw from it."""

    @property
    def mean(self) -> float:
        """The expected value."""
        ...

    @property
    def sd(self) -> float:
        """The standard deviation."""
        ...

    def sample(self, rng: np.random.Generator) -> float:
        """One variate drawn with ``rng``."""
        ...

    def sample_many(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` variates drawn with ``rng``, as a float64 array of shape ``(n,)``."""
        ...


# Validation is shared by the records (which name themselves, e.g. "exponential.mean") and by
# distribution_from_spec (which names the scenario's key path), so both give the same wording.


def _number(where: str, value: Any) -> float:
    # bool is an int subclass; `mean = true` in a scenario is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where}: must be a number, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: must be finite, got {value!r}")
    return float(value)


def _positive(where: str, value: Any) -> float:
    number = _number(where, value)
    if number <= 0:
        raise ScenarioError(f"{where}: must be > 0, got {value!r}")
    return number


def _non_negative(where: str, value: Any) -> float:
    number = _number(where, value)
    if number < 0:
        raise ScenarioError(f"{where}: must be >= 0, got {value!r}")
    return number


def _check_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"sample_many: n must be an integer >= 0, got {n!r}")
    return int(n)


def _validator(check: Any) -> Any:
    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        check(f"{type(instance).__name__.lower()}.{attribute.name}", value)

    return validate


@attrs.frozen
class Exponential:
    """The exponential distribution (memoryless: Poisson arrivals, Erlang's handle times and patience).

    Args:
        mean: The mean, > 0; the standard deviation equals it.

    >>> Exponential(60.0).sd
    60.0
    """

    mean: float = attrs.field(converter=float, validator=_validator(_positive))

    @property
    def sd(self) -> float:
        """The standard deviation, equal to the mean."""
        return self.mean

    def sample(self, rng: np.random.Generator) -> float:
        """One variate drawn with ``rng``."""
        return float(rng.exponential(self.mean))

    def sample_many(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` variates drawn with ``rng``."""
        return rng.exponential(self.mean, _check_count(n))


@attrs.frozen
class LogNormal:
    """The lognormal distribution, given by the mean and sd of the variate itself (not of its log).

    Handle times are often lognormal: skewed, with a long right tail.
    The underlying normal has ``sigma**2 = log(1 + (sd / mean)**2)`` and ``mu = log(mean) - sigma**2 / 2``.

    Args:
        mean: The mean of the variate, > 0.
        sd: The standard deviation of the variate, > 0.

    >>> d = LogNormal(100.0, 50.0)
    >>> round(d.mu, 4), round(d.sigma, 4)
    (4.4936, 0.4724)
    """

    mean: float = attrs.field(converter=float, validator=_validator(_positive))
    sd: float = attrs.field(converter=float, validator=_validator(_positive))
    mu: float = attrs.field(init=False, eq=False, repr=False)
    sigma: float = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        variance = math.log1p((self.sd / self.mean) ** 2)
        # Computed once: sample() runs once per simulated contact.
        object.__setattr__(self, "sigma", math.sqrt(variance))
        object.__setattr__(self, "mu", math.log(self.mean) - variance / 2)

    def sample(self, rng: np.random.Generator) -> float:
        """One variate drawn with ``rng``."""
        return float(rng.lognormal(self.mu, self.sigma))

    def sample_many(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` variates drawn with ``rng``."""
        return rng.lognormal(self.mu, self.sigma, _check_count(n))


@attrs.frozen
class Gamma:
    """The gamma distribution, by shape and scale; :func:`gamma` also builds one from a mean and sd.

    Args:
        shape: The shape ``k``, > 0 (1 is the exponential; larger is less variable).
        scale: The scale ``theta``, > 0; the mean is ``k * theta`` and the sd ``sqrt(k) * theta``.

    >>> Gamma(shape=4.0, scale=15.0).mean, Gamma(shape=4.0, scale=15.0).sd
    (60.0, 30.0)
    """

    shape: float = attrs.field(converter=float, validator=_validator(_positive))
    scale: float = attrs.field(converter=float, validator=_validator(_positive))

    @property
    def mean(self) -> float:
        """The mean, ``shape * scale``."""
        return self.shape * self.scale

    @property
    def sd(self) -> float:
        """The standard deviation, ``sqrt(shape) * scale``."""
        return math.sqrt(self.shape) * self.scale

    def sample(self, rng: np.random.Generator) -> float:
        """One variate drawn with ``rng``."""
        return float(rng.gamma(self.shape, self.scale))

    def sample_many(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` variates drawn with ``rng``."""
        return rng.gamma(self.shape, self.scale, _check_count(n))


@attrs.frozen
class Deterministic:
    """A constant: every variate is ``value``; the generator is not touched.

    Args:
        value: The constant, a finite number >= 0.

    >>> Deterministic(30).sample(np.random.default_rng(0))
    30.0
    """

    value: float = attrs.field(converter=float, validator=_validator(_non_negative))

    @property
    def mean(self) -> float:
        """The constant itself."""
        return self.value

    @property
    def sd(self) -> float:
        """Zero."""
        return 0.0

    def sample(self, rng: np.random.Generator) -> float:
        """The constant."""
        return self.value

    def sample_many(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` copies of the constant."""
        return np.full(_check_count(n), self.value)


def _values(value: Iterable[Any]) -> tuple[float, ...]:
    if isinstance(value, str | bytes | Mapping):
        raise ScenarioError(f"empirical.values: must be a list of numbers, got {value!r}")
    return tuple(_non_negative(f"empirical.values[{i}]", v) for i, v in enumerate(value))


def _check_not_empty(instance: Any, attribute: Any, value: tuple[float, ...]) -> None:
    if not value:
        raise ScenarioError("empirical.values: must not be empty")


@attrs.frozen
class Empirical:
    """Resampling of observed values: each variate is one of ``values``, drawn uniformly with replacement.

    This is the discrete empirical distribution (no interpolation between values), so a simulation
    reproduces the recorded mix exactly, outliers included.

    Args:
        values: The observed durations, non-empty, each finite and >= 0.

    >>> d = Empirical([10, 20, 60])
    >>> d.mean, d
    (30.0, Empirical(values=<3 values>))
    """

    values: tuple[float, ...] = attrs.field(
        converter=_values, validator=_check_not_empty, repr=lambda v: f"<{len(v)} values>"
    )
    _array: FloatArray = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_array", np.asarray(self.values, dtype=np.float64))

    @property
    def mean(self) -> float:
        """The mean of the values."""
        return float(self._array.mean())

    @property
    def sd(self) -> float:
        """The population standard deviation of the values (the sd of a resampled variate)."""
        return float(self._array.std())

    def sample(self, rng: np.random.Generator) -> float:
        """One of the values, drawn with ``rng``."""
        return self.values[int(rng.integers(len(self.values)))]

    def sample_many(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` values drawn with replacement with ``rng``."""
        return self._array[rng.integers(0, len(self.values), _check_count(n))]


def exponential(mean: float) -> Exponential:
    """The exponential distribution with this mean.

    Raises:
        ScenarioError: ``mean`` is not a finite number > 0.

    >>> exponential(60)
    Exponential(mean=60.0)
    """
    return Exponential(_positive("exponential.mean", mean))


def lognormal(mean: float, sd: float) -> LogNormal:
    """The lognormal distribution whose variate has this mean and standard deviation.

    Raises:
        ScenarioError: ``mean`` or ``sd`` is not a finite number > 0.

    >>> lognormal(300, 120)
    LogNormal(mean=300.0, sd=120.0)
    """
    return LogNormal(_positive("lognormal.mean", mean), _positive("lognormal.sd", sd))


def gamma(
    mean: float | None = None,
    sd: float | None = None,
    *,
    shape: float | None = None,
    scale: float | None = None,
) -> Gamma:
    """The gamma distribution, from its mean and sd or from its shape and scale (one pair, not both).

    From a mean and sd: ``shape = (mean / sd)**2`` and ``scale = sd**2 / mean``.

    Raises:
        ScenarioError: Neither pair or both pairs given, half a pair, or a value that is not > 0.

    >>> gamma(60, 30)
    Gamma(shape=4.0, scale=15.0)
    >>> gamma(shape=2, scale=30).mean
    60.0
    """
    return _gamma({"mean": mean, "sd": sd, "shape": shape, "scale": scale}, "gamma")


def _gamma(given: Mapping[str, Any], where: str) -> Gamma:
    by_moments = given.get("mean") is not None or given.get("sd") is not None
    by_shape = given.get("shape") is not None or given.get("scale") is not None
    if by_moments and by_shape:
        raise ScenarioError(f"{where}: give either mean and sd, or shape and scale, not both")
    first, second = ("shape", "scale") if by_shape else ("mean", "sd")
    for key in (first, second):
        if given.get(key) is None:
            raise ScenarioError(f"{where}.{key}: missing; gamma needs mean and sd, or shape and scale")
    a = _positive(f"{where}.{first}", given[first])
    b = _positive(f"{where}.{second}", given[second])
    if by_shape:
        return Gamma(a, b)
    return Gamma(shape=(a / b) ** 2, scale=b * b / a)


def deterministic(value: float) -> Deterministic:
    """A constant duration.

    Raises:
        ScenarioError: ``value`` is not a finite number >= 0.

    >>> deterministic(45).mean
    45.0
    """
    return Deterministic(_non_negative("deterministic.value", value))


def empirical(
    values: Sequence[float] | None = None,
    *,
    path: str | Path | None = None,
    column: str | None = None,
) -> Empirical:
    """Resample observed values, given as a list or read from a column of a CSV file with a header row.

    Empty cells in the column are skipped (a trace may have blanks where nothing was measured).

    Args:
        values: The observed durations.
        path: A CSV file with a header row, instead of ``values``.
        column: The header of the column to read from ``path``.

    Raises:
        ScenarioError: Both or neither of ``values`` and ``path``; an unreadable file; a missing column;
            a cell that is not a number; a negative value; no values at all.

    >>> empirical([30, 60, 90]).mean
    60.0
    """
    return _empirical({"values": values, "path": path, "column": column}, "empirical", None)


def _empirical(given: Mapping[str, Any], where: str, base: Path | None) -> Empirical:
    values, path, column = given.get("values"), given.get("path"), given.get("column")
    if (values is None) == (path is None):
        raise ScenarioError(f"{where}: give either values or path (with column), not both or neither")
    if path is not None:
        if not isinstance(path, str | Path):
            raise ScenarioError(f"{where}.path: must be a string, got {path!r} ({type(path).__name__})")
        if column is None:
            raise ScenarioError(f"{where}.column: missing; empirical with a path needs the column to read")
        if not isinstance(column, str):
            raise ScenarioError(f"{where}.column: must be a string, got {column!r} ({type(column).__name__})")
        file = Path(path)
        if base is not None and not file.is_absolute():
            file = base / file
        values = _read_column(file, column, where)
    elif column is not None:
        raise ScenarioError(f"{where}.column: only used with path")
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ScenarioError(f"{where}.values: must be a list of numbers, got {values!r}")
    numbers = [_non_negative(f"{where}.values[{i}]", v) for i, v in enumerate(values)]
    if not numbers:
        raise ScenarioError(f"{where}.values: must not be empty")
    return Empirical(numbers)


def _read_column(file: Path, column: str, where: str) -> list[float]:
    try:
        with file.open(newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            if reader.fieldnames is None or column not in reader.fieldnames:
                found = ", ".join(reader.fieldnames or ()) or "none"
                raise ScenarioError(f"{where}.column: {file} has no column {column!r} (columns: {found})")
            numbers = []
            for row in reader:
                cell = (row.get(column) or "").strip()
                if not cell:
                    continue
                try:
                    numbers.append(float(cell))
                except ValueError:
                    raise ScenarioError(
                        f"{where}.path: {file} line {reader.line_num}, column {column!r}: not a number: {cell!r}"
                    ) from None
    except OSError as err:
        raise ScenarioError(f"{where}.path: cannot read {file}: {err.strerror or err}") from None
    if not numbers:
        raise ScenarioError(f"{where}.path: {file} has no values in column {column!r}")
    return numbers


# Keys each kind accepts besides "dist"; the first group lists what is required.
_KEYS: dict[str, tuple[str, ...]] = {
    "deterministic": ("value",),
    "empirical": ("values", "path", "column"),
    "exponential": ("mean",),
    "gamma": ("mean", "sd", "shape", "scale"),
    "lognormal": ("mean", "sd"),
}

DISTRIBUTIONS: tuple[str, ...] = tuple(sorted(_KEYS))
"""The names ``dist`` accepts in a scenario."""


def distribution_from_spec(spec: Mapping[str, Any], path: str, *, base: Path | None = None) -> Distribution:
    """Build a distribution from a scenario table such as ``{ dist = "exponential", mean = 60 }``.

    The tables, with times in seconds:

    - ``{ dist = "exponential", mean = M }``
    - ``{ dist = "lognormal", mean = M, sd = S }`` (the mean and sd of the variate itself)
    - ``{ dist = "gamma", mean = M, sd = S }`` or ``{ dist = "gamma", shape = K, scale = T }``
    - ``{ dist = "deterministic", value = V }``
    - ``{ dist = "empirical", values = [...] }`` or ``{ dist = "empirical", path = "f.csv", column = "c" }``

    Args:
        spec: The table, as read by :mod:`tomllib`.
        path: The table's key path in the scenario (``channel[0].handle_time``), named in every error.
        base: The directory that a relative empirical ``path`` is read from (the scenario's); the
            working directory when ``None``.

    Returns:
        The distribution.

    Raises:
        ScenarioError: An unknown ``dist``, an unknown key, a wrong type, a missing value or a bad value,
            naming the key path.

    >>> distribution_from_spec({"dist": "gamma", "shape": 2, "scale": 30}, "agents[1].accept_delay")
    Gamma(shape=2.0, scale=30.0)
    >>> distribution_from_spec({"dist": "exponential", "mean": 60, "sd": 60}, "patience")
    Traceback (most recent call last):
    ...
    routekit.errors.ScenarioError: patience.sd: unknown key for exponential; expected one of dist, mean
    """
    if not isinstance(spec, Mapping):
        raise ScenarioError(f'{path}: must be a table such as {{ dist = "exponential", mean = 60 }}, got {spec!r}')
    if "dist" not in spec:
        raise ScenarioError(f"{path}.dist: missing; expected one of {', '.join(DISTRIBUTIONS)}")
    kind = spec["dist"]
    if not isinstance(kind, str):
        raise ScenarioError(f"{path}.dist: must be a string, got {kind!r} ({type(kind).__name__})")
    if kind not in _KEYS:
        raise ScenarioError(f"{path}.dist: unknown distribution {kind!r}; expected one of {', '.join(DISTRIBUTIONS)}")
    allowed = _KEYS[kind]
    for key in spec:
        if key != "dist" and key not in allowed:
            raise ScenarioError(
                f"{path}.{key}: unknown key for {kind}; expected one of {', '.join(('dist', *allowed))}"
            )
    if kind == "gamma":
        return _gamma(spec, path)
    if kind == "empirical":
        return _empirical(spec, path, base)
    for key in allowed:
        if key not in spec:
            raise ScenarioError(f"{path}.{key}: missing; {kind} needs {' and '.join(allowed)}")
    if kind == "exponential":
        return Exponential(_positive(f"{path}.mean", spec["mean"]))
    if kind == "lognormal":
        return LogNormal(_positive(f"{path}.mean", spec["mean"]), _positive(f"{path}.sd", spec["sd"]))
    return Deterministic(_non_negative(f"{path}.value", spec["value"]))
