"""The shop's rules, every number from its profile (``knowledge/shop.yaml``): what may happen to an order, and when.

    policy = ShopPolicy(load_profile(Path("knowledge")))
    policy.cancel_refusal(order)            # None, or the RefusalKind that forbids it
    policy.return_deadline(order)           # delivery + the return window
    policy.late_parcel(order, today)        # LateParcel, or None when it is on time

The rules answer with kinds and dates; the sentences customers read are in ``prompts/orders.yaml``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from assistant.shop.business_days import add_business_days, business_days_between
from assistant.shop.plans import LateParcel, RefusalKind
from assistant.shop.profile import Region, ShopProfile, load_profile
from assistant.shop.records import Order


class ShopPolicy:
    """The terms of sale, returns and shipping policy of one shop, as rules on orders.

    Args:
        profile: The shop's profile; every number comes from it.
    """

    def __init__(self, profile: ShopProfile) -> None:
        self.profile = profile

    @classmethod
    def installed(cls) -> ShopPolicy:
        """The policy of the shop the settings point at (``SHOP_KNOWLEDGE_DIR``)."""
        from assistant.settings import Settings

        return _policy(Settings().knowledge_dir.resolve())

    # --- orders -------------------------------------------------------------------------

    def cancel_refusal(self, order: Order) -> RefusalKind | None:
        """Why the order can no longer be cancelled; None when it can."""
        if order.status in self.profile.orders.cancellable:
            return None
        return _AFTER_DISPATCH.get(order.status, RefusalKind.closed)

    def change_refusal(self, order: Order, now: datetime) -> RefusalKind | None:
        """Why items, quantities or the address of the order can no longer be changed; None when they can."""
        rules = self.profile.orders
        window = rules.change_window
        late = window is None or now - order.placed_at > window  # a shop system that has not marked it processed yet
        if order.status in rules.changeable and not late:
            return None
        if order.status in ("pending", "processed", *rules.changeable):
            return RefusalKind.change_window_closed
        return _AFTER_DISPATCH.get(order.status, RefusalKind.closed)

    def return_deadline(self, order: Order) -> datetime | None:
        """Last moment to register a return (the return window after delivery); None before delivery."""
        if order.delivered_at is None:
            return None
        return order.delivered_at + timedelta(days=self.profile.returns.window_days)

    def return_refusal(self, order: Order, now: datetime) -> RefusalKind | None:
        """Why the order cannot be returned at all; None when a return (of something in it) is possible."""
        if order.status != "delivered" or order.delivered_at is None:
            return _NOT_RETURNABLE.get(order.status, RefusalKind.closed)
        deadline = self.return_deadline(order)
        assert deadline is not None
        return RefusalKind.return_window_closed if now > deadline else None

    # --- parcels ------------------------------------------------------------------------

    def late_parcel(self, order: Order, today: date) -> LateParcel | None:
        """The delay of a shipped order past its expected delivery day; None when it is not late."""
        parcel = order.fulfilment
        if order.status != "shipped" or parcel is None or parcel.expected_delivery is None:
            return None
        if parcel.expected_delivery >= today:
            return None
        rules = self.profile.late_parcels
        days_late = business_days_between(parcel.expected_delivery, today)
        return LateParcel(
            order_id=order.id,
            expected=parcel.expected_delivery,
            days_late=days_late,
            search_from=add_business_days(parcel.expected_delivery, rules.search_after_business_days),
            search_due=days_late >= rules.search_after_business_days,
        )

    # --- shipping -----------------------------------------------------------------------

    def region(self, country: str) -> Region:
        return self.profile.region_of(country)

    def carrier(self, country: str, express: bool = False) -> str:
        """Who carries a parcel to the country."""
        express_carrier = self.profile.shipping.express_carrier
        return express_carrier if express and express_carrier else self.region(country).carrier

    def shipping_fee(self, country: str, goods: Decimal, express: bool = False) -> Decimal:
        """What shipping costs for goods worth ``goods`` (after discounts); express is always charged in full."""
        region = self.region(country)
        if express and region.express_fee is not None:
            return region.express_fee
        if region.free_from is not None and goods >= region.free_from:
            return Decimal("0.00")
        return region.standard_fee

    def return_label_fee(self, country: str, faulty: bool = False) -> Decimal:
        """Deducted from a return's refund; faulty items and regions without a label pay nothing to the shop."""
        fee = self.region(country).return_label_fee
        return Decimal("0.00") if faulty or fee is None else fee


_AFTER_DISPATCH = {
    "shipped": RefusalKind.already_dispatched,
    "delivered": RefusalKind.already_delivered,
}
_NOT_RETURNABLE = {
    "pending": RefusalKind.not_dispatched,
    "processed": RefusalKind.not_dispatched,
    "shipped": RefusalKind.not_delivered,
    "returned": RefusalKind.already_returned,
    "refunded": RefusalKind.already_returned,
}


@lru_cache(maxsize=8)
def _policy(knowledge_dir: Path) -> ShopPolicy:
    return ShopPolicy(load_profile(knowledge_dir))
