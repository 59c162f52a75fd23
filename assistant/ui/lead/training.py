"""The training tab: retrain a model in the background, compare it with the active one, promote or discard it,
and switch between trained versions."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import pandas as pd

from assistant.backoffice import Backoffice, MetricComparison
from assistant.jobs import JobStatus
from assistant.ui.lead.common import Opening, safe

COMPARISON_COLUMNS = ["metric", "active", "new", "new is better"]


def progress_html(job: JobStatus | None) -> str:
    """The job's progress bar and state."""
    if job is None:
        return "<p>No training started since the server started.</p>"
    done = job.fraction if job.total else (1.0 if not job.running else 0.0)
    label = f"{job.kind}: {job.state} — {html.escape(job.phase)}"
    if job.total:
        label += f" ({job.step}/{job.total})"
    if job.error:
        label += f"<br><b>error:</b> {html.escape(job.error)}"
    return (
        f'<div id="training-progress"><progress value="{done:.3f}" max="1" style="width:100%;height:1.2em">'
        f"</progress><p>{label}</p></div>"
    )


def comparison_frame(rows: list[MetricComparison]) -> pd.DataFrame:
    """The new model's metrics beside the active one's."""
    verdict = {None: "same", True: "yes", False: "no"}
    return pd.DataFrame(
        [[r.metric, r.active, r.new, verdict[r.new_is_better]] for r in rows], columns=COMPARISON_COLUMNS
    )


def build(office: Backoffice) -> Opening:
    """Training (``/lead_train``, ``/lead_job``, ``/lead_promote``, ``/lead_discard``) and versions
    (``/lead_activate``, ``/lead_rollback``); its part of the first view."""

    def job_view() -> tuple[Any, ...]:
        job = office.job()
        lines = "\n".join(job.log) if job else ""
        running = bool(job and job.running)
        return progress_html(job), lines, comparison_frame(office.comparison()), gr.Timer(active=running)

    def start_training(kind: str, from_log: bool, warm_start: bool, max_steps: float, repeat: float) -> tuple[Any, ...]:
        office.start_training(
            kind,  # type: ignore[arg-type]
            from_log=from_log,
            warm_start=warm_start,
            max_steps=int(max_steps or -1),
            extra_repeat=int(repeat or 1),
        )
        return job_view()

    def decide(promote: bool) -> str:
        if promote:
            return f"Promoted {office.decide('promote')}: the assistant uses it from the next message."
        return f"Discarded {office.decide('discard')}."

    def versions(kind: str) -> tuple[pd.DataFrame, Any]:
        rows = office.versions(kind)  # type: ignore[arg-type]
        return pd.DataFrame(rows), gr.update(choices=[r["version"] for r in rows], value=None)

    def activate(kind: str, version: str) -> str:
        office.activate(kind, version)  # type: ignore[arg-type]
        return f"Active {kind}: {version}."

    def rollback(kind: str) -> str:
        return f"Rolled back: active {kind} is {office.rollback(kind)}."  # type: ignore[arg-type]

    with gr.Row():
        kind = gr.Radio(["intents", "replies"], value="intents", label="Model")
        from_log = gr.Checkbox(True, label="Add curated turns")
        warm = gr.Checkbox(False, label="Continue from the active classifier")
        repeat = gr.Number(20, label="Weight of each corrected intent (repeats)", precision=0)
        max_steps = gr.Number(-1, label="Max steps (-1: full training)", precision=0)
    start = gr.Button("Start training", variant="primary")
    progress = gr.HTML(progress_html(None))
    with gr.Row():
        comparison = gr.Dataframe(headers=COMPARISON_COLUMNS, interactive=False, scale=2)
        with gr.Column(scale=1):
            promote = gr.Button("Promote new model", variant="primary")
            discard = gr.Button("Discard new model", variant="stop")
            decision = gr.Markdown()
    job_log = gr.Textbox(label="Training log", lines=12, max_lines=12, autoscroll=True)
    timer = gr.Timer(1.0, active=False)
    gr.Markdown("### Versions")
    with gr.Row():
        versions_kind = gr.Radio(["intents", "replies"], value="intents", label="Model")
        version_pick = gr.Dropdown([], label="Version")
        activate_btn = gr.Button("Activate this version")
        rollback_btn = gr.Button("Roll back to the previous one")
    versions_table = gr.Dataframe(interactive=False)
    version_note = gr.Markdown()

    job_outputs = [progress, job_log, comparison, timer]
    version_outputs = [versions_table, version_pick]
    start.click(safe(start_training), [kind, from_log, warm, max_steps, repeat], job_outputs, api_name="lead_train")
    timer.tick(job_view, None, job_outputs, api_name="lead_job")
    promote.click(safe(lambda: decide(True)), None, [decision], api_name="lead_promote")
    discard.click(safe(lambda: decide(False)), None, [decision], api_name="lead_discard")
    versions_kind.change(safe(versions), [versions_kind], version_outputs, api_visibility="private")
    for event in (promote.click, discard.click):
        event(safe(versions), [versions_kind], version_outputs, api_visibility="private")
    activate_btn.click(safe(activate), [versions_kind, version_pick], [version_note], api_name="lead_activate").then(
        safe(versions), [versions_kind], version_outputs, api_visibility="private"
    )
    rollback_btn.click(safe(rollback), [versions_kind], [version_note], api_name="lead_rollback").then(
        safe(versions), [versions_kind], version_outputs, api_visibility="private"
    )
    return Opening(
        inputs=[], outputs=[*job_outputs, *version_outputs], fill=lambda: (*job_view(), *versions("intents"))
    )
