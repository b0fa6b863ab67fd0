"""Queueing analytics: Erlang B, C and A, staffing for targets, and chat concurrency.

Units are the scenario's: arrival rates in contacts per hour, times in seconds, loads in Erlangs.
This layer is pure mathematics over ``routekit.errors``; it knows nothing of routers or policies.
The one exception is ``routekit.analytics.pools``, which stands above ``routekit.policies``: it reads a
policy's tier gate and costs gates and dedicated teams in agents (``gate_cost``, ``team_cost``).

>>> from routekit import analytics
>>> f = analytics.erlang_a(rate=570, aht=60, agents=10, patience=120, threshold=20)
>>> round(f.service_level, 3)
0.737
"""

from routekit.analytics.concurrency import chat_handle_times, erlang_chat
from routekit.analytics.erlang import QueueFigures, erlang_a, erlang_b, erlang_c
from routekit.analytics.pools import (
    Fallback,
    GateCost,
    GateRule,
    Pool,
    TeamCost,
    TeamQueue,
    gate_cost,
    gate_rule,
    team_cost,
    team_queue,
)
from routekit.analytics.staffing import (
    DEFAULT_AGENTS_MAX,
    STAFFING_COLUMNS,
    DayStaffing,
    Interval,
    IntervalStaffing,
    Staffing,
    Targets,
    staff,
    staff_day,
    staffing_row,
)

__all__ = [
    "DEFAULT_AGENTS_MAX",
    "STAFFING_COLUMNS",
    "DayStaffing",
    "Fallback",
    "GateCost",
    "GateRule",
    "Interval",
    "IntervalStaffing",
    "Pool",
    "QueueFigures",
    "Staffing",
    "Targets",
    "TeamCost",
    "TeamQueue",
    "chat_handle_times",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_chat",
    "gate_cost",
    "gate_rule",
    "staff",
    "staff_day",
    "staffing_row",
    "team_cost",
    "team_queue",
]
