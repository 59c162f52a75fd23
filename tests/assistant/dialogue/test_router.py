"""The routing rules as pure logic: an understanding and the turn's evidence in, one decision out.

The evidence here is a plain stand-in with the fields the rules read (a unit test of the rules; the real
lookups run in test_loop.py and the conversation tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from assistant.dialogue.router import Responder, Router
from assistant.dialogue.turn import Session
from assistant.dialogue.understand import Understanding
from assistant.entities import Entities
from assistant.index import Hit
from assistant.intents import IntentPrediction
from assistant.knowledge import load_knowledge
from assistant.sentiment import Sentiment
from assistant.settings import Settings
from assistant.taxonomy import Route

SETTINGS = Settings()
CALM = Sentiment(label="neutral", score=0.0, escalation=0.0, probabilities={})


def understood(label: str, route: Route, confidence: float = 0.9, **kw: Any) -> Understanding:
    prediction = IntentPrediction(
        label=label, confidence=confidence, ranking=[(label, confidence)], gibberish=kw.pop("gibberish", False)
    )
    fields: dict[str, Any] = {
        "text": kw.pop("text", "a message"),
        "query": "a message",
        "prediction": prediction,
        "intent_route": route,
        "entities": Entities(skus=kw.pop("skus", [])),
        "sentiment": CALM,
        "injection": False,
        "upset": False,
    }
    return Understanding(**{**fields, **kw})


def hit(match: float) -> Hit:
    return Hit(id="faq:x", doc_type="faq", title="x", text="x", source="x", score=match, match=match)


@dataclass
class Found:
    """The turn's evidence as the rules read it."""

    article: Hit | None = None
    product: object | None = None
    product_match: float = 0.0
    intent_entry: Hit | None = None

    @property
    def article_match(self) -> float:
        return self.article.match if self.article else 0.0


def decide(
    u: Understanding, found: Found | None = None, session: Session | None = None, settings: Settings = SETTINGS
) -> Responder:
    return Router(settings, desk=None).run(u, session or Session(), found or Found()).responder  # type: ignore[arg-type]


def test_guards_come_before_the_intent() -> None:
    router = Router(SETTINGS, desk=None)
    assert router.route(understood("track_order", "order", injection=True)) == "fallback"
    assert router.route(understood("track_order", "order", upset=True)) == "handoff"
    assert router.route(understood("track_order", "order", confidence=0.1, gibberish=True)) == "fallback"
    assert router.route(understood("track_order", "order", confidence=0.1)) == "clarify"
    assert router.route(understood("out_of_scope", "fallback", confidence=0.1)) == "fallback"
    assert router.route(understood("track_order", "order")) == "order"


def test_a_guarded_message_gets_the_fallback_without_any_lookup() -> None:
    class Untouchable:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the router looked up {name} for a guarded message")

    u = understood("product_info", "product", injection=True)
    assert Router(SETTINGS, desk=None).run(u, Session(), Untouchable()).responder == Responder.FALLBACK  # type: ignore[arg-type]
    assert decide(understood("greeting", "greeting")) == Responder.FIXED
    assert decide(understood("human_agent", "handoff")) == Responder.HANDOFF


def test_a_close_entry_is_answered_as_written_else_generated_else_not_known() -> None:
    knowledge = understood("return_policy", "knowledge")
    banded = Settings(curated_threshold=0.6, generate_threshold=0.4)  # by default the band is empty (both 0.6)
    assert decide(knowledge, Found(article=hit(0.6)), settings=banded) == Responder.CURATED
    assert decide(knowledge, Found(article=hit(0.5)), settings=banded) == Responder.GENERATE
    assert decide(knowledge, Found(article=hit(0.35)), settings=banded) == Responder.DONT_KNOW
    assert decide(knowledge, Found(article=hit(0.5))) == Responder.DONT_KNOW
    assert decide(knowledge) == Responder.DONT_KNOW


def test_out_of_scope_needs_the_stricter_rescue_threshold() -> None:
    outside = understood("out_of_scope", "fallback")
    assert SETTINGS.rescue_threshold > SETTINGS.curated_threshold
    assert decide(outside, Found(article=hit(SETTINGS.curated_threshold))) == Responder.FALLBACK
    assert decide(outside, Found(article=hit(SETTINGS.rescue_threshold))) == Responder.CURATED


@pytest.fixture(scope="module")
def product() -> object:
    return load_knowledge(SETTINGS.knowledge_dir).products[0]


def test_a_named_product_is_answered_from_the_catalogue_unless_an_entry_clearly_wins(product: object) -> None:
    asked = understood("product_info", "product", skus=["X-1"])
    assert decide(asked, Found(product=product, product_match=0.6)) == Responder.CATALOGUE
    close = Found(article=hit(0.95), product=product, product_match=0.6)
    assert decide(asked, close) == Responder.CURATED
    assert decide(understood("recommend", "recommend"), Found(product=product, product_match=0.6)) == (
        Responder.RECOMMEND
    )


def test_an_order_question_without_a_number_asks_for_it_and_with_one_answers_from_its_entry() -> None:
    question = understood("track_order", "order")
    assert decide(question) == Responder.ASK_ORDER
    known = Session(order_number="104233")
    assert decide(question, Found(intent_entry=hit(0.3)), known) == Responder.ORDER_ENTRY
    assert decide(question, Found(), known) == Responder.DONT_KNOW
    assert decide(understood("track_order", "order", confidence=0.2)) == Responder.CLARIFY
