"""Sentence embeddings from the packaged all-MiniLM-L6-v2, usable as Chroma's embedding function."""

from __future__ import annotations

from typing import Any

from chromadb import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.models import minilm_dir


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Normalised 384-d MiniLM embeddings; the model loads on first use."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._model: Any = None

    def warm_up(self) -> None:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(minilm_dir()), device=self.device, local_files_only=True)

    def __call__(self, input: Documents) -> Embeddings:
        self.warm_up()
        vectors = self._model.encode(
            list(input), batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return list(vectors)

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
