"""Spelling normalisation before intent classification.

Customers type fast: "cna you chekc the staus of my ordr". WordPiece splits such
words into pieces the classifier rarely saw, so a misspelt message is often
misread. The normaliser corrects words it does not know towards the shop's own
vocabulary (the words of the training examples and the knowledge folder), with
SymSpell (symspellpy) for the edit-distance lookup. It is conservative:

* only lowercase alphabetic words of three letters or more are touched; order
  numbers, emails, SKUs, names, "eBay" and "DHL" are not;
* a word in the English dictionary shipped with symspellpy, in the knowledge
  folder, or frequent in the training data ("pls", "thx") is left alone;
* a correction keeps the first letter (typos rarely change it) and prefers words
  the typo is a subsequence of (dropped letters are the commonest typo);
* a message where most words are unknown is gibberish, not typos, and is left as is.

The vocabulary is built at training time and saved beside the classifier
(``spelling.json``), so training and inference see the same corrections.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

VOCABULARY_FILE = "spelling.json"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CHUNK = re.compile(r"\S+")
_PUNCT = ".,!?;:()\"'…"


@functools.cache
def english_words() -> frozenset[str]:
    """The 82,765-word English frequency dictionary that ships with symspellpy."""
    import symspellpy

    path = Path(symspellpy.__file__).parent / "frequency_dictionary_en_82_765.txt"
    with open(path, encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0] for line in fh if line.strip())


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


class SpellingVocabulary(BaseModel):
    """Correction targets with their counts in shop text, and words that are never corrected."""

    targets: dict[str, int]
    known: list[str] = []

    @classmethod
    def build(cls, examples: Iterable[str], reference: Iterable[str]) -> SpellingVocabulary:
        """From customer messages (training examples) and trusted text (the knowledge folder).

        Targets are correctly spelt words: English words seen in either source, and every word of
        the reference text (product names). Frequent words of the examples that are not English
        ("pls", "thx", "gtx") are known, unless they look like a typo of a much more common target.
        """
        english = english_words()
        said: Counter[str] = Counter()
        for text in examples:
            said.update(_WORD.findall(text.lower()))
        trusted: Counter[str] = Counter()
        for text in reference:
            trusted.update(_WORD.findall(text.lower()))
        counts = said + trusted
        targets = {w: c for w, c in counts.items() if "'" not in w and (w in english or w in trusted)}
        known = {w.replace("'", "") for w in counts if "'" in w}  # "dont", "hasnt" as typed without apostrophes
        lookup = _SymSpell(targets)
        for word, count in said.items():
            if word in targets or word in english or "'" in word or count < 3:
                continue
            near = lookup.closest(word, 1) if len(word) >= 4 else []
            if near and near[0][1] >= 5 * count:
                continue  # "ordr" 8 times beside "order" 628 times: a typo, not a word
            known.add(word)
        return cls(targets=dict(sorted(targets.items())), known=sorted(known - set(targets)))

    def save(self, folder: Path) -> None:
        (folder / VOCABULARY_FILE).write_text(self.model_dump_json(), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SpellingVocabulary | None:
        path = folder / VOCABULARY_FILE
        return cls.model_validate_json(path.read_text(encoding="utf-8")) if path.is_file() else None


class _SymSpell:
    """SymSpell lookup over the target words."""

    def __init__(self, targets: dict[str, int]) -> None:
        from symspellpy import SymSpell

        self._sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in targets.items():
            self._sym.create_dictionary_entry(word, count)

    def closest(self, word: str, distance: int) -> list[tuple[str, int]]:
        from symspellpy import Verbosity

        found = self._sym.lookup(word, Verbosity.CLOSEST, max_edit_distance=distance)
        return [(s.term, int(s.count)) for s in found]


class Normalized(BaseModel):
    """The message as the classifier reads it, and each word that was corrected."""

    text: str
    corrections: list[tuple[str, str]] = []
    gibberish: bool = False
    """Most words are unknown ("blorp snizzle wump"): not typos, and no question anyone can read."""


class SpellingNormalizer:
    """Correct misspelt words towards the shop vocabulary; see the module docstring for the rules."""

    gibberish_share = 0.7
    """A message of three or more words with more than this share unknown is left alone."""

    def __init__(self, vocabulary: SpellingVocabulary, extra_known: Iterable[str] = ()) -> None:
        self.vocabulary = vocabulary
        self._extra = {w.lower() for text in extra_known for w in _WORD.findall(text.lower())}
        self._known: frozenset[str] | None = None
        self._lookup: _SymSpell | None = None

    def warm_up(self) -> None:
        if self._lookup is not None:
            return
        self._known = english_words() | set(self.vocabulary.targets) | set(self.vocabulary.known) | self._extra
        self._lookup = _SymSpell(self.vocabulary.targets)

    def _correct(self, word: str) -> str | None:
        assert self._lookup is not None
        found = self._lookup.closest(word, 2 if len(word) > 4 else 1)
        found = [(term, count) for term, count in found if term[0] == word[0]]
        if not found:
            return None
        return max(found, key=lambda tc: (_is_subsequence(word, tc[0]), tc[1]))[0]

    def run(self, text: str) -> Normalized:
        self.warm_up()
        assert self._known is not None
        words: list[tuple[int, int, str]] = []  # start, end, word: lowercase letters only
        for m in _CHUNK.finditer(text):
            core = m.group(0).strip(_PUNCT)
            if core.isalpha() and core.isascii() and core.islower():
                start = m.start() + m.group(0).index(core)
                words.append((start, start + len(core), core))
        unknown = [w for w in words if len(w[2]) >= 3 and w[2] not in self._known]
        if not unknown:
            return Normalized(text=text)
        if len(words) >= 3 and len(unknown) / len(words) > self.gibberish_share:
            return Normalized(text=text, gibberish=True)
        out: list[str] = []
        corrections: list[tuple[str, str]] = []
        pos = 0
        for start, end, word in unknown:
            fixed = self._correct(word)
            if fixed is None:
                continue
            out += [text[pos:start], fixed]
            corrections.append((word, fixed))
            pos = end
        out.append(text[pos:])
        return Normalized(text="".join(out), corrections=corrections)

    def __call__(self, text: str) -> str:
        return self.run(text).text
