"""The router's settings: one frozen record, checked when the router is built, read the same way everywhere."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel
from routekit.models.hours import OpeningHours
from routekit.policies.base import Target
from routekit.policies.selection import Selection, longest_idle
from routekit.router.estimate import DEFAULT_PREDICTOR, PREDICTORS

__all__ = ["ACTIONS", "DEFAULT_OFFER_TIMEOUT", "TRIGGERS", "ExceptionRule", "RouterSettings"]

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


def _queue_limits(value: Mapping[str, int] | Mapping[Channel, int] | None) -> dict[str, int]:
    if value is not None and not isinstance(value, Mapping):
        raise ConfigError(f"queue_limits must map a rule or channel to a number of contacts, got {value!r}")
    # A channel given as a Channel is keyed by its name, as the TOML scenario and the snapshot write it.
    return {key.value if isinstance(key, Channel) else key: limit for key, limit in (value or {}).items()}


def _check_queue_limits(instance: Any, attribute: Any, value: dict[str, int]) -> None:
    for key, limit in value.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"queue_limits: a key is a target's rule or a channel name, got {key!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ConfigError(f"queue_limits[{key!r}] must be a whole number of contacts >= 0, got {limit!r}")


def _queue_fallback(
    value: Mapping[Channel, Channel | str] | Mapping[str, Channel | str] | None,
) -> dict[Channel, Channel]:
    if value is not None and not isinstance(value, Mapping):
        raise ConfigError(f"queue_fallback must map a channel to a channel, got {value!r}")
    fallback: dict[Channel, Channel] = {}
    for channel, to in (value or {}).items():
        try:
            fallback[to_channel(channel)] = to_channel(to)
        except ConfigError as error:
            raise ConfigError(f"queue_fallback[{channel!r}]: {error}") from None
    return fallback


def _check_queue_fallback(instance: Any, attribute: Any, value: dict[Channel, Channel]) -> None:
    for channel, to in value.items():
        if channel is to:
            raise ConfigError(f"queue_fallback[{channel.value!r}] falls back to the same channel {to.value!r}")


# Exception rules (routekit.router.exception_rules): what a rule watches, and what it does when it fires.
TRIGGERS = ("wait", "queue-length", "estimated-wait", "service-level")
ACTIONS = ("next-stage", "raise-priority", "overflow", "deny")


def _check_rule_name(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"ExceptionRule.name must be a non-empty string, got {value!r}")


def _check_trigger(instance: Any, attribute: Any, value: Any) -> None:
    if value not in TRIGGERS:
        raise ConfigError(f"ExceptionRule.trigger must be one of {', '.join(TRIGGERS)}, got {value!r}")


def _check_action(instance: Any, attribute: Any, value: Any) -> None:
    if value not in ACTIONS:
        raise ConfigError(f"ExceptionRule.action must be one of {', '.join(ACTIONS)}, got {value!r}")


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


@attrs.frozen(kw_only=True)
class ExceptionRule:
    """A rule that watches a contact at a target and acts when its trigger holds (Azure's exception policy).

    Triggers (``threshold`` reads in the trigger's unit):

    - ``"wait"``: the contact has been at the stage ``threshold`` seconds (a timer, as a stage timeout is);
    - ``"queue-length"``: at least ``threshold`` contacts wait in the target's queue as the contact enters;
    - ``"estimated-wait"``: the contact's estimated wait as it enters is above ``threshold`` seconds;
    - ``"service-level"``: the share of the target's recent decided contacts answered within ``within``
      seconds is below ``threshold`` (a fraction in [0, 1]) as the contact enters.

    Actions: ``"next-stage"`` (the plan's next stage), ``"raise-priority"`` (by ``by``), ``"overflow"``
    (to ``target``, a one-stage plan replacing the rest, as a transfer's), ``"deny"`` (``Denied`` with
    ``reason``, terminal). See ``docs/how-to/route-exceptions.md``.

    >>> ExceptionRule(name="slow", trigger="wait", threshold=60, action="raise-priority", by=5).by
    5
    >>> ExceptionRule(name="x", trigger="wait", threshold=-1, action="next-stage")
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: ExceptionRule 'x': threshold must be seconds >= 0 for trigger 'wait', got -1
    """

    name: str = attrs.field(validator=_check_rule_name)
    trigger: str = attrs.field(validator=_check_trigger)
    threshold: float
    action: str = attrs.field(validator=_check_action)
    within: float | None = None
    by: int = 0
    target: Target | None = None
    reason: str = "exception"

    def __attrs_post_init__(self) -> None:
        name, value = self.name, self.threshold
        if self.trigger == "queue-length":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    f"ExceptionRule {name!r}: threshold must be a whole number of contacts >= 0, got {value!r}"
                )
        elif self.trigger == "service-level":
            if not _finite(value) or not 0 <= value <= 1:
                raise ConfigError(f"ExceptionRule {name!r}: threshold must be a fraction in [0, 1], got {value!r}")
            if not _finite(self.within) or self.within <= 0:  # type: ignore[operator]
                raise ConfigError(f"ExceptionRule {name!r}: within must be seconds > 0, got {self.within!r}")
        elif not _finite(value) or value < 0:
            raise ConfigError(
                f"ExceptionRule {name!r}: threshold must be seconds >= 0 for trigger {self.trigger!r}, got {value!r}"
            )
        if self.trigger != "service-level" and self.within is not None:
            raise ConfigError(f"ExceptionRule {name!r}: within is for the service-level trigger, got {self.within!r}")
        if self.action == "raise-priority":
            if isinstance(self.by, bool) or not isinstance(self.by, int) or self.by <= 0:
                raise ConfigError(f"ExceptionRule {name!r}: by must be a whole number > 0, got {self.by!r}")
        elif self.by != 0:
            raise ConfigError(f"ExceptionRule {name!r}: by is for the raise-priority action, got {self.by!r}")
        if self.action == "overflow":
            if not isinstance(self.target, Target):
                raise ConfigError(
                    f"ExceptionRule {name!r}: target must be a Target to overflow to, got {self.target!r}"
                )
        elif self.target is not None:
            raise ConfigError(f"ExceptionRule {name!r}: target is for the overflow action, got {self.target!r}")
        if not isinstance(self.reason, str) or not self.reason:
            raise ConfigError(f"ExceptionRule {name!r}: reason must be a non-empty string, got {self.reason!r}")


def _exception_rules(value: Any) -> dict[str, tuple[ExceptionRule, ...]]:
    if value is not None and not isinstance(value, Mapping):
        raise ConfigError(f"exception_rules must map a rule or channel to a list of ExceptionRule, got {value!r}")
    rules: dict[str, tuple[ExceptionRule, ...]] = {}
    for key, listed in (value or {}).items():
        key = key.value if isinstance(key, Channel) else key
        if isinstance(listed, ExceptionRule) or not isinstance(listed, Iterable):
            raise ConfigError(f"exception_rules[{key!r}] must be a list of ExceptionRule, got {listed!r}")
        rules[key] = tuple(listed)
    return rules


def _check_exception_rules(instance: Any, attribute: Any, value: dict[str, tuple[ExceptionRule, ...]]) -> None:
    names: set[str] = set()
    for key, listed in value.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"exception_rules: a key is a target's rule or a channel name, got {key!r}")
        for index, rule in enumerate(listed):
            if not isinstance(rule, ExceptionRule):
                raise ConfigError(f"exception_rules[{key!r}][{index}] must be an ExceptionRule, got {rule!r}")
            if rule.name in names:
                raise ConfigError(f"exception_rules[{key!r}][{index}]: the rule name {rule.name!r} is used twice")
            names.add(rule.name)


def _epoch(value: dt.datetime | float | None) -> float | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ConfigError(f"epoch must be a timezone-aware datetime or a UNIX timestamp, got {value!r}")
        return value.timestamp()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _check_epoch(instance: Any, attribute: Any, value: float | None) -> None:
    if value is not None and (not isinstance(value, float) or not math.isfinite(value)):
        raise ConfigError(f"epoch must be a timezone-aware datetime or a UNIX timestamp, got {value!r}")


def _hours(value: Mapping[Channel | str, OpeningHours] | None) -> dict[Channel, OpeningHours]:
    if not isinstance(value, Mapping | None):
        raise ConfigError(f"hours must map channels to OpeningHours, got {value!r}")
    return {to_channel(channel): hours for channel, hours in (value or {}).items()}


def _check_hours(instance: Any, attribute: Any, value: dict[Channel, OpeningHours]) -> None:
    for channel, hours in value.items():
        if not isinstance(hours, OpeningHours):
            raise ConfigError(f"hours[{channel.value!r}] must be an OpeningHours, got {hours!r}")
    if value and instance.epoch is None:
        raise ConfigError(
            f"hours for {', '.join(sorted(c.value for c in value))} need an epoch (the moment of now=0), got None"
        )


def _check_predictor(instance: Any, attribute: Any, value: str) -> None:
    if value not in PREDICTORS:
        names = ", ".join(PREDICTORS)
        raise ConfigError(f"wait_predictor must be one of {names}, got {value!r}")


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
        answer_window: How many recent observations per target (and channel) the wait estimates follow:
            each new answer or abandonment weighs 1, and the older ones ``1 - 1/answer_window`` as much.
        wait_predictor: The predictor ``expected_wait`` and ``quote_wait`` use by default:
            ``queue-length-channel`` (the default), ``queue-length``, ``les`` or ``hol`` (see
            :mod:`routekit.router.estimate`).
        offers_per_agent: How many offers an agent may hold pending at once, each in a free slot of a
            non-exclusive channel (TaskRouter's multitasking reservations, Azure's ``maxConcurrentOffers``):
            a chat agent with three free slots gets up to three offers at once. An offer on an exclusive
            channel is still made only to an agent with no other work. Default 1: one offer at a time.
        live_statistics: Whether the router keeps the counts ``Router.statistics()`` reads. On by default;
            the simulator turns them off, since a simulated day reads none of them and they cost about a
            tenth of a simulated contact.
        queue_limits: The most contacts that may wait in one queue, keyed by a target's rule
            (``"skills:billing>=3"``, ``"team:vip"``) or by a channel name (``"voice"``: every queue on that
            channel without a rule of its own). Contacts being offered do not count. A contact that would
            wait in a full queue is denied at submit (``Denied(reason="queue-full")``) and a transfer into
            one is refused; a contact already in routing (a rejected or expired offer, a stage change, a
            reply turn) is never turned away. A rule key is read first, then the channel's.
        queue_fallback: Channel to the channel a contact denied by a full queue is pointed to
            (``{"voice": "messaging"}``), carried as the ``Denied`` event's ``fallback``.
        epoch: The moment the router's ``now=0`` stands for, as a timezone-aware ``datetime`` or a UNIX
            timestamp (kept as the timestamp): what places the router's seconds on opening hours.
        hours: Opening hours per channel (:class:`~routekit.models.hours.OpeningHours`); needs ``epoch``.
            A channel without hours is always open. See ``docs/how-to/set-opening-hours.md``.
        exception_rules: :class:`ExceptionRule` lists keyed by a target's rule or a channel name, read as
            ``queue_limits`` is (a rule key first, else the channel's). Rule names are unique. See
            :mod:`routekit.router.exception_rules` and ``docs/how-to/route-exceptions.md``.

    >>> RouterSettings(reoffer_delay=10).reoffer_delay
    10
    >>> RouterSettings(retention=-1)
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: retention must be a finite number of seconds >= 0, got -1
    >>> RouterSettings(queue_limits={"voice": 20, "team:vip": 0}).queue_limits
    {'voice': 20, 'team:vip': 0}
    >>> RouterSettings(queue_limits={"voice": -1})
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: queue_limits['voice'] must be a whole number of contacts >= 0, got -1
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
    wait_predictor: str = attrs.field(default=DEFAULT_PREDICTOR, validator=_check_predictor)
    live_statistics: bool = attrs.field(default=True, validator=_check_flag)
    queue_limits: dict[str, int] = attrs.field(factory=dict, converter=_queue_limits, validator=_check_queue_limits)
    queue_fallback: dict[Channel, Channel] = attrs.field(
        factory=dict, converter=_queue_fallback, validator=_check_queue_fallback
    )
    epoch: float | None = attrs.field(default=None, converter=_epoch, validator=_check_epoch)
    hours: dict[Channel, OpeningHours] = attrs.field(factory=dict, converter=_hours, validator=_check_hours)
    offers_per_agent: int = attrs.field(default=1, validator=_check_offers_per_agent)
    exception_rules: dict[str, tuple[ExceptionRule, ...]] = attrs.field(
        factory=dict, converter=_exception_rules, validator=_check_exception_rules
    )
