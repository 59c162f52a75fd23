"""The shifted test sets were written apart from the training data: no message is a copy or a near copy of one."""

import json
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz, process, utils

from assistant.settings import REPO_ROOT, Settings
from assistant.taxonomy import load_taxonomy
from finetune.intent_data import load_examples
from finetune.intent_slots import shop_slots

SHIFTED = REPO_ROOT / "finetune" / "data" / "shifted"
SECOND_SHOP = REPO_ROOT / "docs" / "examples" / "hearth-and-home"
SETS = {
    "dev": (SHIFTED / "dev.jsonl", REPO_ROOT / "knowledge"),
    "test": (SHIFTED / "test.jsonl", REPO_ROOT / "knowledge"),
    "second shop": (SECOND_SHOP / "shifted" / "intents.jsonl", SECOND_SHOP),
}
FAMILIES = {
    "plain", "second_language", "regional_vocabulary", "formal", "casual", "keywords", "long_story",
    "multi_request", "presupposition", "typos", "numbers_ids", "junk", "code_mixing", "rude",
}  # fmt: skip


def _key(text: str) -> str:
    """Case and punctuation ignored; an emoji-only message as it is."""
    return utils.default_process(text) or text.strip()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _train(knowledge: Path) -> list[str]:
    return [e.text for e in load_examples(Settings().intent_data_dir / "train", shop_slots(knowledge))]


@pytest.mark.parametrize("name", SETS)
def test_shifted_set_is_labelled_with_the_taxonomy_and_a_family(name: str) -> None:
    path, _ = SETS[name]
    labels = set(load_taxonomy(Settings().taxonomy_file).intents)
    rows = _rows(path)
    assert {r["intent"] for r in rows} == labels
    assert all(set(r["also"]) <= labels and r["family"] in FAMILIES for r in rows)
    assert {r["family"] for r in rows} == FAMILIES
    # several requests: the others are named, unless every one is out of scope
    assert all(r["also"] or r["intent"] == "out_of_scope" for r in rows if r["family"] == "multi_request")


def test_shifted_dev_and_test_parts_are_the_sizes_asked_and_do_not_overlap() -> None:
    dev, test = _rows(SHIFTED / "dev.jsonl"), _rows(SHIFTED / "test.jsonl")
    both = dev + test
    assert sum(r["intent"] != "out_of_scope" for r in both) >= 1200
    assert sum(r["intent"] == "out_of_scope" for r in both) >= 400
    assert not {_key(r["text"]) for r in dev} & {_key(r["text"]) for r in test}


@pytest.mark.parametrize("name", SETS)
def test_no_shifted_message_is_a_training_line_or_a_near_copy_of_one(name: str) -> None:
    """Exact (case and punctuation ignored) and 90% character similarity, against the examples as trained."""
    path, knowledge = SETS[name]
    train, shifted = _train(knowledge), [r["text"] for r in _rows(path)]
    seen = {_key(t) for t in train}
    assert [t for t in shifted if _key(t) in seen] == []
    close = process.cdist(train, shifted, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=90)
    assert [(train[i], shifted[j]) for i, j in zip(*close.nonzero(), strict=True)] == []


@pytest.mark.integration
def test_no_shifted_message_means_the_same_as_a_training_line_word_for_word() -> None:
    """Near copies by meaning: sentence-embedding cosine 0.97 or more to a training example."""
    from assistant.embedding import MiniLMEmbedding

    embed = MiniLMEmbedding()
    for path, knowledge in SETS.values():
        train = [t for t in _train(knowledge) if len(t) > 25]  # short fragments ("refund") mean the same by nature
        shifted = [r["text"] for r in _rows(path) if len(r["text"]) > 25]
        a = np.asarray(embed(train), dtype=np.float32)
        b = np.asarray(embed(shifted), dtype=np.float32)
        sims = (b @ a.T).max(axis=1)
        copies = [(shifted[i], train[int((b[i] @ a.T).argmax())]) for i in np.flatnonzero(sims >= 0.97)]
        assert copies == []
