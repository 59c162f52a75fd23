"""The order desk: the part of a conversation that looks up or changes one order.

It keeps what the customer said across turns (order number, email, name and zip, the new
address, the item to change), asks only for what is missing, proves identity before it
shows or changes anything, and states every change before making it: only an explicit
"yes" makes it, anything else drops it. Two failed identity checks hand the customer to
a person. The rules themselves live in :mod:`assistant.actions`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from assistant.actions import ActionResult, ItemChange, OrderActions, Plan, PolicyError, Refusal
from assistant.shopdb import Address, IdentityCheck, Order

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


_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|y|sure|ok|okay|correct|confirm(ed)?|go ahead|please do|do it|ja)\b[\s,.!]*"
    r"(please)?[\s,]*(go ahead|do it|do that|(cancel|change|return|exchange|send|swap) it|confirm(ed)?|thanks?( you)?|"
    r"that'?s (right|correct|fine))?[\s.!]*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_ZIP = re.compile(r"(?<![\d-])(\d{4}\s?[A-Z]{2}\b|\d{4,5})(?![\d])")
_NAME = re.compile(
    r"(?i:my name is|name is|name:|i am|i'm|this is)\s+([A-ZÄÖÜÅÆØ][\w'-]+(?:\s+[A-ZÄÖÜÅÆØ][\w'-]+){1,2})"
)
_CAPITAL_NAME = re.compile(
    r"^\s*([A-ZÄÖÜÅÆØ][\w'-]+(?:\s+(?:van|de|der|von)?\s*[A-ZÄÖÜÅÆØ][\w'-]+){1,2})\s*(?:[,;]|(?=\d))"
)
_ADDRESS = re.compile(
    r"(?P<street>[A-ZÄÖÜÅÆØa-zäöüß][\wäöüßÄÖÜ.'\- ]*?\s\d+\s?[a-zA-Z]?)\s*,\s*"
    r"(?P<zip>\d{4}\s?[A-Z]{2}\b|\d{4,5})\s+(?P<city>[A-ZÄÖÜÅÆØ][\wäöüß\- ]*?)"
    r"(?:\s*,\s*(?P<country>[A-Za-z ]+?))?(?:\s+(?:instead|please|pls|thanks|thank you))*\s*[.!]?\s*$"
)
_COUNTRIES = {
    "germany": "DE",
    "deutschland": "DE",
    "austria": "AT",
    "switzerland": "CH",
    "netherlands": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "denmark": "DK",
    "sweden": "SE",
    "norway": "NO",
    "finland": "FI",
    "france": "FR",
    "italy": "IT",
    "spain": "ES",
    "poland": "PL",
    "luxembourg": "LU",
}
_SIZES = re.compile(r"\b(?:size\s+)?(XXS|XS|S|M|L|XL|XXL|3XL|\d{2}(?:[.,]5)?)\b(?!\s*(?:%|eur|€|days))")
_QUANTITY = re.compile(
    r"\b(?:quantity|qty|only|just)\s*(?:to|of)?\s*(\d{1,2})\b|\b(\d{1,2})\s*(?:x|pieces|pairs|of them)\b"
)
_REMOVE = re.compile(r"\b(remove|delete|take out|drop)\b", re.IGNORECASE)
_EXCHANGE = re.compile(r"\b(exchange|swap|replace|different size|other size|bigger|smaller)\b", re.IGNORECASE)


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
    plan: Plan | None = None
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
    plan: Plan | None = None


def is_yes(message: str) -> bool:
    """An explicit yes ("yes", "yes please", "ok, go ahead"); "yes but…" or anything else is not."""
    return bool(_YES.match(message))


class OrderDesk:
    """Look up and change orders in a conversation, under verification and confirmation.

    Args:
        actions: The order actions on the shop database.
    """

    def __init__(
        self,
        actions: OrderActions,
        limits: IdentityLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.actions = actions
        self.limits = limits or IdentityLimits()
        self._clock = clock

    def _expire(self, state: DeskState) -> None:
        """Forget proofs of identity older than the limits allow."""
        oldest = self._clock() - self.limits.verified_for.total_seconds()
        expired = [o for o, at in state.verified.items() if at < oldest]
        for order_id in expired:
            del state.verified[order_id]
        if expired:  # the details that proved it are forgotten too: they must be given again
            state.email = state.name = state.zip_code = None

    def takes(self, state: DeskState, intent: str, order_numbers: list[str], route: str) -> bool:
        """Whether this turn is the desk's: a task under way, or an order request that names an order."""
        if state.busy:
            return True
        if intent not in INTENT_TASKS:
            return False
        return bool(order_numbers) and (route == "order" or intent == "return_exchange")

    def expects(self, state: DeskState, message: str, order_numbers: list[str]) -> bool:
        """Whether the message gives a detail the task under way waits for (an email, name, zip, address, item)."""
        if not state.busy:
            return False
        self._expire(state)
        trial = replace(state, verified=dict(state.verified))
        self._remember(trial, message, order_numbers)
        known = ("order_id", "email", "name", "zip_code", "address")
        if any(getattr(trial, k) != getattr(state, k) for k in known):
            return True
        order = self.actions.db.order(state.order_id) if state.order_id in state.verified else None
        if order is not None and state.task in ("change_item", "exchange", "return"):
            change = parse_change(message, order, self.actions, None)
            return _mentioned_line(message, order) is not None or (change is not None and _complete(change))
        return False

    def run(
        self,
        state: DeskState,
        message: str,
        intent: str,
        order_numbers: list[str],
        turn_id: str | None = None,
        session_id: str | None = None,
        client: str | None = None,
    ) -> DeskReply:
        """One turn: remember the details given, then ask for what is missing, or act.

        ``client`` (the customer's network address) counts towards the limits on identity checks.
        """
        self._expire(state)
        if state.plan is not None and state.plan.order_id not in state.verified:
            state.plan = None  # the proof expired while the change waited for a yes: prove it again first
        if state.plan is not None:
            return self._confirm(state, message, turn_id, session_id)
        if intent in INTENT_TASKS and (state.task is None or order_numbers):
            task = INTENT_TASKS[intent]
            if task == "return" and _EXCHANGE.search(message):
                task = "exchange"
            if task != state.task:
                state.task, state.address, state.change, state.reason, state.said = task, None, None, "", []
        state.said.append(message)
        self._remember(state, message, order_numbers)
        if state.order_id is None:
            return self._reply(state, "ask_order", "Sure. What is your 6-digit order number?")
        if state.order_id not in state.verified:
            check = self._verify(
                state,
                IdentityCheck(
                    at=datetime.now(UTC),
                    order_id=state.order_id,
                    outcome="failed",
                    client=client,
                    session_id=session_id,
                    turn_id=turn_id,
                ),
            )
            if check is not None:
                return check
        order = self.actions.db.order(state.order_id)
        assert order is not None  # verified orders exist
        return self._act(state, order, message)

    # --- turns ------------------------------------------------------------------------

    def _confirm(self, state: DeskState, message: str, turn_id: str | None, session_id: str | None) -> DeskReply:
        plan, state.plan = state.plan, None
        assert plan is not None
        task = state.task
        state.task = None
        if not is_yes(message):
            return DeskReply(
                text=f"All right, I have not changed anything on order {plan.order_id}. What else can I do for you?",
                action="declined",
                task=task,
                order_id=plan.order_id,
                plan=plan,
            )
        try:
            result = self.actions.apply(plan, actor="assistant", turn_id=turn_id, session_id=session_id)
        except PolicyError as err:
            return DeskReply(text=f"{err} Nothing was changed.", action="refused", task=task, order_id=plan.order_id)
        return DeskReply(text=result.message, action="applied", task=task, order_id=plan.order_id, result=result)

    def _remember(self, state: DeskState, message: str, order_numbers: list[str]) -> None:
        if order_numbers:
            number = int(order_numbers[-1])
            if number != state.order_id:  # details given for another order are tried, but a miss is no failure
                state.order_id, state.carried = number, state.order_id is not None
        if email := _EMAIL.search(message):
            state.email, state.carried = email.group(0).lower(), False
        text = _EMAIL.sub(" ", message)
        for said_number in order_numbers:
            text = text.replace(said_number, " ")
        if state.task == "change_address" and (address := parse_address(text)):
            state.address = address
            return
        if name := (_NAME.search(text) or _CAPITAL_NAME.search(text)):
            state.name = name.group(1)
        if state.order_id is not None and state.order_id not in state.verified and (zip_code := _ZIP.search(text)):
            state.zip_code = zip_code.group(1)

    def _verify(self, state: DeskState, attempt: IdentityCheck) -> DeskReply | None:
        """None when the order is now proven to be the customer's, else the question or refusal to send.

        ``attempt`` describes this try (order, address, session, turn); it is logged when it fails or is refused.
        """
        assert state.order_id is not None
        if state.order_id in state.locked:
            order_id, state.task = state.order_id, None
            return DeskReply(
                text=f"I can't look at order {order_id} in this chat any more. A colleague has your request and will "
                "help you.",
                action="handoff",
                order_id=order_id,
                handoff=True,
                reason="identity not confirmed",
            )
        if not state.email and not (state.name and state.zip_code):
            if state.name and not state.zip_code:
                ask = "Thanks. And the zip code of the delivery address?"
            else:
                ask = (
                    f"To keep order {state.order_id} safe, please confirm it is yours: the email address you "
                    "ordered with, or your name and the zip code of the delivery address."
                )
            return self._reply(state, "ask_identity", ask)
        if self._locked(attempt):
            self.actions.db.record_identity_check(attempt.model_copy(update={"outcome": "refused"}))
            order_id, state.task = state.order_id, None
            state.email = state.name = state.zip_code = None
            return DeskReply(
                text=(
                    f"For your security I can't check the details for order {order_id} in the chat right now: "
                    "there have been too many attempts. Please contact our customer service team, who can confirm "
                    "your identity another way."
                ),
                action="identity_locked",
                order_id=order_id,
            )
        customer = self.actions.verify(state.order_id, state.email, state.name, state.zip_code)
        if customer is not None:
            state.verified[state.order_id] = self._clock()
            state.carried = False
            return None
        if state.carried:  # the proof was for another order: ask for this one's, no failed attempt
            state.email = state.name = state.zip_code = None
            state.carried = False
            return self._verify(state, attempt)
        self.actions.db.record_identity_check(attempt)
        state.failed_checks += 1
        state.email = state.name = state.zip_code = None
        if state.failed_checks >= self.limits.per_session:
            order_id, state.task = state.order_id, None
            state.locked.add(order_id)
            return DeskReply(
                text=(
                    f"I'm sorry, I could not confirm that order {order_id} is yours, so I cannot show or change it. "
                    "I'm passing you to a colleague who can help."
                ),
                action="handoff",
                order_id=order_id,
                handoff=True,
                reason="identity not confirmed",
            )
        return self._reply(
            state,
            "identity_failed",
            f"Those details don't match order {state.order_id}. Please check the order number and give the email "
            "address you ordered with, or your name and the zip code of the delivery address.",
        )

    def _locked(self, attempt: IdentityCheck) -> bool:
        """Whether the order, or the address the attempt comes from, has failed too often to be checked now."""
        since = attempt.at - self.limits.window
        db = self.actions.db
        if db.identity_failures(since, order_id=attempt.order_id) >= self.limits.per_order:
            return True
        return (
            attempt.client is not None and db.identity_failures(since, client=attempt.client) >= self.limits.per_client
        )

    def _act(self, state: DeskState, order: Order, message: str) -> DeskReply:
        if state.task == "change_item" and order.status == "delivered":
            state.task = "exchange"  # "swap the size" of a delivered item is an exchange
        task = state.task or "status"
        message = " ".join(state.said) or message  # what they want may have come before the proof of identity
        if task == "status":
            state.task = None
            late = self.actions.late_parcel(order.id)
            search = late is not None and late.search_due  # a colleague starts the search with the carrier
            return DeskReply(
                text=self.actions.status(order.id),
                action="status",
                task=task,
                order_id=order.id,
                handoff=search,
                reason="parcel search" if search else None,
            )
        if task == "refund_status":
            state.task = None
            return DeskReply(
                text=self.actions.refund_status(order.id), action="refund_status", task=task, order_id=order.id
            )
        outcome: Plan | Refusal
        if task == "cancel":
            outcome = self.actions.plan_cancel(order.id, reason=_reason(state.said))
        elif task == "change_address":
            refusal = self.actions.plan_change_address(order.id, order.delivery_address)
            if isinstance(refusal, Refusal):
                outcome = refusal
            elif state.address is None:
                return self._reply(
                    state,
                    "ask_details",
                    f"Order {order.id} goes to {order.delivery_address.one_line()}. What is the new delivery "
                    "address (street and number, zip code, city)?",
                )
            else:
                outcome = self.actions.plan_change_address(order.id, state.address)
        elif task == "change_item":
            refusal = self.actions.plan_change_item(order.id, ItemChange(line=order.items[0].line))
            if isinstance(refusal, Refusal) and "cannot change" in refusal.reason:
                outcome = refusal
            else:
                state.change = parse_change(message, order, self.actions, state.change)
                if state.change is None or not _complete(state.change):
                    return self._reply(
                        state,
                        "ask_details",
                        _which_item(order, "Which item should change, and to which size, colour or quantity?"),
                    )
                outcome = self.actions.plan_change_item(order.id, state.change)
        else:  # return or exchange
            check = self.actions.plan_return(order.id)
            if isinstance(check, Refusal):
                outcome = check
            else:
                line = _mentioned_line(message, order)
                if task == "exchange":
                    change = parse_change(message, order, self.actions, state.change)
                    if change is None or (change.color is None and change.size is None):
                        return self._reply(
                            state,
                            "ask_details",
                            _which_item(order, "Which item would you like to exchange, and for which size or colour?"),
                        )
                    state.change = change
                    outcome = self.actions.plan_return(order.id, reason=_reason(state.said), exchange=change)
                else:
                    lines = {line: next(i.quantity for i in order.items if i.line == line)} if line else None
                    outcome = self.actions.plan_return(order.id, lines, reason=_reason(state.said))
        if isinstance(outcome, Refusal):
            state.task = None
            return DeskReply(text=outcome.reason, action="refused", task=task, order_id=order.id, refusal=outcome)
        state.plan = outcome
        return DeskReply(
            text=f"{outcome.summary}\n\nShall I go ahead? Please answer yes to confirm; anything else changes nothing.",
            action="confirm",
            task=task,
            order_id=order.id,
            plan=outcome,
        )

    def _reply(self, state: DeskState, action: DeskAction, text: str) -> DeskReply:
        return DeskReply(text=text, action=action, task=state.task, order_id=state.order_id)


# --- reading the customer's details --------------------------------------------------------------


def parse_address(text: str) -> Address | None:
    """'Lindenallee 7, 20259 Hamburg' (optionally ', Germany') as an address; None when it is not one."""
    text = re.sub(r"^.*?\b(?:to|is|address:?)\s+(?=[A-ZÄÖÜ])", "", text.strip())
    found = _ADDRESS.search(text)
    if not found:
        return None
    country = (found.group("country") or "germany").strip().lower()
    code = _COUNTRIES.get(country, country.upper() if len(country) == 2 else None)
    if code is None:
        return None
    try:
        return Address(
            street=found.group("street").strip(), zip=found.group("zip"), city=found.group("city").strip(), country=code
        )
    except ValueError:
        return None


def parse_change(message: str, order: Order, actions: OrderActions, before: ItemChange | None) -> ItemChange | None:
    """The item (line) and its new colour, size or quantity the message asks for, merged with what was said before."""
    line = _mentioned_line(message, order) or (before.line if before else None)
    if line is None and len(order.items) == 1:
        line = order.items[0].line
    if line is None:
        return None
    item = next(i for i in order.items if i.line == line)
    change = before.model_copy() if before and before.line == line else ItemChange(line=line)
    lowered = message.lower()
    for variant in actions.db.variants(item.sku):
        if variant.color.lower() in lowered and variant.color.lower() != item.color.lower():
            change.color = variant.color
    sizes = [m.group(1) for m in _SIZES.finditer(message)]
    known = {(v.size or "").upper() for v in actions.db.variants(item.sku)}
    sizes = [s for s in sizes if s.upper() in known and s.upper() != (item.size or "").upper()]
    if sizes:
        change.size = sizes[-1].upper()
    if _REMOVE.search(message):
        change.quantity = 0
    elif quantity := _QUANTITY.search(message):
        change.quantity = int(quantity.group(1) or quantity.group(2))
    return change


def _complete(change: ItemChange) -> bool:
    return change.color is not None or change.size is not None or change.quantity is not None


def _mentioned_line(message: str, order: Order) -> int | None:
    lowered = message.lower()
    for item in order.items:
        words = [w for w in re.findall(r"[a-zäöüß]+", item.name.lower()) if len(w) > 3]
        if item.sku.lower() in lowered or (words and any(w in lowered for w in words)):
            return item.line
    if found := re.search(r"\b(?:item|line)\s*(\d)\b", lowered):
        number = int(found.group(1))
        return number if any(i.line == number for i in order.items) else None
    return None


def _which_item(order: Order, question: str) -> str:
    """The order's items, numbered, and what the customer should say about them."""
    items = "; ".join(f"{i.line}) {i.label}" for i in order.items)
    return f"Order {order.id} has: {items}. {question}"


def _reason(messages: list[str]) -> str:
    """The customer's reason ("… because I found it cheaper"), from the first message of the task that gives one."""
    for message in messages:
        found = re.search(r"\b(?:because|as|since|reason:?)\s+(.{3,120})$", message, re.IGNORECASE)
        if found:
            return found.group(1).strip(" .!")
    return ""
