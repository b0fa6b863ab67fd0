"""routekit: contact-center routing and queuing.

Routing policies (skills-based, loyalty-tier gating, sticky agent with timeout fallback) turn each contact
into a plan of stages over priority queues; a deterministic router applies them and returns events; a
simulator and Erlang staffing analytics run the very same policies.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from routekit import datasets, events, metrics, policies
from routekit.errors import (
    ArgumentTypeError,
    ClockError,
    ConfigError,
    DuplicateIdError,
    NotAStoreError,
    OfferStateError,
    RecoveryError,
    RoutekitError,
    ScenarioError,
    SnapshotError,
    StateError,
    StoreDamagedError,
    StoreError,
    StoreLockedError,
    StoreVersionError,
    UnknownIdError,
    UnroutableContactError,
)
from routekit.events import event_from_dict, event_to_dict
from routekit.explanation import Explanation
from routekit.models import Agent, AgentStatus, Channel, Contact, Conversation, Customer, OpeningHours, Tier, Tiers
from routekit.queues import AgentPool, ContactQueue, queue_key
from routekit.router import AgentSnapshot, ContactState, ExceptionRule, Router, RouterSettings

if TYPE_CHECKING:
    from routekit import analytics, durable
    from routekit.durable import DurableRouter, MemoryStore, SqliteStore, Store

try:
    __version__ = version("routekit")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "Agent",
    "AgentPool",
    "AgentSnapshot",
    "AgentStatus",
    "ArgumentTypeError",
    "Channel",
    "ClockError",
    "ConfigError",
    "Contact",
    "ContactQueue",
    "ContactState",
    "Conversation",
    "Customer",
    "DuplicateIdError",
    "DurableRouter",
    "ExceptionRule",
    "Explanation",
    "MemoryStore",
    "NotAStoreError",
    "OfferStateError",
    "OpeningHours",
    "RecoveryError",
    "RoutekitError",
    "Router",
    "RouterSettings",
    "ScenarioError",
    "SnapshotError",
    "SqliteStore",
    "StateError",
    "Store",
    "StoreDamagedError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "Tier",
    "Tiers",
    "UnknownIdError",
    "UnroutableContactError",
    "__version__",
    "analytics",
    "datasets",
    "durable",
    "event_from_dict",
    "event_to_dict",
    "events",
    "metrics",
    "policies",
    "queue_key",
]


_DURABLE = frozenset({"DurableRouter", "MemoryStore", "SqliteStore", "Store"})


def __getattr__(name: str) -> Any:
    # routekit.analytics loads scipy (about half a second), which routing and simulating never need:
    # it is imported on first use, as ``routekit.analytics`` or ``from routekit import analytics``.
    if name == "analytics":
        return importlib.import_module("routekit.analytics")
    # The durable router loads sqlite3 and hashlib, which a simulation never needs: also on first use.
    if name == "durable":
        return importlib.import_module("routekit.durable")
    if name in _DURABLE:
        return getattr(importlib.import_module("routekit.durable"), name)
    raise AttributeError(f"module 'routekit' has no attribute {name!r}")
