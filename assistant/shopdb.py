"""The shop database: products and variants, customers, orders, fulfilments, returns and refunds, in SQLite.

It lives in its own file (by default ``<data_dir>/shop.sqlite``; the caller passes the path). The schema grows by
small named migrations (``m001_...``) recorded in the ``_migrations`` table, exactly like the turn log: a later
feature (order actions and their audit trail, say) appends its own ``@migration`` function to ``MIGRATIONS``. The
database runs in WAL mode and every write is one transaction (:meth:`ShopDB.transaction`).

Money is stored as integer cents (``*_cents`` columns) and read back as ``Decimal`` euros; times are ISO 8601 in
UTC; a variant without a size has the size ``''`` in the database and ``None`` in the models.

Reading returns typed records (:class:`Customer`, :class:`Order` with its items, fulfilments and their tracking
events, returns and refunds; :class:`AuditEntry` for each change made to an order, the audit trail). Loading data
goes through :func:`save_products`, :func:`save_customers` and :func:`save_orders`, which run inside a transaction
and replace records with the same id.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.sqlite_store import apply_migrations, open_database, write_transaction

RETURN_DAYS = 30
"""Days after delivery within which a return can be registered (returns policy)."""

OrderStatus = Literal["pending", "processed", "shipped", "delivered", "cancelled", "returned", "refunded"]
ORDER_STATUSES: tuple[str, ...] = get_args(OrderStatus)
PaymentMethod = Literal[
    "card",
    "paypal",
    "apple_pay",
    "google_pay",
    "klarna_pay_later",
    "klarna_instalments",
    "bank_transfer",
    "gift_card",
]
PAYMENT_METHODS: tuple[str, ...] = get_args(PaymentMethod)
ShippingMethod = Literal["standard", "express"]
TrackingStatus = Literal[
    "label_created",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivery_attempted",
    "delivered",
    "exception",
    "returned_to_sender",
]
ReturnStatus = Literal["registered", "received", "refunded"]
RefundReason = Literal["return", "cancellation", "lost_parcel", "goodwill"]

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


# --- records -------------------------------------------------------------------


def cents(amount: Decimal) -> int:
    """Euros as integer cents (rounded half up)."""
    return int((amount * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def euros(value: int) -> Decimal:
    """Integer cents as euros with two decimal places."""
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def iso(moment: datetime | None) -> str | None:
    """A time as stored: ISO 8601 in UTC, to the second (naive times count as UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)  # numeric ids, postcodes, tracking numbers

    @field_validator("*", mode="after")
    @classmethod
    def _normal(cls, value: Any) -> Any:
        """Times in UTC (naive ones count as UTC), amounts of money with exactly two decimals."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, Decimal):
            return value.quantize(Decimal("0.01"))
        return value


class Address(_Record):
    """A postal address: a customer's saved one or an order's delivery address."""

    name: str | None = None
    """Recipient; None: the customer's own name."""
    street: str = Field(min_length=2)
    """Street and house number, e.g. ``Eppendorfer Weg 112``."""
    zip: str = Field(min_length=3, max_length=10)
    city: str = Field(min_length=1)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    """ISO 3166-1 alpha-2 code, e.g. ``DE``."""

    def one_line(self) -> str:
        """The address on one line, as a customer would read it back."""
        who = f"{self.name}, " if self.name else ""
        return f"{who}{self.street}, {self.zip} {self.city}, {self.country}"


class Customer(_Record):
    """A shop customer and their saved addresses (the first is the default)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: str
    phone: str | None = None
    created_at: datetime
    addresses: list[Address] = []

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        local, _, domain = value.partition("@")
        if not local or "." not in domain or domain.startswith(".") or domain.endswith(".") or " " in value:
            raise ValueError("is not a valid email address")
        return value

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ProductRow(_Record):
    """A product as the shop database holds it; ``details`` keeps the other catalogue fields."""

    sku: str
    name: str
    category: str
    price: Decimal
    currency: str
    source: Literal["catalogue", "import"] = "catalogue"
    details: dict[str, Any] = {}
    """materials, care, gender, weight_g, features, description: as in the catalogue YAML."""


class VariantRow(_Record):
    """One purchasable colour/size of a product, with its stock."""

    sku: str
    color: str
    size: str | None = None
    stock: int = Field(ge=0)


class OrderItem(_Record):
    """One line of an order: a variant, how many, at what unit price."""

    line: int = Field(ge=1)
    """Position in the order, from 1; a missing line is set from the item's position."""
    sku: str = Field(min_length=1)
    name: str = ""
    """Product name at the time of the order; empty: taken from the catalogue when loaded."""
    color: str = Field(min_length=1)
    size: str | None = None
    quantity: int = Field(ge=1, le=99)
    unit_price: Decimal = Field(gt=0, decimal_places=2)

    @field_validator("size", mode="before")
    @classmethod
    def _size_text(cls, value: Any) -> Any:
        if isinstance(value, int | float):
            return str(value)
        return value or None

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def label(self) -> str:
        variant = f"{self.color} {self.size}" if self.size else self.color
        return f"{self.quantity} x {self.name or self.sku} ({variant})"


class TrackingEvent(_Record):
    """One scan of a parcel by the carrier."""

    at: datetime
    status: TrackingStatus
    location: str = ""
    description: str = ""


class Fulfilment(_Record):
    """A parcel on its way: carrier, tracking number and the carrier's events (oldest first)."""

    id: int | None = None
    carrier: str = Field(min_length=2)
    """DHL, DPD or UPS for the demo shop."""
    service: ShippingMethod = "standard"
    tracking_number: str = Field(min_length=4)
    shipped_at: datetime
    expected_delivery: date | None = None
    delivered_at: datetime | None = None
    events: list[TrackingEvent] = []

    @property
    def last_event(self) -> TrackingEvent | None:
        return self.events[-1] if self.events else None


class Refund(_Record):
    """Money paid back, always to the original payment method."""

    id: int | None = None
    amount: Decimal = Field(gt=0, decimal_places=2)
    method: PaymentMethod
    reason: RefundReason = "return"
    issued_at: datetime


class ReturnItem(_Record):
    """How many of one order line come back."""

    line: int = Field(ge=1)
    quantity: int = Field(ge=1)


class ReturnRecord(_Record):
    """A registered return; ``refund`` is set once the money went back."""

    id: int | None = None
    registered_at: datetime
    reason: str = Field(min_length=2)
    """Demo values: too_small, too_large, not_as_expected, changed_mind, faulty, wrong_item."""
    status: ReturnStatus = "registered"
    received_at: datetime | None = None
    label_fee: Decimal = Field(Decimal("0.00"), ge=0, decimal_places=2)
    items: list[ReturnItem] = Field(min_length=1)
    refund: Refund | None = None


class Order(_Record):
    """An order with everything support needs to talk about it."""

    id: int = Field(ge=100000, le=999999)
    """The 6-digit order number."""
    customer_id: str
    status: OrderStatus
    placed_at: datetime
    updated_at: datetime
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    payment_method: PaymentMethod
    shipping_method: ShippingMethod = "standard"
    subtotal: Decimal = Field(ge=0, decimal_places=2)
    """Sum of the items; computed when validated data (an import) leaves it out."""
    discount: Decimal = Field(Decimal("0.00"), ge=0, decimal_places=2)
    shipping_cost: Decimal = Field(ge=0, decimal_places=2)
    total: Decimal = Field(ge=0, decimal_places=2)
    """subtotal - discount + shipping_cost; computed when validated data leaves it out."""
    delivery_address: Address
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    delivered_at: datetime | None = None
    items: list[OrderItem] = Field(min_length=1)
    fulfilments: list[Fulfilment] = []
    returns: list[ReturnRecord] = []
    refunds: list[Refund] = []
    """Refunds without a return (cancellations, lost parcels, goodwill); a return's refund sits in the return."""

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        """Number the items and compute subtotal, total and updated_at where the data leaves them out."""
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return data
        data = dict(data)
        items = [
            dict(it, line=i + 1 if it.get("line") is None else it["line"]) if isinstance(it, dict) else it
            for i, it in enumerate(data["items"])
        ]
        data["items"] = items
        try:
            if data.get("subtotal") is None:
                data["subtotal"] = sum((_line_total(it) for it in items), Decimal("0.00"))
            if data.get("total") is None:
                data["total"] = (
                    Decimal(str(data["subtotal"]))
                    - Decimal(str(data.get("discount") or 0))
                    + Decimal(str(data["shipping_cost"]))
                )
        except (KeyError, TypeError, ArithmeticError, ValueError):
            pass  # the field validators name the bad value
        if data.get("updated_at") is None and data.get("placed_at") is not None:
            data["updated_at"] = data["placed_at"]
        return data

    @property
    def fulfilment(self) -> Fulfilment | None:
        """The latest parcel, if the order shipped."""
        return self.fulfilments[-1] if self.fulfilments else None

    @property
    def all_refunds(self) -> list[Refund]:
        """Every refund of the order: the returns' and the others, oldest first."""
        found = [r.refund for r in self.returns if r.refund] + self.refunds
        return sorted(found, key=lambda r: r.issued_at)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.all_refunds), Decimal("0.00"))

    @property
    def return_deadline(self) -> datetime | None:
        """Last moment to register a return (30 days after delivery); None before delivery."""
        return self.delivered_at + timedelta(days=RETURN_DAYS) if self.delivered_at else None


class AuditEntry(_Record):
    """One change made to an order (a row of ``audit``): who, when, what, and the order before and after."""

    id: int
    at: datetime
    actor: str
    """Who made it: ``assistant``, or a person's name."""
    action: str
    """cancel, change_address, change_item, return or exchange."""
    order_id: int
    args: dict[str, Any] = {}
    """The confirmed plan's arguments, as :class:`assistant.actions.Plan` holds them."""
    before: Order
    after: Order
    turn_id: str | None = None
    session_id: str | None = None


IdentityOutcome = Literal["failed", "refused"]


class IdentityCheck(_Record):
    """A failed identity check for an order, or one refused because the order or the address is locked."""

    id: int | None = None
    at: datetime
    order_id: int
    outcome: IdentityOutcome
    """``failed``: the details did not match; ``refused``: not checked, too many failures before."""
    client: str | None = None
    """The network address the attempt came from."""
    session_id: str | None = None
    turn_id: str | None = None


# --- the database --------------------------------------------------------------


def _line_total(item: Any) -> Decimal:
    if isinstance(item, OrderItem):
        return item.total
    return Decimal(str(item["unit_price"])) * int(item["quantity"])


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
        found = self._customers("id = ?", (customer_id,))
        return found[0] if found else None

    def find_customer_by_email(self, email: str) -> Customer | None:
        """A customer by email address (case-insensitive, surrounding spaces ignored)."""
        found = self._customers("email = ?", (email.strip().lower(),))
        return found[0] if found else None

    def customers(self) -> list[Customer]:
        """Every customer, by id."""
        return self._customers("1", ())

    def order(self, order_id: int | str) -> Order | None:
        """An order by its 6-digit number (``104233`` or ``"104233"``); None when unknown."""
        try:
            number = int(str(order_id).strip().lstrip("#"))
        except ValueError:
            return None
        found = self._orders("o.id = ?", (number,))
        return found[0] if found else None

    def orders_of(self, customer_id: str) -> list[Order]:
        """A customer's orders, newest first."""
        return self._orders("o.customer_id = ?", (customer_id,))

    def orders(self, status: OrderStatus | None = None) -> list[Order]:
        """Every order (or those with one status), newest first."""
        if status is None:
            return self._orders("1", ())
        return self._orders("o.status = ?", (status,))

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

    def _customers(self, where: str, params: tuple[Any, ...]) -> list[Customer]:
        conn = self.connect()
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

    def _orders(self, where: str, params: tuple[Any, ...]) -> list[Order]:
        """Orders matching ``where`` (on alias ``o``) with all their parts, in a fixed number of queries."""
        conn = self.connect()
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


# --- loading (inside a transaction) ----------------------------------------------


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
