"""The events the router returns: frozen, keyword-only records with ``at`` first, carrying ids only.

A platform acts on them (ring the agent, tell the customer the wait), and the metrics and the simulator
consume the very same stream. Each converts to a plain dict and back, for logs, snapshots and replay:

>>> event = Offered(at=12.0, contact_id="c-1", agent_id="a-1", stage=0, rule="skills:billing>=3",
...                 selection="longest-idle", expires_at=32.0)
>>> event_to_dict(event)["type"]
'Offered'
>>> event_from_dict(event_to_dict(event)) == event
True
"""

from __future__ import annotations

from typing import Any

import attrs

from routekit._slot_init import with_slot_init
from routekit.errors import UnknownIdError
from routekit.models.agent import AgentStatus
from routekit.models.channel import Channel

__all__ = [
    "EVENT_TYPES",
    "Abandoned",
    "AgentStatusChanged",
    "Assigned",
    "AwaitingCustomer",
    "Completed",
    "ContactQueued",
    "ConversationClosed",
    "CustomerReplied",
    "Denied",
    "Event",
    "ExceptionFired",
    "OfferExpired",
    "OfferRejected",
    "OfferRescinded",
    "Offered",
    "Parked",
    "Reprioritized",
    "Resumed",
    "StageChanged",
    "Transferred",
    "WrapUpEnded",
    "event_from_dict",
    "event_to_dict",
]


def _optional_channel(value: Channel | str | None) -> Channel | None:
    return None if value is None else _channel(value)


def _channel(value: Channel | str) -> Channel:
    # Events are built on the router's hot path with a Channel already in hand; skip the enum lookup then.
    return value if type(value) is Channel else Channel(value)


def _status(value: AgentStatus | str) -> AgentStatus:
    return value if type(value) is AgentStatus else AgentStatus(value)


@attrs.frozen(kw_only=True)
class ContactQueued:
    """A contact entered routing (or re-entered it with a new plan) and waits at its first stage.

    It carries the contact's channel, tier and service-level clock start (``arrived_at``: the original
    arrival, or the customer's reply for a conversation turn), so that KPIs need only the stream.
    """

    at: float
    contact_id: str
    channel: Channel = attrs.field(converter=_channel)
    tier: str
    arrived_at: float
    stage: int
    rule: str
    priority: int


@attrs.frozen(kw_only=True)
class Offered:
    """The router offered a contact to an agent; the slot is reserved until the offer ends."""

    at: float
    contact_id: str
    agent_id: str
    stage: int
    rule: str
    selection: str
    expires_at: float


@attrs.frozen(kw_only=True)
class OfferRejected:
    """The agent rejected the offer; the contact is back at its place in the queue."""

    at: float
    contact_id: str
    agent_id: str


@attrs.frozen(kw_only=True)
class OfferExpired:
    """The agent let the offer ring out; the contact is back at its place in the queue."""

    at: float
    contact_id: str
    agent_id: str


@attrs.frozen(kw_only=True)
class OfferRescinded:
    """The router withdrew an offer: the customer left, or the agent went away or offline."""

    at: float
    contact_id: str
    agent_id: str
    reason: str


@attrs.frozen(kw_only=True)
class Assigned:
    """The agent accepted; the contact is theirs. ``waited`` counts from the service-level clock start."""

    at: float
    contact_id: str
    agent_id: str
    waited: float


@attrs.frozen(kw_only=True)
class Completed:
    """The agent finished the contact; its slot stays busy in wrap-up until ``wrap_up_until``."""

    at: float
    contact_id: str
    agent_id: str
    wrap_up_until: float


@attrs.frozen(kw_only=True)
class WrapUpEnded:
    """The agent's wrap-up after a contact ended; the slot is free again."""

    at: float
    agent_id: str
    contact_id: str


@attrs.frozen(kw_only=True)
class Abandoned:
    """The customer left before being served (terminal)."""

    at: float
    contact_id: str


@attrs.frozen(kw_only=True)
class StageChanged:
    """A contact moved to the next, wider stage of its plan."""

    at: float
    contact_id: str
    stage: int
    rule: str


@attrs.frozen(kw_only=True)
class ExceptionFired:
    """An exception rule fired for a contact (see ``RouterSettings.exception_rules``).

    ``rule`` is the rule's name, ``trigger`` and ``action`` what it watched and did, ``stage`` the stage the
    contact was at when it fired. The action's own events follow: ``StageChanged`` (next stage, overflow),
    ``Reprioritized`` (raise priority) or ``Denied`` (deny).
    """

    at: float
    contact_id: str
    rule: str
    trigger: str
    action: str
    stage: int


@attrs.frozen(kw_only=True, repr=False)
class Denied:
    """The contact was refused (terminal): gated by tier (with a fallback channel), unroutable, or closed.

    ``reopens_at`` is set only for ``reason="closed"``: when the channel opens again, in the router's
    seconds (``None`` when its opening hours never open it again). It is left out of the repr and of
    :func:`event_to_dict` when ``None``, so every other denial reads as it always has.
    """

    at: float
    contact_id: str
    channel: Channel = attrs.field(converter=_channel)
    tier: str
    reason: str
    rule: str
    fallback: Channel | None = attrs.field(default=None, converter=_optional_channel)
    reopens_at: float | None = attrs.field(default=None, metadata={"omit_none": True})

    def __repr__(self) -> str:
        fields = [f"{f.name}={getattr(self, f.name)!r}" for f in attrs.fields(Denied) if _shown(self, f)]
        return f"Denied({', '.join(fields)})"


def _shown(event: Any, field: Any) -> bool:
    """Whether a field appears in an event's repr and dict: an optional one marked ``omit_none`` only when set."""
    return not field.metadata.get("omit_none") or getattr(event, field.name) is not None


@attrs.frozen(kw_only=True)
class AwaitingCustomer:
    """The agent answered an asynchronous turn; the slot is held until ``hold_until`` for a reply."""

    at: float
    contact_id: str
    conversation_id: str
    agent_id: str
    hold_until: float


@attrs.frozen(kw_only=True)
class Parked:
    """A conversation's hold ran out (or its agent went offline); the agent's slot is free."""

    at: float
    conversation_id: str
    contact_id: str
    agent_id: str


@attrs.frozen(kw_only=True)
class Resumed:
    """The customer replied to a parked conversation; ``contact_id`` is the new turn."""

    at: float
    conversation_id: str
    contact_id: str
    last_agent_id: str | None


@attrs.frozen(kw_only=True)
class CustomerReplied:
    """The customer replied while the conversation was held, waiting, offered or assigned."""

    at: float
    conversation_id: str
    contact_id: str


@attrs.frozen(kw_only=True)
class ConversationClosed:
    """A conversation ended: completed, abandoned, or its park time ran out (terminal)."""

    at: float
    conversation_id: str
    reason: str


@attrs.frozen(kw_only=True)
class Reprioritized:
    """A waiting contact's priority changed; its place in the queue follows."""

    at: float
    contact_id: str
    priority: int


@attrs.frozen(kw_only=True)
class Transferred:
    """An assigned contact went back into routing with a new plan; the agent's slot is freed."""

    at: float
    contact_id: str
    agent_id: str


@attrs.frozen(kw_only=True)
class AgentStatusChanged:
    """An agent's presence changed (added, status set, removed)."""

    at: float
    agent_id: str
    status: AgentStatus = attrs.field(converter=_status)


Event = (
    ContactQueued
    | Offered
    | OfferRejected
    | OfferExpired
    | OfferRescinded
    | Assigned
    | Completed
    | WrapUpEnded
    | Abandoned
    | StageChanged
    | Denied
    | ExceptionFired
    | AwaitingCustomer
    | Parked
    | Resumed
    | CustomerReplied
    | ConversationClosed
    | Reprioritized
    | Transferred
    | AgentStatusChanged
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        ContactQueued,
        Offered,
        OfferRejected,
        OfferExpired,
        OfferRescinded,
        Assigned,
        Completed,
        WrapUpEnded,
        Abandoned,
        StageChanged,
        Denied,
        ExceptionFired,
        AwaitingCustomer,
        Parked,
        Resumed,
        CustomerReplied,
        ConversationClosed,
        Reprioritized,
        Transferred,
        AgentStatusChanged,
    )
}

# The router builds three to four events per contact: set their slots directly (see _slot_init).
for _event_type in EVENT_TYPES.values():
    with_slot_init(_event_type)


def event_to_dict(event: Event) -> dict[str, Any]:
    """A plain, JSON-able dict of an event, with its type name under ``"type"``."""
    data: dict[str, Any] = {"type": type(event).__name__}
    for field in attrs.fields(type(event)):
        if not _shown(event, field):
            continue
        value = getattr(event, field.name)
        data[field.name] = value.value if isinstance(value, Channel | AgentStatus) else value
    return data


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from :func:`event_to_dict`'s output.

    Raises:
        UnknownIdError: ``data["type"]`` names no event.
    """
    fields = dict(data)
    name = fields.pop("type", None)
    try:
        cls = EVENT_TYPES[name]
    except KeyError:
        raise UnknownIdError(f"unknown event type {name!r}") from None
    return cls(**fields)
