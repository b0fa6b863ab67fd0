"""Sticky agent with timeout fallback, for asynchronous messaging.

While the customer is expected to reply soon, the conversation's slot stays with its agent (``hold``);
after that it is parked and the agent freed. When the customer replies, the new turn's first stage targets
the last agent for ``window`` seconds, then falls back to the wrapped policy's plan.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from routekit.errors import ConfigError
from routekit.models.contact import Contact
from routekit.policies.base import Denial, Hold, Plan, RoutingPolicy, Stage, Target

__all__ = ["Sticky"]


def _seconds(instance: Any, attribute: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        name = attribute.alias or attribute.name
        raise ConfigError(f"Sticky.{name} must be a finite number of seconds >= 0, got {value!r}")


@attrs.frozen
class Sticky:
    """Keep a conversation with its agent: hold the slot, then park; on a reply, the last agent first.

    Args:
        hold: Seconds the agent's slot stays held after they answer, waiting for the reply.
        window: Seconds a reply turn waits for the last agent before the wrapped plan applies
            (0: no sticky stage).
        park_ttl: Seconds a parked conversation stays open for a reply.
        then: The wrapped policy.

    >>> from routekit.models import Contact, Customer
    >>> from routekit.policies import Skills
    >>> sticky = Sticky(hold=120, window=300, then=Skills())
    >>> turn = Contact(id="m#2", customer=Customer(id="u"), channel="messaging", served_by=("a-7",))
    >>> [(stage.target.rule, stage.timeout) for stage in sticky.plan(turn, 0.0).stages]
    [('sticky:last-agent', 300.0), ('skills:any', None)]
    """

    hold_seconds: float = attrs.field(validator=_seconds, alias="hold")
    window: float = attrs.field(validator=_seconds)
    park_ttl: float = attrs.field(default=86400.0, validator=_seconds, kw_only=True)
    then: RoutingPolicy = attrs.field(kw_only=True)

    def plan(self, contact: Contact, now: float) -> Plan | Denial:
        """The wrapped plan, led by a stage for the agent who served the conversation last."""
        inner = self.then.plan(contact, now)
        if isinstance(inner, Denial) or not contact.served_by or self.window <= 0:
            return inner
        first = inner.stages[0]
        target = Target(channel=contact.channel, agent=contact.served_by[-1], rule="sticky:last-agent")
        return Plan([Stage(target=target, timeout=float(self.window), boost=first.boost), *inner.stages])

    def hold(self, contact: Contact) -> Hold | None:
        """Hold the slot ``hold`` seconds; keep a parked conversation ``park_ttl`` seconds."""
        return Hold(hold=float(self.hold_seconds), park_ttl=float(self.park_ttl))
