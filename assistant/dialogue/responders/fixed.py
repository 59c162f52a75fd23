"""Replies written in full in ``prompts/responses.yaml``: greetings, the fallback, clarifying questions,
asking for the order number, and the honest "I don't know"."""

from __future__ import annotations

from assistant.dialogue.responders.base import Ask, Immediate
from assistant.dialogue.router import Responder
from assistant.dialogue.turn import Draft
from assistant.prompts import Responses
from assistant.taxonomy import OUT_OF_SCOPE, Taxonomy


class FixedReplies(Immediate):
    def __init__(self, responses: Responses, taxonomy: Taxonomy, shop_name: str) -> None:
        self.responses = responses
        self.taxonomy = taxonomy
        self.shop_name = shop_name

    def run(self, ask: Ask) -> Draft:
        render, shop = self.responses.render, self.shop_name
        match ask.decision.responder:
            case Responder.FIXED:
                return Draft(text=render(ask.decision.route, shop_name=shop), strategy="fixed")
            case Responder.FALLBACK:
                return Draft(text=render("fallback", shop_name=shop), strategy="fallback")
            case Responder.ASK_ORDER:
                return Draft(text=render("ask_order_number", shop_name=shop), strategy="ask", awaits_order=True)
            case Responder.CLARIFY:
                ranking = ask.understanding.prediction.ranking[:2]
                options = [self.taxonomy.topic(label) for label, _ in ranking if label != OUT_OF_SCOPE]
                return Draft(text=render("clarify", shop_name=shop, options=options), strategy="clarify")
            case _:
                return Draft(text=render("dont_know", shop_name=shop), strategy="dont_know")
