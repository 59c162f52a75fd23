"""Train, save, load, same predictions: the intent classifier on a handful of examples."""

import json
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.intents import IntentClassifier
from assistant.registry import ModelCard, ModelRegistry
from assistant.settings import Settings
from finetune.intent_data import Example, dedupe, load_examples, split_dev
from finetune.intent_slots import shop_slots
from finetune.intents import IntentTrainArgs, train_intents

TRAIN = {
    "greeting": ["hi", "hello there", "good morning", "hey!", "hello", "hiya", "good evening", "hey team"],
    "thanks": ["thanks", "thank you so much", "cheers", "many thanks", "thx", "thanks a lot", "great, thank you", "ty"],
    "out_of_scope": [
        "what's the weather",
        "tell me a joke",
        "who won the game",
        "write python code",
        "capital of france",
        "book me a flight",
        "stock price of apple",
        "sing a song",
    ],
}


def _write(tmp_path: Path) -> Path:
    rows = [{"text": t, "intent": i} for i, texts in TRAIN.items() for t in texts]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


@pytest.mark.integration
def test_train_save_load_same_predictions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    folder = train_intents(
        IntentTrainArgs(
            train=_write(tmp_path),
            test=tmp_path / "none.jsonl",
            max_steps=25,
            batch_size=8,
            learning_rate=3e-4,
            dev_fraction=0.25,
        ),
        settings,
    )
    registry = ModelRegistry(settings.models_dir / "intents")
    assert registry.active() == folder
    card = ModelCard.read(folder)
    assert card.base_model == "all-MiniLM-L6-v2" and card.labels == sorted(TRAIN)
    assert card.hyperparameters["max_steps"] == 25 and "dev" in card.metrics and card.data_hash
    texts = ["hello!", "thank you very much", "what's the capital of spain"]
    first = IntentClassifier(folder).predict(texts)
    again = IntentClassifier(folder).predict(texts)
    assert [p.label for p in first] == [p.label for p in again]
    assert [p.confidence for p in first] == pytest.approx([p.confidence for p in again], abs=1e-5)
    assert [p.label for p in first] == ["greeting", "thanks", "out_of_scope"]
    assert (folder / "spelling.json").is_file()  # the spelling vocabulary travels with the model
    assert first[1].corrections == []
    assert again[0].corrections == [] and IntentClassifier(folder).run("thnak you very much").corrections == [
        ("thnak", "thank")
    ]


def test_shipped_training_data_is_complete() -> None:
    settings = Settings()
    slots = shop_slots(settings.knowledge_dir)
    examples = load_examples(settings.intent_data_dir / "train", slots)
    from assistant.taxonomy import load_taxonomy

    labels = set(load_taxonomy(settings.taxonomy_file).intents)
    counts = {label: sum(e.intent == label for e in examples) for label in labels}
    assert set(counts) == {e.intent for e in examples}
    assert min(counts.values()) >= 60 and counts["out_of_scope"] >= 400
    test = load_examples(settings.intent_data_dir / "test.jsonl", slots)
    assert {e.intent for e in test} == labels
    train_texts = {e.text.lower() for e in examples}
    assert sum(e.text.lower() in train_texts for e in test) == 0


def test_test_set_is_not_a_paraphrase_of_training_lines() -> None:
    """No held-out message is a near copy (90% character similarity, case and punctuation ignored) of a training one."""
    from rapidfuzz import fuzz, process, utils

    settings = Settings()
    slots = shop_slots(settings.knowledge_dir)
    train = [e.text for e in load_examples(settings.intent_data_dir / "train", slots)]
    test = [e.text for e in load_examples(settings.intent_data_dir / "test.jsonl", slots)]
    close = process.cdist(train, test, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=90)
    pairs = [(train[i], test[j]) for i, j in zip(*close.nonzero(), strict=True)]
    assert pairs == []


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "hi", "intent": "greeting"}\n{"text": "no label"}\n')
    with pytest.raises(AssistantError, match=r"x.jsonl:2"):
        load_examples(path)


def test_dedupe_drops_conflicting_labels_and_split_is_stratified() -> None:
    rows = [
        Example(text="Hi", intent="greeting"),
        Example(text="hi ", intent="greeting"),
        Example(text="ok", intent="thanks"),
        Example(text="OK", intent="goodbye"),
    ]
    assert [e.text for e in dedupe(rows)] == ["Hi"]
    many = [Example(text=f"{i} {k}", intent=k) for k in ("a", "b") for i in range(10)]
    train, dev = split_dev(many, 0.2, seed=1)
    assert sorted(e.intent for e in dev) == ["a", "a", "b", "b"] and len(train) == 16


def test_typo_copies_are_misspelt_and_labelled() -> None:
    import random

    from finetune.intent_data import misspell, with_typos

    rows = [Example(text="where is my order please", intent="track_order")] * 20
    out = with_typos(rows, share=0.5, seed=3)
    extra = out[20:]
    assert 3 <= len(extra) <= 17 and all(e.intent == "track_order" and "augmented" in e.tags for e in extra)
    assert all(e.text != "where is my order please" for e in extra)
    assert misspell("ok hi", random.Random(1)) == "ok hi"  # short words stay
