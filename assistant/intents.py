"""Intent classification with the fine-tuned MiniLM (BertForSequenceClassification)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.errors import ModelMissingError
from assistant.registry import ModelCard
from assistant.spelling import SpellingNormalizer, SpellingVocabulary


class IntentPrediction(BaseModel):
    """The most likely intent, its calibrated confidence and the runners-up."""

    label: str
    confidence: float
    ranking: list[tuple[str, float]]
    corrections: list[tuple[str, str]] = []
    """Misspelt words the spelling normaliser corrected before classifying, as (typed, read)."""
    read: str | None = None
    """The message as the classifier read it, when spelling normalisation changed it."""
    gibberish: bool = False
    """Most of the message's words are in no vocabulary (see ``SpellingNormalizer``)."""


class IntentClassifier:
    """Predict the customer's intent; confidence is temperature-scaled when the card has a temperature.

    When the model folder carries a spelling vocabulary (``spelling.json``), messages are
    spelling-normalised first, as they were in training. ``known_words`` (product names
    from the knowledge folder, say) are never corrected.
    """

    def __init__(
        self, model_dir: Path, max_length: int = 64, threads: int | None = None, known_words: Iterable[str] = ()
    ) -> None:
        self.model_dir = model_dir
        self.max_length = max_length
        self.threads = threads
        self.known_words = list(known_words)
        self.temperature = 1.0
        self.card: ModelCard | None = None
        self.speller: SpellingNormalizer | None = None
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def labels(self) -> list[str]:
        self.warm_up()
        return [self._model.config.id2label[i] for i in range(self._model.config.num_labels)]

    def warm_up(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if self.threads:
            torch.set_num_threads(self.threads)
        if not (self.model_dir / "config.json").is_file():
            raise ModelMissingError(
                f"no intent classifier at {self.model_dir}; train one with: python -m finetune intents"
            )
        self.card = ModelCard.read(self.model_dir)
        self.temperature = float(self.card.metrics.get("temperature", 1.0)) or 1.0
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
            self._model = AutoModelForSequenceClassification.from_pretrained(self.model_dir, local_files_only=True)
            vocabulary = SpellingVocabulary.load(self.model_dir)
        except Exception as err:  # OSError, ValueError, safetensors' own error for a cut weights file
            raise ModelMissingError(
                f"intent classifier at {self.model_dir} is unreadable: {err}; roll back with "
                "python -m finetune rollback intents, or train one with python -m finetune intents"
            ) from err
        if vocabulary is not None:
            self.speller = SpellingNormalizer(vocabulary, self.known_words)
            self.speller.warm_up()
        self._model.eval()

    def predict(self, texts: list[str]) -> list[IntentPrediction]:
        """Label and confidence for each text."""
        import torch

        self.warm_up()
        if not texts:
            return []
        read = [self.speller.run(t) for t in texts] if self.speller else []
        batch = self._tokenizer(
            [t if t.strip() else "." for t in ([r.text for r in read] if read else texts)],
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            logits = self._model(**batch).logits / self.temperature
        probs = torch.softmax(logits.float(), dim=-1)
        id2label = self._model.config.id2label
        out = []
        for n, row in enumerate(probs):
            top = torch.topk(row, k=min(3, row.shape[0]))
            ranking = [(id2label[int(i)], round(float(p), 4)) for p, i in zip(top.values, top.indices, strict=True)]
            corrections = read[n].corrections if read else []
            out.append(
                IntentPrediction(
                    label=ranking[0][0],
                    confidence=ranking[0][1],
                    ranking=ranking,
                    corrections=corrections,
                    read=read[n].text if corrections else None,
                    gibberish=read[n].gibberish if read else False,
                )
            )
        return out

    def normalize(self, text: str) -> str:
        """The text with misspelt words corrected the way the classifier reads it (unchanged without a vocabulary)."""
        self.warm_up()
        return self.speller.run(text).text if self.speller else text

    def run(self, text: str) -> IntentPrediction:
        return self.predict([text])[0]
