"""Wrap-up: after ``complete`` the slot stays busy for the agent's wrap-up seconds on that channel.

The wrap-up time is the agent's for the channel, or the router's default. When it ends (its timer, or
``end_wrap_up``) the slot is freed and ``WrapUpEnded`` is emitted; a status change never shortens it.
"""

from __future__ import annotations

from typing import Any

from routekit.events import Event, WrapUpEnded
from routekit.models.channel import Channel
from routekit.router.index import refresh
from routekit.router.state import WORK_WRAP_UP, WRAP_UP_END, AgentRecord, RoutingState, release

__all__ = ["end_wrap_up", "start_wrap_up", "wrap_up_ended"]


def start_wrap_up(rs: RoutingState, ar: AgentRecord, contact_id: str, channel: Channel, until: float) -> None:
    """Keep the finished contact's slot busy until ``until``."""
    ar.work[contact_id] = (channel, WORK_WRAP_UP)
    ar.wrap_up_timers[contact_id] = rs.timers.set(until, WRAP_UP_END, (ar.agent.id, contact_id))


def end_wrap_up(rs: RoutingState, ar: AgentRecord, contact_id: str, now: float, out: list[Event]) -> None:
    """Free the slot of a contact in wrap-up and emit ``WrapUpEnded``."""
    del ar.wrap_up_timers[contact_id]
    release(rs, ar, contact_id, now)
    out.append(WrapUpEnded(at=now, agent_id=ar.agent.id, contact_id=contact_id))
    refresh(rs, ar)


def wrap_up_ended(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``WRAP_UP_END`` timer."""
    agent_id, contact_id = payload
    end_wrap_up(rs, rs.agents[agent_id], contact_id, at, out)
