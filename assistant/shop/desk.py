"""The order desk: the part of a conversation that looks up or changes one order.

It keeps what the customer said across turns (order number, email, name and zip, the new address, the item to
change), asks only for what is missing, proves identity before it shows or changes anything, and states every
change before making it: only an explicit "yes" makes it, anything else drops it. Two failed identity checks hand
the customer to a person. The desk alone changes its state (:class:`DeskState`): :meth:`OrderDesk.claims` tells
the dialogue whether the desk takes a turn, and :meth:`OrderDesk.run` answers it. The rules live in
:mod:`assistant.shop.actions`, the sentences in ``prompts/orders.yaml``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from assistant.shop.actions import OrderActions
from assistant.shop.desk_state import INTENT_TASKS, DeskAction, DeskAsk, DeskReply, DeskState, IdentityLimits, Task
from assistant.shop.parsing import (
    asks_for_exchange,
    asks_for_person,
    find_email,
    find_name,
    find_zip,
    is_complete,
    is_yes,
    mentioned_line,
    parse_address,
    parse_change,
    reason_given,
    without_emails,
)
from assistant.shop.plans import ItemChange, Plan, PolicyError, Refusal
from assistant.shop.records import IdentityCheck, Order

__all__ = ["INTENT_TASKS", "DeskAsk", "DeskReply", "DeskState", "IdentityLimits", "OrderDesk", "Task", "is_yes"]


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
        self.say = actions.say
        self._home = actions.policy.profile.warehouse_country
        self._postcode = actions.policy.profile.postcodes.pattern
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

    def claims(self, state: DeskState, ask: DeskAsk) -> bool:
        """Whether the desk answers this turn; a task it cannot continue is dropped here (a pending change too).

        The only place, with :meth:`run`, where the desk's state changes between turns.
        """
        if (
            ask.route == "handoff"
            and state.busy
            and state.plan is None
            and not asks_for_person(ask.message)
            and ask.intent != "complaint"
            and self.expects(state, ask.message, ask.order_numbers)
        ):
            return True  # "Sophie Hofer, 1110" or "a 41 please" answers the desk's question, whatever it sounds like
        if ask.route == "handoff" or ask.injection:
            state.task, state.plan = None, None  # an angry "no!", a request for a person: nothing is changed
            return False
        if state.plan is not None:
            return True  # the answer to "shall I go ahead?": only an explicit yes changes the order
        if state.busy and not (
            ask.intent in INTENT_TASKS
            or self.expects(state, ask.message, ask.order_numbers)
            or is_yes(ask.message)  # "yes" to a question the desk asked: it asks again
            or ask.route in ("clarify", "fallback")
        ):
            state.task = None  # the customer moved on to another question
        if not state.busy and ask.waiting_for_order and ask.order_numbers:
            return ask.intent in INTENT_TASKS
        return self.takes(state, ask.intent, ask.order_numbers, ask.intent_route)

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
            change = parse_change(message, order, self.actions.db, None)
            return mentioned_line(message, order) is not None or (change is not None and is_complete(change))
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
            if task == "return" and asks_for_exchange(message):
                task = "exchange"
            if task != state.task:
                state.task, state.address, state.change, state.reason, state.said = task, None, None, "", []
        state.said.append(message)
        self._remember(state, message, order_numbers)
        if state.order_id is None:
            return self._reply(state, "ask_order", self.say("ask_order"))
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
                text=self.say("declined", order=plan.order_id),
                action="declined",
                task=task,
                order_id=plan.order_id,
                plan=plan,
            )
        try:
            result = self.actions.apply(plan, actor="assistant", turn_id=turn_id, session_id=session_id)
        except PolicyError as err:
            return DeskReply(
                text=self.say("not_changed", reason=str(err)), action="refused", task=task, order_id=plan.order_id
            )
        return DeskReply(text=result.message, action="applied", task=task, order_id=plan.order_id, result=result)

    def _remember(self, state: DeskState, message: str, order_numbers: list[str]) -> None:
        if order_numbers:
            number = int(order_numbers[-1])
            if number != state.order_id:  # details given for another order are tried, but a miss is no failure
                state.order_id, state.carried = number, state.order_id is not None
        if email := find_email(message):
            state.email, state.carried = email, False
        text = without_emails(message)
        for said_number in order_numbers:
            text = text.replace(said_number, " ")
        if state.task == "change_address" and (address := parse_address(text, self._home)):
            state.address = address
            return
        if name := find_name(text):
            state.name = name
        if (
            state.order_id is not None
            and state.order_id not in state.verified
            and (zip_code := find_zip(text, self._postcode))
        ):
            state.zip_code = zip_code

    def _verify(self, state: DeskState, attempt: IdentityCheck) -> DeskReply | None:
        """None when the order is now proven to be the customer's, else the question or refusal to send.

        ``attempt`` describes this try (order, address, session, turn); it is logged when it fails or is refused.
        """
        assert state.order_id is not None
        if state.order_id in state.locked:
            order_id, state.task = state.order_id, None
            return DeskReply(
                text=self.say("order_locked", order=order_id),
                action="handoff",
                order_id=order_id,
                handoff=True,
                reason="identity not confirmed",
            )
        if not state.email and not (state.name and state.zip_code):
            if state.name and not state.zip_code:
                ask = self.say("ask_zip")
            else:
                ask = self.say("ask_identity", order=state.order_id)
            return self._reply(state, "ask_identity", ask)
        if self._locked(attempt):
            self.actions.db.record_identity_check(attempt.model_copy(update={"outcome": "refused"}))
            order_id, state.task = state.order_id, None
            state.email = state.name = state.zip_code = None
            return DeskReply(
                text=self.say("identity_locked", order=order_id),
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
                text=self.say("identity_handoff", order=order_id),
                action="handoff",
                order_id=order_id,
                handoff=True,
                reason="identity not confirmed",
            )
        return self._reply(
            state,
            "identity_failed",
            self.say("identity_failed", order=state.order_id),
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
            outcome = self.actions.plan_cancel(order.id, reason=reason_given(state.said))
        elif task == "change_address":
            allowed = self.actions.plan_change_address(order.id, order.delivery_address)
            if isinstance(allowed, Refusal):
                outcome = allowed
            elif state.address is None:
                return self._reply(
                    state,
                    "ask_details",
                    self.say("ask_new_address", order=order.id, address=order.delivery_address.one_line()),
                )
            else:
                outcome = self.actions.plan_change_address(order.id, state.address)
        elif task == "change_item":
            trial = self.actions.plan_change_item(order.id, ItemChange(line=order.items[0].line))
            if isinstance(trial, Refusal) and trial.kind.order_is_locked:
                outcome = trial
            else:
                state.change = parse_change(message, order, self.actions.db, state.change)
                if state.change is None or not is_complete(state.change):
                    return self._reply(
                        state,
                        "ask_details",
                        self._which_item(order, "ask_item_change"),
                    )
                outcome = self.actions.plan_change_item(order.id, state.change)
        else:  # return or exchange
            check = self.actions.plan_return(order.id)
            if isinstance(check, Refusal):
                outcome = check
            else:
                line = mentioned_line(message, order)
                if task == "exchange":
                    change = parse_change(message, order, self.actions.db, state.change)
                    if change is None or (change.color is None and change.size is None):
                        return self._reply(
                            state,
                            "ask_details",
                            self._which_item(order, "ask_exchange"),
                        )
                    state.change = change
                    outcome = self.actions.plan_return(order.id, reason=reason_given(state.said), exchange=change)
                else:
                    lines = {line: next(i.quantity for i in order.items if i.line == line)} if line else None
                    outcome = self.actions.plan_return(order.id, lines, reason=reason_given(state.said))
        if isinstance(outcome, Refusal):
            state.task = None
            return DeskReply(text=outcome.reason, action="refused", task=task, order_id=order.id, refusal=outcome)
        state.plan = outcome
        return DeskReply(
            text=self.say("confirm", summary=outcome.summary),
            action="confirm",
            task=task,
            order_id=order.id,
            plan=outcome,
        )

    def _reply(self, state: DeskState, action: DeskAction, text: str) -> DeskReply:
        return DeskReply(text=text, action=action, task=state.task, order_id=state.order_id)

    def _which_item(self, order: Order, question: str) -> str:
        """The order's items, numbered, and what the customer should say about them."""
        items = "; ".join(f"{i.line}) {i.label}" for i in order.items)
        return self.say("which_item", order=order.id, items=items, question=self.say(question))
