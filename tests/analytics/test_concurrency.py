"""Chat concurrency: n agents with k slots each, against Erlang A/C on n·k servers and an exact chain.

The chain reference spreads chats over agents one at a time (each new chat to the least-loaded agent,
as the model assumes), solves the birth–death chain with mpmath at 40 digits, and follows a tagged chat
through the queue by back-substitution and uniformization, as in test_erlang.py.
The cross-check against routekit's simulator is in test_concurrency_vs_sim.py.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from tagged_chain import served_by

from routekit.analytics import Targets, chat_handle_times, erlang_a, erlang_c, erlang_chat, staff
from routekit.errors import ConfigError

FIELDS = ("p_wait", "p_abandon", "asa", "mean_wait", "service_level", "occupancy")


def spread_rates(agents: int, ahts: list[float]) -> list[mpmath.mpf]:
    """Completion rate with N = 1..n·k chats in progress, each new chat to the least-loaded agent."""
    held = [0] * agents
    rates = []
    for _ in range(agents * len(ahts)):
        held[held.index(min(held))] += 1
        rates.append(mpmath.fsum(mpmath.mpf(j) / ahts[j - 1] for j in held if j))
    return rates


def reference_chat(
    rate: float, ahts: list[float], agents: int, patience: float | None, threshold: float
) -> dict[str, float]:
    """The exact figures of the chat chain, with a tagged chat's wait followed through the queue."""
    mpmath.mp.dps = 40
    lam = mpmath.mpf(rate) / 3600
    theta = mpmath.mpf(0) if patience is None else 1 / mpmath.mpf(patience)
    below = spread_rates(agents, ahts)
    slots = len(below)
    full = below[-1]
    weights = [mpmath.mpf(1)]
    for d in below:
        weights.append(weights[-1] * lam / d)
    largest = max(weights)
    tiny = mpmath.mpf(10) ** -45
    j = 0
    while True:
        j += 1
        weights.append(weights[-1] * lam / (full + j * theta))
        largest = max(largest, weights[-1])
        if lam < full + j * theta and weights[-1] < largest * tiny:
            break
    total = mpmath.fsum(weights)
    pi = [w / total for w in weights]
    p_wait = mpmath.fsum(pi[slots:])
    occupancy = mpmath.fsum(min(i, slots) * p for i, p in enumerate(pi)) / slots
    ahead = len(pi) - slots - 1
    moves = [full + i * theta for i in range(ahead + 1)]
    start = [pi[slots + i] / p_wait for i in range(ahead + 1)]
    time_in = [mpmath.mpf(0)] * (ahead + 1)
    time_in[ahead] = start[ahead] / (moves[ahead] + theta)
    for i in range(ahead - 1, -1, -1):
        time_in[i] = (start[i] + moves[i + 1] * time_in[i + 1]) / (moves[i] + theta)
    served_later = [moves[0] / (moves[0] + theta)]
    for i in range(1, ahead + 1):
        served_later.append(moves[i] / (moves[i] + theta) * served_later[-1])
    served_if_waiting = full * time_in[0]
    answered = 1 - p_wait + p_wait * served_if_waiting
    answered_wait = p_wait * mpmath.fsum(t * h for t, h in zip(time_in, served_later, strict=True))
    moves_f = np.array([float(m) for m in moves])
    start_f = np.array([float(s) for s in start])
    within = served_by(moves_f, float(theta), start_f, threshold)
    return {
        "p_wait": float(p_wait),
        "p_abandon": float(p_wait * (1 - served_if_waiting)),
        "asa": float(answered_wait / answered),
        "mean_wait": float(p_wait * mpmath.fsum(time_in)),
        "service_level": float(1 - p_wait) + float(p_wait) * within,
        "occupancy": float(occupancy),
    }


# rate/h, handle times per concurrency (s), agents, patience (s) or None, threshold (s)
CHAT_CASES = [
    pytest.param(120, [300.0, 420.0, 600.0], 8, 300.0, 60.0, id="slowdown-8-agents-k3"),
    pytest.param(400, [240.0, 300.0], 10, 120.0, 30.0, id="slowdown-10-agents-k2"),
    pytest.param(900, [200.0, 260.0, 330.0, 420.0], 12, 180.0, 60.0, id="slowdown-overloaded-k4"),
    pytest.param(120, [300.0, 420.0, 600.0], 8, None, 60.0, id="slowdown-no-patience"),
    pytest.param(10, [600.0, 700.0, 900.0], 1, 90.0, 20.0, id="one-agent-k3"),
]


@pytest.mark.parametrize(("rate", "ahts", "agents", "patience", "threshold"), CHAT_CASES)
def test_erlang_chat_matches_the_exact_chain(
    rate: float, ahts: list[float], agents: int, patience: float | None, threshold: float
) -> None:
    """With handle times that grow with concurrency, every figure equals the exact chain's to 1e-9."""
    expected = reference_chat(rate, ahts, agents, patience, threshold)
    actual = erlang_chat(rate, ahts, agents, len(ahts), threshold, patience=patience)
    for field in FIELDS:
        assert expected[field] == pytest.approx(getattr(actual, field), rel=1e-9, abs=1e-15), field


@pytest.mark.parametrize(("agents", "concurrency"), [(1, 1), (8, 3), (50, 2), (300, 4)])
def test_one_handle_time_makes_chat_erlang_a_on_all_slots(agents: int, concurrency: int) -> None:
    """With the same handle time at every concurrency, n agents of k slots are Erlang A with n·k agents."""
    slots = agents * concurrency
    rate = 0.97 * slots * 3600 / 400
    expected = erlang_a(rate, 400, slots, 240, 45)
    actual = erlang_chat(rate, 400, agents, concurrency, 45, patience=240)
    for field in FIELDS:
        assert getattr(expected, field) == pytest.approx(getattr(actual, field), rel=1e-9, abs=1e-15), field
    assert (concurrency, pytest.approx(expected.load / concurrency, rel=1e-12)) == (
        actual.concurrency,
        actual.load,
    )


def test_one_handle_time_without_patience_makes_chat_erlang_c() -> None:
    """Without a patience, n agents of k equal slots are Erlang C with n·k agents."""
    expected = erlang_c(120, 600, 24, 60)
    actual = erlang_chat(120, 600, 8, 3, 60)
    for field in FIELDS:
        assert getattr(expected, field) == pytest.approx(getattr(actual, field), rel=1e-9, abs=1e-15), field


def test_slower_chats_at_high_concurrency_need_more_agents() -> None:
    """When each chat takes longer as an agent holds more, the same target needs more agents."""
    targets = Targets(service_level=0.8, threshold=60)
    flat = staff(600, 300, targets, patience=240, concurrency=3)
    slowing = staff(600, [300, 360, 450], targets, patience=240, concurrency=3)
    assert flat.agents < slowing.agents


def test_chat_staffing_is_voice_staffing_of_slots_divided_by_concurrency() -> None:
    """With one handle time, chat agents are the slots Erlang A needs, divided by k and rounded up."""
    targets = Targets(service_level=0.85, threshold=30, max_abandon=0.05)
    slots = staff(1500, 420, targets, patience=200).agents
    assert math.ceil(slots / 3) == staff(1500, 420, targets, patience=200, concurrency=3).agents


def test_chat_handle_times_are_spread_to_every_concurrency() -> None:
    """One handle time serves every concurrency; a list gives one per concurrency."""
    assert ((300.0,) * 3, (240.0, 300.0)) == (chat_handle_times(300, 3), chat_handle_times([240, 300], 2))


@pytest.mark.parametrize(
    ("aht", "concurrency", "message"),
    [
        (300.0, 0, r"concurrency must be a whole number >= 1, got 0"),
        (300.0, 2.5, r"concurrency must be a whole number >= 1, got 2\.5"),
        ([240.0, 300.0], 3, r"aht must give one handle time per concurrency 1\.\.3, got 2"),
        ([240.0, -1.0], 2, r"aht\[1\] must be .*> 0.*got -1\.0"),
        (0.0, 2, r"aht must be .*> 0.*got 0\.0"),
    ],
)
def test_chat_refuses_bad_handle_times_and_concurrency(aht: object, concurrency: object, message: str) -> None:
    """Bad concurrencies and handle-time lists are refused with the parameter's name and value."""
    with pytest.raises(ConfigError, match=message):
        erlang_chat(100, aht, 5, concurrency, 20, patience=60)  # type: ignore[arg-type]


def test_chat_without_patience_refuses_a_load_at_capacity() -> None:
    """Without a patience, a chat load at or above the slots' capacity is refused, naming the agents."""
    with pytest.raises(ConfigError, match=r"at or above capacity: load 8 agents at concurrency 3 .*agents=8"):
        erlang_chat(144, 600, 8, 3, 60)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": -1.0}, r"rate must be .*got -1\.0"),
        ({"agents": 0}, r"agents must be a whole number >= 1, got 0"),
        ({"threshold": -2.0}, r"threshold must be .*got -2\.0"),
        ({"patience": 0.0}, r"patience must be .*got 0\.0"),
    ],
)
def test_chat_refuses_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    """erlang_chat refuses each bad parameter with its name and value."""
    args: dict[str, object] = {
        "rate": 100,
        "aht": 300,
        "agents": 5,
        "concurrency": 2,
        "threshold": 20,
        "patience": 60,
    }
    with pytest.raises(ConfigError, match=message):
        erlang_chat(**(args | kwargs))  # type: ignore[arg-type]


def test_chat_with_no_arrivals_is_idle() -> None:
    """No chats, no waiting, no busy slots."""
    f = erlang_chat(0, [300, 400], 3, 2, 20, patience=60)
    assert (0.0, 1.0, 0.0, 2) == (f.p_wait, f.service_level, f.occupancy, f.concurrency)
