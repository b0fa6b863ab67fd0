"""Customers: who is asking, their loyalty tier, and what travels with every contact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from routekit.models._checks import check_id
from routekit.models._frozen import FrozenDict


def _attributes(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return FrozenDict(value or {})


@attrs.frozen(kw_only=True)
class Customer:
    """A customer: an id, a loyalty tier name, and attributes (app user, language, CRM data).

    The tier is a name; the policy that holds the :class:`~routekit.models.tiers.Tiers` refuses an unknown
    one when a contact is submitted.

    >>> Customer(id="u-9", tier="gold", attributes={"app_user": True}).tier
    'gold'
    """

    id: str = attrs.field(validator=check_id)
    tier: str = attrs.field(default="standard", validator=check_id)
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=_attributes, hash=False)
