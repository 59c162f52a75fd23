"""The order actions tab: the audit trail of every change made to an order, and the failed identity checks."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from assistant.backoffice import Backoffice
from assistant.errors import AssistantError
from assistant.shop.audit import change_line, entry_markdown, order_changes
from assistant.ui.lead.common import parse_order_number, safe, selected_row, short

AUDIT_COLUMNS = ["entry", "time (UTC)", "order", "action", "actor", "what changed", "turn id"]
IDENTITY_COLUMNS = ["time (UTC)", "order", "outcome", "address", "session", "turn id"]
AUDIT_ROWS = 200


def build(office: Backoffice, tab: gr.Tab) -> None:
    """The audit trail (``/lead_audit``, ``/lead_audit_entry``) and identity checks (``/lead_identity_checks``),
    filled when ``tab`` is opened, not with the page (the first view must be up within 2 s)."""

    def audit_view(order: str) -> tuple[pd.DataFrame, str]:
        number = parse_order_number(order)
        entries = office.audit(number, limit=AUDIT_ROWS)
        rows = [
            [
                e.id,
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.order_id,
                e.action,
                e.actor,
                short(change_line(order_changes(e.before, e.after)), 160),
                e.turn_id or "",
            ]
            for e in entries
        ]
        note = f"**{len(entries)} order action(s)**" + (f" on order {number}" if number else "")
        if len(entries) == AUDIT_ROWS:
            note += f" (the newest {AUDIT_ROWS})"
        return pd.DataFrame(rows, columns=AUDIT_COLUMNS), note

    def identity_view(order: str) -> tuple[pd.DataFrame, str]:
        number = parse_order_number(order)
        checks = office.identity_checks(number, limit=AUDIT_ROWS)
        rows = [
            [f"{c.at:%Y-%m-%d %H:%M:%S}", c.order_id, c.outcome, c.client or "", c.session_id or "", c.turn_id or ""]
            for c in checks
        ]
        failed = sum(c.outcome == "failed" for c in checks)
        note = f"**{failed} failed, {len(checks) - failed} refused**" + (f" on order {number}" if number else "")
        return pd.DataFrame(rows, columns=IDENTITY_COLUMNS), note

    def open_entry(number: float | None) -> tuple[str, Any]:
        if number is None:
            raise AssistantError("pick an entry in the list")
        entry = office.audit_entry(int(number))
        return entry_markdown(entry), entry.id

    def on_select(table: pd.DataFrame, evt: gr.SelectData) -> tuple[str, Any]:
        return open_entry(selected_row(table, evt, "an entry")[0])

    gr.Markdown(
        "Every change made to an order (cancel, address, item, return, exchange), newest first: "
        "who, when and in which turn. Select a row for the arguments and the fields it changed."
    )
    with gr.Row():
        order = gr.Textbox(label="Order number (empty: all orders)", scale=2)
        show = gr.Button("Show", variant="primary", scale=1)
    audit_note = gr.Markdown()
    audit_table = gr.Dataframe(
        headers=AUDIT_COLUMNS, interactive=False, wrap=True, max_height=520, elem_id="audit-table"
    )
    with gr.Row():
        entry_no = gr.Number(None, label="Entry", precision=0, scale=3)
        entry_btn = gr.Button("Open entry", scale=1)
    entry_detail = gr.Markdown()
    gr.Markdown(
        "### Identity checks\nFailed checks of who owns an order, and checks refused because the "
        "order or the address had failed too often (guessing), newest first."
    )
    identity_note = gr.Markdown()
    identity_table = gr.Dataframe(
        headers=IDENTITY_COLUMNS, interactive=False, wrap=True, max_height=360, elem_id="identity-table"
    )

    audit_outputs = [audit_table, audit_note]
    show.click(safe(audit_view), [order], audit_outputs, api_name="lead_audit")
    order.submit(safe(audit_view), [order], audit_outputs, api_visibility="private")
    tab.select(safe(audit_view), [order], audit_outputs, api_visibility="private")
    identity_outputs = [identity_table, identity_note]
    show.click(safe(identity_view), [order], identity_outputs, api_name="lead_identity_checks")
    tab.select(safe(identity_view), [order], identity_outputs, api_visibility="private")
    entry_outputs = [entry_detail, entry_no]
    audit_table.select(safe(on_select), [audit_table], entry_outputs, api_visibility="private")
    entry_btn.click(safe(open_entry), [entry_no], entry_outputs, api_name="lead_audit_entry")
