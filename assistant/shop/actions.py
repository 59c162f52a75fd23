"""What the assistant can do with an order, each with the shop's rules checked in code.

    actions = OrderActions(ShopDB(path))
    customer = actions.verify(104233, email="anna@example.com")   # None: not proven
    plan = actions.plan_cancel(104233, reason="ordered twice")      # a CancelPlan, or a Refusal with its kind
    result = actions.apply(plan, actor="assistant", turn_id="...")  # re-checked and written in one transaction

Reading (``status``, ``refund_status``: :mod:`assistant.shop.status`) and planning never write. ``apply``
writes the change, the order's new state and an audit row (who, when, before, after, turn id) in one
transaction, after checking the policy again against the order as it is then. The dialogue loop only calls
``apply`` with a plan the verified customer said yes to.

The rules are :class:`~assistant.shop.policy.ShopPolicy` (numbers from ``knowledge/shop.yaml``); the sentences are
``prompts/orders.yaml``; every write is :mod:`assistant.shop.writes`.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from assistant.shop import writes
from assistant.shop.plans import (
    ActionResult,
    CancelPlan,
    ChangeAddressPlan,
    ChangeItemPlan,
    ExchangePlan,
    ItemChange,
    LateParcel,
    Plan,
    PolicyError,
    Refusal,
    RefusalKind,
    ReturnPlan,
    UnknownOrderError,
)
from assistant.shop.policy import ShopPolicy
from assistant.shop.records import Address, Customer, Order, OrderItem
from assistant.shop.status import OrderStatus
from assistant.shop.store import ShopDB
from assistant.shop.wording import OrderWording, money, variant_label

__all__ = ["OrderActions", "Plan", "Refusal", "ItemChange", "PolicyError", "UnknownOrderError", "money"]
QUANTITY_RANGE = (1, 99)
"""What one order line may hold (not a shop policy: what the checkout allows)."""


def _fold(text: str) -> str:
    """Lowercase without accents or extra spaces: 'Jürgen  Müller' ~ 'jurgen muller'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").split())


class OrderActions:
    """Look up, verify and change orders in the shop database under the shop's policy.

    Args:
        db: The shop database.
        now: The clock (UTC); tests pass a fixed one.
        policy: The shop's rules; by default those of the installed shop (``SHOP_KNOWLEDGE_DIR``).
        wording: What customers are told; by default ``prompts/orders.yaml`` of the installation.
    """

    def __init__(
        self,
        db: ShopDB,
        now: Callable[[], datetime] | None = None,
        policy: ShopPolicy | None = None,
        wording: OrderWording | None = None,
    ) -> None:
        self.db = db
        self.now = now or (lambda: datetime.now(UTC))
        self.policy = policy or ShopPolicy.installed()
        wording = wording or OrderWording.installed()
        self.say = wording.say
        self._paid_to = wording.paid_to
        self.reading = OrderStatus(db, self.now, self.policy, wording)

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
            if wanted in names and zip_code.replace(" ", "").upper() in {z.replace(" ", "").upper() for z in zips}:
                return customer
        return None

    # --- reading (assistant.shop.status) ------------------------------------------

    def status(self, order_id: int | str) -> str:
        """Items, status, tracking and expected delivery of an order, as a reply."""
        return self.reading.status(order_id)

    def late_parcel(self, order_id: int | str) -> LateParcel | None:
        """The delay of a shipped order past its expected delivery day; None when it is not late."""
        return self.reading.late_parcel(order_id)

    def refund_status(self, order_id: int | str) -> str:
        """Returns and refunds of an order, as a reply."""
        return self.reading.refund_status(order_id)

    # --- planning -------------------------------------------------------------------

    def plan_cancel(self, order_id: int | str, reason: str = "") -> CancelPlan | Refusal:
        order = self._order(order_id)
        if kind := self.policy.cancel_refusal(order):
            return self._refusal("cancel", order, kind, self.say("cannot_cancel", order=order.id, status=order.status))
        summary = self.say(
            "plan_cancel",
            order=order.id,
            items="; ".join(i.label for i in order.items),
            total=money(order.total, order.currency),
            paid_to=self._paid_to(order.payment_method),
        )
        return CancelPlan(order_id=order.id, summary=summary, reason=reason.strip()[:200] or "customer request")

    def plan_change_address(self, order_id: int | str, address: Address) -> ChangeAddressPlan | Refusal:
        order = self._order(order_id)
        if refusal := self._change_refusal(order, "change_address", "the delivery address"):
            return refusal
        if not address.name:
            address = address.model_copy(update={"name": order.delivery_address.name})
        summary = self.say(
            "plan_change_address", order=order.id, old=order.delivery_address.one_line(), new=address.one_line()
        )
        return ChangeAddressPlan(order_id=order.id, summary=summary, address=address)

    def plan_change_item(self, order_id: int | str, change: ItemChange) -> ChangeItemPlan | Refusal:
        order = self._order(order_id)
        if refusal := self._change_refusal(order, "change_item", "items"):
            return refusal
        item = next((i for i in order.items if i.line == change.line), None)
        if item is None:
            return self._refusal(
                "change_item",
                order,
                RefusalKind.no_such_item,
                self.say("no_such_item", order=order.id, line=change.line),
            )
        if change.quantity == 0:
            if len(order.items) == 1:
                return self._refusal("change_item", order, RefusalKind.only_item, self.say("only_item", order=order.id))
            summary = self.say(
                "plan_remove_item", item=item.label, order=order.id, amount=money(item.total, order.currency)
            )
            return ChangeItemPlan(
                order_id=order.id, summary=summary, line=change.line, color=change.color, size=change.size, quantity=0
            )
        color = change.color or item.color
        size = change.size if change.size is not None else item.size
        quantity = change.quantity or item.quantity
        low, high = QUANTITY_RANGE
        if not low <= quantity <= high:
            return self._refusal(
                "change_item", order, RefusalKind.bad_quantity, self.say("bad_quantity", low=low, high=high)
            )
        same_variant = color.lower() == item.color.lower() and (size or "").lower() == (item.size or "").lower()
        stock = self.db.variant_stock(item.sku, color, size)
        if stock is None:
            return self._refusal(
                "change_item",
                order,
                RefusalKind.no_such_variant,
                self.say("no_such_variant", product=item.name, variant=variant_label(color, size)),
            )
        needed = quantity - item.quantity if same_variant else quantity
        if needed > stock:
            text = self.say("low_stock", product=item.name, variant=variant_label(color, size), stock=stock)
            return self._refusal("change_item", order, RefusalKind.out_of_stock, text)
        new_label = f"{quantity} x {item.name} ({variant_label(color, size)})"
        summary = self.say("plan_change_item", item=item.label, order=order.id, new=new_label)
        return ChangeItemPlan(
            order_id=order.id, summary=summary, line=item.line, color=color, size=size, quantity=quantity
        )

    def plan_return(
        self,
        order_id: int | str,
        lines: dict[int, int] | None = None,
        reason: str = "",
        exchange: ItemChange | None = None,
    ) -> ReturnPlan | ExchangePlan | Refusal:
        """A return of some lines (line -> quantity; all by default) or an exchange of one line for another variant."""
        action = "exchange" if exchange else "return"
        order = self._order(order_id)
        if kind := self.policy.return_refusal(order, self.now()):
            if kind is RefusalKind.return_window_closed:
                deadline = self.policy.return_deadline(order)
                text = self.say(
                    "return_window_closed",
                    order=order.id,
                    delivered=f"{order.delivered_at:%d %b %Y}",
                    deadline=f"{deadline:%d %b %Y}",
                )
            else:
                text = self.say("cannot_return", order=order.id, status=order.status)
            return self._refusal(action, order, kind, text)
        returned: dict[int, int] = {}
        for r in order.returns:
            for ri in r.items:
                returned[ri.line] = returned.get(ri.line, 0) + ri.quantity
        if exchange:
            lines = {exchange.line: 1}
        lines = lines or {i.line: i.quantity - returned.get(i.line, 0) for i in order.items}
        lines = {k: v for k, v in lines.items() if v > 0}
        chosen: list[tuple[OrderItem, int]] = []
        for line, qty in lines.items():
            item = next((i for i in order.items if i.line == line), None)
            if item is None:
                return self._refusal(
                    action, order, RefusalKind.no_such_item, self.say("no_such_item", order=order.id, line=line)
                )
            if qty > item.quantity - returned.get(line, 0):
                return self._refusal(
                    action,
                    order,
                    RefusalKind.already_returned,
                    self.say("item_returned", item=item.label, order=order.id),
                )
            chosen.append((item, qty))
        if not chosen:
            return self._refusal(action, order, RefusalKind.already_returned, self.say("all_returned", order=order.id))
        what = "; ".join(f"{q} x {i.name} ({variant_label(i.color, i.size)})" for i, q in chosen)
        picked = {str(i.line): q for i, q in chosen}
        reason = reason.strip()[:200] or "none"
        if exchange:
            item = chosen[0][0]
            color = exchange.color or item.color
            size = exchange.size if exchange.size is not None else item.size
            stock = self.db.variant_stock(item.sku, color, size)
            if not stock:
                variant = variant_label(color, size)
                text = self.say("cannot_exchange", product=item.name, variant=variant, sold_out=stock == 0)
                kind = RefusalKind.out_of_stock if stock == 0 else RefusalKind.no_such_variant
                return self._refusal(action, order, kind, text)
            summary = self.say(
                "plan_exchange", what=what, order=order.id, product=item.name, variant=variant_label(color, size)
            )
            return ExchangePlan(order_id=order.id, summary=summary, lines=picked, reason=reason, color=color, size=size)
        amount = sum((i.unit_price * q for i, q in chosen), Decimal("0.00"))
        summary = self.say(
            "plan_return",
            what=what,
            order=order.id,
            amount=money(amount, order.currency),
            paid_to=self._paid_to(order.payment_method),
        )
        return ReturnPlan(order_id=order.id, summary=summary, lines=picked, reason=reason)

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
            message = self._write(db, plan, order, now)
            after = self._order(plan.order_id).model_dump(mode="json")
            audit_id = writes.add_audit(
                db, now, actor, plan.action, plan.order_id, plan.args, before, after, turn_id, session_id
            )
            return ActionResult(action=plan.action, order_id=plan.order_id, message=message, audit_id=audit_id)

    def _replan(self, plan: Plan) -> Plan | Refusal:
        match plan:
            case CancelPlan():
                return self.plan_cancel(plan.order_id, plan.reason)
            case ChangeAddressPlan():
                return self.plan_change_address(plan.order_id, plan.address)
            case ChangeItemPlan():
                change = ItemChange(line=plan.line, color=plan.color, size=plan.size, quantity=plan.quantity)
                return self.plan_change_item(plan.order_id, change)
            case ExchangePlan():
                change = ItemChange(line=int(next(iter(plan.lines))), color=plan.color, size=plan.size)
                return self.plan_return(plan.order_id, reason=plan.reason, exchange=change)
            case ReturnPlan():
                return self.plan_return(plan.order_id, {int(k): v for k, v in plan.lines.items()}, plan.reason)
        raise TypeError(f"not a plan the order actions make: {plan!r}")

    def _write(self, db: sqlite3.Connection, plan: Plan, order: Order, now: datetime) -> str:
        """Make the change in ``db`` (inside the transaction); returns what the customer is told."""
        match plan:
            case CancelPlan():
                writes.cancel_order(db, order, plan.reason, now)
                return self.say(
                    "cancelled",
                    order=order.id,
                    total=money(order.total, order.currency),
                    paid_to=self._paid_to(order.payment_method),
                )
            case ChangeAddressPlan():
                writes.change_address(db, order.id, plan.address, now)
                return self.say("address_changed", order=order.id, address=plan.address.one_line())
            case ChangeItemPlan():
                item = next(i for i in order.items if i.line == plan.line)
                if plan.quantity == 0:
                    _, total = writes.change_item(db, order, item, None, now)
                    return self.say("item_removed", item=item.label, order=order.id, total=money(total, order.currency))
                assert plan.color is not None and plan.quantity is not None  # a planned change names them
                color, total = writes.change_item(db, order, item, (plan.color, plan.size, plan.quantity), now)
                new = f"{plan.quantity} x {item.name} ({variant_label(color or plan.color, plan.size)})"
                return self.say("item_changed", order=order.id, new=new, total=money(total, order.currency))
            case ExchangePlan():
                line = int(next(iter(plan.lines)))
                item = next(i for i in order.items if i.line == line)
                reason = f"exchange for {variant_label(plan.color, plan.size)}: {plan.reason}"
                rid = writes.register_return(db, order, {line: 1}, reason, now, (item.sku, plan.color, plan.size))
                return self.say("return_registered", what="exchange", order=order.id, return_id=rid)
            case ReturnPlan():
                lines = {int(k): v for k, v in plan.lines.items()}
                rid = writes.register_return(db, order, lines, plan.reason, now)
                return self.say("return_registered", what="return", order=order.id, return_id=rid)
        raise TypeError(f"not a plan the order actions make: {plan!r}")

    # --- rules ----------------------------------------------------------------------------

    def _order(self, order_id: int | str) -> Order:
        order = self.db.order(order_id)
        if order is None:
            raise UnknownOrderError(f"there is no order {order_id}")
        return order

    def _change_refusal(self, order: Order, action: str, what: str) -> Refusal | None:
        kind = self.policy.change_refusal(order, self.now())
        if kind is None:
            return None
        return self._refusal(
            action, order, kind, self.say("cannot_change", what=what, order=order.id, status=order.status)
        )

    @staticmethod
    def _refusal(action: str, order: Order, kind: RefusalKind, reason: str) -> Refusal:
        return Refusal.model_validate({"action": action, "order_id": order.id, "kind": kind, "reason": reason})
