"""Plain-data codecs of the durable router: its commands, its events, and the description of a policy.

A command is a JSON array, ``[name, *arguments, now]``, with agents, contacts, targets and plans as plain
dicts; events are JSON arrays, ``[type, *fields]`` in field order, compact on disk and cheap to write.
The router's snapshot has codecs of its own, but they are private to the router; these cover the
arguments of the public calls only.

>>> import routekit as rk
>>> contact = rk.Contact(id="c-1", customer=rk.Customer(id="u-1"), channel="voice", skills={"billing": 3})
>>> text = with_now(encode_head(["submit", contact_to_data(contact)]), 12.0)
>>> name, args, now = decode_command(text)
>>> (name, args[0] == contact, now)
('submit', True, 12.0)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

import attrs

from routekit.errors import UnknownIdError
from routekit.events import EVENT_TYPES, Event
from routekit.models.agent import AgentStatus
from routekit.policies.base import Plan, Target

# The records' plain-data codecs are the snapshot's: one definition for the snapshot and the journal.
from routekit.router.snapshot import (
    agent_from_data,
    agent_to_data,
    contact_from_data,
    contact_to_data,
    stage_from_data,
    stage_to_data,
    target_from_data,
    target_to_data,
)

__all__ = [
    "agent_from_data",
    "agent_to_data",
    "command_from_data",
    "contact_from_data",
    "contact_to_data",
    "decode_command",
    "decode_commands",
    "decode_events",
    "describe",
    "digest",
    "encode_events",
    "encode_head",
    "route_from_data",
    "route_to_data",
    "with_now",
]


_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"), allow_nan=False).encode


def route_to_data(route: Target | Plan | None) -> dict[str, Any] | None:
    """A transfer's destination (a target, a plan, or ``None`` for the policy's plan) as plain data."""
    if route is None:
        return None
    if isinstance(route, Target):
        return {"target": target_to_data(route)}
    return {"plan": [stage_to_data(stage) for stage in route.stages]}


def route_from_data(data: Mapping[str, Any] | None) -> Target | Plan | None:
    """The destination :func:`route_to_data` wrote."""
    if data is None:
        return None
    if "target" in data:
        return target_from_data(data["target"])
    return Plan([stage_from_data(stage) for stage in data["plan"]])


def encode_head(head: list[Any]) -> str:
    """The JSON text of a command's name and arguments, without its time.

    It is written before the router is called, so that an argument that is not plain data is refused
    before anything changes; :func:`with_now` adds the time once the call is made.

    Raises:
        TypeError: An argument (a contact's context, a customer's attributes) is not plain JSON data.
        ValueError: An argument holds a number JSON cannot write (NaN or infinity).
    """
    return _dumps(head)


def with_now(head_text: str, now: float) -> str:
    """The command text of :func:`encode_head`'s output, made at ``now``."""
    return f"{head_text[:-1]},{now!r}]"


def decode_command(text: str) -> tuple[str, list[Any], float]:
    """A command's name, its arguments rebuilt as routekit objects, and its time.

    Raises:
        ValueError: The text is not a command this codec wrote.
    """
    return command_from_data(json.loads(text))


def decode_commands(texts: Sequence[str]) -> list[tuple[str, list[Any], float]]:
    """:func:`decode_command` of each text, parsed as one JSON document (recovery reads thousands).

    Raises:
        ValueError: A text is not a command this codec wrote.
    """
    return [command_from_data(data) for data in json.loads(f"[{','.join(texts)}]")]


def command_from_data(data: list[Any]) -> tuple[str, list[Any], float]:
    """A parsed command's name, its arguments rebuilt as routekit objects, and its time.

    Raises:
        ValueError: The data is not a command this codec wrote.
    """
    name, *args, now = data
    if name in ("add_agent", "update_agent"):
        args[0] = agent_from_data(args[0])
        if name == "add_agent":
            args[1] = AgentStatus(args[1])
    elif name == "submit":
        args[0] = contact_from_data(args[0])
    elif name == "set_status":
        args[1] = AgentStatus(args[1])
    elif name == "transfer":
        args[1] = route_from_data(args[1])
    elif name not in _PLAIN_COMMANDS:
        raise ValueError(f"unknown command {name!r}")
    return name, args, float(now)


_PLAIN_COMMANDS = frozenset(
    {
        "advance",
        "remove_agent",
        "end_wrap_up",
        "accept",
        "reject",
        "complete",
        "abandon",
        "reprioritize",
        "await_customer",
        "customer_replied",
    }
)

# Each event type's field names, in order: an event is written as [type, *values] with no keys. Channel
# and AgentStatus are str enums, which JSON writes as their values.
_FIELDS: dict[str, tuple[str, ...]] = {
    name: tuple(field.name for field in attrs.fields(cls)) for name, cls in EVENT_TYPES.items()
}
_ROWS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    cls: operator.attrgetter(*_FIELDS[name]) for name, cls in EVENT_TYPES.items()
}
_NAMES = {cls: name for name, cls in EVENT_TYPES.items()}


def encode_events(events: Sequence[Event]) -> str:
    """The JSON text of a list of events: each ``[type, *fields]``."""
    rows, names = _ROWS, _NAMES
    return _dumps([(names[type(event)], *rows[type(event)](event)) for event in events])


def decode_events(text: str) -> list[Event]:
    """The events :func:`encode_events` wrote.

    Raises:
        UnknownIdError: A row names no event type.
    """
    events = []
    for name, *values in json.loads(text):
        cls = EVENT_TYPES.get(name)
        if cls is None:
            raise UnknownIdError(f"unknown event type {name!r}")
        events.append(cls(**dict(zip(_FIELDS[name], values, strict=True))))
    return events


def digest(events_text: str) -> str:
    """A short digest of :func:`encode_events`' text: recovery compares it with the replayed events'."""
    return hashlib.blake2b(events_text.encode(), digest_size=12).hexdigest()


def describe(value: Any) -> Any:
    """A plain-data description of a policy, settings or any value built of attrs classes: name and parameters.

    An attrs instance is its class's name (qualified by its module outside routekit) with its public
    fields (under their ``__init__`` names), a function is its name, a mapping is sorted pairs and a
    set is sorted. Private
    fields (caches, such as a policy's plans) and fields left out of equality (a selection's key
    function, named by the selection's name) are left out: objects that compare equal have equal
    descriptions, in any process.

    >>> import routekit as rk
    >>> describe(rk.policies.Skills(relax=[(30, 1)]))
    {'type': 'Skills', 'relax': [[30, 1]], 'skip_if': None}
    """
    if isinstance(value, Enum):
        return describe(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dt.date):  # an opening-hours holiday: without this it would describe as its bare type
        return value.isoformat()
    if attrs.has(type(value)):
        cls = type(value)
        data: dict[str, Any] = {"type": _name(cls)}
        for field in attrs.fields(cls):
            if field.eq and not field.name.startswith("_"):
                data[field.alias or field.name] = describe(getattr(value, field.name))
        return data
    if isinstance(value, Mapping):
        return sorted(([describe(k), describe(v)] for k, v in value.items()), key=_dumps)
    if isinstance(value, set | frozenset):
        return sorted((describe(v) for v in value), key=_dumps)
    if isinstance(value, list | tuple):
        return [describe(v) for v in value]
    if callable(value) and hasattr(value, "__qualname__"):
        return _name(value)
    public = {k: describe(v) for k, v in sorted(getattr(value, "__dict__", {}).items()) if not k.startswith("_")}
    return {"type": _name(type(value)), **public}


def _name(thing: Any) -> str:
    # routekit's own classes go by their public name, so that moving one between private modules does
    # not make every store written before refuse its policy.
    if thing.__module__.split(".")[0] == "routekit":
        return str(thing.__qualname__)
    return f"{thing.__module__}.{thing.__qualname__}"
