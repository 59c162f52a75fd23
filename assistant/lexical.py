"""Word-overlap scoring of knowledge entries, to sharpen the embedding ranking.

Small sentence embedders blur rare, exact words ("R-value", "heel drop",
"dishwasher", "Packstation"); TF-IDF over each entry's text and every way of
asking it keeps them. Scores are cosine similarities in [0, 1].
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from assistant.knowledge import Passage


class LexicalScorer:
    """TF-IDF similarity of a question to each knowledge entry (an entry's alternative questions count as its text)."""

    def __init__(self) -> None:
        self._vectorizer: Any = None
        self._matrix: Any = None
        self._ids: dict[str, int] = {}

    def fit(self, passages: Sequence[Passage]) -> LexicalScorer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts: dict[str, list[str]] = defaultdict(list)
        for p in passages:
            texts[p.parent or p.id].append(p.text)
        if not texts:
            self._vectorizer, self._matrix, self._ids = None, None, {}
            return self
        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", strip_accents="unicode")
        self._matrix = vectorizer.fit_transform(["\n".join(t) for t in texts.values()])
        self._vectorizer = vectorizer
        self._ids = {pid: i for i, pid in enumerate(texts)}
        return self

    def scores(self, question: str, ids: Sequence[str]) -> list[float]:
        """Similarity of ``question`` to each entry in ``ids`` (0.0 for an unknown id)."""
        if self._vectorizer is None:
            return [0.0] * len(ids)
        row = (self._vectorizer.transform([question]) @ self._matrix.T).toarray()[0]
        return [round(float(row[self._ids[i]]), 4) if i in self._ids else 0.0 for i in ids]
