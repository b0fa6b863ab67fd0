"""The discrete-event simulator that drives the same :class:`~routekit.Router` a platform runs.

Randomness comes only from a :class:`numpy.random.Generator` built from the seed at the entry point.
"""

from routekit.sim.charts import plot
from routekit.sim.distributions import (
    DISTRIBUTIONS,
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
from routekit.sim.sweep import sweep

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
    "plot",
    "sweep",
]
