"""Recorded workloads: a loader for the Anonymous Bank call log, the trace CSV the simulator replays, and
patience estimated from censored waits.

>>> from routekit.datasets import TRACE_COLUMNS
>>> TRACE_COLUMNS[:3]
('arrival', 'channel', 'priority')
"""

from routekit.datasets.anonymous_bank import (
    BankCall,
    BankLog,
    Outcome,
    PeriodFigures,
    load_anonymous_bank,
)
from routekit.datasets.patience import (
    ExponentialPatience,
    KaplanMeierPatience,
    LognormalPatience,
    fit_exponential,
    fit_kaplan_meier,
    fit_lognormal,
)
from routekit.datasets.trace import TRACE_COLUMNS, TraceRecord, read_trace, write_trace

__all__ = [
    "TRACE_COLUMNS",
    "BankCall",
    "BankLog",
    "ExponentialPatience",
    "KaplanMeierPatience",
    "LognormalPatience",
    "Outcome",
    "PeriodFigures",
    "TraceRecord",
    "fit_exponential",
    "fit_kaplan_meier",
    "fit_lognormal",
    "load_anonymous_bank",
    "read_trace",
    "write_trace",
]
