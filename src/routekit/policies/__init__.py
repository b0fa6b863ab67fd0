"""Routing policies: turn a contact into a plan of stages; order agents with a selection key."""

from routekit.policies.base import Denial, Hold, Plan, RoutingPolicy, Stage, Target
from routekit.policies.selection import (
    SELECTIONS,
    Selection,
    least_occupied,
    longest_idle,
    most_proficient,
    round_robin,
    selection_named,
)
from routekit.policies.skills import Skills

__all__ = [
    "SELECTIONS",
    "Denial",
    "Hold",
    "Plan",
    "RoutingPolicy",
    "Selection",
    "Skills",
    "Stage",
    "Target",
    "least_occupied",
    "longest_idle",
    "most_proficient",
    "round_robin",
    "selection_named",
]
