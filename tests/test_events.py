"""Events are frozen plain data: every type converts to a dict and back to an equal event."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from routekit import AgentStatus, Channel, UnknownIdError
from routekit.events import EVENT_TYPES, Offered, event_from_dict, event_to_dict

VALUES: dict[str, Any] = {
    "at": st.floats(0, 1e7, allow_nan=False),
    "contact_id": st.text(min_size=1, max_size=8),
    "agent_id": st.text(min_size=1, max_size=8),
    "conversation_id": st.text(min_size=1, max_size=8),
    "last_agent_id": st.none() | st.text(min_size=1, max_size=8),
    "channel": st.sampled_from(list(Channel)),
    "fallback": st.none() | st.sampled_from(list(Channel)),
    "status": st.sampled_from(list(AgentStatus)),
    "tier": st.sampled_from(["standard", "gold"]),
    "stage": st.integers(0, 5),
    "priority": st.integers(-3, 3),
}
TEXT = st.text(max_size=12)
NUMBER = st.floats(0, 1e7, allow_nan=False)


def events_of(cls: type) -> st.SearchStrategy[Any]:
    fields = {}
    for field in attrs.fields(cls):
        if field.name in VALUES:
            fields[field.name] = VALUES[field.name]
        elif field.type in ("float", float):
            fields[field.name] = NUMBER
        else:
            fields[field.name] = TEXT
    return st.builds(cls, **fields)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@given(data=st.data())
def test_every_event_round_trips_through_a_dict(name: str, data: st.DataObject) -> None:
    """An event turned into a dict, through JSON, and back, equals itself."""
    event = data.draw(events_of(EVENT_TYPES[name]))
    plain = json.loads(json.dumps(event_to_dict(event)))
    assert name == plain["type"]
    assert event == event_from_dict(plain)


def test_twenty_event_types_are_known() -> None:
    """The event vocabulary of DESIGN.md is complete, with ExceptionFired (#22) added."""
    expected = {
        "ContactQueued", "Offered", "OfferRejected", "OfferExpired", "OfferRescinded", "Assigned", "Completed",
        "WrapUpEnded", "Abandoned", "StageChanged", "Denied", "AwaitingCustomer", "Parked", "Resumed",
        "CustomerReplied", "ConversationClosed", "Reprioritized", "Transferred", "AgentStatusChanged",
        "ExceptionFired",
    }  # fmt: skip
    assert expected == set(EVENT_TYPES)


def test_events_are_frozen_and_carry_at_first() -> None:
    """An event cannot be changed, and its first field is its time."""
    event = Offered(at=1.0, contact_id="c", agent_id="a", stage=0, rule="r", selection="s", expires_at=21.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.at = 2.0  # type: ignore[misc]
    for cls in EVENT_TYPES.values():
        assert "at" == attrs.fields(cls)[0].name


def test_an_unknown_type_is_refused() -> None:
    """A dict naming no event type is refused with the name."""
    with pytest.raises(UnknownIdError, match="'Teleported'"):
        event_from_dict({"type": "Teleported", "at": 0.0})
