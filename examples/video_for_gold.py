"""Video support as a loyalty perk: gold and up get video, everyone else is offered chat.

**Scenario.** A mobile app offers video calls with camera-ready specialists. Video is costly (one
customer per agent), so the built-in mobile-support policy gates it: gold and platinum only, with chat
as the fallback for lower tiers; gold gets +1 priority, platinum +2 and the ``vip`` team first for 60 s
before overflowing to everyone. A silver customer asks for video at 0 s, is denied with chat as the
fallback, and the app resubmits on chat at 4 s, keeping the original arrival time, so the wait is
counted from 0 s. A gold customer gets video. One platinum customer is answered by the vip team at
once; a second waits for the busy team, overflows after 60 s and goes to the general video agent.

**Covers.** ``rk.policies.mobile_support()`` (``TierGate``: channel gates with a fallback, priority
boost, dedicated team with overflow), ``rk.policies.fallback_contact``, and the ``Denied``,
``ContactQueued``, ``Offered``, ``StageChanged``, ``Assigned`` and ``Completed`` events.
"""

import routekit as rk

# The story is deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 5
ANSWER_AFTER = 2.0  # seconds an agent takes to accept an offer
AGENTS = [
    rk.Agent(id="ava", capacity={rk.Channel.VIDEO: 1}),
    rk.Agent(id="val", capacity={rk.Channel.VIDEO: 1}, teams=frozenset({"vip"})),
    rk.Agent(id="cas", capacity={rk.Channel.CHAT: 3}),
]
CUSTOMERS = {
    "sam": rk.Customer(id="sam", tier="silver"),
    "gia": rk.Customer(id="gia", tier="gold"),
    "pat": rk.Customer(id="pat", tier="platinum"),
    "pia": rk.Customer(id="pia", tier="platinum"),
}
FIELDS = {
    "Denied": ("contact_id", "tier", "reason", "rule", "fallback"),
    "ContactQueued": ("contact_id", "channel", "tier", "arrived_at", "rule", "priority"),
    "Offered": ("contact_id", "agent_id", "stage", "rule", "selection"),
    "StageChanged": ("contact_id", "stage", "rule"),
    "Assigned": ("contact_id", "agent_id", "waited"),
    "Completed": ("contact_id", "agent_id"),
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
        print(f"{event.at:7.1f}  {name:<14} {' '.join(parts)}")


def main() -> None:
    """Play the four customers' calls through the mobile-support policy and print every decision."""
    router = rk.Router(rk.policies.mobile_support())
    for agent in AGENTS:
        router.add_agent(agent, 0.0)

    print("silver asks for video: denied, resubmitted on chat")
    sam_video = rk.Contact(
        id="v-1",
        customer=CUSTOMERS["sam"],
        channel=rk.Channel.VIDEO,
        context={"bot_transcript": "my card was charged twice"},
    )
    denied = router.submit(sam_video, 0.0)
    show(denied)
    sam_chat = rk.policies.fallback_contact(sam_video, denied[0], "v-1-chat")
    show(router.submit(sam_chat, 4.0))
    show(router.accept("v-1-chat", "cas", 4.0 + ANSWER_AFTER))
    print(f"{'':9}context kept: {router.contact('v-1-chat').context['bot_transcript']!r}")

    print("gold asks for video: served on video, priority +1")
    show(router.submit(rk.Contact(id="v-2", customer=CUSTOMERS["gia"], channel=rk.Channel.VIDEO), 10.0))
    show(router.accept("v-2", "ava", 10.0 + ANSWER_AFTER))

    print("platinum asks for video: the vip team first")
    show(router.submit(rk.Contact(id="v-3", customer=CUSTOMERS["pat"], channel=rk.Channel.VIDEO), 20.0))
    show(router.accept("v-3", "val", 20.0 + ANSWER_AFTER))

    print("another platinum while the vip team is busy: overflow after 60 s")
    show(router.submit(rk.Contact(id="v-4", customer=CUSTOMERS["pia"], channel=rk.Channel.VIDEO), 30.0))
    show(router.complete("v-2", 70.0))
    show(router.advance(90.0))
    show(router.accept("v-4", "ava", 90.0 + ANSWER_AFTER))


if __name__ == "__main__":
    main()
