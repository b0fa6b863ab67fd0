"""The chat concurrency model against the simulator: n agents with k chat slots each, k = 1, 2, 3.

With exponential handle times and patience, no accept delay and no wrap-up, the model is exact (Erlang A
on n·k slots), so the simulated service level, abandonment and ASA must agree with it to within the
noise of the replications: 1.5 times the 95% t-interval half-width of the replication means (about
4 standard errors at 5 replications, 3.4 at 10). Occupancy is compared with the simulator's slot
utilisation (busy slots over slots), which is what the model's occupancy means for chat.

Run as a script to print the cross-check table of docs/reference/analytics.md, with the variants the
model does not cover (an accept delay, wrap-up, lognormal handle times):

    .venv/bin/python tests/analytics/test_concurrency_vs_sim.py
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

from routekit.analytics import erlang_chat
from routekit.sim.replications import Estimate, simulate
from routekit.sim.scenario import scenario_from_dict

AGENTS = 5
AHT = 120.0
PATIENCE = 240.0
THRESHOLD = 30.0
LOAD = 0.95  # offered load per slot
KPIS = {"service_level": "service_level", "abandon_rate": "p_abandon", "asa": "asa", "slot_utilisation": "occupancy"}


def chat_rate(k: int) -> float:
    """Chats per hour that load n·k slots to LOAD."""
    return LOAD * AGENTS * k / AHT * 3600.0


def chat_scenario(k: int, customers: int, **channel: Any) -> Any:
    """One chat channel, AGENTS agents with k slots each, exponential handle time and patience."""
    spec: dict[str, Any] = {
        "name": "chat",
        "service_level": THRESHOLD,
        "handle_time": {"dist": "exponential", "mean": AHT},
        "patience": {"dist": "exponential", "mean": PATIENCE},
    }
    wrap_up = channel.pop("wrap_up", None)
    spec.update(channel)
    group: dict[str, Any] = {"count": AGENTS, "capacity": {"chat": k}}
    if wrap_up is not None:
        group["wrap_up"] = {"chat": wrap_up}
    return scenario_from_dict(
        {
            "run": {"customers": customers, "warmup_customers": 500},
            "channel": [spec],
            "arrivals": [{"channel": "chat", "rate": chat_rate(k)}],
            "agents": [group],
        }
    )


def measure(k: int, reps: int, customers: int, seed: int, **channel: Any) -> dict[str, tuple[Estimate, float]]:
    """Each KPI's simulated estimate beside the model's figure."""
    result = simulate(chat_scenario(k, customers, **channel), reps=reps, seed=seed)
    row = result.row("chat")
    model = erlang_chat(chat_rate(k), AHT, AGENTS, k, THRESHOLD, patience=PATIENCE)
    return {name: (row.kpis[name], float(getattr(model, field))) for name, field in KPIS.items()}


def disagreements(measured: dict[str, tuple[Estimate, float]]) -> dict[str, tuple[float, float, float]]:
    """The KPIs whose simulated mean is further than 1.5 CI half-widths from the model: (sim, ci, model)."""
    out = {}
    for name, (est, model) in measured.items():
        assert est.mean is not None
        assert est.ci95 is not None
        if abs(est.mean - model) > 1.5 * est.ci95:
            out[name] = (est.mean, est.ci95, model)
    return out


@pytest.mark.parametrize("k", [1, 2, 3])
def test_chat_model_matches_simulator_small_run(k: int) -> None:
    """Five replications of 4,000 chats agree with the chat model within 1.5 CI half-widths for each k."""
    assert {} == disagreements(measure(k, reps=5, customers=4_000, seed=70 + k))


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2, 3])
def test_chat_model_matches_simulator(k: int) -> None:
    """Ten replications of 30,000 chats agree with the chat model within 1.5 CI half-widths for each k."""
    assert {} == disagreements(measure(k, reps=10, customers=30_000, seed=20260824 + k))


@pytest.mark.slow
def test_accept_delay_breaks_the_model() -> None:
    """A 5 s accept delay (the built-in day's chat) puts the simulated service level below the model's."""
    measured = measure(3, reps=10, customers=30_000, seed=5, accept_delay={"dist": "exponential", "mean": 5})
    est, model = measured["service_level"]
    assert est.mean is not None
    assert est.ci95 is not None
    assert True is (est.mean + est.ci95 < model)


VARIANTS: list[tuple[str, int, dict[str, Any]]] = [
    ("exponential", 1, {}),
    ("exponential", 2, {}),
    ("exponential", 3, {}),
    ("accept delay 5 s", 3, {"accept_delay": {"dist": "exponential", "mean": 5}}),
    ("wrap-up 20 s", 3, {"wrap_up": 20.0}),
    ("lognormal handle, sd 60 s", 3, {"handle_time": {"dist": "lognormal", "mean": AHT, "sd": 60}}),
]


def main(reps: int = 10, customers: int = 30_000) -> None:
    """Print the cross-check table (Markdown) of docs/reference/analytics.md."""
    print(f"n = {AGENTS} agents, AHT {AHT:g} s, patience {PATIENCE:g} s, SL at {THRESHOLD:g} s, load {LOAD} per slot")
    print(f"{reps} replications of {customers} chats each; sim ± 95% CI half-width, model in brackets\n")
    print("| case | k | service level | abandonment | ASA (s) | slot occupancy |")
    print("| --- | --- | --- | --- | --- | --- |")
    started = time.perf_counter()
    for label, k, channel in VARIANTS:
        measured = measure(k, reps=reps, customers=customers, seed=20260824 + k, **channel)
        cells = []
        for name, (est, model) in measured.items():
            digits = 1 if name == "asa" else 3
            cells.append(f"{est.mean:.{digits}f} ± {est.ci95:.{digits}f} ({model:.{digits}f})")
        print(f"| {label} | {k} | " + " | ".join(cells) + " |")
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
