"""Reading records from the shop tables on a connection: the queries behind :class:`~assistant.shop.store.ShopDB`
and the import's look-ups inside its transaction."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from assistant.shop.records import (
    Address,
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    ProductRow,
    Refund,
    ReturnItem,
    ReturnRecord,
    TrackingEvent,
    euros,
)

_TABLES = (
    "products",
    "variants",
    "customers",
    "addresses",
    "orders",
    "order_items",
    "fulfilments",
    "tracking_events",
    "returns",
    "return_items",
    "refunds",
)


def _product(row: sqlite3.Row) -> ProductRow:
    return ProductRow(
        sku=row["sku"],
        name=row["name"],
        category=row["category"],
        price=euros(row["price_cents"]),
        currency=row["currency"],
        source=row["source"],
        details=json.loads(row["details"]),
    )


def read_customers(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[Customer]:
    rows = conn.execute(f"SELECT * FROM customers WHERE {where} ORDER BY id", params).fetchall()
    if not rows:
        return []
    addresses: dict[str, list[Address]] = defaultdict(list)
    for a in conn.execute(
        f"SELECT * FROM addresses WHERE customer_id IN (SELECT id FROM customers WHERE {where}) "
        "ORDER BY customer_id, position",
        params,
    ):
        addresses[a["customer_id"]].append(
            Address(name=a["name"], street=a["street"], zip=a["zip"], city=a["city"], country=a["country"])
        )
    return [
        Customer(
            id=r["id"],
            first_name=r["first_name"],
            last_name=r["last_name"],
            email=r["email"],
            phone=r["phone"],
            created_at=r["created_at"],
            addresses=addresses[r["id"]],
        )
        for r in rows
    ]


def read_orders(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[Order]:
    """Orders matching ``where`` (on alias ``o``) with all their parts, in a fixed number of queries."""
    rows = conn.execute(f"SELECT * FROM orders o WHERE {where} ORDER BY placed_at DESC, id DESC", params)
    orders = rows.fetchall()
    if not orders:
        return []
    ids = f"SELECT o.id FROM orders o WHERE {where}"
    items: dict[int, list[OrderItem]] = defaultdict(list)
    for r in conn.execute(f"SELECT * FROM order_items WHERE order_id IN ({ids}) ORDER BY order_id, line", params):
        items[r["order_id"]].append(
            OrderItem(
                line=r["line"],
                sku=r["sku"],
                name=r["name"],
                color=r["color"],
                size=r["size"] or None,
                quantity=r["quantity"],
                unit_price=euros(r["unit_price_cents"]),
            )
        )
    events: dict[int, list[TrackingEvent]] = defaultdict(list)
    for r in conn.execute(
        "SELECT * FROM tracking_events WHERE fulfilment_id IN "
        f"(SELECT id FROM fulfilments WHERE order_id IN ({ids})) ORDER BY fulfilment_id, position",
        params,
    ):
        events[r["fulfilment_id"]].append(
            TrackingEvent(at=r["at"], status=r["status"], location=r["location"], description=r["description"])
        )
    fulfilments: dict[int, list[Fulfilment]] = defaultdict(list)
    for r in conn.execute(f"SELECT * FROM fulfilments WHERE order_id IN ({ids}) ORDER BY order_id, id", params):
        fulfilments[r["order_id"]].append(
            Fulfilment(
                id=r["id"],
                carrier=r["carrier"],
                service=r["service"],
                tracking_number=r["tracking_number"],
                shipped_at=r["shipped_at"],
                expected_delivery=r["expected_delivery"],
                delivered_at=r["delivered_at"],
                events=events[r["id"]],
            )
        )
    return_items: dict[int, list[ReturnItem]] = defaultdict(list)
    for r in conn.execute(
        f"SELECT * FROM return_items WHERE return_id IN (SELECT id FROM returns WHERE order_id IN ({ids})) "
        "ORDER BY return_id, line",
        params,
    ):
        return_items[r["return_id"]].append(ReturnItem(line=r["line"], quantity=r["quantity"]))
    refunds: dict[int, list[Refund]] = defaultdict(list)
    return_refunds: dict[int, Refund] = {}
    for r in conn.execute(f"SELECT * FROM refunds WHERE order_id IN ({ids}) ORDER BY order_id, id", params):
        refund = Refund(
            id=r["id"],
            amount=euros(r["amount_cents"]),
            method=r["method"],
            reason=r["reason"],
            issued_at=r["issued_at"],
        )
        if r["return_id"] is None:
            refunds[r["order_id"]].append(refund)
        else:
            return_refunds[r["return_id"]] = refund
    returns: dict[int, list[ReturnRecord]] = defaultdict(list)
    for r in conn.execute(f"SELECT * FROM returns WHERE order_id IN ({ids}) ORDER BY order_id, id", params):
        returns[r["order_id"]].append(
            ReturnRecord(
                id=r["id"],
                registered_at=r["registered_at"],
                reason=r["reason"],
                status=r["status"],
                received_at=r["received_at"],
                label_fee=euros(r["label_fee_cents"]),
                items=return_items[r["id"]],
                refund=return_refunds.get(r["id"]),
            )
        )
    return [
        Order(
            id=o["id"],
            customer_id=o["customer_id"],
            status=o["status"],
            placed_at=o["placed_at"],
            updated_at=o["updated_at"],
            currency=o["currency"],
            payment_method=o["payment_method"],
            shipping_method=o["shipping_method"],
            subtotal=euros(o["subtotal_cents"]),
            discount=euros(o["discount_cents"]),
            shipping_cost=euros(o["shipping_cents"]),
            total=euros(o["total_cents"]),
            delivery_address=Address(
                name=o["ship_name"],
                street=o["ship_street"],
                zip=o["ship_zip"],
                city=o["ship_city"],
                country=o["ship_country"],
            ),
            cancelled_at=o["cancelled_at"],
            cancel_reason=o["cancel_reason"],
            delivered_at=o["delivered_at"],
            items=items[o["id"]],
            fulfilments=fulfilments[o["id"]],
            returns=returns[o["id"]],
            refunds=refunds[o["id"]],
        )
        for o in orders
    ]


# --- reads on a connection (inside an import's transaction) ------------------------------


def stored_skus(db: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in db.execute("SELECT sku FROM products")}


def customer_emails(db: sqlite3.Connection) -> dict[str, str]:
    """Email (lowercase) -> customer id."""
    return {str(email).lower(): str(cid) for cid, email in db.execute("SELECT id, email FROM customers")}


def customer_ids(db: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in db.execute("SELECT id FROM customers")}


def product_variants(db: sqlite3.Connection) -> list[tuple[str, str, str | None, str | None]]:
    """(sku, product name, colour, size) per variant; colour None for a product without variants."""
    rows = db.execute("SELECT p.sku, p.name, v.color, v.size FROM products p LEFT JOIN variants v ON v.sku = p.sku")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def stored_products(db: sqlite3.Connection, imported_only: bool = False) -> list[tuple[sqlite3.Row, list[sqlite3.Row]]]:
    """Product rows (by category and SKU) with their variant rows (in stored order)."""
    where = "source = 'import'" if imported_only else "1"
    variants: dict[str, list[sqlite3.Row]] = {}
    for v in db.execute(f"SELECT * FROM variants WHERE sku IN (SELECT sku FROM products WHERE {where}) ORDER BY rowid"):
        variants.setdefault(v["sku"], []).append(v)
    rows = db.execute(f"SELECT * FROM products WHERE {where} ORDER BY category, sku").fetchall()
    return [(r, variants.get(r["sku"], [])) for r in rows]
