"""Values customers put in their messages: order numbers, emails, products named."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from pydantic import BaseModel

from assistant.knowledge import Product

_ORDER_CONTEXT = re.compile(
    r"(?:order|ordernumber|bestellung|purchase|no\.?|number|nr\.?|#)\s*(?:no\.?|number|nr\.?|is|:)?\s*#?\s*(\d{4,10})\b",
    re.I,
)
BARE_ORDER_NUMBER = r"1\d{5}"
"""The demo shop's order numbers, recognised without the word "order" before them (a shop's own: shop.yaml)."""
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d{1,3}[\s/-]?(?:\(0\))?\d{2,5}(?:[\s/-]?\d{2,8}){1,3}\b"  # +49 151 23456789
    r"|(?<![\w+])0\d{2,5}[\s/-]\d{3,8}(?:[\s-]?\d{2,6})?\b"  # 040 1234 5678
)
_MONEY = re.compile(
    r"(?:[€$£]\s?(\d+(?:[.,]\d{1,2})?))|(?:\b(\d+(?:[.,]\d{1,2})?)\s?(?:€|eur\b|euros?\b|usd\b|dollars?\b|gbp\b|pounds?\b))",
    re.I,
)
_WORD = re.compile(r"[a-z0-9]+")
_GENERIC = {
    "jacket",
    "tee",
    "t",
    "shirt",
    "pants",
    "trousers",
    "shorts",
    "boots",
    "boot",
    "shoe",
    "shoes",
    "socks",
    "sock",
    "hat",
    "cap",
    "gloves",
    "glove",
    "backpack",
    "pack",
    "tent",
    "bag",
    "sleeping",
    "stove",
    "bottle",
    "mug",
    "pot",
    "fleece",
    "sweater",
    "hoodie",
    "the",
    "and",
    "with",
    "for",
    "merino",
    "down",
    "insulated",
    "women",
    "womens",
    "men",
    "mens",
    "kids",
    "lite",
    "pro",
    "l",
    # everyday words that happen to be part of a name: "how long", "half an hour", "top up", "in person"
    "air",
    "base",
    "camp",
    "cook",
    "expedition",
    "family",
    "half",
    "high",
    "hiking",
    "layer",
    "long",
    "mid",
    "neck",
    "off",
    "person",
    "rain",
    "roll",
    "running",
    "self",
    "set",
    "ski",
    "sleeve",
    "sun",
    "system",
    "top",
    "touring",
    "trail",
    "trekking",
    "water",
    "winter",
    "wool",
    "zip",
}


class Entities(BaseModel):
    """What was recognised in one message."""

    order_numbers: list[str] = []
    emails: list[str] = []
    phones: list[str] = []
    amounts: list[str] = []
    skus: list[str] = []


def phones(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(0).strip() for m in _PHONE.finditer(text)))


def amounts(text: str) -> list[str]:
    """Money amounts as plain numbers with a dot: "€49,90" -> "49.90"."""
    return list(dict.fromkeys((m.group(1) or m.group(2)).replace(",", ".") for m in _MONEY.finditer(text)))


@lru_cache(maxsize=8)
def _bare(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d.,€$£])\b({pattern})\b(?![.,]\d)")


def order_numbers(text: str, bare: str = BARE_ORDER_NUMBER) -> list[str]:
    """Order numbers: any 4-10 digits after "order", "number", "#"..., and numbers of the shop's own form alone."""
    text = _PHONE.sub(" ", _EMAIL.sub(" ", text))
    found = [m.group(1) for m in _ORDER_CONTEXT.finditer(text)]
    found += [m.group(1) for m in _bare(bare).finditer(text)]
    return list(dict.fromkeys(found))


def emails(text: str) -> list[str]:
    return list(dict.fromkeys(_EMAIL.findall(text)))


_FOLD = str.maketrans({"ø": "o", "å": "a", "æ": "ae", "ß": "ss", "ð": "d", "þ": "th"})


def fold(text: str) -> str:
    """Lower-case ASCII form, so "Tromso" matches "Tromsø"."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(c for c in text if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def mentioned_products(text: str, products: Sequence[Product]) -> list[Product]:
    """Catalogue products the text names, best match first.

    A product counts as named when a distinctive word of its name (not a generic
    word like "jacket") appears and, if several products share that word, when
    more of its name matches than of the others'.
    """
    said = _words(text)
    words = set(said)
    text_l = fold(text)
    names = {w for p in products for w in _words(p.name) if w not in _GENERIC and len(w) >= 5 and not w.isdigit()}
    words |= _misspelt_names(said, names)
    scored: list[tuple[float, Product]] = []
    for p in products:
        name_words = _words(p.name)
        distinctive = [w for w in name_words if w not in _GENERIC and len(w) >= 3 and not w.isdigit()]
        if fold(p.name) in text_l or p.sku.lower() in text_l:
            scored.append((10.0, p))
            continue
        if not distinctive or not any(w in words for w in distinctive):
            continue
        share = sum(w in words for w in name_words) / len(name_words)
        scored.append((share, p))
    if not scored:
        return []
    scored.sort(key=lambda s: -s[0])
    best = scored[0][0]
    return [p for s, p in scored if s >= best - 1e-9 or s >= 0.67]


def one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one letter left out, added, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _misspelt_names(said: list[str], names: set[str]) -> set[str]:
    """Product-name words the text misspells ("Fjelro" for Fjellro) or splits ("Polar natt" for Polarnatt).

    Only words that are not English ("stolen" stays a word) and names of five letters or more count.
    """
    from assistant.spelling import english_words

    known = english_words()
    found: set[str] = set()
    for i, word in enumerate(said):
        joined = word + said[i + 1] if i + 1 < len(said) else ""
        if joined in names:
            found.add(joined)
        if len(word) >= 4 and word not in known and word not in names:
            found |= {n for n in names if one_edit(word, n)}
    return found


def extract(text: str, products: Sequence[Product] = (), bare_order: str = BARE_ORDER_NUMBER) -> Entities:
    """Everything recognised in ``text``; ``bare_order`` is the regex of the shop's order numbers."""
    return Entities(
        order_numbers=order_numbers(text, bare_order),
        emails=emails(text),
        phones=phones(text),
        amounts=amounts(text),
        skus=[p.sku for p in mentioned_products(text, products)],
    )
