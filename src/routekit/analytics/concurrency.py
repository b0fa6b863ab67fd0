"""Chat concurrency: queues whose agents each handle up to k contacts at once.

**The model.** Each agent has k slots, so n agents offer c = n·k slots. A chat arriving when a slot is
free takes it at once; otherwise it waits in one first-come-first-served queue (and, with a patience,
hangs up after an exponential time). Chats are spread evenly: with N chats in progress, every agent
holds ⌊N/n⌋ or ⌈N/n⌉ of them, as a least-occupied selection keeps them. The handle time may depend on
how many chats the agent holds: ``aht[j-1]`` is the mean handle time of each chat while its agent holds
j, so an agent holding j finishes chats at rate j / aht[j-1]. The number of chats in the system is then
a birth–death chain with arrival rate λ and completion rate d(N) below c; once every slot is busy the
completion rate is the constant n·k / aht[k-1], so the queue behaves exactly like Erlang C's or
Erlang A's with nμ replaced by that rate, and the same waiting-time formulas apply (see ``erlang``).
With one handle time for every concurrency the chain is exactly Erlang C or A with n·k servers.

**Where it stops being accurate.**

- *Uneven spreading.* Routers that fill one agent before the next (longest-idle among agents with a
  free slot, most-proficient first) leave agents at higher concurrency than the even spread assumes;
  when the handle time grows with concurrency, the model then overstates throughput below full load.
  Spreading also decays between assignments, since chats finish on random agents. The effect vanishes
  when every slot is busy, which is where the waiting happens.
- *Handle times.* They are taken as exponential with a mean set by the current concurrency, switching
  at once when it changes. Real chats have idle gaps while the customer types and heavier tails;
  Erlang figures are only mildly sensitive to that, but less so at low agent counts.
- *Abandonment* happens only in the queue; a customer who leaves mid-chat still holds the slot until
  the agent closes it, which the handle time must include.
- *Exclusive channels and wrap-up.* An agent who takes a voice or video call, or is in wrap-up, has no
  chat slots; mixed-channel pools need the simulator.
- *Asynchronous messaging* (replies hours apart, sticky agents) is not a chat queue at all.

**Checked against the simulator** (``tests/analytics/test_concurrency_vs_sim.py``; the table and the
command are in ``docs/reference/analytics.md``): 5 agents, AHT 120 s, patience 240 s, 0.95 Erlangs per
slot, ten runs of 30,000 chats. With exponential times, no accept delay and no wrap-up the model is
exact, and the simulator agrees within its 95% intervals for k = 1, 2, 3 (service level 0.585, 0.682,
0.746 simulated against 0.586, 0.682, 0.744). Where it stops being accurate, at k = 3:

- an accept delay of 5 s (mean) holds the slot and delays every chat: service level 0.656 against 0.744;
- wrap-up of 20 s holds the slot like work: 0.475 against 0.744, but 0.477 from the model run with the
  handle time plus the wrap-up, so staff with handle times that include wrap-up;
- lognormal handle times with a coefficient of variation of 0.5 do better than exponential ones:
  0.773 against 0.744 (heavier tails would do worse).

The simulator's handle times do not depend on concurrency, so the spreading assumption above is not
measured by this check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from routekit.analytics.erlang import (
    SECONDS_PER_HOUR,
    QueueFigures,
    _check_agents,
    _check_number,
    _check_patience,
    _figures,
    _idle,
    _logsumexp,
    _offered_load,
    _tail,
)
from routekit.errors import ConfigError

__all__ = ["chat_handle_times", "erlang_chat"]


def chat_handle_times(aht: float | Iterable[float], concurrency: int) -> tuple[float, ...]:
    """The mean handle time of a chat at each concurrency 1..k, checked.

    Args:
        aht: One mean handle time in seconds for every concurrency, or a sequence of k of them:
            ``aht[j-1]`` is the mean handle time of each chat while its agent holds j at once.
        concurrency: k, the most chats one agent holds at once, at least 1.

    Returns:
        k handle times in seconds.

    Raises:
        ConfigError: ``concurrency`` below 1, a handle time not above 0, or a sequence whose length
            is not ``concurrency``.

    >>> chat_handle_times(300, 3)
    (300.0, 300.0, 300.0)
    >>> chat_handle_times([240, 300, 420], 3)
    (240.0, 300.0, 420.0)
    """
    k = _check_agents(concurrency, "concurrency")
    if isinstance(aht, (str, bytes)) or not isinstance(aht, Iterable):
        return (_check_number("aht", aht, minimum=0.0, strict=True, unit="seconds"),) * k
    times = tuple(aht)
    if len(times) != k:
        raise ConfigError(f"aht must give one handle time per concurrency 1..{k}, got {len(times)} of them: {aht!r}")
    return tuple(
        _check_number(f"aht[{i}]", value, minimum=0.0, strict=True, unit="seconds") for i, value in enumerate(times)
    )


def erlang_chat(
    rate: float,
    aht: float | Sequence[float],
    agents: int,
    concurrency: int,
    threshold: float,
    *,
    patience: float | None = None,
) -> QueueFigures:
    """The figures of a chat queue whose agents each handle up to ``concurrency`` chats at once.

    The model and its limits are in this module's docstring.

    Args:
        rate: Arriving chats per hour, at least 0.
        aht: Mean handle time of a chat in seconds, one for every concurrency or one per concurrency
            1..k (see ``chat_handle_times``).
        agents: Number of agents, at least 1.
        concurrency: k, the most chats one agent holds at once, at least 1.
        threshold: Seconds; the service level counts chats answered within it.
        patience: Mean patience in seconds (Erlang A-like), or None for customers who never leave
            (Erlang C-like, below capacity only).

    Returns:
        The queue's figures: ``load`` is in agents at full concurrency (rate × aht[k-1] / k),
        ``occupancy`` the share of the n·k slots in use.

    Raises:
        ConfigError: A parameter out of range, or, without a patience, a load at or above capacity.

    >>> f = erlang_chat(120, 600, 8, 3, 60, patience=300)
    >>> round(f.load, 4), round(f.service_level, 4)
    (6.6667, 0.9142)
    """
    per_hour = _check_number("rate", rate, minimum=0.0, unit="chats per hour")
    lam = per_hour / SECONDS_PER_HOUR
    times = chat_handle_times(aht, concurrency)
    k = len(times)
    n = _check_agents(agents)
    t = _check_number("threshold", threshold, minimum=0.0, unit="seconds")
    theta = None if patience is None else 1.0 / _check_patience(patience)
    model = "erlang-c" if theta is None else "erlang-a"
    slots = n * k
    full_rate = slots / times[-1]
    load = _offered_load(per_hour, times[-1], k)
    # Compared as a load, exactly as staffing computes it, so the two agree on where capacity lies.
    if theta is None and load >= n:
        raise ConfigError(
            f"no steady state at or above capacity: load {load:.6g} agents at concurrency {k} "
            f"(rate {rate!r}/h) needs more than agents={n}; add agents or give a patience"
        )
    if lam == 0.0:
        return _idle(model, n, k, t)
    log_ratio = np.log(_departure_rates(n, times)) - math.log(lam)
    # log π_N / π_c for N = 0..c-1 is Σ_{i=N+1..c} log(d(i) / λ): a reversed cumulative sum.
    log_below = np.cumsum(log_ratio[::-1])[::-1]
    log_d = _logsumexp(log_below)
    tail = _tail(log_d=log_d, full_rate=full_rate, lam=lam, theta=theta, threshold=t, utilisation=load / n)
    weights = np.exp(log_below - log_below.max())
    busy_if_free = float(np.dot(weights, np.arange(slots, dtype=np.float64))) / float(weights.sum())
    busy = (1.0 - tail.p_wait) * busy_if_free + tail.p_wait * slots
    return _figures(model, n, k, load, t, tail, occupancy=busy / slots)


def _departure_rates(agents: int, times: tuple[float, ...]) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    """d(N) for N = 1..n·k: chats finished per second with N in progress, spread evenly."""
    k = len(times)
    # per_agent[j] is the completion rate of one agent holding j chats.
    per_agent = np.array([0.0] + [j / times[j - 1] for j in range(1, k + 1)])
    chats = np.arange(1, agents * k + 1)
    low, extra = np.divmod(chats, agents)
    upper = np.minimum(low + 1, k)
    rates: np.ndarray[tuple[int], np.dtype[np.float64]] = extra * per_agent[upper] + (agents - extra) * per_agent[low]
    return rates
