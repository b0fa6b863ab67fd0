"""Routing policies: turn a contact into a plan of stages; order agents with a selection key."""

from routekit.policies.base import Denial, Hold, Plan, RoutingPolicy, Stage, Target
from routekit.policies.checks import Finding, check
from routekit.policies.mobile import MOBILE_TIERS, mobile_support
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
from routekit.policies.sticky import Sticky
from routekit.policies.tiers import TierGate, fallback_contact

__all__ = [
    "MOBILE_TIERS",
    "SELECTIONS",
    "Denial",
    "Finding",
    "Hold",
    "Plan",
    "RoutingPolicy",
    "Selection",
    "Skills",
    "Stage",
    "Sticky",
    "Target",
    "TierGate",
    "check",
    "fallback_contact",
    "least_occupied",
    "longest_idle",
    "mobile_support",
    "most_proficient",
    "round_robin",
    "selection_named",
]
