"""Every write to the shop tables: loading records (import, demo) and the changes the order actions make.

Each function takes a connection inside :meth:`~assistant.shop.store.ShopDB.transaction` and never commits itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from assistant.shop.records import (
    Address,
    Customer,
    Order,
    OrderItem,
    ProductRow,
    Refund,
    VariantRow,
    cents,
    euros,
    iso,
)


def save_products(db: sqlite3.Connection, products: Iterable[tuple[ProductRow, list[VariantRow]]]) -> int:
    """Insert products with their variants; a product with a known SKU is replaced, variants and all.

    Args:
        db: A connection inside :meth:`ShopDB.transaction`.
        products: Each product with its complete list of variants.

    Returns:
        How many products were written.
    """
    batch = list(products)
    db.executemany(
        "INSERT INTO products (sku, name, category, price_cents, currency, source, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sku) DO UPDATE SET name = excluded.name, "
        "category = excluded.category, price_cents = excluded.price_cents, currency = excluded.currency, "
        "source = excluded.source, details = excluded.details",
        [
            (p.sku, p.name, p.category, cents(p.price), p.currency, p.source, json.dumps(p.details, ensure_ascii=False))
            for p, _ in batch
        ],
    )
    db.executemany("DELETE FROM variants WHERE sku = ?", [(p.sku,) for p, _ in batch])
    db.executemany(
        "INSERT INTO variants (sku, color, size, stock) VALUES (?, ?, ?, ?)",
        [(p.sku, v.color, v.size or "", v.stock) for p, variants in batch for v in variants],
    )
    return len(batch)


def save_customers(db: sqlite3.Connection, customers: Iterable[Customer]) -> int:
    """Insert customers with their addresses; a customer with a known id is replaced.

    Args:
        db: A connection inside :meth:`ShopDB.transaction`.
        customers: The customers to write.

    Returns:
        How many customers were written.
    """
    batch = list(customers)
    db.executemany(
        "INSERT INTO customers (id, first_name, last_name, email, phone, created_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, "
        "email = excluded.email, phone = excluded.phone, created_at = excluded.created_at",
        [(c.id, c.first_name, c.last_name, c.email, c.phone, iso(c.created_at)) for c in batch],
    )
    db.executemany("DELETE FROM addresses WHERE customer_id = ?", [(c.id,) for c in batch])
    db.executemany(
        "INSERT INTO addresses (customer_id, position, name, street, zip, city, country) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(c.id, i, a.name, a.street, a.zip, a.city, a.country) for c in batch for i, a in enumerate(c.addresses)],
    )
    return len(batch)


def save_orders(db: sqlite3.Connection, orders: Iterable[Order]) -> int:
    """Insert orders with items, fulfilments and events, returns and refunds; a known order id is replaced.

    Ids of fulfilments, returns and refunds are assigned here (the ones in the records are ignored).

    Args:
        db: A connection inside :meth:`ShopDB.transaction`.
        orders: The orders to write; their customers and products must exist.

    Returns:
        How many orders were written.
    """
    batch = list(orders)
    for table in ("refunds", "returns", "fulfilments", "order_items"):
        db.executemany(f"DELETE FROM {table} WHERE order_id = ?", [(o.id,) for o in batch])
    db.executemany(
        "INSERT INTO orders (id, customer_id, status, placed_at, updated_at, currency, payment_method, "
        "shipping_method, subtotal_cents, discount_cents, shipping_cents, total_cents, ship_name, ship_street, "
        "ship_zip, ship_city, ship_country, cancelled_at, cancel_reason, delivered_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET customer_id = excluded.customer_id, status = excluded.status, "
        "placed_at = excluded.placed_at, updated_at = excluded.updated_at, currency = excluded.currency, "
        "payment_method = excluded.payment_method, shipping_method = excluded.shipping_method, "
        "subtotal_cents = excluded.subtotal_cents, discount_cents = excluded.discount_cents, "
        "shipping_cents = excluded.shipping_cents, total_cents = excluded.total_cents, "
        "ship_name = excluded.ship_name, ship_street = excluded.ship_street, ship_zip = excluded.ship_zip, "
        "ship_city = excluded.ship_city, ship_country = excluded.ship_country, "
        "cancelled_at = excluded.cancelled_at, cancel_reason = excluded.cancel_reason, "
        "delivered_at = excluded.delivered_at",
        [
            (
                o.id,
                o.customer_id,
                o.status,
                iso(o.placed_at),
                iso(o.updated_at),
                o.currency,
                o.payment_method,
                o.shipping_method,
                cents(o.subtotal),
                cents(o.discount),
                cents(o.shipping_cost),
                cents(o.total),
                o.delivery_address.name,
                o.delivery_address.street,
                o.delivery_address.zip,
                o.delivery_address.city,
                o.delivery_address.country,
                iso(o.cancelled_at),
                o.cancel_reason,
                iso(o.delivered_at),
            )
            for o in batch
        ],
    )
    db.executemany(
        "INSERT INTO order_items (order_id, line, sku, name, color, size, quantity, unit_price_cents) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (o.id, it.line, it.sku, it.name, it.color, it.size or "", it.quantity, cents(it.unit_price))
            for o in batch
            for it in o.items
        ],
    )
    next_id = {t: _next_id(db, t) for t in ("fulfilments", "returns", "refunds")}
    fulfilments, events, returns, return_items, refunds = [], [], [], [], []
    for o in batch:
        for f in o.fulfilments:
            fid = next_id["fulfilments"]
            next_id["fulfilments"] += 1
            fulfilments.append(
                (
                    fid,
                    o.id,
                    f.carrier,
                    f.service,
                    f.tracking_number,
                    iso(f.shipped_at),
                    f.expected_delivery.isoformat() if f.expected_delivery else None,
                    iso(f.delivered_at),
                )
            )
            events += [(fid, i, iso(e.at), e.status, e.location, e.description) for i, e in enumerate(f.events)]
        for r in o.returns:
            rid = next_id["returns"]
            next_id["returns"] += 1
            returns.append(
                (rid, o.id, iso(r.registered_at), r.reason, r.status, iso(r.received_at), cents(r.label_fee))
            )
            return_items += [(rid, it.line, it.quantity) for it in r.items]
            if r.refund:
                refunds.append(_refund_row(next_id["refunds"], o.id, rid, r.refund))
                next_id["refunds"] += 1
        for refund in o.refunds:
            refunds.append(_refund_row(next_id["refunds"], o.id, None, refund))
            next_id["refunds"] += 1
    db.executemany("INSERT INTO fulfilments VALUES (?, ?, ?, ?, ?, ?, ?, ?)", fulfilments)
    db.executemany("INSERT INTO tracking_events VALUES (?, ?, ?, ?, ?, ?)", events)
    db.executemany("INSERT INTO returns VALUES (?, ?, ?, ?, ?, ?, ?)", returns)
    db.executemany("INSERT INTO return_items VALUES (?, ?, ?)", return_items)
    db.executemany("INSERT INTO refunds VALUES (?, ?, ?, ?, ?, ?, ?)", refunds)
    return len(batch)


def _next_id(db: sqlite3.Connection, table: str) -> int:
    return int(db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])


def _refund_row(rid: int, order_id: int, return_id: int | None, r: Refund) -> tuple[Any, ...]:
    return (rid, order_id, return_id, cents(r.amount), r.method, r.reason, iso(r.issued_at))


# --- the order actions' changes (inside the transaction that also writes the audit row) ---------


def cancel_order(db: sqlite3.Connection, order: Order, reason: str, now: datetime) -> None:
    """Mark the order cancelled, put its items back in stock and refund its total to the payment method."""
    db.execute(
        "UPDATE orders SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ? WHERE id = ?",
        (iso(now), reason, iso(now), order.id),
    )
    for item in order.items:
        _restock(db, item.sku, item.color, item.size, item.quantity)
    db.execute(
        "INSERT INTO refunds (id, order_id, return_id, amount_cents, method, reason, issued_at) "
        "VALUES (?, ?, NULL, ?, ?, 'cancellation', ?)",
        (_next_id(db, "refunds"), order.id, cents(order.total), order.payment_method, iso(now)),
    )


def change_address(db: sqlite3.Connection, order_id: int, address: Address, now: datetime) -> None:
    """Send the order to another delivery address."""
    db.execute(
        "UPDATE orders SET ship_name = ?, ship_street = ?, ship_zip = ?, ship_city = ?, ship_country = ?, "
        "updated_at = ? WHERE id = ?",
        (address.name, address.street, address.zip, address.city, address.country, iso(now), order_id),
    )


def change_item(
    db: sqlite3.Connection, order: Order, item: OrderItem, variant: tuple[str, str | None, int] | None, now: datetime
) -> tuple[str | None, Decimal]:
    """Give an order line another colour, size or quantity (``variant`` = colour, size, quantity), or remove it (None).

    Stock follows the change; the order's totals are recomputed.

    Returns:
        The colour as the catalogue spells it (None when removed), and the order's new total.
    """
    _restock(db, item.sku, item.color, item.size, item.quantity)
    color: str | None = None
    if variant is None:
        db.execute("DELETE FROM order_items WHERE order_id = ? AND line = ?", (order.id, item.line))
    else:
        wanted, size, quantity = variant
        row = db.execute(
            "SELECT color FROM variants WHERE sku = ? AND color = ? COLLATE NOCASE AND size = ? COLLATE NOCASE",
            (item.sku, wanted, size or ""),
        ).fetchone()
        color = str(row[0])
        db.execute(
            "UPDATE order_items SET color = ?, size = ?, quantity = ? WHERE order_id = ? AND line = ?",
            (color, size or "", quantity, order.id, item.line),
        )
        _restock(db, item.sku, color, size, -quantity)
    subtotal = db.execute(
        "SELECT SUM(quantity * unit_price_cents) FROM order_items WHERE order_id = ?", (order.id,)
    ).fetchone()[0]
    db.execute(
        "UPDATE orders SET subtotal_cents = ?, total_cents = ? - discount_cents + shipping_cents, updated_at = ? "
        "WHERE id = ?",
        (subtotal, subtotal, iso(now), order.id),
    )
    total = db.execute("SELECT total_cents FROM orders WHERE id = ?", (order.id,)).fetchone()[0]
    return color, euros(int(total))


def register_return(
    db: sqlite3.Connection,
    order: Order,
    lines: dict[int, int],
    reason: str,
    now: datetime,
    replacement: tuple[str, str, str | None] | None = None,
) -> int:
    """Register a return of ``lines`` (line -> quantity); for an exchange, ``replacement`` (sku, colour, size) is
    taken from stock. Returns the new return's id."""
    rid = _next_id(db, "returns")
    db.execute(
        "INSERT INTO returns (id, order_id, registered_at, reason, status, received_at, label_fee_cents) "
        "VALUES (?, ?, ?, ?, 'registered', NULL, 0)",
        (rid, order.id, iso(now), reason),
    )
    db.executemany(
        "INSERT INTO return_items (return_id, line, quantity) VALUES (?, ?, ?)",
        [(rid, line, qty) for line, qty in lines.items()],
    )
    if replacement is not None:
        sku, color, size = replacement
        db.execute(
            "UPDATE variants SET stock = stock - 1 WHERE sku = ? AND color = ? COLLATE NOCASE "
            "AND size = ? COLLATE NOCASE",
            (sku, color, size or ""),
        )
    db.execute("UPDATE orders SET updated_at = ? WHERE id = ?", (iso(now), order.id))
    return rid


def add_audit(
    db: sqlite3.Connection,
    at: datetime,
    actor: str,
    action: str,
    order_id: int,
    args: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    turn_id: str | None,
    session_id: str | None,
) -> int:
    """Append a row to the audit trail; returns its id."""
    cur = db.execute(
        "INSERT INTO audit (at, actor, action, order_id, args, before, after, turn_id, session_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            iso(at),
            actor,
            action,
            order_id,
            json.dumps(args, sort_keys=True),
            json.dumps(before, sort_keys=True),
            json.dumps(after, sort_keys=True),
            turn_id,
            session_id,
        ),
    )
    return cur.lastrowid or 0


def _restock(db: sqlite3.Connection, sku: str, color: str, size: str | None, quantity: int) -> None:
    db.execute(
        "UPDATE variants SET stock = stock + ? WHERE sku = ? AND color = ? AND size = ?",
        (quantity, sku, color, size or ""),
    )
