"""Contacts (one customer request on one channel) and conversations (a chain of asynchronous turns)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from routekit.models._checks import check_id, check_int, check_levels, check_time
from routekit.models._frozen import EMPTY, FrozenDict
from routekit.models.channel import Channel, to_channel
from routekit.models.customer import Customer


def _levels(value: Mapping[str, int] | None) -> dict[str, int]:
    return FrozenDict(value or {})


def _context(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return FrozenDict(value or {})


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _optional_id(instance: Any, attribute: Any, value: str | None) -> None:
    if value is not None:
        check_id(instance, attribute, value)


@attrs.frozen(kw_only=True)
class Contact:
    """One customer request on one channel.

    Args:
        id: A unique, non-empty id.
        customer: Who is asking; their tier and attributes travel with the contact.
        channel: The channel it arrived on.
        skills: Skill name to the minimum proficiency required (1..5).
        priority: Higher is served first.
        arrived_at: The original arrival time, which orders the queue and starts the service-level
            clock; ``None`` means the time it is submitted.
        head_start: Seconds the contact is ordered ahead of its arrival time in its queue.
        context: Data the agent sees with the offer (bot transcript, CRM facts).
        conversation_id: The conversation this contact is a turn of; ``None`` means its own id.
        served_by: The agents who served earlier turns of its conversation, oldest first; the router fills
            it for a reply turn, and a sticky policy targets the last of them.

    >>> c = Contact(id="c-1", customer=Customer(id="u-1"), channel="voice", skills={"billing": 3})
    >>> c.channel, c.skills
    (<Channel.VOICE: 'voice'>, {'billing': 3})
    """

    id: str = attrs.field(validator=check_id)
    customer: Customer = attrs.field(validator=attrs.validators.instance_of(Customer))
    channel: Channel = attrs.field(converter=to_channel)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_levels, validator=check_levels, hash=False)
    priority: int = attrs.field(default=0, validator=check_int)
    arrived_at: float | None = attrs.field(default=None, validator=check_time)
    head_start: float = attrs.field(default=0.0, validator=check_time)
    context: dict[str, Any] = attrs.field(factory=dict, converter=_context, hash=False)
    conversation_id: str | None = attrs.field(default=None, validator=_optional_id)
    served_by: tuple[str, ...] = attrs.field(default=(), converter=_ids)

    @property
    def conversation(self) -> str:
        """The id of the conversation this contact belongs to (its own id for a first turn)."""
        return self.conversation_id if self.conversation_id is not None else self.id


def trusted_contact(
    id: str,
    customer: Customer,
    channel: Channel,
    skills: dict[str, int],
    priority: int,
    head_start: float,
    arrived_at: float,
) -> Contact:
    """A :class:`Contact` built without its validators and converters, from values checked before.

    For a caller that makes many contacts from a few validated records (the simulator builds one per
    arrival from a scenario's stream); ``skills`` is shared, not copied, so it must not be changed
    afterwards. Anything else builds contacts with ``Contact(...)``. It takes its arguments by position too,
    which on the simulator's hot path costs less than by keyword.
    """
    contact = _new(Contact)
    _SET_ID(contact, id)
    _SET_CUSTOMER(contact, customer)
    _SET_CHANNEL(contact, channel)
    # A scenario's skills are frozen once, when it is read; anything else is frozen here.
    _SET_SKILLS(contact, skills if type(skills) is FrozenDict else FrozenDict(skills))
    _SET_PRIORITY(contact, priority)
    _SET_ARRIVED_AT(contact, arrived_at)
    _SET_HEAD_START(contact, head_start)
    _SET_CONTEXT(contact, EMPTY)
    _SET_CONVERSATION_ID(contact, None)
    _SET_SERVED_BY(contact, ())
    return contact


# The slots' own setters: they skip the frozen class's __setattr__ (which refuses) and its lookup.
_new = object.__new__
_SLOT_SETTERS = {field.name: Contact.__dict__[field.name].__set__ for field in attrs.fields(Contact)}
_SET_ID = _SLOT_SETTERS["id"]
_SET_CUSTOMER = _SLOT_SETTERS["customer"]
_SET_CHANNEL = _SLOT_SETTERS["channel"]
_SET_SKILLS = _SLOT_SETTERS["skills"]
_SET_PRIORITY = _SLOT_SETTERS["priority"]
_SET_ARRIVED_AT = _SLOT_SETTERS["arrived_at"]
_SET_HEAD_START = _SLOT_SETTERS["head_start"]
_SET_CONTEXT = _SLOT_SETTERS["context"]
_SET_CONVERSATION_ID = _SLOT_SETTERS["conversation_id"]
_SET_SERVED_BY = _SLOT_SETTERS["served_by"]


@attrs.frozen(kw_only=True)
class Conversation:
    """An asynchronous conversation: its turns, the agents who served it, and its shared context.

    The router keeps one per conversation on a channel whose policy holds slots; the platform reads
    it when it shows an offer, so that nobody asks the customer twice.
    """

    id: str = attrs.field(validator=check_id)
    customer: Customer = attrs.field(validator=attrs.validators.instance_of(Customer))
    channel: Channel = attrs.field(converter=to_channel)
    turns: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    agents: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    context: dict[str, Any] = attrs.field(factory=dict, converter=_context, hash=False)

    @property
    def last_agent(self) -> str | None:
        """The agent who served the latest turn, if any did."""
        return self.agents[-1] if self.agents else None
