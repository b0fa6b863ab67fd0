"""The router's invariants, asserted: what the tests call after every step (sortedcontainers' ``_check``).

Never on the routing path: :meth:`routekit.Router._check` calls :func:`check`, which reads everything and
changes nothing. O(contacts + agents x targets).
"""

from __future__ import annotations

from routekit.models.channel import Channel
from routekit.policies.base import Target
from routekit.router.index import eligible, routable
from routekit.router.matching import best_agent_for
from routekit.router.state import (
    HELD,
    HOLD_EXPIRY,
    OFFER_EXPIRY,
    OFFERED,
    REOFFER_END,
    WAITING,
    WORK_OFFERED,
    WORK_WRAP_UP,
    RoutingState,
)

__all__ = ["check"]


def check(rs: RoutingState) -> None:
    """Assert every invariant: each contact in exactly one place, capacity, pools, timers, stability."""
    live_timers = {seq: (kind, payload) for _, kind, payload, seq in rs.timers.live()}

    # Each queued contact is in one queue, each queue sound.
    queued: dict[str, Target] = {}
    for target, queue in rs.queues.items():
        queue._check()
        for contact_id in queue:
            assert contact_id not in queued, f"{contact_id} is in two queues"
            queued[contact_id] = target

    # Each live contact is in exactly one place: waiting in its stage's queue, or in one agent's hands;
    # each pending offer, stage and hold has its live timer.
    for contact_id, cr in rs.contacts.items():
        assert contact_id not in rs.finished, f"{contact_id} is live and finished"
        if cr.state == WAITING:
            assert queued.get(contact_id) == cr.target, f"{contact_id} waits outside its stage's queue"
            assert queued[contact_id].agent == cr.target.agent
            assert rs.queues[cr.target].key(contact_id) == cr.key
            assert cr.agent is None
        else:
            assert contact_id not in queued, f"{contact_id} is {cr.state} and queued"
            ar = rs.agents[cr.agent]  # type: ignore[index]
            assert ar.work[contact_id][1].value == cr.state.value
        if cr.state == OFFERED:
            assert rs.agents[cr.agent].offer == contact_id  # type: ignore[index]
            assert live_timers[cr.offer_timer][0] == OFFER_EXPIRY  # type: ignore[index]
        else:
            assert cr.offer_timer is None or cr.offer_timer not in live_timers
        if cr.state in (WAITING, OFFERED):
            last = cr.stage == len(cr.plan.stages) - 1
            assert (cr.stage_timer in live_timers) != last, f"{contact_id} stage timer is wrong"
        if cr.state == HELD:
            assert live_timers[cr.hold_timer][0] == HOLD_EXPIRY  # type: ignore[index]

    # Each agent's load is its work; an exclusive contact is the agent's only work; one offer at most; the
    # agent is in exactly the pools it matches and is eligible for, under its current selection key.
    for agent_id, ar in rs.agents.items():
        load: dict[Channel, int] = {}
        for contact_id, (channel, kind) in ar.work.items():
            load[channel] = load.get(channel, 0) + 1
            if kind == WORK_WRAP_UP:
                assert contact_id in ar.wrap_up_timers
            else:
                assert rs.contacts[contact_id].agent == agent_id
        assert {c: n for c, n in load.items() if n} == {c: n for c, n in ar.load.items() if n}
        exclusive = sum(n for c, n in load.items() if c in rs.exclusive)
        assert exclusive == ar.exclusive_work
        assert exclusive == 0 or len(ar.work) == 1, f"{agent_id} holds an exclusive contact and more"
        offers = [cid for cid, (_, kind) in ar.work.items() if kind == WORK_OFFERED]
        assert offers == ([ar.offer] if ar.offer else []), f"{agent_id} offers {offers}"
        for target in rs.pools:
            matches = target.matches(ar.agent)
            assert (target in ar.targets) == matches
            assert not matches or ar.targets[target] is rs.pools[target]
            in_pool = agent_id in rs.pools[target]
            assert in_pool == (matches and eligible(rs, ar, target.channel)), f"{agent_id} pool {target}"
            if in_pool:
                assert rs.pools[target].key(agent_id) == rs.selection_key(ar, target)
    for pool in rs.pools.values():
        pool._check()
    for target, supply in rs.supply.items():
        assert supply == sum(target.matches(ar.agent) for ar in rs.agents.values())

    # Each bar has its timer, kept both ways.
    for contact_id, bars in rs.bars.items():
        for agent_id, seq in bars.items():
            assert live_timers[seq] == (REOFFER_END, (contact_id, agent_id))
            assert contact_id in rs.bars_by_agent[agent_id]

    # Stability: no waiting contact has an eligible agent, or waits for nobody; nothing is left dirty.
    for contact_id, cr in rs.contacts.items():
        if cr.state == WAITING:
            assert best_agent_for(rs, cr) is None, f"{contact_id} waits while an agent is free"
            assert routable(rs, cr.contact, cr.plan, cr.stage), f"{contact_id} waits for nobody"
    assert not rs.dirty_agents
    assert not rs.dirty_contacts
