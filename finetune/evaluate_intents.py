"""Evaluate the intent classifier on the held-out test set, beside a TF-IDF baseline.

``python -m finetune evaluate-intents`` writes into one report folder:
``report.json`` (per-intent precision/recall/F1, macro-F1, per-variation-tag scores,
out-of-scope recall and in-scope rejection at the threshold, for the classifier and
for a TF-IDF + logistic-regression baseline trained on the same data in the same run),
``misclassified.jsonl``, ``confusion.png`` and ``threshold_sweep.png``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.intents import IntentClassifier
from assistant.registry import ModelCard, ModelRegistry
from assistant.settings import Settings
from assistant.spelling import SpellingNormalizer, SpellingVocabulary
from assistant.taxonomy import OUT_OF_SCOPE
from finetune.intent_data import Example, dedupe, load_examples
from finetune.intent_slots import shop_slots

SWEEP = [round(i / 20, 2) for i in range(20)]


class Predictions(BaseModel):
    labels: list[str]
    confidences: list[float]


def effective(pred: Predictions, threshold: float) -> list[str]:
    """What the assistant acts on: the label, or out_of_scope when confidence is under the threshold."""
    return [
        label if conf >= threshold else OUT_OF_SCOPE for label, conf in zip(pred.labels, pred.confidences, strict=True)
    ]


def scores(gold: Sequence[str], pred: Predictions, threshold: float, tags: Sequence[Sequence[str]]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    acted = effective(pred, threshold)
    labels = sorted(set(gold))
    p, r, f, n = precision_recall_fscore_support(gold, acted, labels=labels, zero_division=0)
    oos = [g == OUT_OF_SCOPE for g in gold]
    rejected = [a == OUT_OF_SCOPE for a in acted]
    n_oos, n_in = sum(oos), len(gold) - sum(oos)
    by_tag: dict[str, dict[str, float]] = {}
    for tag in sorted({t for ts in tags for t in ts}):
        idx = [i for i, ts in enumerate(tags) if tag in ts]
        g = [gold[i] for i in idx]
        a = [acted[i] for i in idx]
        by_tag[tag] = {
            "n": len(idx),
            "macro_f1": round(float(f1_score(g, a, labels=sorted(set(g)), average="macro", zero_division=0)), 4),
            "accuracy": round(float(accuracy_score(g, a)), 4),
        }
    return {
        "threshold": threshold,
        "n": len(gold),
        "accuracy": round(float(accuracy_score(gold, acted)), 4),
        "macro_f1": round(float(f1_score(gold, acted, labels=labels, average="macro", zero_division=0)), 4),
        "oos_recall": round(sum(o and r_ for o, r_ in zip(oos, rejected, strict=True)) / max(n_oos, 1), 4),
        "in_scope_rejection": round(sum(r_ and not o for o, r_ in zip(oos, rejected, strict=True)) / max(n_in, 1), 4),
        "per_intent": {
            label: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, label in enumerate(labels)
        },
        "per_tag": by_tag,
    }


def sweep(gold: Sequence[str], pred: Predictions) -> list[dict[str, float]]:
    oos = [g == OUT_OF_SCOPE for g in gold]
    n_oos, n_in = sum(oos), len(gold) - sum(oos)
    rows = []
    for t in SWEEP:
        acted = effective(pred, t)
        rows.append(
            {
                "threshold": t,
                "oos_recall": sum(o and a == OUT_OF_SCOPE for o, a in zip(oos, acted, strict=True)) / max(n_oos, 1),
                "in_scope_rejection": sum(a == OUT_OF_SCOPE and not o for o, a in zip(oos, acted, strict=True))
                / max(n_in, 1),
                "in_scope_accuracy": sum(a == g for g, a, o in zip(gold, acted, oos, strict=True) if not o)
                / max(n_in, 1),
            }
        )
    return rows


def tfidf_baseline(train: list[Example], test: list[Example]) -> Predictions:
    """Word 1-2-gram TF-IDF and logistic regression, trained on the same examples."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced"),
    )
    model.fit([e.text for e in train], [e.intent for e in train])
    probs = model.predict_proba([e.text for e in test])
    classes = list(model.classes_)
    return Predictions(
        labels=[classes[int(row.argmax())] for row in probs], confidences=[float(row.max()) for row in probs]
    )


def _plot_confusion(gold: Sequence[str], acted: Sequence[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    labels = sorted(set(gold) | set(acted))
    fig, ax = plt.subplots(figsize=(16, 14))
    ConfusionMatrixDisplay.from_predictions(
        gold, acted, labels=labels, ax=ax, xticks_rotation=90, colorbar=False, include_values=True, cmap="Blues"
    )
    ax.set_title("Intent confusion matrix (held-out test set, after the confidence threshold)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_sweep(rows: dict[str, list[dict[str, float]]], threshold: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, style in (("classifier", "-"), ("tfidf", ":")):
        if name not in rows:
            continue
        xs = [r["threshold"] for r in rows[name]]
        ax.plot(xs, [r["oos_recall"] for r in rows[name]], "b" + style, label=f"{name}: out-of-scope recall")
        ax.plot(xs, [r["in_scope_rejection"] for r in rows[name]], "r" + style, label=f"{name}: in-scope rejected")
    ax.axvline(threshold, color="gray", linestyle="--", label=f"threshold {threshold}")
    ax.set_xlabel("confidence threshold")
    ax.set_ylabel("share of test messages")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def evaluate_intents(
    settings: Settings,
    model_dir: Path | None = None,
    test_path: Path | None = None,
    train_path: Path | None = None,
    out: Path | None = None,
    threshold: float | None = None,
    baseline: bool = True,
) -> Path:
    """Score the classifier and (unless ``baseline`` is off) the TF-IDF baseline; returns the report folder."""
    registry = ModelRegistry(settings.models_dir / "intents")
    model_dir = model_dir or registry.active()
    if model_dir is None:
        from assistant.errors import ModelMissingError

        raise ModelMissingError("no active intent classifier; train one with: python -m finetune intents")
    card = ModelCard.read(model_dir)
    threshold = settings.intent_threshold if threshold is None else threshold
    slots = shop_slots(settings.knowledge_dir)
    test = load_examples(test_path or settings.intent_data_dir / "test.jsonl", slots)
    train = dedupe(load_examples(train_path or settings.intent_data_dir / "train", slots)) if baseline else []
    gold = [e.intent for e in test]
    tags = [e.tags for e in test]

    classifier = IntentClassifier(model_dir)
    predicted = []
    for start in range(0, len(test), 64):
        predicted += classifier.predict([e.text for e in test[start : start + 64]])
    ours = Predictions(labels=[p.label for p in predicted], confidences=[p.confidence for p in predicted])
    base = tfidf_baseline(train, test) if baseline else None
    vocabulary = SpellingVocabulary.load(model_dir) if baseline else None
    if vocabulary is not None:  # the same baseline given the classifier's spelling normaliser, for a fair reading
        speller = SpellingNormalizer(vocabulary)
        respelt = [[e.model_copy(update={"text": speller(e.text)}) for e in rows] for rows in (train, test)]
        base_spelling: Predictions | None = tfidf_baseline(*respelt)
    else:
        base_spelling = None

    out = out or settings.data_dir / "reports" / f"intents-{card.version or model_dir.name}"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "model": card.version or model_dir.name,
        "test_file": str(test_path or settings.intent_data_dir / "test.jsonl"),
        "classifier": scores(gold, ours, threshold, tags),
        "sweep": {"classifier": sweep(gold, ours)} | ({"tfidf": sweep(gold, base)} if base is not None else {}),
    }
    if base is not None:
        report["tfidf"] = scores(gold, base, threshold, tags)
    if base_spelling is not None:
        report["tfidf_spelling"] = scores(gold, base_spelling, threshold, tags)
    (out / "report.json").write_text(json.dumps(report, indent=2))
    acted = effective(ours, threshold)
    with open(out / "misclassified.jsonl", "w", encoding="utf-8") as fh:
        for e, a, p in zip(test, acted, predicted, strict=True):
            if a != e.intent:
                row = {
                    "text": e.text,
                    "gold": e.intent,
                    "predicted": p.label,
                    "acted": a,
                    "confidence": p.confidence,
                    "tags": e.tags,
                    "corrections": p.corrections,
                }
                fh.write(json.dumps(row) + "\n")
    _plot_confusion(gold, acted, out / "confusion.png")
    _plot_sweep(report["sweep"], threshold, out / "threshold_sweep.png")  # type: ignore[arg-type]
    return out


def summary(report: dict[str, Any], tags: Sequence[str] = ("typo", "keywords", "rude", "long", "negation")) -> str:
    """The headline figures side by side: classifier, and the TF-IDF baselines (with spelling) when present."""
    widths = {"classifier": 12, "tfidf": 10, "tfidf_spelling": 16}
    columns = [(name, width) for name, width in widths.items() if name in report]
    lines = [f"{'metric':<26}" + "".join(f"{name:>{width}}" for name, width in columns)]
    for key in ("macro_f1", "accuracy", "oos_recall", "in_scope_rejection"):
        lines.append(f"{key:<26}" + "".join(f"{report[name][key]:>{width}.4f}" for name, width in columns))
    for tag in tags:
        if tag in report["classifier"]["per_tag"]:
            n = report["classifier"]["per_tag"][tag]["n"]
            cells = "".join(f"{report[name]['per_tag'][tag]['macro_f1']:>{width}.4f}" for name, width in columns)
            lines.append(f"{'macro_f1 ' + tag + ' (n=' + str(n) + ')':<26}" + cells)
    return "\n".join(lines)
