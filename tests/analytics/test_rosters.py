"""Rosters: shift plans on HiGHS, breaks inside their windows, and a weekly roster within each agent's limits."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routekit.analytics import (
    Break,
    InfeasibleRosterError,
    Interval,
    Requirement,
    RosterAgent,
    ShiftTemplate,
    SkillGroup,
    Targets,
    needs_from_staffing,
    roster,
    solve_shifts,
    staff_day,
)
from routekit.errors import ConfigError


def brute_force_cost(requirement: Requirement, templates: list[ShiftTemplate], most: int) -> float:
    """The least cost by trying every count 0..most of every template on a one-day horizon."""
    need = requirement.needs["x"]
    best = float("inf")
    for counts in itertools.product(range(most + 1), repeat=len(templates)):
        cover = [0] * requirement.horizon
        for shift, n in zip(templates, counts, strict=True):
            for i in range(shift.length):
                cover[(shift.start + i) % requirement.horizon] += n
        if all(c >= r for c, r in zip(cover, need, strict=True)):
            best = min(best, sum(n * s.cost for s, n in zip(templates, counts, strict=True)))
    return best


class TestShiftTemplate:
    def test_paid_intervals_leave_out_unpaid_breaks(self) -> None:
        """A 17-interval shift with an unpaid break of 1 and a paid one of 1 is paid for 16."""
        shift = ShiftTemplate(
            name="day",
            start=16,
            length=17,
            breaks=(Break(length=1, earliest=3, latest=4, paid=True), Break(length=1, earliest=7, latest=10)),
        )
        assert 16 == shift.paid_intervals

    def test_a_break_that_leaves_the_shift_is_refused(self) -> None:
        """A break window whose last start would run past the shift's end is refused, naming the shift."""
        with pytest.raises(ConfigError, match="shift 'short' breaks\\[0\\] may end at interval 5"):
            ShiftTemplate(name="short", start=0, length=4, breaks=(Break(length=2, earliest=1, latest=3),))

    def test_overlapping_break_windows_are_refused(self) -> None:
        """Two break windows that could overlap are refused."""
        with pytest.raises(ConfigError, match="before breaks\\[0\\] can end"):
            ShiftTemplate(
                name="day",
                start=0,
                length=16,
                breaks=(Break(length=2, earliest=4, latest=8), Break(length=1, earliest=9, latest=12)),
            )


class TestRequirement:
    def test_rows_must_be_whole_days(self) -> None:
        """A demand of 30 half hours is not a whole number of 48-interval days."""
        with pytest.raises(ConfigError, match="30 intervals is not a whole number of days of 48"):
            Requirement(needs={"voice": [1] * 30}, periods=48)

    def test_a_negative_need_names_its_interval(self) -> None:
        """A need below zero is refused with the demand and the interval's label."""
        with pytest.raises(ConfigError, match="demand 'chat' at day 1 00:30"):
            Requirement(needs={"chat": [0, -1, 0, 0]}, periods=4, interval=1800)

    def test_needs_from_staffing_places_the_day_and_repeats_it(self) -> None:
        """Two staffed rows from 08:00 land at intervals 16 and 17 of each of the three days."""
        rows = staff_day(
            [Interval(start="08:00", rate=100, aht=180), Interval(start="08:30", rate=200, aht=180)],
            Targets(service_level=0.8, threshold=20),
        )
        needs = needs_from_staffing(rows, periods=48, first=16, days=3)
        expected = [rows[0].staffing.scheduled, rows[1].staffing.scheduled]
        assert (144, expected, expected) == (len(needs), list(needs[16:18]), list(needs[64:66]))
        assert 2 * 3 == sum(1 for n in needs if n)


class TestSolveShifts:
    def test_cost_matches_brute_force_on_a_small_day(self) -> None:
        """On a 6-interval day with three templates, HiGHS finds the brute-force least cost."""
        requirement = Requirement(needs={"x": (2, 3, 5, 4, 1, 0)}, periods=6, interval=3600)
        templates = [
            ShiftTemplate(name="a", start=0, length=3, cost=3),
            ShiftTemplate(name="b", start=2, length=3, cost=3),
            ShiftTemplate(name="c", start=1, length=2, cost=2.5),
        ]
        plan = solve_shifts(requirement, templates)
        assert brute_force_cost(requirement, templates, 6) == plan.value

    def test_a_night_shift_wraps_into_the_first_intervals(self) -> None:
        """A shift starting in the last interval of a one-day horizon covers the first ones too."""
        requirement = Requirement(needs={"x": (2, 2, 0, 0, 0, 2)}, periods=6, interval=3600)
        plan = solve_shifts(requirement, [ShiftTemplate(name="night", start=5, length=3)])
        assert ((2, 2, 0, 0, 0, 2), 2.0) == (plan.working(), plan.value)

    def test_breaks_are_taken_out_of_coverage(self) -> None:
        """With a one-interval break in every shift, one agent cannot cover a full shift alone."""
        requirement = Requirement(needs={"x": (1, 1, 1, 1)}, periods=4, interval=3600)
        shift = ShiftTemplate(name="all", start=0, length=4, breaks=(Break(length=1, earliest=1, latest=2),))
        plan = solve_shifts(requirement, [shift])
        assert 2 == plan.counts[0].agents
        assert all(w >= 1 for w in plan.working())

    def test_min_abs_difference_may_leave_a_shortfall(self) -> None:
        """A lone spike the only shift cannot follow is left short rather than overstaffed for hours."""
        requirement = Requirement(needs={"x": (1, 1, 5, 1, 0, 0)}, periods=6, interval=3600)
        plan = solve_shifts(requirement, [ShiftTemplate(name="a", start=0, length=4)], objective="difference")
        assert (1, 4.0) == (plan.counts[0].agents, plan.shortfall["x"][2])
        assert 4.0 == plan.value

    def test_a_multi_skill_group_is_counted_once(self) -> None:
        """Chat and voice both needing 2 take 4 agents of one group covering both, not 2."""
        requirement = Requirement(needs={"voice": (2, 2), "chat": (2, 2)}, periods=2, interval=3600)
        plan = solve_shifts(
            requirement,
            [ShiftTemplate(name="day", start=0, length=2)],
            groups=[SkillGroup(name="blended", covers={"voice", "chat"})],
        )
        assert 4 == plan.counts[0].agents
        assert ((2.0, 2.0), (2.0, 2.0)) == (plan.coverage["voice"], plan.coverage["chat"])

    def test_the_cheaper_group_covers_what_it_can(self) -> None:
        """Voice goes to the voice-only group when the blended group costs more."""
        requirement = Requirement(needs={"voice": (3, 3), "chat": (1, 1)}, periods=2, interval=3600)
        plan = solve_shifts(
            requirement,
            [ShiftTemplate(name="day", start=0, length=2)],
            groups=[
                SkillGroup(name="voice", covers={"voice"}),
                SkillGroup(name="blended", covers={"voice", "chat"}, cost=1.5),
            ],
        )
        assert {"voice": 3, "blended": 1} == {c.group: c.agents for c in plan.counts}

    def test_an_interval_no_template_covers_is_named(self) -> None:
        """A need at 03:00 with only day shifts names that interval and says no template covers it."""
        requirement = Requirement(needs={"voice": (0, 0, 0, 2) + (1,) * 8 + (0,) * 12}, periods=24, interval=3600)
        with pytest.raises(
            InfeasibleRosterError, match=r"'day 1 03:00' cannot be covered for 'voice': .*no shift template"
        ):
            solve_shifts(requirement, [ShiftTemplate(name="day", start=4, length=8)])

    def test_an_interval_every_agent_must_take_a_break_in_is_named(self) -> None:
        """A fixed break in the only shift covering 01:00 leaves nobody there, and the error says so."""
        requirement = Requirement(needs={"x": (1, 1, 1, 0)}, periods=4, interval=3600)
        shift = ShiftTemplate(name="fixed", start=0, length=3, breaks=(Break(length=1, earliest=1, latest=1),))
        with pytest.raises(InfeasibleRosterError, match=r"'day 1 01:00' .*outside a break every agent"):
            solve_shifts(requirement, [shift])

    def test_the_per_interval_cap_is_named(self) -> None:
        """pyworkforce's infeasible example: the first interval needing more than 10 seats is named."""
        requirement = Requirement(needs={"x": (9, 11, 17, 9)}, periods=4, interval=3600)
        with pytest.raises(
            InfeasibleRosterError, match=r"'day 1 01:00' .*needs 11 agents and max_per_interval allows 10"
        ):
            solve_shifts(requirement, [ShiftTemplate(name="all", start=0, length=4)], max_per_interval=10)

    def test_shift_caps_are_named(self) -> None:
        """Two capped shifts that together reach 5 cannot cover a need of 6."""
        requirement = Requirement(needs={"x": (6, 1)}, periods=2, interval=3600)
        templates = [
            ShiftTemplate(name="a", start=0, length=1, max_agents=2),
            ShiftTemplate(name="b", start=0, length=2, max_agents=3),
        ]
        with pytest.raises(InfeasibleRosterError, match="needs 6 agents and the shifts covering it are capped"):
            solve_shifts(requirement, templates)

    def test_caps_that_bind_jointly_are_found_by_the_solver(self) -> None:
        """Each interval alone fits the seat cap, but the one shift that covers both must overfill one."""
        requirement = Requirement(needs={"x": (3, 0, 3, 0)}, periods=4, interval=3600)
        templates = [ShiftTemplate(name="long", start=0, length=3)]
        with pytest.raises(InfeasibleRosterError) as caught:
            solve_shifts(requirement, templates, max_per_interval=2)
        assert "day 1 00:00" == caught.value.interval

    def test_no_plan_within_the_time_limit_says_so(self) -> None:
        """A time limit HiGHS cannot find any plan in is a ConfigError naming the limit."""
        requirement = Requirement(needs={"x": tuple(range(24)) * 7}, periods=24, interval=3600)
        templates = [ShiftTemplate(name=f"s{h}", start=h, length=8) for h in range(24)]
        with pytest.raises(ConfigError, match=r"no shift plan found within time_limit=1e-09 s"):
            solve_shifts(requirement, templates, time_limit=1e-9)

    def test_the_error_carries_the_interval_demand_and_reason(self) -> None:
        """InfeasibleRosterError is a ConfigError from routekit.errors with its parts as attributes."""
        from routekit.errors import InfeasibleRosterError as FromErrors

        requirement = Requirement(needs={"chat": (0, 2)}, periods=2, interval=3600)
        with pytest.raises(FromErrors) as caught:
            solve_shifts(requirement, [ShiftTemplate(name="a", start=0, length=1)])
        assert ("day 1 01:00", "chat") == (caught.value.interval, caught.value.demand)
        assert isinstance(caught.value, ConfigError)
        assert "no shift template" in caught.value.reason


class TestRoster:
    def test_each_shift_gets_named_agents_with_days_off(self) -> None:
        """Three agents fill two shifts a day over three days, each with at least one day off."""
        requirement = Requirement(needs={"x": (2, 2) * 3}, periods=2, interval=4 * 3600)
        plan = solve_shifts(requirement, [ShiftTemplate(name="day", start=0, length=2)])
        agents = [RosterAgent(id=f"a{i}", max_hours=24, days_off=1) for i in range(3)]
        result = roster(plan, agents, min_rest=0)
        assert 6 == len(result.assignments)
        assert all(len(result.days_off(a)) >= 1 for a in result.agents)

    def test_too_few_agents_name_the_shift_and_why(self) -> None:
        """Two agents with two days off in three cannot fill two shifts a day; the error says which."""
        requirement = Requirement(needs={"x": (2, 2) * 3}, periods=2, interval=4 * 3600)
        plan = solve_shifts(requirement, [ShiftTemplate(name="day", start=0, length=2)])
        agents = [RosterAgent(id=f"a{i}", days_off=2) for i in range(2)]
        with pytest.raises(InfeasibleRosterError, match=r"shift 'day' on day 1 needs 2 agents .* group 'all' has 2"):
            roster(plan, agents)
        short = roster(plan, agents, allow_shortfall=True)
        assert 4 == sum(s[3] for s in short.shortfall)

    def test_minimum_rest_keeps_a_late_then_early_pair_apart(self) -> None:
        """With 11 h of rest, nobody works a shift ending at 24:00 and one starting at 06:00 next day."""
        requirement = Requirement(needs={"x": (0, 1, 1, 1) * 2}, periods=4, interval=6 * 3600)
        templates = [ShiftTemplate(name="early", start=1, length=1), ShiftTemplate(name="late", start=3, length=1)]
        plan = solve_shifts(requirement, [*templates, ShiftTemplate(name="mid", start=2, length=1)])
        agents = [RosterAgent(id=f"a{i}", max_hours=100, days_off=0) for i in range(3)]
        result = roster(plan, agents, min_rest=11)
        for a in result.agents:
            mine = {(s.day, s.template) for s in result.assignments if s.agent == a}
            assert not {(0, "late"), (1, "early")} <= mine
            assert not {(1, "late"), (0, "early")} <= mine

    def test_an_agent_of_an_unknown_group_is_refused(self) -> None:
        """Every agent's group must be one of the plan's."""
        requirement = Requirement(needs={"x": (1,)}, periods=1)
        plan = solve_shifts(requirement, [ShiftTemplate(name="d", start=0, length=1)])
        with pytest.raises(ConfigError, match="group 'vip', which the plan does not have"):
            roster(plan, [RosterAgent(id="a", group="vip")])


# --- properties -------------------------------------------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> tuple[Requirement, list[ShiftTemplate]]:
    """A few days of a small day, with templates that cover every interval so that cost plans exist."""
    periods = draw(st.integers(min_value=6, max_value=12))
    days = draw(st.integers(min_value=1, max_value=3))
    day = draw(st.lists(st.integers(min_value=0, max_value=6), min_size=periods, max_size=periods))
    templates = []
    for start in range(0, periods, 2):
        length = draw(st.integers(min_value=3, max_value=min(6, periods)))
        breaks: tuple[Break, ...] = ()
        if length >= 4 and draw(st.booleans()):
            earliest = draw(st.integers(min_value=0, max_value=length - 2))
            # Two starts at least, so that no interval is on a break for every agent of the shift.
            latest = draw(st.integers(min_value=earliest + 1, max_value=length - 1))
            breaks = (Break(length=1, earliest=earliest, latest=latest, paid=draw(st.booleans())),)
        cost = draw(st.sampled_from([1.0, 1.5, 2.0]))
        templates.append(ShiftTemplate(name=f"s{start}", start=start, length=length, breaks=breaks, cost=cost))
    return Requirement(needs={"x": tuple(day) * days}, periods=periods, interval=3600), templates


def _within_breaks(result_breaks: tuple[int, ...], start: int, shift: ShiftTemplate) -> bool:
    return all(
        start + item.earliest <= at <= start + item.latest for item, at in zip(shift.breaks, result_breaks, strict=True)
    )


@settings(max_examples=40)
@given(problems())
def test_cost_plans_cover_every_interval_and_keep_breaks_in_their_windows(
    problem: tuple[Requirement, list[ShiftTemplate]],
) -> None:
    """Every interval's working agents reach its need, and every break starts inside its window."""
    requirement, templates = problem
    plan = solve_shifts(requirement, templates)
    assert [] == [t for t, (w, r) in enumerate(zip(plan.working(), requirement.needs["x"], strict=True)) if w < r]
    for count in plan.counts:
        assert all(sum(starts) == count.agents for starts in count.breaks)


@settings(max_examples=40)
@given(problems())
def test_difference_plans_report_their_shortfall(problem: tuple[Requirement, list[ShiftTemplate]]) -> None:
    """Working agents plus the reported shortfall reach every need, and the value is the total difference."""
    requirement, templates = problem
    plan = solve_shifts(requirement, templates, objective="difference")
    need = requirement.needs["x"]
    working = plan.working()
    assert all(w + s >= r - 1e-6 for w, s, r in zip(working, plan.shortfall["x"], need, strict=True))
    assert pytest.approx(sum(abs(w - r) for w, r in zip(working, need, strict=True))) == plan.value


@settings(max_examples=30)
@given(problems(), st.data())
def test_rosters_keep_hours_bans_rest_and_breaks(
    problem: tuple[Requirement, list[ShiftTemplate]], data: st.DataObject
) -> None:
    """No agent passes their hours, works a banned shift, rests too little or takes a break out of its window."""
    requirement, templates = problem
    plan = solve_shifts(requirement, templates)
    shifts = sum(c.agents for c in plan.counts)
    people = data.draw(st.integers(min_value=1, max_value=shifts + 3))
    agents = []
    for i in range(people):
        banned = data.draw(
            st.frozensets(
                st.tuples(st.integers(0, requirement.days - 1), st.sampled_from([t.name for t in templates])),
                max_size=3,
            )
        )
        agents.append(
            RosterAgent(
                id=f"a{i:02d}",
                max_hours=data.draw(st.sampled_from([4.0, 8.0, 12.0, 40.0])),
                days_off=data.draw(st.integers(0, requirement.days)),
                banned=banned,
            )
        )
    rest = data.draw(st.sampled_from([0.0, 3.0, 8.0]))
    result = roster(plan, agents, min_rest=rest, allow_shortfall=True)
    by_agent = {a.id: a for a in agents}
    for person in agents:
        mine = sorted((s for s in result.assignments if s.agent == person.id), key=lambda s: s.start)
        assert result.hours(person.id) <= person.max_hours + 1e-9
        assert len({s.day for s in mine}) == len(mine)
        assert requirement.days - len(mine) >= by_agent[person.id].days_off
        assert [] == [s for s in mine if (s.day, s.template) in person.banned]
        if requirement.days > 1:
            for first, second in itertools.pairwise(mine + mine[:1]):
                if first is second:
                    continue
                gap = (second.start - first.end) % requirement.horizon
                if (second.day - first.day) % requirement.days == 1:
                    assert gap * requirement.hours_per_interval >= rest - 1e-9
    for s in result.assignments:
        assert _within_breaks(s.breaks, s.start, plan.templates[s.template])
    # What the roster fills plus what it reports short is exactly the plan.
    filled = {}
    for s in result.assignments:
        filled[(s.template, s.day, s.group)] = filled.get((s.template, s.day, s.group), 0) + 1
    for short in result.shortfall:
        filled[short[:3]] = filled.get(short[:3], 0) + short[3]
    assert {(c.template, c.day, c.group): c.agents for c in plan.counts} == filled
    if not result.shortfall:
        assert plan.working() == result.working()


@settings(max_examples=30)
@given(st.data())
def test_multi_demand_allocation_covers_each_demand_within_each_group(data: st.DataObject) -> None:
    """Each demand's allocation reaches its need and no group is allocated more agents than it has working."""
    periods = 6
    needs = {
        key: tuple(data.draw(st.lists(st.integers(0, 4), min_size=periods, max_size=periods)))
        for key in ("voice", "chat", "video")
    }
    groups = [
        SkillGroup(name="voice", covers={"voice"}),
        SkillGroup(name="digital", covers={"chat", "video"}, cost=data.draw(st.sampled_from([1.0, 1.2]))),
        SkillGroup(name="floater", covers={"voice", "chat", "video"}, cost=data.draw(st.sampled_from([1.1, 2.0]))),
    ]
    templates = [ShiftTemplate(name=f"s{i}", start=i, length=3) for i in range(periods)]
    plan = solve_shifts(Requirement(needs=needs, periods=periods, interval=3600), templates, groups=groups)
    for key, row in needs.items():
        assert all(c >= r - 1e-6 for c, r in zip(plan.coverage[key], row, strict=True))
    total = [sum(plan.coverage[key][t] for key in needs) for t in range(periods)]
    assert all(c <= w + 1e-6 for c, w in zip(total, plan.working(), strict=True))
