"""The router's settings: one frozen record, checked when the router is built, read the same way everywhere."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel
from routekit.policies.selection import Selection, longest_idle

__all__ = ["DEFAULT_OFFER_TIMEOUT", "RouterSettings"]

DEFAULT_OFFER_TIMEOUT: dict[Channel, float] = {
    Channel.VOICE: 20.0,
    Channel.VIDEO: 20.0,
    Channel.CHAT: 30.0,
    Channel.MESSAGING: 60.0,
    Channel.EMAIL: 60.0,
    Channel.SMS: 60.0,
    Channel.SOCIAL: 60.0,
}


def _offer_timeouts(value: Mapping[Channel, float] | Mapping[str, float] | None) -> dict[Channel, float]:
    timeouts = dict(DEFAULT_OFFER_TIMEOUT)
    for channel, seconds in (value or {}).items():
        timeouts[to_channel(channel)] = float(seconds) if isinstance(seconds, int | float) else seconds
    return timeouts


def _check_offer_timeouts(instance: Any, attribute: Any, value: dict[Channel, float]) -> None:
    for channel, seconds in value.items():
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds <= 0:
            raise ConfigError(f"offer_timeout[{channel.value!r}] must be seconds > 0, got {seconds!r}")


def _check_seconds(instance: Any, attribute: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{attribute.name} must be a finite number of seconds >= 0, got {value!r}")


def _check_flag(instance: Any, attribute: Any, value: bool) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{attribute.name} must be True or False, got {value!r}")


def _check_offers_per_agent(instance: Any, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"offers_per_agent must be a whole number of offers >= 1, got {value!r}")


def _check_window(instance: Any, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ConfigError(f"answer_window must be a whole number of answers >= 2, got {value!r}")


def _channels(value: Iterable[Channel | str] | None) -> frozenset[Channel]:
    if value is None:
        return frozenset(c for c in Channel if c.exclusive)
    return frozenset(to_channel(c) for c in value)


@attrs.frozen(kw_only=True)
class RouterSettings:
    """The router's settings, checked when the router is built.

    Args:
        offer_timeout: Seconds an offer rings per channel (defaults: 20 voice and video, 30 chat, 60 others).
        reoffer_delay: Seconds before a contact is offered again to an agent who rejected or missed it.
        wrap_up: Wrap-up seconds for channels an agent has no wrap-up time for.
        away_on_missed_offer: Whether an agent who lets an offer expire is set away.
        selection: The key that orders each agent pool.
        retention: Seconds a finished contact or closed conversation is remembered (for duplicate ids).
        exclusive: Channels an agent handles only with no other work (default voice and video).
        park_ttl: Seconds a parked conversation stays open when the policy names none.
        answer_window: How many recent answers per target the expected-wait estimate uses.
        offers_per_agent: How many offers an agent may hold pending at once, each in a free slot of a
            non-exclusive channel (TaskRouter's multitasking reservations, Azure's ``maxConcurrentOffers``):
            a chat agent with three free slots gets up to three offers at once. An offer on an exclusive
            channel is still made only to an agent with no other work. Default 1: one offer at a time.
        live_statistics: Whether the router keeps the counts ``Router.statistics()`` reads. On by default;
            the simulator turns them off, since a simulated day reads none of them and they cost about a
            tenth of a simulated contact.

    >>> RouterSettings(reoffer_delay=10).reoffer_delay
    10
    >>> RouterSettings(retention=-1)
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: retention must be a finite number of seconds >= 0, got -1
    """

    offer_timeout: dict[Channel, float] = attrs.field(
        factory=dict, converter=_offer_timeouts, validator=_check_offer_timeouts
    )
    reoffer_delay: float = attrs.field(default=30.0, validator=_check_seconds)
    wrap_up: float = attrs.field(default=0.0, validator=_check_seconds)
    away_on_missed_offer: bool = True
    selection: Selection = longest_idle
    retention: float = attrs.field(default=3600.0, validator=_check_seconds)
    exclusive: frozenset[Channel] = attrs.field(default=None, converter=_channels)
    park_ttl: float = attrs.field(default=86400.0, validator=_check_seconds)
    answer_window: int = attrs.field(default=20, validator=_check_window)
    live_statistics: bool = attrs.field(default=True, validator=_check_flag)
    offers_per_agent: int = attrs.field(default=1, validator=_check_offers_per_agent)
