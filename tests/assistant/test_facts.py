"""Catalogue fact lines picked per question, with the real MiniLM embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answers import catalogue_answer
from assistant.embedding import MiniLMEmbedding
from assistant.facts import FactPicker, fact_lines, named_terms
from assistant.knowledge import load_knowledge
from assistant.prompts import PromptLibrary
from assistant.spelling import english_words

KB = load_knowledge(Path(__file__).resolve().parents[2] / "knowledge")
WORDING = PromptLibrary(Path(__file__).resolve().parents[2] / "prompts").catalogue.wording()


@pytest.fixture(scope="module")
def picker() -> FactPicker:
    return FactPicker(MiniLMEmbedding(), WORDING)


def _named(word: str):  # type: ignore[no-untyped-def]
    return next(p for p in KB.products if word in p.name)


def test_fact_lines_keep_the_catalogue_wording() -> None:
    lines = fact_lines(_named("Jotunheimen"), WORDING)
    assert "Compatible with strap-on crampons." in lines and "It weighs 1,480 g." in lines


@pytest.mark.parametrize(
    ("product", "question", "fact"),
    [
        ("Jotunheimen", "Can I use crampons with the Jotunheimen boots?", "crampons"),
        ("Kilde", "how long does the kilde keep drinks hot?", "12 hours"),
        ("Hardanger", "is the fur on the hood of the Hardanger real?", "faux"),
    ],
)
def test_the_line_that_answers_is_picked(picker: FactPicker, product: str, question: str, fact: str) -> None:
    item = _named(product)
    picked = picker.run(item, question)
    assert any(fact in line for line in picked.lines), picked
    assert fact in catalogue_answer(item, question, WORDING, picked.lines)


def test_a_question_the_catalogue_does_not_cover_is_unknown(picker: FactPicker) -> None:
    picked = picker.run(_named("Lofoten"), "In which country is the Lofoten jacket manufactured?")
    assert picked.unknown and not picked.lines


@pytest.mark.parametrize(
    ("product", "question", "facts"),
    [
        ("Polarnatt", "Is the Polarnatt OK for a night at -10?", ["Comfort -10 °C"]),
        ("Kilde", "What's the capacity of the Kilde bottle, and is it dishwasher safe?", ["750 ml", "dishwasher"]),
        ("Jotunheimen", "What do the Jotunheimen boots weigh? And crampons with them?", ["1,480 g", "crampons"]),
    ],
)
def test_each_part_and_each_asked_measure_gets_its_line(
    picker: FactPicker, product: str, question: str, facts: list[str]
) -> None:
    item = _named(product)
    reply = catalogue_answer(item, question, WORDING, picker.run(item, question).lines)
    assert all(fact in reply for fact in facts), reply


def test_a_temperature_question_never_gets_the_washing_temperature(picker: FactPicker) -> None:
    parka = _named("Hardanger")
    question = "Will the Hardanger parka keep me warm at minus 20?"
    assert "wash" not in catalogue_answer(parka, question, WORDING, picker.run(parka, question).lines).lower()


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Is the sole made by Vibram or is it your own rubber?", ["Vibram"]),
        ("does the vidda use PrimaLoft insulation", ["PrimaLoft"]),
        ("Are the zips YKK? Great tent by the way", ["YKK"]),
        ("How light is it? Doing the Kungsleden with my boyfriend this summer", []),  # tells where, asks nothing
        ("Lofoten jacket: UV protection in XL for the EU?", []),  # short capitals are sizes and the like
    ],
)
def test_names_the_question_asks_about(question: str, names: list[str]) -> None:
    assert named_terms(question) == names


def test_a_name_the_product_data_never_uses_is_reported_with_the_closest_lines() -> None:
    picker = FactPicker(MiniLMEmbedding(), WORDING, vocabulary=english_words())
    vidda = _named("Vidda")
    picked = picker.run(vidda, "Does the Vidda jacket use PrimaLoft insulation?")
    assert picked.unnamed == ["PrimaLoft"] and picked.lines  # what the catalogue does say about its fill
    assert not picker.run(vidda, "Does the Vida jacket have a hood?").unnamed  # a misspelt own name is no new name
    assert not picker.run(vidda, "How warm is the Vidda Insulated Jacket?").unnamed
