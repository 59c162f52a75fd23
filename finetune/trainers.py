"""The training package's trainers, in process: what callers that import both packages hand to ``prepare``."""

from __future__ import annotations

from assistant.settings import Settings
from finetune.intents import IntentTrainArgs, train_intents
from finetune.sentiment import train_sentiment


class InProcessTrainers:
    """:class:`assistant.training.Trainers` that train in this process (the same models the CLI's commands train)."""

    def intents(self, settings: Settings) -> None:
        train_intents(IntentTrainArgs(threshold=settings.intent_threshold), settings)

    def sentiment(self, settings: Settings) -> None:
        train_sentiment(settings, settings.sentiment_data)
