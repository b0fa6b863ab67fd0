"""The channels a contact can arrive on, and what each implies for routing."""

from __future__ import annotations

from enum import StrEnum

from routekit.errors import ConfigError


class Channel(StrEnum):
    """A contact channel.

    A channel is *synchronous* when the customer is waiting now (voice, video, chat) and
    *asynchronous* when replies can be hours apart (in-app messaging, email, sms, social).
    Voice and video are *exclusive* by default: an agent on one handles nothing else.

    >>> Channel.VIDEO.synchronous, Channel.VIDEO.exclusive
    (True, True)
    >>> Channel("messaging").synchronous
    False
    """

    VOICE = "voice"
    VIDEO = "video"
    CHAT = "chat"
    MESSAGING = "messaging"
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"

    @property
    def synchronous(self) -> bool:
        """Whether the customer is waiting on the line (voice, video, chat)."""
        return self in _SYNCHRONOUS

    @property
    def exclusive(self) -> bool:
        """Whether an agent on this channel handles nothing else, by default (voice, video)."""
        return self in _EXCLUSIVE


_SYNCHRONOUS = frozenset({Channel.VOICE, Channel.VIDEO, Channel.CHAT})
_EXCLUSIVE = frozenset({Channel.VOICE, Channel.VIDEO})


def to_channel(value: Channel | str) -> Channel:
    """Turn a channel name into a :class:`Channel`, naming the bad value otherwise."""
    try:
        return Channel(value)
    except ValueError:
        names = ", ".join(c.value for c in Channel)
        raise ConfigError(f"unknown channel {value!r}; expected one of {names}") from None
