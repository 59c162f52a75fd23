import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT
from assistant.shop.actions import OrderActions
from assistant.shop.audit import Change, args_line, change_line, entry_markdown, order_changes
from assistant.shop.demo import build_demo_shop
from assistant.shop.plans import ItemChange, Plan
from assistant.shop.records import Address, AuditEntry
from assistant.shop.store import ShopDB

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.sqlite"
    build_demo_shop(path, REPO_ROOT / "knowledge", customers=12, orders=50, now=NOW)
    return path


@pytest.fixture
def actions(demo: Path, tmp_path: Path) -> OrderActions:
    copy = tmp_path / "shop.sqlite"
    src, dst = sqlite3.connect(demo), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    return OrderActions(ShopDB(copy), now=lambda: NOW)


def _apply(actions: OrderActions, plan: object) -> AuditEntry:
    assert isinstance(plan, Plan), plan
    done = actions.apply(plan, actor="assistant", turn_id="t1", session_id="s1")
    entry = actions.db.audit_entry(done.audit_id)
    assert entry is not None
    return entry


def test_a_cancellation_reads_as_status_and_refund(actions: OrderActions) -> None:
    order = actions.db.order(104250)
    assert order is not None and order.payment_method == "card"
    entry = _apply(actions, actions.plan_cancel(104250, reason="ordered twice"))
    changes = order_changes(entry.before, entry.after)
    assert change_line(changes) == f"status pending → cancelled; refund {order.total:.2f} EUR to card"
    assert Change(field="cancel reason", before="—", after="ordered twice") in changes  # in the detail only
    detail = entry_markdown(entry)
    assert "`cancel` of order 104250 by assistant · turn `t1` · session `s1`" in detail
    assert "**Arguments:** reason: ordered twice" in detail
    assert "- **status**: pending → cancelled" in detail
    assert f"- **refund**: — → {order.total:.2f} EUR to card" in detail
    assert "address" not in detail and "item" not in detail and "total" not in detail  # unchanged: not shown


def test_an_address_change_shows_old_and_new_address(actions: OrderActions) -> None:
    order = actions.db.order(104250)
    assert order is not None
    new = Address(street="Lindenallee 7", zip="20259", city="Hamburg", country="DE")
    entry = _apply(actions, actions.plan_change_address(104250, new))
    moved = new.model_copy(update={"name": order.delivery_address.name})
    assert change_line(order_changes(entry.before, entry.after)) == (
        f"address {order.delivery_address.one_line()} → {moved.one_line()}"
    )
    assert "address: " in args_line(entry.args) and "Lindenallee 7, 20259, Hamburg, DE" in args_line(entry.args)


def test_an_item_change_shows_the_variant_quantity_and_total(actions: OrderActions) -> None:
    order = actions.db.order(104250)
    assert order is not None
    item = order.items[0]
    other = next(
        v for v in actions.db.variants(item.sku) if v.stock > 1 and (v.color, v.size) != (item.color, item.size)
    )
    entry = _apply(
        actions,
        actions.plan_change_item(104250, ItemChange(line=item.line, color=other.color, size=other.size, quantity=2)),
    )

    def variant(color: str, size: str | None) -> str:
        return f"{color} {size}" if size else color

    changes = order_changes(entry.before, entry.after)
    assert change_line(changes) == (
        f"item {item.line} ({item.name}) {item.quantity} x {variant(item.color, item.size)} → "
        f"2 x {variant(other.color, other.size)}; total {order.total:.2f} EUR → {entry.after.total:.2f} EUR"
    )
    assert [c.field for c in changes] == [f"item {item.line} ({item.name})", "subtotal", "total"]
    assert entry.after.total - order.total == 2 * item.unit_price - item.quantity * item.unit_price


def test_a_return_shows_what_comes_back(actions: OrderActions) -> None:
    order = actions.db.order(104156)
    assert order is not None
    entry = _apply(actions, actions.plan_return(104156, lines={order.items[0].line: 1}, reason="too small"))
    record = entry.after.returns[-1]
    item = order.items[0]
    size = f" {item.size}" if item.size else ""
    assert change_line(order_changes(entry.before, entry.after)) == (
        f"return {record.id} registered: 1 x {item.name} ({item.color}{size}) (too small)"
    )
    assert args_line(entry.args) == f"lines: 1 of line {item.line}; reason: too small"


def test_an_unchanged_order_says_so_and_a_removed_line_is_named(actions: OrderActions) -> None:
    order = next(o for o in actions.db.orders() if len(o.items) > 1)
    assert order_changes(order, order) == [] and change_line([]) == "no change to the order"
    gone = order.items[0]
    fewer = order.model_copy(update={"items": order.items[1:]})
    size = f" {gone.size}" if gone.size else ""
    assert change_line(order_changes(order, fewer)) == (
        f"item {gone.line} ({gone.name}) removed ({gone.quantity} x {gone.color}{size})"
    )
