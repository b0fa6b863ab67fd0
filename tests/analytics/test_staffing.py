"""Staffing: the fewest agents meeting every target, per interval and per day, with shrinkage."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import routekit.analytics.staffing as staffing_module
from routekit.analytics import (
    Interval,
    QueueFigures,
    Targets,
    erlang_a,
    erlang_c,
    staff,
    staff_day,
)
from routekit.errors import ConfigError


def meets(targets: Targets, f: QueueFigures) -> bool:
    """Whether the figures meet every target, written out independently of Targets.unmet_by."""
    return (
        (targets.service_level is None or f.service_level >= targets.service_level)
        and (targets.max_asa is None or f.asa <= targets.max_asa)
        and (targets.max_abandon is None or f.p_abandon <= targets.max_abandon)
        and (targets.max_occupancy is None or f.occupancy <= targets.max_occupancy)
    )


def scan(rate: float, aht: float, targets: Targets, patience: float | None) -> int:
    """The reference answer: try every agent count from the first feasible one upward."""
    load = rate * aht / 3600
    n = math.floor(load) + 1 if patience is None else 1
    while True:
        if patience is None:
            f = erlang_c(rate, aht, n, targets.threshold)
        else:
            f = erlang_a(rate, aht, n, patience, targets.threshold)
        if meets(targets, f):
            return n
        n += 1


CASES = [
    pytest.param(570, 60, 120, Targets(service_level=0.8, threshold=20), id="issue-80-20-erlang-a"),
    pytest.param(570, 60, None, Targets(service_level=0.8, threshold=20), id="issue-80-20-erlang-c"),
    pytest.param(30, 300, 60, Targets(service_level=0.9, threshold=30), id="tiny-load"),
    pytest.param(4000, 180, 200, Targets(max_asa=15), id="asa-only"),
    pytest.param(4000, 180, 200, Targets(max_abandon=0.02), id="abandon-only"),
    pytest.param(4000, 180, 200, Targets(max_abandon=0.5), id="abandon-50pct-below-load"),
    pytest.param(4000, 180, None, Targets(max_occupancy=0.85), id="occupancy-only"),
    pytest.param(
        2500,
        240,
        150,
        Targets(service_level=0.8, threshold=20, max_asa=10, max_abandon=0.03, max_occupancy=0.9),
        id="all-four-targets",
    ),
    pytest.param(60_000, 180, 120, Targets(service_level=0.95, threshold=10), id="3000-erlangs"),
]


@pytest.mark.parametrize(("rate", "aht", "patience", "targets"), CASES)
def test_staff_finds_the_same_agents_as_a_full_scan(
    rate: float, aht: float, patience: float | None, targets: Targets
) -> None:
    """The bracketing search returns the smallest agent count a scan from the bottom finds."""
    assert scan(rate, aht, targets, patience) == staff(rate, aht, targets, patience=patience).agents


@pytest.mark.parametrize(("rate", "aht", "patience", "targets"), CASES)
def test_staff_meets_the_targets_and_one_fewer_agent_does_not(
    rate: float, aht: float, patience: float | None, targets: Targets
) -> None:
    """The figures at the answer meet every target, and the binding targets fail one agent below."""
    result = staff(rate, aht, targets, patience=patience)
    assert meets(targets, result.figures)
    assert result.agents == result.figures.agents
    if result.binding and result.binding != ("capacity",):
        below = (
            erlang_c(rate, aht, result.agents - 1, targets.threshold)
            if patience is None
            else erlang_a(rate, aht, result.agents - 1, patience, targets.threshold)
        )
        assert not meets(targets, below)
        assert set(result.binding) == set(
            targets.unmet_by(below.service_level, below.asa, below.p_abandon, below.occupancy)
        )


def test_combined_targets_need_the_most_any_one_of_them_needs() -> None:
    """Targets combine: the staff for all of them is the largest staff any single one needs."""
    single = [
        Targets(service_level=0.8, threshold=20),
        Targets(max_asa=10),
        Targets(max_abandon=0.03),
        Targets(max_occupancy=0.9),
    ]
    both = Targets(service_level=0.8, threshold=20, max_asa=10, max_abandon=0.03, max_occupancy=0.9)
    expected = max(staff(2500, 240, t, patience=150).agents for t in single)
    assert expected == staff(2500, 240, both, patience=150).agents


def test_staff_picks_erlang_a_with_a_patience_and_erlang_c_without() -> None:
    """A patience selects Erlang A; none selects Erlang C, which needs more agents for the same target."""
    targets = Targets(service_level=0.8, threshold=20)
    with_patience = staff(570, 60, targets, patience=120)
    without = staff(570, 60, targets)
    assert ("erlang-a", "erlang-c") == (with_patience.figures.model, without.figures.model)
    assert (11, 12) == (with_patience.agents, without.agents)


def test_erlang_c_staff_never_goes_below_capacity() -> None:
    """With a target Erlang C meets trivially, the answer is the first agent count above the load."""
    result = staff(600, 60, Targets(max_abandon=0.1))
    assert (11, ("capacity",)) == (result.agents, result.binding)


@pytest.mark.parametrize("rate", [260.0, math.nextafter(260.0, 0.0), math.nextafter(260.0, 1e9)])
def test_a_whole_number_load_is_at_capacity_not_an_ulp_below(rate: float) -> None:
    """260/h at 180 s is 13 Erlangs exactly: Erlang C refuses 13 agents and staffing starts at 14."""
    with pytest.raises(ConfigError, match="at or above capacity"):
        erlang_c(260, 180, 13, 20)
    result = staff(rate, 180, Targets(max_abandon=0.1))
    assert (14 if rate >= 260.0 else 13, ("capacity",)) == (result.agents, result.binding)
    assert math.isfinite(result.figures.asa)


def test_erlang_a_staff_may_go_below_the_load() -> None:
    """With abandonment allowed up to 50%, Erlang A staffs below the offered load."""
    result = staff(6000, 60, Targets(max_abandon=0.5), patience=60)
    assert result.agents < result.figures.load


@pytest.mark.parametrize(
    ("agents_shrinkage", "scheduled"),
    [((7, 0.3), 10), ((11, 0.3), 16), ((10, 0.0), 10), ((10, 0.5), 20), ((1, 0.99), 100), ((3, 0.1), 4)],
)
def test_shrinkage_schedules_required_over_one_minus_shrinkage_rounded_up(
    agents_shrinkage: tuple[int, float], scheduled: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scheduled agents are ceil(required / (1 − shrinkage)), with 7 / 0.7 giving 10, not 11."""
    required, shrinkage = agents_shrinkage

    def fixed(*_args: object, **_kwargs: object) -> tuple[int, dict[int, QueueFigures]]:
        f = erlang_a(570, 60, required, 120, 20)
        return required, {required: f, required - 1: f}

    monkeypatch.setattr(staffing_module, "_smallest", fixed)
    result = staff(570, 60, Targets(service_level=0.5), patience=120, shrinkage=shrinkage)
    assert (required, scheduled, shrinkage) == (result.agents, result.scheduled, result.shrinkage)


def test_the_search_evaluates_few_agent_counts_on_a_large_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staffing a 9,000-Erlang queue evaluates Erlang A a few dozen times, not thousands."""
    calls: list[int] = []

    def counted(rate: float, aht: float, agents: int, patience: float, threshold: float) -> QueueFigures:
        calls.append(agents)
        return erlang_a(rate, aht, agents, patience, threshold)

    monkeypatch.setattr(staffing_module, "erlang_a", counted)
    result = staff(540_000, 60, Targets(service_level=0.9, threshold=10), patience=120)
    assert result.agents > 8000
    assert len(set(calls)) < 40
    assert len(calls) == len(set(calls))


def test_no_arrivals_need_no_agents() -> None:
    """An interval with no arrivals needs no agents and schedules none."""
    result = staff(0, 240, Targets(service_level=0.8), patience=120, shrinkage=0.3)
    assert (0, 0, ()) == (result.agents, result.scheduled, result.binding)
    assert 1.0 == result.figures.service_level


def test_staff_refuses_targets_agents_max_cannot_meet() -> None:
    """When agents_max agents miss a target, the error names the target and the cap."""
    with pytest.raises(ConfigError, match=r"agents_max=8 .*service level 80% within 20 s"):
        staff(570, 60, Targets(service_level=0.8, threshold=20), patience=120, agents_max=8)


def test_staff_refuses_agents_max_below_erlang_c_capacity() -> None:
    """An agents_max no larger than the load cannot run Erlang C at all, and the error says so."""
    with pytest.raises(ConfigError, match=r"agents_max=9 is below the 10 agents Erlang C needs"):
        staff(570, 60, Targets(service_level=0.8), agents_max=9)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_occupancy": 0.0}, r"target max_occupancy=0\.0 cannot be met"),
        ({"max_occupancy": 1.2}, r"target max_occupancy=1\.2 cannot be met"),
        ({"service_level": 1.0}, r"target service_level=1\.0 cannot be met"),
        ({"service_level": 0.0}, r"target service_level=0\.0 cannot be met"),
        ({"service_level": math.nan}, r"target service_level=nan cannot be met"),
        ({"max_asa": 0.0}, r"target max_asa=0\.0 cannot be met"),
        ({"max_asa": -3.0}, r"target max_asa=-3\.0 cannot be met"),
        ({"max_asa": math.inf}, r"target max_asa=inf must be finite"),
        ({"max_abandon": 0.0}, r"target max_abandon=0\.0 cannot be met"),
        ({"max_abandon": "5%"}, r"target max_abandon='5%' cannot be met"),
        ({"service_level": 0.8, "threshold": -1.0}, r"threshold must be .*got -1\.0"),
        ({}, r"no staffing target given"),
    ],
)
def test_targets_refuse_what_no_staffing_can_meet(fields: dict[str, object], message: str) -> None:
    """Each impossible or malformed target is refused when the Targets is built, naming it."""
    with pytest.raises(ConfigError, match=message):
        Targets(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": -1.0}, r"rate must be .*got -1\.0"),
        ({"aht": 0.0}, r"aht must be .*got 0\.0"),
        ({"patience": 0.0}, r"patience must be .*got 0\.0"),
        ({"shrinkage": 1.0}, r"shrinkage must be a share in \[0, 1\), got 1\.0"),
        ({"shrinkage": -0.1}, r"shrinkage must be .*got -0\.1"),
        ({"agents_max": 0}, r"agents_max must be a whole number >= 1, got 0"),
        ({"concurrency": 0}, r"concurrency must be a whole number >= 1, got 0"),
        ({"targets": "80/20"}, r"targets must be a Targets, got '80/20'"),
    ],
)
def test_staff_refuses_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    """staff refuses each bad parameter with its name and value."""
    args: dict[str, object] = {"rate": 570, "aht": 60, "targets": Targets(service_level=0.8), "patience": 120}
    with pytest.raises(ConfigError, match=message):
        staff(**(args | kwargs))  # type: ignore[arg-type]


def test_staff_day_returns_one_row_per_interval_in_order() -> None:
    """A day's forecast becomes a table of agents per interval, each row the single-interval answer."""
    targets = Targets(service_level=0.8, threshold=20)
    day = [
        Interval(start="08:00", rate=300, aht=240, patience=120),
        Interval(start="08:30", rate=450, aht=250),
        Interval(start="09:00", rate=0, aht=240, patience=120),
    ]
    rows = staff_day(day, targets, shrinkage=0.25)
    assert ["08:00", "08:30", "09:00"] == [row.interval.start for row in rows]
    expected = [staff(i.rate, i.aht, targets, patience=i.patience, shrinkage=0.25) for i in day]
    assert expected == [row.staffing for row in rows]
    assert ["erlang-a", "erlang-c", "erlang-a"] == [row.staffing.figures.model for row in rows]


def test_staff_day_names_the_interval_that_fails() -> None:
    """An interval whose targets cannot be met within agents_max is named in the error."""
    day = [Interval(start="08:00", rate=30, aht=240), Interval(start="08:30", rate=540, aht=240)]
    with pytest.raises(ConfigError, match=r"interval '08:30': targets not met with agents_max=40"):
        staff_day(day, Targets(service_level=0.8), agents_max=40)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rate": -5}, r"interval '08:30': rate must be .*got -5"),
        ({"rate": "busy"}, r"interval '08:30': rate must be a number .*got 'busy'"),
        ({"aht": None}, r"interval '08:30': aht must be a number .*got None"),
        ({"aht": 0}, r"interval '08:30': aht must be .*> 0.*got 0"),
        ({"aht": [240, -1]}, r"interval '08:30': aht\[1\] must be .*got -1"),
        ({"patience": 0}, r"interval '08:30': patience must be .*got 0"),
        ({"start": 830}, r"interval start must be a label such as '08:30', got 830"),
    ],
)
def test_an_interval_refuses_bad_values_naming_itself(fields: dict[str, object], message: str) -> None:
    """Each bad value of an interval is refused when it is made, with the interval's start and the value."""
    args: dict[str, object] = {"start": "08:30", "rate": 300, "aht": 240, "patience": 120} | fields
    with pytest.raises(ConfigError, match=message):
        Interval(**args)  # type: ignore[arg-type]


def test_staff_day_refuses_something_other_than_intervals() -> None:
    """A forecast must be Interval records."""
    with pytest.raises(ConfigError, match="intervals must be Interval records"):
        staff_day([(300, 240)], Targets(service_level=0.8))  # type: ignore[list-item]


def test_an_interval_freezes_a_list_of_handle_times() -> None:
    """An Interval keeps per-concurrency handle times as a tuple, so it stays hashable and frozen."""
    assert (240.0, 300.0) == Interval(start="x", rate=1, aht=[240.0, 300.0]).aht


@given(
    rate=st.floats(1.0, 5000.0),
    aht=st.floats(30.0, 600.0),
    patience=st.one_of(st.none(), st.floats(10.0, 900.0)),
    level=st.floats(0.5, 0.95),
    threshold=st.floats(0.0, 60.0),
)
def test_staff_answer_is_minimal(
    rate: float, aht: float, patience: float | None, level: float, threshold: float
) -> None:
    """For any queue, the answer meets the target and one agent fewer does not (or is below capacity)."""
    targets = Targets(service_level=level, threshold=threshold)
    result = staff(rate, aht, targets, patience=patience)
    assert meets(targets, result.figures)
    n = result.agents - 1
    load = rate * aht / 3600
    if n >= 1 and (patience is not None or n > load):
        below = erlang_a(rate, aht, n, patience, threshold) if patience else erlang_c(rate, aht, n, threshold)
        assert not meets(targets, below)
