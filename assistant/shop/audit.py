"""The audit trail as a support lead reads it: what an order action changed, from the order before and after.

    changes = order_changes(entry.before, entry.after)
    change_line(changes)   # 'status pending → cancelled; refund 129.00 EUR to card'
    entry_markdown(entry)  # arguments and a before → after list of the changed fields only

Only the fields an order action can touch are compared: status, cancel reason, delivery address, items
(colour, size, quantity; removed or added lines), subtotal, discount, shipping, total, refunds and returns.
Nothing here reads the database or needs Gradio.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from assistant.security.escape import literal
from assistant.shop.records import AuditEntry, Order, OrderItem, Refund, ReturnRecord

NONE = "—"
DETAIL_ONLY = {"cancel reason", "subtotal"}
"""Changes listed in the detail but left out of the one-line summary (the arguments or the total say them)."""


class Change(BaseModel):
    """One field of an order, before and after an action; None: it did not exist on that side."""

    field: str
    """What changed, as a lead says it: ``status``, ``item 2``, ``total``, ``refund``."""
    before: str | None = None
    after: str | None = None

    def text(self) -> str:
        """``status pending → cancelled``; a new part: ``refund 129.00 EUR to card``; a gone one: ``… removed``."""
        if self.before is None:
            return f"{self.field} {self.after}"
        if self.after is None:
            return f"{self.field} removed ({self.before})"
        return f"{self.field} {self.before} → {self.after}"


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def _variant(item: OrderItem) -> str:
    return f"{item.color} {item.size}" if item.size else item.color


def _amount(item: OrderItem) -> str:
    return f"{item.quantity} x {_variant(item)}"


def _item_change(line: int, old: OrderItem | None, new: OrderItem | None) -> Change | None:
    """``item 1 (Lune Down Vest) 1 x Black S → 2 x Black M``; another product shows both labels."""
    if old is not None and new is not None:
        if old.sku != new.sku:
            return Change(field=f"item {line}", before=old.label, after=new.label)
        if _amount(old) == _amount(new):
            return None
    if new is not None:
        after = _amount(new) if old else f"{_amount(new)} (added)"
        return Change(field=f"item {line} ({new.name or new.sku})", before=old and _amount(old), after=after)
    if old is not None:
        return Change(field=f"item {line} ({old.name or old.sku})", before=_amount(old))
    return None


def _refund(refund: Refund, currency: str) -> str:
    return f"{_money(refund.amount, currency)} to {refund.method}"


def _return(record: ReturnRecord, order: Order) -> str:
    labels = {i.line: i for i in order.items}
    what = ", ".join(
        f"{r.quantity} x {labels[r.line].name} ({_variant(labels[r.line])})" if r.line in labels else f"line {r.line}"
        for r in record.items
    )
    return f"{record.status}: {what} ({record.reason})"


def order_changes(before: Order, after: Order) -> list[Change]:
    """The fields an order action changed, in a fixed order; empty when nothing did."""
    cur = after.currency
    found: list[Change] = []

    def differs(field: str, old: Any, new: Any) -> None:
        if old != new:
            found.append(Change(field=field, before=NONE if old is None else old, after=NONE if new is None else new))

    differs("status", before.status, after.status)
    differs("cancel reason", before.cancel_reason, after.cancel_reason)
    differs("address", before.delivery_address.one_line(), after.delivery_address.one_line())
    old_items = {i.line: i for i in before.items}
    new_items = {i.line: i for i in after.items}
    for line in sorted(old_items.keys() | new_items.keys()):
        if change := _item_change(line, old_items.get(line), new_items.get(line)):
            found.append(change)
    for name, field in (("subtotal", "subtotal"), ("discount", "discount"), ("shipping", "shipping_cost")):
        differs(name, _money(getattr(before, field), cur), _money(getattr(after, field), cur))
    differs("total", _money(before.total, cur), _money(after.total, cur))
    known = {r.id for r in before.all_refunds}
    for refund in after.all_refunds:
        if refund.id not in known:
            found.append(Change(field="refund", after=_refund(refund, cur)))
    old_returns = {r.id: r for r in before.returns}
    for record in after.returns:
        previous = old_returns.get(record.id)
        if previous is None:
            found.append(Change(field=f"return {record.id or ''}".strip(), after=_return(record, after)))
        elif previous.status != record.status:
            found.append(Change(field=f"return {record.id}", before=previous.status, after=record.status))
    return found


def change_line(changes: list[Change]) -> str:
    """The changes on one line for the audit table (the detail-only ones left out)."""
    shown = [c.text() for c in changes if c.field not in DETAIL_ONLY] or [c.text() for c in changes]
    return "; ".join(shown) or "no change to the order"


def args_line(args: dict[str, Any]) -> str:
    """A plan's arguments on one line: ``reason: ordered twice``, ``address: Lindenallee 7, 20259 Hamburg, DE``."""
    parts = []
    for key, value in args.items():
        if isinstance(value, dict) and {"street", "zip", "city"} <= value.keys():
            shown = ", ".join(str(value[k]) for k in ("name", "street", "zip", "city", "country") if value.get(k))
        elif isinstance(value, dict):
            shown = ", ".join(f"{v} of line {k}" for k, v in value.items()) if key == "lines" else str(value)
        else:
            shown = NONE if value is None else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts) or "none"


def entry_markdown(entry: AuditEntry) -> str:
    """One audit entry for the lead: who, when, which turn, the arguments and the changed fields before → after."""
    lines = [
        f"**Entry {entry.id}** · {entry.at:%Y-%m-%d %H:%M:%S} UTC · `{entry.action}` of order {entry.order_id}"
        f" by {literal(entry.actor)} · turn `{entry.turn_id or NONE}` · session `{entry.session_id or NONE}`",
        "",
        f"**Arguments:** {literal(args_line(entry.args))}",
        "",
        "**Changed**",
    ]
    changes = order_changes(entry.before, entry.after)
    for c in changes:
        before = NONE if c.before is None else literal(c.before)
        after = "removed" if c.after is None else literal(c.after)
        lines.append(f"- **{literal(c.field)}**: {before} → {after}")
    if not changes:
        lines.append("- nothing in the order (the change is elsewhere, e.g. stock)")
    return "\n".join(lines)
