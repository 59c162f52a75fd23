"""The per-turn sentiment model, trained by the shared fixture as `prepare` trains it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.embedding import MiniLMEmbedding
from assistant.registry import ModelRegistry
from assistant.sentiment import SentimentModel, surface_features


@pytest.fixture(scope="module")
def model(shared_models: Path) -> SentimentModel:
    folder = ModelRegistry(shared_models / "models" / "sentiment").active()
    assert folder is not None and (folder / "confusion.png").is_file()
    return SentimentModel(folder, MiniLMEmbedding())


def test_shouting_is_a_feature() -> None:
    calm, loud = surface_features(["where is my parcel", "WHERE IS MY PARCEL!!!"])
    assert calm.tolist() == [0.0, 0.0, 0.0] and loud[0] == 1.0 and loud[2] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "This is the third time I'm writing. I'm reporting you to consumer protection and my bank!",
        "someone logged into my account and ordered stuff with my card, help NOW",
        "your bot is completely useless, get me a real person",
    ],
)
def test_escalations(model: SentimentModel, text: str) -> None:
    feeling = model.run(text)
    assert feeling.label == "escalate" and feeling.escalation >= 0.5 and feeling.score < 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("How much does shipping to Austria cost?", "neutral"),
        ("Thank you so much, the boots are perfect!", "positive"),
        ("I can't log into my account", "neutral"),  # a login problem is not a hacked account
        ("What's your phone number?", "neutral"),
    ],
)
def test_calm_and_happy(model: SentimentModel, text: str, label: str) -> None:
    feeling = model.run(text)
    assert feeling.label == label and feeling.escalation < 0.5


def test_an_escalating_customer_is_handed_over_and_the_sentiment_is_logged(bot) -> None:  # type: ignore[no-untyped-def]
    angry = bot.respond("I've been charged three times and nobody answers!!! I'm calling my lawyer.", session_id="mad")
    calm = bot.respond("How long do I have to return an item?", session_id="calm")
    assert angry.handoff and angry.strategy == "handoff" and angry.sentiment.label == "escalate"
    assert not calm.handoff and calm.sentiment.label in ("neutral", "positive")
    logged = bot.turn_log.get(angry.turn_id)
    assert logged.sentiment_label == "escalate" and logged.sentiment == angry.sentiment.score
