"""Dedicated teams: a tier sent to its own team first, then to the general pool, against one pooled group.

A dedicated team (platinum to the ``vip`` team first for T seconds, then the general pool) splits one pool
in two. :func:`team_cost` models the team as an M/M/m+G queue whose "patience" is the shorter of the
customer's exponential patience and the overflow time T (:func:`team_queue`, exact for the team's own
queue, after Baccelli & Hebuterne 1981 and Zeltyn & Mandelbaum 2005), and the general pool as Erlang A fed
by the other tiers plus the overflow, taken as Poisson. That last step is the approximation: the overflow
comes in bursts when the team is busy, and the router queues an overflowed contact by its original
arrival, ahead of newer ones; both make the general pool's service level a little worse than the formula
says. The error grows with the overflow's share of the general pool's traffic; it is small when the
overflow is a few percent of it (see ``docs/reference/analytics.md``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
from scipy.special import expit

from routekit.analytics.erlang import (
    SECONDS_PER_HOUR,
    QueueFigures,
    _check_agents,
    _check_number,
    _check_patience,
    _log_below,
    erlang_a,
    erlang_c,
)
from routekit.analytics.pools import Pool, agents_word, target_label
from routekit.analytics.staffing import DEFAULT_AGENTS_MAX, Targets, staff
from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel

__all__ = ["TeamCost", "TeamQueue", "team_cost", "team_queue"]


@attrs.frozen(kw_only=True)
class TeamQueue:
    """A dedicated team's own queue: contacts wait for the team until they hang up or overflow.

    Every probability is per contact of the team's tier.

    Attributes:
        agents: The team's agents.
        load: The tier's offered load in Erlangs.
        overflow_after: Seconds a contact waits for the team before it overflows.
        threshold: Seconds, for ``service_level``.
        p_wait: P(no team agent is free on arrival).
        p_answered: P(answered by the team).
        p_abandon: P(hangs up while waiting for the team).
        p_overflow: P(still waiting at ``overflow_after``: it moves to the general pool).
        service_level: P(answered by the team within ``threshold``).
        asa: Mean wait of the contacts the team answers, seconds.
        occupancy: Share of the team's time busy.
    """

    agents: int
    load: float
    overflow_after: float
    threshold: float
    p_wait: float
    p_answered: float
    p_abandon: float
    p_overflow: float
    service_level: float
    asa: float
    occupancy: float


def team_queue(
    rate: float, aht: float, agents: int, patience: float | None, overflow_after: float, threshold: float
) -> TeamQueue:
    """The figures of a team's queue whose contacts overflow after ``overflow_after`` seconds.

    The team is M/M/m+G with the "patience" min(τ, T), τ exponential (or endless) and T the overflow
    time: an overflow is, to the team, an abandonment at T. With H(x) = ∫₀ˣ P(min(τ, T) > u) du and
    J = ∫₀^∞ exp(λH(x) − mμx) dx, the offered wait V has P(V > 0) = λJ / (E + λJ), E = 1 / B(m − 1, a),
    and density P(V > 0)·exp(λH(x) − mμx) / J above 0 (Baccelli & Hebuterne 1981; Zeltyn &
    Mandelbaum 2005). A contact with V ≤ T is answered if its patience outlasts V; one with V > T
    overflows if its patience outlasts T. Exact for Poisson arrivals and exponential handle times.

    Args:
        rate: The tier's arrivals per hour.
        aht: Mean handle time in seconds.
        agents: The team's agents, at least 1.
        patience: Mean patience in seconds, or None for none.
        overflow_after: Seconds before a waiting contact overflows, above 0.
        threshold: Seconds, for the service level.

    Raises:
        ConfigError: A parameter out of range.

    >>> q = team_queue(570, 60, 10, 120, 1e4, 20)      # overflow never happens: Erlang A
    >>> round(q.service_level, 6), round(q.p_abandon, 6), round(q.asa, 4)
    (0.737054, 0.084452, 9.6161)
    >>> q = team_queue(1.8, 480, 1, 240, 60, 30)
    >>> round(q.p_overflow, 4), round(q.service_level, 4)
    (0.1359, 0.8136)
    """
    per_hour = _check_number("rate", rate, minimum=0.0, unit="contacts per hour")
    handle = _check_number("aht", aht, minimum=0.0, strict=True, unit="seconds")
    m = _check_agents(agents)
    theta = 0.0 if patience is None else 1.0 / _check_patience(patience)
    big_t = _check_number("overflow_after", overflow_after, minimum=0.0, strict=True, unit="seconds")
    t = _check_number("threshold", threshold, minimum=0.0, unit="seconds")
    lam = per_hour / SECONDS_PER_HOUR
    a = per_hour * handle / SECONDS_PER_HOUR
    if lam == 0.0:
        return TeamQueue(
            agents=m,
            load=0.0,
            overflow_after=big_t,
            threshold=t,
            p_wait=0.0,
            p_answered=1.0,
            p_abandon=0.0,
            p_overflow=0.0,
            service_level=1.0,
            asa=0.0,
            occupancy=0.0,
        )
    drain = m / handle  # mμ
    w = _OfferedWait(lam=lam, drain=drain, theta=theta, big_t=big_t)
    # log E = log Σ_{k<m} a^k/k! − log(a^{m−1}/(m−1)!) = _log_below(m, a) + log(a / m).
    log_e = _log_below(m, a) + math.log(a / m)
    log_lj = math.log(lam) + w.top + math.log(w.j_scaled)
    p_wait = float(expit(log_lj - log_e))
    p_now = float(expit(log_e - log_lj))
    answered = p_now + p_wait * w.integral(w.served, w.end) / w.j_scaled
    within = p_now + p_wait * w.integral(w.served, min(t, w.end)) / w.j_scaled
    overflow = p_wait * w.tail / w.j_scaled * math.exp(-theta * big_t)
    abandon = max(0.0, 1.0 - answered - overflow)
    asa = p_wait * w.integral(w.served_x, w.end) / w.j_scaled / answered
    return TeamQueue(
        agents=m,
        load=a,
        overflow_after=big_t,
        threshold=t,
        p_wait=p_wait,
        p_answered=answered,
        p_abandon=abandon,
        p_overflow=overflow,
        service_level=within,
        asa=asa,
        occupancy=min(1.0, a * answered / m),
    )


@attrs.frozen(kw_only=True)
class _Split:
    """A channel split into a dedicated team and a general pool: its figures at n general agents."""

    lam_team: float
    lam_other: float
    handle: float
    patience: float | None
    team: TeamQueue
    m: int
    threshold: float

    @property
    def overflow_rate(self) -> float:
        return self.lam_team * self.team.p_overflow

    @property
    def general_rate(self) -> float:
        return self.lam_other + self.overflow_rate

    def general_at(self, n: int, threshold: float) -> QueueFigures:
        """The general pool's figures at ``n`` agents: Erlang A, or C without patience."""
        if self.patience is None:
            return erlang_c(self.general_rate, self.handle, n, threshold)
        return erlang_a(self.general_rate, self.handle, n, self.patience, threshold)

    def combined(self, n: int) -> tuple[float, float, float, float, float, float]:
        """Channel SL, ASA, abandonment, occupancy; then the tier's and the others' SL, at n general agents."""
        q, t, m = self.team, self.threshold, self.m
        lam_team, lam_other = self.lam_team, self.lam_other
        if self.general_rate == 0.0:
            sl_g, pab, asa_g, carried = 1.0, 0.0, 0.0, 0.0
            sl_late = 1.0
        else:
            f = self.general_at(n, t)
            sl_g, pab, asa_g = f.service_level, f.p_abandon, f.asa
            carried = f.occupancy * n
            sl_late = self.general_at(n, t - q.overflow_after).service_level if t > q.overflow_after else 0.0
        total = lam_team + lam_other
        tier_sl = q.service_level + q.p_overflow * sl_late
        level = (lam_team * tier_sl + lam_other * sl_g) / total
        abandon = (lam_team * (q.p_abandon + q.p_overflow * pab) + lam_other * pab) / total
        answered_team = lam_team * q.p_answered
        answered_late = self.overflow_rate * (1.0 - pab)
        answered_other = lam_other * (1.0 - pab)
        answered = answered_team + answered_late + answered_other
        waits = answered_team * q.asa + answered_late * (q.overflow_after + asa_g) + answered_other * asa_g
        asa = waits / answered if answered > 0.0 else 0.0
        occupancy = (q.occupancy * m + carried) / (m + n)
        return level, asa, abandon, occupancy, tier_sl, sl_g

    def meets(self, n: int, target: Targets) -> bool:
        level, asa, abandon, occupancy, _, _ = self.combined(n)
        return not target.unmet_by(level, asa, abandon, occupancy)

    def general_size(self, target: Targets, cap: int, team: str, tier: str) -> int:
        """The fewest general agents (up to ``cap``) for which the channel's figures meet ``target``.

        Raises:
            ConfigError: No general pool of up to ``cap`` agents meets them, naming the ``team`` and ``tier``.
        """
        the_team = f"the {team} team of {self.m}"
        if self.general_rate == 0.0:
            if not self.meets(0, target):
                raise ConfigError(f"{the_team} misses the targets on its own and nothing overflows")
            return 0
        load = self.general_rate * self.handle / SECONDS_PER_HOUR
        lowest = math.floor(load) + 1 if self.patience is None else 1
        guess = staff(self.general_rate, self.handle, target, patience=self.patience, agents_max=cap).agents
        n = max(guess, lowest)
        while n < cap and not self.meets(n, target):
            n += 1
        if not self.meets(n, target):
            words = ", ".join(target.describe(x) for x in target.unmet_by(*self.combined(n)[:4]))
            raise ConfigError(
                f"no general pool of up to agents_max={cap} agents meets the targets ({words}): {the_team} "
                f"answers too few {tier} contacts within {self.threshold:g} s before they overflow"
            )
        while n > lowest and self.meets(n - 1, target):
            n -= 1
        return n


class _OfferedWait:
    """The offered wait V of a team's queue, scaled for integration: the integrals ``team_queue`` reads.

    With H(x) = ∫₀ˣ P(min(τ, T) > u) du and φ(x) = λH(x) − mμx, the density of V above 0 is proportional to
    exp(φ(x)); every integral is scaled by exp(−top), φ's largest value on [0, T], so that nothing
    overflows.
    """

    def __init__(self, lam: float, drain: float, theta: float, big_t: float) -> None:
        self.lam, self.drain, self.theta, self.big_t = lam, drain, theta, big_t
        # φ is concave on [0, T]: its peak is at 0, at T, or where λ e^{−θx} = mμ.
        peak = [0.0, big_t]
        if lam > drain:
            peak.append(big_t if theta == 0.0 else min(big_t, math.log(lam / drain) / theta))
        where = max(peak, key=self.phi)
        self.top = self.phi(where)
        # Past its peak φ falls; beyond the point 80 e-folds down the integrands are negligible, and a long
        # overflow time (an hour, a day) must not leave quad a needle of mass in a haystack of zeros.
        end = big_t
        if self.phi(big_t) - self.top < -80.0:
            low, high = where, big_t
            for _ in range(200):
                middle = 0.5 * (low + high)
                low, high = (middle, high) if self.phi(middle) - self.top > -80.0 else (low, middle)
            end = high
        self.end = end
        self.inner = [x for x in peak if 0.0 < x < end]
        within_t = self.integral(self.dens, end)
        self.tail = math.exp(self.phi(big_t) - self.top) / drain  # ∫_T^∞ e^{φ − top}: φ falls at rate mμ past T
        self.j_scaled = within_t + self.tail

    def h(self, x: float) -> float:
        x = min(x, self.big_t)
        return x if self.theta == 0.0 else -math.expm1(-self.theta * x) / self.theta

    def phi(self, x: float) -> float:
        return self.lam * self.h(x) - self.drain * x

    def integral(self, f: Callable[[float], float], upper: float) -> float:
        """∫₀^upper f, split at φ's peak (scipy.integrate is imported here: it takes about 0.2 s to load,
        and only this overflow model needs it)."""
        from scipy import integrate

        if upper <= 0.0:
            return 0.0
        points = [x for x in self.inner if x < upper] or None
        value, _ = integrate.quad(f, 0.0, upper, points=points, limit=200, epsabs=0.0, epsrel=1e-12)
        return float(value)

    def dens(self, x: float) -> float:
        return math.exp(self.phi(x) - self.top)

    def served(self, x: float) -> float:
        return math.exp(self.phi(x) - self.top - self.theta * x)

    def served_x(self, x: float) -> float:
        return x * self.served(x)


@attrs.frozen(kw_only=True)
class TeamCost:
    """A dedicated team against one pooled group: the split pools, the pooled one, and the pooling loss.

    Attributes:
        tier: The team's tier.
        team: The team's name.
        targets: The channel's targets, over every offered contact of both tiers together.
        team_pool: The team and its tier's traffic (``figures`` is None; see ``team_figures``).
        team_figures: The team's own queue, with its overflow.
        general: The general pool: the other tiers plus the overflow, sized to meet the targets.
        pooled: One group serving everybody, sized to meet the targets.
        service_level: The channel's service level with the split staffing (team and general pool).
        tier_service_level: The team's tier's service level with the split staffing.
        others_service_level: The other tiers' service level with the split staffing.
        p_abandon: The channel's abandonment with the split staffing.
    """

    tier: str
    team: str
    targets: Targets
    team_pool: Pool
    team_figures: TeamQueue
    general: Pool
    pooled: Pool
    service_level: float
    tier_service_level: float
    others_service_level: float
    p_abandon: float

    @property
    def cost(self) -> int:
        """Agents the split needs beyond one pooled group (the pooling loss)."""
        return self.team_pool.agents + self.general.agents - self.pooled.agents

    def summary(self) -> str:
        """One sentence: the pooling loss, the two pools against the pooled one, and the overflow."""
        split = self.team_pool.agents + self.general.agents
        verb = "costs" if self.cost >= 0 else "saves"
        return (
            f"a dedicated {self.team} team of {agents_word(self.team_pool.agents)} for {self.tier} "
            f"({self.team_figures.overflow_after:g} s, then the general pool) {verb} "
            f"{agents_word(abs(self.cost))} at {target_label(self.targets)}: {self.team_pool.agents} + "
            f"{self.general.agents} = {split} against {self.pooled.agents} pooled; "
            f"{100.0 * self.team_figures.p_overflow:.1f}% of {self.tier} overflow"
        )


def team_cost(
    rate_team_tier: float,
    rate_others: float,
    aht: float,
    patience: float | None,
    target: Targets,
    team_size: int,
    overflow_after: float,
    *,
    tier: str = "platinum",
    team: str = "vip",
    channel: Channel | str = "video",
    agents_max: int = DEFAULT_AGENTS_MAX,
) -> TeamCost:
    """What a dedicated team costs against one pooled group, at the channel's targets.

    The split: ``team_size`` agents answer only the team's tier; a contact of that tier still waiting
    after ``overflow_after`` seconds joins the general pool, which answers every other tier. The team's
    queue is ``team_queue`` (exact); the general pool is Erlang A (or C) fed by the other tiers and the
    overflow taken as one Poisson stream (approximate: see the module's docstring). The general pool is
    sized as the fewest agents for which the channel's figures over every offered contact (service
    level, ASA, abandonment, occupancy: whichever the targets bound) meet the targets. The pooled group
    is ``staff`` on the whole stream.

    Args:
        rate_team_tier: The team tier's arrivals per hour on the channel.
        rate_others: The other tiers' arrivals per hour.
        aht: Mean handle time in seconds, the same for both.
        patience: Mean patience in seconds, or None for Erlang C.
        target: The channel's targets, over all its offered contacts.
        team_size: The team's agents.
        overflow_after: Seconds a team-tier contact waits for the team before the general pool.
        tier: The team tier's name, for the summary.
        team: The team's name, for the summary.
        channel: The channel's name.
        agents_max: The most agents to consider for a pool.

    Returns:
        The team, the general pool and the pooled group, with ``cost`` and ``summary()``.

    Raises:
        ConfigError: A parameter out of range, or targets no general pool of up to ``agents_max``
            agents can meet (a team so small, or an overflow so late, that its tier alone misses them).

    >>> cost = team_cost(60, 240, 240, 180, Targets(service_level=0.8, threshold=20), 4, 30)
    >>> cost.team_pool.agents, cost.general.agents, cost.pooled.agents, cost.cost
    (4, 20, 23, 1)
    """
    lam_team = _check_number("rate_team_tier", rate_team_tier, minimum=0.0, unit="contacts per hour")
    lam_other = _check_number("rate_others", rate_others, minimum=0.0, unit="contacts per hour")
    handle = _check_number("aht", aht, minimum=0.0, strict=True, unit="seconds")
    m = _check_agents(team_size, "team_size")
    if not isinstance(target, Targets):
        raise ConfigError(f"target must be a Targets, got {target!r}")
    cap = _check_agents(agents_max, "agents_max")
    name = to_channel(channel).value
    t = float(target.threshold)
    q = team_queue(lam_team, handle, m, patience, overflow_after, t)
    total = lam_team + lam_other
    if total == 0.0:
        raise ConfigError("team_cost: no arrivals at all (rate_team_tier and rate_others are both 0)")
    split = _Split(lam_team=lam_team, lam_other=lam_other, handle=handle, patience=patience, team=q, m=m, threshold=t)
    general_rate = split.general_rate
    load_g = general_rate * handle / SECONDS_PER_HOUR
    n = split.general_size(target, cap, team, tier)
    level, _, abandon, _, tier_sl, others_sl = split.combined(n)
    pooled = staff(total, handle, target, patience=patience, agents_max=cap)
    return TeamCost(
        tier=tier,
        team=team,
        targets=target,
        team_pool=Pool(
            channel=name, serves=f"{tier} first, {overflow_after:g} s", rate=lam_team, load=q.load, agents=m
        ),
        team_figures=q,
        general=Pool(
            channel=name,
            serves=f"others and {tier} overflow",
            rate=general_rate,
            load=load_g,
            agents=n,
            figures=split.general_at(n, t) if general_rate > 0.0 and n > 0 else None,
        ),
        pooled=Pool(
            channel=name,
            serves="all tiers",
            rate=total,
            load=pooled.figures.load,
            agents=pooled.agents,
            figures=pooled.figures,
        ),
        service_level=level,
        tier_service_level=tier_sl,
        others_service_level=others_sl,
        p_abandon=abandon,
    )
