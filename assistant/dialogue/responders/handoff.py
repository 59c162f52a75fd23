"""Handing over to a person: the handoff reply, and the escalation that follows every turn.

:class:`Handoff` answers a customer who asks for a person, complains or is upset: how and when they hear
back, and the help entry that answers them meanwhile. :class:`Escalation` runs after every responder: the
second turn in a row the assistant could not answer hands over too, and every handoff opens (or updates)
the session's ticket with a summary a person can act on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel

from assistant.answers import curated_answer
from assistant.dialogue.evidence import Lookup
from assistant.dialogue.responders.base import Ask, Immediate
from assistant.dialogue.turn import Draft, Session, elapsed_ms
from assistant.dialogue.understand import Understanding
from assistant.errors import AssistantError
from assistant.hours import OpeningHours
from assistant.prompts import Responses
from assistant.shop.profile import ShopProfile
from assistant.turnlog import Ticket, TurnLog

log = logging.getLogger(__name__)

_UNANSWERED = frozenset({"dont_know", "clarify"})
_MISSES_BEFORE_HANDOFF = 2


class Handoff(Immediate):
    def __init__(self, lookup: Lookup, responses: Responses, shop_name: str, curated_threshold: float) -> None:
        self.lookup = lookup
        self.responses = responses
        self.shop_name = shop_name
        self.curated_threshold = curated_threshold

    def run(self, ask: Ask) -> Draft:
        u, lookup = ask.understanding, self.lookup
        t = time.perf_counter()
        intent = u.prediction.label
        complaint = intent == "complaint" or u.upset
        own = intent if intent in ("complaint", "human_agent") else ("complaint" if complaint else "human_agent")
        contact_id = lookup.taxonomy.answer(own)
        contact_hit = lookup.scored(u.query, contact_id) if contact_id in lookup.passages else None
        contact = curated_answer(lookup.passages[contact_hit.id], lookup.knowledge) if contact_hit else ""
        found = lookup.articles(u.query)
        best = found.best
        answer = ""
        if (
            best is not None
            and best.match >= self.curated_threshold
            and best.id in lookup.passages
            and best.id != contact_id
        ):
            answer = curated_answer(lookup.passages[best.id], lookup.knowledge)
        used = [h for h in (contact_hit, best if answer else None) if h is not None]
        text = self.responses.render(
            "complaint" if complaint else "handoff", shop_name=self.shop_name, contact=contact, answer=answer
        )
        return Draft(
            text=text,
            strategy="handoff",
            used=used,
            retrieved=found.hits,
            handoff=True,
            timings={"retrieve": elapsed_ms(t)},
        )


class Escalated(BaseModel):
    draft: Draft
    """The draft as it reaches the customer."""
    ticket: str = ""
    """The line about the ticket ("" when none was opened)."""
    unsolved: bool = False
    """This turn handed over because it was the second in a row not answered."""


class Escalation:
    """After the responder: count the turns not answered, and open the ticket of a turn that hands over."""

    def __init__(
        self, turn_log: TurnLog, responses: Responses, profile: ShopProfile, hours: Callable[[], OpeningHours]
    ) -> None:
        self.turn_log = turn_log
        self.responses = responses
        self.profile = profile
        self._hours = hours

    def run(self, draft: Draft, ask: Ask) -> Escalated:
        """The session's count of turns in a row not answered is the escalation's own state."""
        session = ask.session
        session.misses = session.misses + 1 if draft.strategy in _UNANSWERED else 0
        unsolved = session.misses >= _MISSES_BEFORE_HANDOFF and not draft.handoff
        if unsolved:
            text = f"{draft.text}\n\n{self.responses.render('unsolved')}"
            draft = draft.model_copy(update={"text": text, "handoff": True, "handoff_reason": "not answered twice"})
        if not draft.handoff:
            return Escalated(draft=draft)
        session.misses = 0
        ticket = self._ticket(session, ask, draft)
        if ticket:
            draft = draft.model_copy(update={"text": f"{draft.text}\n\n{ticket}"})
        return Escalated(draft=draft, ticket=ticket, unsolved=unsolved)

    def _ticket(self, session: Session, ask: Ask, draft: Draft) -> str:
        """Queue the conversation for a person (one open ticket per session); what the customer is told about it."""
        u = ask.understanding
        prediction = u.prediction
        order = session.desk.order_id or session.order_number
        proven = " (identity confirmed)" if session.desk.order_id in session.desk.verified else ""
        tried = [
            f"- customer: {_short(said)} -> {strategy}: {_short(answered)}"
            for (said, answered), strategy in zip(
                list(session.history)[-5:], list(session.strategies)[-5:], strict=False
            )
        ]
        reason = draft.handoff_reason or _reason(u)
        feeling = u.sentiment
        summary = "\n".join(
            [
                f"Reason: {reason}. Intent: {prediction.label} ({prediction.confidence:.2f}). "
                f"Order: {order or 'none given'}{proven}. "
                f"Sentiment: {feeling.label} ({feeling.score:+.2f}).",
                "Tried:",
                *tried,
                f"- customer: {_short(u.text)} -> handed over",
            ]
        )
        try:
            ticket = self.turn_log.open_ticket(
                Ticket(
                    session_id=ask.log_id,
                    turn_id=ask.turn_id,
                    reason=reason,
                    intent=prediction.label,
                    order_id=str(order) if order else None,
                    sentiment=feeling.label,
                    summary=summary,
                )
            )
        except AssistantError as err:
            log.error("handoff ticket not saved: %s", err)
            return ""
        return self.responses.render("ticket", ticket=ticket.id, when=self.when(datetime.now(UTC)))

    def when(self, moment: datetime) -> str:
        """What a customer handed over at ``moment`` is told about when a person answers."""
        service, now = self.profile.customer_service, self._hours().when(moment)
        return self.responses.render(
            "person_answers",
            open=now.open_now,
            join_minutes=service.chat_join_minutes,
            day=now.day,
            at=now.at,
            local_time=self.profile.local_time,
            reply_hours=service.email_reply_hours,
        )


def _reason(u: Understanding) -> str:
    """Why a person takes over, for the ticket, when the responder gave no reason of its own."""
    if u.prediction.label == "complaint":
        return "complaint"
    if u.prediction.label == "human_agent":
        return "asked for a person"
    return "frustration" if u.upset else "asked for a person"


def _short(text: str, n: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
