"""Retrieval stage: the knowledge passages that may answer a customer question."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from assistant.index import Hit, KnowledgeIndex
from assistant.knowledge import DocType


class Retrieved(BaseModel):
    """Passages ranked by similarity, and whether the best one is relevant enough to use."""

    hits: list[Hit]
    relevant: bool


class Retriever:
    """Find knowledge passages of the given doc types that answer a question."""

    def __init__(self, index: KnowledgeIndex, top_k: int = 4, min_relevance: float = 0.25) -> None:
        self.index = index
        self.top_k = top_k
        self.min_relevance = min_relevance

    def warm_up(self) -> None:
        self.index.warm_up()

    def run(self, question: str, doc_types: Sequence[DocType] | None = None) -> Retrieved:
        hits = self.index.query(question, k=self.top_k, doc_types=doc_types)
        return Retrieved(hits=hits, relevant=bool(hits) and hits[0].score >= self.min_relevance)
