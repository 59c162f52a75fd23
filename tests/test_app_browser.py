"""The chat page in a real headless Chromium: type, send, see the streamed reply and its sources, thumb it down."""

import os
import shutil
from pathlib import Path

import pytest

from assistant.security.http import SESSION_COOKIE
from assistant.sessions import log_id

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)"),
]


def test_chat_in_browser(bot, app_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        missing: list[str] = []
        page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
        page.goto(app_url)
        box = page.get_by_placeholder("Type your message…")
        box.fill("How long do I have to return an item?")
        page.get_by_role("button", name="Send").click()
        bot_message = page.locator(".message.bot, [data-testid='bot']").last
        expect(bot_message).to_contain_text("30 days", timeout=60_000)
        expect(bot_message).to_contain_text("Sources:")
        page.get_by_role("button", name="Dislike").last.click()
        page.wait_for_timeout(1500)
        cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 43
        assert page.evaluate("document.cookie") == ""  # the page's scripts cannot read it
        box.fill("And do you ship to Austria?")
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".message.bot, [data-testid='bot']").nth(1)).to_contain_text("Sources", timeout=60_000)
        shot = Path(os.environ.get("SHOP_SCREENSHOT_DIR", tmp_path)) / "chat.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert missing == []  # the gate's allow-list has everything the chat page asks for
    second, first = bot.turn_log.recent(limit=2)
    assert first.user_text == "How long do I have to return an item?" and first.feedback == -1
    assert first.session_id == second.session_id == log_id(cookie["value"])  # one conversation, logged by digest
