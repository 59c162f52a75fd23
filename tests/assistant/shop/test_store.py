import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.settings import REPO_ROOT
from assistant.shop import store
from assistant.shop.actions import OrderActions
from assistant.shop.plans import Plan
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import load_profile
from assistant.shop.records import (
    Address,
    AuditEntry,
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    ProductRow,
    Refund,
    ReturnItem,
    ReturnRecord,
    TrackingEvent,
    VariantRow,
)
from assistant.shop.schema import MIGRATIONS
from assistant.shop.store import ShopDB
from assistant.shop.writes import save_customers, save_orders, save_products

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _product() -> tuple[ProductRow, list[VariantRow]]:
    row = ProductRow(
        sku="EX-VST-003", name="Lune Down Vest", category="jackets", price=Decimal("139.00"), currency="EUR"
    )
    sizes = {"S": 5, "M": 0, "L": 2}
    return row, [VariantRow(sku=row.sku, color="Black", size=s, stock=n) for s, n in sizes.items()]


def _customer(cid: str = "K-1", email: str = "Merle.Jansen@Example.com") -> Customer:
    return Customer(
        id=cid,
        first_name="Merle",
        last_name="Jansen",
        email=email,
        created_at=T0 - timedelta(days=90),
        addresses=[Address(street="Osterstraße 21", zip="20259", city="Hamburg", country="DE")],
    )


def _order(number: int = 104233, customer: str = "K-1") -> Order:
    shipped = T0 + timedelta(hours=7)
    delivered = T0 + timedelta(days=2)
    return Order(
        id=number,
        customer_id=customer,
        status="refunded",
        placed_at=T0,
        updated_at=T0 + timedelta(days=12),
        payment_method="paypal",
        subtotal=Decimal("417.00"),
        shipping_cost=Decimal("0.00"),
        total=Decimal("417.00"),
        delivery_address=Address(
            name="Merle Jansen", street="Osterstraße 21", zip="20259", city="Hamburg", country="DE"
        ),
        delivered_at=delivered,
        items=[
            OrderItem(
                line=1,
                sku="EX-VST-003",
                name="Lune Down Vest",
                color="Black",
                size="S",
                quantity=1,
                unit_price=Decimal("139.00"),
            ),
            OrderItem(
                line=2,
                sku="EX-VST-003",
                name="Lune Down Vest",
                color="Black",
                size="L",
                quantity=2,
                unit_price=Decimal("139.00"),
            ),
        ],
        fulfilments=[
            Fulfilment(
                carrier="DHL",
                tracking_number="00340434000000000001",
                shipped_at=shipped,
                expected_delivery=date(2025, 3, 4),
                delivered_at=delivered,
                events=[
                    TrackingEvent(at=shipped, status="picked_up", location="Hamburg, DE"),
                    TrackingEvent(at=delivered, status="delivered", location="Hamburg, DE"),
                ],
            )
        ],
        returns=[
            ReturnRecord(
                registered_at=T0 + timedelta(days=5),
                reason="too_small",
                status="refunded",
                received_at=T0 + timedelta(days=9),
                items=[ReturnItem(line=2, quantity=1)],
                refund=Refund(amount=Decimal("139.00"), method="paypal", issued_at=T0 + timedelta(days=12)),
            )
        ],
    )


def _fill(shop: ShopDB) -> None:
    with shop.transaction() as db:
        save_products(db, [_product()])
        save_customers(db, [_customer()])
        save_orders(db, [_order()])


def _without_ids(order: Order) -> dict[str, object]:
    return order.model_dump(
        exclude={
            "fulfilments": {"__all__": {"id"}},
            "refunds": {"__all__": {"id"}},
            "returns": {"__all__": {"id": True, "refund": {"id"}}},
        }
    )


def test_migrations_recorded_once_in_wal_mode(tmp_path: Path) -> None:
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        assert shop.applied() == [name for name, _ in MIGRATIONS]
    with ShopDB(tmp_path / "shop.sqlite") as again:
        assert again.migrate() == []
        assert again.counts() == dict.fromkeys(again.counts(), 0)
    conn = sqlite3.connect(tmp_path / "shop.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"_migrations", "orders", "order_items", "fulfilments", "tracking_events", "returns", "refunds"} <= tables


def test_a_later_migration_applies_on_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "shop.sqlite"
    with ShopDB(path) as shop:
        shop.applied()

    def m900_notes(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE order_notes (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(id))")

    monkeypatch.setattr(store, "MIGRATIONS", [*MIGRATIONS, ("m900_notes", m900_notes)])
    with ShopDB(path) as shop:
        assert shop.migrate() == ["m900_notes"]
        assert shop.applied()[-1] == "m900_notes"


def test_order_reads_back_with_all_its_parts(tmp_path: Path) -> None:
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        _fill(shop)
        got = shop.order("104233")
        assert got is not None
        assert _without_ids(got) == _without_ids(_order())
        assert got.subtotal == Decimal("417.00") and got.total == Decimal("417.00")
        assert got.fulfilment is not None and got.fulfilment.last_event is not None
        assert got.fulfilment.last_event.status == "delivered"
        assert got.refunded == Decimal("139.00")
        assert got.delivered_at is not None and ShopPolicy(load_profile(REPO_ROOT / "knowledge")).return_deadline(
            got
        ) == got.delivered_at + timedelta(days=30)
        assert shop.order(104233) == got
        assert shop.order(999999) is None and shop.order("abc") is None
        assert [o.id for o in shop.orders_of("K-1")] == [104233]
        assert shop.orders_of("nobody") == []


def test_customers_stock_and_counts(tmp_path: Path) -> None:
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        _fill(shop)
        found = shop.find_customer_by_email("  MERLE.jansen@example.COM ")
        assert found is not None and found.id == "K-1" and found.email == "merle.jansen@example.com"
        assert found.addresses[0].one_line() == "Osterstraße 21, 20259 Hamburg, DE"
        assert shop.customer("K-1") == found and shop.customer("K-2") is None
        assert shop.find_customer_by_email("nobody@example.com") is None
        assert shop.variant_stock("EX-VST-003", "black", "S") == 5
        assert shop.variant_stock("EX-VST-003", "Black", "M") == 0
        assert shop.variant_stock("EX-VST-003", "Red", "M") is None
        counts = shop.counts()
        assert counts["orders"] == 1 and counts["order_items"] == 2 and counts["tracking_events"] == 2
        assert counts["returns"] == 1 and counts["refunds"] == 1 and counts["variants"] == 3
        assert shop.status_counts()["refunded"] == 1 and shop.status_counts()["pending"] == 0


def test_saving_again_replaces_the_parts(tmp_path: Path) -> None:
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        _fill(shop)
        simpler = _order().model_copy(update={"status": "processed", "fulfilments": [], "returns": []})
        with shop.transaction() as db:
            save_orders(db, [simpler])
        got = shop.order(104233)
        assert got is not None and got.status == "processed" and got.fulfilments == [] and got.returns == []
        assert shop.counts()["tracking_events"] == 0 and shop.counts()["refunds"] == 0


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        with pytest.raises(sqlite3.IntegrityError), shop.transaction() as db:
            save_products(db, [_product()])
            save_orders(db, [_order(customer="unknown")])  # no such customer: foreign key
        assert shop.counts()["products"] == 0 and shop.counts()["orders"] == 0


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite"
    path.write_text("not a database, just text " * 100)
    with pytest.raises(AssistantError, match="shop.sqlite"), ShopDB(path) as shop:
        shop.counts()


def test_the_audit_trail_reads_back_typed_newest_first(tmp_path: Path) -> None:
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        _fill(shop)
        pending = _order(104250).model_copy(
            update={"status": "pending", "fulfilments": [], "returns": [], "delivered_at": None}
        )
        with shop.transaction() as db:
            save_orders(db, [pending])
        clock = [T0 + timedelta(minutes=10)]
        actions = OrderActions(shop, now=lambda: clock[0])
        new = Address(street="Lindenallee 7", zip="20259", city="Hamburg", country="DE")
        moved, cancelled = actions.plan_change_address(104250, new), actions.plan_cancel(104250, "ordered twice")
        assert isinstance(moved, Plan) and isinstance(cancelled, Plan)
        first = actions.apply(moved, actor="assistant", turn_id="t1", session_id="s1")
        clock[0] = T0 + timedelta(minutes=20)
        second = actions.apply(cancelled, actor="assistant", turn_id="t2", session_id="s1")

        trail = shop.audit()
        assert [e.id for e in trail] == [second.audit_id, first.audit_id]
        latest = trail[0]
        assert isinstance(latest, AuditEntry) and isinstance(latest.before, Order)
        assert (latest.action, latest.order_id, latest.actor, latest.turn_id) == ("cancel", 104250, "assistant", "t2")
        assert latest.at == T0 + timedelta(minutes=20) and latest.args == {"reason": "ordered twice"}
        assert latest.before.status == "pending" and latest.after.status == "cancelled"
        assert latest.after.refunds[0].amount == pending.total
        assert trail[1].before.delivery_address.street == "Osterstraße 21"
        assert trail[1].after.delivery_address.street == "Lindenallee 7"
        assert shop.audit(order_id=104233) == [] and len(shop.audit(order_id=104250)) == 2
        assert [e.id for e in shop.audit(since=T0 + timedelta(minutes=15))] == [second.audit_id]
        assert [e.id for e in shop.audit(limit=1)] == [second.audit_id]
        assert shop.audit_entry(first.audit_id) == trail[1] and shop.audit_entry(999) is None


def test_threads_write_through_their_own_connections(tmp_path: Path) -> None:
    shop = ShopDB(tmp_path / "shop.sqlite")

    def writer(n: int) -> None:
        for i in range(10):
            with shop.transaction() as db:
                save_customers(db, [_customer(f"K-{n}-{i}", f"k{n}.{i}@example.com")])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert shop.counts()["customers"] == 40
    shop.close()
