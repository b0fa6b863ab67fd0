"""Every validator of the domain records refuses its bad value with a message naming the field and value."""

from __future__ import annotations

import math
from typing import Any

import pytest

import routekit as rk
from routekit import Agent, Channel, ConfigError, Contact, Conversation, Customer, Tiers, UnknownIdError
from routekit.models.contact import trusted_contact

CUSTOMER = Customer(id="u-1")


def contact(**fields: Any) -> Contact:
    return Contact(**{"id": "c-1", "customer": CUSTOMER, "channel": "voice", **fields})


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: Agent(id=""), "Agent.id must be a non-empty string, got ''"),
        (lambda: Agent(id=7), "Agent.id must be a non-empty string, got 7"),  # type: ignore[arg-type]
        (lambda: Agent(id="a", skills={"billing": 0}), "Agent.skills['billing']: level must be an integer 1..5, got 0"),
        (lambda: Agent(id="a", skills={"billing": 6}), "Agent.skills['billing']: level must be an integer 1..5, got 6"),
        (
            lambda: Agent(id="a", skills={"billing": 2.5}),
            "Agent.skills['billing']: level must be an integer 1..5, got 2.5",
        ),
        (lambda: Agent(id="a", skills={"": 2}), "Agent.skills has an empty skill name: ''"),
        (lambda: Agent(id="a", capacity={"chat": -1}), "Agent.capacity['chat'] must be an integer >= 0, got -1"),
        (lambda: Agent(id="a", capacity={"fax": 1}), "unknown channel 'fax'"),
        (
            lambda: Agent(id="a", wrap_up={"voice": -5}),
            "Agent.wrap_up['voice'] must be a finite number of seconds >= 0, got -5",
        ),
        (lambda: Agent(id="a", wrap_up={"voice": math.nan}), "Agent.wrap_up['voice'] must be a finite number"),
        (lambda: Agent(id="a", teams="vip"), "Agent.teams must be a set of team names, got the string 'vip'"),
        (lambda: Agent(id="a", teams={""}), "Agent.teams has an empty or non-string team name: ''"),
        (lambda: Customer(id=""), "Customer.id must be a non-empty string, got ''"),
        (lambda: Customer(id="u", tier=""), "Customer.tier must be a non-empty string, got ''"),
        (lambda: contact(id=""), "Contact.id must be a non-empty string, got ''"),
        (lambda: contact(channel="pager"), "unknown channel 'pager'"),
        (lambda: contact(skills={"billing": 9}), "Contact.skills['billing']: level must be an integer 1..5, got 9"),
        (lambda: contact(priority=1.5), "Contact.priority must be an integer, got 1.5"),
        (lambda: contact(priority=True), "Contact.priority must be an integer, got True"),
        (lambda: contact(arrived_at=-1.0), "Contact.arrived_at must be a finite number >= 0, got -1.0"),
        (lambda: contact(arrived_at=math.nan), "Contact.arrived_at must be a finite number >= 0, got nan"),
        (lambda: contact(head_start=-90.0), "Contact.head_start must be a finite number >= 0, got -90.0"),
        (lambda: contact(head_start=math.inf), "Contact.head_start must be a finite number >= 0, got inf"),
        (lambda: contact(conversation_id=""), "Contact.conversation_id must be a non-empty string, got ''"),
        (lambda: Conversation(id="", customer=CUSTOMER, channel="messaging"), "Conversation.id must be a non-empty"),
        (lambda: Tiers([]), "Tiers needs at least one tier name"),
        (lambda: Tiers(["gold", ""]), "Tiers: a tier name must be a non-empty string, got ''"),
        (lambda: Tiers(["gold", "gold"]), "Tiers: tier 'gold' is listed twice"),
    ],
)
def test_bad_value_is_refused_naming_it(build: Any, needle: str) -> None:
    """The record is not built, and the message names the field and the value."""
    with pytest.raises(ConfigError) as caught:
        build()
    assert needle in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_unknown_tier_name_is_a_key_error_naming_it() -> None:
    """Asking a tier set for a name it lacks raises UnknownIdError, a KeyError, naming the name."""
    tiers = Tiers(["standard", "gold"])
    with pytest.raises(UnknownIdError, match="'bronze'") as caught:
        tiers.rank("bronze")
    assert isinstance(caught.value, KeyError)


def test_tiers_compare_by_rank() -> None:
    """Tiers are ordered lowest first and compare by rank."""
    tiers = Tiers(["standard", "silver", "gold", "platinum"])
    assert tiers["gold"] > tiers["silver"]
    assert tiers.at_least("platinum", "gold")
    assert not tiers.at_least("silver", "gold")
    assert ["gold", "platinum"] == [t.name for t in tiers.from_("gold")]
    assert "gold" in tiers
    assert 4 == len(tiers)


def test_channels_know_if_they_are_synchronous_and_exclusive() -> None:
    """Voice, video and chat are synchronous; voice and video are exclusive by default."""
    assert {Channel.VOICE, Channel.VIDEO, Channel.CHAT} == {c for c in Channel if c.synchronous}
    assert {Channel.VOICE, Channel.VIDEO} == {c for c in Channel if c.exclusive}


def test_good_records_are_built_and_copy_their_mappings() -> None:
    """Valid records build; their mappings are copies, so the caller's dict can change afterwards."""
    skills = {"billing": 4}
    agent = Agent(id="a-1", skills=skills, capacity={Channel.CHAT: 3, "voice": 1}, teams=["vip"], wrap_up={"voice": 30})
    skills["billing"] = 1
    assert {"billing": 4} == agent.skills
    assert {Channel.CHAT: 3, Channel.VOICE: 1} == agent.capacity
    assert frozenset({"vip"}) == agent.teams
    assert 0 == agent.slots(Channel.VIDEO)
    assert "c-1" == contact().conversation
    assert "m-1" == contact(conversation_id="m-1").conversation
    assert rk.__version__


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (rk.UnknownIdError, KeyError),
        (rk.DuplicateIdError, ValueError),
        (rk.ClockError, ValueError),
        (rk.UnroutableContactError, ValueError),
        (rk.ConfigError, ValueError),
        (rk.ScenarioError, ValueError),
        (rk.StateError, RuntimeError),
        (rk.OfferStateError, RuntimeError),
    ],
)
def test_each_error_is_a_routekit_error_and_its_builtin(error: type[Exception], builtin: type[Exception]) -> None:
    """Every concrete error derives from RoutekitError and from the builtin a caller would catch."""
    raised = error("agent 'a-3' says no", events=["e"])  # type: ignore[call-arg]
    assert isinstance(raised, rk.RoutekitError)
    assert isinstance(raised, builtin)
    assert "agent 'a-3' says no" == str(raised)
    assert ["e"] == raised.events  # type: ignore[attr-defined]


def test_offer_state_error_is_a_state_error() -> None:
    """An answer to an offer that is not pending is a kind of state error."""
    assert issubclass(rk.OfferStateError, rk.StateError)


def test_a_trusted_contact_equals_the_validated_one() -> None:
    """trusted_contact sets every field (a new field would be missing and fail here) as Contact(...) does."""
    customer = Customer(id="u-1", tier="gold")
    fields: dict[str, Any] = {
        "id": "voice-7",
        "customer": customer,
        "channel": Channel.VOICE,
        "skills": {"billing": 3},
        "priority": 2,
        "head_start": 90.0,
        "arrived_at": 12.5,
    }
    trusted = trusted_contact(**fields)
    assert Contact(**fields) == trusted
    assert hash(Contact(**fields)) == hash(trusted)
    assert trusted.conversation == "voice-7"
    assert ({}, None, ()) == (trusted.context, trusted.conversation_id, trusted.served_by)
