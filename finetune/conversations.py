"""Conversation tests as data: YAML scripts of customer turns and what must come of them.

``python -m finetune conversations [FOLDER]`` runs every script through the real
assistant and prints one line per turn; it exits 1 when any expectation fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from assistant.dialogue import Assistant, Reply


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str
    intent: str | None = None
    route: str | None = None
    strategy: str | None = None
    entities: dict[str, list[str]] = {}
    cites: str | None = None
    contains: list[str] = []
    handoff: bool | None = None


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    turns: list[Expect]


def load_scripts(folder: Path) -> dict[str, Script]:
    return {p.stem: Script.model_validate(yaml.safe_load(p.read_text())) for p in sorted(folder.glob("*.yaml"))}


def check_turn(expect: Expect, reply: Reply) -> list[str]:
    """What differs between the expectation and the reply (empty when it matches)."""
    problems = []
    for key in ("intent", "route", "strategy", "handoff"):
        wanted: Any = getattr(expect, key)
        got = getattr(reply, key)
        if wanted is not None and wanted != got:
            problems.append(f"{key}: expected {wanted}, got {got}")
    for key, values in expect.entities.items():
        got_values = getattr(reply.entities, key)
        missing = [v for v in values if v not in got_values]
        if missing:
            problems.append(f"entities.{key}: missing {missing}, got {got_values}")
    if expect.cites and expect.cites not in [s.id for s in reply.sources]:
        problems.append(f"cites: expected {expect.cites}, got {[s.id for s in reply.sources]}")
    for text in expect.contains:
        if text.lower() not in reply.text.lower():
            problems.append(f"reply lacks {text!r}")
    return problems


def run_script(bot: Assistant, name: str, script: Script) -> list[tuple[str, list[str]]]:
    session = f"conversation-test-{name}"
    return [(turn.user, check_turn(turn, bot.respond(turn.user, session_id=session))) for turn in script.turns]
