"""Which catalogue lines of a product answer a question: "heel drop?" -> "8 mm heel drop".

Each product is cut into short fact lines (every material, every feature, the
care note, the weight and each sentence of the description). A line is scored by
its embedding similarity to the question plus the share of the question's
content words it contains, so exact terms ("R-value", "dishwasher") count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from assistant.embedding import MiniLMEmbedding
from assistant.entities import fold
from assistant.knowledge import Product

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_TOKEN = re.compile(r"[a-z0-9]+(?:[-.,][a-z0-9]+)*")
_STOP = set(
    [
        "a",
        "about",
        "actually",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "d",
        "did",
        "do",
        "does",
        "down",
        "for",
        "from",
        "get",
        "go",
        "going",
        "got",
        "had",
        "has",
        "have",
        "he",
        "hello",
        "her",
        "here",
        "hi",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "know",
        "let",
        "like",
        "ll",
        "m",
        "many",
        "may",
        "me",
        "might",
        "much",
        "must",
        "my",
        "need",
        "no",
        "not",
        "of",
        "off",
        "on",
        "one",
        "ones",
        "or",
        "our",
        "out",
        "over",
        "please",
        "re",
        "really",
        "s",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "still",
        "t",
        "tell",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "ve",
        "very",
        "want",
        "wanted",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "you",
        "your",
    ]
)
_OVERVIEW = {"about", "info", "information", "details", "detail", "more", "describe", "overview", "good", "recommend"}


class PickedFacts(BaseModel):
    """The best lines for a question, and whether the question asks something the product data does not cover."""

    lines: list[str]
    score: float
    unknown: bool


def content_words(text: str, exclude: set[str] | None = None) -> set[str]:
    words = {w.rstrip("s") if len(w) > 3 else w for w in _TOKEN.findall(fold(text))}
    return {w for w in words if w not in _STOP and (exclude is None or w not in exclude)}


def fact_lines(product: Product) -> list[str]:
    lines = [f"Materials: {m}." for m in product.materials]
    lines += [f"{f.rstrip('.')}." for f in product.features]
    lines += [s for s in _SENTENCE.split(product.care.strip()) if s]
    if product.weight_g:
        lines.append(f"It weighs {product.weight_g:,} g.")
    lines += [s for s in _SENTENCE.split(" ".join(product.description.split())) if s]
    return list(dict.fromkeys(lines))


class FactPicker:
    """Scores a product's fact lines against a question; line embeddings are cached per product."""

    def __init__(
        self, embedder: MiniLMEmbedding, threshold: float = 0.45, lexical_weight: float = 0.35, spread: float = 0.15
    ) -> None:
        self.embedder = embedder
        self.spread = spread
        """Lines scoring within this of the best are quoted too (up to three)."""
        self.threshold = threshold
        self.lexical_weight = lexical_weight
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}

    def warm_up(self) -> None:
        self.embedder.warm_up()

    def _lines(self, product: Product) -> tuple[list[str], np.ndarray]:
        key = f"{product.sku}:{hash(product.model_dump_json())}"
        if key not in self._cache:
            lines = fact_lines(product)
            self._cache[key] = (lines, np.asarray(self.embedder(lines)))
        return self._cache[key]

    def run(self, product: Product, question: str, skip: Sequence[str] = ()) -> PickedFacts:
        lines, vectors = self._lines(product)
        name_words = content_words(product.name)
        asked = content_words(question, exclude=name_words)
        if not lines or not asked:
            return PickedFacts(lines=[], score=0.0, unknown=False)
        q = np.asarray(self.embedder([question]))[0]
        dense = vectors @ q
        overlap = np.array([len(asked & content_words(line)) / len(asked) for line in lines])
        scores = dense + self.lexical_weight * overlap
        order = [int(i) for i in np.argsort(-scores) if lines[int(i)] not in skip]
        if not order:
            return PickedFacts(lines=[], score=0.0, unknown=False)
        best = float(scores[order[0]])
        chosen = [lines[order[0]]]
        covered = asked & content_words(lines[order[0]])
        for i in order[1:]:  # more lines while they cover asked words the chosen ones do not ("and is it warm?")
            if len(chosen) == 3 or scores[i] < max(self.threshold, best - self.spread):
                break
            adds = (asked & content_words(lines[i])) - covered
            if adds or scores[i] >= best - self.spread / 3:
                chosen.append(lines[i])
                covered |= adds
        known = " ".join(lines + [product.name, product.category])
        uncovered = asked - content_words(known) - _OVERVIEW
        if best < self.threshold:
            return PickedFacts(lines=[], score=round(best, 4), unknown=bool(uncovered))
        return PickedFacts(lines=chosen, score=round(best, 4), unknown=False)
