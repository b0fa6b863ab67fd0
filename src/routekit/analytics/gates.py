"""Tier gates: what gating a channel to some tiers does to its pool and the fallback's, in agents.

A tier gate (video for gold and up) shrinks the gated channel's stream to the allowed tiers and sends a
share of the denied contacts to a fallback channel (chat), whose stream grows. Poisson streams thinned by
tier and merged stay Poisson, so each pool after the gate is again an Erlang queue and :func:`gate_cost`
is exact wherever Erlang A (or the chat model) is: exponential handle times and patience, and fallback
contacts that behave like the fallback channel's own.

This module reads policies (``routekit.policies``) and so stands above them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import attrs

from routekit.analytics.erlang import _check_agents, _check_number, _check_patience
from routekit.analytics.pools import Pool, agents_word, target_label
from routekit.analytics.staffing import DEFAULT_AGENTS_MAX, Targets, staff
from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel
from routekit.policies.base import RoutingPolicy
from routekit.policies.tiers import TierGate

__all__ = ["Fallback", "GateCost", "GateRule", "gate_cost", "gate_rule"]


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
        label = target_label(self.targets)
        verb = "costs" if self.cost >= 0 else "saves"
        parts = []
        for old, new, targets in zip(self.before, self.after, (self.targets, self.fallback_targets), strict=False):
            delta = new.agents - old.agents
            at = "" if targets is None or target_label(targets) == label else f" at {target_label(targets)}"
            parts.append(f"{old.channel} {old.agents} → {new.agents} ({delta:+d}){at}")
        return (
            f"gating {self.channel} to {_tiers_phrase(self.allowed)} {verb} {agents_word(abs(self.cost))} "
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
    allowed = _allowed_tiers(rates, gated_tiers)
    denied = tuple(t for t in rates if t not in allowed)
    name = to_channel(channel).value
    everyone = math.fsum(rates.values())
    kept = math.fsum(rates[t] for t in allowed)
    before = [_staffed(name, "all tiers", everyone, aht, patience, target, concurrency, agents_max)]
    after = [_staffed(name, ", ".join(allowed), kept, aht, patience, target, concurrency, agents_max)]
    fallback_targets = None
    if fallback is not None:
        fallback_targets = fallback.targets or target
        fb = fallback.channel.value
        moved = fallback.share * (everyone - kept)
        for pools, serves, rate in (
            (before, f"{fb} only", fallback.rate),
            (after, f"{fb} and {name} denied", fallback.rate + moved),
        ):
            pools.append(
                _staffed(
                    fb,
                    serves,
                    rate,
                    fallback.aht,
                    fallback.patience,
                    fallback_targets,
                    fallback.concurrency,
                    agents_max,
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


def _allowed_tiers(rates: Mapping[str, float], gated_tiers: str | Iterable[str]) -> tuple[str, ...]:
    """The tiers a gate allows, in ``rates``' order: a tier and every one after it, or the tiers named."""
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
    return allowed


def _staffed(
    channel: str,
    serves: str,
    rate: float,
    aht: float,
    patience: float | None,
    targets: Targets,
    concurrency: int,
    agents_max: int,
) -> Pool:
    """A pool staffed with ``staff`` for its traffic and targets."""
    s = staff(rate, aht, targets, patience=patience, concurrency=concurrency, agents_max=agents_max)
    return Pool(
        channel=channel, serves=serves, rate=float(rate), load=s.figures.load, agents=s.agents, figures=s.figures
    )
