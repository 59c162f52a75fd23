"""The spelling normaliser: corrects typos towards the shop vocabulary and leaves everything else alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.spelling import SpellingNormalizer, SpellingVocabulary

MESSAGES = [
    "where is my order, I want to track my order",
    "can I change the address of my order",
    "please send me the invoice for my order",
    "how do I reset my password",
    "pls cancel my order pls",
    "thx for the help, pls send it",
    "can you check the status of my parcel pls",
    "ok thx",
    "thx a lot",
]
KNOWLEDGE = ["The Fjell Hardshell Jacket costs 249.00 EUR.", "Payment by card or invoice. Contact customer service."]


@pytest.fixture(scope="module")
def speller() -> SpellingNormalizer:
    typos = ["where is my ordr"] * 2  # rare typos in the training data are not learnt as words
    return SpellingNormalizer(SpellingVocabulary.build(MESSAGES + typos, KNOWLEDGE), extra_known=["Polarnatt"])


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("cna you chekc the staus of my ordr pls", "can you check the status of my order pls"),
        ("wher is my ordr", "where is my order"),
        ("send me the invocie", "send me the invoice"),
        ("i forgot my pasword", "i forgot my password"),
        ("is the fjel jacket waterproof?", "is the fjell jacket waterproof?"),
    ],
)
def test_typos_are_corrected_towards_the_shop_vocabulary(speller: SpellingNormalizer, typed: str, read: str) -> None:
    assert speller(typed) == read


@pytest.mark.parametrize(
    "text",
    [
        "order 104512 for k.larsen@example.org",  # numbers and emails
        "is FP-JKT-001 in stock",  # SKUs
        "my DHL parcel from eBay",  # acronyms and mixed case
        "Birkenweg 5, Munich",  # capitalised names
        "how do i rest my legs after a hike",  # real English words, even when a typo is likely
        "thx pls",  # shorthand frequent in the training data
        "blorp snizzle wump",  # gibberish is not a set of typos
        "is the polarnatt warm enough",  # words the caller declares known (product names)
        "",
    ],
)
def test_everything_else_is_left_alone(speller: SpellingNormalizer, text: str) -> None:
    assert speller.run(text).text == text
    assert speller.run(text).corrections == []


def test_gibberish_is_flagged_and_typos_are_not(speller: SpellingNormalizer) -> None:
    assert speller.run("blorp snizzle wump").gibberish and speller.run("qwxz vlorb zzkt ok").gibberish
    assert not speller.run("wher is my ordr, pls").gibberish and not speller.run("thx pls").gibberish


def test_corrections_keep_the_first_letter(speller: SpellingNormalizer) -> None:
    # "nvoice" is one edit from "invoice" but starts differently: typists rarely miss the first letter
    assert speller("the nvoice") == "the nvoice"


def test_corrections_are_reported(speller: SpellingNormalizer) -> None:
    result = speller.run("wher is my ordr, pls")
    assert result.text == "where is my order, pls"
    assert result.corrections == [("wher", "where"), ("ordr", "order")]


def test_vocabulary_round_trips(tmp_path: Path) -> None:
    vocabulary = SpellingVocabulary.build(MESSAGES, KNOWLEDGE)
    vocabulary.save(tmp_path)
    assert SpellingVocabulary.load(tmp_path) == vocabulary
    assert SpellingVocabulary.load(tmp_path / "missing") is None
    assert "pls" in vocabulary.known and "ordr" not in vocabulary.known
