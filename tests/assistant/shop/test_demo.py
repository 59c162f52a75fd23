import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.errors import AssistantError
from assistant.knowledge import load_knowledge
from assistant.shop.demo import DEMO_FIXTURES, FIXTURE_CUSTOMER, build_demo_shop
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import load_profile
from assistant.shop.records import ORDER_STATUSES, Order
from assistant.shop.store import ShopDB

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"
POLICY = ShopPolicy(load_profile(KNOWLEDGE))
SHOP_TZ = ZoneInfo(POLICY.profile.time_zone)
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)  # a Wednesday afternoon
ZIP = {
    "DE": r"\d{5}",
    "AT": r"\d{4}",
    "CH": r"\d{4}",
    "BE": r"\d{4}",
    "DK": r"\d{4}",
    "NO": r"\d{4}",
    "FI": r"\d{5}",
    "NL": r"\d{4} [A-Z]{2}",
    "SE": r"\d{3} \d{2}",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopDB]:
    path = tmp_path_factory.mktemp("demo") / "shop.sqlite"
    build_demo_shop(path, KNOWLEDGE, now=NOW)
    with ShopDB(path) as shop:
        yield shop


@pytest.fixture(scope="module")
def orders(demo: ShopDB) -> list[Order]:
    return demo.orders()


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != '_migrations'")
    ]
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


def test_size_and_every_status(demo: ShopDB) -> None:
    counts = demo.counts()
    assert counts["customers"] >= 200 and counts["orders"] >= 1000
    statuses = demo.status_counts()
    assert set(statuses) == set(ORDER_STATUSES) and all(n > 0 for n in statuses.values()), statuses
    assert statuses["delivered"] > statuses["shipped"] > statuses["pending"]


def test_every_item_is_a_catalogue_variant_at_the_catalogue_price(orders: list[Order]) -> None:
    catalogue = {p.sku: p for p in load_knowledge(KNOWLEDGE).products}
    for order in orders:
        for item in order.items:
            product = catalogue[item.sku]
            assert (item.color, item.size) in {(v.color, v.size) for v in product.variants}, (order.id, item)
            assert item.unit_price == product.price and item.name == product.name
        assert order.subtotal == sum((it.total for it in order.items), Decimal(0))
        assert order.total == order.subtotal - order.discount + order.shipping_cost
        assert order.currency == "EUR" and 100000 <= order.id <= 999999


def test_customers_look_real(demo: ShopDB) -> None:
    customers = demo.customers()
    emails = [c.email for c in customers]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9._]+@(example\.(com|org|net)|mail\.example|post\.example)", e) for e in emails)
    countries = {a.country for c in customers for a in c.addresses}
    assert {"DE", "AT", "NL", "SE"} <= countries
    assert sum(c.addresses[0].country == "DE" for c in customers) > len(customers) / 3
    for c in customers:
        assert 1 <= len(c.addresses) <= 2
        for a in c.addresses:
            assert re.fullmatch(ZIP[a.country], a.zip), (c.id, a)


def test_timings_fit_each_status(orders: list[Order]) -> None:
    for o in orders:
        age = NOW - o.placed_at
        assert timedelta(0) < age < timedelta(days=125), o.id
        assert o.placed_at <= o.updated_at <= NOW, o.id
        events = [e for f in o.fulfilments for e in f.events]
        assert all(e.at <= NOW for e in events) and events == sorted(events, key=lambda e: e.at), o.id
        if o.status == "pending":
            assert age < timedelta(hours=1) and not o.fulfilments
        elif o.status == "processed":
            assert age >= timedelta(hours=1) and not o.fulfilments
        elif o.status == "shipped":
            assert o.fulfilment is not None and o.fulfilment.delivered_at is None and o.delivered_at is None
            assert o.fulfilment.expected_delivery is not None
        elif o.status == "cancelled":
            assert o.cancel_reason and o.cancelled_at is not None and not o.fulfilments
            assert o.placed_at < o.cancelled_at <= NOW
        else:
            assert o.delivered_at is not None and o.fulfilment is not None
            assert o.fulfilment.shipped_at < o.delivered_at <= NOW
        if o.status in ("returned", "refunded"):
            deadline = POLICY.return_deadline(o)
            assert o.returns and deadline is not None and o.returns[0].registered_at <= deadline
        if o.status == "returned":
            assert o.all_refunds == []
        if o.status == "refunded":
            assert o.all_refunds and o.returns[0].status == "refunded"
        for refund in o.all_refunds:
            assert refund.method == o.payment_method and Decimal(0) < refund.amount <= o.total
        if o.payment_method.startswith("klarna"):
            assert o.delivery_address.country in {"DE", "AT", "NL", "BE"}
        if o.fulfilment is not None:
            carriers = {"DE": "DHL", "CH": "DHL", "NO": "DHL"}
            expected = "UPS" if o.shipping_method == "express" else carriers.get(o.delivery_address.country, "DPD")
            assert o.fulfilment.carrier == expected, o.id
    deadlines = [POLICY.return_deadline(o) for o in orders if o.status == "delivered" and POLICY.return_deadline(o)]
    assert any(d > NOW for d in deadlines) and any(d < NOW for d in deadlines)
    assert {o.fulfilment.carrier for o in orders if o.fulfilment} == {"DHL", "DPD", "UPS"}


def test_fixtures_keep_their_promises(demo: ShopDB) -> None:
    today = NOW.astimezone(SHOP_TZ).date()
    got = {number: demo.order(number) for number in DEMO_FIXTURES}
    assert all(o is not None for o in got.values())
    o = {k: v for k, v in got.items() if v is not None}
    for number, description in DEMO_FIXTURES.items():
        assert o[number].status == description.split(":")[0], number
    assert 104233 in DEMO_FIXTURES and o[104233].customer_id == FIXTURE_CUSTOMER
    customer = demo.customer(FIXTURE_CUSTOMER)
    assert customer is not None and customer.email == "lena.hoffmann@example.com"
    assert {104233, 104156, 103750} <= {x.id for x in demo.orders_of(FIXTURE_CUSTOMER)}
    assert NOW - o[104250].placed_at == timedelta(minutes=20)
    assert NOW - o[104247].placed_at == timedelta(hours=2)
    shipped = o[104233].fulfilment
    assert shipped is not None and shipped.carrier == "DHL" and shipped.expected_delivery == today + timedelta(days=2)
    assert shipped.last_event is not None and shipped.last_event.status == "in_transit"
    express = o[104236].fulfilment
    assert express is not None and express.carrier == "UPS" and o[104236].delivery_address.city == "Wien"
    deadline = {number: POLICY.return_deadline(o[number]) or NOW for number in (104156, 103917, 103750)}
    assert NOW < deadline[104156] < NOW + timedelta(days=25)
    assert NOW < deadline[103917] < NOW + timedelta(days=2)
    assert deadline[103750] < NOW
    assert o[104146].cancel_reason == "ordered the wrong size" and o[104146].refunds[0].method == "paypal"
    assert o[104135].returns[0].refund is None and o[104135].returns[0].received_at is None
    late = o[104073].fulfilment
    assert late is not None and late.carrier == "DPD" and late.expected_delivery == today - timedelta(days=8)
    assert late.last_event is not None and NOW - late.last_event.at > timedelta(days=14)
    refund = o[103958].all_refunds[0]
    assert refund.method == "paypal" and NOW - refund.issued_at == timedelta(days=14)


def test_same_seed_same_data_and_fixtures_whatever_the_seed(tmp_path: Path, demo: ShopDB) -> None:
    build_demo_shop(tmp_path / "again.sqlite", KNOWLEDGE, now=NOW)
    assert _dump(tmp_path / "again.sqlite") == _dump(demo.path)
    later = NOW + timedelta(days=3, hours=17)  # a Saturday morning
    build_demo_shop(tmp_path / "other.sqlite", KNOWLEDGE, customers=60, orders=300, seed=11, now=later)
    assert _dump(tmp_path / "other.sqlite")["customers"] != _dump(demo.path)["customers"]
    with ShopDB(tmp_path / "other.sqlite") as other:
        assert other.counts()["orders"] == 300 and other.counts()["customers"] == 60
        for number, description in DEMO_FIXTURES.items():
            found = other.order(number)
            assert found is not None and found.status == description.split(":")[0]


def test_an_existing_shop_is_only_replaced_on_request(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite"
    build_demo_shop(path, KNOWLEDGE, customers=20, orders=60, now=NOW)
    with pytest.raises(AssistantError, match="already holds 60 orders"):
        build_demo_shop(path, KNOWLEDGE, customers=20, orders=60, now=NOW)
    assert build_demo_shop(path, KNOWLEDGE, customers=30, orders=80, now=NOW, replace=True)["orders"] == 80
    with pytest.raises(AssistantError, match="no products"):
        build_demo_shop(tmp_path / "empty.sqlite", tmp_path, now=NOW)
