"""Why, and why not: the records :meth:`routekit.Router.explain` returns, as text and as plain data.

An :class:`Explanation` is built from the router's state at one moment and changes nothing. For a waiting
or offered contact it gives the plan, the active stage and when it ends, the place in the queue and who
is ahead, and for every registered agent either *eligible*, with the terms the selection key orders by,
or the first reason that rules the agent out. For an assigned or finished contact it gives the decision
that was made and the rule that made it.
"""

from __future__ import annotations

from typing import Any

import attr
import attrs

__all__ = ["AgentVerdict", "Decision", "Explanation", "PlanStage", "RuleStatus"]


@attrs.frozen(kw_only=True)
class PlanStage:
    """One stage of the contact's plan: its index, rule, and timeout (``None`` on the last)."""

    stage: int
    rule: str
    timeout: float | None


@attrs.frozen(kw_only=True)
class RuleStatus:
    """An exception rule at the contact's stage, and when it fires.

    ``fires_at`` is when a wait rule will fire if the contact still waits then; ``None`` for a wait rule
    already fired or passed over, and for a rule judged at entry (``judged`` says which).
    """

    name: str
    trigger: str
    threshold: float
    action: str
    judged: str
    fires_at: float | None = None

    def line(self) -> str:
        """One line of the report."""
        when = f"fires at t={_fmt(self.fires_at)}" if self.fires_at is not None else self.judged
        return f"  {self.name}: {self.trigger} {_fmt(self.threshold)} -> {self.action}, {when}"


@attrs.frozen(kw_only=True)
class AgentVerdict:
    """One agent's standing for the contact: eligible (with its rank and selection terms) or ruled out."""

    agent_id: str
    eligible: bool
    reason: str | None = None
    rank: int | None = None
    terms: dict[str, Any] = attrs.field(factory=dict)

    def line(self) -> str:
        """One line of the report."""
        if self.eligible:
            terms = ", ".join(f"{k} {_fmt(v)}" for k, v in self.terms.items())
            return f"  {self.agent_id}: eligible, #{self.rank} by selection ({terms})"
        return f"  {self.agent_id}: {self.reason}"


@attrs.frozen(kw_only=True)
class Decision:
    """What the router decided for a contact that is no longer waiting: who, by which stage and rule."""

    outcome: str
    agent_id: str | None
    stage: int | None
    rule: str | None
    selection: str | None
    at: float | None


@attrs.frozen(kw_only=True)
class Explanation:
    """Why a contact is where it is at ``at``: plan, stage, place in the queue, and each agent's standing."""

    contact_id: str
    at: float
    state: str
    plan: tuple[PlanStage, ...] = ()
    stage: int | None = None
    stage_ends_at: float | None = None
    position: int | None = None
    ahead: tuple[str, ...] = ()
    agents: tuple[AgentVerdict, ...] = ()
    decision: Decision | None = None
    exception_rules: tuple[RuleStatus, ...] = ()

    @property
    def eligible(self) -> tuple[str, ...]:
        """The eligible agents, best first by the selection key."""
        ranked = sorted((v for v in self.agents if v.eligible), key=lambda v: v.rank or 0)
        return tuple(v.agent_id for v in ranked)

    def verdict(self, agent_id: str) -> AgentVerdict:
        """One agent's standing.

        Raises:
            KeyError: The agent is not in the explanation.
        """
        for verdict in self.agents:
            if verdict.agent_id == agent_id:
                return verdict
        raise KeyError(agent_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able data."""
        # attr.asdict turns the records' tuples into lists, so the data equals its own JSON round trip.
        return attr.asdict(self, retain_collection_types=False)

    def text(self) -> str:
        """A short plain-text report."""
        lines = [f"contact {self.contact_id} at t={_fmt(self.at)}: {self.state}"]
        if self.decision is not None:
            d = self.decision
            who = f" by {d.agent_id}" if d.agent_id else ""
            rule = f" at stage {d.stage} ({d.rule}, selection {d.selection})" if d.rule else ""
            when = f" at t={_fmt(d.at)}" if d.at is not None else ""
            lines.append(f"decision: {d.outcome}{who}{rule}{when}")
        if self.plan:
            stages = "; ".join(
                f"{'>' if s.stage == self.stage else ' '}{s.stage} {s.rule}"
                + (f" for {_fmt(s.timeout)} s" if s.timeout is not None else "")
                for s in self.plan
            )
            lines.append(f"plan: {stages}")
        if self.stage is not None:
            ends = f", ends at t={_fmt(self.stage_ends_at)}" if self.stage_ends_at is not None else ", the last"
            lines.append(f"stage {self.stage}{ends}")
        if self.position is not None:
            ahead = ", ".join(self.ahead) if self.ahead else "nobody"
            lines.append(f"place in queue: {self.position} (ahead: {ahead})")
        if self.exception_rules:
            lines.append("exception rules:")
            lines.extend(rule.line() for rule in self.exception_rules)
        if self.agents:
            lines.append("agents:")
            lines.extend(verdict.line() for verdict in self.agents)
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
