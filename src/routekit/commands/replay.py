"""``routekit replay``: replay a recorded trace through the router (skills policy) and print its KPIs.

The trace is the generic trace CSV of :mod:`routekit.datasets.trace`. Each record arrives once at its
recorded time with its channel, priority, head start, tier and skills; its handle time, where recorded,
replaces the channel's draw, and so does its patience (a censored one is drawn from the fitted patience
conditioned to exceed it). :func:`replay_scenario` builds the scenario the command runs, so that a script
can replay the same way:

- every channel in the trace gets the service-level threshold asked for, a handle-time distribution
  that is the empirical distribution of the trace's own handle times on that channel (for contacts
  without one), and a patience fitted to the trace's patience column with censoring (Kaplan-Meier,
  exponential, or none);
- one pool of agents, each with every skill the trace asks for at the highest level it asks for and
  one slot on each of its channels: a fixed number, or a staffing table of ``(start second, agents)``;
- the ``skills`` policy, which never relaxes; arrivals stop after the last record, and the run drains
  for ``drain`` seconds more.

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "calls.csv").write_text(
...     "arrival,channel,skills,handle_time,patience,patience_censored\\n"
...     "0,voice,PS,100,0,1\\n10,voice,PS,50,5,0\\n20,voice,PS,60,30,1\\n"
... )
>>> scenario = replay_scenario(folder / "calls.csv", agents=1, patience="exponential")
>>> round(scenario.channels["voice"].patience.mean, 1)  # 35 s of waiting, 1 abandonment
35.0
>>> [record.handle_time for record in scenario.traces[0].records]
[100.0, 50.0, 60.0]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from routekit import kpis
from routekit._figures import count_axis, new_figure, percent_axis, save
from routekit._tables import data_frame
from routekit.commands import add_format, add_plot
from routekit.commands.simulate import format_csv, format_json, format_table
from routekit.datasets.patience import (
    ExponentialPatience,
    KaplanMeierPatience,
    LognormalPatience,
    fit_exponential,
    fit_kaplan_meier,
)
from routekit.datasets.trace import TraceRecord, read_trace
from routekit.errors import RoutekitError, ScenarioError
from routekit.sim.replications import SimulationResult, simulate
from routekit.sim.scenario import PolicySpec, Scenario, scenario_from_dict

__all__ = [
    "PATIENCE_MODELS",
    "REPLAY_KPI_NAMES",
    "FittedPatience",
    "RecordedInterval",
    "ReplayResult",
    "fit_patience",
    "recorded_intervals",
    "register",
    "replay",
    "replay_scenario",
    "run",
]

PATIENCE_MODELS = ("km", "exponential", "none")
"""The ``--patience`` choices: Kaplan-Meier, exponential, or no patience model."""

PatienceFit = ExponentialPatience | KaplanMeierPatience | LognormalPatience


def _second_moment(fit: PatienceFit) -> float:
    if isinstance(fit, ExponentialPatience):
        return 2.0 / fit.rate**2
    if isinstance(fit, LognormalPatience):
        return math.exp(2.0 * fit.mu + 2.0 * fit.sigma**2)
    # E[T^2] = integral of 2 t S(t): S is 1 before the first time, a step between times, then the tail.
    t, s = np.asarray(fit.times), np.asarray(fit.survival)
    steps = t[0] ** 2 + float(np.sum(s[:-1] * np.diff(t**2)))
    last, rate = fit.last_time, fit.tail_rate
    return float(steps + 2.0 * s[-1] * (last / rate + 1.0 / rate**2))


@attrs.frozen
class FittedPatience:
    """A patience fit of :mod:`routekit.datasets.patience` as a simulator distribution.

    Args:
        fit: The Kaplan-Meier, exponential or lognormal fit.

    >>> from routekit.datasets import ExponentialPatience
    >>> FittedPatience(ExponentialPatience(rate=0.01)).sd
    100.0
    """

    fit: PatienceFit

    @property
    def mean(self) -> float:
        """The fit's mean patience, in seconds."""
        return self.fit.mean

    @property
    def sd(self) -> float:
        """The fit's standard deviation, in seconds (the Kaplan-Meier curve's with its tail)."""
        return math.sqrt(max(_second_moment(self.fit) - self.mean**2, 0.0))

    def sample(self, rng: np.random.Generator) -> float:
        """One patience drawn with ``rng``."""
        return float(self.fit.sample(rng, 1)[0])

    def sample_many(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
        """``n`` patience values drawn with ``rng``."""
        return self.fit.sample(rng, n)


def fit_patience(records: Sequence[TraceRecord], model: str) -> FittedPatience | None:
    """Fit a patience model to the records' patience column, censored where the records say so.

    Args:
        records: The records; those without a patience are left out.
        model: ``"km"`` (Kaplan-Meier), ``"exponential"`` or ``"none"`` (no model: ``None``).

    Raises:
        ScenarioError: An unknown model, or no record with an uncensored patience to fit.
    """
    if model not in PATIENCE_MODELS:
        raise ScenarioError(f"unknown patience model {model!r}; expected one of {', '.join(PATIENCE_MODELS)}")
    if model == "none":
        return None
    known = [record for record in records if record.patience is not None]
    if not any(not record.patience_censored for record in known):
        raise ScenarioError(
            "the trace has no uncensored patience (no abandonment) to fit a patience model to; use --patience none"
        )
    times = [float(record.patience or 0.0) for record in known]
    censored = [record.patience_censored for record in known]
    fit = fit_kaplan_meier(times, censored) if model == "km" else fit_exponential(times, censored)
    return FittedPatience(fit)


def replay_scenario(
    trace: str | Path,
    *,
    agents: int | None = None,
    staffing: str | Path | Sequence[tuple[float, int]] | None = None,
    patience: str | FittedPatience | None = "km",
    service_level: float = 20.0,
    drain: float = 7200.0,
    use_patience: bool = True,
    columns: dict[str, str] | None = None,
) -> Scenario:
    """The scenario that replays a trace (see the module's description).

    Args:
        trace: The trace CSV.
        agents: A fixed number of agents, logged in throughout; give this or ``staffing``.
        staffing: A staffing CSV (columns ``start`` and ``agents``) or ``(start second, agents)`` rows.
        patience: A model name of :data:`PATIENCE_MODELS` fitted to the trace, a fitted patience, or
            ``None`` for none.
        service_level: The service-level threshold of every channel, in seconds.
        drain: Seconds the run goes on after the last arrival.
        use_patience: Whether a record's patience replaces the fitted patience's draw.
        columns: Trace column name to the CSV's own header name.

    Raises:
        ScenarioError: Both or neither of ``agents`` and ``staffing``, a bad trace or staffing table, a
            channel without any handle time, or a patience model that cannot be fitted.
    """
    if (agents is None) == (staffing is None):
        raise ScenarioError("give either agents (a number) or staffing (a table)")
    path = Path(trace)
    try:
        records = read_trace(path, columns=columns)
    except OSError as error:
        raise ScenarioError(f"{path.name}: cannot read the trace: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{path}: not a UTF-8 text file (byte {error.start} cannot be read)") from None
    fitted = fit_patience(records, patience) if isinstance(patience, str) else patience
    channels = sorted({record.channel for record in records})
    if not channels:
        raise ScenarioError(f"{path.name}: the trace has no records to replay")
    channel_tables = []
    for channel in channels:
        handle = [r.handle_time for r in records if r.channel is channel and r.handle_time is not None]
        if not handle:
            raise ScenarioError(
                f"{path.name}: no record on channel {channel.value!r} has a handle time, so the handle "
                "time of its contacts is unknown"
            )
        channel_tables.append(
            {
                "name": channel.value,
                "service_level": service_level,
                "handle_time": {"dist": "empirical", "values": handle},
            }
        )
    skills: dict[str, int] = {}
    for record in records:
        for skill, level in record.skills.items():
            skills[skill] = max(level, skills.get(skill, 1))
    group: dict[str, Any] = {
        "name": "agents",
        "capacity": {channel.value: 1 for channel in channels},
        "skills": skills,
    }
    if agents is not None:
        group["count"] = agents
    elif isinstance(staffing, str | Path):
        group["staffing"] = str(Path(staffing).resolve())
    else:
        group["staffing"] = [[float(start), int(count)] for start, count in staffing or ()]
    arrivals: dict[str, Any] = {"trace": str(path.resolve()), "use_patience": use_patience}
    if columns:
        arrivals["columns"] = dict(columns)
    data = {
        "run": {"horizon": records[-1].arrival + 1.0, "drain": drain},
        "channel": channel_tables,
        "arrivals": [arrivals],
        "agents": [group],
        # The trace defines its own tiers: the default names first, then any others in order of appearance.
        "policy": {
            "kind": "skills",
            "tiers": {"names": list(dict.fromkeys([*PolicySpec().tiers, *(r.tier for r in records)]))},
        },
    }
    scenario = scenario_from_dict(data, base=path.parent)
    if fitted is None:
        return scenario
    specs = {name: attrs.evolve(spec, patience=fitted) for name, spec in scenario.channels.items()}
    return attrs.evolve(scenario, channels=specs)


REPLAY_KPI_NAMES = ("offered", "abandoned", "abandon_rate", "service_level", "asa")
"""The KPIs a trace records and a replay simulates, per channel and interval."""


@attrs.frozen(kw_only=True)
class RecordedInterval:
    """What a trace recorded on one channel in one interval (seconds since the trace start).

    A record whose patience is not censored gave up after waiting it (``abandoned``); a censored one was
    answered after waiting it (``answered``, its wait known). ``service_level`` is the answered within
    the threshold over the records with a known outcome, ``asa`` the mean wait of the answered; both
    ``None`` when the trace has no patience column (no outcome is known).
    """

    channel: str
    start: float
    end: float
    offered: int
    abandoned: int
    answered: int
    service_level: float | None
    asa: float | None

    @property
    def abandon_rate(self) -> float | None:
        """Abandoned over offered; ``None`` without an outcome known."""
        known = self.answered + self.abandoned
        return self.abandoned / self.offered if known and self.offered else None


def recorded_intervals(
    records: Sequence[TraceRecord], interval: float, thresholds: dict[str, float]
) -> tuple[RecordedInterval, ...]:
    """The trace's own KPIs per channel and interval, channels by name, intervals in time order.

    Args:
        records: The trace's records.
        interval: Seconds per interval.
        thresholds: Channel name to its service-level threshold in seconds.
    """
    groups: dict[tuple[str, int], list[TraceRecord]] = {}
    for record in records:
        groups.setdefault((record.channel.value, int(record.arrival // interval)), []).append(record)
    result = []
    for (channel, index), group in sorted(groups.items()):
        waits = [r.patience for r in group if r.patience is not None and r.patience_censored]
        abandoned = sum(1 for r in group if r.patience is not None and not r.patience_censored)
        known = len(waits) + abandoned
        threshold = thresholds.get(channel)
        in_time = sum(1 for wait in waits if threshold is not None and kpis.within_threshold(wait, threshold))
        result.append(
            RecordedInterval(
                channel=channel,
                start=index * interval,
                end=(index + 1) * interval,
                offered=len(group),
                abandoned=abandoned,
                answered=len(waits),
                service_level=kpis.service_level(in_time, known) if threshold is not None else None,
                asa=kpis.average_speed_of_answer(math.fsum(waits), len(waits)),
            )
        )
    return tuple(result)


@attrs.frozen
class ReplayResult:
    """A replayed trace: the simulation and what the trace itself recorded, interval by interval.

    ``simulated`` is the :class:`~routekit.sim.replications.SimulationResult` (its ``to_rows``,
    ``to_dataframe``, ``intervals`` and ``interval_rows``); ``recorded`` is the trace's own KPIs per channel and
    interval. :meth:`interval_rows` puts both side by side, with a ``source`` column.
    """

    simulated: SimulationResult
    recorded: tuple[RecordedInterval, ...]

    def to_rows(self, kind: str = "long") -> list[dict[str, Any]]:
        """The simulated KPIs per channel and tier (``SimulationResult.to_rows``)."""
        return self.simulated.to_rows(kind)

    def to_dataframe(self, kind: str = "long") -> Any:
        """The simulated KPIs as a ``pandas.DataFrame`` (``SimulationResult.to_dataframe``; the ``frames`` extra)."""
        return self.simulated.to_dataframe(kind)

    def interval_columns(self, kind: str = "long") -> tuple[str, ...]:
        """The columns of :meth:`interval_rows` of that kind."""
        if kind == "long":
            return ("source", "channel", "start", "end", "kpi", "value")
        if kind == "wide":
            return ("source", "channel", "start", "end", *REPLAY_KPI_NAMES)
        raise ValueError(f"unknown table kind {kind!r}; expected 'long' or 'wide'")

    def interval_rows(self, kind: str = "long") -> list[dict[str, Any]]:
        """Recorded and simulated KPIs per channel and interval (every tier), simulated as the mean over replications.

        ``"long"``: one row per source (``recorded`` or ``simulated``), channel, interval and KPI of
        :data:`REPLAY_KPI_NAMES`. ``"wide"``: one row per source, channel and interval.

        Raises:
            ValueError: A kind other than ``"long"`` and ``"wide"``.
        """
        self.interval_columns(kind)  # refuses an unknown kind before any work
        wide = [
            {"source": "recorded", "channel": r.channel, "start": r.start, "end": r.end}
            | {name: getattr(r, name) for name in REPLAY_KPI_NAMES}
            for r in self.recorded
        ]
        channels = sorted({r.channel for r in self.recorded})
        for channel in channels:
            for s in self.simulated.intervals(channel):
                wide.append(
                    {"source": "simulated", "channel": channel, "start": s.start, "end": s.end}
                    | {name: s.kpis[name].mean for name in REPLAY_KPI_NAMES}
                )
        if kind == "wide":
            return wide
        return [
            {"source": row["source"], "channel": row["channel"], "start": row["start"], "end": row["end"]}
            | {"kpi": name, "value": row[name]}
            for row in wide
            for name in REPLAY_KPI_NAMES
        ]

    def intervals_dataframe(self, kind: str = "long") -> Any:
        """:meth:`interval_rows` as a ``pandas.DataFrame`` (the ``frames`` extra)."""
        return data_frame("ReplayResult.intervals_dataframe", self.interval_columns(kind), self.interval_rows(kind))

    def _repr_html_(self) -> str:
        """The simulated KPIs as an HTML table, for Jupyter."""
        return self.simulated._repr_html_()

    def plot(self, path: str | Path) -> Path:
        """Draw recorded against simulated, per channel: offered, service level, ASA and abandonment by interval.

        Returns:
            The path written.

        Raises:
            ImportError: matplotlib is not installed (the ``plot`` extra).
        """
        channels = sorted({r.channel for r in self.recorded})
        panels = (
            ("offered", "offered (contacts)"),
            ("service_level", "service level"),
            ("asa", "ASA (s)"),
            ("abandon_rate", "abandoned"),
        )
        figure, axes = new_figure(len(channels), len(panels), what="ReplayResult.plot", width=4.2, height=2.9)
        rows = self.interval_rows("wide")
        reps = len(self.simulated.runs)
        for row, channel in enumerate(channels):
            for column, (name, label) in enumerate(panels):
                ax = axes[row][column]
                for source, style in (
                    ("simulated", {"color": "tab:blue"}),
                    ("recorded", {"color": "black", "linestyle": "--"}),
                ):
                    points = [
                        r for r in rows if r["source"] == source and r["channel"] == channel and r[name] is not None
                    ]
                    if points:
                        hours = [r["start"] / 3600.0 for r in points]
                        step = (points[0]["end"] - points[0]["start"]) / 3600.0
                        values = [r[name] for r in points]
                        ax.step([*hours, hours[-1] + step], [*values, values[-1]], where="post", label=source, **style)
                if name == "offered":
                    count_axis(ax, label)
                elif name == "asa":
                    ax.set_ylabel(label)
                    ax.set_ylim(bottom=0)
                else:
                    percent_axis(ax, label, top=1.05 if name == "service_level" else None)
                ax.set_title(f"{channel}: {label.split(' (')[0]}", fontsize="medium")
                ax.set_xlabel("hours since the trace start")
                ax.grid(alpha=0.3)
                if column == 0:
                    ax.legend(fontsize="x-small")
        figure.suptitle(
            f"recorded against simulated ({reps} replication{'s' if reps != 1 else ''}, seed {self.simulated.seed})",
            fontsize="medium",
        )
        return save(figure, path)


def replay(scenario: Scenario, *, reps: int = 1, seed: int = 0) -> ReplayResult:
    """Simulate a scenario built by :func:`replay_scenario` and set it beside what its trace recorded."""
    simulated = simulate(scenario, reps=reps, seed=seed)
    thresholds = {
        name: spec.service_level for name, spec in scenario.channels.items() if spec.service_level is not None
    }
    records = [record for trace in scenario.traces for record in trace.records]
    return ReplayResult(simulated, recorded_intervals(records, scenario.run.interval, thresholds))


def register(subparsers: Any) -> None:
    """Add ``replay`` to the command line."""
    parser = subparsers.add_parser(
        "replay",
        help="replay a recorded trace through the router and print its KPIs",
        description="Replay a trace CSV (arrival, channel, priority, head_start, tier, skills, handle_time, "
        "patience, patience_censored) through the router with the skills policy, and print KPIs per "
        "channel and tier.",
    )
    parser.add_argument("trace", help="the trace CSV")
    staff = parser.add_mutually_exclusive_group(required=True)
    staff.add_argument("--agents", type=int, help="a fixed number of agents, logged in throughout")
    staff.add_argument(
        "--staffing", help="a staffing CSV with columns start (seconds) and agents: agents logged in from then"
    )
    parser.add_argument(
        "--patience",
        choices=PATIENCE_MODELS,
        default="km",
        help="the patience model fitted to the trace, with censoring (default km: Kaplan-Meier)",
    )
    parser.add_argument(
        "--service-level", type=float, default=20.0, help="the service-level threshold, in seconds (default 20)"
    )
    parser.add_argument("--reps", type=int, default=1, help="independent replications (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="the root seed (default 0)")
    add_format(parser)
    add_plot(parser, "also draw recorded against simulated by interval")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Replay and print; a bad trace or argument is a message on stderr and exit status 2."""
    try:
        if args.reps < 1:
            raise RoutekitError(f"--reps must be at least 1, got {args.reps}")
        if args.agents is not None and args.agents < 1:
            raise RoutekitError(f"--agents must be at least 1, got {args.agents}")
        if not math.isfinite(args.service_level) or args.service_level < 0:
            raise RoutekitError(f"--service-level must be a number of seconds >= 0, got {args.service_level}")
        scenario = replay_scenario(
            args.trace,
            agents=args.agents,
            staffing=args.staffing,
            patience=args.patience,
            service_level=args.service_level,
        )
        if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
            raise RoutekitError("--plot needs matplotlib: pip install 'routekit[plot]'")
        result = replay(scenario, reps=args.reps, seed=args.seed)
    except RoutekitError as error:
        print(f"routekit replay: {error}", file=sys.stderr)
        return 2
    formatter = {"table": format_table, "json": format_json, "csv": format_csv}[args.format]
    sys.stdout.write(formatter(result.simulated))
    if args.plot is not None:
        try:
            result.plot(args.plot)
        except OSError as error:
            print(f"routekit replay: cannot write {args.plot}: {error.strerror}", file=sys.stderr)
            return 2
        print(f"routekit replay: wrote {args.plot}", file=sys.stderr)
    return 0
