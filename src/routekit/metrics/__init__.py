"""KPIs computed from the router's event stream: the same code a platform runs on its live events.

A :class:`KpiCollector` observes events one at a time (O(1) each, a handler per event type) and
keeps per-contact state only while a contact is open, so memory stays bounded over millions of events.
``report(until)`` returns a frozen :class:`KpiReport` with a row per channel, per tier, per (channel, tier)
and overall (``"all"``).

Every contact KPI is over *offered* contacts after warm-up, and each contact counts once under the
channel and tier of its first ``ContactQueued``.
A contact's *wait* runs from ``ContactQueued.arrived_at`` (the service-level clock start: the original
arrival, or the customer's reply for a conversation turn) to its first ``Assigned``, which carries it as
``Assigned.waited``.

- ``offered``: contacts that entered routing, that is, the first ``ContactQueued`` of each contact id.
  A later ``ContactQueued`` of the same id (after ``Transferred``) is the same contact, not a new one.
  A reply turn of a conversation has its own id, so it is a new offered contact.
- ``handled``: offered contacts with an ``Assigned``.
- ``abandoned``: offered contacts with an ``Abandoned`` before any ``Assigned``.
  Abandoning a held or parked conversation, or a transferred contact, is not an abandonment: the contact
  was handled.
- ``denied``: contacts refused at submit (a ``Denied`` with no ``ContactQueued`` before it); they are not
  offered.
- ``denied_with_fallback``: those of ``denied`` whose ``Denied.fallback`` names a channel.
- ``denied_queue_full``: those of ``denied`` with ``reason="queue-full"`` (a queue at its limit).
- ``retrials``: those of ``offered`` and ``denied`` that were a customer trying again
  (:meth:`KpiCollector.observe_retrial`); ``offered + denied - retrials`` counts customers.
- ``denied_closed``: those of ``denied`` whose ``Denied.reason`` is ``closed``: outside the channel's
  opening hours.
- ``denied_after_queue``: offered contacts ended by a ``Denied`` before any ``Assigned`` (for example
  ``reason="unroutable"`` after the last agent who could serve them left).
- ``still_waiting``: offered contacts neither assigned nor ended by ``until`` (waiting or being offered).
  Each offered contact has exactly one outcome:
  ``handled + abandoned + denied_after_queue + still_waiting == offered``.
- ``abandon_rate``: ``abandoned / offered``.
- ``service_level``: contacts answered with a wait at most the channel's threshold, over offered contacts,
  abandoned ones included whenever they left (Erlang A defines it the same way).
  A contact still waiting at ``until`` counts as a miss once it has waited past the threshold; one that
  has not is undecided and left out of the denominator, so a report taken mid-day is not biased by
  contacts that may yet be answered in time.
  Channels without a threshold in ``service_levels`` have no service level and are left out of the
  tier and overall rows' service level.
- ``asa``: the mean wait of handled contacts.
- ``p_wait``: the share of offered contacts not offered to an agent at once: the first ``Offered.at`` is
  after the first ``ContactQueued.at``, or there was no ``Offered`` at all.
- ``aht``: the mean, over contacts with a ``Completed``, of the time assigned (each ``Assigned`` to the
  next ``Transferred`` or the ``Completed``, summed over transfers) plus the wrap-up,
  ``Completed.wrap_up_until - Completed.at``.
  A conversation turn that ends ``Parked`` has no ``Completed`` and gives no sample.
- ``max_wait``: the longest wait of any offered contact: answered (``Assigned.waited``), abandoned or
  denied (the time it ended less ``arrived_at``), or still waiting at ``until``.
- ``sticky_hit_rate``: the share of answered reply turns (announced by ``Resumed`` with a
  ``last_agent_id``) whose first ``Assigned`` agent is that last agent.
- ``expected_wait_bias`` and ``expected_wait_mae``: the mean and the mean absolute value of
  ``estimate - actual`` over handled contacts with an estimate (:meth:`KpiCollector.observe_estimate`),
  where ``actual`` is the first ``Assigned.at`` less the first ``ContactQueued.at``: the estimate is
  made at submit, so it is measured from submit.
- ``occupancy``: the time agents have any work, over the time they are logged in.
  An agent has work from ``Assigned`` until the ``WrapUpEnded`` after ``Completed`` (until ``Completed``
  when there is no wrap-up), ``Transferred`` or ``Parked``; a conversation held by ``AwaitingCustomer``
  is work until it is parked, completed or abandoned.
  An agent is busy with at least one unit of work, and counts only while logged in: from an
  ``AgentStatusChanged`` to ``AVAILABLE`` or ``AWAY`` until one to ``OFFLINE``.
  On a channel row, the agents are those with capacity on that channel (given by ``capacity``), busy
  when they have work on that channel; tier rows have no occupancy.
- ``slot_utilisation`` (channel rows): busy slot-seconds on the channel (the number of its contacts an
  agent holds, times the time) over logged-in seconds times the agent's capacity on it.
- ``intervals``: per interval of ``interval`` seconds (each one with a contact first queued in it or an
  agent logged in, and those between), by the contact's first ``ContactQueued.at``:
  ``offered``, ``handled``, ``abandoned``, ``service_level`` and ``asa`` as above; on the rows of every
  tier (``tier == "all"``), also the agent time within the interval itself: ``occupancy`` as above, and
  ``agents``, the mean number of agents logged in (with capacity on the row's channel), that is, logged-in
  agent seconds over the seconds of the interval that were measured.

Warm-up: the first ``warmup_contacts`` distinct contacts to be queued are left out of every contact KPI,
and so is a ``Denied`` at submit before they are all queued.
Agent time (occupancy, slot utilisation) counts from the moment the first counted contact is queued.
A KPI whose denominator is zero is ``None``.

>>> from routekit.events import Assigned, ContactQueued, Completed, Offered
>>> from routekit.models.channel import Channel
>>> kpis = KpiCollector(service_levels={Channel.VOICE: 20.0})
>>> kpis.observe_all([
...     ContactQueued(at=0.0, contact_id="c-1", channel="voice", tier="gold", arrived_at=0.0, stage=0,
...                   rule="skills:billing>=3", priority=0),
...     Offered(at=5.0, contact_id="c-1", agent_id="a-1", stage=0, rule="skills:billing>=3",
...             selection="longest-idle", expires_at=25.0),
...     Assigned(at=8.0, contact_id="c-1", agent_id="a-1", waited=8.0),
...     Completed(at=68.0, contact_id="c-1", agent_id="a-1", wrap_up_until=78.0),
... ])
>>> row = kpis.report(until=100.0).row("voice", "gold")
>>> row.offered, row.handled, row.service_level, row.asa, row.p_wait, row.aht
(1, 1, 1.0, 8.0, 1.0, 70.0)
"""

from routekit.metrics.collector import KpiCollector
from routekit.metrics.cumulative import DEFAULT_WAIT_EDGES, CumulativeStatistics
from routekit.metrics.report import ALL, IntervalKpis, KpiReport, KpiRow, summary_table
from routekit.metrics.window import WindowKpis, WindowStatistics

__all__ = [
    "ALL",
    "DEFAULT_WAIT_EDGES",
    "CumulativeStatistics",
    "IntervalKpis",
    "KpiCollector",
    "KpiReport",
    "KpiRow",
    "WindowKpis",
    "WindowStatistics",
    "summary_table",
]
