"""Queueing analytics: Erlang B, C and A, staffing for targets, chat concurrency, and rosters.

Units are the scenario's: arrival rates in contacts per hour, times in seconds, loads in Erlangs.
This layer is pure mathematics over ``routekit.errors``; it knows nothing of routers or policies.
The one exception is ``routekit.analytics.gates``, which stands above ``routekit.policies``: it reads a
policy's tier gate; with ``routekit.analytics.teams`` it costs gates and dedicated teams in agents
(``gate_cost``, ``team_cost``) over the pools of ``routekit.analytics.pools``.

>>> from routekit import analytics
>>> f = analytics.erlang_a(rate=570, aht=60, agents=10, patience=120, threshold=20)
>>> round(f.service_level, 3)
0.737
"""

from routekit.analytics.concurrency import chat_handle_times, erlang_chat
from routekit.analytics.erlang import QueueFigures, erlang_a, erlang_b, erlang_c, mmck_blocking
from routekit.analytics.gates import Fallback, GateCost, GateRule, gate_cost, gate_rule
from routekit.analytics.pools import Pool
from routekit.analytics.rosters import (
    Assignment,
    Break,
    InfeasibleRosterError,
    Requirement,
    Roster,
    RosterAgent,
    ShiftCount,
    ShiftPlan,
    ShiftTemplate,
    SkillGroup,
    needs_from_staffing,
    roster,
    roster_pool,
    solve_shifts,
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
from routekit.analytics.teams import TeamCost, TeamQueue, team_cost, team_queue

__all__ = [
    "DEFAULT_AGENTS_MAX",
    "STAFFING_COLUMNS",
    "Assignment",
    "Break",
    "DayStaffing",
    "Fallback",
    "GateCost",
    "GateRule",
    "InfeasibleRosterError",
    "Interval",
    "IntervalStaffing",
    "Pool",
    "QueueFigures",
    "Requirement",
    "Roster",
    "RosterAgent",
    "ShiftCount",
    "ShiftPlan",
    "ShiftTemplate",
    "SkillGroup",
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
    "mmck_blocking",
    "needs_from_staffing",
    "roster",
    "roster_pool",
    "solve_shifts",
    "staff",
    "staff_day",
    "staffing_row",
    "team_cost",
    "team_queue",
]
