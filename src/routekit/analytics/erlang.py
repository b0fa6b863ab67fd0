"""Erlang B, C and A: the steady state of a queue of contacts in front of a pool of agents.

Units are the scenario's: arrival rates in contacts per hour, times (handle time, patience, threshold)
in seconds, loads in Erlangs (rate × handle time, in agents' worth of work).

The three models, all with Poisson arrivals and exponential handle times:

- **Erlang B** (M/M/n/n): a contact that finds every agent busy is lost.
- **Erlang C** (M/M/n): it waits as long as it takes; there is a steady state only below capacity.
- **Erlang A** (M/M/n+M): it waits, but hangs up after an exponential patience; defined at any load.
- **M/M/n/K** (``mmck_blocking``): it waits, but only while fewer than ``limit`` others wait (a queue
  limit, K = n + limit); a contact that finds every agent busy and the queue full is lost. A limit of 0
  is Erlang B.

Everything is computed in log space over windows of the Poisson-like terms that matter (at most a few
times the square root of the load on each side of the largest), so the cost is O(√n), not O(n), and
nothing overflows from 1 to 100,000 agents. The formulas:

- Erlang B as the ratio of a Poisson point probability to its distribution function (Erlang 1917;
  the textbook recursion B(k) = a·B(k−1) / (k + a·B(k−1)) gives the same numbers).
- Erlang C from Erlang B: C = n·B / (n − a·(1 − B)).
- Erlang A: P(wait) = A·B / (1 + (A − 1)·B) with A = A(nμ/θ, λ/θ) = Σ_j Π_{i≤j} (λ/θ) / (nμ/θ + i),
  the series form of Garnett, Mandelbaum & Reiman (2002), "Designing a call center with impatient
  customers", M&SOM 4(3); abandonment, the waiting-time distribution and the mean waits of the
  served follow Zeltyn & Mandelbaum (2005), "Call centers with impatient customers: many-server
  asymptotics of the M/M/n+G queue", Queueing Systems 51, and Mandelbaum & Zeltyn, "The M/M/n+G queue:
  summary of performance measures" (Technion, 2009). The derivations used here are in
  ``docs/reference/analytics.md``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import attrs
import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln

from routekit.errors import ConfigError

__all__ = ["QueueFigures", "erlang_a", "erlang_b", "erlang_c", "mmck_blocking"]

SECONDS_PER_HOUR = 3600.0

# Half-width of a summation window, in standard deviations of the Poisson-like terms. Twelve keeps the
# dropped tail below e**-72 of the largest term: far below double precision, at a cost of O(√load).
_WINDOW_SIGMAS = 12.0
_WINDOW_PAD = 64
# Past this many terms the inputs are absurd (a patience of years at a load above capacity); refuse
# rather than allocate gigabytes.
_WINDOW_MAX = 5_000_000


@attrs.frozen(kw_only=True)
class QueueFigures:
    """The steady-state figures of one queue: what a planner reads off an Erlang table.

    Attributes:
        model: ``"erlang-c"`` (no abandonment) or ``"erlang-a"`` (exponential patience).
        agents: The number of agents answering.
        concurrency: Contacts one agent handles at once (1 for voice; see ``erlang_chat``).
        load: Offered load in Erlangs: the agents the traffic keeps busy at full concurrency.
        threshold: Seconds; the service level counts contacts answered within it.
        p_wait: Probability that an arriving contact finds no free agent and waits.
        p_abandon: Probability that a contact hangs up before it is answered (0 for Erlang C).
        asa: Average speed of answer in seconds: the mean wait of the contacts that are answered.
        mean_wait: Mean wait in seconds over every offered contact, abandoned ones included.
        service_level: Share of offered contacts answered within ``threshold`` seconds; a contact
            that abandons never counts, even when it hangs up before the threshold.
        occupancy: Share of agent capacity busy with contacts (carried load / capacity).
    """

    model: str
    agents: int
    concurrency: int = 1
    load: float
    threshold: float
    p_wait: float
    p_abandon: float
    asa: float
    mean_wait: float
    service_level: float
    occupancy: float


class _Tail(NamedTuple):
    """Waiting-side figures of a queue, before occupancy."""

    p_wait: float
    p_abandon: float
    p_served: float
    asa: float
    mean_wait: float
    service_level: float


def erlang_b(agents: int, load: float) -> float:
    """The Erlang B blocking probability: the share of contacts lost when all agents are busy.

    Args:
        agents: Number of agents (servers), at least 1.
        load: Offered load in Erlangs (rate × handle time), at least 0.

    Returns:
        The probability that an arriving contact finds every agent busy (M/M/n/n).

    Raises:
        ConfigError: ``agents`` is not a whole number >= 1, or ``load`` is negative or not finite.

    >>> round(erlang_b(10, 9.5), 6)
    0.191379
    """
    n = _check_agents(agents)
    a = _check_number("load", load, minimum=0.0, unit="Erlangs")
    if a == 0.0:
        return 0.0
    return math.exp(-_log_inverse_b(n, a))


def mmck_blocking(agents: int, load: float, limit: int) -> float:
    """The M/M/n/K blocking probability: the share of contacts lost to a full queue, K = agents + limit.

    The state probabilities are π_k ∝ a^k / k! for k ≤ n and π_n·ρ^(k−n) for n < k ≤ K, with ρ = a / n;
    the blocking probability is π_K / Σ π_k (PASTA: Poisson arrivals see the time averages). Defined at
    any load, since the queue is finite. Computed in log space, in O(√n + limit).

    Args:
        agents: Number of agents (servers), at least 1.
        load: Offered load in Erlangs (rate × handle time), at least 0.
        limit: The most contacts that may wait (``RouterSettings.queue_limits``), at least 0.

    Returns:
        The probability that an arriving contact finds every agent busy and ``limit`` contacts waiting.

    Raises:
        ConfigError: ``agents`` is not a whole number >= 1, ``load`` is negative or not finite, or
            ``limit`` is not a whole number >= 0.

    >>> round(mmck_blocking(1, 0.5, 2), 6)  # M/M/1/3: (1 - ρ) ρ^3 / (1 - ρ^4)
    0.066667
    >>> mmck_blocking(10, 9.5, 0) == erlang_b(10, 9.5)
    True
    >>> round(mmck_blocking(10, 9.5, 5), 6)
    0.081251
    """
    n = _check_agents(agents)
    a = _check_number("load", load, minimum=0.0, unit="Erlangs")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ConfigError(f"limit must be a whole number >= 0, got {limit!r}")
    if a == 0.0:
        return 0.0
    log_all_busy = n * math.log(a) - float(gammaln(n + 1.0))  # log π_n, up to the common factor
    waiting = log_all_busy + np.arange(1, limit + 1, dtype=np.float64) * math.log(a / n)
    log_total = _logsumexp(np.append(waiting, _log_poisson_head(n, a)))
    log_full = float(waiting[-1]) if limit else log_all_busy
    return math.exp(log_full - log_total)


def erlang_c(rate: float, aht: float, agents: int, threshold: float) -> QueueFigures:
    """Erlang C: contacts wait as long as it takes (M/M/n), below capacity only.

    Args:
        rate: Arrivals in contacts per hour, at least 0.
        aht: Mean handle time in seconds, above 0.
        agents: Number of agents, at least 1 and above the offered load.
        threshold: Seconds; the service level counts contacts answered within it.

    Returns:
        The queue's figures; ``p_abandon`` is 0, and ``asa`` equals ``mean_wait`` since every
        contact is answered.

    Raises:
        ConfigError: A parameter out of range, or a load at or above capacity, where Erlang C has
            no steady state (use ``erlang_a`` with a patience).

    >>> f = erlang_c(570, 60, 10, 20)
    >>> round(f.p_wait, 6), round(f.asa, 3), round(f.service_level, 6)
    (0.825586, 99.07, 0.301157)
    """
    per_hour = _check_number("rate", rate, minimum=0.0, unit="contacts per hour")
    lam = per_hour / SECONDS_PER_HOUR
    handle = _check_number("aht", aht, minimum=0.0, strict=True, unit="seconds")
    n = _check_agents(agents)
    t = _check_number("threshold", threshold, minimum=0.0, unit="seconds")
    a = _offered_load(per_hour, handle)
    if a >= n:
        raise ConfigError(
            f"Erlang C has no steady state at or above capacity: load {a:.6g} Erlangs "
            f"(rate {rate!r}/h × aht {aht!r} s) needs more than agents={n}; "
            "add agents or use erlang_a with a patience"
        )
    if lam == 0.0:
        return _idle("erlang-c", n, 1, t)
    tail = _tail(log_d=_log_below(n, a), full_rate=n / handle, lam=lam, theta=None, threshold=t, utilisation=a / n)
    return _figures("erlang-c", n, 1, a, t, tail, occupancy=a / n)


def erlang_a(rate: float, aht: float, agents: int, patience: float, threshold: float) -> QueueFigures:
    """Erlang A: contacts wait but hang up after an exponential patience (M/M/n+M), at any load.

    Args:
        rate: Arrivals in contacts per hour, at least 0.
        aht: Mean handle time in seconds, above 0.
        agents: Number of agents, at least 1.
        patience: Mean patience in seconds (how long a contact waits before hanging up), above 0
            and finite; for endless patience use ``erlang_c``.
        threshold: Seconds; the service level counts contacts answered within it.

    Returns:
        The queue's figures. ``service_level`` is P(answered and waited at most ``threshold``);
        ``asa`` is the mean wait of the answered; ``mean_wait`` the mean over all offered.

    Raises:
        ConfigError: A parameter out of range.

    >>> f = erlang_a(570, 60, 10, 120, 20)
    >>> round(f.p_wait, 6), round(f.p_abandon, 6), round(f.asa, 5)
    (0.545722, 0.084452, 9.61614)
    >>> round(f.service_level, 6), round(f.occupancy, 6)
    (0.737054, 0.869771)
    """
    per_hour = _check_number("rate", rate, minimum=0.0, unit="contacts per hour")
    lam = per_hour / SECONDS_PER_HOUR
    handle = _check_number("aht", aht, minimum=0.0, strict=True, unit="seconds")
    n = _check_agents(agents)
    theta = 1.0 / _check_patience(patience)
    t = _check_number("threshold", threshold, minimum=0.0, unit="seconds")
    if lam == 0.0:
        return _idle("erlang-a", n, 1, t)
    a = _offered_load(per_hour, handle)
    tail = _tail(log_d=_log_below(n, a), full_rate=n / handle, lam=lam, theta=theta, threshold=t, utilisation=a / n)
    # Little's law on the agents: the carried load is the offered load times the share answered (a sum
    # of positive parts, accurate even when nearly everyone abandons). Rounding may leave it an ulp
    # above one agent's worth per agent, which it can never be.
    return _figures("erlang-a", n, 1, a, t, tail, occupancy=min(1.0, a * tail.p_served / n))


# --- the shared machinery, also used by concurrency.py ---------------------------------------------


def _tail(
    *, log_d: float, full_rate: float, lam: float, theta: float | None, threshold: float, utilisation: float
) -> _Tail:
    """The waiting side of a queue whose servers, when all busy, finish work at ``full_rate``.

    Args:
        log_d: log of Σ_{N<c} π_N / π_c, the idle-side mass relative to the all-busy state c.
        full_rate: Completions per second when every server is busy (nμ).
        lam: Arrivals per second, above 0.
        theta: Abandonment rate per waiting contact (1 / patience), or None for no abandonment.
        threshold: Seconds, for the service level.
        utilisation: λ / full_rate computed as load / agents, the caller's own capacity test: a load
            an ulp below a whole number of agents must not round to a utilisation of 1 here.

    Returns:
        P(wait), P(abandon), ASA, mean wait and service level.
    """
    if theta is None:
        # M/M/c: the queue is geometric with ratio ρ, so Σ_{N≥c} π_N / π_c = 1 / (1 − ρ).
        rho = utilisation
        if rho >= 1.0:
            raise ConfigError(f"no steady state at or above capacity: utilisation {rho!r}")
        log_queue = -math.log1p(-rho)
        p_wait = float(expit(log_queue - log_d))
        p_now = float(expit(log_d - log_queue))
        drain = full_rate * (1.0 - rho)
        mean_wait = p_wait / drain
        # P(W > t) = P(wait)·e^{−(cμ−λ)t}; summed as two positive parts to keep low levels accurate.
        level = p_now + p_wait * -math.expm1(-drain * threshold)
        return _Tail(p_wait, 0.0, 1.0, mean_wait, mean_wait, level)

    # M/M/c+M. With x = cμ/θ, y = λ/θ and X = x + 1, a contact that finds j others waiting has
    # P(answered) = x / (x + j + 1) and E[wait; answered] = x / (x + j + 1) · Σ_{i=0..j} 1 / (θ (X + i)),
    # and j is distributed as t_j(x, y) / A(x, y). Sums over t_j(X, y) give every figure:
    # A(x, y) = 1 + (y / X)·A(X, y), and P(answered | wait) = (x / X)·A(X, y) / A(x, y).
    x = full_rate / theta
    y = lam / theta
    big_x = x + 1.0
    series = _series(big_x, y, with_moments=True)
    log_a0 = float(np.logaddexp(0.0, math.log(y / big_x) + series.log_sum))
    p_wait = float(expit(log_a0 - log_d))
    p_now = float(expit(log_d - log_a0))
    share = math.exp(series.log_sum - log_a0)  # A(X, y) / A(x, y)
    served_if_waiting = x / big_x * share
    # 1 − P(answered | wait) as a sum of positive terms: Σ_j q_j (j + 1) / (x + j + 1).
    abandoned_if_waiting = share * series.mean_j1 / big_x
    p_abandon = p_wait * abandoned_if_waiting
    p_served = p_now + p_wait * served_if_waiting
    answered_wait = p_wait * served_if_waiting * series.mean_h / theta
    asa = answered_wait / p_served if p_served > 0.0 else 0.0
    # Little's law on the queue: abandonments per second = θ × mean queue length = λ θ E[W].
    mean_wait = p_abandon / theta
    # P(answered, 0 < wait ≤ t | wait) = (x / X)·[A(X, y) − u^X e^{y(1−u)} A(X, y u)] / A(x, y),
    # u = e^{−θt}: the tagged contact's wait has P(V > t | V > 0) = P(x, y u) / P(x, y) (regularized
    # lower incomplete gamma), and answered within t means V ≤ min(t, patience).
    u = math.exp(-theta * threshold)
    if y * u > 0.0:
        late = _series(big_x, y * u, with_moments=False).log_sum
        late += -big_x * theta * threshold + y * -math.expm1(-theta * threshold)
        within = x / big_x * (share - math.exp(late - log_a0))
    else:
        within = served_if_waiting
    level = p_now + p_wait * max(within, 0.0)
    return _Tail(p_wait, p_abandon, p_served, asa, mean_wait, level)


class _Series(NamedTuple):
    """log Σ_j t_j, and the t-weighted means of j + 1 and of H_j = Σ_{i=0..j} 1 / (X + i)."""

    log_sum: float
    mean_j1: float
    mean_h: float


def _series(big_x: float, y: float, *, with_moments: bool) -> _Series:
    """Sum t_j = Π_{i=1..j} y / (X + i) over j ≥ 0, in log space, over the window that matters.

    The terms rise while j < y − X and fall after, like a Poisson distribution of mean y centred on
    max(0, y − X); outside ±12 standard deviations (or, when they fall geometrically, 80 e-folds)
    they are negligible.
    """
    mode = max(0, math.floor(y - big_x))
    scale = max(big_x, y)
    half = math.ceil(_WINDOW_SIGMAS * math.sqrt(scale)) + _WINDOW_PAD
    ratio = y / (big_x + mode + 1.0)
    above = half if ratio >= 1.0 else min(half, math.ceil(80.0 / -math.log(ratio)) + 1)
    first = max(0, mode - half)
    last = mode + above
    if last - first > _WINDOW_MAX:
        raise ConfigError(
            f"patience too long for Erlang A at this load: {last - first} terms to sum "
            f"(λ/θ={y:.6g}, cμ/θ={big_x - 1.0:.6g}); use erlang_c, or a shorter patience"
        )
    j = np.arange(first, last + 1, dtype=np.float64)
    log_t = j * math.log(y) - gammaln(big_x + j + 1.0) + gammaln(big_x + 1.0)
    top = float(log_t.max())
    w = np.exp(log_t - top)
    total = float(w.sum())
    log_sum = top + math.log(total)
    if not with_moments:
        return _Series(log_sum, 0.0, 0.0)
    # H_j for the first term of the window: a direct sum while it is short, digamma differences
    # when it is long (the difference of two large digammas loses digits only for short sums).
    if first == 0:
        base = 0.0
    elif first <= 100_000:
        base = float(np.sum(1.0 / (big_x + np.arange(first, dtype=np.float64))))
    else:
        base = float(digamma(big_x + first) - digamma(big_x))
    h = base + np.cumsum(1.0 / (big_x + j))
    mean_j1 = float(np.dot(w, j + 1.0)) / total
    mean_h = float(np.dot(w, h)) / total
    return _Series(log_sum, mean_j1, mean_h)


def _offered_load(per_hour: float, handle: float, concurrency: int = 1) -> float:
    """Erlangs (agents at full concurrency) from a rate per hour and a handle time in seconds.

    Multiplied before dividing, so that whole-number inputs such as 260/h × 180 s give exactly 13
    rather than an ulp below it, which Erlang C would take for a queue just short of capacity.
    """
    return per_hour * handle / SECONDS_PER_HOUR / concurrency


def _log_inverse_b(n: int, a: float) -> float:
    """log(1 / B(n, a)) = log Σ_{k≤n} (a^k / k!) / (a^n / n!), over the window of k that matters."""
    return _log_poisson_head(n, a) - (n * math.log(a) - float(gammaln(n + 1.0)))


def _log_below(n: int, a: float) -> float:
    """log Σ_{k<n} π_k / π_n for n agents at load a: the idle-side mass of M/M/n relative to all busy."""
    return _log_poisson_head(n - 1, a) - (n * math.log(a) - float(gammaln(n + 1.0)))


def _log_poisson_head(m: int, a: float) -> float:
    """log Σ_{k=0..m} a^k / k!, summed around the largest term (k ≈ a, or m when a > m)."""
    mode = min(m, math.floor(a))
    half = math.ceil(_WINDOW_SIGMAS * math.sqrt(a)) + _WINDOW_PAD
    k = np.arange(max(0, mode - half), min(m, mode + half) + 1, dtype=np.float64)
    return _logsumexp(k * math.log(a) - gammaln(k + 1.0))


def _logsumexp(values: npt.NDArray[np.float64]) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))


def _figures(
    model: str, agents: int, concurrency: int, load: float, threshold: float, tail: _Tail, *, occupancy: float
) -> QueueFigures:
    return QueueFigures(
        model=model,
        agents=agents,
        concurrency=concurrency,
        load=load,
        threshold=threshold,
        p_wait=tail.p_wait,
        p_abandon=tail.p_abandon,
        asa=tail.asa,
        mean_wait=tail.mean_wait,
        service_level=tail.service_level,
        occupancy=occupancy,
    )


def _idle(model: str, agents: int, concurrency: int, threshold: float) -> QueueFigures:
    """The figures of a queue nobody calls: nothing waits, nothing is lost, nobody is busy."""
    return QueueFigures(
        model=model,
        agents=agents,
        concurrency=concurrency,
        load=0.0,
        threshold=threshold,
        p_wait=0.0,
        p_abandon=0.0,
        asa=0.0,
        mean_wait=0.0,
        service_level=1.0,
        occupancy=0.0,
    )


# --- validation --------------------------------------------------------------------------------------


def _check_number(name: str, value: object, *, minimum: float, strict: bool = False, unit: str) -> float:
    """``value`` as a finite float >= ``minimum`` (> when ``strict``), or a ConfigError naming it."""
    bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
    try:
        number = float(value)  # type: ignore[arg-type]  # any real number is fine; others are refused below
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number {bound} ({unit}), got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < minimum or (strict and number == minimum):
        raise ConfigError(f"{name} must be a finite number {bound} ({unit}), got {value!r}")
    return number


def _check_agents(agents: object, name: str = "agents") -> int:
    """``agents`` as an int >= 1, or a ConfigError naming it."""
    # __index__ refuses 2.5 and "3" alike, yet takes numpy integers; a bool is no head count. (Looked up
    # by hand: isinstance against typing.SupportsIndex costs more than an Erlang C evaluation.)
    index = getattr(type(agents), "__index__", None)
    if isinstance(agents, bool) or index is None:
        raise ConfigError(f"{name} must be a whole number >= 1, got {agents!r}")
    n = int(index(agents))
    if n < 1:
        raise ConfigError(f"{name} must be a whole number >= 1, got {agents!r}")
    return int(n)


def _check_patience(patience: object) -> float:
    """``patience`` as a finite float > 0 seconds, or a ConfigError naming it."""
    return _check_number("patience", patience, minimum=0.0, strict=True, unit="seconds")
