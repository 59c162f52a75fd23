"""The chat UI: Gradio wired to the assistant runtime. No logic lives here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from assistant.offline import enforce_offline

enforce_offline()

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from assistant.dialogue import Assistant, Reply, clean_message  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from assistant.lead_auth import LeadCredentials  # noqa: E402
from assistant.security.http import SESSION_COOKIE, Gate  # noqa: E402
from assistant.security.throttle import Throttle  # noqa: E402
from assistant.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on our side. Please try again in a moment."
TITLE = "Fjord & Pine customer service"


def sources_line(reply: Reply) -> str:
    if not reply.sources:
        return ""
    items = " · ".join(f"{s.title} ({s.source}, {s.score:.2f})" for s in reply.sources)
    return f"\n\n<sub>Sources: {items}</sub>"


PUBLIC_API = ("ask", "feedback", "start_session")
"""What a customer's client may call; every other API name is a 404 (assistant.security.http)."""


def _token(request: gr.Request | None) -> str | None:
    """The session token of the web chat: its cookie (the gate has made sure it names a live session)."""
    return request.cookies.get(SESSION_COOKIE) if request is not None else None


def _client(request: gr.Request | None) -> str | None:
    client = getattr(request, "client", None) if request is not None else None
    return getattr(client, "host", None)


def build_ui(bot: Assistant) -> gr.Blocks:
    """The customer chat page, plus the ``/ask``, ``/feedback`` and ``/start_session`` API endpoints."""

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
            history[-1] = {"role": "assistant", "content": SORRY}
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
                gr.Warning("Your feedback could not be saved.")

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
            return {"text": SORRY, "error": True, "session_id": token}
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

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"## {TITLE}\nAsk about our products, your order, delivery, returns or payment.")
        turns = gr.State({})
        chatbot = gr.Chatbot(label="Chat", height=520, feedback_options=("Like", "Dislike"))
        with gr.Row():
            box = gr.Textbox(placeholder="Type your message…", show_label=False, scale=8, autofocus=True)
            send = gr.Button("Send", variant="primary", scale=1)
        for trigger in (box.submit, send.click):
            trigger(chat, [box, chatbot, turns], [chatbot, box, turns], api_visibility="private")
        chatbot.like(on_like, [turns], None, api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(feedback, api_name="feedback")
        gr.api(start_session, api_name="start_session")
    return demo


def build_app(bot: Assistant, credentials: LeadCredentials) -> FastAPI:
    """The chat at ``/`` and the support lead's area at ``/lead`` (password-protected), on one server,
    behind the gate (:mod:`assistant.security.http`)."""
    from assistant.jobs import TrainingJobs
    from assistant.lead_ui import build_lead_ui

    settings = bot.settings
    jobs = TrainingJobs(settings, on_activate=bot.use_model)
    lead = build_lead_ui(bot, jobs).queue(default_concurrency_limit=2)
    chat = build_ui(bot).queue(default_concurrency_limit=4)
    server = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None)
    server.state.jobs = jobs
    server.state.lead = lead
    server = gr.mount_gradio_app(
        server, lead, path="/lead", auth=credentials.check, auth_message="Support lead area", show_error=False
    )
    server = gr.mount_gradio_app(server, chat, path="", show_error=False, footer_links=[], max_file_size=0)
    server.add_middleware(
        Gate,
        open_session=bot.open_session,
        public_api=PUBLIC_API,
        logins=Throttle(settings.login_free_failures, settings.login_delay_seconds, settings.login_max_delay_seconds),
        max_body=settings.max_request_kb * 1024,
        session_max_age=int(settings.session_idle_minutes * 60),
    )
    return server


class Server:
    """The app on a uvicorn server in a background thread (``serve(block=False)``)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.url = f"http://{host}:{port}/"
        self.app = app
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self.warmed = threading.Event()

    def start(self) -> Server:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise AssistantError(f"the server could not start on {self.url} (is the port in use?)")
            time.sleep(0.05)
        return self

    def warm_lead_area(self) -> None:
        """Run the lead area's first view once in the background, so the first lead's page comes up at full speed."""
        lead: gr.Blocks = self.app.state.lead

        def warm() -> None:
            try:
                first = next(f.fn for f in lead.fns.values() if f.api_name == "lead_open")
                assert first is not None
                first(30, [], "(all)", "", "", "")
            except Exception as err:  # a cold first page is slower, not broken
                log.warning("lead area warm-up failed: %s", err)
            finally:
                self.warmed.set()

        threading.Thread(target=warm, name="warm-lead", daemon=True).start()

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def serve(settings: Settings | None = None, block: bool = True) -> Server:
    """Load the assistant and serve the chat and the lead area; prints the lead password if it was just made."""
    from assistant.lead_auth import lead_credentials

    settings = settings or Settings()
    credentials = lead_credentials(settings)  # a weak SHOP_LEAD_PASSWORD is refused before any model loads
    if credentials.shown_once:  # printed at once: only its hash is kept, so a failed start must not lose it
        print(
            f"Support-lead password (shown once, only its hash is kept in {credentials.source}): "
            f"{credentials.shown_once}",
            flush=True,
        )
    bot = Assistant.load(settings)
    server = Server(build_app(bot, credentials), settings.host, settings.port).start()
    server.warm_lead_area()
    print(f"Chat: {server.url}   Support lead area: {server.url}lead/ (user '{credentials.user}')", flush=True)
    if block:
        try:
            while server._thread.is_alive():
                server._thread.join(1)
        except KeyboardInterrupt:
            server.close()
    return server


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve()
