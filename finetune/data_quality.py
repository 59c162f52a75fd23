"""Checks on labelled messages before they are trained on, with a report of what was dropped and why.

Applied to every example source (shipped YAML, curated turns from the log):

* ``empty`` / ``too_long``: fewer than ``min_chars`` or more than ``max_chars`` characters;
* ``not_english``: an in-scope message of five or more words, under ``min_english`` of them English
  (typos and chat shorthand pass; out-of-scope examples may be in any language: that is what they teach);
* ``duplicate``: the same text again (case, spacing and punctuation ignored);
* ``conflict``: the same text labelled with two intents: every copy is held back;
* ``near_duplicate``: at least ``near`` % similar to an earlier example of the same intent;
* personal data (emails, phone and card numbers, street addresses) is redacted, and counted.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel

from assistant.redact import redact
from assistant.spelling import english_words
from assistant.taxonomy import OUT_OF_SCOPE
from finetune.intent_data import Example

_WORDS = re.compile(r"[a-zà-ÿ]+", re.I)


class Dropped(BaseModel):
    text: str
    intent: str
    reason: str
    detail: str = ""


class QualityReport(BaseModel):
    n_in: int
    n_out: int
    dropped: list[Dropped] = []
    redacted: dict[str, int] = {}
    seed: int | None = None
    """Shipped examples trained on beside these (when the report is of a training run)."""
    replaced: list[Dropped] = []
    """Shipped examples whose text a curated example relabelled: the curated label wins."""

    @property
    def by_reason(self) -> dict[str, int]:
        return dict(Counter(d.reason for d in self.dropped))

    def summary(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.by_reason.items())) or "none"
        pii = ", ".join(f"{k} {v}" for k, v in sorted(self.redacted.items())) or "none"
        text = f"{self.n_in} examples in, {self.n_out} kept; dropped: {reasons}; redacted: {pii}"
        if self.seed is not None:
            text += f"; beside {self.seed} shipped examples, {len(self.replaced)} of them relabelled"
        return text


def text_key(text: str) -> str:
    """Case, spacing and punctuation ignored."""
    return " ".join(re.findall(r"\w+", text.lower()))


def english_share(text: str) -> float:
    words = [w.lower() for w in _WORDS.findall(text)]
    if not words:
        return 0.0
    known = english_words()
    return sum(w in known for w in words) / len(words)


def clean_examples(
    examples: Sequence[Example],
    near: float = 95.0,
    min_chars: int = 2,
    max_chars: int = 1000,
    min_english: float = 0.3,
) -> tuple[list[Example], QualityReport]:
    """The examples fit to train on, and the report of everything dropped or redacted."""
    from rapidfuzz import fuzz, utils

    dropped: list[Dropped] = []
    redacted: Counter[str] = Counter()
    candidates: list[Example] = []
    for e in examples:
        text = e.text.strip()
        if len(text) < min_chars:
            dropped.append(Dropped(text=e.text, intent=e.intent, reason="empty"))
            continue
        if len(text) > max_chars:
            dropped.append(Dropped(text=e.text[:200], intent=e.intent, reason="too_long", detail=f"{len(text)} chars"))
            continue
        foreign = e.intent != OUT_OF_SCOPE and len(_WORDS.findall(text)) >= 5
        if foreign and (share := english_share(text)) < min_english:
            dropped.append(
                Dropped(text=e.text, intent=e.intent, reason="not_english", detail=f"{share:.0%} English words")
            )
            continue
        clean = redact(text)
        redacted.update(clean.found)
        candidates.append(e.model_copy(update={"text": clean.text}))

    labels: dict[str, set[str]] = defaultdict(set)
    for e in candidates:
        labels[text_key(e.text)].add(e.intent)
    kept: list[Example] = []
    seen: set[str] = set()
    by_intent: dict[str, list[str]] = defaultdict(list)
    for e in candidates:
        key = text_key(e.text)
        if len(labels[key]) > 1:
            other = ", ".join(sorted(labels[key] - {e.intent}))
            dropped.append(Dropped(text=e.text, intent=e.intent, reason="conflict", detail=f"also labelled {other}"))
            continue
        if key in seen:
            dropped.append(Dropped(text=e.text, intent=e.intent, reason="duplicate"))
            continue
        similar = next(
            (t for t in by_intent[e.intent] if fuzz.ratio(e.text, t, processor=utils.default_process) >= near), None
        )
        if similar is not None:
            dropped.append(Dropped(text=e.text, intent=e.intent, reason="near_duplicate", detail=similar))
            continue
        seen.add(key)
        by_intent[e.intent].append(e.text)
        kept.append(e)
    return kept, QualityReport(n_in=len(examples), n_out=len(kept), dropped=dropped, redacted=dict(redacted))
