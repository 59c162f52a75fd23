"""The chat page in a real headless Chromium: type, send, see the streamed reply and its sources, thumb it down."""

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import build_ui

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def page_url(bot) -> Iterator[str]:  # type: ignore[no-untyped-def]
    demo = build_ui(bot)
    demo.queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_chat_in_browser(bot, page_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(page_url)
        box = page.get_by_placeholder("Type your message…")
        box.fill("How long do I have to return an item?")
        page.get_by_role("button", name="Send").click()
        bot_message = page.locator(".message.bot, [data-testid='bot']").last
        expect(bot_message).to_contain_text("30 days", timeout=60_000)
        expect(bot_message).to_contain_text("Sources:")
        page.get_by_role("button", name="Dislike").last.click()
        page.wait_for_timeout(1500)
        shot = Path(os.environ.get("SHOP_SCREENSHOT_DIR", tmp_path)) / "chat.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    turn = bot.turn_log.recent(limit=1)[0]
    assert turn.user_text == "How long do I have to return an item?" and turn.feedback == -1
