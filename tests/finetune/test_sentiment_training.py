"""Training the sentiment model: card, weights, plot, and a clear error for a bad example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.registry import ModelCard, ModelRegistry
from assistant.settings import Settings
from finetune.sentiment import load_examples, train_sentiment


def test_training_registers_a_model_with_cross_validated_figures(tmp_path: Path) -> None:
    folder = train_sentiment(Settings(data_dir=tmp_path))
    card = ModelCard.read(folder)
    assert ModelRegistry(tmp_path / "models" / "sentiment").active() == folder
    assert card.metrics["n"] >= 900 and card.metrics["cv_macro_f1"] >= 0.8
    assert card.metrics["cv_escalate_precision"] >= 0.85 and card.metrics["cv_escalate_recall"] >= 0.85
    assert (folder / "weights.npz").is_file() and (folder / "confusion.png").stat().st_size > 1000


def test_a_bad_label_names_file_and_line(tmp_path: Path) -> None:
    data = tmp_path / "s.jsonl"
    data.write_text(json.dumps({"text": "ok", "label": "neutral"}) + "\n" + json.dumps({"text": "x", "label": "meh"}))
    with pytest.raises(ValueError, match=r"s\.jsonl:2: unknown label 'meh'"):
        load_examples(data)
