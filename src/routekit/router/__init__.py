"""The router: the one owner of mutable routing state, as a package of small modules.

:class:`Router` (in :mod:`~routekit.router.core`) is the public face: every state-changing call takes
``now`` and returns events. Beneath it, each module owns one concept and works on one
:class:`~routekit.router.state.RoutingState` passed in:

- :mod:`~routekit.router.estimate`: the wait predictors and the online statistics behind them;
- :mod:`~routekit.router.settings`: the router's settings;
- :mod:`~routekit.router.timers`: the timer heap, and the order of timer kinds;
- :mod:`~routekit.router.state`: the agent, contact and conversation records, and load bookkeeping;
- :mod:`~routekit.router.index`: a queue and a pool per target, and eligibility;
- :mod:`~routekit.router.bars`: re-offer delays;
- :mod:`~routekit.router.matching`: which contact goes to which agent, and making offers;
- :mod:`~routekit.router.conversations`: parking and closing conversations;
- :mod:`~routekit.router.stages`: entering routing, moving through stages, denials;
- :mod:`~routekit.router.exception_rules`: exception rules, their triggers and actions;
- :mod:`~routekit.router.offers`: offers that end unanswered;
- :mod:`~routekit.router.wrap_up`: after-contact work;
- :mod:`~routekit.router.turns`: holding a turn for the reply, and reply turns;
- :mod:`~routekit.router.refusals`: the checks before a call changes anything;
- :mod:`~routekit.router.views`, :mod:`~routekit.router.statistics`, :mod:`~routekit.router.explain`,
  :mod:`~routekit.router.snapshot`, :mod:`~routekit.router.check`: reading, saving and checking the state.

``docs/explanation/architecture.md`` follows one contact through them.
"""

from routekit.router.core import AgentSnapshot, Router
from routekit.router.settings import DEFAULT_OFFER_TIMEOUT, ExceptionRule, RouterSettings
from routekit.router.state import ContactState
from routekit.router.statistics import AgentCounts, ChannelStatistics, Statistics, TargetStatistics

__all__ = [
    "DEFAULT_OFFER_TIMEOUT",
    "AgentCounts",
    "AgentSnapshot",
    "ChannelStatistics",
    "ContactState",
    "ExceptionRule",
    "Router",
    "RouterSettings",
    "Statistics",
    "TargetStatistics",
]
