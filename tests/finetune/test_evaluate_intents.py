import json
from pathlib import Path

import pytest

from assistant.settings import Settings
from finetune.evaluate_intents import (
    Predictions,
    effective,
    evaluate_intents,
    scores,
    summary,
    sweep,
    tfidf_baseline,
)
from finetune.intent_data import Example

GOLD = ["greeting", "thanks", "out_of_scope", "out_of_scope", "greeting"]
PRED = Predictions(
    labels=["greeting", "greeting", "out_of_scope", "thanks", "greeting"], confidences=[0.9, 0.8, 0.95, 0.3, 0.4]
)
TAGS = [["typo"], ["typo"], [], ["rude"], []]


def test_threshold_turns_unsure_predictions_into_fallback() -> None:
    assert effective(PRED, 0.5) == ["greeting", "greeting", "out_of_scope", "out_of_scope", "out_of_scope"]


def test_scores_count_rejections_and_tags() -> None:
    s = scores(GOLD, PRED, 0.5, TAGS)
    assert s["oos_recall"] == 1.0  # the unsure "thanks" on an out-of-scope text counts as rejected
    assert s["in_scope_rejection"] == pytest.approx(1 / 3, abs=1e-3)  # the unsure greeting
    assert s["per_tag"]["typo"]["n"] == 2 and s["per_tag"]["typo"]["accuracy"] == 0.5
    assert s["per_intent"]["thanks"]["recall"] == 0.0


def test_sweep_is_monotonic() -> None:
    rows = sweep(GOLD, PRED)
    assert [r["oos_recall"] for r in rows] == sorted(r["oos_recall"] for r in rows)
    assert rows[0]["in_scope_rejection"] == 0.0


def test_summary_has_a_baseline_column_only_when_one_was_scored() -> None:
    ours = scores(GOLD, PRED, 0.5, TAGS)
    alone = summary({"classifier": ours}).splitlines()
    assert alone[0].split() == ["metric", "classifier"] and "macro_f1 typo (n=2)" in alone[5]
    assert summary({"classifier": ours, "tfidf": ours}).splitlines()[0].split() == ["metric", "classifier", "tfidf"]


def test_tfidf_baseline_learns() -> None:
    train = [Example(text=t, intent="greeting") for t in ("hi", "hello", "hey there", "good morning")]
    train += [Example(text=t, intent="thanks") for t in ("thanks", "thank you", "cheers mate", "many thanks")]
    pred = tfidf_baseline(
        train, [Example(text="hello there", intent="greeting"), Example(text="thank you!", intent="thanks")]
    )
    assert pred.labels == ["greeting", "thanks"]


@pytest.fixture(scope="module")
def evaluated(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of the classifier the default training produces (scored once for the tests below)."""
    return evaluate_intents(Settings(data_dir=shared_models), out=tmp_path_factory.mktemp("intents-report"))


@pytest.mark.integration
def test_report_files_written(evaluated: Path) -> None:
    report = json.loads((evaluated / "report.json").read_text())
    assert report["classifier"]["n"] >= 600 and "typo" in report["classifier"]["per_tag"]
    assert report["tfidf"]["macro_f1"] > 0.3
    assert report["tfidf_spelling"]["n"] == report["classifier"]["n"]  # the baseline given the same normaliser
    confusion, sweep_plot = evaluated / "confusion.png", evaluated / "threshold_sweep.png"
    assert confusion.stat().st_size > 10_000 and sweep_plot.stat().st_size > 5_000
    assert (evaluated / "misclassified.jsonl").exists()


@pytest.mark.integration
def test_the_classifier_a_fresh_install_trains_meets_the_targets(evaluated: Path) -> None:
    """The quality bar of the intents issue, on the model the default training (what `prepare` runs) produces."""
    report = json.loads((evaluated / "report.json").read_text())
    ours, base = report["classifier"], report["tfidf"]
    assert ours["macro_f1"] >= 0.95
    assert ours["oos_recall"] >= 0.95 and ours["in_scope_rejection"] <= 0.02
    for tag in ("typo", "keywords", "rude", "long"):
        assert ours["per_tag"][tag]["macro_f1"] >= 0.90, tag
    for tag in ("typo", "keywords"):
        assert ours["per_tag"][tag]["macro_f1"] >= base["per_tag"][tag]["macro_f1"] + 0.05, tag
