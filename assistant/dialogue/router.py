"""Which responder answers a turn, and why: every routing rule of the dialogue, in order.

The router reads one :class:`Understanding`, the session and the turn's :class:`Evidence` (looked up only
when a rule needs it) and returns one :class:`Decision`. It writes nothing; the order desk, asked whether it
takes the turn (:meth:`OrderDesk.claims`), is the only part that changes state here (its own).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from assistant.answers import asked_aspects
from assistant.dialogue.evidence import Evidence
from assistant.dialogue.turn import RouteName, Session
from assistant.dialogue.understand import Understanding
from assistant.settings import Settings
from assistant.shop.desk import OrderDesk
from assistant.shop.desk_state import DeskAsk
from assistant.taxonomy import OUT_OF_SCOPE

_FIXED_ROUTES = frozenset({"greeting", "thanks", "goodbye"})
_CATALOGUE_ASPECTS = {"care", "material", "weight"}
"""Asked about a named product, these are answered from its catalogue entry, not from a general FAQ."""


class Responder(StrEnum):
    """Who makes the reply."""

    FIXED = "fixed"
    """The route's own text: a greeting, thanks, goodbye."""
    HANDOFF = "handoff"
    """A person takes over (asked for, a complaint, an upset customer)."""
    FALLBACK = "fallback"
    """What the assistant can help with: for a guarded message, or one it cannot place."""
    ORDER_DESK = "order_desk"
    """The order desk: lookups, identity checks, changes."""
    RECOMMEND = "recommend"
    CATALOGUE = "catalogue"
    """The product's catalogue entry answers."""
    CURATED = "curated"
    """The closest FAQ entry or policy section, as the shop wrote it."""
    ORDER_ENTRY = "order_entry"
    """The intent's own entry, about the order number the customer gave."""
    ASK_ORDER = "ask_order"
    CLARIFY = "clarify"
    GENERATE = "generate"
    """The language model, grounded on the retrieved entries and checked for invented facts."""
    DONT_KNOW = "dont_know"


class Decision(BaseModel):
    responder: Responder
    route: RouteName
    why: str


class Router:
    """Turn what a message says into who answers it."""

    def __init__(self, settings: Settings, desk: OrderDesk | None) -> None:
        self.settings = settings
        self.desk = desk

    def route(self, u: Understanding) -> RouteName:
        """The route of the turn: the intent's, unless the message is guarded, upset or unsure."""
        unsure = u.prediction.confidence < self.settings.intent_threshold
        if u.injection:
            return "fallback"  # no route, no retrieval, no generation for attempts to rewrite the rules
        if u.upset:
            return "handoff"  # anger, threats, fraud, "this bot is useless": a person takes over
        if unsure and u.prediction.gibberish:
            return "fallback"  # no topic to offer back: say what the assistant can help with
        if unsure and u.prediction.label != OUT_OF_SCOPE:
            return "clarify"
        return u.intent_route

    def run(self, u: Understanding, session: Session, evidence: Evidence) -> Decision:
        route = self.route(u)
        s = self.settings

        def decide(responder: Responder, why: str) -> Decision:
            return Decision(responder=responder, route=route, why=why)

        if self._desk_claims(u, session, route):
            return decide(Responder.ORDER_DESK, "the order desk takes the turn")
        if route in _FIXED_ROUTES:
            return decide(Responder.FIXED, f"a {route}")
        if route == "handoff":
            return decide(Responder.HANDOFF, "a person is asked for, or the customer is upset")
        if u.injection:
            return decide(Responder.FALLBACK, "the message tries to rewrite the rules")

        skus = u.entities.skus
        a = evidence.article_match

        def article_wins() -> bool:  # the entry is close, and clearly closer than the product
            return a >= s.curated_threshold and a > evidence.product_match + s.product_margin

        if route == "recommend" and len(skus) != 1 and not article_wins():
            return decide(Responder.RECOMMEND, "ideas asked for, no one product named")
        if evidence.product is not None and (
            bool(skus)
            and bool(_CATALOGUE_ASPECTS & set(asked_aspects(u.query)))
            or route == "product"
            and not article_wins()
            or route in ("product", "recommend")
            and len(skus) == 1
            and not article_wins()
            or route == "order"
            and not session.order_number
            and bool(skus)
            and a < s.curated_threshold
            or route in ("clarify", "fallback", "knowledge")
            and bool(skus)
            and evidence.product_match >= a
        ):
            return decide(Responder.CATALOGUE, "the question is about a product")
        threshold = s.rescue_threshold if route == "fallback" else s.curated_threshold
        if evidence.article is not None and a >= threshold:
            return decide(Responder.CURATED, f"an entry matches {a:.2f}")
        if route == "order" and session.order_number and evidence.intent_entry is not None:
            return decide(Responder.ORDER_ENTRY, "the intent's entry, about the order given")
        if route == "order" and not session.order_number:
            return decide(Responder.ASK_ORDER, "an order question without its number")
        if route == "clarify":
            return decide(Responder.CLARIFY, "the classifier is unsure")
        if route == "fallback":
            return decide(Responder.FALLBACK, "out of scope, and no entry answers it")
        if evidence.article is not None and a >= s.generate_threshold:
            return decide(Responder.GENERATE, f"an entry is related ({a:.2f}) but none answers it as written")
        return decide(Responder.DONT_KNOW, "nothing the shop wrote answers it")

    def _desk_claims(self, u: Understanding, session: Session, route: RouteName) -> bool:
        """Whether the order desk answers this turn: the desk decides (and drops a task it cannot continue)."""
        if self.desk is None or route == "none":
            return False
        ask = DeskAsk(
            message=u.text,
            intent=u.prediction.label,
            intent_route=u.intent_route,
            route=route,
            order_numbers=u.entities.order_numbers,
            waiting_for_order=session.waiting_for_order is not None,
            injection=u.injection,
        )
        return self.desk.claims(session.desk, ask)
