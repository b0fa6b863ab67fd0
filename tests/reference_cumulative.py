"""A naive window over the whole event list: what ``CumulativeStatistics.read`` must give, counted from scratch.

No buckets, no pruning, no sorted deadlines: it replays every event ever recorded, keeps every contact,
and counts a fact when the moment it happened lies in ``[start, now]``, by the rules of
``routekit.metrics.cumulative`` (first ``ContactQueued``, first ``Assigned``, a miss decided when the wait
passes the threshold or the contact leaves unanswered before that).
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

from routekit import events as ev


def window_from_scratch(
    events: list[Any], start: float, now: float, thresholds: dict[str, float], edges: tuple[float, ...]
) -> dict[str, Counter[str]]:
    """Per channel name, a Counter of the window's counts (``decided``, ``answered_within``, ``band:i``, ...)."""
    rows: dict[str, Counter[str]] = {}
    contacts: dict[str, dict[str, Any]] = {}
    held: dict[str, str] = {}

    def count(at: float, channel: str, name: str, amount: float = 1) -> None:
        if start <= at <= now:
            rows.setdefault(channel, Counter())[name] += amount  # type: ignore[assignment]

    def left_unanswered(contact: dict[str, Any], at: float) -> None:
        threshold = thresholds.get(contact["channel"])
        if threshold is not None:
            count(min(at, contact["arrived_at"] + threshold), contact["channel"], "decided")

    for event in events:
        contact = contacts.get(getattr(event, "contact_id", ""))
        if isinstance(event, ev.ContactQueued):
            if contact is None:
                channel = event.channel.value
                contacts[event.contact_id] = {
                    "channel": channel,
                    "arrived_at": event.arrived_at,
                    "answered": False,
                    "offered_at": None,
                    "conversation": None,
                }
                count(event.at, channel, "offered")
        elif contact is None:
            if isinstance(event, ev.Denied):
                count(event.at, event.channel.value, "denied")
                count(event.at, event.channel.value, f"reason:{event.reason}")
            elif isinstance(event, ev.ConversationClosed) and event.conversation_id in held:
                contacts.pop(held.pop(event.conversation_id), None)
        elif isinstance(event, ev.Offered):
            contact["offered_at"] = event.at
            count(event.at, contact["channel"], "offers")
        elif isinstance(event, ev.OfferRejected | ev.OfferExpired | ev.OfferRescinded):
            contact["offered_at"] = None
            count(event.at, contact["channel"], type(event).__name__)
        elif isinstance(event, ev.Assigned):
            channel = contact["channel"]
            count(event.at, channel, "accepted")
            if contact["offered_at"] is not None:
                count(event.at, channel, "accept_sum", event.at - contact["offered_at"])
            contact["offered_at"] = None
            if not contact["answered"]:
                contact["answered"] = True
                count(event.at, channel, "answered")
                count(event.at, channel, "wait_sum", event.waited)
                count(event.at, channel, f"band:{bisect.bisect_left(edges, event.waited)}")
                threshold = thresholds.get(channel)
                if threshold is not None:
                    if event.waited <= threshold:
                        count(event.at, channel, "decided")
                        count(event.at, channel, "answered_within")
                    else:
                        left_unanswered(contact, event.at)
        elif isinstance(event, ev.Abandoned | ev.Denied | ev.Completed | ev.Parked):
            del contacts[event.contact_id]
            if contact["conversation"] is not None:
                held.pop(contact["conversation"], None)
            if contact["answered"] or isinstance(event, ev.Completed | ev.Parked):
                continue
            if isinstance(event, ev.Abandoned):
                count(event.at, contact["channel"], "abandoned")
            else:
                count(event.at, contact["channel"], "denied_after_queue")
                count(event.at, contact["channel"], f"reason:{event.reason}")
            left_unanswered(contact, event.at)
        elif isinstance(event, ev.AwaitingCustomer):
            contact["conversation"] = event.conversation_id
            held[event.conversation_id] = event.contact_id
    for contact in contacts.values():
        threshold = thresholds.get(contact["channel"])
        if threshold is not None and not contact["answered"]:
            passed = contact["arrived_at"] + threshold
            if passed < now:
                count(passed, contact["channel"], "decided")
    return rows
