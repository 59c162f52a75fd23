"""Intent classification with the fine-tuned MiniLM (BertForSequenceClassification)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.errors import ModelMissingError
from assistant.registry import ModelCard


class IntentPrediction(BaseModel):
    """The most likely intent, its calibrated confidence and the runners-up."""

    label: str
    confidence: float
    ranking: list[tuple[str, float]]


class IntentClassifier:
    """Predict the customer's intent; confidence is temperature-scaled when the card has a temperature."""

    def __init__(self, model_dir: Path, max_length: int = 64, threads: int | None = None) -> None:
        self.model_dir = model_dir
        self.max_length = max_length
        self.threads = threads
        self.temperature = 1.0
        self.card: ModelCard | None = None
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
        except (OSError, ValueError) as err:
            raise ModelMissingError(f"intent classifier at {self.model_dir} is unreadable: {err}") from err
        self._model.eval()

    def predict(self, texts: list[str]) -> list[IntentPrediction]:
        """Label and confidence for each text."""
        import torch

        self.warm_up()
        if not texts:
            return []
        batch = self._tokenizer(
            [t if t.strip() else "." for t in texts],
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
        for row in probs:
            top = torch.topk(row, k=min(3, row.shape[0]))
            ranking = [(id2label[int(i)], round(float(p), 4)) for p, i in zip(top.values, top.indices, strict=True)]
            out.append(IntentPrediction(label=ranking[0][0], confidence=ranking[0][1], ranking=ranking))
        return out

    def run(self, text: str) -> IntentPrediction:
        return self.predict([text])[0]
