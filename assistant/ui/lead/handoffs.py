"""The handoff queue: the conversations handed to a person, each with its summary; a lead closes them."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from assistant.backoffice import Backoffice
from assistant.ui.lead.common import Opening, safe

TICKET_COLUMNS = ["ticket", "opened (UTC)", "status", "reason", "intent", "order", "sentiment", "summary"]


def build(office: Backoffice) -> Opening:
    """The tickets (``/lead_tickets``) and closing one (``/lead_close_ticket``); its part of the first view."""

    def view(closed: bool) -> tuple[pd.DataFrame, str]:
        tickets = office.tickets(closed_too=bool(closed))
        rows = [
            [
                t.id,
                t.created_at[:16].replace("T", " "),
                t.status,
                t.reason,
                t.intent,
                t.order_id,
                t.sentiment,
                t.summary,
            ]
            for t in tickets
        ]
        waiting = sum(t.status == "open" for t in tickets)
        return pd.DataFrame(rows, columns=TICKET_COLUMNS), f"**{waiting} open ticket(s)**"

    def close(number: float | None, closed: bool) -> tuple[pd.DataFrame, str]:
        if number is None:
            return view(closed)[0], "Enter the number of the ticket to close."
        done = office.close_ticket(int(number))
        table, head = view(closed)
        return table, (f"Ticket {int(number)} closed. " if done else f"No open ticket {int(number)}. ") + head

    gr.Markdown(
        "Conversations the assistant handed to a person, oldest first, each with a summary "
        "(reason, intent, order, sentiment, what was tried). Close a ticket once it is dealt with."
    )
    with gr.Row():
        show_closed = gr.Checkbox(False, label="Show closed tickets too")
        refresh = gr.Button("Refresh")
        ticket_no = gr.Number(None, label="Ticket", precision=0)
        close_btn = gr.Button("Close ticket", variant="primary")
    note = gr.Markdown()
    table = gr.Dataframe(headers=TICKET_COLUMNS, interactive=False, wrap=True, max_height=520, elem_id="ticket-table")

    outputs = [table, note]
    refresh.click(safe(view), [show_closed], outputs, api_name="lead_tickets")
    show_closed.change(safe(view), [show_closed], outputs, api_visibility="private")
    close_btn.click(safe(close), [ticket_no, show_closed], outputs, api_name="lead_close_ticket")
    return Opening(inputs=[], outputs=outputs, fill=lambda: view(False))
