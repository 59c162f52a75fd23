"""The HTTP gate in front of the chat and the lead area (pure ASGI middleware).

- Request bodies over the limit are refused (413) before anything reads them.
- The customer side answers only what the chat page and its public API use (an allow-list);
  uploads, files, proxies, monitoring and unknown API names get 404.
- The web chat's session lives in an HttpOnly, SameSite=Strict cookie that the server issues;
  a missing, unknown or expired one is replaced by a new session's before the app sees the request.
- Logins to the lead area are throttled per account and per address (429 with ``Retry-After``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any

from assistant.security.throttle import Throttle

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "shop_session"
_STATIC = re.compile(
    r"^/(?:assets/|static/|svelte/|gradio_api/(?:heartbeat/|startup-events$|queue/data$))"
    r"|^/(?:favicon\.ico|robots\.txt|manifest\.json|theme\.css|gradio_api/theme\.css)$"
)
_PAGE = {"/", "/config", "/config/", "/gradio_api/info", "/gradio_api/info/"}
_EVENTS = {"/gradio_api/queue/join", "/gradio_api/cancel", "/gradio_api/reset"}
_API = re.compile(r"^/gradio_api/(?:call|run|api)/(?:v2/)?(?P<name>[^/]+)/?(?:/(?P<event>[\w-]+))?/?$")


class Gate:
    """Wrap the whole app (chat at ``/``, lead area under ``lead_prefix``).

    Args:
        app: The FastAPI app with both mounted.
        open_session: Turns whatever session token a client sent into a live one the server issued.
        public_api: The API names a customer may call (``ask``, ``feedback``, ...).
        logins: The throttle for lead logins.
        max_body: Largest request body in bytes.
        lead_prefix: Where the lead area is mounted.
        session_max_age: Seconds the browser keeps the session cookie.
    """

    def __init__(
        self,
        app: ASGIApp,
        open_session: Callable[[str | None], str],
        public_api: Iterable[str],
        logins: Throttle,
        max_body: int,
        lead_prefix: str = "/lead",
        session_max_age: int = 3600,
    ) -> None:
        self.app = app
        self.open_session = open_session
        self.public_api = set(public_api)
        self.logins = logins
        self.max_body = max_body
        self.lead_prefix = lead_prefix
        self.session_max_age = session_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "/")
        body = b""
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            read = await self._body(scope, receive)
            if read is None:
                await _respond(send, 413, {"detail": f"request body over {self.max_body // 1024} KiB"})
                return
            body, receive = read, _replay(read, receive)
        if path == self.lead_prefix or path.startswith(self.lead_prefix + "/"):
            if scope["method"] == "POST" and path.rstrip("/") == f"{self.lead_prefix}/login":
                await self._login(scope, body, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if not self._customer_may(scope["method"], path):
            await _respond(send, 404, {"detail": "Not Found"})
            return
        if path in ("/", "/gradio_api/queue/join"):
            await self._with_session(scope, receive, send)
            return
        await self.app(scope, receive, send)

    # --- the customer side ---

    def _customer_may(self, method: str, path: str) -> bool:
        if method in ("GET", "HEAD"):
            if path in _PAGE or _STATIC.match(path):
                return True
            found = _API.match(path)
            return bool(found and found["event"] and found["name"] in self.public_api)
        if method == "POST":
            if path in _EVENTS:
                return True
            found = _API.match(path)
            return bool(found and not found["event"] and found["name"] in self.public_api)
        return False

    async def _with_session(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Make sure the request carries a live session cookie; a new one is set on the response."""
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        cookies = SimpleCookie()
        for name, value in headers:
            if name == b"cookie":
                try:
                    cookies.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie header counts as none
                    cookies = SimpleCookie()
        sent = cookies[SESSION_COOKIE].value if SESSION_COOKIE in cookies else None
        token = self.open_session(sent)
        if token == sent:
            await self.app(scope, receive, send)
            return
        others = "; ".join(f"{k}={m.value}" for k, m in cookies.items() if k != SESSION_COOKIE)
        cookie = f"{SESSION_COOKIE}={token}" + (f"; {others}" if others else "")
        scope = {**scope, "headers": [h for h in headers if h[0] != b"cookie"] + [(b"cookie", cookie.encode())]}
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        set_cookie = (
            f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={self.session_max_age}{secure}"
        ).encode()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", set_cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    # --- the lead's login ---

    async def _login(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        user = (await _form_field(scope, body, "username")).strip().lower()
        address = (scope.get("client") or ("?", 0))[0]
        keys = (("account", user), ("address", address))
        wait = self.logins.wait(*keys)
        if wait > 0:
            seconds = int(wait) + 1
            await _respond(
                send,
                429,
                {"detail": f"Too many failed logins. Try again in {seconds} s."},
                [(b"retry-after", str(seconds).encode())],
            )
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 200:
            self.logins.success(*keys)
        else:
            self.logins.failure(*keys)
            log.warning("failed login to the lead area for %r from %s", user[:40], address)

    # --- bodies ---

    async def _body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole request body, or None when it is over the limit (read no further than that)."""
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)


async def _form_field(scope: Scope, body: bytes, name: str) -> str:
    """One field of a urlencoded or multipart form body ("" when absent or unreadable)."""
    from starlette.requests import Request

    try:
        form = await Request(scope, _replay(body, _disconnected)).form()
        value = form.get(name)
        await form.close()
    except Exception:  # a malformed body: the login route answers it; the throttle counts it for the address
        return ""
    return value if isinstance(value, str) else ""


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _respond(
    send: Send, status: int, content: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(content).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
