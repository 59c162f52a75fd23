"""Retrieval stage: the knowledge passages that may answer a customer question.

Hits come from the embedding index and are re-ranked by their embedding score
plus a weighted word-overlap score (``assistant.lexical``), so exact rare words
count as well as meaning.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from assistant.index import Hit, KnowledgeIndex
from assistant.knowledge import DocType, Passage
from assistant.lexical import LexicalScorer


class Retrieved(BaseModel):
    """Passages ranked by match, and whether the best one is relevant enough to use."""

    hits: list[Hit]
    relevant: bool

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class Retriever:
    """Find knowledge passages of the given doc types that answer a question."""

    def __init__(
        self, index: KnowledgeIndex, top_k: int = 4, min_relevance: float = 0.25, lexical_weight: float = 0.0
    ) -> None:
        self.index = index
        self.top_k = top_k
        self.min_relevance = min_relevance
        self.lexical_weight = lexical_weight
        self.lexical = LexicalScorer()

    def warm_up(self) -> None:
        self.index.warm_up()

    def use_passages(self, passages: Sequence[Passage]) -> None:
        """Fit the word-overlap scorer to the knowledge the index holds."""
        self.lexical = LexicalScorer().fit(passages)

    def run(self, question: str, doc_types: Sequence[DocType] | None = None) -> Retrieved:
        wide = self.index.query(question, k=self.top_k * 3 if self.lexical_weight else self.top_k, doc_types=doc_types)
        lexical = self.lexical.scores(question, [h.id for h in wide])
        hits = [
            h.model_copy(update={"lexical": lx, "match": round(h.score + self.lexical_weight * lx, 4)})
            for h, lx in zip(wide, lexical, strict=True)
        ]
        hits.sort(key=lambda h: -h.match)
        hits = hits[: self.top_k]
        return Retrieved(hits=hits, relevant=bool(hits) and max(h.score for h in hits) >= self.min_relevance)
