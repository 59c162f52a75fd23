import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from assistant.settings import REPO_ROOT
from assistant.shop.actions import OrderActions
from assistant.shop.demo import build_demo_shop
from assistant.shop.plans import (
    AnyPlan,
    CancelPlan,
    ItemChange,
    Plan,
    PolicyError,
    Refusal,
    RefusalKind,
    ReturnPlan,
    UnknownOrderError,
)
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import parse_profile
from assistant.shop.records import Address
from assistant.shop.store import ShopDB
from assistant.shop.wording import OrderWording

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("shop") / "shop.sqlite"
    build_demo_shop(path, REPO_ROOT / "knowledge", customers=40, orders=120, now=NOW)
    return path


@pytest.fixture
def actions(demo, tmp_path) -> OrderActions:  # type: ignore[no-untyped-def]
    copy = tmp_path / "shop.sqlite"
    src, dst = sqlite3.connect(demo), sqlite3.connect(copy)
    src.backup(dst)
    src.close(), dst.close()
    return OrderActions(ShopDB(copy), now=lambda: NOW)


def test_verification_needs_email_and_number_or_name_and_zip(actions) -> None:  # type: ignore[no-untyped-def]
    order = actions.db.order(104233)
    customer = actions.db.customer(order.customer_id)
    assert actions.verify(104233, email=customer.email.upper()).id == customer.id
    assert actions.verify(104233, name=customer.name.lower(), zip_code=order.delivery_address.zip).id == customer.id
    assert actions.verify(104233, email="someone.else@example.com") is None
    assert actions.verify(104233, name=customer.name) is None  # a name alone proves nothing
    assert actions.verify(104233, name="Max Mustermann", zip_code=order.delivery_address.zip) is None
    assert actions.verify(999999, email=customer.email) is None


def test_cancel_a_pending_order_restores_stock_refunds_and_audits(actions) -> None:  # type: ignore[no-untyped-def]
    order = actions.db.order(104250)
    assert order.status == "pending"
    item = order.items[0]
    stock = actions.db.variant_stock(item.sku, item.color, item.size)
    plan = actions.plan_cancel(104250, reason="ordered twice")
    assert isinstance(plan, Plan) and "104250" in plan.summary
    assert actions.db.order(104250).status == "pending"  # planning writes nothing
    result = actions.apply(plan, actor="assistant", turn_id="t1", session_id="s1")
    after = actions.db.order(104250)
    assert after.status == "cancelled" and after.cancel_reason == "ordered twice"
    assert after.refunds[-1].amount == order.total and after.refunds[-1].method == order.payment_method
    assert actions.db.variant_stock(item.sku, item.color, item.size) == stock + sum(
        i.quantity for i in order.items if (i.sku, i.color, i.size) == (item.sku, item.color, item.size)
    )
    row = actions.db.connect().execute("SELECT * FROM audit WHERE id = ?", (result.audit_id,)).fetchone()
    assert row["action"] == "cancel" and row["turn_id"] == "t1" and row["actor"] == "assistant"
    assert json.loads(row["before"])["status"] == "pending" and json.loads(row["after"])["status"] == "cancelled"


@pytest.mark.parametrize("order_id, words", [(104233, "dispatched"), (104156, "delivered"), (104146, "already")])
def test_cancel_is_refused_after_dispatch(actions, order_id, words) -> None:  # type: ignore[no-untyped-def]
    refusal = actions.plan_cancel(order_id)
    assert isinstance(refusal, Refusal) and words in refusal.reason


def test_address_change_only_while_pending(actions) -> None:  # type: ignore[no-untyped-def]
    new = Address(street="Lindenallee 7", zip="20259", city="Hamburg", country="DE")
    assert isinstance(actions.plan_change_address(104247, new), Refusal)  # in the warehouse
    plan = actions.plan_change_address(104250, new)
    assert isinstance(plan, Plan) and "Lindenallee 7" in plan.summary
    actions.apply(plan, actor="assistant")
    assert actions.db.order(104250).delivery_address.street == "Lindenallee 7"


def test_item_change_checks_the_variant_and_its_stock(actions) -> None:  # type: ignore[no-untyped-def]
    order = actions.db.order(104250)
    item = order.items[0]
    variants = actions.db.variants(item.sku)
    other = next((v for v in variants if v.stock > 0 and (v.color, v.size) != (item.color, item.size)), None)
    empty = next((v for v in variants if v.stock == 0), None)
    assert isinstance(actions.plan_change_item(104250, ItemChange(line=item.line, color="Neon Plaid")), Refusal)
    if empty is not None:
        refused = actions.plan_change_item(104250, ItemChange(line=item.line, color=empty.color, size=empty.size))
        assert isinstance(refused, Refusal) and "stock" in refused.reason
    if other is not None:
        plan = actions.plan_change_item(
            104250, ItemChange(line=item.line, color=other.color, size=other.size, quantity=1)
        )
        assert isinstance(plan, Plan)
        actions.apply(plan, actor="assistant")
        changed = actions.db.order(104250).items[0]
        assert (changed.color, changed.size, changed.quantity) == (other.color, other.size, 1)
        assert actions.db.variant_stock(item.sku, other.color, other.size) == other.stock - 1


def test_returns_only_within_the_window(actions) -> None:  # type: ignore[no-untyped-def]
    late = actions.plan_return(103750)
    assert isinstance(late, Refusal) and "window ended" in late.reason
    assert isinstance(actions.plan_return(104233), Refusal)  # not delivered yet
    plan = actions.plan_return(104156, reason="too small")
    assert isinstance(plan, Plan)
    actions.apply(plan, actor="assistant")
    order = actions.db.order(104156)
    assert order.returns[-1].status == "registered" and order.returns[-1].reason == "too small"
    again = actions.plan_return(104156)
    assert isinstance(again, Refusal) and "already returned" in again.reason


def test_a_confirmed_plan_is_checked_again_when_applied(actions) -> None:  # type: ignore[no-untyped-def]
    plan = actions.plan_cancel(104250)
    assert isinstance(plan, Plan)
    actions.db.connect().execute("UPDATE orders SET status = 'shipped' WHERE id = 104250")
    with pytest.raises(PolicyError, match="cannot be cancelled"):
        actions.apply(plan, actor="assistant")
    assert actions.db.connect().execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0


def test_status_and_refund_status_read_the_order(actions) -> None:  # type: ignore[no-untyped-def]
    order = actions.db.order(104233)
    text = actions.status(104233)
    assert order.fulfilment.tracking_number in text and order.fulfilment.carrier in text
    assert "refunded" in actions.refund_status(103958)
    with pytest.raises(UnknownOrderError):
        actions.status(999998)


def test_the_window_follows_the_clock(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    late = OrderActions(ShopDB(demo), now=lambda: NOW + timedelta(days=2))
    assert isinstance(late.plan_return(103917), Refusal)  # closes tomorrow, seen two days on


def test_a_late_parcel_gets_the_shipping_policy_steps(demo) -> None:  # type: ignore[no-untyped-def]
    shop = ShopDB(demo)
    expected = shop.order(104073).fulfilment.expected_delivery
    assert expected is not None

    def on(day_offset: int) -> OrderActions:
        return OrderActions(shop, now=lambda: datetime.combine(expected, NOW.timetz()) + timedelta(days=day_offset))

    assert on(0).late_parcel(104073) is None  # the expected day itself is not late
    assert "late" not in on(0).status(104073)
    early = on(1).late_parcel(104073)
    assert early is not None and early.days_late <= 1
    text = on(1).status(104073)
    assert "tell us and we start a search with the carrier" in text and f"{early.search_from:%a %d %b}" in text
    assert not early.search_due and early.search_from > expected + timedelta(days=5)  # five business days
    due = on((early.search_from - expected).days).late_parcel(104073)
    assert due is not None and due.days_late == 5 and due.search_due
    assert "passing this to a colleague" in on((early.search_from - expected).days).status(104073)
    assert on(30).late_parcel(104156) is None  # delivered parcels are never late


def test_changes_end_an_hour_after_ordering_even_if_the_order_is_still_pending(demo) -> None:  # type: ignore[no-untyped-def]
    shop = ShopDB(demo)
    placed = shop.order(104250).placed_at
    within = OrderActions(shop, now=lambda: placed + timedelta(minutes=59))
    after = OrderActions(shop, now=lambda: placed + timedelta(minutes=61))
    new = Address(name="Jonas Bauer", street="Berger Str. 1", zip="60316", city="Frankfurt am Main", country="DE")
    assert isinstance(within.plan_change_address(104250, new), Plan)
    refused = after.plan_change_address(104250, new)
    assert isinstance(refused, Refusal) and "within 1 hour" in refused.reason and "cancel" in refused.reason
    assert isinstance(after.plan_change_item(104250, ItemChange(line=1, quantity=2)), Refusal)
    assert isinstance(after.plan_cancel(104250), Plan)  # cancelling stays possible until dispatch


# --- typed refusals and plans; another shop's rules ----------------------------------------------


@pytest.mark.parametrize(
    "order_id, kind",
    [(104233, RefusalKind.already_dispatched), (104156, RefusalKind.already_delivered), (104146, RefusalKind.closed)],
)
def test_a_refused_cancel_says_why_in_a_kind(actions, order_id, kind) -> None:  # type: ignore[no-untyped-def]
    refusal = actions.plan_cancel(order_id)
    assert isinstance(refusal, Refusal) and refusal.kind is kind and refusal.action == "cancel"


def test_refused_returns_and_changes_have_kinds(actions) -> None:  # type: ignore[no-untyped-def]
    late = actions.plan_return(103750)
    assert isinstance(late, Refusal) and late.kind is RefusalKind.return_window_closed
    early = actions.plan_return(104250)
    assert isinstance(early, Refusal) and early.kind is RefusalKind.not_dispatched
    shipped = actions.plan_change_address(
        104233, Address(street="Lindenallee 7", zip="20259", city="Hamburg", country="DE")
    )
    assert isinstance(shipped, Refusal) and shipped.kind is RefusalKind.already_dispatched
    assert shipped.kind.order_is_locked and not RefusalKind.out_of_stock.order_is_locked


def test_plans_are_typed_and_their_fields_are_the_audit_args(actions) -> None:  # type: ignore[no-untyped-def]
    plan = actions.plan_cancel(104250, reason="ordered twice")
    assert isinstance(plan, CancelPlan) and plan.args == {"reason": "ordered twice"}
    back = TypeAdapter(AnyPlan).validate_python(plan.model_dump())
    assert type(back) is CancelPlan and back == plan
    ret = actions.plan_return(104156, reason="too small")
    assert isinstance(ret, ReturnPlan) and set(ret.args) == {"lines", "reason"}
    with pytest.raises(ValidationError):
        TypeAdapter(AnyPlan).validate_python({"action": "refund_everything", "order_id": 1, "summary": "x"})


def _other_shop() -> tuple[ShopPolicy, OrderWording]:
    text = (REPO_ROOT / "knowledge" / "shop.yaml").read_text(encoding="utf-8")
    text = re.sub(r"change_window_minutes: \d+", "change_window_minutes: null", text)
    text = re.sub(r"window_days: \d+", "window_days: 14", text)
    profile = parse_profile(text.replace("name: Fjord & Pine", "name: Kettle & Co"))
    return ShopPolicy(profile), OrderWording(REPO_ROOT / "prompts" / "orders.yaml", profile)


def test_another_shops_rules_and_numbers_come_from_its_profile(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy, wording = _other_shop()
    other = OrderActions(ShopDB(demo), now=lambda: NOW, policy=policy, wording=wording)
    refused = other.plan_change_address(
        104250, Address(street="Lindenallee 7", zip="20259", city="Hamburg", country="DE")
    )
    assert isinstance(refused, Refusal) and refused.kind is RefusalKind.change_window_closed
    assert "cannot be changed once placed" in refused.reason and "1 hour" not in refused.reason
    assert isinstance(other.plan_cancel(104250), Plan)  # cancelling is its own rule
    assert isinstance(other.plan_return(104156), Plan)  # delivered 6 days ago
    closed = other.plan_return(103917)  # delivered 29 days ago: inside 30 days, not inside 14
    assert isinstance(closed, Refusal) and "14-day return window" in closed.reason
    assert "within 14 days" in other.plan_cancel(104233).reason  # dispatched: "return it within 14 days"
