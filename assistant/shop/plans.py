"""What the order actions hand back: a typed plan (one class per action), a typed refusal, a result.

    plan = actions.plan_cancel(104233)        # CancelPlan, or a Refusal with a kind
    if isinstance(plan, Refusal) and plan.kind is RefusalKind.window_closed: ...

A plan is a member of the discriminated union :data:`AnyPlan` (``action`` tells which); its fields are the
arguments the change needs, and they are what the audit row records. Code branches on ``Refusal.kind``, never on
``Refusal.reason``, which is only the sentence the customer reads.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from assistant.shop.records import Address

ActionName = Literal["cancel", "change_address", "change_item", "return", "exchange"]


class RefusalKind(StrEnum):
    """Why the policy forbids an action."""

    not_dispatched = "not_dispatched"
    """A return of an order still in the warehouse: it can be cancelled instead."""
    not_delivered = "not_delivered"
    """A return of a parcel on its way."""
    already_dispatched = "already_dispatched"
    """A cancellation or change after dispatch."""
    already_delivered = "already_delivered"
    change_window_closed = "change_window_closed"
    """Past the time after ordering within which it can be changed (or the shop allows no changes)."""
    return_window_closed = "return_window_closed"
    closed = "closed"
    """The order is cancelled, returned or refunded already."""
    already_returned = "already_returned"
    no_such_item = "no_such_item"
    only_item = "only_item"
    bad_quantity = "bad_quantity"
    no_such_variant = "no_such_variant"
    out_of_stock = "out_of_stock"

    @property
    def order_is_locked(self) -> bool:
        """The order itself can no longer be changed, whatever the customer asks for (not one bad detail)."""
        return self in _ORDER_LOCKED


_ORDER_LOCKED = {
    RefusalKind.change_window_closed,
    RefusalKind.already_dispatched,
    RefusalKind.already_delivered,
    RefusalKind.closed,
}


class Refusal(BaseModel):
    """The policy forbids the action; ``reason`` is said to the customer as it is."""

    action: ActionName
    order_id: int
    kind: RefusalKind
    reason: str


class Plan(BaseModel):
    """An allowed change, not yet made: what the customer is asked to confirm. Subclassed once per action."""

    action: ActionName
    order_id: int
    summary: str
    """Exactly what will change, in one or two sentences."""

    @property
    def args(self) -> dict[str, Any]:
        """The change's own fields, as the audit row records them."""
        return self.model_dump(mode="json", exclude={"action", "order_id", "summary"})


class CancelPlan(Plan):
    action: Literal["cancel"] = "cancel"
    reason: str


class ChangeAddressPlan(Plan):
    action: Literal["change_address"] = "change_address"
    address: Address


class ChangeItemPlan(Plan):
    """A new colour, size or quantity for one order line; quantity 0 removes it (colour and size then None)."""

    action: Literal["change_item"] = "change_item"
    line: int
    color: str | None = None
    size: str | None = None
    quantity: int | None = None


class ReturnPlan(Plan):
    action: Literal["return"] = "return"
    lines: dict[str, int]
    """Order line (as text, as stored) -> quantity returned."""
    reason: str


class ExchangePlan(Plan):
    """One item sent back for another colour or size of the same product."""

    action: Literal["exchange"] = "exchange"
    lines: dict[str, int]
    reason: str
    color: str
    size: str | None


AnyPlan = Annotated[
    CancelPlan | ChangeAddressPlan | ChangeItemPlan | ReturnPlan | ExchangePlan, Field(discriminator="action")
]


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
    search_due: bool
    """Late enough for the shop to start the search now."""


class ItemChange(BaseModel):
    """A new colour, size or quantity for one order line (quantity 0 removes it)."""

    line: int
    color: str | None = None
    size: str | None = None
    quantity: int | None = None


class PolicyError(Exception):
    """A confirmed change the policy no longer allows (the order moved on in the meantime)."""


class UnknownOrderError(LookupError):
    """No order with that number."""
