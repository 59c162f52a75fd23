"""The customer chat page, plus the ``/ask``, ``/feedback`` and ``/start_session`` API endpoints."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.dialogue import Assistant, Reply, clean_message
from assistant.security.http import SESSION_COOKIE
from assistant.ui.wording import load_page_wording

log = logging.getLogger(__name__)

PUBLIC_API = ("ask", "feedback", "start_session")
"""What a customer's client may call; every other API name is a 404 (assistant.security.http)."""


def sources_line(reply: Reply) -> str:
    """The reply's sources as a small line under it (empty when it has none)."""
    if not reply.sources:
        return ""
    items = " · ".join(f"{s.title} ({s.source}, {s.score:.2f})" for s in reply.sources)
    return f"\n\n<sub>Sources: {items}</sub>"


def _token(request: gr.Request | None) -> str | None:
    """The session token of the web chat: its cookie (the gate has made sure it names a live session)."""
    return request.cookies.get(SESSION_COOKIE) if request is not None else None


def _client(request: gr.Request | None) -> str | None:
    client = getattr(request, "client", None) if request is not None else None
    return getattr(client, "host", None)


def build_chat_ui(bot: Assistant) -> gr.Blocks:
    """The customer chat page, plus the ``/ask``, ``/feedback`` and ``/start_session`` API endpoints."""
    words = load_page_wording(bot.settings.prompts_dir, bot.profile.name)

    def chat(message: str, history: list[dict[str, Any]], turns: dict[int, str], request: gr.Request) -> Iterator[Any]:
        token = bot.open_session(_token(request))
        shown, _ = clean_message(message, bot.settings.max_message_chars)
        history = [*history, {"role": "user", "content": shown}, {"role": "assistant", "content": "…"}]
        yield history, "", turns
        try:
            for item in bot.respond_stream(message, session_id=token, client=_client(request)):
                if isinstance(item, Reply):
                    history[-1] = {"role": "assistant", "content": item.text + sources_line(item)}
                    turns = {**turns, len(history) - 1: item.turn_id}
                else:
                    history[-1] = {"role": "assistant", "content": item or "…"}
                yield history, "", turns
        except Exception:  # the page gets a sentence, the log gets the traceback
            log.exception("turn failed")
            history[-1] = {"role": "assistant", "content": words.sorry}
            yield history, "", turns

    def on_like(turns: dict[int, str], data: gr.LikeData, request: gr.Request) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn_id = turns.get(index) or turns.get(str(index))  # type: ignore[call-overload]
        if turn_id:
            try:
                stored = bot.feedback(turn_id, bool(data.liked), session_id=_token(request) or "")
            except Exception:
                log.exception("feedback not stored")
                stored = False
            if not stored:
                gr.Warning(words.feedback_not_saved)

    def ask(message: str, session_id: str = "", request: gr.Request | None = None) -> dict[str, Any]:
        """Answer one message in a session; returns the reply as JSON, with the session's token.

        Pass the ``session_id`` of the previous reply to go on with a conversation; an empty, unknown or
        expired one starts a new conversation (its token is in the reply).
        """
        token = bot.open_session(session_id or None)
        try:
            reply = bot.respond(message, session_id=token, client=_client(request))
        except Exception:
            log.exception("turn failed")
            return {"text": words.sorry, "error": True, "session_id": token}
        return {**reply.model_dump(mode="json"), "session_id": token}

    def feedback(turn_id: str, liked: bool, session_id: str = "") -> bool:
        """Thumbs up (true) or down (false) for a turn of this session; returns whether it was stored."""
        try:
            return bot.feedback(turn_id, liked, session_id=session_id)
        except Exception:
            log.exception("feedback not stored")
            return False

    def start_session() -> dict[str, str]:
        """A new, empty conversation; returns its ``session_id`` for ``/ask`` and ``/feedback``."""
        return {"session_id": bot.open_session()}

    with gr.Blocks(title=words.chat_title) as demo:
        gr.Markdown(f"## {words.chat_title}\n{words.chat_intro}")
        turns = gr.State({})
        chatbot = gr.Chatbot(label=words.chat_label, height=520, feedback_options=("Like", "Dislike"))
        with gr.Row():
            box = gr.Textbox(placeholder=words.placeholder, show_label=False, scale=8, autofocus=True)
            send = gr.Button(words.send, variant="primary", scale=1)
        for trigger in (box.submit, send.click):
            trigger(chat, [box, chatbot, turns], [chatbot, box, turns], api_visibility="private")
        chatbot.like(on_like, [turns], None, api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(feedback, api_name="feedback")
        gr.api(start_session, api_name="start_session")
    return demo
