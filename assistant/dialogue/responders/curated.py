"""Answers the shop wrote: the FAQ entry or policy section that matches, as written."""

from __future__ import annotations

from assistant.answers import curated_answer
from assistant.dialogue.evidence import Lookup
from assistant.dialogue.responders.base import Ask, Immediate
from assistant.dialogue.router import Responder
from assistant.dialogue.turn import Draft
from assistant.prompts import Responses


class CuratedAnswers(Immediate):
    """The matching entry (CURATED), or the intent's own entry about the order given (ORDER_ENTRY)."""

    def __init__(self, lookup: Lookup, responses: Responses, shop_name: str) -> None:
        self.lookup = lookup
        self.responses = responses
        self.shop_name = shop_name

    def run(self, ask: Ask) -> Draft:
        entry = ask.evidence.intent_entry if ask.decision.responder == Responder.ORDER_ENTRY else ask.evidence.article
        assert entry is not None, "the router decides on an entry only when there is one"
        passage = self.lookup.passages[entry.id]
        text = curated_answer(passage, self.lookup.knowledge)
        order_number = ask.session.order_number
        awaits = False
        if ask.decision.route == "order" and order_number:
            text = self.responses.render("about_order", order_number=order_number, answer=text)
        elif ask.decision.route == "order":
            text += "\n\n" + self.responses.render("offer_order_check", shop_name=self.shop_name)
            awaits = True
        return Draft(text=text, strategy="curated", used=[entry], awaits_order=awaits)
