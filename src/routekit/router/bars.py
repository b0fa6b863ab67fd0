"""Re-offer delays: an agent who rejected or missed a contact is barred from it until a timer ends.

A bar is kept both ways (contact to agents in ``rs.bars``, agent to contacts in ``rs.bars_by_agent``) so that
matching asks "is this agent barred from this contact" in O(1) from either side. The end of a bar is a
``REOFFER_END`` timer that marks both dirty, so that nothing strands.
"""

from __future__ import annotations

from typing import Any

from routekit.events import Event
from routekit.router.state import REOFFER_END, RoutingState

__all__ = ["bar", "drop_bars", "lift_bar", "reoffer_ended"]


def bar(rs: RoutingState, contact_id: str, agent_id: str, until: float) -> None:
    """Bar the agent from the contact until ``until`` (a second bar replaces the first)."""
    bars = rs.bars.setdefault(contact_id, {})
    rs.timers.cancel(bars.get(agent_id))
    bars[agent_id] = rs.timers.set(until, REOFFER_END, (contact_id, agent_id))
    rs.bars_by_agent.setdefault(agent_id, {})[contact_id] = None


def lift_bar(rs: RoutingState, contact_id: str, agent_id: str) -> None:
    """End a bar early, with its timer (the agent left, or the contact finished)."""
    bars = rs.bars.get(contact_id)
    if bars is None or agent_id not in bars:
        return
    rs.timers.cancel(bars.pop(agent_id))
    if not bars:
        del rs.bars[contact_id]
    by_agent = rs.bars_by_agent[agent_id]
    del by_agent[contact_id]
    if not by_agent:
        del rs.bars_by_agent[agent_id]


def drop_bars(rs: RoutingState, contact_id: str) -> None:
    """Lift every bar on a contact that is leaving routing."""
    for agent_id in list(rs.bars.get(contact_id, ())):
        lift_bar(rs, contact_id, agent_id)


def reoffer_ended(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``REOFFER_END`` timer: the bar is over, and the pair may match again."""
    contact_id, agent_id = payload
    rs.bars[contact_id].pop(agent_id)
    if not rs.bars[contact_id]:
        del rs.bars[contact_id]
    del rs.bars_by_agent[agent_id][contact_id]
    if not rs.bars_by_agent[agent_id]:
        del rs.bars_by_agent[agent_id]
    rs.dirty_contacts[contact_id] = None
    rs.dirty_agents[agent_id] = None
