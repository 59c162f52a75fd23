"""The reply seed set: built from the knowledge folder, every fact taken from it."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.knowledge import load_knowledge
from assistant.prompts import PromptLibrary
from assistant.settings import Settings
from assistant.shop.profile import load_profile
from assistant.taxonomy import load_taxonomy
from finetune.reply_data import ReplyExample, build_seed, data_hash


@pytest.fixture(scope="module")
def seed() -> list[ReplyExample]:
    s = Settings()
    return build_seed(
        load_knowledge(s.knowledge_dir),
        PromptLibrary(s.prompts_dir, load_profile(s.knowledge_dir)),
        load_taxonomy(s.taxonomy_file),
        s.intent_data_dir / "train",
    )


def test_seed_is_large_and_covers_every_kind(seed: list[ReplyExample]) -> None:
    kinds = Counter(e.kind for e in seed)
    assert len(seed) >= 800
    assert set(kinds) >= {"faq", "policy", "product", "followup", "clarify", "dont_know", "refusal", "handoff"}


def test_answers_come_from_their_context(seed: list[ReplyExample]) -> None:
    from assistant import faithfulness

    for e in seed:
        if e.kind in ("faq", "policy", "product", "followup"):
            context = "\n".join(p.text for p in e.passages) + "\n" + e.question
            assert not faithfulness.check(e.answer, context).invented, (e.question, e.answer)


def test_dont_know_examples_do_not_contain_the_answer(seed: list[ReplyExample]) -> None:
    faq_answers = {e.question: e.answer for e in seed if e.kind == "faq"}
    for e in (e for e in seed if e.kind == "dont_know"):
        assert all(faq_answers.get(e.question, "")[:60] not in p.text for p in e.passages)
        assert "don't" in e.answer


def test_seed_is_deterministic(seed: list[ReplyExample]) -> None:
    s = Settings()
    again = build_seed(
        load_knowledge(s.knowledge_dir),
        PromptLibrary(s.prompts_dir, load_profile(s.knowledge_dir)),
        load_taxonomy(s.taxonomy_file),
        s.intent_data_dir / "train",
    )
    assert data_hash(again) == data_hash(seed)


def test_messages_use_the_run_time_prompt(seed: list[ReplyExample]) -> None:
    chat = seed[0].messages(PromptLibrary(Settings().prompts_dir, load_profile(Settings().knowledge_dir)))
    assert [m["role"] for m in chat][0] == "system" and chat[-1] == {"role": "assistant", "content": seed[0].answer}
    assert seed[0].question in chat[-2]["content"] and "Context:" in chat[-2]["content"]


def test_paraphrases_are_used_and_the_eval_set_stays_unseen(seed: list[ReplyExample]) -> None:
    from pathlib import Path

    from rapidfuzz import fuzz, process, utils

    from finetune.evaluate_replies import load_eval

    assert sum(e.kind in ("faq", "policy") for e in seed) >= 1000  # curated questions plus customers' wordings
    held_out = [i.question for i in load_eval(Path("finetune/data/replies/eval.jsonl"))]
    assert len(held_out) >= 150
    close = process.cdist(
        [e.question for e in seed], held_out, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=90
    )
    assert not close.any()
