"""What the shop's own data says about a message: the closest FAQ or policy entry, the product it is about.

:class:`Lookup` is the dialogue's one way into the knowledge (the index, the passages, the catalogue);
:class:`Evidence` looks up one turn's entries when the router first asks for them, and only then, so that a
greeting or a handoff costs no retrieval.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

from assistant.dialogue.turn import Session, elapsed_ms
from assistant.dialogue.understand import Understanding
from assistant.index import Hit
from assistant.intents import IntentPrediction
from assistant.knowledge import KnowledgeBase, Passage, Product
from assistant.retrieval import Retrieved, Retriever
from assistant.settings import Settings
from assistant.spelling import english_words
from assistant.taxonomy import Taxonomy

T = TypeVar("T")


class Lookup:
    """The knowledge as the dialogue reads it: passages by id, the catalogue, retrieval and scores."""

    def __init__(self, settings: Settings, retriever: Retriever, taxonomy: Taxonomy, knowledge: KnowledgeBase) -> None:
        self.settings = settings
        self.retriever = retriever
        self.index = retriever.index
        self.taxonomy = taxonomy
        self.use(knowledge)

    def use(self, knowledge: KnowledgeBase) -> None:
        """Read from ``knowledge`` from now on (after the index was synced with it)."""
        self.knowledge = knowledge
        self.passages: dict[str, Passage] = {p.id: p for p in knowledge.passages()}
        self.retriever.use_passages(list(self.passages.values()))
        self.vocabulary = _vocabulary(self.passages)

    def warm_up(self) -> None:
        self.retriever.warm_up()

    def passage(self, passage_id: str) -> Passage | None:
        return self.passages.get(passage_id)

    def articles(self, query: str) -> Retrieved:
        """FAQ entries and policy sections for the question."""
        return self.retriever.run(query, doc_types=["faq", "policy"])

    def article(self, prediction: IntentPrediction, found: Retrieved) -> Hit | None:
        """The FAQ entry or policy section that best matches, the intent's own entry favoured a little."""
        answer_id = self.taxonomy.answer(prediction.label)
        confident = prediction.confidence >= self.settings.intent_threshold
        best: Hit | None = None
        for hit in found.hits:
            if hit.id not in self.passages:
                continue
            if confident and hit.id == answer_id:
                hit = hit.model_copy(update={"match": round(hit.match + self.settings.intent_bonus, 4)})
            if best is None or hit.match > best.match:
                best = hit
        return best

    def intent_entry(self, prediction: IntentPrediction, query: str) -> Hit | None:
        """The entry the taxonomy names for a confident intent, scored against the message."""
        answer_id = self.taxonomy.answer(prediction.label)
        if answer_id not in self.passages or prediction.confidence < self.settings.intent_threshold:
            return None
        return self.scored(query, answer_id)

    def scored(self, query: str, passage_id: str | None) -> Hit | None:
        """A passage named by id, with its real similarity to the message."""
        got = self.index.get([passage_id]) if passage_id else []
        if not got:
            return None
        return got[0].model_copy(update={"score": self.index.score(query, got[0].id)})

    def product(self, named: list[str], query: str) -> tuple[Product | None, float, list[Hit]]:
        """The product the message is about and how well it matches (one it names, else the best retrieved),
        with the catalogue hits for the message."""
        found = self.retriever.run(query, doc_types=["product"])
        if named:
            product = self.knowledge.product(named[0])
            hit = next((h for h in found.hits if h.sku == named[0]), None)
            match = hit.match if hit else self.index.score(query, f"product:{named[0]}")
            return product, max(match, self.settings.named_product_match), found.hits
        best = found.best
        if best is None or best.match < self.settings.product_threshold:
            return None, best.match if best else 0.0, found.hits
        return self.knowledge.product(best.sku), best.match, found.hits

    def product_hit(self, sku: str, hits: list[Hit]) -> Hit | None:
        """A product's catalogue hit: among ``hits``, else from the index."""
        return next((h for h in hits if h.sku == sku), None) or next(iter(self.index.get([f"product:{sku}"])), None)


class Evidence:
    """One turn's lookups, made when first read and kept for the rest of the turn."""

    def __init__(self, lookup: Lookup, understanding: Understanding, session: Session) -> None:
        self._lookup = lookup
        self._u = understanding
        self._session = session
        self.timings: dict[str, float] = {}

    @cached_property
    def found(self) -> Retrieved:
        """FAQ entries and policy sections for the message."""
        return self._timed(lambda: self._lookup.articles(self._u.query))

    @cached_property
    def article(self) -> Hit | None:
        return self._lookup.article(self._u.prediction, self.found)

    @property
    def article_match(self) -> float:
        return self.article.match if self.article else 0.0

    @cached_property
    def _product(self) -> tuple[Product | None, float, list[Hit]]:
        named = self._u.entities.skus
        if self._u.intent_route == "product" and not named and self._session.skus:
            named = self._session.skus[:1]  # a follow-up about the product discussed before
        return self._timed(lambda: self._lookup.product(named, self._u.query))

    @property
    def product(self) -> Product | None:
        return self._product[0]

    @property
    def product_match(self) -> float:
        return self._product[1]

    @property
    def product_hits(self) -> list[Hit]:
        return self._product[2]

    @cached_property
    def intent_entry(self) -> Hit | None:
        return self._lookup.intent_entry(self._u.prediction, self._u.query)

    @property
    def looked_up(self) -> bool:
        """Whether the FAQ and policy entries were retrieved this turn (what the turn log records)."""
        return "found" in self.__dict__

    def _timed(self, look: Callable[[], T]) -> T:
        t = time.perf_counter()
        try:
            return look()
        finally:
            self.timings["retrieve"] = self.timings.get("retrieve", 0.0) + elapsed_ms(t)


def _vocabulary(passages: dict[str, Passage]) -> frozenset[str]:
    """English words and every word of the knowledge: a name outside them is one the shop's data never uses."""
    words = {w.lower() for p in passages.values() for w in re.findall(r"[\w-]+", f"{p.title} {p.text}")}
    return english_words() | words
