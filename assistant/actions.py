"""What the assistant can do with an order, each with the shop's rules checked in code.

    actions = OrderActions(ShopDB(path))
    customer = actions.verify(104233, email="anna@example.com")   # None: not proven
    plan = actions.plan_cancel(104233, reason="ordered twice")      # a Plan, or a Refusal with the reason
    result = actions.apply(plan, actor="assistant", turn_id="...")  # re-checked and written in one transaction

Reading (``status``, ``refund_status``) and planning never write. ``apply`` writes the
change, the order's new state and an audit row (who, when, before, after, turn id) in
one transaction, after checking the policy again against the order as it is then. The
dialogue loop only calls ``apply`` with a plan the verified customer said yes to.

The rules follow the shop's terms of sale and returns policy (``knowledge/``):
orders can be cancelled until dispatch (pending or processed), changed (items,
quantities, delivery address) only while pending and within the first hour,
and returned or exchanged within 30 days of delivery. Refunds go to the original
payment method.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from assistant.business_days import add_business_days, business_days_between
from assistant.shopdb import RETURN_DAYS, Address, Customer, Order, ShopDB, cents, iso

ActionName = Literal["cancel", "change_address", "change_item", "return", "exchange"]
CANCELLABLE = ("pending", "processed")
CHANGEABLE = ("pending",)
CHANGE_WINDOW = timedelta(hours=1)
"""Items, quantities and the delivery address can be changed within this time of placing the order."""
SEARCH_AFTER_DAYS = 5
"""Business days after the expected delivery day before the shop starts a search with the carrier."""
SEARCH_TAKES_DAYS = 7
"""Business days the carrier has to find a lost parcel before the shop replaces or refunds it."""
PAYMENT_NAMES = {
    "card": "your card",
    "paypal": "PayPal",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
    "klarna_pay_later": "Klarna",
    "klarna_instalments": "Klarna",
    "bank_transfer": "your bank account",
    "gift_card": "a gift card",
}


class Refusal(BaseModel):
    """The policy forbids the action; ``reason`` is said to the customer as it is."""

    action: ActionName
    order_id: int
    reason: str


class Plan(BaseModel):
    """An allowed change, not yet made: what the customer is asked to confirm."""

    action: ActionName
    order_id: int
    summary: str
    """Exactly what will change, in one or two sentences."""
    args: dict[str, Any] = {}


class ActionResult(BaseModel):
    """A change that was made, with its audit row."""

    action: ActionName
    order_id: int
    message: str
    audit_id: int


class LateParcel(BaseModel):
    """A shipped parcel past its expected delivery day, and what the shipping policy says happens next."""

    order_id: int
    expected: date
    days_late: int
    """Business days since the expected delivery day."""
    search_from: date
    """The day the shop starts a search with the carrier if the parcel has still not arrived."""

    @property
    def search_due(self) -> bool:
        return self.days_late >= SEARCH_AFTER_DAYS


class ItemChange(BaseModel):
    """A new colour, size or quantity for one order line (quantity 0 removes it)."""

    line: int
    color: str | None = None
    size: str | None = None
    quantity: int | None = None


def _fold(text: str) -> str:
    """Lowercase without accents or extra spaces: 'Jürgen  Müller' ~ 'jurgen muller'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").split())


def money(amount: Decimal, currency: str = "EUR") -> str:
    return f"{amount:,.2f} {currency}"


class OrderActions:
    """Look up, verify and change orders in the shop database under the shop's policy.

    Args:
        db: The shop database.
        now: The clock (UTC); tests pass a fixed one.
    """

    def __init__(self, db: ShopDB, now: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.now = now or (lambda: datetime.now(UTC))

    # --- identity ---------------------------------------------------------------

    def verify(
        self,
        order_id: int | str,
        email: str | None = None,
        name: str | None = None,
        zip_code: str | None = None,
    ) -> Customer | None:
        """The order's customer if the details prove it: email plus order number, or name plus zip code."""
        order = self.db.order(order_id)
        if order is None:
            return None
        customer = self.db.customer(order.customer_id)
        if customer is None:
            return None
        if email and email.strip().lower() == customer.email:
            return customer
        if name and zip_code:
            zips = {order.delivery_address.zip, *(a.zip for a in customer.addresses)}
            wanted = _fold(name)
            names = {_fold(customer.name), _fold(order.delivery_address.name or "")}
            if wanted in names and zip_code.replace(" ", "") in {z.replace(" ", "") for z in zips}:
                return customer
        return None

    # --- reading ------------------------------------------------------------------

    def status(self, order_id: int | str) -> str:
        """Items, status, tracking and expected delivery of an order, as a reply."""
        order = self._order(order_id)
        items = "; ".join(i.label for i in order.items)
        placed = order.placed_at.strftime("%d %b %Y")
        lines = [f"Order {order.id} (placed {placed}): {items}. Total {money(order.total, order.currency)}."]
        parcel = order.fulfilment
        if order.status == "pending":
            lines.append("It is confirmed and waits to go to our warehouse; it can still be changed or cancelled.")
        elif order.status == "processed":
            lines.append("It is being prepared in our warehouse and has not been dispatched yet.")
        elif order.status == "shipped" and parcel:
            last = parcel.last_event
            when = f", expected on {parcel.expected_delivery:%a %d %b}" if parcel.expected_delivery else ""
            late = self.late_parcel(order.id)
            if late:  # expected on a Friday, not there on Saturday: overdue, but no business day late yet
                n = late.days_late
                when += f", so it is {n} business day{'s' * (n != 1)} late" if n else ", so it is overdue"
            seen = f" Last update: {last.description or last.status} ({last.at:%d %b %H:%M})." if last else ""
            lines.append(
                f"It was dispatched on {parcel.shipped_at:%d %b} with {parcel.carrier}, "
                f"tracking number {parcel.tracking_number}{when}.{seen}"
            )
            if late:
                lines.append(self._late_procedure(late))
        elif order.status == "delivered" and order.delivered_at:
            deadline = order.return_deadline
            lines.append(
                f"It was delivered on {order.delivered_at:%d %b %Y}."
                + (f" Returns are possible until {deadline:%d %b %Y}." if deadline and deadline > self.now() else "")
            )
        elif order.status == "cancelled":
            lines.append(f"It was cancelled{f' on {order.cancelled_at:%d %b %Y}' if order.cancelled_at else ''}.")
        else:
            lines.append(f"It was {order.status}. " + self.refund_status(order.id))
        return " ".join(lines)

    def late_parcel(self, order_id: int | str) -> LateParcel | None:
        """The delay of a shipped order past its expected delivery day; None when it is not late."""
        order = self._order(order_id)
        parcel = order.fulfilment
        if order.status != "shipped" or parcel is None or parcel.expected_delivery is None:
            return None
        today = self.now().date()
        if parcel.expected_delivery >= today:
            return None
        return LateParcel(
            order_id=order.id,
            expected=parcel.expected_delivery,
            days_late=business_days_between(parcel.expected_delivery, today),
            search_from=add_business_days(parcel.expected_delivery, SEARCH_AFTER_DAYS),
        )

    @staticmethod
    def _late_procedure(late: LateParcel) -> str:
        """The shipping policy's late-parcel steps for this parcel."""
        outcome = (
            f"If the carrier cannot find it within {SEARCH_TAKES_DAYS} business days, we send you a replacement "
            "(if the item is in stock) or refund you in full; you never pay for a parcel the carrier lost."
        )
        if late.search_due:
            return (
                "That is long enough for us to start a search with the carrier, so I am passing this to a colleague "
                f"who starts it today. {outcome}"
            )
        return (
            "Please check with your neighbours and at the nearest Packstation or post office. If it has still not "
            f"arrived by {late.search_from:%a %d %b}, tell us and we start a search with the carrier. {outcome}"
        )

    def refund_status(self, order_id: int | str) -> str:
        """Returns and refunds of an order, as a reply."""
        order = self._order(order_id)
        paid_to = PAYMENT_NAMES[order.payment_method]
        parts = [
            f"{money(r.amount, order.currency)} was refunded to {paid_to} on {r.issued_at:%d %b %Y}."
            for r in order.all_refunds
        ]
        waiting = [r for r in order.returns if r.refund is None]
        for r in waiting:
            if r.status == "received" and r.received_at:
                parts.append(
                    f"Your return arrived on {r.received_at:%d %b}; the refund to {paid_to} "
                    "is issued within 5 business days of arrival."
                )
            else:
                parts.append(
                    f"Your return registered on {r.registered_at:%d %b} has not arrived at our warehouse yet; "
                    f"once it does, the refund to {paid_to} follows within 5 business days."
                )
        return " ".join(parts) or f"There is no refund for order {order.id}: nothing was cancelled or returned."

    # --- planning -------------------------------------------------------------------

    def plan_cancel(self, order_id: int | str, reason: str = "") -> Plan | Refusal:
        order = self._order(order_id)
        if refusal := self._cancel_refusal(order):
            return refusal
        refund = f" {money(order.total, order.currency)} goes back to {PAYMENT_NAMES[order.payment_method]}."
        return Plan(
            action="cancel",
            order_id=order.id,
            summary=f"Cancel order {order.id} ({'; '.join(i.label for i in order.items)}).{refund}",
            args={"reason": reason.strip()[:200] or "customer request"},
        )

    def plan_change_address(self, order_id: int | str, address: Address) -> Plan | Refusal:
        order = self._order(order_id)
        if refusal := self._change_refusal(order, "change_address", "the delivery address"):
            return refusal
        if not address.name:
            address = address.model_copy(update={"name": order.delivery_address.name})
        return Plan(
            action="change_address",
            order_id=order.id,
            summary=(
                f"Change the delivery address of order {order.id} from {order.delivery_address.one_line()} "
                f"to {address.one_line()}."
            ),
            args={"address": address.model_dump()},
        )

    def plan_change_item(self, order_id: int | str, change: ItemChange) -> Plan | Refusal:
        order = self._order(order_id)
        if refusal := self._change_refusal(order, "change_item", "items"):
            return refusal
        item = next((i for i in order.items if i.line == change.line), None)
        if item is None:
            return Refusal(
                action="change_item", order_id=order.id, reason=f"Order {order.id} has no item {change.line}."
            )
        if change.quantity == 0:
            if len(order.items) == 1:
                return Refusal(
                    action="change_item",
                    order_id=order.id,
                    reason=f"That is the only item of order {order.id}; I can cancel the order instead.",
                )
            return Plan(
                action="change_item",
                order_id=order.id,
                summary=f"Remove {item.label} from order {order.id}; the total drops by "
                f"{money(item.total, order.currency)}.",
                args=change.model_dump(),
            )
        color = change.color or item.color
        size = change.size if change.size is not None else item.size
        quantity = change.quantity or item.quantity
        if not 1 <= quantity <= 99:
            return Refusal(action="change_item", order_id=order.id, reason="A quantity must be between 1 and 99.")
        same_variant = color.lower() == item.color.lower() and (size or "").lower() == (item.size or "").lower()
        stock = self.db.variant_stock(item.sku, color, size)
        if stock is None:
            return Refusal(
                action="change_item",
                order_id=order.id,
                reason=f"{item.name} does not come in {color}{f' {size}' if size else ''}.",
            )
        needed = quantity - item.quantity if same_variant else quantity
        if needed > stock:
            return Refusal(
                action="change_item",
                order_id=order.id,
                reason=f"{item.name} in {color}{f' {size}' if size else ''} has only {stock} in stock.",
            )
        new_label = f"{quantity} x {item.name} ({color}{f' {size}' if size else ''})"
        return Plan(
            action="change_item",
            order_id=order.id,
            summary=f"Change {item.label} in order {order.id} to {new_label}.",
            args={"line": item.line, "color": color, "size": size, "quantity": quantity},
        )

    def plan_return(
        self,
        order_id: int | str,
        lines: dict[int, int] | None = None,
        reason: str = "",
        exchange: ItemChange | None = None,
    ) -> Plan | Refusal:
        """A return of some lines (line -> quantity; all by default) or an exchange of one line for another variant."""
        action: ActionName = "exchange" if exchange else "return"
        order = self._order(order_id)
        if order.status != "delivered" or order.delivered_at is None:
            why = {
                "pending": "it has not been dispatched yet; I can cancel it instead",
                "processed": "it has not been dispatched yet; I can cancel it instead",
                "shipped": "it has not been delivered yet; once it arrives you have 30 days",
                "cancelled": "it was cancelled",
                "returned": "it has already been returned",
                "refunded": "it has already been returned and refunded",
            }[order.status]
            return Refusal(action=action, order_id=order.id, reason=f"Order {order.id} cannot be returned: {why}.")
        deadline = order.return_deadline
        assert deadline is not None
        if self.now() > deadline:
            return Refusal(
                action=action,
                order_id=order.id,
                reason=(
                    f"Order {order.id} was delivered on {order.delivered_at:%d %b %Y}; the {RETURN_DAYS}-day return "
                    f"window ended on {deadline:%d %b %Y}. A faulty item is still covered by the warranty."
                ),
            )
        returned: dict[int, int] = {}
        for r in order.returns:
            for ri in r.items:
                returned[ri.line] = returned.get(ri.line, 0) + ri.quantity
        if exchange:
            lines = {exchange.line: 1}
        lines = lines or {i.line: i.quantity - returned.get(i.line, 0) for i in order.items}
        lines = {k: v for k, v in lines.items() if v > 0}
        chosen = []
        for line, qty in lines.items():
            item = next((i for i in order.items if i.line == line), None)
            if item is None:
                return Refusal(action=action, order_id=order.id, reason=f"Order {order.id} has no item {line}.")
            if qty > item.quantity - returned.get(line, 0):
                return Refusal(
                    action=action, order_id=order.id, reason=f"{item.label} of order {order.id} is already returned."
                )
            chosen.append((item, qty))
        if not chosen:
            return Refusal(
                action=action, order_id=order.id, reason=f"Everything in order {order.id} is already returned."
            )
        what = "; ".join(f"{q} x {i.name} ({i.color}{f' {i.size}' if i.size else ''})" for i, q in chosen)
        args: dict[str, Any] = {"lines": {str(i.line): q for i, q in chosen}, "reason": reason.strip()[:200] or "none"}
        if exchange:
            item = chosen[0][0]
            color = exchange.color or item.color
            size = exchange.size if exchange.size is not None else item.size
            stock = self.db.variant_stock(item.sku, color, size)
            if not stock:
                state = "is out of stock" if stock == 0 else "does not exist"
                return Refusal(
                    action=action,
                    order_id=order.id,
                    reason=f"{item.name} in {color}{f' {size}' if size else ''} {state}; I can start a return instead.",
                )
            args.update(color=color, size=size)
            summary = (
                f"Exchange {what} from order {order.id} for {item.name} ({color}{f' {size}' if size else ''}). "
                "You get a free return label by email; the new item ships when the return is scanned."
            )
        else:
            amount = sum((i.unit_price * q for i, q in chosen), Decimal("0.00"))
            summary = (
                f"Register a return of {what} from order {order.id}. You get a return label by email; "
                f"{money(amount, order.currency)} goes back to {PAYMENT_NAMES[order.payment_method]} within "
                "5 business days after the parcel reaches our warehouse."
            )
        return Plan(action=action, order_id=order.id, summary=summary, args=args)

    # --- writing ----------------------------------------------------------------------

    def apply(self, plan: Plan, actor: str, turn_id: str | None = None, session_id: str | None = None) -> ActionResult:
        """Make a confirmed change: policy checked again, change and audit row in one transaction.

        Raises:
            PolicyError: The order changed since the plan and the policy now forbids it.
        """
        with self.db.transaction() as db:
            order = self._order(plan.order_id)
            before = order.model_dump(mode="json")
            again = self._replan(plan)
            if isinstance(again, Refusal):
                raise PolicyError(again.reason)
            now = self.now()
            message = getattr(self, f"_apply_{plan.action}")(db, order, plan.args, now)
            after = self._order(plan.order_id).model_dump(mode="json")
            cur = db.execute(
                "INSERT INTO audit (at, actor, action, order_id, args, before, after, turn_id, session_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    iso(now),
                    actor,
                    plan.action,
                    plan.order_id,
                    json.dumps(plan.args, sort_keys=True),
                    json.dumps(before, sort_keys=True),
                    json.dumps(after, sort_keys=True),
                    turn_id,
                    session_id,
                ),
            )
            return ActionResult(
                action=plan.action, order_id=plan.order_id, message=message, audit_id=cur.lastrowid or 0
            )

    def _replan(self, plan: Plan) -> Plan | Refusal:
        a = plan.args
        if plan.action == "cancel":
            return self.plan_cancel(plan.order_id, a.get("reason", ""))
        if plan.action == "change_address":
            return self.plan_change_address(plan.order_id, Address(**a["address"]))
        if plan.action == "change_item":
            return self.plan_change_item(plan.order_id, ItemChange(**a))
        lines = {int(k): v for k, v in a["lines"].items()}
        if plan.action == "exchange":
            change = ItemChange(line=next(iter(lines)), color=a["color"], size=a["size"])
            return self.plan_return(plan.order_id, reason=a["reason"], exchange=change)
        return self.plan_return(plan.order_id, lines, a["reason"])

    def _apply_cancel(self, db: Any, order: Order, args: dict[str, Any], now: datetime) -> str:
        db.execute(
            "UPDATE orders SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ? WHERE id = ?",
            (iso(now), args["reason"], iso(now), order.id),
        )
        for item in order.items:
            db.execute(
                "UPDATE variants SET stock = stock + ? WHERE sku = ? AND color = ? AND size = ?",
                (item.quantity, item.sku, item.color, item.size or ""),
            )
        db.execute(
            "INSERT INTO refunds (id, order_id, return_id, amount_cents, method, reason, issued_at) "
            "VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM refunds), ?, NULL, ?, ?, 'cancellation', ?)",
            (order.id, cents(order.total), order.payment_method, iso(now)),
        )
        return (
            f"Order {order.id} is cancelled. {money(order.total, order.currency)} goes back to "
            f"{PAYMENT_NAMES[order.payment_method]}; it usually shows within 5 business days."
        )

    def _apply_change_address(self, db: Any, order: Order, args: dict[str, Any], now: datetime) -> str:
        new = Address(**args["address"])
        db.execute(
            "UPDATE orders SET ship_name = ?, ship_street = ?, ship_zip = ?, ship_city = ?, ship_country = ?, "
            "updated_at = ? WHERE id = ?",
            (new.name, new.street, new.zip, new.city, new.country, iso(now), order.id),
        )
        return f"Order {order.id} now goes to {new.one_line()}."

    def _apply_change_item(self, db: Any, order: Order, args: dict[str, Any], now: datetime) -> str:
        item = next(i for i in order.items if i.line == args["line"])
        db.execute(
            "UPDATE variants SET stock = stock + ? WHERE sku = ? AND color = ? AND size = ?",
            (item.quantity, item.sku, item.color, item.size or ""),
        )
        if args.get("quantity") == 0:
            db.execute("DELETE FROM order_items WHERE order_id = ? AND line = ?", (order.id, item.line))
            done = f"{item.label} is removed from order {order.id}."
        else:
            row = db.execute(
                "SELECT color FROM variants WHERE sku = ? AND color = ? COLLATE NOCASE AND size = ? COLLATE NOCASE",
                (item.sku, args["color"], args["size"] or ""),
            ).fetchone()
            color = row[0]
            db.execute(
                "UPDATE order_items SET color = ?, size = ?, quantity = ? WHERE order_id = ? AND line = ?",
                (color, args["size"] or "", args["quantity"], order.id, item.line),
            )
            db.execute(
                "UPDATE variants SET stock = stock - ? WHERE sku = ? AND color = ? AND size = ?",
                (args["quantity"], item.sku, color, args["size"] or ""),
            )
            size = f" {args['size']}" if args["size"] else ""
            done = f"Order {order.id} now has {args['quantity']} x {item.name} ({color}{size})."
        subtotal = db.execute(
            "SELECT SUM(quantity * unit_price_cents) FROM order_items WHERE order_id = ?", (order.id,)
        ).fetchone()[0]
        db.execute(
            "UPDATE orders SET subtotal_cents = ?, total_cents = ? - discount_cents + shipping_cents, updated_at = ? "
            "WHERE id = ?",
            (subtotal, subtotal, iso(now), order.id),
        )
        total = db.execute("SELECT total_cents FROM orders WHERE id = ?", (order.id,)).fetchone()[0]
        return f"{done} The new total is {money(Decimal(total) / 100, order.currency)}."

    def _apply_return(self, db: Any, order: Order, args: dict[str, Any], now: datetime) -> str:
        return self._register_return(db, order, args, now, kind="return")

    def _apply_exchange(self, db: Any, order: Order, args: dict[str, Any], now: datetime) -> str:
        return self._register_return(db, order, args, now, kind="exchange")

    def _register_return(self, db: Any, order: Order, args: dict[str, Any], now: datetime, kind: str) -> str:
        rid = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM returns").fetchone()[0]
        reason = args["reason"]
        if kind == "exchange":
            size = f" {args['size']}" if args["size"] else ""
            reason = f"exchange for {args['color']}{size}: {reason}"
        db.execute(
            "INSERT INTO returns (id, order_id, registered_at, reason, status, received_at, label_fee_cents) "
            "VALUES (?, ?, ?, ?, 'registered', NULL, 0)",
            (rid, order.id, iso(now), reason),
        )
        db.executemany(
            "INSERT INTO return_items (return_id, line, quantity) VALUES (?, ?, ?)",
            [(rid, int(line), qty) for line, qty in args["lines"].items()],
        )
        if kind == "exchange":
            item = next(i for i in order.items if i.line == int(next(iter(args["lines"]))))
            db.execute(
                "UPDATE variants SET stock = stock - 1 WHERE sku = ? AND color = ? COLLATE NOCASE "
                "AND size = ? COLLATE NOCASE",
                (item.sku, args["color"], args["size"] or ""),
            )
        db.execute("UPDATE orders SET updated_at = ? WHERE id = ?", (iso(now), order.id))
        what = "exchange" if kind == "exchange" else "return"
        return (
            f"Your {what} for order {order.id} is registered (return {rid}). The return label comes by email; "
            f"please hand the parcel to the carrier within {RETURN_DAYS} days of delivery."
        )

    # --- rules ----------------------------------------------------------------------------

    def _order(self, order_id: int | str) -> Order:
        order = self.db.order(order_id)
        if order is None:
            raise UnknownOrderError(f"there is no order {order_id}")
        return order

    def _cancel_refusal(self, order: Order) -> Refusal | None:
        if order.status in CANCELLABLE:
            return None
        why = {
            "shipped": "it has already been dispatched. Once it arrives you can return it within 30 days "
            "of delivery, or refuse the parcel",
            "delivered": "it has already been delivered. You can return it within 30 days of delivery",
            "cancelled": "it is already cancelled",
            "returned": "it has already been returned",
            "refunded": "it has already been returned and refunded",
        }[order.status]
        return Refusal(action="cancel", order_id=order.id, reason=f"Order {order.id} cannot be cancelled: {why}.")

    def _change_refusal(self, order: Order, action: ActionName, what: str) -> Refusal | None:
        late = self.now() - order.placed_at > CHANGE_WINDOW  # a shop system that has not marked it processed yet
        if order.status in CHANGEABLE and not late:
            return None
        if order.status in ("processed", *CHANGEABLE):
            why = (
                "it is already being prepared in our warehouse (changes are possible within 1 hour of ordering). "
                "I can still cancel it, so you can order again"
            )
        elif order.status in ("shipped", "delivered"):
            why = f"it has already been {'dispatched' if order.status == 'shipped' else 'delivered'}"
        else:
            why = f"it is {order.status}"
        return Refusal(action=action, order_id=order.id, reason=f"I cannot change {what} of order {order.id}: {why}.")


class PolicyError(Exception):
    """A confirmed change the policy no longer allows (the order moved on in the meantime)."""


class UnknownOrderError(LookupError):
    """No order with that number."""
