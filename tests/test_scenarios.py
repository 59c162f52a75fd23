"""Order scenarios as data: customer turns, the desk's action per turn, and the shop database afterwards.

Each YAML file in ``tests/scenarios`` holds scenarios run through the real assistant against a fresh copy
of the demo shop (built once, at a fixed moment). After the conversation the database is compared with
the one before, like a transaction log: the orders that changed must be exactly those the scenario
expects, with the expected values, and the audit table must hold exactly the expected actions.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from assistant.settings import REPO_ROOT
from assistant.shop.actions import OrderActions
from assistant.shop.demo import build_demo_shop
from assistant.shop.desk import OrderDesk
from assistant.shop.store import ShopDB

FOLDER = Path(__file__).resolve().parent / "scenarios"
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
ORDER_TABLES = {
    "orders": "SELECT * FROM orders ORDER BY id",
    "order_items": "SELECT * FROM order_items ORDER BY order_id, line",
    "returns": "SELECT * FROM returns ORDER BY id",
    "refunds": "SELECT * FROM refunds ORDER BY id",
}


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    say: str
    action: str | None = None
    """The desk's action (ask_order, ask_identity, identity_failed, ask_details, status, refund_status, confirm,
    applied, refused, declined, handoff), or ``none`` when the desk must not take the turn."""
    contains: list[str] = []
    absent: list[str] = []
    handoff: bool | None = None

    @field_validator("say", mode="before")
    @classmethod
    def _yaml_yes(cls, value: Any) -> Any:
        """YAML reads a bare yes/no as a boolean; the customer typed the word."""
        return ("yes" if value else "no") if isinstance(value, bool) else value


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: dict[int, dict[str, Any]] = {}
    """Orders that change, with column values they must have afterwards; every other order stays as it was."""
    returns: dict[int, int] = {}
    """New return records per order."""
    audit: list[dict[str, Any]] = []
    """The audit rows written, in order (action, order_id, and any other column)."""


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    turns: list[Turn]
    expect: Expect = Expect()


def load() -> dict[str, Scenario]:
    found: dict[str, Scenario] = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text())["scenarios"]:
            scenario = Scenario.model_validate(item)
            key = f"{path.stem}: {scenario.name}"
            assert key not in found, f"duplicate scenario {key}"
            found[key] = scenario
    return found


SCENARIOS = load()


@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("shop") / "shop.sqlite"
    build_demo_shop(path, REPO_ROOT / "knowledge", now=NOW)
    return path


def _rows(path: Path) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    out = {}
    for table, query in ORDER_TABLES.items():
        rows = [dict(r) for r in db.execute(query)]
        key = ("id",) if table in ("orders", "returns", "refunds") else ("order_id", "line")
        out[table] = {tuple(r[k] for k in key): r for r in rows}
    db.close()
    return out


def _touched(before: dict[str, Any], after: dict[str, Any]) -> set[int]:
    """Orders with any row added, removed or changed."""
    orders: set[int] = set()
    for table in ORDER_TABLES:
        old, new = before[table], after[table]
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                row = new.get(key) or old[key]
                orders.add(row["id"] if table == "orders" else row["order_id"])
    return orders


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 30


@pytest.mark.integration
@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_scenario(bot, demo_shop, tmp_path, key) -> None:  # type: ignore[no-untyped-def]
    scenario = SCENARIOS[key]
    path = tmp_path / "shop.sqlite"
    src, dst = sqlite3.connect(demo_shop), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    before = _rows(path)
    shop = ShopDB(path)
    saved, bot.desk = bot.desk, OrderDesk(OrderActions(shop, now=lambda: NOW))
    problems = []
    try:
        session = f"scenario-{tmp_path.name}"
        for turn in scenario.turns:
            reply = bot.respond(turn.say, session_id=session)
            got = reply.order.action if reply.order else "none"
            if turn.action is not None and got != turn.action:
                problems.append(f"{turn.say!r}: desk action {got}, expected {turn.action} ({reply.text[:160]!r})")
            for text in turn.contains:
                if text.lower() not in reply.text.lower():
                    problems.append(f"{turn.say!r}: reply lacks {text!r} ({reply.text[:160]!r})")
            for text in turn.absent:
                if text.lower() in reply.text.lower():
                    problems.append(f"{turn.say!r}: reply must not say {text!r}")
            if turn.handoff is not None and reply.handoff != turn.handoff:
                problems.append(f"{turn.say!r}: handoff {reply.handoff}, expected {turn.handoff}")
        after = _rows(path)
        audit = [dict(r) for r in shop.connect().execute("SELECT * FROM audit ORDER BY id")]
    finally:
        bot.desk = saved
        shop.close()
    touched, expected = _touched(before, after), set(scenario.expect.orders) | set(scenario.expect.returns)
    if touched != expected:
        problems.append(f"orders changed: {sorted(touched)}, expected {sorted(expected)}")
    for order_id, values in scenario.expect.orders.items():
        row = after["orders"].get((order_id,), {})
        for column, value in values.items():
            if row.get(column) != value:
                problems.append(f"order {order_id}: {column} is {row.get(column)!r}, expected {value!r}")
    for order_id, count in scenario.expect.returns.items():
        new = [r for k, r in after["returns"].items() if k not in before["returns"] and r["order_id"] == order_id]
        if len(new) != count:
            problems.append(f"order {order_id}: {len(new)} new returns, expected {count}")
    if len(audit) != len(scenario.expect.audit):
        problems.append(
            f"audit rows: {[(a['action'], a['order_id']) for a in audit]}, expected {scenario.expect.audit}"
        )
    for row, wanted in zip(audit, scenario.expect.audit, strict=False):
        for column, value in wanted.items():
            if row.get(column) != value:
                problems.append(f"audit {row['id']}: {column} is {row.get(column)!r}, expected {value!r}")
        if row["turn_id"] is None or row["session_id"] != session:
            problems.append(f"audit {row['id']}: no turn or session recorded")
    assert not problems, "\n".join(problems)


@pytest.mark.integration
def test_an_imported_shop_answers_order_status(bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.shop.transfer import import_shop

    path = tmp_path / "shop.sqlite"
    report = import_shop(path, REPO_ROOT / "docs" / "examples" / "shop-import")
    assert not report.problems
    shop = ShopDB(path)
    saved, bot.desk = bot.desk, OrderDesk(OrderActions(shop))
    try:
        asked = bot.respond("Where is my order 200001?", session_id="imported")
        shown = bot.respond("merle.jansen@example.com", session_id="imported")
    finally:
        bot.desk = saved
        shop.close()
    assert asked.order is not None and asked.order.action == "ask_identity"
    assert shown.order is not None and shown.order.action == "status"
    assert "200001" in shown.text and "delivered" in shown.text
