"""Policy-aware pools: what a tier gate or a dedicated team does to the pools, and what it costs in agents.

The Erlang formulas size one pool fed by one Poisson stream. A routing policy changes the pools:

- **A tier gate** (video for gold and up) shrinks the gated channel's stream to the allowed tiers and
  sends a share of the denied contacts to a fallback channel (chat), whose stream grows. Poisson streams
  thinned by tier and merged stay Poisson, so each pool after the gate is again an Erlang queue and
  ``gate_cost`` is exact wherever Erlang A (or the chat model) is: exponential handle times and
  patience, and fallback contacts that behave like the fallback channel's own.
- **A dedicated team** (platinum to the ``vip`` team first for T seconds, then the general pool) splits
  one pool in two. ``team_cost`` models the team as an M/M/m+G queue whose "patience" is the shorter of
  the customer's exponential patience and the overflow time T (exact for the team's own queue, after
  Baccelli & Hebuterne 1981 and Zeltyn & Mandelbaum 2005), and the general pool as Erlang A fed by the
  other tiers plus the overflow, taken as Poisson. That last step is the approximation: the overflow
  comes in bursts when the team is busy, and the router queues an overflowed contact by its original
  arrival, ahead of newer ones; both make the general pool's service level a little worse than the
  formula says. The error grows with the overflow's share of the general pool's traffic; it is small
  when the overflow is a few percent of it (see ``docs/reference/analytics.md``).

The cost of a rule is the agents it needs at the targets, summed over the channels it touches, less the
agents the same traffic needs without it: a gate usually saves agents on the gated channel and adds
some on the fallback; a dedicated team always costs agents against one pooled group (the pooling loss).

This module reads policies (``routekit.policies``) and so stands above them; the Erlang mathematics it
builds on (``erlang``, ``staffing``, ``concurrency``) imports only ``routekit.errors``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

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
from routekit.analytics.staffing import DEFAULT_AGENTS_MAX, Targets, staff
from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel
from routekit.policies.base import RoutingPolicy
from routekit.policies.tiers import TierGate

__all__ = [
    "Fallback",
    "GateCost",
    "GateRule",
    "Pool",
    "TeamCost",
    "TeamQueue",
    "gate_cost",
    "gate_rule",
    "team_cost",
    "team_queue",
]


def _label(targets: Targets) -> str:
    """A target as planners write it: ``80/20`` for 80% within 20 s, else the targets in words."""
    if targets.service_level is not None:
        return f"{100.0 * targets.service_level:g}/{targets.threshold:g}"
    names = ("max_asa", "max_abandon", "max_occupancy")
    return ", ".join(targets.describe(n) for n in names if getattr(targets, n) is not None)


def _agents_word(n: int) -> str:
    return f"{n} agent" if n == 1 else f"{n} agents"


@attrs.frozen(kw_only=True)
class Pool:
    """One pool of agents on one channel, the traffic it serves, and the agents it needs.

    Attributes:
        channel: The channel's name.
        serves: Whose contacts the pool answers, in words (``"gold, platinum"``, ``"all tiers"``).
        rate: Contacts offered to the pool per hour.
        load: Offered load in agents (Erlangs; for chat, agents at full concurrency).
        agents: Agents the pool needs at its targets (or, for a team, the agents it was given).
        figures: The pool's queue figures at ``agents``; None for a team queue (see ``TeamQueue``).
    """

    channel: str
    serves: str
    rate: float
    load: float
    agents: int
    figures: QueueFigures | None = None


@attrs.frozen(kw_only=True)
class Fallback:
    """The channel a gate points denied contacts to, and how many of them go there.

    Args:
        channel: The fallback channel (``"chat"``).
        rate: The fallback channel's own arrivals per hour, before any denied contact joins.
        aht: Its mean handle time in seconds (denied contacts are handled like its own).
        patience: Its mean patience in seconds, or None for Erlang C.
        share: The share of denied contacts that take the fallback; the rest are lost.
        concurrency: Contacts one agent handles at once on it (3 for chat, say).
        targets: Its targets; None: the gated channel's.
    """

    channel: Channel = attrs.field(converter=to_channel)
    rate: float
    aht: float
    patience: float | None = None
    share: float = 1.0
    concurrency: int = 1
    targets: Targets | None = None

    def __attrs_post_init__(self) -> None:
        _check_number("Fallback.rate", self.rate, minimum=0.0, unit="contacts per hour")
        _check_number("Fallback.aht", self.aht, minimum=0.0, strict=True, unit="seconds")
        if self.patience is not None:
            _check_patience(self.patience)
        share = _check_number("Fallback.share", self.share, minimum=0.0, unit="share of denied contacts")
        if share > 1.0:
            raise ConfigError(f"Fallback.share must be a share in [0, 1], got {self.share!r}")
        _check_agents(self.concurrency, "Fallback.concurrency")


@attrs.frozen(kw_only=True)
class GateCost:
    """What gating a channel to some tiers does to the pools, and its cost in agents.

    Attributes:
        channel: The gated channel.
        allowed: The tiers still served on it, lowest first.
        denied: The tiers refused on it.
        targets: The gated channel's targets.
        fallback_targets: The fallback channel's targets (None without a fallback).
        before: The pools without the gate: the gated channel (then the fallback channel).
        after: The same pools with the gate.
    """

    channel: str
    allowed: tuple[str, ...]
    denied: tuple[str, ...]
    targets: Targets
    fallback_targets: Targets | None
    before: tuple[Pool, ...]
    after: tuple[Pool, ...]

    def change(self, channel: str) -> int:
        """Agents the gate adds on ``channel`` (negative: saves).

        Raises:
            KeyError: The gate touches no such channel.
        """
        for old, new in zip(self.before, self.after, strict=True):
            if old.channel == channel:
                return new.agents - old.agents
        raise KeyError(f"the gate touches no channel {channel!r}")

    @property
    def cost(self) -> int:
        """Agents the gate adds over every channel it touches (negative: saves)."""
        return sum(new.agents - old.agents for old, new in zip(self.before, self.after, strict=True))

    def summary(self) -> str:
        """One sentence: the net cost, and each channel's agents before and after the gate."""
        label = _label(self.targets)
        verb = "costs" if self.cost >= 0 else "saves"
        parts = []
        for old, new, targets in zip(self.before, self.after, (self.targets, self.fallback_targets), strict=False):
            delta = new.agents - old.agents
            at = "" if targets is None or _label(targets) == label else f" at {_label(targets)}"
            parts.append(f"{old.channel} {old.agents} → {new.agents} ({delta:+d}){at}")
        return (
            f"gating {self.channel} to {_tiers_phrase(self.allowed)} {verb} {_agents_word(abs(self.cost))} "
            f"at {label}: {', '.join(parts)}"
        )


def _tiers_phrase(allowed: tuple[str, ...]) -> str:
    if len(allowed) == 1:
        return f"{allowed[0]} only"
    return f"{allowed[0]} and up"


@attrs.frozen(kw_only=True)
class GateRule:
    """A channel's gate as a policy runs it: the tiers allowed on the channel and the fallback channel."""

    channel: Channel
    allowed: tuple[str, ...]
    fallback: Channel | None


def gate_rule(policy: RoutingPolicy, channel: Channel | str) -> GateRule:
    """The gate a policy puts on ``channel``, read from the ``TierGate`` it runs (wrapped or not).

    Args:
        policy: A ``TierGate``, or a policy wrapping one through ``then`` (``mobile_support()``).
        channel: The channel to read the gate of.

    Returns:
        The tiers allowed on the channel (every tier when it is not gated) and its fallback channel.

    Raises:
        ConfigError: The policy runs no ``TierGate``.

    >>> from routekit.policies.mobile import mobile_support
    >>> gate_rule(mobile_support(), "video")
    GateRule(channel=<Channel.VIDEO: 'video'>, allowed=('gold', 'platinum'), fallback=<Channel.CHAT: 'chat'>)
    """
    wanted = to_channel(channel)
    node: object = policy
    while not isinstance(node, TierGate):
        node = getattr(node, "then", None)
        if node is None:
            raise ConfigError(f"policy {type(policy).__name__} runs no TierGate: there is no gate to cost")
    minimum = node.gates.get(wanted)
    allowed = node.tiers.names if minimum is None else tuple(t.name for t in node.tiers.from_(minimum))
    return GateRule(channel=wanted, allowed=allowed, fallback=node.fallback.get(wanted))


def gate_cost(
    rate_by_tier: Mapping[str, float],
    aht: float,
    patience: float | None,
    target: Targets,
    gated_tiers: str | Iterable[str],
    *,
    channel: Channel | str = "video",
    fallback: Fallback | None = None,
    concurrency: int = 1,
    agents_max: int = DEFAULT_AGENTS_MAX,
) -> GateCost:
    """The agents a tier gate saves on its channel and adds on the fallback channel, at the targets.

    Each pool is staffed with ``staff`` (Erlang A with a patience, else Erlang C; the chat model above
    concurrency 1). Without the gate the channel serves every tier; with it, only ``gated_tiers``, and
    ``fallback.share`` of the others join the fallback channel's own arrivals.

    Args:
        rate_by_tier: The gated channel's arrivals per hour by tier, lowest tier first.
        aht: The gated channel's mean handle time in seconds.
        patience: Its mean patience in seconds, or None for Erlang C.
        target: Its targets (and the fallback's, unless ``fallback.targets`` is given).
        gated_tiers: The tiers the channel is gated to: a tier name for that tier and every one after
            it in ``rate_by_tier`` (``"gold"``: gold and up), or the allowed tier names.
        channel: The gated channel's name.
        fallback: Where denied contacts go; None: they are lost.
        concurrency: Contacts one agent handles at once on the gated channel.
        agents_max: The most agents to consider per pool.

    Returns:
        The pools before and after, with ``cost`` and ``summary()``.

    Raises:
        ConfigError: A tier not in ``rate_by_tier``, a negative rate, or targets out of reach.

    >>> cost = gate_cost({"standard": 40, "silver": 30, "gold": 20, "platinum": 10}, 240, 180,
    ...                  Targets(service_level=0.8, threshold=20), "gold",
    ...                  fallback=Fallback(channel="chat", rate=60, aht=240, patience=180))
    >>> [(p.channel, p.rate, p.agents) for p in cost.after]
    [('video', 30.0, 4), ('chat', 130.0, 11)]
    >>> cost.summary()
    'gating video to gold and up costs 0 agents at 80/20: video 9 → 4 (-5), chat 6 → 11 (+5)'
    """
    rates = {
        str(tier): _check_number(f"rate_by_tier[{tier!r}]", r, minimum=0.0, unit="per hour")
        for tier, r in rate_by_tier.items()
    }
    if not rates:
        raise ConfigError("rate_by_tier is empty: give the gated channel's arrivals per hour by tier")
    order = list(rates)
    if isinstance(gated_tiers, str):
        if gated_tiers not in rates:
            raise ConfigError(f"gated_tiers: unknown tier {gated_tiers!r}; rate_by_tier has {', '.join(order)}")
        allowed = tuple(order[order.index(gated_tiers) :])
    else:
        wanted = set(gated_tiers)
        unknown = sorted(wanted - set(rates))
        if unknown:
            raise ConfigError(f"gated_tiers: unknown tier(s) {', '.join(unknown)}; rate_by_tier has {', '.join(order)}")
        allowed = tuple(t for t in order if t in wanted)
    if not allowed:
        raise ConfigError("gated_tiers allows no tier: the channel would serve nobody")
    denied = tuple(t for t in order if t not in allowed)
    name = to_channel(channel).value
    everyone = math.fsum(rates.values())
    kept = math.fsum(rates[t] for t in allowed)

    def pool(
        channel_name: str, serves: str, rate: float, handle: float, wait: float | None, targets: Targets, k: int
    ) -> Pool:
        s = staff(rate, handle, targets, patience=wait, concurrency=k, agents_max=agents_max)
        return Pool(
            channel=channel_name,
            serves=serves,
            rate=float(rate),
            load=s.figures.load,
            agents=s.agents,
            figures=s.figures,
        )

    before = [pool(name, "all tiers", everyone, aht, patience, target, concurrency)]
    after = [pool(name, ", ".join(allowed), kept, aht, patience, target, concurrency)]
    fallback_targets = None
    if fallback is not None:
        fallback_targets = fallback.targets or target
        moved = fallback.share * (everyone - kept)
        fb = fallback.channel.value
        before.append(
            pool(
                fb, f"{fb} only", fallback.rate, fallback.aht, fallback.patience, fallback_targets, fallback.concurrency
            )
        )
        after.append(
            pool(
                fb,
                f"{fb} and {name} denied",
                fallback.rate + moved,
                fallback.aht,
                fallback.patience,
                fallback_targets,
                fallback.concurrency,
            )
        )
    return GateCost(
        channel=name,
        allowed=allowed,
        denied=denied,
        targets=target,
        fallback_targets=fallback_targets,
        before=tuple(before),
        after=tuple(after),
    )


# --- dedicated teams --------------------------------------------------------------------------------


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

    def h(x: float) -> float:
        x = min(x, big_t)
        return x if theta == 0.0 else -math.expm1(-theta * x) / theta

    def phi(x: float) -> float:
        return lam * h(x) - drain * x

    # φ is concave on [0, T]: scale every integral by its largest value there so nothing overflows.
    peak = [0.0, big_t]
    if lam > drain:
        peak.append(big_t if theta == 0.0 else min(big_t, math.log(lam / drain) / theta))
    where = max(peak, key=phi)
    top = phi(where)
    # Past its peak φ falls; beyond the point 80 e-folds down the integrands are negligible, and a long
    # overflow time (an hour, a day) must not leave quad a needle of mass in a haystack of zeros.
    end = big_t
    if phi(big_t) - top < -80.0:
        low, high = where, big_t
        for _ in range(200):
            middle = 0.5 * (low + high)
            low, high = (middle, high) if phi(middle) - top > -80.0 else (low, middle)
        end = high
    inner = [x for x in peak if 0.0 < x < end]
    # Imported here: scipy.integrate takes about 0.2 s to load, and only this overflow model needs it.
    from scipy import integrate

    def integral(f: Callable[[float], float], upper: float) -> float:
        if upper <= 0.0:
            return 0.0
        points = [x for x in inner if x < upper] or None
        value, _ = integrate.quad(f, 0.0, upper, points=points, limit=200, epsabs=0.0, epsrel=1e-12)
        return float(value)

    def dens(x: float) -> float:
        return math.exp(phi(x) - top)

    def served(x: float) -> float:
        return math.exp(phi(x) - top - theta * x)

    def served_x(x: float) -> float:
        return x * served(x)

    within_t = integral(dens, end)
    tail = math.exp(phi(big_t) - top) / drain  # ∫_T^∞ e^{φ − top}: φ falls at rate mμ past T
    j_scaled = within_t + tail
    # log E = log Σ_{k<m} a^k/k! − log(a^{m−1}/(m−1)!) = _log_below(m, a) + log(a / m).
    log_e = _log_below(m, a) + math.log(a / m)
    log_lj = math.log(lam) + top + math.log(j_scaled)
    p_wait = float(expit(log_lj - log_e))
    p_now = float(expit(log_e - log_lj))
    answered_late = p_wait * integral(served, end) / j_scaled
    answered = p_now + answered_late
    within = p_now + p_wait * integral(served, min(t, end)) / j_scaled
    overflow = p_wait * tail / j_scaled * math.exp(-theta * big_t)
    abandon = max(0.0, 1.0 - answered - overflow)
    asa = p_wait * integral(served_x, end) / j_scaled / answered
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
            f"a dedicated {self.team} team of {_agents_word(self.team_pool.agents)} for {self.tier} "
            f"({self.team_figures.overflow_after:g} s, then the general pool) {verb} "
            f"{_agents_word(abs(self.cost))} at {_label(self.targets)}: {self.team_pool.agents} + "
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
    overflow_rate = lam_team * q.p_overflow
    general_rate = lam_other + overflow_rate
    total = lam_team + lam_other
    if total == 0.0:
        raise ConfigError("team_cost: no arrivals at all (rate_team_tier and rate_others are both 0)")

    def general_at(n: int, threshold: float) -> QueueFigures:
        if patience is None:
            return erlang_c(general_rate, handle, n, threshold)
        return erlang_a(general_rate, handle, n, patience, threshold)

    def combined(n: int) -> tuple[float, float, float, float, float, float]:
        """Channel SL, ASA, abandonment, occupancy; then the tier's and the others' SL, at n general agents."""
        if general_rate == 0.0:
            sl_g, pab, asa_g, carried = 1.0, 0.0, 0.0, 0.0
            sl_late = 1.0
        else:
            f = general_at(n, t)
            sl_g, pab, asa_g = f.service_level, f.p_abandon, f.asa
            carried = f.occupancy * n
            sl_late = general_at(n, t - q.overflow_after).service_level if t > q.overflow_after else 0.0
        tier_sl = q.service_level + q.p_overflow * sl_late
        level = (lam_team * tier_sl + lam_other * sl_g) / total
        abandon = (lam_team * (q.p_abandon + q.p_overflow * pab) + lam_other * pab) / total
        answered_team = lam_team * q.p_answered
        answered_late = overflow_rate * (1.0 - pab)
        answered_other = lam_other * (1.0 - pab)
        answered = answered_team + answered_late + answered_other
        waits = answered_team * q.asa + answered_late * (q.overflow_after + asa_g) + answered_other * asa_g
        asa = waits / answered if answered > 0.0 else 0.0
        occupancy = (q.occupancy * m + carried) / (m + n)
        return level, asa, abandon, occupancy, tier_sl, sl_g

    def meets(n: int) -> bool:
        level, asa, abandon, occupancy, _, _ = combined(n)
        return not target.unmet_by(level, asa, abandon, occupancy)

    load_g = general_rate * handle / SECONDS_PER_HOUR
    lowest = math.floor(load_g) + 1 if patience is None else 1
    if general_rate == 0.0:
        n = 0
        if not meets(0):
            raise ConfigError(f"the {team} team of {m} misses the targets on its own and nothing overflows")
    else:
        guess = staff(general_rate, handle, target, patience=patience, agents_max=cap).agents
        n = max(guess, lowest)
        while n < cap and not meets(n):
            n += 1
        if not meets(n):
            words = ", ".join(target.describe(x) for x in target.unmet_by(*combined(n)[:4]))
            raise ConfigError(
                f"no general pool of up to agents_max={cap} agents meets the targets ({words}): the {team} "
                f"team of {m} answers too few {tier} contacts within {t:g} s before they overflow"
            )
        while n > lowest and meets(n - 1):
            n -= 1
    level, _, abandon, _, tier_sl, others_sl = combined(n)
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
            figures=general_at(n, t) if general_rate > 0.0 and n > 0 else None,
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
