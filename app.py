"""The web server: the customer chat and the support lead's area (``assistant.ui``) mounted on one app behind
the gate. It only builds and serves; the pages live in ``assistant.ui``."""

from __future__ import annotations

import logging
import threading
import time

from assistant.offline import enforce_offline

enforce_offline()

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from assistant.dialogue import Assistant  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from assistant.jobs import TrainingJobs  # noqa: E402
from assistant.lead_auth import LeadCredentials  # noqa: E402
from assistant.security.http import Gate  # noqa: E402
from assistant.security.throttle import Throttle  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui.chat import PUBLIC_API, build_chat_ui  # noqa: E402
from assistant.ui.lead import build_lead_ui, open_once  # noqa: E402
from assistant.ui.wording import load_page_wording  # noqa: E402

log = logging.getLogger(__name__)


def build_app(bot: Assistant, credentials: LeadCredentials) -> FastAPI:
    """The chat at ``/`` and the support lead's area at ``/lead`` (password-protected), on one server,
    behind the gate (:mod:`assistant.security.http`)."""
    settings = bot.settings
    jobs = TrainingJobs(settings, on_activate=bot.use_model)
    lead = build_lead_ui(bot, jobs).queue(default_concurrency_limit=2)
    chat = build_chat_ui(bot).queue(default_concurrency_limit=4)
    title = load_page_wording(settings.prompts_dir, bot.profile.name).chat_title
    server = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
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
                open_once(lead)
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
