"""Conversation review: filter the logged turns, open one, save a correction or an approval beside it."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from assistant.analytics import Flag
from assistant.backoffice import Backoffice, Correction, TurnDetail
from assistant.security.escape import literal
from assistant.ui.lead.common import Opening, parse_date, safe, selected_row, short

FLAGS: dict[str, Flag] = {
    "low confidence": "low_confidence",
    "fallback / don't know": "fallback",
    "thumbs down": "thumbs_down",
    "handoff": "handoff",
    "failed faithfulness check": "unfaithful",
    "not curated yet": "uncurated",
}
TURN_COLUMNS = ["time", "intent", "conf.", "strategy", "flags", "message", "reply", "turn id"]
ALL = "(all)"


def turn_markdown(detail: TurnDetail) -> str:
    """A logged turn as the lead reads it: the exchange, how it was made, its sources, conversation, corrections."""
    turn = detail.turn
    lines = [
        f"**Customer:** {literal(turn.user_text)}",
        f"**Assistant:** {literal(turn.reply)}",
        "",
        f"intent `{turn.intent}` ({(turn.confidence or 0):.2f}) · route `{turn.route}` · strategy "
        f"`{turn.strategy}` · faithfulness check "
        + {True: "passed", False: "**failed**", None: "not run"}[turn.faithful]
        + (f" · unsupported: {literal(', '.join(turn.unsupported))}" if turn.unsupported else "")
        + (" · handed off" if turn.handoff else "")
        + {1: " · customer liked it", -1: " · customer disliked it"}.get(turn.feedback or 0, ""),
        f"classifier `{turn.classifier}` · adapter `{turn.adapter or 'none'}` · prompts `{turn.prompt}`"
        f" · {turn.timings.get('total', 0):.0f} ms",
        "",
        "**Retrieved sources**" if detail.sources else "_Nothing retrieved._",
    ]
    for s in detail.sources:
        title = s.title if s.title is not None else "(entry no longer in knowledge/)"
        lines.append(f"- {s.score:.3f} · {literal(title)} · {literal(s.id)} {literal(s.source)}")
    if detail.earlier:
        lines += ["", f"**Same conversation** (session {literal(turn.session_id)})"]
        lines += [
            f"- {t.created_at[11:19]} _{literal(short(t.user_text, 70))}_ → {literal(short(t.reply, 70))}"
            for t in detail.earlier
        ]
    if detail.curations:
        lines += ["", "**Corrections so far**"]
        for c in detail.curations:
            what = []
            if c.intent:
                what.append(f"intent → `{c.intent}`")
            if c.reply:
                what.append(f"reply → “{literal(short(c.reply, 80))}”")
            if c.approved:
                what.append("approved")
            said = ", ".join(what) or "note"
            lines.append(f"- {c.created_at[:16]} {literal(c.author)}: {said} {literal(c.note or '')}")
    return "\n".join(lines)


def correction_line(done: Correction) -> str:
    """What a saved correction changed, in one line."""
    turn, saved = done.turn, done.saved
    changed = []
    if saved.intent and saved.intent != turn.intent:
        changed.append(f"intent {turn.intent} → {saved.intent}")
    elif saved.intent:
        changed.append(f"intent {saved.intent} confirmed")
    if saved.reply:
        changed.append("reply edited")
    if saved.approved:
        changed.append("approved")
    return f"Saved correction #{saved.id} of turn {turn.id}: {', '.join(changed) or 'note only'}."


def build(office: Backoffice) -> Opening:
    """The turn list (``/lead_turns``), a turn (``/lead_open_turn``), corrections (``/lead_correct``,
    ``/lead_approve``); its part of the first view."""

    def search(flags: list[str], intent: str, since: str, until: str, text: str) -> tuple[pd.DataFrame, str]:
        rows, limit = office.turns(
            flags=[FLAGS[f] for f in flags or []],
            intent=None if intent in (None, "", ALL) else intent,
            since=parse_date(since, "from"),
            until=parse_date(until, "until"),
            text=(text or "").strip() or None,
        )
        table = [
            [
                r.turn.created_at[:19].replace("T", " "),
                r.turn.intent,
                None if r.turn.confidence is None else round(r.turn.confidence, 2),
                r.turn.strategy,
                " ".join(r.flags),
                short(r.turn.user_text),
                short(r.turn.reply),
                r.turn.id,
            ]
            for r in rows
        ]
        note = f"{len(rows)} turns" + (f" (the newest {limit})" if len(rows) == limit else "")
        return pd.DataFrame(table, columns=TURN_COLUMNS), note

    def open_turn(turn_id: str) -> tuple[str, Any, str, str]:
        detail = office.turn((turn_id or "").strip())
        return turn_markdown(detail), detail.current_intent, detail.current_reply, detail.turn.id

    def on_select(table: pd.DataFrame, evt: gr.SelectData) -> tuple[Any, ...]:
        return open_turn(str(selected_row(table, evt, "a turn")[-1]))

    def save(turn_id: str, intent: str, reply: str, note: str, approve: bool) -> str:
        done = office.correct(
            (turn_id or "").strip(), intent or None, (reply or "").strip(), (note or "").strip() or None, approve
        )
        return correction_line(done)

    gr.Markdown("### Conversations")
    with gr.Row():
        flags = gr.CheckboxGroup(list(FLAGS), label="Show turns with any of", scale=3)
        intent_filter = gr.Dropdown([ALL, *office.intents], value=ALL, label="Intent", scale=1)
    with gr.Row():
        since = gr.Textbox(label="From (YYYY-MM-DD)", scale=1)
        until = gr.Textbox(label="Until (YYYY-MM-DD)", scale=1)
        text = gr.Textbox(label="Text contains", scale=2)
        search_btn = gr.Button("Filter", variant="primary", scale=1)
    found = gr.Markdown()
    table = gr.Dataframe(headers=TURN_COLUMNS, interactive=False, wrap=True, max_height=420, elem_id="turn-table")
    with gr.Row():
        turn_id = gr.Textbox(label="Turn id", scale=3)
        open_btn = gr.Button("Open turn", scale=1)
    detail = gr.Markdown()
    with gr.Row():
        new_intent = gr.Dropdown(office.intents, value=None, label="Right intent", scale=1)
        note = gr.Textbox(label="Note (optional)", scale=2)
    new_reply = gr.Textbox(label="Right reply (edit, or leave and approve)", lines=4)
    with gr.Row():
        save_btn = gr.Button("Save correction", variant="primary")
        approve_btn = gr.Button("Approve reply")
    saved = gr.Markdown()

    filters = [flags, intent_filter, since, until, text]
    search_btn.click(safe(search), filters, [table, found], api_name="lead_turns")
    turn_outputs = [detail, new_intent, new_reply, turn_id]
    table.select(safe(on_select), [table], turn_outputs, api_visibility="private")
    open_btn.click(safe(open_turn), [turn_id], turn_outputs, api_name="lead_open_turn")
    correction = [turn_id, new_intent, new_reply, note]
    save_btn.click(safe(lambda t, i, r, n: save(t, i, r, n, False)), correction, [saved], api_name="lead_correct")
    approve_btn.click(safe(lambda t, i, r, n: save(t, i, r, n, True)), correction, [saved], api_name="lead_approve")
    return Opening(inputs=filters, outputs=[table, found], fill=search)
