"""The dashboard: turns, intents, fallback/handoff/thumbs-up shares, failed faithfulness checks and latency per day."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from assistant.analytics import Dashboard
from assistant.backoffice import Backoffice
from assistant.ui.lead.common import Opening, safe

DAY_CHOICES = [7, 30, 90, 365]


def dashboard_frames(board: Dashboard) -> dict[str, pd.DataFrame]:
    """The dashboard's plots as tidy tables (days as MM-DD, which keeps the axes readable)."""
    rates = [
        {"day": d.day[5:], "metric": name, "share": value}
        for d in board.days
        for name, value in (
            ("fallback", d.fallback_rate),
            ("handoff", d.handoff_rate),
            ("thumbs up", d.thumbs_up_share),
        )
        if value is not None
    ]
    latency = [
        {"day": d.day[5:], "metric": name, "ms": value}
        for d in board.days
        for name, value in (("p50", d.latency_p50_ms), ("p95", d.latency_p95_ms))
        if value is not None
    ]
    return {
        "turns": pd.DataFrame({"day": [d.day[5:] for d in board.days], "turns": [d.turns for d in board.days]}),
        "intents": pd.DataFrame({"intent": list(board.intents), "turns": list(board.intents.values())}),
        "rates": pd.DataFrame(rates, columns=["day", "metric", "share"]),
        "unfaithful": pd.DataFrame(
            {"day": [d.day[5:] for d in board.days], "failed checks": [d.unfaithful for d in board.days]}
        ),
        "latency": pd.DataFrame(latency, columns=["day", "metric", "ms"]),
    }


def summary(board: Dashboard) -> str:
    """The dashboard's headline figures in one line."""

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.0%}"

    def ms(x: float | None) -> str:
        return "–" if x is None else f"{x:.0f} ms"

    return (
        f"**{board.total_turns}** turns · fallback {pct(board.fallback_rate)} · handoff {pct(board.handoff_rate)}"
        f" · thumbs up {pct(board.thumbs_up_share)} · failed faithfulness checks **{board.unfaithful}**"
        f" · latency p50 {ms(board.latency_p50_ms)}, p95 {ms(board.latency_p95_ms)}"
    )


def build(office: Backoffice) -> Opening:
    """The dashboard's controls and plots (``/lead_dashboard``); its part of the first view."""

    def load(days: int) -> tuple[Any, ...]:
        board = office.dashboard(int(days))
        frames = dashboard_frames(board)
        return (
            summary(board),
            frames["turns"],
            frames["intents"],
            frames["rates"],
            frames["unfaithful"],
            frames["latency"],
        )

    with gr.Row():
        window = gr.Dropdown(DAY_CHOICES, value=30, label="Days", scale=1)
        refresh = gr.Button("Refresh", scale=1)
    headline = gr.Markdown(elem_id="dashboard-summary")
    with gr.Row():
        turns_plot = gr.BarPlot(x="day", y="turns", title="Turns per day", height=260, y_lim=[0, None])
        intent_plot = gr.BarPlot(
            x="intent", y="turns", title="Intents", sort="-y", x_label_angle=-45, height=260, y_lim=[0, None]
        )
    with gr.Row():
        rates_plot = gr.ScatterPlot(
            x="day", y="share", color="metric", title="Fallback, handoff, thumbs-up share", height=260, y_lim=[0, 1]
        )
        unfaithful_plot = gr.BarPlot(
            x="day", y="failed checks", title="Failed faithfulness checks", height=260, y_lim=[0, None]
        )
    latency_plot = gr.ScatterPlot(x="day", y="ms", color="metric", title="Turn latency p50 / p95", height=260)

    outputs = [headline, turns_plot, intent_plot, rates_plot, unfaithful_plot, latency_plot]
    refresh.click(safe(load), [window], outputs, api_name="lead_dashboard")
    window.change(safe(load), [window], outputs, api_visibility="private")
    return Opening(inputs=[window], outputs=outputs, fill=load)
