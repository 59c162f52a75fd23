"""The shop database's schema: small named migrations (``m001_...``), applied once each, recorded in ``_migrations``.

A later feature appends its own ``@migration`` function to :data:`MIGRATIONS`; the names are never changed, so an
existing database opens and only the new steps run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """Register a schema step; steps run once each, in the order they are defined."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_shop(db: sqlite3.Connection) -> None:
    """Products and variants, customers and addresses, orders with items, fulfilments, returns and refunds."""
    db.execute(
        """
        CREATE TABLE products (
            sku TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            category TEXT NOT NULL,
            price_cents INTEGER NOT NULL CHECK (price_cents > 0),
            currency TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'catalogue',
            details TEXT NOT NULL DEFAULT '{}'
        )
        """
    )
    db.execute(
        """
        CREATE TABLE variants (
            sku TEXT NOT NULL REFERENCES products(sku) ON DELETE CASCADE,
            color TEXT NOT NULL,
            size TEXT NOT NULL DEFAULT '',
            stock INTEGER NOT NULL CHECK (stock >= 0),
            PRIMARY KEY (sku, color, size)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            phone TEXT,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE addresses (
            customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT,
            street TEXT NOT NULL,
            zip TEXT NOT NULL,
            city TEXT NOT NULL,
            country TEXT NOT NULL,
            PRIMARY KEY (customer_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY CHECK (id BETWEEN 100000 AND 999999),
            customer_id TEXT NOT NULL REFERENCES customers(id),
            status TEXT NOT NULL CHECK (status IN
                ('pending', 'processed', 'shipped', 'delivered', 'cancelled', 'returned', 'refunded')),
            placed_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            currency TEXT NOT NULL,
            payment_method TEXT NOT NULL,
            shipping_method TEXT NOT NULL,
            subtotal_cents INTEGER NOT NULL,
            discount_cents INTEGER NOT NULL DEFAULT 0,
            shipping_cents INTEGER NOT NULL,
            total_cents INTEGER NOT NULL,
            ship_name TEXT,
            ship_street TEXT NOT NULL,
            ship_zip TEXT NOT NULL,
            ship_city TEXT NOT NULL,
            ship_country TEXT NOT NULL,
            cancelled_at TEXT,
            cancel_reason TEXT,
            delivered_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX orders_customer ON orders(customer_id, placed_at)")
    db.execute("CREATE INDEX orders_status ON orders(status, placed_at)")
    db.execute(
        """
        CREATE TABLE order_items (
            order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            line INTEGER NOT NULL,
            sku TEXT NOT NULL REFERENCES products(sku),
            name TEXT NOT NULL,
            color TEXT NOT NULL,
            size TEXT NOT NULL DEFAULT '',
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            unit_price_cents INTEGER NOT NULL,
            PRIMARY KEY (order_id, line)
        )
        """
    )
    db.execute("CREATE INDEX order_items_sku ON order_items(sku, color, size)")
    db.execute(
        """
        CREATE TABLE fulfilments (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            carrier TEXT NOT NULL,
            service TEXT NOT NULL,
            tracking_number TEXT NOT NULL,
            shipped_at TEXT NOT NULL,
            expected_delivery TEXT,
            delivered_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX fulfilments_order ON fulfilments(order_id)")
    db.execute("CREATE INDEX fulfilments_tracking ON fulfilments(tracking_number)")
    db.execute(
        """
        CREATE TABLE tracking_events (
            fulfilment_id INTEGER NOT NULL REFERENCES fulfilments(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (fulfilment_id, position)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE returns (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            registered_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('registered', 'received', 'refunded')),
            received_at TEXT,
            label_fee_cents INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX returns_order ON returns(order_id)")
    db.execute(
        """
        CREATE TABLE return_items (
            return_id INTEGER NOT NULL REFERENCES returns(id) ON DELETE CASCADE,
            line INTEGER NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (return_id, line)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE refunds (
            id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            return_id INTEGER REFERENCES returns(id) ON DELETE CASCADE,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            method TEXT NOT NULL,
            reason TEXT NOT NULL,
            issued_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX refunds_order ON refunds(order_id)")


@migration
def m002_audit(db: sqlite3.Connection) -> None:
    """Every change the assistant (or a person) made to an order: who, when, what, before and after, which turn."""
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            order_id INTEGER NOT NULL,
            args TEXT NOT NULL DEFAULT '{}',
            before TEXT NOT NULL,
            after TEXT NOT NULL,
            turn_id TEXT,
            session_id TEXT
        )
        """
    )
    db.execute("CREATE INDEX audit_order ON audit(order_id, at)")


@migration
def m003_shop_info(db: sqlite3.Connection) -> None:
    """Facts about the database itself: where its data came from (demo or import) and when it was built."""
    db.execute("CREATE TABLE shop_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migration
def m004_identity_checks(db: sqlite3.Connection) -> None:
    """Identity checks that failed or were refused: the limits across sessions count them, the lead reads them."""
    db.execute(
        """
        CREATE TABLE identity_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            order_id INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            client TEXT,
            session_id TEXT,
            turn_id TEXT
        )
        """
    )
    db.execute("CREATE INDEX identity_checks_order ON identity_checks(order_id, at)")
    db.execute("CREATE INDEX identity_checks_client ON identity_checks(client, at)")
