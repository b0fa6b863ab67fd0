"""Skills-based routing: target the contact's required skills, relaxing them as the wait grows."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import attrs

from routekit.errors import ConfigError
from routekit.models.channel import Channel
from routekit.models.contact import Contact
from routekit.policies.base import Hold, Plan, Stage, Target, check_skip_if

__all__ = ["Relaxation", "Skills"]

Relaxation = tuple[float, int | Literal["names", "any"]]


def _relax(value: Iterable[Sequence[Any]]) -> tuple[Relaxation, ...]:
    out: list[Relaxation] = []
    for step in value:
        if len(step) != 2:
            raise ConfigError(f"Skills.relax: each step is (seconds, what), got {step!r}")
        out.append((step[0], step[1]))
    return tuple(out)


def _check_relax(instance: Any, attribute: Any, value: tuple[Relaxation, ...]) -> None:
    last = 0.0
    stage = "levels"
    for index, (after, what) in enumerate(value):
        if isinstance(after, bool) or not isinstance(after, int | float) or not math.isfinite(after):
            raise ConfigError(f"Skills.relax[{index}]: time must be a number of seconds, got {after!r}")
        if after <= last if index else after < 0:
            raise ConfigError(f"Skills.relax[{index}]: times must be >= 0 and increasing, got {after!r} after {last!r}")
        last = float(after)
        if what == "names":
            if stage != "levels":
                raise ConfigError(f"Skills.relax[{index}]: 'names' must come before 'any' and only once")
            stage = "names"
        elif what == "any":
            if stage == "any":
                raise ConfigError(f"Skills.relax[{index}]: 'any' is given twice")
            stage = "any"
        elif isinstance(what, int) and not isinstance(what, bool) and 1 <= what <= 4:
            if stage != "levels":
                raise ConfigError(f"Skills.relax[{index}]: a level drop cannot follow {stage!r}")
        else:
            raise ConfigError(f"Skills.relax[{index}]: expected levels to drop (1..4), 'names' or 'any', got {what!r}")


@attrs.frozen(kw_only=True)
class Skills:
    """Route by required skills; relax the requirement over time since this part of the plan began.

    Args:
        relax: ``(seconds, what)`` steps with increasing times: an integer drops every minimum by that many
            levels (never below 1), ``"names"`` requires only the skill names, ``"any"`` takes any agent on
            the channel. ``[]`` never relaxes.
        skip_if: Every stage but the last is skipped at once, as the contact enters it, when no agent
            matching it is logged in (``"none-logged-in"``) or available (``"none-available"``), instead of
            waiting out its time (see :class:`~routekit.policies.Stage`). ``None``: always wait.

    >>> from routekit.models import Contact, Customer
    >>> policy = Skills(relax=[(30, 1), (90, "names"), (180, "any")])
    >>> contact = Contact(id="c", customer=Customer(id="u"), channel="voice", skills={"billing": 3})
    >>> for stage in policy.plan(contact, 0.0).stages:
    ...     print(stage.target.rule, stage.timeout)
    skills:billing>=3 30.0
    skills:billing>=2 60.0
    skills:billing>=1 90.0
    skills:any None
    """

    relax: tuple[Relaxation, ...] = attrs.field(default=(), converter=_relax, validator=_check_relax)
    skip_if: str | None = attrs.field(default=None, validator=check_skip_if)
    # Plans by (channel, the skills' items in the contact's order): most contacts share a few skill sets, and
    # this look-up costs a quarter of sorting the items and hashing them with ``relax`` for ``_plan``'s
    # cache. Items in another order are another key for the same plan.
    _plans: dict[tuple[Channel, tuple[tuple[str, int], ...]], Plan] = attrs.field(
        factory=dict, init=False, repr=False, eq=False
    )

    def plan(self, contact: Contact, now: float) -> Plan:
        """The stages for ``contact``: its skills, then each relaxation step."""
        key = (contact.channel, tuple(contact.skills.items()))
        found = self._plans.get(key)
        if found is None:
            if len(self._plans) >= _PLANS:
                self._plans.clear()  # skill sets that keep changing must not grow this forever
            found = self._plans[key] = _plan(
                self.relax, contact.channel, tuple(sorted(contact.skills.items())), self.skip_if
            )
        return found

    def hold(self, contact: Contact) -> Hold | None:
        """Skills alone holds no conversation slot: a turn that awaits the customer is parked at once."""
        return None


_PLANS = 4096  # skill sets kept by each Skills policy, and by all of them in _plan's cache


@lru_cache(maxsize=_PLANS)
def _plan(
    relax: tuple[Relaxation, ...], channel: Channel, skills: tuple[tuple[str, int], ...], skip_if: str | None
) -> Plan:
    # Plans are shared between contacts with the same needs: they are immutable, and a router holding
    # 100,000 waiting contacts should not hold 100,000 copies of the same four stages.
    targets = [Target(channel=channel, skills=skills)]
    starts = [0.0]
    dropped = 0
    for after, what in relax:
        if what == "any":
            target = Target(channel=channel)
        elif what == "names":
            target = Target(channel=channel, skills={name: 1 for name, _ in skills})
        else:
            dropped += what
            target = Target(channel=channel, skills={name: max(1, level - dropped) for name, level in skills})
        if target == targets[-1]:
            continue  # a step that widens nothing would only delay the contact
        targets.append(target)
        starts.append(float(after))
    stages = [
        Stage(target=target, timeout=starts[i + 1] - starts[i], skip_if=skip_if)
        if i + 1 < len(targets)
        else Stage(target=target)
        for i, target in enumerate(targets)
    ]
    return Plan(stages)
