"""The served app (``app.serve``, as ``make run`` starts it) probed the way an attacker would, from localhost.

Each test is one finding of the security review: reusing or guessing another customer's session, guessing
an order's identity details across sessions, flooding the lead login, uploading files, calling API names
that do not exist, sending bodies that are too large, and messages with surrogates or control bytes.
The HTML-in-lead-views finding runs in headless Chromium: ``test_security_browser.py``.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from assistant.security.http import SESSION_COOKIE
from assistant.security.throttle import Throttle
from assistant.settings import REPO_ROOT, Settings
from assistant.shop.demo import build_demo_shop
from assistant.shop.store import ShopDB

pytestmark = pytest.mark.integration

LEAD_PASSWORD = "vivid-otter-pounces-7-cobalt-lanterns"
SHOP_NOW = datetime.now(UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def install(
    shared_models: Path, index_copy: Callable[[Settings], None], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    data = tmp_path_factory.mktemp("attack")
    (data / "models").symlink_to(shared_models / "models", target_is_directory=True)
    settings = Settings(
        data_dir=data,
        knowledge_dir=REPO_ROOT / "knowledge",
        port=_free_port(),
        lead_password=SecretStr(LEAD_PASSWORD),
        login_delay_seconds=2,
        login_free_failures=3,
    )
    index_copy(settings)
    build_demo_shop(settings.shop_db, settings.knowledge_dir, customers=12, orders=50, now=SHOP_NOW)
    return settings


@pytest.fixture(scope="module")
def url(server: object) -> str:
    return str(server.url)  # type: ignore[attr-defined]


def _ask(url: str, message: str, session_id: str = "") -> dict:  # type: ignore[type-arg]
    from gradio_client import Client

    return Client(url, verbose=False).predict(message, session_id, api_name="/ask")  # type: ignore[no-any-return]


# --- 1. sessions ----------------------------------------------------------------------


def test_an_empty_or_made_up_session_id_never_sees_another_customers_verified_order(url: str) -> None:
    a = _ask(url, "where is my order 104233?")
    a = _ask(url, "My name is Lena Hoffmann, zip 20259", a["session_id"])
    assert a["order"]["action"] == "status" and "DHL" in a["text"], a["text"]  # A sees her own order
    token = a["session_id"]
    assert len(token) >= 43  # 256 random bits, url-safe
    for other in ("", "api", "default", "s1", token[:-1] + ("A" if token[-1] != "A" else "B")):
        b = _ask(url, "what's in order 104233 and where is it?", other)
        assert b["session_id"] not in (other, token), other
        assert b["order"] is None or b["order"]["action"] in ("ask_identity", "ask_order"), b["text"]
        assert "DHL" not in b["text"] and "Total" not in b["text"], b["text"]


def test_the_web_chat_session_is_an_http_only_same_site_cookie_the_server_issues(url: str) -> None:
    page = httpx.get(url, timeout=30)
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    issued = page.cookies[SESSION_COOKIE]
    again = httpx.get(url, cookies={SESSION_COOKIE: issued}, timeout=30)
    assert "set-cookie" not in again.headers  # a live session is kept
    forged = httpx.get(url, cookies={SESSION_COOKIE: "chosen-by-the-attacker"}, timeout=30)
    assert forged.cookies[SESSION_COOKIE] not in ("chosen-by-the-attacker", issued)


def test_feedback_takes_only_the_sessions_own_turns(url: str) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    mine = client.predict("How long do I have to return an item?", "", api_name="/ask")
    theirs = client.predict("", api_name="/start_session")["session_id"]
    assert client.predict(mine["turn_id"], False, theirs, api_name="/feedback") is False
    assert client.predict(mine["turn_id"], False, "", api_name="/feedback") is False
    assert client.predict(mine["turn_id"], False, mine["session_id"], api_name="/feedback") is True


# --- 2. identity checks ----------------------------------------------------------------


def test_guessing_zip_codes_across_new_sessions_stops_at_the_order_limit(url: str, install: Settings) -> None:
    limit = install.identity_failures_order
    answers = []
    for guess in range(100):
        session = _ask(url, "where is my order 104156?")["session_id"]
        reply = _ask(url, f"Lena Hoffmann, {10000 + guess}", session)
        answers.append(reply["order"]["action"] if reply["order"] else reply["strategy"])
        if guess > limit + 3:
            break
    assert answers[:limit] == ["identity_failed"] * limit, answers
    assert set(answers[limit:]) == {"identity_locked"}, answers
    session = _ask(url, "where is my order 104156?")["session_id"]
    right = _ask(url, "Lena Hoffmann, 20259", session)  # even the right zip is not checked now
    assert right["order"]["action"] == "identity_locked" and "Total" not in right["text"]
    assert not right["handoff"]  # a lock opens no ticket: a flood of guesses is no flood of tickets
    with ShopDB(install.shop_db) as shop:
        checks = shop.identity_checks(order_id=104156)
    assert sum(c.outcome == "failed" for c in checks) == limit
    assert all(c.client == "127.0.0.1" and c.session_id for c in checks)


def test_repeated_failures_in_one_session_open_one_ticket(url: str, install: Settings) -> None:
    from assistant.sessions import log_id
    from assistant.turnlog import TurnLog

    session = _ask(url, "where is my order 104247?")["session_id"]
    actions = [_ask(url, f"Lena Hoffmann, {z}", session)["order"]["action"] for z in ("11111", "22222")]
    assert actions == ["identity_failed", "handoff"], actions
    again = _ask(url, "where is my order 104247? Lena Hoffmann, 33333", session)
    assert again["order"]["action"] == "handoff" and again["handoff"], again["text"]
    tickets = [t for t in TurnLog(install.log_path).tickets() if t.session_id == log_id(session)]
    assert len(tickets) == 1 and tickets[0].reason == "identity not confirmed"


# --- 3. lead logins ----------------------------------------------------------------------


def test_a_password_flood_gets_through_only_the_throttles_tries(url: str, install: Settings) -> None:
    throttle = Throttle(install.login_free_failures, install.login_delay_seconds, install.login_max_delay_seconds)
    checked, refused = 0, 0
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in range(1000):
            answer = client.post("lead/login", data={"username": "lead", "password": f"guess-{i}"})
            if answer.status_code == 429:
                refused += 1
                assert int(answer.headers["retry-after"]) >= 1
            else:
                assert answer.status_code == 400
                checked += 1
            if time.monotonic() - start > 8:
                break
        elapsed = time.monotonic() - start
        assert refused > 0 and checked <= throttle.most_tries(elapsed), (checked, elapsed)
        assert throttle.most_tries(60) <= 7  # what the README promises for these settings
        locked_out = client.post("lead/login", data={"username": "lead", "password": LEAD_PASSWORD})
        assert locked_out.status_code == 429  # even the right password waits: the flood taught it nothing


def test_a_weak_lead_password_is_refused_at_start(install: Settings) -> None:
    from assistant.errors import AssistantError
    from assistant.lead_auth import lead_credentials

    for weak in ("password1", "passwordpassword1", "qwertyuiop123456"):
        with pytest.raises(AssistantError, match="SHOP_LEAD_PASSWORD is refused"):
            lead_credentials(install.model_copy(update={"lead_password": SecretStr(weak)}))
    stored = lead_credentials(install.model_copy(update={"lead_password": None}))
    assert stored.shown_once and stored.password_hash.startswith("$argon2id$")
    assert stored.shown_once not in (install.data_dir / "lead-password.argon2").read_text()


# --- 5. what the customer page does not need -----------------------------------------------


def test_uploads_file_access_and_unknown_api_names_are_404(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        upload = client.post("gradio_api/upload", files={"files": ("x.bin", b"0" * 1024)})
        assert upload.status_code == 404
        for path in ("gradio_api/call/lambda", "gradio_api/call/no_such_api", "gradio_api/run/predict"):
            assert client.post(path, json={"data": []}).status_code == 404, path
        for path in ("gradio_api/file=/etc/passwd", "gradio_api/monitoring", "docs", "openapi.json"):
            assert client.get(path).status_code == 404, path
        info = client.get("gradio_api/info").json()
        assert set(info["named_endpoints"]) == {"/ask", "/feedback", "/start_session"}
        assert not info["unnamed_endpoints"]
        assert client.get("config").json()["footer_links"] == []  # no "Use via API" link


def test_a_request_body_over_the_limit_is_refused(url: str, install: Settings) -> None:
    big = b"x" * (install.max_request_kb * 1024 + 1)
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.post("gradio_api/call/ask", content=big, headers={"content-type": "application/json"})
        assert answer.status_code == 413

        def chunks() -> Iterator[bytes]:  # no content-length: counted as it comes
            for _ in range(install.max_request_kb + 1):
                yield b"x" * 1024

        streamed = client.post("gradio_api/queue/join", content=chunks())
        assert streamed.status_code == 413


# --- 6. broken messages -----------------------------------------------------------------------


def _ask_raw(url: str, body: str) -> dict:  # type: ignore[type-arg]
    """``/ask`` with a JSON body written by hand (a client library cannot send a lone surrogate)."""
    import json

    with httpx.Client(base_url=url, timeout=60) as client:
        started = client.post("gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
        assert started.status_code == 200, started.text
        events = client.get(f"gradio_api/call/ask/{started.json()['event_id']}").text
    data = [line[6:] for line in events.splitlines() if line.startswith("data: ")]
    return json.loads(data[-1])[0]  # type: ignore[no-any-return]


def test_surrogates_and_control_bytes_keep_the_question_and_its_logged_turn(url: str, install: Settings) -> None:
    from assistant.turnlog import TurnLog

    bodies = [
        '{"data": ["How long do I have to return an item?\\ud800", ""]}',  # a lone surrogate, as JSON allows
        '{"data": ["' + "\\u0000\\u0001\\u0002\\u001b" * 20 + 'How long do I have to return an item?", ""]}',
    ]
    for body in bodies:
        reply = _ask_raw(url, body)
        assert reply["strategy"] not in ("empty", "fallback") and "30 days" in reply["text"], reply["text"]
        turn = TurnLog(install.log_path).get(reply["turn_id"])
        assert turn is not None and turn.user_text == "How long do I have to return an item?", turn


# --- 6. damaged stores ---------------------------------------------------------------------------


def test_a_damaged_turn_log_ends_start_up_with_one_line(install: Settings, tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    data = tmp_path / "data"
    shutil.copytree(install.data_dir, data, symlinks=True)
    log = data / "turns.sqlite"
    with sqlite3.connect(log) as db:  # everything into the main file, so that its header is what SQLite reads
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    log.write_bytes(b"\x00" * 100 + log.read_bytes()[100:])  # the header is gone, the pages are there
    env = {
        "SHOP_DATA_DIR": str(data),
        "SHOP_LEAD_PASSWORD": LEAD_PASSWORD,
        "SHOP_PORT": str(_free_port()),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--skip-prepare"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(errors) == 1 and str(log) in errors[0] and "move the file aside" in errors[0], done.stderr[-2000:]


# --- 4. customer text in the lead's browser ---------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture()
def bait() -> Iterator[tuple[int, list[str]]]:
    """A local HTTP server that records every request: a payload that makes a browser fetch shows up here."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], hits
    httpd.shutdown()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_customer_html_markdown_and_scripts_show_as_text_in_every_lead_view(
    url: str, install: Settings, bait: tuple[int, list[str]], tmp_path: Path
) -> None:
    import os

    from playwright.sync_api import expect, sync_playwright

    from assistant.shop.actions import OrderActions
    from assistant.shop.plans import Plan

    port, hits = bait
    here = f"http://127.0.0.1:{port}"
    payloads = [
        f'<img src="{here}/html-img.png">',
        f"![look]({here}/markdown-img.png)",
        f"[click me]({here}/markdown-link)",
        f"<script>fetch('{here}/script')</script>",
        f"<svg onload=\"fetch('{here}/svg')\"></svg>",
        f"{here}/bare-link",
    ]
    session = _ask(url, "hello")["session_id"]
    turns = [_ask(url, f"zorbly quux {p}", session)["turn_id"] for p in payloads]
    _ask(url, f"I want to talk to a person {payloads[0]} {payloads[1]}", session)  # a ticket with the payload
    with ShopDB(install.shop_db) as shop:  # a customer's words in an order change's arguments
        plan = OrderActions(shop).plan_cancel(104250, reason=f"{payloads[0]} {payloads[2]}")
        assert isinstance(plan, Plan), plan
        OrderActions(shop).apply(plan, actor="assistant", session_id="s-payload")
        entry = shop.audit(order_id=104250)[0].id

    shots = Path(os.environ.get("SHOP_SCREENSHOT_DIR", tmp_path))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if f":{port}" in r.url else None)
        page.goto(f"{url}lead/")
        page.get_by_label("username").fill("lead")
        page.get_by_label("password").fill(LEAD_PASSWORD)
        page.get_by_role("button", name="Login").click()
        expect(page.locator("#turn-table")).to_contain_text("zorbly quux", timeout=20_000)  # the turn list
        expect(page.locator("#turn-table")).to_contain_text(payloads[0][:40], timeout=5_000)
        page.get_by_label("Turn id").fill(turns[-1])
        page.get_by_role("button", name="Open turn").click()  # the turn, and the rest of its conversation
        for payload in payloads:
            expect(page.get_by_text(f"zorbly quux {payload}", exact=False).first).to_be_visible(timeout=10_000)
        page.get_by_role("tab", name="Knowledge").click()
        page.get_by_label("Include out-of-scope messages").check()  # gibberish around the payloads is out of scope
        page.get_by_role("button", name="Find gaps").click()
        expect(page.locator("#gaps-table")).to_contain_text("zorbly quux", timeout=20_000)
        expect(page.locator("#gaps-table")).to_contain_text("<script>", timeout=5_000)
        page.get_by_role("tab", name="Handoff queue").click()
        page.get_by_role("button", name="Refresh").last.click()
        expect(page.locator("#ticket-table")).to_contain_text(payloads[1], timeout=10_000)
        page.get_by_role("tab", name="Order actions").click()
        expect(page.locator("#audit-table")).to_contain_text("104250", timeout=10_000)
        page.get_by_label("Entry").fill(str(entry))
        page.get_by_role("button", name="Open entry").click()
        expect(page.get_by_text(payloads[2], exact=False).last).to_be_visible(timeout=10_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / "lead-payloads.png"), full_page=True)
        hrefs = "els => els.map(e => e.href || e.src || '').filter(h => h.includes(':" + str(port) + "'))"
        links = page.eval_on_selector_all("a[href], img[src], script[src], iframe[src]", hrefs)
        browser.close()
    assert hits == [] and asked == [], (hits, asked)
    assert links == []


def test_a_damaged_shop_database_ends_start_up_with_one_line(install: Settings, tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    shutil.copytree(install.data_dir, data, symlinks=True)
    for extra in data.glob("shop.sqlite-*"):
        extra.unlink()
    shop = data / "shop.sqlite"
    shop.write_bytes(b"garbage!" * 16 + shop.read_bytes()[128:])
    env = {"SHOP_DATA_DIR": str(data), "SHOP_LEAD_PASSWORD": LEAD_PASSWORD, "SHOP_PORT": str(_free_port())}
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--skip-prepare"],
        cwd=REPO_ROOT,
        env={**env, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(errors) == 1 and str(shop) in errors[0] and "restore it from a backup" in errors[0], errors
