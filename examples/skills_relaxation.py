"""Skills-based routing that relaxes its requirement as the wait grows.

**Scenario.** Six voice callers need billing help at level 4 or better; they ring every 10 seconds.
Five agents are on the phones: Ana (billing 5), Ben (billing 4), Cai (billing 3), Dev (billing 1) and
Eve (no billing skill at all). Each call takes 4 minutes and agents answer at once. The skills policy
relaxes the requirement since each caller's arrival: after 30 s every minimum drops a level, after 90 s
only the skill name counts, after 180 s anyone on the channel will do. The script prints who got which
caller and why: the stage, the rule that stage targets, and the selection that picked the agent.

**Covers.** ``rk.policies.Skills(relax=...)``, ``rk.Router`` (``submit``, ``accept``, ``complete``,
``advance``, ``next_deadline``), and the ``StageChanged``, ``Offered`` and ``Assigned`` events.
"""

import heapq

import routekit as rk

# The story is deterministic; SEED is kept for the examples' common pattern and is unused.
SEED = 4
RELAX = [(30, 1), (90, "names"), (180, "any")]
NEED = {"billing": 4}
ARRIVAL_GAP = 10.0  # seconds between callers
CALLERS = 6
HANDLE = 240.0  # seconds per call
AGENTS = {
    "ana": {"billing": 5},
    "ben": {"billing": 4},
    "cai": {"billing": 3},
    "dev": {"billing": 1},
    "eve": {},
}


def main() -> None:
    """Drive the router through the morning and print one line per stage change and per offer."""
    router = rk.Router(rk.policies.Skills(relax=RELAX))
    for name, skills in AGENTS.items():
        router.add_agent(rk.Agent(id=name, skills=skills, capacity={rk.Channel.VOICE: 1}), 0.0)

    # The host's own to-do list: (time, order, action, contact id).
    todo: list[tuple[float, int, str, str]] = []
    for n in range(CALLERS):
        heapq.heappush(todo, (n * ARRIVAL_GAP, n, "submit", f"c-{n + 1}"))
    order = CALLERS
    waited: dict[str, float] = {}
    offers: list[tuple[float, str, str, int, str, str]] = []

    def line(at: str, what: str, contact: str, agent: str, stage: str, rule: str, selection: str) -> None:
        print(f"{at:>6}  {what:<8} {contact:<8} {agent:<6} {stage:>5}  {rule:<18} {selection}".rstrip())

    line("time", "event", "contact", "agent", "stage", "rule", "selection")

    def handle(events: list[rk.events.Event]) -> None:
        nonlocal order
        for event in events:
            at = f"{event.at:.0f}"
            if isinstance(event, rk.events.StageChanged):
                line(at, "relaxed", event.contact_id, "", str(event.stage), event.rule, "")
            elif isinstance(event, rk.events.Offered):
                line(
                    at,
                    "offered",
                    event.contact_id,
                    event.agent_id,
                    str(event.stage),
                    event.rule,
                    event.selection,
                )
                offers.append(
                    (event.at, event.contact_id, event.agent_id, event.stage, event.rule, event.selection)
                )
                accepted = router.accept(event.contact_id, event.agent_id, event.at)
                waited[event.contact_id] = accepted[0].waited
                heapq.heappush(todo, (event.at + HANDLE, order, "complete", event.contact_id))
                order += 1
                handle(accepted[1:])

    while todo or router.next_deadline() is not None:
        deadline = router.next_deadline()
        if deadline is not None and (not todo or deadline < todo[0][0]):
            handle(router.advance(deadline))
            continue
        at, _, action, contact_id = heapq.heappop(todo)
        if action == "submit":
            customer = rk.Customer(id=f"u-{contact_id}")
            contact = rk.Contact(id=contact_id, customer=customer, channel=rk.Channel.VOICE, skills=NEED)
            handle(router.submit(contact, at))
        else:
            handle(router.complete(contact_id, at))

    print()
    print(f"{'contact':<8} {'agent':<6} {'billing':>7} {'waited':>7}  why")
    for _at, contact_id, agent_id, stage, rule, selection in sorted(offers, key=lambda row: row[1]):
        level = AGENTS[agent_id].get("billing", 0)
        print(
            f"{contact_id:<8} {agent_id:<6} {level:>7} {waited[contact_id]:>6.0f}s  "
            f"stage {stage} ({rule}), {selection}"
        )


if __name__ == "__main__":
    main()
