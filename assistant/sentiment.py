"""How the customer feels, per turn: a small classifier over MiniLM sentence embeddings.

Four classes, trained on the examples in ``finetune/data/sentiment/`` by
``python -m finetune sentiment``: positive, neutral, negative and escalate
(anger, threats, fraud or security emergencies, complaints about the bot,
demands for a person). The weights are a multinomial logistic regression stored
as plain arrays (``weights.npz``), so inference is one embedding and a dot product.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from assistant.embedding import MiniLMEmbedding
from assistant.errors import ModelMissingError
from assistant.registry import ModelCard

LABELS = ("positive", "neutral", "negative", "escalate")
WEIGHTS = "weights.npz"
_LETTERS = re.compile(r"[A-Za-zÀ-ÿ]")


class Sentiment(BaseModel):
    """One message's sentiment: the likeliest class, a score from -1 (angry) to 1 (happy), and P(escalate)."""

    label: str
    score: float
    escalation: float
    probabilities: dict[str, float]


def surface_features(texts: list[str]) -> np.ndarray:
    """What an embedding of lower-cased words misses: shouting and exclamation marks."""
    rows = []
    for text in texts:
        letters = _LETTERS.findall(text)
        caps = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 8 else 0.0
        rows.append([caps, min(text.count("!"), 4) / 4, float("!!" in text or "?!" in text)])
    return np.asarray(rows, dtype=np.float32)


def features(embedder: MiniLMEmbedding, texts: list[str]) -> np.ndarray:
    return np.hstack([np.asarray(embedder(texts), dtype=np.float32), surface_features(texts)])


class SentimentModel:
    """Pipeline stage: ``run(text)`` -> ``Sentiment``; the embedder is shared with retrieval."""

    def __init__(self, folder: Path, embedder: MiniLMEmbedding) -> None:
        self.folder = folder
        self.embedder = embedder
        self.card: ModelCard | None = None
        self._coef: Any = None
        self._intercept: Any = None
        self._labels: list[str] = []

    def warm_up(self) -> None:
        if self._coef is not None:
            return
        path = self.folder / WEIGHTS
        try:
            with np.load(path) as data:
                self._coef, self._intercept = data["coef"], data["intercept"]
                self._labels = [str(x) for x in data["labels"]]
        except (OSError, KeyError, ValueError) as err:
            raise ModelMissingError(
                f"{path}: sentiment model missing or corrupt; run: python -m finetune sentiment"
            ) from err
        self.card = ModelCard.read(self.folder)
        self.embedder.warm_up()

    def run(self, text: str) -> Sentiment:
        self.warm_up()
        x = features(self.embedder, [text])[0]
        logits = self._coef @ x + self._intercept
        p = np.exp(logits - logits.max())
        p /= p.sum()
        probs = {label: round(float(v), 4) for label, v in zip(self._labels, p, strict=True)}
        score = probs.get("positive", 0.0) - probs.get("negative", 0.0) - probs.get("escalate", 0.0)
        return Sentiment(
            label=max(probs, key=lambda k: probs[k]),
            score=round(score, 4),
            escalation=probs.get("escalate", 0.0),
            probabilities=probs,
        )
