"""The support lead's area, started the way ``make run`` starts it (``app.serve``), driven over HTTP.

An installation of its own (index, knowledge copy, turn log with 200+ turns, a small
demo shop; the models are shared read-only: nothing here trains).
"""

from __future__ import annotations

import random
import shutil
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gradio as gr
import httpx
import pytest
from pydantic import SecretStr

from assistant.dialogue import Assistant
from assistant.jobs import TrainingJobs
from assistant.settings import REPO_ROOT, Settings
from assistant.shop.actions import OrderActions
from assistant.shop.demo import build_demo_shop
from assistant.shop.desk import OrderDesk
from assistant.shop.plans import Plan
from assistant.shop.store import ShopDB
from assistant.turnlog import Ticket, TurnLog, TurnRecord
from assistant.ui.lead import OPENING_API, build_lead_ui, open_once

pytestmark = pytest.mark.integration

INTENTS = ["return_exchange", "track_order", "delivery_time", "payment_methods", "out_of_scope", "complaint"]
STRATEGIES = ["curated", "curated", "generated", "catalogue", "fallback", "clarify", "dont_know", "handoff"]
SHOP_NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
LEAD_PASSWORD = "amber-falcon-weighs-41-pebbles"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def logged_turns(n: int, seed: int = 7) -> list[TurnRecord]:
    """Turns spread over two weeks with the mix of outcomes a real log has."""
    rng = random.Random(seed)
    # from midnight 14 days ago: a turn's minutes never carry it into the next day, whatever the time of the run
    start = (datetime.now(UTC) - timedelta(days=14)).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for i in range(n):
        strategy = rng.choice(STRATEGIES)
        at = start + timedelta(days=i * 14 // n, minutes=rng.randrange(600))
        out.append(
            TurnRecord(
                id=f"seeded-{i}",
                session_id=f"session-{i // 3}",
                created_at=at.isoformat(timespec="milliseconds"),
                user_text=f"customer question number {i} about {rng.choice(['returns', 'delivery', 'a jacket'])}",
                intent=rng.choice(INTENTS),
                confidence=round(rng.uniform(0.3, 1.0), 3),
                route="knowledge",
                retrieved=[{"id": "faq:how-to-return", "score": round(rng.uniform(0.2, 1.0), 3)}],
                reply=f"reply {i}",
                strategy=strategy,
                handoff=strategy == "handoff",
                faithful=None if strategy != "generated" else rng.random() > 0.2,
                feedback=rng.choice([None, None, 1, -1]),
                timings={"total": round(rng.uniform(20, 3000), 1)},
            )
        )
    return out


@pytest.fixture(scope="module")
def install(
    shared_models: Path, index_copy: Callable[[Settings], None], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    data = tmp_path_factory.mktemp("leadui")
    (data / "models").symlink_to(shared_models / "models", target_is_directory=True)
    knowledge = data / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    settings = Settings(
        data_dir=data, knowledge_dir=knowledge, port=_free_port(), lead_password=SecretStr(LEAD_PASSWORD)
    )
    index_copy(settings)
    build_demo_shop(settings.shop_db, knowledge, customers=12, orders=50, now=SHOP_NOW)
    log = TurnLog(settings.log_path)
    for record in logged_turns(220):
        log.append(record)
    log.open_ticket(
        Ticket(session_id="angry-1", turn_id="t-angry", reason="complaint", intent="complaint", summary="Boots leak")
    )
    return settings


@pytest.fixture(scope="module")
def lead(install: Settings, server: object) -> object:
    from gradio_client import Client

    return Client(f"{server.url}lead/", auth=("lead", LEAD_PASSWORD), verbose=False)  # type: ignore[attr-defined]


def test_a_wrong_password_is_refused(server: object, install: Settings) -> None:
    url = server.url  # type: ignore[attr-defined]
    wrong = httpx.post(f"{url}lead/login", data={"username": "lead", "password": "not-the-password"}, timeout=10)
    assert wrong.status_code in (400, 401)
    assert httpx.get(f"{url}lead/config", timeout=10).status_code == 401
    right = LEAD_PASSWORD
    with httpx.Client(base_url=url, timeout=10) as session:
        assert session.post("lead/login", data={"username": "lead", "password": right}).status_code == 200
        assert session.get("lead/config").status_code == 200
    assert httpx.get(url, timeout=10).status_code == 200  # the customer chat stays open


def test_dashboard_and_conversation_list_of_200_turns_within_two_seconds(lead: object) -> None:
    start = time.perf_counter()
    summary, turns, intents, rates, unfaithful, latency = lead.predict(30, api_name="/lead_dashboard")  # type: ignore[attr-defined]
    table, note = lead.predict([], "(all)", "", "", "", api_name="/lead_turns")  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert "**220** turns" in summary
    assert len(turns["data"]) == 14 and sum(row[1] for row in turns["data"]) == 220
    assert {row[0] for row in intents["data"]} == set(INTENTS)
    assert {row[1] for row in rates["data"]} == {"fallback", "handoff", "thumbs up"}
    assert unfaithful["data"] and {row[1] for row in latency["data"]} == {"p50", "p95"}
    assert len(table["data"]) == 200 and note.startswith("200 turns")


def test_filters_and_a_correction_beside_the_turn(lead: object, install: Settings) -> None:
    table, note = lead.predict(["thumbs down"], "complaint", "", "", "", api_name="/lead_turns")  # type: ignore[attr-defined]
    assert table["data"] and all(row[1] == "complaint" and "disliked" in row[4] for row in table["data"])
    turn_id = table["data"][0][-1]
    detail, *_ = lead.predict(turn_id, api_name="/lead_open_turn")  # type: ignore[attr-defined]
    assert "Retrieved sources" in detail and "How do I return an item?" in detail
    saved = lead.predict(turn_id, "return_exchange", "You have 30 days.", "wrong intent", api_name="/lead_correct")  # type: ignore[attr-defined]
    assert "intent complaint → return_exchange" in saved and "reply edited" in saved
    log = TurnLog(install.log_path)
    curated = [c for c in log.curated() if c.turn.id == turn_id]
    assert curated[0].intent == "return_exchange" and curated[0].reply == "You have 30 days."
    assert log.get(turn_id).intent == "complaint"  # type: ignore[union-attr]


def test_the_handoff_queue_shows_and_closes_tickets(lead: object) -> None:
    table, note = lead.predict(False, api_name="/lead_tickets")  # type: ignore[attr-defined]
    rows = table["data"]
    assert "1 open ticket" in note and rows[0][3] == "complaint" and rows[0][7] == "Boots leak"
    table, note = lead.predict(rows[0][0], False, api_name="/lead_close_ticket")  # type: ignore[attr-defined]
    assert "closed" in note and table["data"] == []
    table, _ = lead.predict(True, api_name="/lead_tickets")  # type: ignore[attr-defined]
    assert table["data"][0][2] == "closed"


def test_order_actions_show_the_audit_trail(lead: object, install: Settings) -> None:
    from gradio_client.exceptions import AppError

    shop = ShopDB(install.shop_db)  # the running app's shop: a change made here shows there
    actions = OrderActions(shop, now=lambda: SHOP_NOW)
    order, plan = shop.order(104250), actions.plan_cancel(104250, reason="ordered twice")
    assert order is not None and isinstance(plan, Plan)
    done = actions.apply(plan, actor="assistant", turn_id="t-cancel", session_id="s")
    shop.close()
    table, note = lead.predict("", api_name="/lead_audit")  # type: ignore[attr-defined]
    assert table["headers"] == ["entry", "time (UTC)", "order", "action", "actor", "what changed", "turn id"]
    assert table["data"][0] == [
        done.audit_id,
        "2026-11-20 10:30:00",
        104250,
        "cancel",
        "assistant",
        f"status pending → cancelled; refund {order.total:.2f} EUR to card",
        "t-cancel",
    ]
    assert note.startswith("**1 order action")
    table, note = lead.predict(" #104250 ", api_name="/lead_audit")  # type: ignore[attr-defined]
    assert [row[0] for row in table["data"]] == [done.audit_id] and "on order 104250" in note
    table, note = lead.predict("104233", api_name="/lead_audit")  # type: ignore[attr-defined]
    assert table["data"] == [] and note.startswith("**0 order action")
    detail, entry = lead.predict(done.audit_id, api_name="/lead_audit_entry")  # type: ignore[attr-defined]
    assert entry == done.audit_id and "**Arguments:** reason: ordered twice" in detail
    assert "- **status**: pending → cancelled" in detail and f"{order.total:.2f} EUR to card" in detail
    assert "address" not in detail  # only what changed
    with pytest.raises(AppError, match="order: '10425x' is not an order number like 104233"):
        lead.predict("10425x", api_name="/lead_audit")  # type: ignore[attr-defined]
    with pytest.raises(AppError, match="there is no order 999999"):
        lead.predict("999999", api_name="/lead_audit")  # type: ignore[attr-defined]
    with pytest.raises(AppError, match="no entry 424242 in the audit trail"):
        lead.predict(424242, api_name="/lead_audit_entry")  # type: ignore[attr-defined]


def test_the_order_actions_tab_needs_a_shop_database(bot: Assistant, install: Settings) -> None:
    def built(assistant: Assistant) -> tuple[set[str], set[str]]:
        page = build_lead_ui(assistant, TrainingJobs(assistant.settings))
        tabs = {str(b.label) for b in page.blocks.values() if isinstance(b, gr.Tab)}
        return tabs, {f.api_name for f in page.fns.values() if isinstance(f.api_name, str)}

    saved = bot.desk
    try:
        bot.desk = None
        tabs, endpoints = built(bot)
        assert "Handoff queue" in tabs and "Order actions" not in tabs and "lead_audit" not in endpoints
        bot.desk = OrderDesk(OrderActions(ShopDB(install.shop_db)))
        tabs, endpoints = built(bot)
        assert "Order actions" in tabs and {"lead_audit", "lead_audit_entry"} <= endpoints
    finally:
        bot.desk = saved


def test_the_first_view_fills_every_part_of_the_page(bot: Assistant) -> None:
    page = build_lead_ui(bot, TrainingJobs(bot.settings))
    first = next(f for f in page.fns.values() if f.api_name == OPENING_API)
    values = open_once(page)
    assert len(values) == len(first.outputs) == 6 + 2 + 2 + 4 + 2  # dashboard, turns, tickets, job, versions
    assert "turns" in values[0] and "turns" in values[7] and values[9].endswith("open ticket(s)**")


def test_user_errors_are_one_line(lead: object) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not a date like 2026-11-23"):
        lead.predict([], "(all)", "last tuesday", "", "", api_name="/lead_turns")  # type: ignore[attr-defined]
    with pytest.raises(AppError, match="no turn 'nope'"):
        lead.predict("nope", api_name="/lead_open_turn")  # type: ignore[attr-defined]


def test_knowledge_sync_shows_changes_and_file_errors(lead: object, install: Settings) -> None:
    faq = install.knowledge_dir / "faq"
    (faq / "gift-wrapping.md").write_text(
        "---\nid: gift-wrapping\ntitle: Do you gift wrap orders?\ntype: faq\ntopic: orders\n---\n"
        "We do not gift wrap orders, but every order ships without a price on the packing slip.\n"
    )
    (faq / "broken.md").write_text("---\nid: broken\ntitle: [unclosed\ntype: faq\n---\nbody\n")
    head, problems, changes = lead.predict(api_name="/lead_sync")  # type: ignore[attr-defined]
    assert "1 problems" in head and "Index synced" in head
    assert problems["data"][0][0].endswith("broken.md") and problems["data"][0][1]
    assert ["added", "faq:gift-wrapping"] in changes["data"]
    (faq / "gift-wrapping.md").unlink()
    head, problems, changes = lead.predict(api_name="/lead_sync")  # type: ignore[attr-defined]
    assert ["removed", "faq:gift-wrapping"] in changes["data"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_lead_area_in_a_browser(server: object, install: Settings, tmp_path: Path) -> None:
    """Log in with the wrong then the right password; the dashboard plots and the turn list show within 2 s."""
    import os

    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("SHOP_SCREENSHOT_DIR", tmp_path))
    password = LEAD_PASSWORD
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server.url}lead/")  # type: ignore[attr-defined]
        page.get_by_label("username").fill("lead")
        page.get_by_label("password").fill("wrong-password")
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_text("Incorrect credentials")).to_be_visible(timeout=10_000)
        page.get_by_label("username").fill("lead")  # the form is cleared after a failed login
        page.get_by_label("password").fill(password)
        start = time.perf_counter()
        page.get_by_role("button", name="Login").click()
        expect(page.locator("#dashboard-summary")).to_contain_text("220 turns", timeout=10_000)
        expect(page.locator(".vega-embed").first).to_be_visible(timeout=10_000)
        assert page.locator(".vega-embed").count() == 5
        expect(page.locator("#turn-table")).to_contain_text("customer question number", timeout=10_000)
        elapsed = time.perf_counter() - start
        print(f"lead area: {elapsed:.2f} s from login to dashboard plots and turn list")
        # Printed, not asserted: timings are the benchmarks' job (`make bench`), and a shared 2-core CI machine took
        # 1.9-3.9 s for the same code. The 10 s waits above are the guard against a page that never arrives.
        page.screenshot(path=str(shots / "lead-dashboard.png"), full_page=True)
        browser.close()
