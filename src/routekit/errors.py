"""The errors routekit raises, all under one root, :class:`RoutekitError`.

Each concrete error also subclasses the builtin a caller would naturally catch (``KeyError`` for an
unknown id, ``ValueError`` for a bad value, ``RuntimeError`` for a call that does not fit the current
state), so code that knows nothing of routekit still handles them sensibly.

An error raised by a router call carries the events of the timers that fired before the call was
refused, as ``err.events``: the router fires due timers first, then validates, so those events happened
and must reach the platform even though the call itself changed nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "ArgumentTypeError",
    "ClockError",
    "ConfigError",
    "DuplicateIdError",
    "InfeasibleRosterError",
    "NotAStoreError",
    "OfferStateError",
    "RecoveryError",
    "RoutekitError",
    "ScenarioError",
    "SnapshotError",
    "StateError",
    "StoreDamagedError",
    "StoreError",
    "StoreLockedError",
    "StoreVersionError",
    "UnknownIdError",
    "UnroutableContactError",
]


class RoutekitError(Exception):
    """The root of every error routekit raises.

    Args:
        message: What went wrong, naming the id and the value.
        events: Timer events that fired before the call was refused (router calls only).
    """

    def __init__(self, message: str, *, events: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.events: list[Any] = list(events)

    def __str__(self) -> str:
        return self.message


class UnknownIdError(RoutekitError, KeyError):
    """An agent, contact, conversation or tier id that the router (or policy) does not know."""


class DuplicateIdError(RoutekitError, ValueError):
    """An id that is already in use: an agent added twice, a contact submitted twice."""


class ClockError(RoutekitError, ValueError):
    """A ``now`` earlier than the last one the router was given, or one that is not a finite number."""


class UnroutableContactError(RoutekitError, ValueError):
    """A contact that no registered agent could ever serve, refused at submit."""


class ConfigError(RoutekitError, ValueError):
    """A policy or a setting that cannot work, refused when it is built."""


class SnapshotError(ConfigError):
    """A snapshot that ``Router.restore`` cannot rebuild a sound router from, naming the path inside it.

    The path reads like Python (``contacts[3].stage``); the router is never built from a damaged snapshot.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path


class ArgumentTypeError(RoutekitError, TypeError):
    """A router call given an argument of the wrong type (a list as an id, a dict as a contact).

    It is checked before anything happens, so no timer fires and ``err.events`` is always empty.
    """


class ScenarioError(RoutekitError, ValueError):
    """A simulation scenario with an unknown key, a wrong type or a missing value, naming the key path."""


class StateError(RoutekitError, RuntimeError):
    """A call that does not fit the current state, such as completing a contact that is not assigned."""


class OfferStateError(StateError):
    """An answer to an offer that is not pending: never made, already answered, expired or rescinded."""


class InfeasibleRosterError(ConfigError):
    """No shifts or roster can meet the requirement; the message names the interval and why.

    Attributes:
        interval: The label of the first interval that cannot be covered, such as ``"day 1 08:30"``.
        demand: The demand (channel or skill group) short there, or the shift's skill group.
        reason: Why, in words.
    """

    def __init__(self, interval: str, demand: str, reason: str) -> None:
        super().__init__(f"interval {interval!r} cannot be covered for {demand!r}: {reason}")
        self.interval = interval
        self.demand = demand
        self.reason = reason


class StoreError(RoutekitError, RuntimeError):
    """A durable router's store that cannot be opened or written as asked.

    Args:
        message: What went wrong, naming the store and, where there is one, the sequence number.
        seq: The journal's sequence number the error is about, or ``None``.
    """

    def __init__(self, message: str, *, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class NotAStoreError(StoreError):
    """A file or database that is not a routekit store (another SQLite database, or not SQLite at all)."""


class StoreVersionError(StoreError):
    """A store written by a newer routekit, with a schema version this one cannot read."""


class StoreDamagedError(StoreError):
    """A store whose contents are damaged: a gap in the journal, a row that does not parse, a malformed file."""


class StoreLockedError(StoreError):
    """A store another writer (another process, or another open router) already holds."""


class RecoveryError(StoreError):
    """A store that recovery cannot bring back exactly as it was: another policy or settings, or a replayed
    command whose events differ from the ones recorded, named by its sequence number."""
