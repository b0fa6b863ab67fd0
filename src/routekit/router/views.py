"""The router's read views: what a platform, a wallboard or a test may read, changing nothing.

:class:`RouterViews` is the read-only half of :class:`~routekit.Router`; none of its methods fires a timer
or moves the clock.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

import attrs

from routekit.errors import ClockError, ConfigError, UnknownIdError
from routekit.explanation import Explanation
from routekit.models.agent import AgentStatus
from routekit.models.channel import Channel
from routekit.models.contact import Contact, Conversation
from routekit.policies.base import Denial, Target
from routekit.router import explain as explaining
from routekit.router.estimate import PREDICTORS, estimate
from routekit.router.index import has_room, place, routable
from routekit.router.limits import refused_entry
from routekit.router.refusals import require_type
from routekit.router.settings import RouterSettings
from routekit.router.stages import entry_stage
from routekit.router.state import WAITING, AgentRecord, ContactState, RoutingState
from routekit.router.statistics import Statistics, statistics
from routekit.router.waits import POOLED, channel_ahead, closed_for, expected_wait, head_waited

__all__ = ["AgentSnapshot", "RouterViews"]

_INF = math.inf


def _finite(now: object) -> float:
    """``now`` as a float, or ``ClockError`` when it is not a finite number of seconds (a bool included)."""
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise ClockError(f"now must be a finite number of seconds, got {now!r}")
    return float(now)


def _predictor(rs: RoutingState, predictor: str | None) -> str:
    if predictor is None:
        return rs.wait_predictor
    if predictor not in PREDICTORS:
        raise ConfigError(f"predictor must be one of {', '.join(PREDICTORS)}, got {predictor!r}")
    return predictor


def _agent_free(rs: RoutingState, target: Target) -> bool:
    """Whether an agent could be offered a new contact at ``target`` now: eligible, and with no queue delay
    for the target (a new contact has waited nothing at its stage). O(1) once the target has its pool and no
    agent gives its rule a delay; O(pool) when some agent does."""
    delayed = rs.delays.get(target.rule)
    if target.agent is None:
        pool = rs.pools.get(target)
        if pool is not None and not delayed:
            return len(pool) > 0
        # A target no contact has reached yet has no pool: look at the agents (once per new target).
        agents: Iterable[AgentRecord] = rs.agents.values() if pool is None else [rs.agents[a] for a in pool]
    else:
        ar = rs.agents.get(target.agent)
        agents = () if ar is None else (ar,)
    channel, rule, per_agent = target.channel, target.rule, rs.offers_per_agent
    return any(
        target.matches(ar.agent)
        and ar.takes_offers(per_agent)
        and has_room(rs, ar, channel)
        and not (delayed and ar.agent.queue_priorities.get(rule, (0, 0.0))[1] > 0)
        for ar in agents
    )


@attrs.frozen(kw_only=True)
class AgentSnapshot:
    """A read-only view of one agent for dashboards: presence, load and what is in hand."""

    agent_id: str
    status: AgentStatus
    load: dict[Channel, int]
    busy: int
    offer: str | None
    work: dict[str, str]
    idle_since: float
    # Every pending offer, oldest first (``offer`` is the first); more than one only with
    # RouterSettings(offers_per_agent > 1).
    pending_offers: tuple[str, ...] = ()


class RouterViews:
    """The read-only views of a router's state (the public half of :class:`~routekit.Router` that reads)."""

    _rs: RoutingState

    @property
    def settings(self) -> RouterSettings:
        """The settings the router was built with; they do not change."""
        return self._rs.settings

    @property
    def now(self) -> float:
        """The latest time the router was given (``-inf`` before the first call)."""
        return self._rs.now

    def next_deadline(self) -> float | None:
        """The earliest pending timer's due time, or ``None``: when the host should call :meth:`advance`."""
        return self._rs.timers.next_due()

    def conversation(self, conversation_id: str) -> Conversation:
        """A conversation's history (turns, agents who served it, context), for the agent's screen.

        Raises:
            UnknownIdError: No conversation has that id (or it was forgotten after the retention time).
        """
        conv = self._rs.conversations.get(conversation_id)
        if conv is None:
            raise UnknownIdError(f"unknown conversation {conversation_id!r}")
        return conv.record

    # ---------------------------------------------------------------------------------------- read views

    def contact(self, contact_id: str) -> Contact:
        """A live contact as submitted (with its conversation history for a reply turn).

        Raises:
            UnknownIdError: The contact is not live.
        """
        cr = self._rs.contacts.get(contact_id)
        if cr is None:
            raise UnknownIdError(f"unknown contact {contact_id!r}")
        return cr.contact

    def state(self, contact_id: str) -> ContactState | None:
        """Where a live contact is, or ``None`` when it is not live (finished or unknown). O(1)."""
        cr = self._rs.contacts.get(contact_id)
        return None if cr is None else cr.state

    def position(self, contact_id: str) -> int | None:
        """The 0-based place of a waiting contact in its current queue, ``None`` when it is not waiting.

        O(log n) in the contacts of its queue.
        """
        rs = self._rs
        cr = rs.contacts.get(contact_id)
        if cr is None or cr.state is not WAITING:
            return None
        return place(rs, cr)

    def waiting(self) -> list[str]:
        """Every waiting contact, in service order across all queues. O(n log targets)."""
        contacts = self._rs.contacts
        queues = [
            ((cr.key, cid) for cid in queue for cr in (contacts[cid],))
            for queue in self._rs.queues.values()
            if len(queue)
        ]
        return [cid for _, cid in heapq.merge(*queues)]

    def agent_state(self, agent_id: str) -> AgentSnapshot:
        """An agent's presence, load and work in hand. O(work).

        Raises:
            UnknownIdError: No agent with that id is registered.
        """
        ar = self._rs.agents.get(agent_id)
        if ar is None:
            raise UnknownIdError(f"unknown agent {agent_id!r}")
        return AgentSnapshot(
            agent_id=agent_id,
            status=ar.status,
            load={channel: n for channel, n in ar.load.items() if n},
            busy=ar.busy,
            offer=ar.offer,
            pending_offers=tuple(ar.offers),
            work={cid: kind.value for cid, (_, kind) in ar.work.items()},
            idle_since=ar.idle_since,
        )

    def agents(self) -> list[str]:
        """The ids of the registered agents, in registration order."""
        return list(self._rs.agents)

    def expected_wait(self, contact_id: str, now: float, *, predictor: str | None = None) -> float | None:
        """An estimate of how much longer a waiting contact will wait, in seconds.

        ``predictor`` names one of :data:`~routekit.router.estimate.PREDICTORS` (default: the settings'
        ``wait_predictor``): ``queue-length``, Whitt and Ibrahim's queue-length predictor from the
        contacts ahead of it and its target's online service and abandonment rates;
        ``queue-length-channel``, the same with its channel as one pool (the contacts ahead in every
        general queue of the channel, and the channel's service rate); ``les``, the wait of
        the last contact answered at its target after waiting; ``hol``, how long the contact at the head of
        its queue has waited by ``now``. It is ``None`` when the contact is not waiting or the predictor has nothing on
        record yet (no answer at its target or channel). A contact waiting on an asynchronous channel outside
        its opening hours waits for the opening first: the seconds until then are added. It reads no state
        it changes and fires no timers.
        O(log n) in its queue (``queue-length-channel``: O(targets log n)).

        Raises:
            ConfigError: ``predictor`` names no predictor.
            ClockError: ``now`` is not a finite number of seconds.
        """
        if type(now) is not float or not -_INF < now < _INF:  # the simulator's float passes at one test
            now = _finite(now)
        rs = self._rs
        name = _predictor(rs, predictor)
        cr = rs.contacts.get(contact_id)
        if cr is None or cr.state is not WAITING:
            return None
        return expected_wait(rs, cr, now, name)

    def quote_wait(self, contact: Contact, now: float, *, predictor: str | None = None) -> float | None:
        """The wait a contact not yet submitted would be told, in seconds: what an IVR or an app shows first.

        It runs the policy's plan for ``contact`` and estimates, as :meth:`expected_wait` would, at the first
        stage it would wait at (past the stages ``submit`` would skip at once), in the place its queue key
        would take, plus the seconds until the opening on an asynchronous channel closed by its hours. 0.0
        when it would be offered at once (nobody ahead and an eligible agent free); ``None`` when ``submit``
        would deny it (the policy, a closed line, a full queue), no registered agent could serve it, or the
        predictor has nothing on record. It changes no state and fires no timers. O(log n) in the queue, plus
        the policy's plan.

        Raises:
            ConfigError: ``predictor`` names no predictor.
            ClockError: ``now`` is not a finite number of seconds.
            UnknownIdError: The policy does not know the customer's tier (as ``submit`` would raise).
        """
        if type(contact) is not Contact:
            require_type("contact", contact, Contact)
        now = _finite(now)
        rs = self._rs
        name = _predictor(rs, predictor)
        plan = rs.policy.plan(contact, now)
        if isinstance(plan, Denial) or not routable(rs, contact, plan):
            return None
        if (rs.shut or rs.queue_limits) and refused_entry(rs, contact, plan) is not None:
            return None  # submit would deny it: a closed line or a full queue
        stage = plan.stages[entry_stage(rs, plan)]
        target = stage.target
        arrived = contact.arrived_at if contact.arrived_at is not None else now
        queue = rs.queues.get(target)
        # The key submit would give it: (-(priority + boost), arrival less the head start, the next seq).
        key = (-(contact.priority + stage.boost), arrived - contact.head_start, rs.seq)
        ahead = 0 if queue is None else queue.place_of(key)
        closed = closed_for(rs, target.channel, now)
        if ahead == 0 and not closed and _agent_free(rs, target):
            return 0.0
        guess = estimate(
            name,
            channel_ahead(rs, target, key) if name == POOLED else ahead,
            head_waited(rs, target, ahead, now),
            rs.wait_targets.get(target),
            rs.wait_channels.get(target.channel),
        )
        return None if guess is None else closed + guess

    def statistics(self, now: float | None = None) -> Statistics:
        """Live statistics for a wallboard, per target and per channel. O(targets + channels + tiers).

        Waiting contacts (by effective priority, and per channel by tier), the oldest waiting contact and how
        long it has waited by ``now`` (default: the router's time), pending offers, and agents logged in,
        available, away, busy, in wrap-up and eligible; parked conversations per channel. It fires no
        timers and changes nothing a decision reads.

        >>> import routekit as rk
        >>> router = rk.Router(rk.policies.Skills())
        >>> _ = router.add_agent(rk.Agent(id="ana", capacity={"voice": 1}), 0.0)
        >>> for n in range(3):
        ...     _ = router.submit(rk.Contact(id=f"c-{n}", customer=rk.Customer(id="u"), channel="voice"), float(n))
        >>> voice = router.statistics(10.0).channel("voice")
        >>> voice.waiting, voice.oldest_contact, voice.longest_wait, voice.offers
        (2, 'c-1', 9.0, 1)
        """
        rs = self._rs
        if not rs.live:
            raise ConfigError("this router keeps no live statistics (RouterSettings.live_statistics is False)")
        return statistics(rs, rs.now if now is None else _finite(now))

    def explain(self, contact_id: str, now: float | None = None) -> Explanation:
        """Why a contact is where it is: its plan, stage, place, and every agent's standing. O(agents).

        For a waiting or offered contact: the plan, the active stage and when it ends, the place in the
        queue and the contacts ahead, and for every registered agent either eligible (ranked by the
        selection key, with the terms it orders by) or the first reason that rules the agent out. For an
        assigned, held or finished contact: the decision that was made and the rule that made it.
        It reads state, fires no timers and changes nothing; it is never on the routing path.

        Args:
            contact_id: A live contact, or one finished within the retention time.
            now: The time to report (default: the router's current time); timers are not fired.

        Raises:
            UnknownIdError: The contact is not known (or was forgotten after the retention time).
        """
        return explaining.explain(self._rs, contact_id, self._rs.now if now is None else float(now))
