"""Train the sentiment model: ``python -m finetune sentiment``.

Multinomial logistic regression on MiniLM embeddings plus shouting features,
five-fold cross-validated on the examples, then fitted on all of them and
registered as a new version in ``<data_dir>/models/sentiment`` with its card and
a confusion-matrix plot of the cross-validated predictions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from assistant.embedding import MiniLMEmbedding
from assistant.registry import ModelCard, ModelRegistry, file_hash
from assistant.sentiment import LABELS, WEIGHTS, features
from assistant.settings import Settings

DATA: Path = Settings.model_fields["sentiment_data"].default


class Example(BaseModel):
    text: str
    label: str


def load_examples(path: Path = DATA) -> list[Example]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        ex = Example.model_validate_json(line)
        if ex.label not in LABELS:
            raise ValueError(f"{path}:{n}: unknown label {ex.label!r}; expected one of {', '.join(LABELS)}")
        out.append(ex)
    return out


def train_sentiment(settings: Settings, data: Path = DATA, activate: bool = True, c: float = 8.0) -> Path:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import classification_report, confusion_matrix
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    examples = load_examples(data)
    texts, y = [e.text for e in examples], np.array([e.label for e in examples])
    x = features(MiniLMEmbedding(), texts)

    def model() -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=2000, class_weight="balanced")

    predicted = cross_val_predict(model(), x, y, cv=StratifiedKFold(5, shuffle=True, random_state=13))
    report = classification_report(y, predicted, labels=list(LABELS), output_dict=True, zero_division=0)
    matrix = confusion_matrix(y, predicted, labels=list(LABELS))
    final = model().fit(x, y)
    registry = ModelRegistry(settings.models_dir / "sentiment")
    with registry.build("sentiment") as (version, folder):
        np.savez(folder / WEIGHTS, coef=final.coef_, intercept=final.intercept_, labels=np.array(final.classes_))
        _plot(matrix, folder / "confusion.png")
        ModelCard(
            kind="sentiment",
            version=version,
            base_model="all-MiniLM-L6-v2 embeddings + logistic regression",
            data_hash=file_hash(data),
            data_files=[str(data)],
            hyperparameters={"C": c, "class_weight": "balanced", "cv_folds": 5},
            metrics={
                "cv_accuracy": round(float(report["accuracy"]), 4),
                "cv_macro_f1": round(float(report["macro avg"]["f1-score"]), 4),
                **{f"cv_{k}_{m}": round(float(report[k][m]), 4) for k in LABELS for m in ("precision", "recall")},
                "confusion": matrix.tolist(),
                "n": len(examples),
            },
            labels=[str(label) for label in final.classes_],
        ).write(folder)
    if activate:
        registry.activate(version)
    return registry.path(version)


def _plot(matrix: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=30)
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted (5-fold CV)")
    ax.set_ylabel("written as")
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, str(matrix[i, j]), ha="center", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def describe(folder: Path) -> str:
    card = ModelCard.read(folder)
    m = card.metrics
    return json.dumps({k: m[k] for k in m if k != "confusion"}, indent=1) + f"\nmodel: {folder}"
