"""Drawing the demo shop's orders: when each happens, what is in it, what it cost, its parcel and its return."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from assistant.knowledge import Product
from assistant.shop.business_days import add_business_days, is_business_day
from assistant.shop.demo_data import DATA, _Plan
from assistant.shop.demo_parcels import parcel_events, tracking_number
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import Region
from assistant.shop.records import (
    Address,
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    Refund,
    ReturnItem,
    ReturnRecord,
)


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

    # --- orders ---

    def orders(self, people: list[Customer], n: int, fixtures: list[Order]) -> list[Order]:
        """``n`` orders in all: the well-known ``fixtures`` (drawn first) and random ones around them."""
        rng = self.rng
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
            events = parcel_events(self, carrier, plan, address, now)
            fulfilments.append(
                Fulfilment(
                    carrier=carrier,
                    service="express" if express else "standard",
                    tracking_number=tracking_number(self, carrier),
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


_PLACED_MINUTES = {
    "processed": (61, 60 * 24 * 4),
    "shipped": (60 * 3, 60 * 24 * 15),
    "delivered": (60 * 24 * 2, 60 * 24 * 118),
    "returned": (60 * 24 * 3, 60 * 24 * 45),
    "refunded": (60 * 24 * 8, 60 * 24 * 118),
    "cancelled": (70, 60 * 24 * 118),
}
