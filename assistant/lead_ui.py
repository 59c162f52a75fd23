"""The support lead's area: dashboard, conversation review, knowledge, gaps, handoffs, order actions, retraining.

Served at ``/lead`` behind a password (see ``assistant.lead_auth``). Only wiring
lives here: the figures come from ``assistant.analytics``, the gaps from
``assistant.gaps``, retraining from ``assistant.jobs``, the audit trail of order
actions from the shop database (read as ``assistant.shop.audit`` words it);
corrections go to the turn log as curations beside the turn.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import gradio as gr
import pandas as pd

from assistant.analytics import Dashboard, TurnQuery, dashboard, list_turns
from assistant.dialogue import Assistant
from assistant.errors import AssistantError
from assistant.gaps import gaps_report
from assistant.jobs import INTENT_METRICS, REPLY_METRICS, JobStatus, TrainingJobs, better
from assistant.knowledge import load_knowledge
from assistant.security.escape import literal
from assistant.shop.audit import change_line, entry_markdown, order_changes
from assistant.turnlog import Curation

log = logging.getLogger(__name__)

FLAGS = {
    "low confidence": "low_confidence",
    "fallback / don't know": "fallback",
    "thumbs down": "thumbs_down",
    "handoff": "handoff",
    "failed faithfulness check": "unfaithful",
    "not curated yet": "uncurated",
}
TURN_COLUMNS = ["time", "intent", "conf.", "strategy", "flags", "message", "reply", "turn id"]
ALL = "(all)"


TICKET_COLUMNS = ["ticket", "opened (UTC)", "status", "reason", "intent", "order", "sentiment", "summary"]
AUDIT_COLUMNS = ["entry", "time (UTC)", "order", "action", "actor", "what changed", "turn id"]
IDENTITY_COLUMNS = ["time (UTC)", "order", "outcome", "address", "session", "turn id"]
AUDIT_ROWS = 200


def _safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a handler; a user-caused error shows as one line on the page, anything else is logged too."""

    def wrapped(*args: Any) -> Any:
        try:
            return fn(*args)
        except AssistantError as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:
            log.exception("lead area: %s failed", fn.__name__)
            raise gr.Error(f"that did not work ({type(err).__name__}); the server log has the details") from None

    wrapped.__name__ = fn.__name__
    return wrapped


def _date(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AssistantError(f"{field}: '{text}' is not a date like 2026-11-23") from None


def _order_number(text: str | int | None) -> int | None:
    text = str(text if text is not None else "").strip().lstrip("#")
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 6):
        raise AssistantError(f"order: '{text}' is not an order number like 104233")
    return int(text)


def _short(text: str | None, n: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


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


def _summary(board: Dashboard) -> str:
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.0%}"

    def ms(x: float | None) -> str:
        return "–" if x is None else f"{x:.0f} ms"

    return (
        f"**{board.total_turns}** turns · fallback {pct(board.fallback_rate)} · handoff {pct(board.handoff_rate)}"
        f" · thumbs up {pct(board.thumbs_up_share)} · failed faithfulness checks **{board.unfaithful}**"
        f" · latency p50 {ms(board.latency_p50_ms)}, p95 {ms(board.latency_p95_ms)}"
    )


def _progress_html(job: JobStatus | None) -> str:
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


def _comparison(job: JobStatus | None) -> pd.DataFrame:
    columns = ["metric", "active", "new", "new is better"]
    if job is None or not job.metrics.get("new"):
        return pd.DataFrame(columns=columns)
    keys = INTENT_METRICS if job.kind == "intents" else REPLY_METRICS
    new, old = job.metrics.get("new", {}), job.metrics.get("active", {})
    rows = []
    for key in keys:
        verdict = better(key, new.get(key), old.get(key))
        rows.append([key, old.get(key), new.get(key), "same" if verdict is None else ("yes" if verdict else "no")])
    return pd.DataFrame(rows, columns=columns)


def build_lead_ui(bot: Assistant, jobs: TrainingJobs) -> gr.Blocks:
    """The lead's pages; mount behind auth (``app.build_app`` does)."""
    turn_log = bot.turn_log
    intents = sorted(bot.taxonomy.intents)
    shop = bot.desk.actions.db if bot.desk is not None else None

    # --- dashboard ------------------------------------------------------------------

    def load_dashboard(days: int) -> tuple[Any, ...]:
        board = dashboard(turn_log, days=int(days))
        frames = dashboard_frames(board)
        return (
            _summary(board),
            frames["turns"],
            frames["intents"],
            frames["rates"],
            frames["unfaithful"],
            frames["latency"],
        )

    # --- conversations --------------------------------------------------------------

    def search_turns(flags: list[str], intent: str, since: str, until: str, text: str) -> tuple[pd.DataFrame, str]:
        query = TurnQuery(
            flags=[FLAGS[f] for f in flags or []],  # type: ignore[misc]
            intent=None if intent in (None, "", ALL) else intent,
            since=_date(since, "from"),
            until=_date(until, "until"),
            text=(text or "").strip() or None,
            low_confidence=bot.settings.low_confidence,
        )
        rows = list_turns(turn_log, query)
        table = [
            [
                r.turn.created_at[:19].replace("T", " "),
                r.turn.intent,
                None if r.turn.confidence is None else round(r.turn.confidence, 2),
                r.turn.strategy,
                " ".join(r.flags),
                _short(r.turn.user_text),
                _short(r.turn.reply),
                r.turn.id,
            ]
            for r in rows
        ]
        note = f"{len(rows)} turns" + (f" (the newest {query.limit})" if len(rows) == query.limit else "")
        return pd.DataFrame(table, columns=TURN_COLUMNS), note

    def open_turn(turn_id: str) -> tuple[str, Any, str, str]:
        turn_id = (turn_id or "").strip()
        turn = turn_log.get(turn_id) if turn_id else None
        if turn is None:
            raise AssistantError(f"no turn '{turn_id}' in the log" if turn_id else "pick a turn in the list")
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
            "**Retrieved sources**" if turn.retrieved else "_Nothing retrieved._",
        ]
        for item in turn.retrieved:
            passage = bot.passage(str(item.get("id")))
            title = passage.title if passage else "(entry no longer in knowledge/)"
            source = passage.source if passage else ""
            lines.append(
                f"- {float(item.get('score', 0)):.3f} · {literal(title)} · {literal(item.get('id'))} {literal(source)}"
            )
        earlier = [t for t in reversed(turn_log.recent(limit=12, session_id=turn.session_id)) if t.id != turn.id]
        if earlier:
            lines += ["", f"**Same conversation** (session {literal(turn.session_id)})"]
            lines += [
                f"- {t.created_at[11:19]} _{literal(_short(t.user_text, 70))}_ → {literal(_short(t.reply, 70))}"
                for t in earlier
            ]
        curations = turn_log.curations(turn.id)
        if curations:
            lines += ["", "**Corrections so far**"]
            for c in curations:
                what = []
                if c.intent:
                    what.append(f"intent → `{c.intent}`")
                if c.reply:
                    what.append(f"reply → “{literal(_short(c.reply, 80))}”")
                if c.approved:
                    what.append("approved")
                lines.append(
                    f"- {c.created_at[:16]} {literal(c.author)}: {', '.join(what) or 'note'} {literal(c.note or '')}"
                )
        latest = curations[-1] if curations else None
        intent = (latest.intent if latest and latest.intent else turn.intent) or None
        reply = latest.reply if latest and latest.reply else turn.reply
        return "\n".join(lines), intent, reply, turn.id

    def on_select(table: pd.DataFrame, evt: gr.SelectData) -> tuple[Any, ...]:
        row = evt.row_value or (table.iloc[evt.index[0]].tolist() if evt.index else None)
        if not row:
            raise AssistantError("pick a turn in the list")
        return open_turn(str(row[-1]))

    def save_correction(turn_id: str, intent: str, reply: str, note: str, approve: bool) -> str:
        turn = turn_log.get((turn_id or "").strip())
        if turn is None:
            raise AssistantError("open a turn first")
        if intent and intent not in bot.taxonomy.intents:
            raise AssistantError(f"unknown intent '{intent}'")
        reply = (reply or "").strip()
        if not approve and not reply:
            raise AssistantError("the corrected reply is empty")
        if len(reply) > 4000:
            raise AssistantError("the corrected reply is longer than 4000 characters")
        saved = turn_log.curate(
            Curation(
                turn_id=turn.id,
                intent=intent or None,  # the same intent as logged: the lead confirms it (a label too)
                reply=reply if reply and reply != turn.reply else None,
                approved=approve,
                note=(note or "").strip() or None,
            )
        )
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

    # --- knowledge ------------------------------------------------------------------

    def validate(sync: bool) -> tuple[str, pd.DataFrame, pd.DataFrame]:
        kb = load_knowledge(bot.settings.knowledge_dir)
        problems = pd.DataFrame([[p.file, p.line, p.message] for p in kb.problems], columns=["file", "line", "problem"])
        head = f"{len(kb.products)} products, {len(kb.articles)} articles, {len(kb.problems)} problems."
        changes = pd.DataFrame(columns=["change", "entry"])
        if sync:
            report = bot.retriever.index.sync(kb.passages())
            bot.use_knowledge(kb)
            changes = pd.DataFrame(
                [["added", p] for p in report.added]
                + [["changed", p] for p in report.changed]
                + [["removed", p] for p in report.removed],
                columns=["change", "entry"],
            )
            head += f" Index synced: {report.summary()}."
        return head, problems, changes

    def find_gaps(threshold: float, days: int, out_of_scope: bool) -> tuple[str, pd.DataFrame]:
        report = gaps_report(
            turn_log,
            bot.retriever.index,
            threshold=float(threshold),
            days=int(days),
            include_out_of_scope=bool(out_of_scope),
            normalize=bot.classifier.normalize,
            lexical=bot.retriever.lexical,
            lexical_weight=bot.retriever.lexical_weight,
        )
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
        columns = ["messages", "sessions", "typical question", "best score", "closest entry", "intents", "examples"]
        return head, pd.DataFrame(rows, columns=columns)

    # --- training -------------------------------------------------------------------

    def job_view() -> tuple[Any, ...]:
        job = jobs.status()
        lines = "\n".join(job.log) if job else ""
        running = bool(job and job.running)
        return _progress_html(job), lines, _comparison(job), gr.Timer(active=running)

    def start_training(kind: str, from_log: bool, warm_start: bool, max_steps: float, repeat: float) -> tuple[Any, ...]:
        jobs.start(
            kind,  # type: ignore[arg-type]
            from_log=from_log,
            warm_start=warm_start,
            max_steps=int(max_steps or -1),
            extra_repeat=int(repeat or 1),
        )
        return job_view()

    def decide(promote: bool) -> str:
        if promote:
            version = jobs.promote()
            return f"Promoted {version}: the assistant uses it from the next message."
        return f"Discarded {jobs.discard()}."

    def versions(kind: str) -> tuple[pd.DataFrame, Any]:
        rows = jobs.versions(kind)
        return pd.DataFrame(rows), gr.update(choices=[r["version"] for r in rows], value=None)

    def activate(kind: str, version: str) -> str:
        if not version:
            raise AssistantError("pick a version")
        jobs.activate(kind, version)
        return f"Active {kind}: {version}."

    def rollback(kind: str) -> str:
        return f"Rolled back: active {kind} is {jobs.rollback(kind)}."

    with gr.Blocks(title="Support lead · Fjord & Pine") as lead:
        gr.Markdown("## Support lead area\nReview conversations, curate knowledge, retrain and roll back.")
        with gr.Tabs():
            with gr.Tab("Dashboard and conversations"):
                with gr.Row():
                    window = gr.Dropdown([7, 30, 90, 365], value=30, label="Days", scale=1)
                    refresh = gr.Button("Refresh", scale=1)
                headline = gr.Markdown(elem_id="dashboard-summary")
                with gr.Row():
                    turns_plot = gr.BarPlot(x="day", y="turns", title="Turns per day", height=260, y_lim=[0, None])
                    intent_plot = gr.BarPlot(
                        x="intent",
                        y="turns",
                        title="Intents",
                        sort="-y",
                        x_label_angle=-45,
                        height=260,
                        y_lim=[0, None],
                    )
                with gr.Row():
                    rates_plot = gr.ScatterPlot(
                        x="day",
                        y="share",
                        color="metric",
                        title="Fallback, handoff, thumbs-up share",
                        height=260,
                        y_lim=[0, 1],
                    )
                    unfaithful_plot = gr.BarPlot(
                        x="day", y="failed checks", title="Failed faithfulness checks", height=260, y_lim=[0, None]
                    )
                latency_plot = gr.ScatterPlot(
                    x="day", y="ms", color="metric", title="Turn latency p50 / p95", height=260
                )
                gr.Markdown("### Conversations")
                with gr.Row():
                    flags = gr.CheckboxGroup(list(FLAGS), label="Show turns with any of", scale=3)
                    intent_filter = gr.Dropdown([ALL, *intents], value=ALL, label="Intent", scale=1)
                with gr.Row():
                    since = gr.Textbox(label="From (YYYY-MM-DD)", scale=1)
                    until = gr.Textbox(label="Until (YYYY-MM-DD)", scale=1)
                    text = gr.Textbox(label="Text contains", scale=2)
                    search = gr.Button("Filter", variant="primary", scale=1)
                found = gr.Markdown()
                table = gr.Dataframe(
                    headers=TURN_COLUMNS, interactive=False, wrap=True, max_height=420, elem_id="turn-table"
                )
                with gr.Row():
                    turn_id = gr.Textbox(label="Turn id", scale=3)
                    open_btn = gr.Button("Open turn", scale=1)
                detail = gr.Markdown()
                with gr.Row():
                    new_intent = gr.Dropdown(intents, value=None, label="Right intent", scale=1)
                    note = gr.Textbox(label="Note (optional)", scale=2)
                new_reply = gr.Textbox(label="Right reply (edit, or leave and approve)", lines=4)
                with gr.Row():
                    save = gr.Button("Save correction", variant="primary")
                    approve = gr.Button("Approve reply")
                saved = gr.Markdown()
            with gr.Tab("Knowledge"):
                with gr.Row():
                    check = gr.Button("Validate knowledge/")
                    sync = gr.Button("Validate and sync the index", variant="primary")
                kb_head = gr.Markdown()
                kb_problems = gr.Dataframe(headers=["file", "line", "problem"], interactive=False, wrap=True)
                kb_changes = gr.Dataframe(headers=["change", "entry"], interactive=False)
                gr.Markdown("### Knowledge gaps\nWhat customers ask that no entry answers well, grouped by meaning.")
                with gr.Row():
                    gap_threshold = gr.Slider(
                        0.1, 1.2, value=bot.settings.gap_threshold, step=0.05, label="Best match under"
                    )
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
            with gr.Tab("Handoff queue"):
                gr.Markdown(
                    "Conversations the assistant handed to a person, oldest first, each with a summary "
                    "(reason, intent, order, sentiment, what was tried). Close a ticket once it is dealt with."
                )
                with gr.Row():
                    show_closed = gr.Checkbox(False, label="Show closed tickets too")
                    queue_refresh = gr.Button("Refresh")
                    ticket_no = gr.Number(None, label="Ticket", precision=0)
                    close_btn = gr.Button("Close ticket", variant="primary")
                queue_note = gr.Markdown()
                queue_table = gr.Dataframe(
                    headers=TICKET_COLUMNS, interactive=False, wrap=True, max_height=520, elem_id="ticket-table"
                )
            audit_outputs: list[Any] = []
            if shop is not None:
                with gr.Tab("Order actions") as audit_tab:
                    gr.Markdown(
                        "Every change made to an order (cancel, address, item, return, exchange), newest first: "
                        "who, when and in which turn. Select a row for the arguments and the fields it changed."
                    )
                    with gr.Row():
                        audit_order = gr.Textbox(label="Order number (empty: all orders)", scale=2)
                        audit_btn = gr.Button("Show", variant="primary", scale=1)
                    audit_note = gr.Markdown()
                    audit_table = gr.Dataframe(
                        headers=AUDIT_COLUMNS, interactive=False, wrap=True, max_height=520, elem_id="audit-table"
                    )
                    with gr.Row():
                        entry_no = gr.Number(None, label="Entry", precision=0, scale=3)
                        entry_btn = gr.Button("Open entry", scale=1)
                    entry_detail = gr.Markdown()
                    audit_outputs = [audit_table, audit_note]
                    gr.Markdown(
                        "### Identity checks\nFailed checks of who owns an order, and checks refused because the "
                        "order or the address had failed too often (guessing), newest first."
                    )
                    identity_note = gr.Markdown()
                    identity_table = gr.Dataframe(
                        headers=IDENTITY_COLUMNS, interactive=False, wrap=True, max_height=360, elem_id="identity-table"
                    )
            with gr.Tab("Training"):
                with gr.Row():
                    kind = gr.Radio(["intents", "replies"], value="intents", label="Model")
                    from_log = gr.Checkbox(True, label="Add curated turns")
                    warm = gr.Checkbox(False, label="Continue from the active classifier")
                    repeat = gr.Number(20, label="Weight of each corrected intent (repeats)", precision=0)
                    max_steps = gr.Number(-1, label="Max steps (-1: full training)", precision=0)
                start = gr.Button("Start training", variant="primary")
                progress = gr.HTML(_progress_html(None))
                with gr.Row():
                    comparison = gr.Dataframe(
                        headers=["metric", "active", "new", "new is better"], interactive=False, scale=2
                    )
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

        board_outputs = [headline, turns_plot, intent_plot, rates_plot, unfaithful_plot, latency_plot]
        search_inputs = [flags, intent_filter, since, until, text]
        refresh.click(_safe(load_dashboard), [window], board_outputs, api_name="lead_dashboard")
        window.change(_safe(load_dashboard), [window], board_outputs, api_visibility="private")
        search.click(_safe(search_turns), search_inputs, [table, found], api_name="lead_turns")
        turn_outputs = [detail, new_intent, new_reply, turn_id]
        table.select(_safe(on_select), [table], turn_outputs, api_visibility="private")
        open_btn.click(_safe(open_turn), [turn_id], turn_outputs, api_name="lead_open_turn")
        save.click(
            _safe(lambda t, i, r, n: save_correction(t, i, r, n, False)),
            [turn_id, new_intent, new_reply, note],
            [saved],
            api_name="lead_correct",
        )
        approve.click(
            _safe(lambda t, i, r, n: save_correction(t, i, r, n, True)),
            [turn_id, new_intent, new_reply, note],
            [saved],
            api_name="lead_approve",
        )
        check.click(_safe(lambda: validate(False)), None, [kb_head, kb_problems, kb_changes], api_visibility="private")
        sync.click(_safe(lambda: validate(True)), None, [kb_head, kb_problems, kb_changes], api_name="lead_sync")
        gaps_btn.click(
            _safe(find_gaps), [gap_threshold, gap_days, gap_oos], [gaps_head, gaps_table], api_name="lead_gaps"
        )
        job_outputs = [progress, job_log, comparison, timer]
        version_outputs = [versions_table, version_pick]

        def queue_view(closed: bool) -> tuple[pd.DataFrame, str]:
            tickets = bot.turn_log.tickets(None if closed else "open")
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

        def close_ticket(number: float | None, closed: bool) -> tuple[pd.DataFrame, str]:
            if number is None:
                return queue_view(closed)[0], "Enter the number of the ticket to close."
            done = bot.turn_log.close_ticket(int(number), by="support lead")
            table, head = queue_view(closed)
            return table, (f"Ticket {int(number)} closed. " if done else f"No open ticket {int(number)}. ") + head

        queue_refresh.click(_safe(queue_view), [show_closed], [queue_table, queue_note], api_name="lead_tickets")
        show_closed.change(_safe(queue_view), [show_closed], [queue_table, queue_note], api_visibility="private")
        close_btn.click(
            _safe(close_ticket), [ticket_no, show_closed], [queue_table, queue_note], api_name="lead_close_ticket"
        )

        def audit_view(order: str) -> tuple[pd.DataFrame, str]:
            assert shop is not None
            number = _order_number(order)
            entries = shop.audit(order_id=number, limit=AUDIT_ROWS)
            if number is not None and not entries and shop.order(number) is None:
                raise AssistantError(f"there is no order {number}")
            rows = [
                [
                    e.id,
                    f"{e.at:%Y-%m-%d %H:%M:%S}",
                    e.order_id,
                    e.action,
                    e.actor,
                    _short(change_line(order_changes(e.before, e.after)), 160),
                    e.turn_id or "",
                ]
                for e in entries
            ]
            note = f"**{len(entries)} order action(s)**" + (f" on order {number}" if number else "")
            if len(entries) == AUDIT_ROWS:
                note += f" (the newest {AUDIT_ROWS})"
            return pd.DataFrame(rows, columns=AUDIT_COLUMNS), note

        def identity_view(order: str) -> tuple[pd.DataFrame, str]:
            assert shop is not None
            number = _order_number(order)
            checks = shop.identity_checks(order_id=number, limit=AUDIT_ROWS)
            rows = [
                [
                    f"{c.at:%Y-%m-%d %H:%M:%S}",
                    c.order_id,
                    c.outcome,
                    c.client or "",
                    c.session_id or "",
                    c.turn_id or "",
                ]
                for c in checks
            ]
            failed = sum(c.outcome == "failed" for c in checks)
            note = f"**{failed} failed, {len(checks) - failed} refused**" + (f" on order {number}" if number else "")
            return pd.DataFrame(rows, columns=IDENTITY_COLUMNS), note

        def open_entry(number: float | None) -> tuple[str, Any]:
            assert shop is not None
            if number is None:
                raise AssistantError("pick an entry in the list")
            entry = shop.audit_entry(int(number))
            if entry is None:
                raise AssistantError(f"no entry {int(number)} in the audit trail")
            return entry_markdown(entry), entry.id

        def on_audit_select(table: pd.DataFrame, evt: gr.SelectData) -> tuple[str, Any]:
            row = evt.row_value or (table.iloc[evt.index[0]].tolist() if evt.index else None)
            if not row:
                raise AssistantError("pick an entry in the list")
            return open_entry(row[0])

        if shop is not None:
            audit_btn.click(_safe(audit_view), [audit_order], audit_outputs, api_name="lead_audit")
            audit_order.submit(_safe(audit_view), [audit_order], audit_outputs, api_visibility="private")
            # filled when opened, not with the page: the first view must be up within 2 s
            audit_tab.select(_safe(audit_view), [audit_order], audit_outputs, api_visibility="private")
            identity_outputs = [identity_table, identity_note]
            audit_btn.click(_safe(identity_view), [audit_order], identity_outputs, api_name="lead_identity_checks")
            audit_tab.select(_safe(identity_view), [audit_order], identity_outputs, api_visibility="private")
            entry_outputs = [entry_detail, entry_no]
            audit_table.select(_safe(on_audit_select), [audit_table], entry_outputs, api_visibility="private")
            entry_btn.click(_safe(open_entry), [entry_no], entry_outputs, api_name="lead_audit_entry")

        def first_view(days: int, *filters: Any) -> tuple[Any, ...]:
            """Everything the page shows on opening, in one request (the page must be up within 2 s)."""
            return (
                *load_dashboard(days),
                *search_turns(*filters),
                *job_view(),
                *versions("intents"),
                *queue_view(False),
            )

        lead.load(
            _safe(first_view),
            [window, *search_inputs],
            [*board_outputs, table, found, *job_outputs, *version_outputs, queue_table, queue_note],
            api_name="lead_open",
            queue=False,
        )
        start.click(
            _safe(start_training), [kind, from_log, warm, max_steps, repeat], job_outputs, api_name="lead_train"
        )
        timer.tick(job_view, None, job_outputs, api_name="lead_job")
        promote.click(_safe(lambda: decide(True)), None, [decision], api_name="lead_promote")
        discard.click(_safe(lambda: decide(False)), None, [decision], api_name="lead_discard")
        versions_kind.change(_safe(versions), [versions_kind], [versions_table, version_pick], api_visibility="private")
        for event in (promote.click, discard.click):
            event(_safe(versions), [versions_kind], [versions_table, version_pick], api_visibility="private")
        activate_btn.click(
            _safe(activate), [versions_kind, version_pick], [version_note], api_name="lead_activate"
        ).then(_safe(versions), [versions_kind], [versions_table, version_pick], api_visibility="private")
        rollback_btn.click(_safe(rollback), [versions_kind], [version_note], api_name="lead_rollback").then(
            _safe(versions), [versions_kind], [versions_table, version_pick], api_visibility="private"
        )
    return lead
