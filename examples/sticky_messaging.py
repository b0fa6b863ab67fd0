"""A messaging conversation that stays with its agent, is parked, and comes back to the same agent.

**Scenario.** A standard-tier customer writes in the app's messaging channel about a late order. Amy
answers and waits for the reply: her slot is held 120 s (the built-in mobile-support policy's hold).
The customer is slow, so the conversation is parked and Amy freed. Fourteen minutes later the customer
replies: a new turn, ``m-1#2``, goes to Amy first (the sticky window is 300 s), with the whole context,
and its service-level clock starts at the reply. The customer answers once more inside the next hold,
which simply continues Amy's turn. After another park Amy goes on a break; the next reply, ``m-1#3``,
falls back to the pool at once and Bob takes it, reading the conversation's history.

**Covers.** ``rk.policies.mobile_support()`` (``Sticky`` with hold, window and park TTL),
``Router.await_customer``, ``Router.customer_replied``, ``Router.conversation``, and the
``AwaitingCustomer``, ``Parked``, ``Resumed``, ``CustomerReplied``, ``StageChanged`` and
``ConversationClosed`` events.
"""

import routekit as rk

# The story is deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 11
ANSWER_AFTER = 5.0  # seconds an agent takes to accept an offer
WRITE_FOR = 55.0  # seconds an agent spends writing an answer before awaiting the customer
CONTEXT = {"order": "A-17", "bot_transcript": "where is my order?"}
FIELDS = {
    "ContactQueued": ("contact_id", "arrived_at", "rule"),
    "Offered": ("contact_id", "agent_id", "stage", "rule", "selection"),
    "Assigned": ("contact_id", "agent_id", "waited"),
    "AwaitingCustomer": ("contact_id", "agent_id", "hold_until"),
    "Parked": ("contact_id", "agent_id"),
    "Resumed": ("contact_id", "last_agent_id"),
    "CustomerReplied": ("contact_id",),
    "StageChanged": ("contact_id", "stage", "rule"),
    "AgentStatusChanged": ("agent_id", "status"),
    "Completed": ("contact_id", "agent_id"),
    "ConversationClosed": ("conversation_id", "reason"),
}


def show(events: list[rk.events.Event]) -> None:
    """Print one fixed-format line per event: time, type, then the fields that tell the story."""
    for event in events:
        data = rk.event_to_dict(event)
        name = data["type"]
        parts = []
        for key in FIELDS.get(name, ()):
            value = data[key]
            parts.append(f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}")
        print(f"{event.at:7.1f}  {name:<19} {' '.join(parts)}")


def answer(router: rk.Router, events: list[rk.events.Event], at: float) -> str:
    """Accept the turn offered in ``events`` after :data:`ANSWER_AFTER` seconds; return the turn's id."""
    offer = next(event for event in events if isinstance(event, rk.events.Offered))
    show(router.accept(offer.contact_id, offer.agent_id, at + ANSWER_AFTER))
    return offer.contact_id


def main() -> None:
    """Play one conversation through hold, park, replies and a fallback, printing every event."""
    policy = rk.policies.mobile_support()
    hold, window, ttl = policy.hold_seconds, policy.window, policy.park_ttl
    print(f"hold {hold:.0f} s, sticky window {window:.0f} s, park TTL {ttl:.0f} s")
    router = rk.Router(policy)
    for agent_id in ("amy", "bob"):
        show(router.add_agent(rk.Agent(id=agent_id, capacity={rk.Channel.MESSAGING: 2}), 0.0))

    print("the customer writes; Amy answers and waits for the reply")
    customer = rk.Customer(id="u-1", tier="standard")
    first = rk.Contact(id="m-1", customer=customer, channel=rk.Channel.MESSAGING, context=CONTEXT)
    events = router.submit(first, 0.0)
    show(events)
    turn = answer(router, events, 0.0)
    show(router.await_customer(turn, 0.0 + ANSWER_AFTER + WRITE_FOR))

    print("no reply within the hold: parked, Amy's slot freed")
    show(router.advance(router.next_deadline() or 0.0))

    print("the customer replies 14 minutes later: back to Amy")
    events = router.customer_replied("m-1", 900.0)
    show(events)
    turn = answer(router, events, 900.0)
    print(f"{'':9}{turn} carries {router.contact(turn).context} served_by={router.contact(turn).served_by}")
    show(router.await_customer(turn, 900.0 + ANSWER_AFTER + WRITE_FOR))

    print("a quick reply inside the hold: the turn is Amy's again")
    show(router.customer_replied("m-1", 1000.0))
    show(router.await_customer(turn, 1030.0))
    show(router.advance(router.next_deadline() or 0.0))

    print("Amy goes on a break; the next reply falls back to the pool at once")
    show(router.set_status("amy", rk.AgentStatus.AWAY, 1200.0))
    events = router.customer_replied("m-1", 2000.0)
    show(events)
    turn = answer(router, events, 2000.0)
    history = router.conversation("m-1")
    print(f"{'':9}history: turns={list(history.turns)} agents={list(history.agents)}")
    show(router.complete(turn, 2100.0))


if __name__ == "__main__":
    main()
