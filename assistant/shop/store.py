"""The shop database: open, migrate and read it (:class:`ShopDB`); every write is in :mod:`assistant.shop.writes`.

It lives in its own SQLite file (by default ``<data_dir>/shop.sqlite``); the schema is :mod:`assistant.shop.schema`.
The database runs in WAL mode and every write is one transaction (:meth:`ShopDB.transaction`). Money is stored as
integer cents (``*_cents`` columns) and read back as ``Decimal``; times are ISO 8601 in UTC; a variant without a
size has the size ``''`` in the database and ``None`` in the records.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from assistant.shop.reads import _TABLES, _product, read_customers, read_orders
from assistant.shop.records import (
    ORDER_STATUSES,
    AuditEntry,
    Customer,
    IdentityCheck,
    Order,
    OrderStatus,
    ProductRow,
    VariantRow,
    iso,
)
from assistant.shop.schema import MIGRATIONS
from assistant.sqlite_store import apply_migrations, open_database, write_transaction


class ShopDB:
    """Open the shop database, migrate it, read records back.

    A connection per thread; use as a context manager (or call :meth:`close`) to close them all.

    Args:
        path: The SQLite file; created with its folder when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._ready = False
        self._lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._open: list[sqlite3.Connection] = []

    def __enter__(self) -> ShopDB:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _raw(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_database(
                self.path,
                "the shop database",
                "restore it from a backup, or move it aside and run: python -m assistant shop demo (or shop import)",
                foreign_keys=True,
            )
            self._local.conn = conn
            with self._lock:
                self._open.append(conn)
        return conn

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; write through :meth:`transaction`), migrated on first use."""
        with self._init_lock:
            if not self._ready:
                self.migrate()
                self._ready = True
        return self._raw()

    def close(self) -> None:
        """Close every connection this object opened (only call it when no thread still uses them)."""
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, ``ROLLBACK`` on any error).

        Inside an open transaction of the same thread it joins that one instead of starting another.

        Raises:
            AssistantError: The database stays locked for too long, the disk is full or similar.
        """
        self.connect()
        with self._tx() as db:
            yield db

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._raw(), f"shop database {self.path}")

    def migrate(self) -> list[str]:
        """Apply the migrations not applied yet; returns their names."""
        return apply_migrations(self._raw(), MIGRATIONS, f"shop database {self.path}")

    def applied(self) -> list[str]:
        """Names of the applied migrations."""
        return [r[0] for r in self.connect().execute("SELECT name FROM _migrations ORDER BY name")]

    # --- reading ---

    def counts(self) -> dict[str, int]:
        """Rows per table: products, variants, customers, addresses, orders, order_items, fulfilments,
        tracking_events, returns, return_items, refunds."""
        conn = self.connect()
        return {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in _TABLES}

    def info(self) -> dict[str, str]:
        """Facts about the database: ``origin`` (demo or import) and ``built_at`` (ISO time) when known."""
        return {str(k): str(v) for k, v in self.connect().execute("SELECT key, value FROM shop_info")}

    def set_info(self, **values: str) -> None:
        """Record facts about the database (see :meth:`info`)."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO shop_info (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def status_counts(self) -> dict[str, int]:
        """Orders per status (every status, zero where none)."""
        rows = self.connect().execute("SELECT status, COUNT(*) FROM orders GROUP BY status")
        found = {r[0]: int(r[1]) for r in rows}
        return {s: found.get(s, 0) for s in ORDER_STATUSES}

    def customer(self, customer_id: str) -> Customer | None:
        """A customer by id, with addresses."""
        found = read_customers(self.connect(), "id = ?", (customer_id,))
        return found[0] if found else None

    def find_customer_by_email(self, email: str) -> Customer | None:
        """A customer by email address (case-insensitive, surrounding spaces ignored)."""
        found = read_customers(self.connect(), "email = ?", (email.strip().lower(),))
        return found[0] if found else None

    def customers(self) -> list[Customer]:
        """Every customer, by id."""
        return read_customers(self.connect(), "1", ())

    def order(self, order_id: int | str) -> Order | None:
        """An order by its 6-digit number (``104233`` or ``"104233"``); None when unknown."""
        try:
            number = int(str(order_id).strip().lstrip("#"))
        except ValueError:
            return None
        found = read_orders(self.connect(), "o.id = ?", (number,))
        return found[0] if found else None

    def orders_of(self, customer_id: str) -> list[Order]:
        """A customer's orders, newest first."""
        return read_orders(self.connect(), "o.customer_id = ?", (customer_id,))

    def orders(self, status: OrderStatus | None = None) -> list[Order]:
        """Every order (or those with one status), newest first."""
        if status is None:
            return read_orders(self.connect(), "1", ())
        return read_orders(self.connect(), "o.status = ?", (status,))

    def audit(self, order_id: int | None = None, since: datetime | None = None, limit: int = 200) -> list[AuditEntry]:
        """Changes made to orders, newest first.

        Args:
            order_id: Only this order's changes.
            since: Only changes at or after this moment (naive times count as UTC).
            limit: At most this many (the newest).
        """
        where: list[str] = ["1"]
        params: list[Any] = []
        if order_id is not None:
            where.append("order_id = ?")
            params.append(order_id)
        if since is not None:
            where.append("at >= ?")
            params.append(iso(since))
        return self._audit(" AND ".join(where), (*params, limit))

    def audit_entry(self, entry_id: int) -> AuditEntry | None:
        """One change by its number (the audit row's id); None when unknown."""
        found = self._audit("id = ?", (entry_id, 1))
        return found[0] if found else None

    def _audit(self, where: str, params: tuple[Any, ...]) -> list[AuditEntry]:
        """Audit rows matching ``where``, newest first; the last parameter is the limit."""
        rows = self.connect().execute(f"SELECT * FROM audit WHERE {where} ORDER BY at DESC, id DESC LIMIT ?", params)
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                actor=r["actor"],
                action=r["action"],
                order_id=r["order_id"],
                args=json.loads(r["args"]),
                before=json.loads(r["before"]),
                after=json.loads(r["after"]),
                turn_id=r["turn_id"],
                session_id=r["session_id"],
            )
            for r in rows
        ]

    def record_identity_check(self, check: IdentityCheck) -> None:
        """Log a failed or refused identity check."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO identity_checks (at, order_id, outcome, client, session_id, turn_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (iso(check.at), check.order_id, check.outcome, check.client, check.session_id, check.turn_id),
            )

    def identity_failures(self, since: datetime, order_id: int | None = None, client: str | None = None) -> int:
        """Failed identity checks at or after ``since``, for one order or from one address."""
        column, value = ("order_id", order_id) if order_id is not None else ("client", client)
        row = self.connect().execute(
            f"SELECT COUNT(*) FROM identity_checks WHERE {column} = ? AND outcome = 'failed' AND at >= ?",
            (value, iso(since)),
        )
        return int(row.fetchone()[0])

    def identity_checks(self, order_id: int | None = None, limit: int = 200) -> list[IdentityCheck]:
        """Failed and refused identity checks, newest first, optionally of one order."""
        where, params = ("order_id = ?", (order_id, limit)) if order_id is not None else ("1", (limit,))
        rows = self.connect().execute(
            f"SELECT * FROM identity_checks WHERE {where} ORDER BY at DESC, id DESC LIMIT ?", params
        )
        return [IdentityCheck.model_validate(dict(r)) for r in rows]

    def product(self, sku: str) -> ProductRow | None:
        """A product by SKU."""
        row = self.connect().execute("SELECT * FROM products WHERE sku = ?", (sku,)).fetchone()
        return _product(row) if row else None

    def products(self) -> list[ProductRow]:
        """Every product, by SKU."""
        return [_product(r) for r in self.connect().execute("SELECT * FROM products ORDER BY sku")]

    def variants(self, sku: str | None = None) -> list[VariantRow]:
        """The variants of one product (or of all), in catalogue order."""
        conn = self.connect()
        if sku is None:
            rows = conn.execute("SELECT * FROM variants ORDER BY sku, rowid")
        else:
            rows = conn.execute("SELECT * FROM variants WHERE sku = ? ORDER BY rowid", (sku,))
        return [VariantRow(sku=r["sku"], color=r["color"], size=r["size"] or None, stock=r["stock"]) for r in rows]

    def variant_stock(self, sku: str, color: str, size: str | None = None) -> int | None:
        """Units in stock of one variant (colour matched case-insensitively); None if there is no such variant."""
        row = (
            self.connect()
            .execute(
                "SELECT stock FROM variants WHERE sku = ? AND color = ? COLLATE NOCASE AND size = ? COLLATE NOCASE",
                (sku, color, size or ""),
            )
            .fetchone()
        )
        return int(row[0]) if row else None
