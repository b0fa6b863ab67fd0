"""The charts: checked by their shape, their panels and their axes' labels and ticks, never their pixels (#25)."""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from command_line import run

from routekit.sim.charts import PANELS, day_figure
from routekit.sim.replications import simulate
from routekit.sim.scenario import builtin_scenario, scenario_from_dict
from routekit.sim.sweep import SerialExecutor, sweep

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
DAY_PNG = ROOT / "docs" / "tutorial" / "day.png"
CHANNELS = ["voice", "video", "chat", "messaging"]


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height, read from its header."""
    header = path.read_bytes()[:24]
    assert b"\x89PNG\r\n\x1a\n" == header[:8]
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.fixture(scope="module")
def figure() -> Any:
    """The day chart of the built-in day, as the README's command simulates it (one replication, seed 0)."""
    scenario = builtin_scenario()
    drawn = day_figure(simulate(scenario), scenario=scenario)
    drawn.canvas.draw()  # lays out the ticks and their labels
    return drawn


def _main_axes(figure: Any) -> list[Any]:
    return [ax for ax in figure.axes if ax.get_xlabel() == "hour of day"]


def test_day_chart_has_four_panels_per_channel(figure: Any) -> None:
    """One row per channel of the built-in day, each with service level, ASA, abandonment and occupancy."""
    axes = _main_axes(figure)
    assert len(CHANNELS) * len(PANELS) == len(axes)
    assert [label for _ in CHANNELS for label in PANELS] == [ax.get_ylabel() for ax in axes]
    assert CHANNELS == [ax.get_title().split(":")[0] for ax in axes[:: len(PANELS)]]


def test_day_chart_labels_percentages_and_draws_the_target(figure: Any) -> None:
    """Share panels tick in percent, and each service-level panel draws its channel's 80% target."""
    axes = _main_axes(figure)
    for ax in axes:
        if ax.get_ylabel().endswith("(%)"):
            assert all(t.get_text().endswith("%") for t in ax.get_yticklabels() if t.get_text())
    targets = [
        [line.get_ydata()[0] for line in ax.get_lines() if line.get_label() == "target"] for ax in axes[:: len(PANELS)]
    ]
    assert [[0.8]] * len(CHANNELS) == targets


def test_day_chart_counts_agents_in_whole_numbers(figure: Any) -> None:
    """The staffing axis of each channel says agents and ticks only whole numbers."""
    staffing = [ax for ax in figure.axes if ax.get_ylabel() == "agents"]
    assert len(CHANNELS) == len(staffing)
    for ax in staffing:
        assert all(float(tick).is_integer() for tick in ax.get_yticks())
        assert "agents logged in (right axis)" in [line.get_label() for line in ax.get_lines()]


def test_docs_day_chart_is_the_commands_picture(figure: Any) -> None:
    """docs/tutorial/day.png has the shape of the built-in day's chart as `routekit simulate --plot` saves it."""
    width, height = figure.get_size_inches() * 100  # plot() saves at 100 dots per inch
    assert (round(width), round(height)) == png_size(DAY_PNG)


def test_simulate_plot_writes_the_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate --plot` prints its table and writes a chart with a row of four panels per channel."""
    scenario = tmp_path / "desk.toml"
    scenario.write_text(
        '[run]\ncustomers = 50\n[[channel]]\nname = "voice"\nservice_level = 20\n'
        'handle_time = { dist = "exponential", mean = 60 }\n[[arrivals]]\nchannel = "voice"\nrate = 300\n'
        "[[agents]]\ncount = 5\ncapacity = { voice = 1 }\n"
    )
    picture = tmp_path / "day.png"
    status, out, err = run(["simulate", str(scenario), "--plot", str(picture)], capsys)
    assert (0, f"routekit simulate: wrote {picture}\n") == (status, err)
    assert out.startswith("channel")
    assert (1680, 290) == png_size(picture)


def test_sweep_plot_ticks_agent_counts_in_whole_numbers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A sweep over an agent count has no 5.5-agent tick, and its y axes read as percentages."""
    drawn: list[Any] = []
    monkeypatch.setattr(
        sys.modules["routekit.sim.sweep_results"],
        "save",
        lambda figure, path, dpi=100: drawn.append(figure) or Path(path),
    )
    tiny = scenario_from_dict(
        {
            "run": {"customers": 60},
            "channel": [{"name": "voice", "service_level": 20, "handle_time": {"dist": "exponential", "mean": 60}}],
            "arrivals": [{"channel": "voice", "rate": 300}],
            "agents": [{"count": 5, "capacity": {"voice": 1}}],
        }
    )
    sweep(tiny, {"agents[0].count": [5, 6]}, 2, 0, SerialExecutor()).plot(tmp_path / "sweep.png")
    (figure,) = drawn
    figure.canvas.draw()
    sl_ax, abandon_ax = figure.axes
    assert [5.0, 6.0] == [t for t in sl_ax.get_xticks() if 5 <= t <= 6]
    assert ("service level (%)", "abandoned (%)") == (sl_ax.get_ylabel(), abandon_ax.get_ylabel())


def test_staff_plot_draws_a_forecast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`staff --forecast --plot` writes a PNG; without a forecast there is no day to draw."""
    forecast = tmp_path / "day.csv"
    forecast.write_text("start,rate,aht\n08:00,420,240\n08:30,510,235\n")
    picture = tmp_path / "staff.png"
    status, _, err = run(["staff", "--forecast", str(forecast), "--target", "0.8@20", "--plot", str(picture)], capsys)
    assert (0, f"routekit staff: wrote {picture}\n") == (status, err)
    assert png_size(picture)[0] > 0
    status, _, err = run(
        ["staff", "--rate", "100", "--aht", "60", "--target", "0.8@20", "--plot", str(picture)], capsys
    )
    assert (2, "routekit staff: error: --plot draws a day's staffing: give --forecast\n") == (status, err)


def test_replay_plot_writes_recorded_against_simulated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`replay --plot` writes its chart beside the table."""
    trace = tmp_path / "calls.csv"
    trace.write_text("arrival,channel,handle_time,patience,patience_censored\n0,voice,100,5,1\n10,voice,50,40,0\n")
    picture = tmp_path / "replay.png"
    status, out, err = run(["replay", str(trace), "--agents", "1", "--plot", str(picture)], capsys)
    assert (0, f"routekit replay: wrote {picture}\n") == (status, err)
    assert out.startswith("channel")
    assert png_size(picture)[0] > 0


def test_plot_without_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without matplotlib, `simulate --plot` stops before the run, naming the plot extra."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    status, out, err = run(["simulate", "--plot", "day.png"], capsys)
    assert (2, "", "routekit simulate: --plot needs matplotlib: pip install 'routekit[plot]'\n") == (status, out, err)
