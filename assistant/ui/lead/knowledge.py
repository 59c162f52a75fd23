"""The knowledge tab: validate the knowledge folder, sync the index with it, find the gaps customers run into."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from assistant.backoffice import Backoffice
from assistant.ui.lead.common import safe

GAP_COLUMNS = ["messages", "sessions", "typical question", "best score", "closest entry", "intents", "examples"]


def build(office: Backoffice) -> None:
    """Validate (private) and sync (``/lead_sync``) the knowledge folder; knowledge gaps (``/lead_gaps``)."""

    def validate(sync: bool) -> tuple[str, pd.DataFrame, pd.DataFrame]:
        check = office.check_knowledge(sync)
        problems = pd.DataFrame(
            [[p.file, p.line, p.message] for p in check.problems], columns=["file", "line", "problem"]
        )
        head = f"{check.products} products, {check.articles} articles, {len(check.problems)} problems."
        changes = pd.DataFrame(columns=["change", "entry"])
        if check.synced is not None:
            report = check.synced
            changes = pd.DataFrame(
                [["added", p] for p in report.added]
                + [["changed", p] for p in report.changed]
                + [["removed", p] for p in report.removed],
                columns=["change", "entry"],
            )
            head += f" Index synced: {report.summary()}."
        return head, problems, changes

    def find_gaps(threshold: float, days: int, out_of_scope: bool) -> tuple[str, pd.DataFrame]:
        report = office.gaps(float(threshold), int(days), bool(out_of_scope))
        rows = [
            [
                g.size,
                g.sessions,
                g.representative,
                round(g.best_score, 3),
                g.closest_entry,
                ", ".join(f"{k} {v}" for k, v in g.intents.items()),
                " | ".join(g.examples),
            ]
            for g in report.gaps
        ]
        head = (
            f"{report.weak} of {report.messages} customer messages of the last {report.days} days score under "
            f"{report.threshold:.2f} against the knowledge index, in {len(report.gaps)} groups."
        )
        return head, pd.DataFrame(rows, columns=GAP_COLUMNS)

    with gr.Row():
        check = gr.Button("Validate knowledge/")
        sync = gr.Button("Validate and sync the index", variant="primary")
    kb_head = gr.Markdown()
    kb_problems = gr.Dataframe(headers=["file", "line", "problem"], interactive=False, wrap=True)
    kb_changes = gr.Dataframe(headers=["change", "entry"], interactive=False)
    gr.Markdown("### Knowledge gaps\nWhat customers ask that no entry answers well, grouped by meaning.")
    with gr.Row():
        gap_threshold = gr.Slider(0.1, 1.2, value=office.gap_threshold, step=0.05, label="Best match under")
        gap_days = gr.Dropdown([7, 30, 90, 365], value=30, label="Days")
        gap_oos = gr.Checkbox(False, label="Include out-of-scope messages")
        gaps_btn = gr.Button("Find gaps", variant="primary")
    gaps_head = gr.Markdown()
    gaps_table = gr.Dataframe(
        interactive=False,
        wrap=True,
        max_height=640,
        elem_id="gaps-table",
        column_widths=["7%", "7%", "24%", "7%", "17%", "13%", "25%"],
    )

    kb_outputs = [kb_head, kb_problems, kb_changes]
    check.click(safe(lambda: validate(False)), None, kb_outputs, api_visibility="private")
    sync.click(safe(lambda: validate(True)), None, kb_outputs, api_name="lead_sync")
    gaps_btn.click(safe(find_gaps), [gap_threshold, gap_days, gap_oos], [gaps_head, gaps_table], api_name="lead_gaps")
