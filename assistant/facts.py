"""Which catalogue lines of a product answer a question: "heel drop?" -> "8 mm heel drop".

Each product is cut into short fact lines (every material, every feature, the
care note, the weight and each sentence of the description). A line is scored by
its embedding similarity to the question plus the share of the question's
content words it contains, so exact terms ("R-value", "dishwasher") count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from assistant.embedding import MiniLMEmbedding
from assistant.entities import fold, one_edit
from assistant.knowledge import Product
from assistant.prompts import CatalogueWording

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(
    r"\?+\s*|(?<=\w)[.!]\s+|[,;]?\s+(?:and|also|plus|or)\s+(?=(?:is|are|does|do|can|will|what|how|which|would|could|"
    r"has|have|it|they|its|it's|whats|what's)\b)",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[-.,][a-z0-9]+)*")
_STOP = set(
    [
        "a",
        "about",
        "actually",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "d",
        "did",
        "do",
        "does",
        "down",
        "for",
        "from",
        "get",
        "go",
        "going",
        "got",
        "had",
        "has",
        "have",
        "he",
        "hello",
        "her",
        "here",
        "hi",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "know",
        "let",
        "like",
        "ll",
        "m",
        "many",
        "may",
        "me",
        "might",
        "much",
        "must",
        "my",
        "need",
        "no",
        "not",
        "of",
        "off",
        "on",
        "one",
        "ones",
        "or",
        "our",
        "out",
        "over",
        "please",
        "re",
        "really",
        "s",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "still",
        "t",
        "tell",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "up",
        "us",
        "ve",
        "very",
        "want",
        "wanted",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "you",
        "your",
    ]
)
_MEASURES = [
    (  # a question about how cold or warm: the temperature ratings
        re.compile(r"\b(how (cold|warm)|(cold|warm) enough|temperatures?|degrees?|freez\w*|minus)\b|-\s?\d+\b", re.I),
        re.compile(r"^(?!.*\b(wash|tumble|iron)).*°C", re.I),  # not the washing temperature
    ),
    (re.compile(r"\b(thick|thickness|thin|heavyweight|lightweight|midweight|how warm)\b", re.I), re.compile(r"g/m²")),
    (
        re.compile(r"\b(how long .*\b(last|run)s?|battery life|runtime|run time|how many hours)\b", re.I),
        re.compile(r"\b(hours?|USB|battery)\b", re.I),
    ),
    (re.compile(r"\b(how many (litres|liters)|litres|liters|capacity|volume)\b", re.I), re.compile(r"\d\s?(L|ml)\b")),
    (re.compile(r"\b(waterproof|rain|hydrostatic|water column)\b", re.I), re.compile(r"\d\s?mm\b")),
]
"""What a question asks to be measured, and how the catalogue writes that measure: lines with it score higher."""
MEASURE_BONUS = 0.15
PART_SLACK = 0.1
"""A line answering one part of a many-part question, or stating an asked measure, may score this much less."""

_OVERVIEW = {"about", "info", "information", "details", "detail", "more", "describe", "overview", "good", "recommend"}


_NAME_TOKEN = re.compile(r"(?<![\w'’-])([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\-–—(\"])\s*$")


class PickedFacts(BaseModel):
    """The best lines for a question, and whether the question asks something the product data does not cover."""

    lines: list[str]
    score: float
    unknown: bool
    unnamed: list[str] = []
    """Names the question uses that the product data never mentions ("Vibram", "YKK"): the lines cannot answer."""


def named_terms(question: str) -> list[str]:
    """Words written as names: all capitals ("YKK"), inner capitals ("GoreTex"), or capitalised mid-sentence.

    When the message asks with a question mark, only the names in its questions count: "Doing the Kungsleden
    this summer" tells where, it does not ask about it.
    """
    if "?" in question:
        asked = [part.strip().rstrip("?") for part in re.findall(r"[^.!?]*\?", question)]
        return list(dict.fromkeys(term for part in asked for term in named_terms(part)))
    found = []
    for m in _NAME_TOKEN.finditer(question):
        word = m.group(1)
        acronym = len(word) >= 3 and word.isupper()  # "YKK", "AAA"; not "UV", "EU", "XL"
        inner = len(word) >= 3 and any(ch.isupper() for ch in word[1:])
        mid_sentence = len(word) >= 3 and word[0].isupper() and not _SENTENCE_START.search(question[: m.start()])
        if acronym or inner or mid_sentence:
            found.append(word)
    return list(dict.fromkeys(found))


def content_words(text: str, exclude: set[str] | None = None) -> set[str]:
    words = {w.rstrip("s") if len(w) > 3 else w for w in _TOKEN.findall(fold(text))}
    return {w for w in words if w not in _STOP and (exclude is None or w not in exclude)}


def _measure_bonus(question: str, lines: Sequence[str]) -> np.ndarray:
    """:data:`MEASURE_BONUS` for each line that states a measure the question asks about."""
    bonus = np.zeros(len(lines))
    for asks, states in _MEASURES:
        if asks.search(question):
            bonus += [MEASURE_BONUS if states.search(line) else 0.0 for line in lines]
    return bonus


def _clauses(question: str) -> list[str]:
    """The separate questions of a message, when it asks more than one ("price? and is it warm?"); else none."""
    parts = [p.strip() for p in _CLAUSE.split(question) if p and len(p.split()) >= 2]
    return parts if len(parts) > 1 else []


def fact_lines(product: Product, wording: CatalogueWording) -> list[str]:
    """The product cut into short lines: each material, feature and care sentence, the weight, the description."""
    lines = [wording.say("materials", materials=m) for m in product.materials]
    lines += [f"{f.rstrip('.')}." for f in product.features]
    lines += [s for s in _SENTENCE.split(product.care.strip()) if s]
    if product.weight_g:
        lines.append(wording.say("weight", grams=f"{product.weight_g:,}"))
    lines += [s for s in _SENTENCE.split(" ".join(product.description.split())) if s]
    return list(dict.fromkeys(lines))


class FactPicker:
    """Scores a product's fact lines against a question; line embeddings are cached per product."""

    def __init__(
        self,
        embedder: MiniLMEmbedding,
        wording: CatalogueWording,
        threshold: float = 0.45,
        lexical_weight: float = 0.35,
        spread: float = 0.15,
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        self.embedder = embedder
        self.wording = wording
        """How the material and weight lines are written (``prompts/catalogue.yaml``)."""
        self.vocabulary = vocabulary
        """Words that are never a name the product data leaves out: English words, the shop's own words."""
        self.spread = spread
        """Lines scoring within this of the best are quoted too (up to three)."""
        self.threshold = threshold
        self.lexical_weight = lexical_weight
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}

    def warm_up(self) -> None:
        self.embedder.warm_up()

    def _lines(self, product: Product) -> tuple[list[str], np.ndarray]:
        key = f"{product.sku}:{hash(product.model_dump_json())}"
        if key not in self._cache:
            lines = fact_lines(product, self.wording)
            self._cache[key] = (lines, np.asarray(self.embedder(lines)))
        return self._cache[key]

    def _scores(self, text: str, asked: set[str], lines: list[str], vectors: np.ndarray) -> np.ndarray:
        """Each line's match to ``text``: embedding similarity, share of ``asked`` words, the asked-measure bonus."""
        dense = vectors @ np.asarray(self.embedder([text]))[0]
        overlap = np.array([len(asked & content_words(line)) / len(asked) for line in lines])
        return dense + self.lexical_weight * overlap + _measure_bonus(text, lines)

    def run(self, product: Product, question: str, skip: Sequence[str] = ()) -> PickedFacts:
        lines, vectors = self._lines(product)
        name_words = content_words(product.name)
        asked = content_words(question, exclude=name_words)
        if not lines or not asked:
            return PickedFacts(lines=[], score=0.0, unknown=False)
        scores = self._scores(question, asked, lines, vectors)
        order = [int(i) for i in np.argsort(-scores) if lines[int(i)] not in skip]
        if not order:
            return PickedFacts(lines=[], score=0.0, unknown=False)
        best = float(scores[order[0]])
        chosen = [lines[order[0]]]
        covered = asked & content_words(lines[order[0]])
        for i in order[1:]:  # more lines while they cover asked words the chosen ones do not ("and is it warm?")
            if len(chosen) == 3 or scores[i] < max(self.threshold, best - self.spread):
                break
            adds = (asked & content_words(lines[i])) - covered
            if adds or scores[i] >= best - self.spread / 3:
                chosen.append(lines[i])
                covered |= adds
        parts = _clauses(question)
        for part in parts or [question]:  # "does it weigh much? and is it warm?": each part's own best line
            words = content_words(part, exclude=name_words)
            if not words:
                continue
            part_scores = self._scores(part, words, lines, vectors) if parts else scores
            picks = [int(np.argmax(part_scores))] if parts and not words <= covered else []
            for asks, states in _MEASURES:  # "how cold can I go?": the line with the temperature rating
                stating = [i for i, line in enumerate(lines) if asks.search(part) and states.search(line)]
                picks += [max(stating, key=lambda i: part_scores[i])] if stating else []
            for i in picks:
                good = part_scores[i] >= self.threshold - PART_SLACK
                if good and len(chosen) < 4 and lines[i] not in chosen and lines[i] not in skip:
                    chosen.append(lines[i])
                    covered |= words & content_words(lines[i])
        chosen = [  # "Thumb loops." says nothing "Thumb loops keep the sleeves in place." does not
            line
            for line in chosen
            if not any(other != line and content_words(line) < content_words(other) for other in chosen)
        ]
        known = " ".join(lines + [product.name, product.category])
        known_words = content_words(known)
        uncovered = asked - known_words - _OVERVIEW
        if best < self.threshold:
            return PickedFacts(lines=[], score=round(best, 4), unknown=bool(uncovered))
        unnamed = [
            term
            for term in named_terms(question)
            if term.lower() not in self.vocabulary
            and not content_words(term) & (known_words | name_words)
            and not any(one_edit(term.lower(), word) for word in name_words)  # "Fjelro" is the Fjellro
        ]
        return PickedFacts(lines=chosen, score=round(best, 4), unknown=False, unnamed=unnamed)
