"""What the assistant tells a customer about an order: its status, a late parcel's procedure, its refunds.

Reading only: nothing here writes. The rules (return deadline, when a parcel is late) are
:class:`~assistant.shop.policy.ShopPolicy`'s; the sentences are ``prompts/orders.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from assistant.shop.plans import LateParcel, UnknownOrderError
from assistant.shop.policy import ShopPolicy
from assistant.shop.records import Order
from assistant.shop.store import ShopDB
from assistant.shop.wording import OrderWording, money


class OrderStatus:
    """Order status and refund replies, from the shop database under the shop's policy."""

    def __init__(self, db: ShopDB, now: Callable[[], datetime], policy: ShopPolicy, wording: OrderWording) -> None:
        self.db = db
        self.now = now
        self.policy = policy
        self.say = wording.say
        self._paid_to = wording.paid_to

    def status(self, order_id: int | str) -> str:
        """Items, status, tracking and expected delivery of an order, as a reply."""
        order = self._order(order_id)
        total = money(order.total, order.currency)
        items = "; ".join(i.label for i in order.items)
        lines = [
            self.say("status_header", order=order.id, placed=f"{order.placed_at:%d %b %Y}", items=items, total=total)
        ]
        parcel = order.fulfilment
        if order.status in ("pending", "processed"):
            lines.append(self.say(f"status_{order.status}"))
        elif order.status == "shipped" and parcel:
            last = parcel.last_event
            late = self.late_parcel(order.id)
            lines.append(
                self.say(
                    "status_shipped",
                    shipped=f"{parcel.shipped_at:%d %b}",
                    carrier=parcel.carrier,
                    tracking=parcel.tracking_number,
                    expected=f"{parcel.expected_delivery:%a %d %b}" if parcel.expected_delivery else "",
                    days_late=late.days_late if late else None,  # due Friday, not there Saturday: overdue
                    last=(last.description or last.status) if last else "",
                    last_at=f"{last.at:%d %b %H:%M}" if last else "",
                )
            )
            if late:
                lines.append(self._late_procedure(late))
        elif order.status == "delivered" and order.delivered_at:
            deadline = self.policy.return_deadline(order)
            open_until = f"{deadline:%d %b %Y}" if deadline and deadline > self.now() else ""
            lines.append(self.say("status_delivered", delivered=f"{order.delivered_at:%d %b %Y}", deadline=open_until))
        elif order.status == "cancelled":
            when = f"{order.cancelled_at:%d %b %Y}" if order.cancelled_at else ""
            lines.append(self.say("status_cancelled", cancelled=when))
        else:
            lines.append(self.say("status_closed", status=order.status, refunds=self.refund_status(order.id)))
        return " ".join(lines)

    def late_parcel(self, order_id: int | str) -> LateParcel | None:
        """The delay of a shipped order past its expected delivery day; None when it is not late."""
        return self.policy.late_parcel(self._order(order_id), self.now().date())

    def _late_procedure(self, late: LateParcel) -> str:
        """The shipping policy's late-parcel steps for this parcel."""
        outcome = self.say("late_outcome")
        if late.search_due:
            return self.say("late_search_now", outcome=outcome)
        return self.say("late_wait", search_from=f"{late.search_from:%a %d %b}", outcome=outcome)

    def refund_status(self, order_id: int | str) -> str:
        """Returns and refunds of an order, as a reply."""
        order = self._order(order_id)
        paid_to = self._paid_to(order.payment_method)
        parts = [
            self.say(
                "refund_issued",
                amount=money(r.amount, order.currency),
                paid_to=paid_to,
                issued=f"{r.issued_at:%d %b %Y}",
            )
            for r in order.all_refunds
        ]
        for r in (r for r in order.returns if r.refund is None):
            if r.status == "received" and r.received_at:
                parts.append(self.say("return_arrived", received=f"{r.received_at:%d %b}", paid_to=paid_to))
            else:
                parts.append(self.say("return_on_its_way", registered=f"{r.registered_at:%d %b}", paid_to=paid_to))
        return " ".join(parts) or self.say("no_refund", order=order.id)

    def _order(self, order_id: int | str) -> Order:
        order = self.db.order(order_id)
        if order is None:
            raise UnknownOrderError(f"there is no order {order_id}")
        return order
