"""The shop's records as typed models: customers, products, orders with items, parcels, returns and refunds, audit rows.

Money is ``Decimal`` in the shop's currency (stored as integer cents); times are UTC; a variant without a size has
the size ``None``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    """The confirmed plan's arguments, as :class:`assistant.shop.plans.Plan` holds them (``Plan.args``)."""
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
