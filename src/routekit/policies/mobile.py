"""The built-in mobile-support policy: sticky messaging, then tier gating, then skills with relaxation."""

from __future__ import annotations

from routekit.models.channel import Channel
from routekit.models.tiers import Tiers
from routekit.policies.skills import Skills
from routekit.policies.sticky import Sticky
from routekit.policies.tiers import TierGate

__all__ = ["MOBILE_TIERS", "mobile_support"]

MOBILE_TIERS = Tiers(["standard", "silver", "gold", "platinum"])


def mobile_support(
    *,
    tiers: Tiers = MOBILE_TIERS,
    hold: float = 120.0,
    window: float = 300.0,
    park_ttl: float = 86400.0,
    video_tier: str = "gold",
    vip_team: str = "vip",
    vip_overflow: float = 60.0,
    relax: tuple[tuple[float, int | str], ...] = ((30.0, 1), (90.0, "names"), (180.0, "any")),
) -> Sticky:
    """``Sticky(then=TierGate(then=Skills()))`` with the defaults mobile support runs on.

    - Messaging: the agent's slot is held 120 s for a reply, then the conversation is parked for up to a
      day; a reply goes to the last agent for 300 s, then to the skills pool.
    - Video: gold and platinum only; lower tiers are denied with chat as the fallback.
    - Priority: +1 for gold, +2 for platinum; platinum goes to the ``vip`` team first, for 60 s.
    - Skills: after 30 s every minimum drops a level, after 90 s only the skill names count, after 180 s
      any agent on the channel.

    >>> policy = mobile_support()
    >>> policy.window, policy.then.gates
    (300.0, {<Channel.VIDEO: 'video'>: 'gold'})
    """
    top = tiers.names[-1]
    return Sticky(
        hold,
        window,
        park_ttl=park_ttl,
        then=TierGate(
            tiers=tiers,
            gates={Channel.VIDEO: video_tier},
            fallback={Channel.VIDEO: Channel.CHAT},
            boost={tier.name: tier.rank - tiers.rank(video_tier) + 1 for tier in tiers.from_(video_tier)},
            teams={top: (vip_team, vip_overflow)},
            then=Skills(relax=relax),
        ),
    )
