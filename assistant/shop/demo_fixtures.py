"""The demo shop's well-known orders (:data:`DEMO_FIXTURES`): fixed numbers and timings relative to ``now``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from assistant.shop.demo_data import _Plan
from assistant.shop.records import (
    Customer,
    Order,
)

if TYPE_CHECKING:
    from assistant.shop.demo_orders import _Generator


def fixture_orders(gen: _Generator, people: list[Customer]) -> list[Order]:
    """The orders of :data:`DEMO_FIXTURES`, with fixed timings relative to ``now``."""
    now, rng = gen.now, gen.rng
    lena = people[0]

    def ago(**kw: float) -> datetime:
        return now - timedelta(**kw)

    in_country = {
        code: [c for c in people[1:] if c.addresses[0].country == code] or people[1:] for code in ("DE", "AT", "NL")
    }

    def pick(code: str, city: str | None = None) -> Customer:
        pool = [c for c in in_country[code] if city is None or c.addresses[0].city == city] or in_country[code]
        return rng.choice(pool)

    today = gen._local(now).date()
    window = gen.profile.returns.window_days  # 103917's return window closes tomorrow, 103750's is long over

    def in_transit(days_ago: int, expected: date) -> _Plan:
        shipped = gen._at(today - timedelta(days=days_ago), 17, 10)
        return _Plan("shipped", shipped - timedelta(hours=5), shipped=shipped, expected=expected)

    def delivered(status: str, days_ago: int, **returned: Any) -> _Plan:
        at = gen._at(today - timedelta(days=days_ago), 11, 20)
        shipped = gen._at(today - timedelta(days=days_ago + 2), 17, 10)
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
        (103917, pick("DE"), "klarna_pay_later", False, delivered("delivered", window - 1), False),
        (103750, lena, "klarna_pay_later", False, delivered("delivered", window + 15), False),
    ]
    out = []
    for number, customer, payment, express, plan, sized in specs:
        address = customer.addresses[0]
        out.append(gen._order(number, customer, address, payment, express, plan, sized=sized))
    return out
