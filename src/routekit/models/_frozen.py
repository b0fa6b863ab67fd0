"""A read-only dict for the mappings inside the frozen records (an agent's skills, a contact's context)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["EMPTY", "FrozenDict"]


class FrozenDict(dict[K, V]):
    """A ``dict`` that refuses every change once built.

    A frozen record would otherwise hand out a mutable dict: ``agent.capacity["voice"] = 5`` would change
    the agent a router holds behind its back. It stays a real ``dict`` (JSON, equality with dicts,
    ``dict(...)`` copies and reads cost the same), and pickles and copies by value.

    >>> skills = FrozenDict({"billing": 4})
    >>> skills["billing"]
    4
    >>> skills["billing"] = 5
    Traceback (most recent call last):
    ...
    TypeError: a FrozenDict cannot be changed; build a new record (attrs.evolve) instead
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a FrozenDict cannot be changed; build a new record (attrs.evolve) instead")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[K, V]:
        return type(self)({k: copy.deepcopy(v, memo) for k, v in self.items()})


EMPTY: FrozenDict[Any, Any] = FrozenDict()


def frozen(value: Mapping[K, V]) -> dict[K, V]:
    """``value`` as a :class:`FrozenDict` (a converter for the records' mapping fields)."""
    return value if type(value) is FrozenDict else FrozenDict(value)
