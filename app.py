"""The chat UI: Gradio wired to the assistant runtime. No logic lives here."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from assistant.offline import enforce_offline

enforce_offline()

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from assistant.dialogue import Assistant, Reply  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from assistant.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on our side. Please try again in a moment."
TITLE = "Fjord & Pine customer service"


def sources_line(reply: Reply) -> str:
    if not reply.sources:
        return ""
    items = " · ".join(f"{s.title} ({s.source}, {s.score:.2f})" for s in reply.sources)
    return f"\n\n<sub>Sources: {items}</sub>"


def build_ui(bot: Assistant) -> gr.Blocks:
    """The customer chat page, plus the ``/ask`` and ``/feedback`` API endpoints."""

    def chat(message: str, history: list[dict[str, Any]], session_id: str, turns: dict[int, str]) -> Iterator[Any]:
        history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield history, "", turns
        try:
            for item in bot.respond_stream(message, session_id=session_id):
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

    def on_like(turns: dict[int, str], data: gr.LikeData) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        turn_id = turns.get(index) or turns.get(str(index))  # type: ignore[call-overload]
        if turn_id:
            try:
                bot.feedback(turn_id, bool(data.liked))
            except Exception:
                log.exception("feedback not stored")
                gr.Warning("Your feedback could not be saved.")

    def ask(message: str, session_id: str) -> dict[str, Any]:
        """Answer one message in a session; returns the reply as JSON."""
        try:
            return bot.respond(message, session_id=session_id or "api").model_dump(mode="json")
        except Exception:
            log.exception("turn failed")
            return {"text": SORRY, "error": True}

    def feedback(turn_id: str, liked: bool) -> bool:
        """Thumbs up (true) or down (false) for a turn; returns whether it was stored."""
        try:
            return bot.feedback(turn_id, liked)
        except Exception:
            log.exception("feedback not stored")
            return False

    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(f"## {TITLE}\nAsk about our products, your order, delivery, returns or payment.")
        session = gr.State(lambda: uuid.uuid4().hex)
        turns = gr.State({})
        chatbot = gr.Chatbot(label="Chat", height=520, feedback_options=("Like", "Dislike"))
        with gr.Row():
            box = gr.Textbox(placeholder="Type your message…", show_label=False, scale=8, autofocus=True)
            send = gr.Button("Send", variant="primary", scale=1)
        for trigger in (box.submit, send.click):
            trigger(chat, [box, chatbot, session, turns], [chatbot, box, turns], api_visibility="private")
        chatbot.like(on_like, [turns], None, api_visibility="private")
        gr.api(ask, api_name="ask")
        gr.api(feedback, api_name="feedback")
    return demo


def build_app(bot: Assistant, password: str, user: str = "lead") -> FastAPI:
    """The chat at ``/`` and the support lead's area at ``/lead`` (password-protected), on one server."""
    from assistant.jobs import TrainingJobs
    from assistant.lead_ui import build_lead_ui

    jobs = TrainingJobs(bot.settings, on_activate=bot.use_model)
    lead = build_lead_ui(bot, jobs).queue(default_concurrency_limit=2)
    chat = build_ui(bot).queue(default_concurrency_limit=4)
    server = FastAPI(title=TITLE)
    server.state.jobs = jobs
    server = gr.mount_gradio_app(
        server, lead, path="/lead", auth=(user, password), auth_message="Support lead area", show_error=False
    )
    return gr.mount_gradio_app(server, chat, path="", show_error=False)


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

    def warm_lead_area(self, user: str, password: str) -> None:
        """Open the lead area once in the background, so the first lead's page comes up at full speed."""

        def warm() -> None:
            try:
                from gradio_client import Client

                Client(f"{self.url}lead/", auth=(user, password), verbose=False).predict(
                    30, [], "(all)", "", "", "", api_name="/lead_open"
                )
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
    bot = Assistant.load(settings)
    credentials = lead_credentials(settings)
    server = Server(build_app(bot, credentials.password, credentials.user), settings.host, settings.port).start()
    server.warm_lead_area(credentials.user, credentials.password)
    print(f"Chat: {server.url}   Support lead area: {server.url}lead/ (user '{credentials.user}')", flush=True)
    if credentials.generated:
        print(f"Support-lead password (shown once; stored in {credentials.source}): {credentials.password}", flush=True)
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
