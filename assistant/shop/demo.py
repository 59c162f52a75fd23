"""A demo shop database: customers, orders, parcels, returns and refunds that follow the shop's policies.

``build_demo_shop`` fills a :class:`~assistant.shop.store.ShopDB` deterministically (seeded ``random.Random``): the
same seed, catalogue and ``now`` give the same data. Products and variants come from the catalogue in the
knowledge folder; every order line is a real SKU, colour and size at the catalogue price. Who orders, from where,
with which names, addresses and habits is data (``demo_data.yaml`` beside this module); every rule the orders
follow comes from the shop profile (``knowledge/shop.yaml``): shipping costs and free-shipping thresholds by
region, the carriers, dispatch the same business day when placed by the cut-off (bank transfers once the money
arrives), delivery times in business days by region, payment methods only where offered, the discount codes,
returns within the return window with the region's label fee, refunds to the original payment method. Times
spread over the last ~120 days before ``now``, and every order status is present:

* ``pending``: placed within the last hour;
* ``processed``: in the warehouse, not dispatched yet;
* ``shipped``: a parcel with carrier, tracking number, expected delivery and tracking events so far;
* ``delivered``: some inside the return window, most outside it;
* ``cancelled``: before dispatch, with a reason (PayPal and gift-card payments refunded);
* ``returned``: a return registered (or received) whose refund is not issued yet;
* ``refunded``: return received and refund issued.

Well-known records (:data:`DEMO_FIXTURES`, listed in ``demo_data.yaml``) have fixed numbers and timings relative to
``now``, whatever the seed; customer :data:`FIXTURE_CUSTOMER` owns three of them.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import AssistantError
from assistant.knowledge import Product, load_knowledge
from assistant.shop.business_days import add_business_days, is_business_day
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import Region, load_profile
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
    VariantRow,
    iso,
)
from assistant.shop.store import ShopDB
from assistant.shop.writes import save_customers, save_orders, save_products

DATA_FILE = Path(__file__).with_name("demo_data.yaml")


class _City(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    first_zip: int
    last_zip: int
    step: int = Field(ge=1)
    weight: float = Field(gt=0)


class _Country(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    weight: float = Field(gt=0)
    names: str
    """Which :attr:`DemoData.names` pool most of its customers' names come from."""
    cities: list[_City] = Field(min_length=1)
    streets: list[str] = Field(min_length=1)


class _Names(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    first: list[str] = Field(min_length=1)
    last: list[str] = Field(min_length=1)


class DemoData(BaseModel):
    """The demo shop's people and habits (``demo_data.yaml``); the policy numbers come from the shop profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fixture_customer: str
    fixtures: dict[int, str]
    """Order number -> what it is; these exist in every demo shop with the promised status and timing."""
    countries: list[_Country] = Field(min_length=1)
    names: dict[str, _Names]
    email_domains: list[str] = Field(min_length=1)
    payment_weights: dict[str, float]
    status_weights: dict[str, float]
    """About ten orders a day: a few open ones, most delivered long ago."""
    cancel_reasons: dict[str, float]
    sized_categories: list[str]
    return_reasons: dict[str, float]
    tracking_numbers: dict[str, str]
    """Carrier (or ``default``) -> its number format: literal text and ``{digits:12}`` or ``{alnum:6}`` runs."""


def load_demo_data(path: Path = DATA_FILE) -> DemoData:
    """Read the demo data file.

    Raises:
        AssistantError: It is missing or does not match :class:`DemoData`, in one line.
    """
    try:
        return DemoData.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as err:
        raise AssistantError(f"{path}: cannot read the demo data ({err})") from None
    except ValidationError as err:
        first = err.errors()[0]
        raise AssistantError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


DATA = load_demo_data()
DEMO_FIXTURES: dict[int, str] = DATA.fixtures
FIXTURE_CUSTOMER = DATA.fixture_customer
"""Lena Hoffmann (lena.hoffmann@example.com): owns 104233, 104156 and 103750."""
_BY_CODE = {c.code: c for c in DATA.countries}
_TRACKING = re.compile(r"([^{]+)|\{(digits|alnum):(\d+)\}")
_ALPHABETS = {"digits": "0123456789", "alnum": "0123456789ABCDEFGHJKLMNPRSTVWXYZ"}

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "æ": "ae"})


def build_demo_shop(
    db_path: Path,
    knowledge_dir: Path,
    customers: int = 220,
    orders: int = 1100,
    seed: int = 7,
    now: datetime | None = None,
    replace: bool = False,
) -> dict[str, int]:
    """Create the demo shop database from the catalogue in ``knowledge_dir``.

    Args:
        db_path: SQLite file to create (``<data_dir>/shop.sqlite`` by default in the CLI).
        knowledge_dir: The knowledge folder whose catalogue supplies products, variants and prices.
        customers: How many customers (at least 12).
        orders: How many orders, the fixtures included (at least 50).
        seed: Seed of the random generator; the same seed, catalogue and ``now`` give the same data.
        now: The moment the data is relative to (default: now); naive times count as UTC.
        replace: Delete an existing database file first; without it an existing shop with orders is an error.

    Returns:
        Rows per table, as :meth:`ShopDB.counts` reports them.

    Raises:
        AssistantError: The catalogue has no products, the arguments are too small, or the database already
            holds orders and ``replace`` is False.
    """
    if customers < 12 or orders < 50:
        raise AssistantError(f"a demo shop needs at least 12 customers and 50 orders, not {customers} and {orders}")
    kb = load_knowledge(knowledge_dir)
    if not kb.products:
        raise AssistantError(f"no products in the catalogue under {knowledge_dir}; run `python -m assistant kb check`")
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if replace:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with ShopDB(db_path) as shop:
        existing = shop.counts()["orders"]
        if existing:
            raise AssistantError(f"{db_path} already holds {existing} orders; rebuild it with --replace")
        gen = _Generator(kb.products, seed, moment, ShopPolicy(load_profile(knowledge_dir)))
        people = gen.customers(customers)
        made = gen.orders(people, orders)
        with shop.transaction() as db:
            save_products(db, [_product_row(p) for p in kb.products])
            save_customers(db, people)
            save_orders(db, made)
        shop.set_info(origin="demo", built_at=iso(moment) or "")
        return shop.counts()


def _product_row(p: Product) -> tuple[ProductRow, list[VariantRow]]:
    details = p.model_dump(mode="json", include={"gender", "materials", "care", "weight_g", "features", "description"})
    row = ProductRow(sku=p.sku, name=p.name, category=p.category, price=p.price, currency=p.currency, details=details)
    return row, [VariantRow(sku=p.sku, color=v.color, size=v.size, stock=v.stock) for v in p.variants]


@dataclass
class _Plan:
    """When things happen to one order (UTC); times after ``now`` have not happened yet."""

    status: str
    placed: datetime
    shipped: datetime | None = None
    expected: date | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None
    cancel_reason: str | None = None
    registered: datetime | None = None
    received: datetime | None = None
    refunded: datetime | None = None
    return_reason: str | None = None
    whole_return: bool = True


class _Generator:
    """Draws customers and orders; one random stream for customers and one for orders."""

    def __init__(self, products: Sequence[Product], seed: int, now: datetime, policy: ShopPolicy) -> None:
        self.products = list(products)
        self.now = now
        self.policy = policy
        self.profile = policy.profile
        self.tz = ZoneInfo(policy.profile.time_zone)
        self.crng = random.Random(f"{seed}:customers")
        self.rng = random.Random(f"{seed}:orders")
        self.popularity = [self.rng.lognormvariate(0, 0.8) for _ in self.products]
        self.sized = [i for i, p in enumerate(self.products) if p.category in DATA.sized_categories]
        self.pools = {
            sized: (pool, list(itertools.accumulate(self.popularity[i] for i in pool)))
            for sized, pool in (
                (False, list(range(len(self.products)))),
                (True, self.sized or list(range(len(self.products)))),
            )
        }
        self.tracking: set[str] = set()

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A wall-clock time of the shop's time zone on ``day``, in UTC."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    def _region(self, country: str) -> Region:
        return self.profile.region_of(country)

    # --- customers ---

    def customers(self, n: int) -> list[Customer]:
        rng = self.crng
        emails: set[str] = {"lena.hoffmann@example.com"}
        out = [
            Customer(
                id=FIXTURE_CUSTOMER,
                first_name="Lena",
                last_name="Hoffmann",
                email="lena.hoffmann@example.com",
                phone="+49 170 5550123",
                created_at=self.now - timedelta(days=700),
                addresses=[Address(street="Eppendorfer Weg 112", zip="20259", city="Hamburg", country="DE")],
            )
        ]
        codes = [c.code for c in DATA.countries]
        weights = [c.weight for c in DATA.countries]
        for i in range(1, n):
            country = _BY_CODE[rng.choices(codes, weights)[0]]
            names = DATA.names[country.names if rng.random() < 0.9 else rng.choice(list(DATA.names))]
            first, last = rng.choice(names.first), rng.choice(names.last)
            addresses = [self._address(country, rng)]
            if rng.random() < 0.25:
                other = country if rng.random() < 0.8 else _BY_CODE[rng.choices(codes, weights)[0]]
                partner = f"{rng.choice(names.first)} {last}" if rng.random() < 0.3 else None
                addresses.append(self._address(other, rng).model_copy(update={"name": partner}))
            out.append(
                Customer(
                    id=f"C{10001 + i}",
                    first_name=first,
                    last_name=last,
                    email=self._email(first, last, emails, rng),
                    phone=_phone(country.code, rng) if rng.random() < 0.85 else None,
                    created_at=self.now - timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 365 * 4)),
                    addresses=addresses,
                )
            )
        return out

    def _address(self, country: _Country, rng: random.Random) -> Address:
        city = rng.choices(country.cities, [c.weight for c in country.cities])[0]
        name, lo, hi, step = city.name, city.first_zip, city.last_zip, city.step
        number = lo + step * rng.randint(0, (hi - lo) // step)
        street = f"{rng.choice(country.streets)} {rng.randint(1, 160)}"
        if country.code == "NL":
            letters = "ABCEGHJKLMNPRTVWXZ"
            zip_code = f"{number} {rng.choice(letters)}{rng.choice(letters)}"
        elif country.code == "SE":
            zip_code = f"{number // 100} {number % 100:02d}"
        elif country.code in ("DE", "FI"):
            zip_code = f"{number:05d}"
        else:
            zip_code = f"{number:04d}"
        return Address(street=street, zip=zip_code, city=name, country=country.code)

    @staticmethod
    def _email(first: str, last: str, taken: set[str], rng: random.Random) -> str:
        def fold(text: str) -> str:
            text = text.lower().translate(_FOLD)
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
            return "".join(ch for ch in text if ch.isalnum())

        f, la = fold(first), fold(last)
        pattern = rng.choice([f"{f}.{la}", f"{f}{la}", f"{f[0]}.{la}", f"{f}.{la}{rng.randint(70, 99)}", f"{f}_{la}"])
        email = f"{pattern}@{rng.choice(DATA.email_domains)}"
        while email in taken:
            email = f"{pattern}{rng.randint(1, 999)}@{rng.choice(DATA.email_domains)}"
        taken.add(email)
        return email

    # --- orders ---

    def orders(self, people: list[Customer], n: int) -> list[Order]:
        rng = self.rng
        fixtures = self._fixtures(people)
        reserved = {o.id for o in fixtures}
        weights = [rng.paretovariate(1.6) for _ in people]
        plans: list[tuple[Customer, Address, str, bool, _Plan]] = []
        for _ in range(n - len(fixtures)):
            customer = rng.choices(people, weights)[0]
            address = customer.addresses[0] if rng.random() < 0.85 else rng.choice(customer.addresses)
            payment = self._payment(address.country)
            express = rng.random() < 0.08
            status = rng.choices(list(DATA.status_weights), list(DATA.status_weights.values()))[0]
            plans.append((customer, address, payment, express, self._plan(status, address.country, payment, express)))
        plans.sort(key=lambda p: p[4].placed)
        out = list(fixtures)
        number = 103000
        for customer, address, payment, express, plan in plans:
            while number in reserved:
                number += 1
            out.append(self._order(number, customer, address, payment, express, plan))
            number += 1 if rng.random() < 0.9 else rng.randint(2, 3)
        first_order: dict[str, datetime] = {}
        for o in out:
            first_order[o.customer_id] = min(o.placed_at, first_order.get(o.customer_id, o.placed_at))
        for i, c in enumerate(people):
            if c.id in first_order and c.created_at > first_order[c.id]:
                signup = first_order[c.id] - timedelta(minutes=self.crng.randint(5, 60 * 24 * 3))
                people[i] = c.model_copy(update={"created_at": signup})
        return sorted(out, key=lambda o: o.id)

    def _payment(self, country: str) -> str:
        methods = [
            m
            for m in DATA.payment_weights
            if m in self.profile.payments.methods and country in self.profile.payments.only_in.get(m, [country])
        ]
        return self.rng.choices(methods, [DATA.payment_weights[m] for m in methods])[0]

    def _dispatch(self, placed: datetime, payment: str) -> datetime:
        """When the parcel leaves: the same business day if placed by the cut-off, bank transfers once paid."""
        local = self._local(placed)
        day = local.date()
        if payment == "bank_transfer":
            day = add_business_days(day, self.rng.randint(1, 3))
        elif not (is_business_day(day) and local.time() < self.profile.orders.dispatch_cutoff):
            day = add_business_days(day, 1)
        return self._at(day, 16, 30) + timedelta(minutes=self.rng.randint(0, 120))

    def _transit(self, country: str, express: bool) -> tuple[int, int, int]:
        """Business days in transit: drawn, and the policy's range (a few parcels are a day or two late)."""
        region = self._region(country)
        span = region.express_transit_days if express and region.express_transit_days else region.transit_days
        lo, hi = span.min, span.max
        days = self.rng.randint(lo, hi) + (self.rng.randint(1, 2) if self.rng.random() < 0.04 else 0)
        return days, lo, hi

    def _deliver(self, shipped: datetime, days: int) -> datetime:
        day = add_business_days(self._local(shipped).date(), days)
        return self._at(day, 8, 30) + timedelta(minutes=self.rng.randint(0, 600))

    def _plan(self, status: str, country: str, payment: str, express: bool) -> _Plan:
        """Times for a random order with ``status``, drawn until they fit the status at ``now``."""
        rng, now = self.rng, self.now
        for _ in range(500):
            if status == "pending":
                return _Plan(status, now - timedelta(minutes=rng.randint(3, 57)))
            placed = now - timedelta(minutes=rng.randint(*_PLACED_MINUTES[status]))
            shipped = self._dispatch(placed, payment)
            if status == "processed":
                if shipped > now:
                    return _Plan(status, placed)
                continue
            if status == "cancelled":
                plan = self._cancelled(placed, shipped, payment)
                if plan:
                    return plan
                continue
            days, _, hi = self._transit(country, express)
            delivered = self._deliver(shipped, days)
            expected = add_business_days(self._local(shipped).date(), hi)
            if shipped > now:
                continue
            if status == "shipped":
                if delivered > now:
                    return _Plan(status, placed, shipped, expected, delivered)
                continue
            if delivered > now:
                continue
            plan = _Plan(status, placed, shipped, expected, delivered)
            if status == "delivered":
                return plan
            if self._returned(plan, country):
                return plan
        raise AssertionError(f"no timing found for a {status} order")  # pragma: no cover - ranges always fit

    def _cancelled(self, placed: datetime, shipped: datetime, payment: str) -> _Plan | None:
        rng, now = self.rng, self.now
        if payment == "bank_transfer" and rng.random() < 0.5:
            days = self.profile.payments.bank_transfer_days or 0
            at = placed + timedelta(days=days, minutes=rng.randint(0, 120))
            reason = f"bank transfer not received within {days} days"
        else:
            latest = min(shipped, now) - placed
            at = placed + timedelta(seconds=rng.randint(120, max(121, int(latest.total_seconds()) - 60)))
            reason = rng.choices(list(DATA.cancel_reasons), list(DATA.cancel_reasons.values()))[0]
        if at > now:
            return None
        return _Plan("cancelled", placed, cancelled=at, cancel_reason=reason)

    def _returned(self, plan: _Plan, country: str) -> bool:
        """Draw a return for a delivered order; True if its timing fits ``plan.status`` (returned or refunded)."""
        rng, now = self.rng, self.now
        assert plan.delivered is not None
        window = min(timedelta(days=self.profile.returns.window_days, hours=-4), now - plan.delivered)
        if window < timedelta(hours=3):
            return False
        plan.registered = plan.delivered + timedelta(seconds=rng.randint(3 * 3600, int(window.total_seconds())))
        received = plan.registered + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
        refunded = self._at(add_business_days(self._local(received).date(), rng.randint(1, 5)), 10) + timedelta(
            minutes=rng.randint(0, 420)
        )
        plan.return_reason = self._return_reason()
        plan.whole_return = rng.random() < 0.6
        if plan.status == "refunded":
            if refunded > now:
                return False
            plan.received, plan.refunded = received, refunded
            return True
        if refunded <= now:
            return False
        plan.received = received if received <= now else None
        return True

    def _return_reason(self) -> str:
        reasons = DATA.return_reasons
        return self.rng.choices(list(reasons), list(reasons.values()))[0]

    def _items(self, in_stock: bool, sized: bool = False) -> list[OrderItem]:
        rng = self.rng
        pool, cum_weights = self.pools[sized]
        count = rng.choices([1, 2, 3, 4], [50, 30, 14, 6])[0]
        chosen: list[OrderItem] = []
        seen: set[tuple[str, str, str | None]] = set()
        for _ in range(count * 3):
            if len(chosen) == count:
                break
            p = self.products[rng.choices(pool, cum_weights=cum_weights)[0]]
            variants = [v for v in p.variants if v.stock > 0] if in_stock else p.variants
            if not variants:
                continue
            v = rng.choice(variants)
            if (p.sku, v.color, v.size) in seen:
                continue
            seen.add((p.sku, v.color, v.size))
            quantity = rng.choices([1, 2, 3], [85, 12, 3] if p.category != "accessories" else [60, 30, 10])[0]
            if in_stock:
                quantity = min(quantity, v.stock)
            chosen.append(
                OrderItem(
                    line=len(chosen) + 1,
                    sku=p.sku,
                    name=p.name,
                    color=v.color,
                    size=v.size,
                    quantity=quantity,
                    unit_price=p.price,
                )
            )
        return chosen or self._items(in_stock=False, sized=sized)

    def _order(
        self,
        number: int,
        customer: Customer,
        address: Address,
        payment: str,
        express: bool,
        plan: _Plan,
        sized: bool = False,
    ) -> Order:
        rng, now = self.rng, self.now
        country = address.country
        items = self._items(in_stock=plan.status in ("pending", "processed"), sized=sized)
        subtotal = sum((it.total for it in items), Decimal("0.00"))
        discount = Decimal("0.00")
        code = rng.random()
        welcome, student = self.profile.discounts.get("welcome"), self.profile.discounts.get("student")
        if welcome and code < 0.06 and subtotal >= self.profile.discount_minimums.get("welcome", 0):
            discount = (subtotal * Decimal(welcome) / 100).quantize(Decimal("0.01"))
        elif student and code < 0.09:
            discount = (subtotal * Decimal(student) / 100).quantize(Decimal("0.01"))
        standard = self.policy.shipping_fee(country, subtotal - discount)
        shipping = self.policy.shipping_fee(country, subtotal - discount, express=express)
        delivery = address if address.name else address.model_copy(update={"name": customer.name})
        fulfilments: list[Fulfilment] = []
        delivered_at = plan.delivered if plan.delivered and plan.delivered <= now else None
        if plan.shipped is not None:
            carrier = self.policy.carrier(country, express=express)
            events = self._events(carrier, plan, address, now)
            fulfilments.append(
                Fulfilment(
                    carrier=carrier,
                    service="express" if express else "standard",
                    tracking_number=self._tracking_number(carrier),
                    shipped_at=plan.shipped,
                    expected_delivery=plan.expected,
                    delivered_at=delivered_at,
                    events=events,
                )
            )
        total = subtotal - discount + shipping
        returns: list[ReturnRecord] = []
        refunds: list[Refund] = []
        if plan.registered is not None:
            returns.append(self._return(plan, items, subtotal, discount, shipping, standard, country, payment))
        if plan.cancelled is not None and payment in ("paypal", "gift_card"):
            issued = plan.cancelled + timedelta(hours=rng.randint(2, 40))
            if issued <= now:
                refunds.append(Refund(amount=total, method=payment, reason="cancellation", issued_at=issued))
        moments = [plan.placed, plan.cancelled, plan.registered, plan.received, plan.refunded]
        moments += [e.at for f in fulfilments for e in f.events] + [r.issued_at for r in refunds]
        updated = max(m for m in moments if m is not None and m <= now)
        return Order(
            id=number,
            customer_id=customer.id,
            status=plan.status,
            placed_at=plan.placed,
            updated_at=updated,
            payment_method=payment,
            shipping_method="express" if express else "standard",
            subtotal=subtotal,
            discount=discount,
            shipping_cost=shipping,
            total=total,
            delivery_address=delivery,
            cancelled_at=plan.cancelled,
            cancel_reason=plan.cancel_reason,
            delivered_at=delivered_at,
            items=items,
            fulfilments=fulfilments,
            returns=returns,
            refunds=refunds,
        )

    def _return(
        self,
        plan: _Plan,
        items: list[OrderItem],
        subtotal: Decimal,
        discount: Decimal,
        shipping: Decimal,
        standard: Decimal,
        country: str,
        payment: str,
    ) -> ReturnRecord:
        """The return with its refund: items at the price paid, minus the label fee, plus shipping where due."""
        assert plan.registered is not None and plan.return_reason is not None
        rng = self.rng
        if plan.whole_return or (len(items) == 1 and items[0].quantity == 1):
            back = [ReturnItem(line=it.line, quantity=it.quantity) for it in items]
        else:
            picked = rng.sample(items, rng.randint(1, len(items)))
            back = [ReturnItem(line=it.line, quantity=rng.randint(1, it.quantity)) for it in picked]
            back.sort(key=lambda r: r.line)
        by_line = {it.line: it for it in items}
        value = sum((by_line[r.line].unit_price * r.quantity for r in back), Decimal("0.00"))
        paid = (value * (subtotal - discount) / subtotal).quantize(Decimal("0.01"))
        whole = all(r.quantity == by_line[r.line].quantity for r in back) and len(back) == len(items)
        faulty = plan.return_reason in ("faulty", "wrong_item")
        fee = self.policy.return_label_fee(country, faulty=faulty)
        if faulty:
            paid += shipping
        elif whole:
            paid += standard
        refund = None
        if plan.refunded is not None:
            refund = Refund(amount=paid - fee, method=payment, reason="return", issued_at=plan.refunded)
        status = "refunded" if refund else "received" if plan.received else "registered"
        return ReturnRecord(
            registered_at=plan.registered,
            reason=plan.return_reason,
            status=status,
            received_at=plan.received,
            label_fee=fee,
            items=back,
            refund=refund,
        )

    def _tracking_number(self, carrier: str) -> str:
        """A new number in the carrier's format (:attr:`DemoData.tracking_numbers`)."""
        formats = DATA.tracking_numbers
        runs = _TRACKING.findall(formats.get(carrier, formats["default"]))
        while True:
            number = "".join(
                text or "".join(self.rng.choices(_ALPHABETS[kind], k=int(count))) for text, kind, count in runs
            )
            if number not in self.tracking:
                self.tracking.add(number)
                return number

    def _events(self, carrier: str, plan: _Plan, address: Address, now: datetime) -> list[TrackingEvent]:
        """The carrier's scans up to ``now``: label, pick-up, parcel centre, border, depot, delivery."""
        assert plan.shipped is not None
        rng = self.rng
        shipped = plan.shipped
        home = ", ".join(p for p in (self.profile.warehouse_city, self.profile.warehouse_country) if p)
        there = f"{address.city}, {address.country}"
        events = [
            TrackingEvent(
                at=shipped - timedelta(minutes=rng.randint(60, 240)),
                status="label_created",
                location=home,
                description=f"Shipment information sent to {carrier} electronically",
            ),
            TrackingEvent(
                at=shipped, status="picked_up", location=home, description=f"Parcel handed over to {carrier}"
            ),
            TrackingEvent(
                at=shipped + timedelta(minutes=rng.randint(120, 300)),
                status="in_transit",
                location=home,
                description=f"Processed at the {carrier} parcel centre",
            ),
        ]
        if address.country != "DE":
            events.append(
                TrackingEvent(
                    at=shipped + timedelta(hours=rng.randint(14, 30)),
                    status="in_transit",
                    location=address.country,
                    description="Arrived in the destination country",
                )
            )
        if plan.delivered is not None:
            day = self._local(plan.delivered).date()
            if rng.random() < 0.05 and plan.delivered - shipped > timedelta(days=2):
                before = self._at(day - timedelta(days=1 if day.weekday() else 3), 11) + timedelta(
                    minutes=rng.randint(0, 300)
                )
                events.append(
                    TrackingEvent(
                        at=before,
                        status="delivery_attempted",
                        location=there,
                        description="Recipient not at home; next attempt on the next business day",
                    )
                )
            events += [
                TrackingEvent(
                    at=self._at(day, 5) + timedelta(minutes=rng.randint(0, 90)),
                    status="in_transit",
                    location=there,
                    description="Arrived at the delivery depot",
                ),
                TrackingEvent(
                    at=self._at(day, 7, 30) + timedelta(minutes=rng.randint(0, 50)),
                    status="out_for_delivery",
                    location=there,
                    description="Out for delivery",
                ),
                TrackingEvent(
                    at=plan.delivered,
                    status="delivered",
                    location=there,
                    description=rng.choices(
                        [
                            "Delivered to the recipient",
                            "Delivered to a neighbour",
                            "Left at the agreed safe place",
                            "Delivered to a parcel locker",
                        ],
                        [70, 15, 10, 5],
                    )[0],
                ),
            ]
        events.sort(key=lambda e: e.at)
        return [e for e in events if e.at <= now]

    # --- the well-known records ---

    def _fixtures(self, people: list[Customer]) -> list[Order]:
        """The orders of :data:`DEMO_FIXTURES`, with fixed timings relative to ``now``."""
        now, rng = self.now, self.rng
        lena = people[0]

        def ago(**kw: float) -> datetime:
            return now - timedelta(**kw)

        in_country = {
            code: [c for c in people[1:] if c.addresses[0].country == code] or people[1:] for code in ("DE", "AT", "NL")
        }

        def pick(code: str, city: str | None = None) -> Customer:
            pool = [c for c in in_country[code] if city is None or c.addresses[0].city == city] or in_country[code]
            return rng.choice(pool)

        today = self._local(now).date()

        def in_transit(days_ago: int, expected: date) -> _Plan:
            shipped = self._at(today - timedelta(days=days_ago), 17, 10)
            return _Plan("shipped", shipped - timedelta(hours=5), shipped=shipped, expected=expected)

        def delivered(status: str, days_ago: int, **returned: Any) -> _Plan:
            at = self._at(today - timedelta(days=days_ago), 11, 20)
            shipped = self._at(today - timedelta(days=days_ago + 2), 17, 10)
            expected = today - timedelta(days=days_ago - 1)
            return _Plan(status, shipped - timedelta(hours=5), shipped, expected, at, **returned)

        cancelled = _Plan(
            "cancelled", ago(days=10, minutes=35), cancelled=ago(days=10), cancel_reason="ordered the wrong size"
        )
        returned = delivered("returned", 8, registered=ago(days=3), return_reason="too_small")
        refunded = delivered(
            "refunded",
            25,
            registered=ago(days=20),
            received=ago(days=16),
            refunded=ago(days=14),
            return_reason="changed_mind",
        )
        specs: list[tuple[int, Customer, str, bool, _Plan, bool]] = [
            (104250, pick("DE"), "card", False, _Plan("pending", ago(minutes=20)), False),
            (104247, pick("DE"), "klarna_pay_later", False, _Plan("processed", ago(hours=2)), False),
            (
                104236,
                pick("AT", "Wien"),
                "card",
                True,
                in_transit(1, today + timedelta(days=1)),
                False,
            ),
            (
                104233,
                lena,
                "card",
                False,
                in_transit(1, today + timedelta(days=2)),
                False,
            ),
            (104156, lena, "paypal", False, delivered("delivered", 6), False),
            (104146, pick("DE"), "paypal", False, cancelled, False),
            (104135, pick("DE"), "card", False, returned, True),
            (
                104073,
                pick("AT"),
                "paypal",
                False,
                in_transit(16, today - timedelta(days=8)),
                False,
            ),
            (103958, pick("NL"), "paypal", False, refunded, False),
            (103917, pick("DE"), "klarna_pay_later", False, delivered("delivered", 29), False),
            (103750, lena, "klarna_pay_later", False, delivered("delivered", 45), False),
        ]
        out = []
        for number, customer, payment, express, plan, sized in specs:
            address = customer.addresses[0]
            out.append(self._order(number, customer, address, payment, express, plan, sized=sized))
        return out


_PLACED_MINUTES = {
    "processed": (61, 60 * 24 * 4),
    "shipped": (60 * 3, 60 * 24 * 15),
    "delivered": (60 * 24 * 2, 60 * 24 * 118),
    "returned": (60 * 24 * 3, 60 * 24 * 45),
    "refunded": (60 * 24 * 8, 60 * 24 * 118),
    "cancelled": (70, 60 * 24 * 118),
}


def _phone(country: str, rng: random.Random) -> str:
    def digits(k: int) -> str:
        return "".join(rng.choices("0123456789", k=k))

    return {
        "DE": lambda: f"+49 1{rng.choice('567')}{rng.randint(0, 9)} {digits(8)}",
        "AT": lambda: f"+43 6{rng.choice('5678')}{rng.randint(0, 9)} {digits(7)}",
        "CH": lambda: f"+41 7{rng.choice('56789')} {digits(3)} {digits(2)} {digits(2)}",
        "NL": lambda: f"+31 6 {digits(8)}",
        "BE": lambda: f"+32 4{rng.choice('789')}{rng.randint(0, 9)} {digits(2)} {digits(2)} {digits(2)}",
        "DK": lambda: f"+45 {rng.choice('23')}{digits(1)} {digits(2)} {digits(2)} {digits(2)}",
        "SE": lambda: f"+46 7{rng.choice('0236')} {digits(3)} {digits(2)} {digits(2)}",
        "NO": lambda: f"+47 {rng.choice('49')}{digits(2)} {digits(2)} {digits(3)}",
        "FI": lambda: f"+358 4{rng.randint(0, 5)} {digits(3)} {digits(4)}",
    }[country]()
