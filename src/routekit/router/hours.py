"""Opening hours: which channels are closed now, when they reopen, and the timer at each opening and closing.

The router's ``now`` is seconds; ``RouterSettings.epoch`` is the UNIX time of ``now=0``, which places it on
each channel's :class:`~routekit.models.hours.OpeningHours`. One ``OPENING_HOURS`` timer per channel with
hours waits for the calendar's next change; its payload carries the change as a UNIX time, so the next one
is read from the calendar exactly, never from a sum that rounding could put a hair before the boundary.

What a closed channel does:

- a synchronous contact submitted while closed is denied, ``Denied(reason="closed", reopens_at=...)``;
  those already waiting when it closes keep waiting and are served, as centers do;
- an asynchronous contact is accepted and waits: a stage entered while closed counts from the opening,
  a new contact's service-level clock starts at the opening, and no offers are made on the channel until
  it opens, when every contact waiting on it is weighed at the opening instant. An offer already
  pending when the channel closes stays pending.
"""

from __future__ import annotations

from typing import Any

from routekit.events import Event
from routekit.models.channel import Channel
from routekit.models.hours import is_open, next_change
from routekit.router.state import OPENING_HOURS, SYNCHRONOUS, RoutingState

__all__ = ["closed_to", "hours_changed", "open_calendars"]


def open_calendars(rs: RoutingState) -> None:
    """Read each calendar at ``now=0`` and set the timer for its next change. O(channels d k)."""
    epoch = rs.epoch
    if epoch is None:
        return
    for channel in sorted(rs.hours, key=lambda c: c.value):
        hours = rs.hours[channel]
        if not is_open(hours, epoch):
            _close(rs, channel, epoch)
        _schedule(rs, channel, epoch)


def hours_changed(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``OPENING_HOURS`` timer: a channel opens or closes; an opening releases its asynchronous contacts."""
    value, boundary = payload
    channel = Channel(value)
    del rs.hours_timers[channel]
    if channel in rs.shut:
        del rs.shut[channel]
        if channel in rs.held:
            rs.held.discard(channel)
            dirty = rs.dirty_contacts
            for target, queue in rs.queues.items():
                if target.channel is channel:
                    for contact_id in queue:
                        dirty[contact_id] = None
    else:
        _close(rs, channel, boundary)
    _schedule(rs, channel, boundary)


def closed_to(rs: RoutingState, channel: Channel) -> bool:
    """Whether a closed channel denies a new contact: always when synchronous; when asynchronous, only if it
    never opens again (a contact accepted then would wait forever). The channel must be closed."""
    return channel in SYNCHRONOUS or rs.shut[channel] is None


def _close(rs: RoutingState, channel: Channel, ts: float) -> None:
    assert rs.epoch is not None
    opens = next_change(rs.hours[channel], ts)
    rs.shut[channel] = None if opens is None else opens - rs.epoch
    if channel not in SYNCHRONOUS:
        rs.held.add(channel)


def _schedule(rs: RoutingState, channel: Channel, ts: float) -> None:
    assert rs.epoch is not None
    change = next_change(rs.hours[channel], ts)
    if change is not None:
        rs.hours_timers[channel] = rs.timers.set(change - rs.epoch, OPENING_HOURS, (channel.value, change))
