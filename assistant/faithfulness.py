"""Check that a generated reply states no fact its context does not contain.

Facts checked: numbers (prices, amounts, percentages, days, hours, order numbers),
SKUs and email addresses. A number counts as supported when the same value
appears anywhere in the context, the catalogue facts or the conversation.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d+)?(?![\w])|\d+")
_SKU = re.compile(r"\b[A-Z]{2}-[A-Z]{2,4}-\d{2,4}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


_WORD = re.compile(r"[a-z]{4,}")
_COMMON = {
    "about",
    "above",
    "after",
    "again",
    "also",
    "because",
    "been",
    "before",
    "being",
    "could",
    "does",
    "doing",
    "during",
    "each",
    "from",
    "further",
    "have",
    "having",
    "here",
    "into",
    "just",
    "more",
    "most",
    "other",
    "over",
    "same",
    "should",
    "some",
    "such",
    "than",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "under",
    "until",
    "very",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "will",
    "with",
    "would",
    "your",
    "yours",
    "you're",
    "sorry",
    "please",
    "thank",
    "thanks",
    "happy",
    "help",
    "glad",
    "know",
    "like",
    "want",
    "need",
    "make",
    "sure",
    "information",
    "question",
    "questions",
    "customer",
    "assistant",
}


class Verdict(BaseModel):
    """Whether every checked fact of the reply is supported, and which are not."""

    supported: bool
    unsupported: list[str] = []
    invented: list[str] = []
    """The numbers, SKUs and emails of the reply that the context does not contain."""
    checked: int = 0
    grounding: float = 1.0
    """Share of the reply's content words that occur in the context."""


def _numbers(text: str) -> set[str]:
    out = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(" ", "").replace(",", ".")
        if value.count(".") > 1:  # 1.234.567 thousands separators
            value = value.replace(".", "")
        try:
            num = float(value)
        except ValueError:
            continue
        out.add(f"{num:g}")
    return out


def grounding(reply: str, context: str) -> float:
    words = [w for w in _WORD.findall(reply.lower()) if w not in _COMMON]
    if not words:
        return 1.0
    known = set(_WORD.findall(context.lower()))
    return sum(w in known or w.rstrip("s") in known for w in words) / len(words)


def check(reply: str, context: str, min_grounding: float = 0.5) -> Verdict:
    """Numbers, SKUs and emails must all come from the context, and most content words too."""
    unsupported: list[str] = []
    checked = 0
    for pattern in (_EMAIL, _SKU):
        known = {m.lower() for m in pattern.findall(context)}
        found = pattern.findall(reply)
        checked += len(found)
        unsupported += [m for m in found if m.lower() not in known]
        reply, context = pattern.sub(" ", reply), pattern.sub(" ", context)
    numbers = _numbers(reply)
    known_numbers = _numbers(context)
    unsupported += sorted(n for n in numbers if n not in known_numbers)
    invented = list(unsupported)
    share = round(grounding(reply, context), 3)
    if share < min_grounding:
        unsupported.append(f"only {share:.0%} of the wording is grounded")
    return Verdict(
        supported=not unsupported,
        unsupported=unsupported,
        invented=invented,
        checked=checked + len(numbers),
        grounding=share,
    )
