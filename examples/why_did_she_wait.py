"""Why did she wait? A gold video customer waits while two agents sit idle, and the router says why.

**Scenario.** A mobile app's video line runs on the built-in mobile-support policy: video for gold and
up, gold +1 priority, and the required skill relaxed one level after 30 s. Four agents are logged in.
Vic and Wes are video specialists (tech 4, one video call at a time, 60 s of wrap-up after each); Liz
is on video but only at tech 2; Bob is a chat agent. Vic takes a call at 5 s and is still on it. Wes
takes one at 20 s and finishes at 100 s. At 110 s Gia, a gold customer, asks for video help that needs
tech 3. Liz and Bob are idle, yet Gia waits. At 125 s the supervisor asks ``router.explain("v-3")``:
Vic is busy on an exclusive video call, Wes is in wrap-up until 160 s, Liz is below the skill level
and Bob is not on video. At 140 s the first relaxation lets tech 2 agents in, and Liz gets the call.

**Covers.** ``Router.explain`` (``Explanation.text``, ``.verdict``, ``.eligible``): the plan, the active
stage and when it ends, the place in the queue, and the first reason each agent is ruled out;
``rk.policies.mobile_support()``; the ``StageChanged`` and ``Offered`` events.
"""

import routekit as rk

# The story is deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 11
ANSWER_AFTER = 2.0  # seconds an agent takes to accept an offer
ASK_AT = 125.0  # when the supervisor asks why Gia is still waiting
AGENTS = [
    rk.Agent(id="vic", skills={"tech": 4}, capacity={rk.Channel.VIDEO: 1}, wrap_up={rk.Channel.VIDEO: 60}),
    rk.Agent(id="wes", skills={"tech": 4}, capacity={rk.Channel.VIDEO: 1}, wrap_up={rk.Channel.VIDEO: 60}),
    rk.Agent(id="liz", skills={"tech": 2}, capacity={rk.Channel.VIDEO: 1}),
    rk.Agent(id="bob", skills={"tech": 4}, capacity={rk.Channel.CHAT: 3}),
]
CALLS = [  # (contact id, customer, tier, arrives at); every call needs tech 3
    ("v-1", "gus", "gold", 5.0),
    ("v-2", "pam", "gold", 20.0),
    ("v-3", "gia", "gold", 110.0),
]
FIELDS = {
    "ContactQueued": ("contact_id", "tier", "rule", "priority"),
    "Offered": ("contact_id", "agent_id", "stage", "rule"),
    "StageChanged": ("contact_id", "stage", "rule"),
    "Assigned": ("contact_id", "agent_id", "waited"),
    "Completed": ("contact_id", "agent_id", "wrap_up_until"),
}


def show(events: list[rk.events.Event]) -> None:
    """Print one fixed-format line per event: time, type, then the fields that tell the story."""
    for event in events:
        data = rk.event_to_dict(event)
        name = data["type"]
        if name not in FIELDS:
            continue
        parts = []
        for key in FIELDS[name]:
            value = data[key]
            parts.append(f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}")
        print(f"{event.at:7.1f}  {name:<14} {' '.join(parts)}")


def call(contact_id: str, customer: str, tier: str) -> rk.Contact:
    """A video call from a customer of ``tier`` that needs tech 3."""
    return rk.Contact(
        id=contact_id,
        customer=rk.Customer(id=customer, tier=tier),
        channel=rk.Channel.VIDEO,
        skills={"tech": 3},
    )


def main() -> None:
    """Play the three calls, ask why the third waits, then let the relaxation answer it."""
    router = rk.Router(rk.policies.mobile_support())
    for agent in AGENTS:
        router.add_agent(agent, 0.0)

    print("vic and wes take the first two calls; wes finishes and wraps up")
    for contact_id, customer, tier, at in CALLS[:2]:
        events = router.submit(call(contact_id, customer, tier), at)
        show(events)
        offered = next(e for e in events if isinstance(e, rk.events.Offered))
        show(router.accept(contact_id, offered.agent_id, at + ANSWER_AFTER))
    show(router.complete("v-2", 100.0))

    print("gia, gold, asks for video: nobody is offered her call")
    show(router.submit(call(*CALLS[2][:3]), CALLS[2][3]))

    print(f"why is she waiting at t={ASK_AT:g}, with liz and bob idle?")
    show(router.advance(ASK_AT))  # nothing is due: the stage ends at 140 s, Wes's wrap-up at 160 s
    explanation = router.explain("v-3")
    for line in explanation.text().splitlines():
        print(f"    {line}")
    idle = [a.id for a in AGENTS if router.agent_state(a.id).busy == 0]
    print(f"    idle: {', '.join(idle)}; eligible: {', '.join(explanation.eligible) or 'nobody'}")

    print("after 30 s the skill relaxes to tech 2, and liz takes the call")
    show(router.advance(140.0))
    show(router.accept("v-3", "liz", 140.0 + ANSWER_AFTER))


if __name__ == "__main__":
    main()
