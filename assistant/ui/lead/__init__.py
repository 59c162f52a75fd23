"""The support lead's area: dashboard, conversation review, knowledge, gaps, handoffs, order actions, retraining.

Served at ``/lead`` behind a password (see ``assistant.lead_auth``). One module per
tab lays it out; everything they read or change goes through
:class:`assistant.backoffice.Backoffice`. Corrections go to the turn log as
curations beside the turn.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.backoffice import Backoffice
from assistant.dialogue import Assistant
from assistant.jobs import TrainingJobs
from assistant.ui.lead import conversations, dashboard, handoffs, knowledge, orders, training
from assistant.ui.lead.common import Opening, safe
from assistant.ui.wording import load_page_wording

OPENING_API = "lead_open"
"""The page's first view, in one request: the dashboard, the turn list, the tickets and the training state."""


def build_lead_ui(bot: Assistant, jobs: TrainingJobs) -> gr.Blocks:
    """The lead's pages; mount behind auth (``app.build_app`` does)."""
    office = Backoffice(bot, jobs)
    with gr.Blocks(title=load_page_wording(bot.settings.prompts_dir, bot.profile.name).lead_title) as lead:
        gr.Markdown("## Support lead area\nReview conversations, curate knowledge, retrain and roll back.")
        with gr.Tabs():
            with gr.Tab("Dashboard and conversations"):
                openings = [dashboard.build(office), conversations.build(office)]
            with gr.Tab("Knowledge"):
                knowledge.build(office)
            with gr.Tab("Handoff queue"):
                openings.append(handoffs.build(office))
            if office.has_shop:
                with gr.Tab("Order actions") as orders_tab:
                    orders.build(office, orders_tab)
            with gr.Tab("Training"):
                openings.append(training.build(office))
        lead.load(
            safe(first_view(openings)),
            [i for o in openings for i in o.inputs],
            [c for o in openings for c in o.outputs],
            api_name=OPENING_API,
            queue=False,
        )
    return lead


def first_view(openings: list[Opening]) -> Any:
    """One handler that fills every tab's part of the first view (the page must be up within 2 s)."""

    def first_view(*values: Any) -> tuple[Any, ...]:
        out: list[Any] = []
        at = 0
        for opening in openings:
            n = len(opening.inputs)
            out.extend(opening.fill(*values[at : at + n]))
            at += n
        return tuple(out)

    return first_view


def open_once(lead: gr.Blocks) -> tuple[Any, ...]:
    """Run the page's first view once with the page's own defaults (loads what the first lead's page needs);
    what it fills the page with."""
    first = next(f for f in lead.fns.values() if f.api_name == OPENING_API)
    assert first.fn is not None
    return tuple(first.fn(*(getattr(c, "value", None) for c in first.inputs)))
