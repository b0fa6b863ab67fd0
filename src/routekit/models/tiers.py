"""Loyalty tiers: an ordered set of names, lowest first."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from routekit.errors import ConfigError, UnknownIdError


@attrs.frozen(order=True)
class Tier:
    """One loyalty tier: its name and its rank (0 is the lowest). Tiers compare by rank."""

    rank: int
    name: str = attrs.field(eq=False, order=False)


@attrs.frozen(init=False)
class Tiers:
    """An ordered set of loyalty tier names, lowest first.

    >>> tiers = Tiers(["standard", "silver", "gold", "platinum"])
    >>> tiers["gold"] > tiers["silver"]
    True
    >>> tiers.at_least("platinum", "gold")
    True
    >>> [t.name for t in tiers.from_("gold")]
    ['gold', 'platinum']

    Raises:
        ConfigError: No names, an empty name, or a name given twice.
    """

    names: tuple[str, ...]
    _ranks: dict[str, int] = attrs.field(eq=False, repr=False, hash=False)

    def __init__(self, names: Iterable[str]) -> None:
        names = tuple(names)
        if not names:
            raise ConfigError("Tiers needs at least one tier name")
        for name in names:
            if not isinstance(name, str) or not name:
                raise ConfigError(f"Tiers: a tier name must be a non-empty string, got {name!r}")
        seen: dict[str, int] = {}
        for rank, name in enumerate(names):
            if name in seen:
                raise ConfigError(f"Tiers: tier {name!r} is listed twice")
            seen[name] = rank
        self.__attrs_init__(names, seen)

    def __getitem__(self, name: str) -> Tier:
        return Tier(self.rank(name), name)

    def __contains__(self, name: object) -> bool:
        return name in self._ranks

    def __iter__(self) -> Iterator[Tier]:
        return (Tier(rank, name) for rank, name in enumerate(self.names))

    def __len__(self) -> int:
        return len(self.names)

    def rank(self, name: str) -> int:
        """The 0-based rank of a tier name.

        Raises:
            UnknownIdError: The name is not one of these tiers.
        """
        try:
            return self._ranks[name]
        except (KeyError, TypeError):
            raise UnknownIdError(f"unknown tier {name!r}; expected one of {', '.join(self.names)}") from None

    def at_least(self, name: str, minimum: str) -> bool:
        """Whether tier ``name`` ranks at or above tier ``minimum``."""
        return self.rank(name) >= self.rank(minimum)

    def from_(self, minimum: str) -> tuple[Tier, ...]:
        """Every tier at or above ``minimum``, lowest first."""
        low = self.rank(minimum)
        return tuple(tier for tier in self if tier.rank >= low)
