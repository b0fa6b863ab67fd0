"""The exact reference's tagged-contact chain, shared by the Erlang A and chat-concurrency tests."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import poisson


def served_by(moves: np.ndarray, theta: float, start: np.ndarray, threshold: float) -> float:
    """P(served by `threshold` | waited), by uniformizing the tagged contact's chain (sums of positives)."""
    rate = float(moves[-1] + theta)
    mean = rate * threshold
    steps = int(mean + 12 * math.sqrt(mean + 1) + 50)
    weights = poisson.pmf(np.arange(steps + 1), mean)
    stay = 1 - (moves + theta) / rate
    down = moves / rate
    state = start.copy()
    served = 0.0
    total = 0.0
    for step in range(steps + 1):
        total += weights[step] * served
        served += state[0] * down[0]
        following = state * stay
        following[:-1] += state[1:] * down[1:]
        state = following
    return total
