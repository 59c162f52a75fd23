"""Understanding a customer message: cleaned, guarded, classified, its entities and its sentiment.

The first stage of a turn; it reads the session (the question waiting for an order number) but does not
change it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from pydantic import BaseModel

from assistant.dialogue.turn import Notice, Session, elapsed_ms
from assistant.entities import Entities, extract
from assistant.guard import is_injection
from assistant.intents import IntentClassifier, IntentPrediction
from assistant.knowledge import Product
from assistant.sentiment import Sentiment, SentimentModel
from assistant.taxonomy import Route, Taxonomy

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff]")
_CALM_ROUTES: frozenset[Route] = frozenset({"greeting", "thanks"})
"""Routes on which a strong feeling is gratitude or a greeting, not an escalation."""
_SHORT = 6
"""A message of at most this many words that brings an order number answers the question we asked."""


def clean_message(text: str, limit: int) -> tuple[str, list[Notice]]:
    """Printable text of at most ``limit`` characters, plus notices about what was changed.

    Every reader of a message gets it from here: lone UTF-16 surrogates and other code points that are not
    characters become U+FFFD, control bytes go, whitespace is collapsed, and the question itself is kept.
    A message with nothing left is "unreadable".
    """
    notices: list[Notice] = []
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = str(text or "")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # a lone surrogate -> U+FFFD
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    if text.strip() and not cleaned:
        return "", [Notice.UNREADABLE]
    if len(cleaned) > limit:
        cleaned = cleaned[:limit]
        notices.append(Notice.TRUNCATED)
    return cleaned, notices


class Understanding(BaseModel):
    """What one (cleaned, non-empty) message says, in the context of its conversation."""

    text: str
    """The message as cleaned."""
    query: str
    """The words to retrieve with: spelling-normalised like the classifier's, or the waiting question's."""
    prediction: IntentPrediction
    """The intent: the classifier's, or the waiting order question's when the message answers it."""
    intent_route: Route
    """The route the taxonomy gives the intent."""
    entities: Entities
    sentiment: Sentiment
    injection: bool
    """The message tries to rewrite the assistant's rules."""
    upset: bool
    """The sentiment model says the customer is escalating."""
    notices: list[Notice] = []
    timings: dict[str, float] = {}


class Understander:
    """Classify, extract and weigh one message (the models are the stages it is handed)."""

    def __init__(
        self,
        classifier: IntentClassifier,
        sentiment: SentimentModel,
        taxonomy: Taxonomy,
        products: Callable[[], list[Product]],
        escalation_threshold: float,
        order_pattern: str,
    ) -> None:
        self.classifier = classifier
        self.sentiment = sentiment
        self.taxonomy = taxonomy
        self._products = products
        self.escalation_threshold = escalation_threshold
        self.order_pattern = order_pattern
        """The regex of the shop's order numbers (``shop.yaml``: ``orders.number_pattern``)."""

    def warm_up(self) -> None:
        self.classifier.warm_up()
        self.sentiment.warm_up()

    def run(self, message: str, session: Session, notices: list[Notice] | None = None) -> Understanding:
        timings: dict[str, float] = {}
        t = time.perf_counter()
        prediction = self.classifier.run(message)
        timings["classify"] = elapsed_ms(t)
        query = prediction.read or message  # retrieval reads the misspelt words corrected, like the classifier
        products = self._products()
        entities = extract(message, products, self.order_pattern)
        if not entities.skus and query != message:  # "Fjelro 2" read as "Fjellro 2"
            entities.skus = extract(query, products, self.order_pattern).skus
        waiting = session.waiting_for_order if entities.order_numbers else None
        short = len(message.split()) <= _SHORT
        if waiting is not None and (self.taxonomy.route(prediction.label) != "order" or short):
            prediction = waiting  # "it's 104233" answers the question we asked
        if waiting is not None and short:
            query = session.waiting_query or query  # the number alone: retrieve for the question it answers
        t = time.perf_counter()
        feeling = self.sentiment.run(message)
        timings["sentiment"] = elapsed_ms(t)
        route = self.taxonomy.route(prediction.label)
        return Understanding(
            text=message,
            query=query,
            prediction=prediction,
            intent_route=route,
            entities=entities,
            sentiment=feeling,
            injection=is_injection(message),
            upset=feeling.escalation >= self.escalation_threshold and route not in _CALM_ROUTES,
            notices=list(notices or []),
            timings=timings,
        )
