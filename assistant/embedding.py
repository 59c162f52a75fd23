"""Sentence embeddings from the packaged all-MiniLM-L6-v2, usable as Chroma's embedding function."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from chromadb import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.models import minilm_dir

RECENT = 64
"""Single texts whose embeddings are kept (the messages of the last turns)."""


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Normalised 384-d MiniLM embeddings; the model loads on first use."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._model: Any = None
        self._recent: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(minilm_dir()), device=self.device, local_files_only=True)

    def __call__(self, input: Documents) -> Embeddings:
        self.warm_up()
        texts = list(input)
        if len(texts) == 1:  # one turn embeds its message for several queries: do it once
            with self._lock:
                cached = self._recent.get(texts[0])
            if cached is not None:
                return [cached]
        vectors = list(
            self._model.encode(
                texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        )
        if len(texts) == 1:
            with self._lock:
                self._recent[texts[0]] = vectors[0]
                while len(self._recent) > RECENT:
                    self._recent.popitem(last=False)
        return vectors

    @staticmethod
    def name() -> str:
        return "fjordpine-minilm"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"device": self.device}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding(device=config.get("device", "cpu"))
