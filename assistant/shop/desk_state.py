"""What the order desk remembers and answers: its state, its reply, the tasks and actions, the identity limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel

from assistant.shop.plans import ActionResult, AnyPlan, ItemChange, Refusal
from assistant.shop.records import Address
from assistant.taxonomy import Route

Task = Literal["status", "cancel", "change_address", "change_item", "return", "exchange", "refund_status"]
DeskAction = Literal[
    "ask_order",
    "ask_identity",
    "identity_failed",
    "identity_locked",
    "ask_details",
    "status",
    "refund_status",
    "confirm",
    "applied",
    "refused",
    "declined",
    "handoff",
]
INTENT_TASKS: dict[str, Task] = {
    "track_order": "status",
    "cancel_order": "cancel",
    "change_order": "change_item",
    "change_shipping_address": "change_address",
    "get_refund": "return",
    "return_exchange": "return",
    "track_refund": "refund_status",
}


class IdentityLimits(BaseModel):
    """How many failed identity checks are allowed before the desk stops checking (see :class:`Settings`)."""

    per_session: int = 2
    """For one order in one conversation; then a person takes over."""
    per_order: int = 5
    """For one order over all conversations within ``window``; then the order is locked for checks."""
    per_client: int = 10
    """From one network address within ``window``; then that address may try no more."""
    window: timedelta = timedelta(hours=1)
    verified_for: timedelta = timedelta(minutes=30)
    """How long a proof of identity holds in a conversation."""


@dataclass
class DeskState:
    """What the desk remembers of one conversation."""

    task: Task | None = None
    order_id: int | None = None
    email: str | None = None
    name: str | None = None
    zip_code: str | None = None
    verified: dict[int, float] = field(default_factory=dict)
    """Orders proven to be the customer's, with when (monotonic seconds); they expire (``IdentityLimits``)."""
    failed_checks: int = 0
    address: Address | None = None
    change: ItemChange | None = None
    reason: str = ""
    plan: AnyPlan | None = None
    said: list[str] = field(default_factory=list)
    """The customer's messages of the task under way: what they want may come before the proof of identity."""
    carried: bool = False
    """The identity details were given for another order of this conversation."""
    locked: set[int] = field(default_factory=set)
    """Orders whose identity check failed twice: not shown or changed in this conversation any more."""

    @property
    def busy(self) -> bool:
        """A task is under way (waiting for a detail or a yes)."""
        return self.task is not None


class DeskReply(BaseModel):
    """The desk's answer to one turn, and what it did."""

    text: str
    action: DeskAction
    task: Task | None = None
    order_id: int | None = None
    handoff: bool = False
    reason: str | None = None
    """Why the desk hands the customer over, for the ticket."""
    result: ActionResult | None = None
    refusal: Refusal | None = None
    plan: AnyPlan | None = None


class DeskAsk(BaseModel):
    """What the dialogue knows of a turn when it asks the desk whether the turn is the desk's."""

    message: str
    intent: str
    """The classifier's label."""
    intent_route: Route
    """The taxonomy's route for that label."""
    route: Route | Literal["clarify"]
    """The route the dialogue decided: a taxonomy route, or ``clarify`` (unsure what was meant)."""
    order_numbers: list[str] = []
    waiting_for_order: bool = False
    """The assistant asked for an order number in the previous turn."""
    injection: bool = False
    """The guard found an attempt to instruct the assistant in the message."""
