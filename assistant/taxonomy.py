"""The intent taxonomy: which intents exist and what the dialogue loop does with each."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import AssistantError

Route = Literal["product", "recommend", "knowledge", "order", "handoff", "greeting", "thanks", "goodbye", "fallback"]
OUT_OF_SCOPE = "out_of_scope"


class IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str
    route: Route
    answer: str | None = None
    topic: str | None = None
    """How a clarifying question names the intent to the customer; default: its name, in words."""
    definition: str
    examples: list[str]


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intents: dict[str, IntentSpec]

    @property
    def labels(self) -> list[str]:
        return sorted(self.intents)

    def route(self, intent: str) -> Route:
        spec = self.intents.get(intent)
        return spec.route if spec else "fallback"

    def topic(self, intent: str) -> str:
        spec = self.intents.get(intent)
        return spec.topic if spec and spec.topic else intent.replace("_", " ")

    def answer(self, intent: str) -> str | None:
        spec = self.intents.get(intent)
        return spec.answer if spec else None


def load_taxonomy(path: Path) -> Taxonomy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        taxonomy = Taxonomy.model_validate(data)
    except OSError as err:
        raise AssistantError(f"{path}: cannot read the intent taxonomy ({err.strerror})") from err
    except yaml.YAMLError as err:
        raise AssistantError(f"{path}: invalid YAML ({err})") from err
    except ValidationError as err:
        first = err.errors()[0]
        raise AssistantError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from err
    if OUT_OF_SCOPE not in taxonomy.intents:
        raise AssistantError(f"{path}: the taxonomy needs an '{OUT_OF_SCOPE}' intent")
    return taxonomy
