"""The events' slot-setting ``__init__`` builds exactly what attrs' own ``__init__`` builds."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_events import events_of

from routekit import Channel
from routekit._slot_init import slot_builder, with_slot_init
from routekit.events import EVENT_TYPES, ContactQueued, Denied


def attrs_twin(cls: type) -> type:
    """The same record as ``cls``, with the ``__init__`` attrs generates."""
    fields = {
        f.name: attrs.field(default=f.default, converter=f.converter, eq=f.eq) for f in attrs.fields(cls)
    }
    return attrs.make_class(cls.__name__, fields, frozen=True, kw_only=True)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@given(data=st.data())
def test_every_event_is_built_as_attrs_builds_it(name: str, data: st.DataObject) -> None:
    """The same keywords give the same field values through either ``__init__``."""
    cls = EVENT_TYPES[name]
    event = data.draw(events_of(cls))
    given_fields = attrs.asdict(event, recurse=False)
    assert attrs.astuple(attrs_twin(cls)(**given_fields), recurse=False) == attrs.astuple(event, recurse=False)


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@given(data=st.data())
def test_every_event_is_built_positionally_as_by_keywords(name: str, data: st.DataObject) -> None:
    """The router's positional builder, given the fields in order, makes an event equal field for field."""
    cls = EVENT_TYPES[name]
    event = data.draw(events_of(cls))
    built = slot_builder(cls)(*attrs.astuple(event, recurse=False))
    assert type(event) is type(built)
    assert attrs.astuple(event, recurse=False) == attrs.astuple(built, recurse=False)
    assert event == built


def test_a_builder_takes_every_field_and_no_keyword_it_does_not_know() -> None:
    """No defaults: a missing field is refused, as is a name that is not a field."""
    build = slot_builder(Denied)
    with pytest.raises(TypeError):
        build(0.0, "c", Channel.VOICE, "gold", "gated", "r")
    with pytest.raises(TypeError):
        build(0.0, "c", Channel.VOICE, "gold", "gated", "r", None, colour=1)


def test_converters_and_defaults_apply() -> None:
    """A channel given by name becomes a Channel; an omitted field with a default takes it."""
    queued = ContactQueued(
        at=0.0, contact_id="c", channel="chat", tier="gold", arrived_at=0.0, stage=0, rule="r", priority=0
    )
    assert queued.channel is Channel.CHAT
    denied = Denied(at=0.0, contact_id="c", channel="voice", tier="gold", reason="gated", rule="r")
    assert denied.fallback is None
    assert attrs.evolve(denied, fallback="chat").fallback is Channel.CHAT


def test_a_missing_or_unknown_keyword_is_refused_like_attrs() -> None:
    """The signature is attrs' own: keyword-only, every field without a default required."""
    with pytest.raises(TypeError, match="contact_id"):
        Denied(at=0.0, channel="voice", tier="gold", reason="gated", rule="r")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="colour"):
        Denied(at=0.0, contact_id="c", channel="voice", tier="g", reason="x", rule="r", colour=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Denied(0.0, "c", "voice", "gold", "gated", "r")  # type: ignore[misc]


@pytest.mark.parametrize(
    "field",
    [
        attrs.field(validator=attrs.validators.instance_of(int)),
        attrs.field(factory=list),
        attrs.field(init=False, default=0),
        attrs.field(converter=attrs.Converter(int)),
    ],
    ids=["validator", "factory", "no-init", "converter-object"],
)
def test_a_record_it_could_not_build_faithfully_is_refused(field: Any) -> None:
    """Validators, factories, fields outside ``__init__`` and converter objects are left to attrs."""
    cls = attrs.make_class("Record", {"x": field}, frozen=True, kw_only=True)
    with pytest.raises(TypeError, match=r"Record\.x"):
        with_slot_init(cls)
    with pytest.raises(TypeError, match=r"Record\.x"):
        slot_builder(cls)


def test_a_post_init_hook_is_refused() -> None:
    """A hook that attrs would call after setting the fields would be skipped, so it is refused."""

    @attrs.frozen(kw_only=True)
    class Record:
        x: int

        def __attrs_post_init__(self) -> None:
            pass

    with pytest.raises(TypeError, match="hook"):
        with_slot_init(Record)
