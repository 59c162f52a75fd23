"""Labelled intent examples: YAML files per intent (what support leads extend) or JSONL.

A YAML file holds ``intent:`` and ``examples:`` (strings or ``{text, tags}``);
a JSONL file holds one ``{"text", "intent", "tags"?}`` object per line, so public
intent datasets can be used as they are.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from assistant.errors import AssistantError
from finetune.intent_slots import SLOT, ShopSlots


class Example(BaseModel):
    text: str = Field(min_length=1)
    intent: str = Field(min_length=1)
    tags: list[str] = []


def _from_yaml(path: Path) -> list[Example]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise AssistantError(f"{where}: invalid YAML") from err
    if not isinstance(data, dict) or "intent" not in data or not isinstance(data.get("examples"), list):
        raise AssistantError(f"{path}: expected 'intent:' and an 'examples:' list")
    out = []
    for i, item in enumerate(data["examples"]):
        raw = {"text": item} if isinstance(item, str) else item
        try:
            out.append(Example.model_validate({"intent": data["intent"], **raw}))
        except (ValidationError, TypeError) as err:
            raise AssistantError(f"{path}: example {i + 1} is not valid ({err})") from err
    return out


def _from_jsonl(path: Path) -> list[Example]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Example.model_validate_json(line))
        except ValidationError as err:
            raise AssistantError(f'{path}:{n}: expected {{"text", "intent"}} ({err.errors()[0]["msg"]})') from err
    return out


def load_examples(path: Path, slots: ShopSlots | None = None) -> list[Example]:
    """Examples from a folder of YAML/JSONL files, one YAML file or one JSONL file.

    ``slots`` fills ``{product}``, ``{item}`` and ``{shop}`` with the shop's words
    (see ``finetune.intent_slots``); without them, an example with a slot is an error.
    """
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml"), *path.glob("*.jsonl")])
        if not files:
            raise AssistantError(f"{path}: no .yaml or .jsonl files with intent examples")
        return [e for f in files for e in load_examples(f, slots)]
    if not path.is_file():
        raise AssistantError(f"{path}: no such file or folder")
    examples = _from_jsonl(path) if path.suffix == ".jsonl" else _from_yaml(path)
    if slots is not None:
        return [e.model_copy(update={"text": text}) for e in examples for text in slots.copies(e.text)]
    unfilled = next((e for e in examples if SLOT.search(e.text)), None)
    if unfilled is not None:
        raise AssistantError(f"{path}: {unfilled.text!r} has a slot and no shop was given to fill it")
    return examples


def data_hash(examples: list[Example]) -> str:
    payload = json.dumps(sorted((e.text, e.intent) for e in examples)).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def dedupe(examples: list[Example]) -> list[Example]:
    """Drop exact duplicates (case- and space-insensitive) and texts given two labels."""
    labels: dict[str, set[str]] = defaultdict(set)
    for e in examples:
        labels[" ".join(e.text.lower().split())].add(e.intent)
    seen: set[str] = set()
    out = []
    for e in examples:
        key = " ".join(e.text.lower().split())
        if key in seen or len(labels[key]) > 1:
            continue
        seen.add(key)
        out.append(e)
    return out


def split_dev(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Stratified split: ``fraction`` of every intent (at least one) goes to dev."""
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_intent[e.intent].append(e)
    rng = random.Random(seed)
    train, dev = [], []
    for intent in sorted(by_intent):
        items = by_intent[intent][:]
        rng.shuffle(items)
        n_dev = max(1, round(len(items) * fraction)) if len(items) > 2 and fraction > 0 else 0
        dev += items[:n_dev]
        train += items[n_dev:]
    return train, dev


_NEIGHBOURS = {
    "a": "qswz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}


def misspell(text: str, rng: random.Random, rate: float = 0.35) -> str:
    """The text as a hurried customer might type it: dropped, doubled, swapped or neighbouring keys."""
    words = text.split(" ")
    out = []
    for word in words:
        letters = [i for i, c in enumerate(word) if c.isalpha()]
        if len(letters) >= 4 and rng.random() < rate:
            i = rng.choice(letters[1:-1])
            kind = rng.randrange(4)
            if kind == 0:
                word = word[:i] + word[i + 1 :]
            elif kind == 1:
                word = word[:i] + word[i] + word[i:]
            elif kind == 2 and i + 1 < len(word):
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            else:
                near = _NEIGHBOURS.get(word[i].lower())
                if near:
                    word = word[:i] + rng.choice(near) + word[i + 1 :]
        out.append(word)
    return " ".join(out)


def with_typos(examples: list[Example], share: float, seed: int) -> list[Example]:
    """Examples plus misspelt copies of ``share`` of them (tagged "augmented")."""
    if share <= 0:
        return list(examples)
    rng = random.Random(seed)
    extra = []
    for e in examples:
        if rng.random() < share:
            noisy = misspell(e.text, rng)
            if noisy != e.text:
                extra.append(Example(text=noisy, intent=e.intent, tags=[*e.tags, "typo", "augmented"]))
    return [*examples, *extra]
