"""Recommendations under the customer's constraints: product type, price range, gender, size and colour in stock.

    wanted = parse_constraints("a waterproof jacket for women under 260 in size M", products)
    picks = recommend(products, wanted, scores)   # up to three, never an out-of-stock variant

Constraints are read from the message with the catalogue's own words (product types from
the names and categories, colours from the variants); what the customer said earlier in
the conversation carries over until they ask for another kind of product.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal

from pydantic import BaseModel

from assistant.knowledge import Product, Variant
from assistant.money import AFTER, BEFORE
from assistant.prompts import CatalogueWording

_UNITS = {"ml", "l", "g", "kg", "cm"}
_SYNONYMS = {
    "backpack": "pack",
    "rucksack": "pack",
    "bag": "bag",
    "shoe": "shoes",
    "sneaker": "shoes",
    "trainer": "shoes",
    "boot": "boots",
    "pant": "trousers",
    "trouser": "trousers",
    "sock": "socks",
    "glove": "gloves",
    "hat": "hat",
    "cap": "hat",
    "sweater": "sweater",
    "pullover": "sweater",
    "jumper": "jumper",
    "mattress": "mat",
    "pad": "mat",
    "stove": "stove",
    "tee": "tee",
    "shirt": "tee",
    "t-shirt": "tee",
}
_PRICE_MAX = re.compile(
    r"\b(?:under|below|less than|max(?:imum)?|up to|no more than|cheaper than|budget(?: of| is)?|within)\s*"
    rf"{BEFORE}(\d+(?:[.,]\d{{1,2}})?)",
    re.IGNORECASE,
)
_PRICE_MIN = re.compile(
    rf"\b(?:over|above|more than|at least|from)\s*{BEFORE}(\d+(?:[.,]\d{{1,2}})?)\s*{AFTER}", re.IGNORECASE
)
_PRICE_RANGE = re.compile(rf"\bbetween\s*{BEFORE}(\d+)\s*{AFTER}?\s*and\s*{BEFORE}(\d+)", re.IGNORECASE)
_SIZE = re.compile(rf"\b(?:size|in|an?)\s+(XXS|XS|S|M|L|XL|XXL|\d{{2}}(?:\.5)?)\b(?!\s*(?:{AFTER}|%))")
_GENDER = [
    ("women", re.compile(r"\b(women'?s?|woman|ladies|female|for her|my wife|my girlfriend)\b", re.I)),
    ("men", re.compile(r"\b(men'?s?|man|male|for him|my husband|my boyfriend)\b", re.I)),
    ("kids", re.compile(r"\b(kids?|child(ren)?|son|daughter|boy|girl)\b", re.I)),
]


class Constraints(BaseModel):
    """What a recommendation must satisfy; None: not said."""

    kinds: list[str] = []
    """Product types asked for ("jacket", "boots", "sleeping bag" -> "bag")."""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    gender: str | None = None
    size: str | None = None
    color: str | None = None

    def merged(self, earlier: Constraints | None) -> Constraints:
        """These constraints on top of the conversation's earlier ones (another kind of product starts afresh)."""
        if earlier is None or (self.kinds and self.kinds != earlier.kinds):
            return self
        data = earlier.model_dump()
        data.update({k: v for k, v in self.model_dump().items() if v not in (None, [])})
        return Constraints(**data)

    @property
    def narrows(self) -> bool:
        """Anything besides the kind of product was asked for (gender, price, size or colour)."""
        prices = (self.min_price, self.max_price)
        return bool(self.gender or self.size or self.color) or any(p is not None for p in prices)

    def describe(self, wording: CatalogueWording) -> str:
        """What besides the kind was asked for, as the reply says it: "for women, up to €260.00, in stock in M"."""
        parts = []
        if self.gender:
            parts.append(wording.say("for_gender", gender=self.gender))
        if self.min_price is not None and self.max_price is not None:
            low, high = wording.money(self.min_price, places=0), wording.money(self.max_price, places=0)
            parts.append(wording.say("price_between", low=low, high=high))
        elif self.max_price is not None:
            parts.append(wording.say("price_up_to", high=wording.money(self.max_price)))
        elif self.min_price is not None:
            parts.append(wording.say("price_from", low=wording.money(self.min_price)))
        if self.size or self.color:
            parts.append(wording.say("in_stock_in", variant=" ".join(x for x in (self.color, self.size) if x)))
        return ", ".join(parts)


class Pick(BaseModel):
    """A recommended product with its one-line reason."""

    product: Product
    reason: str
    variants: list[Variant]
    """In-stock variants that satisfy the size and colour asked for."""


def _singular(word: str) -> str:
    word = word.lower()
    word = _SYNONYMS.get(word, word)
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "boots", "shoes", "socks", "trousers", "shorts", "gloves")):
        return _SYNONYMS.get(word[:-1], word[:-1])
    return word


def product_kind(product: Product) -> str:
    """The head noun of a product's name: "Fjell Hardshell Jacket" -> "jacket", "Camp Mug 350 ml" -> "mug"."""
    words = re.findall(r"(?<![\w-])[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*", product.name)  # "Socks 2-Pack": socks
    words = [w for w in words if w.lower() not in _UNITS and len(w) > 1]
    return _singular(words[-1]) if words else ""


def _is_kind(product: Product, kinds: Sequence[str]) -> bool:
    """The product is of a kind asked for ("pack" covers the daypack)."""
    head = product_kind(product)
    return any(head == k or head.endswith(k) for k in kinds)


def _category_words(product: Product) -> set[str]:
    return {_singular(w) for w in product.category.split("-") if w != "and"}


def parse_constraints(text: str, products: Sequence[Product]) -> Constraints:
    """The constraints a recommendation request states, in the catalogue's words."""
    words = [_singular(w) for w in re.findall(r"[a-zA-Z-]+", text)]
    heads = {product_kind(p) for p in products}
    categories = set().union(*(_category_words(p) for p in products)) if products else set()
    kinds = [w for w in dict.fromkeys(words) if w in heads]
    if not kinds:
        kinds = [w for w in dict.fromkeys(words) if w in categories]
    found = Constraints(kinds=kinds)
    if between := _PRICE_RANGE.search(text):
        found.min_price, found.max_price = Decimal(between.group(1)), Decimal(between.group(2))
    else:
        if most := _PRICE_MAX.search(text):
            found.max_price = Decimal(most.group(1).replace(",", "."))
        if least := _PRICE_MIN.search(text):
            found.min_price = Decimal(least.group(1).replace(",", "."))
    for gender, pattern in _GENDER:
        if pattern.search(text):
            found.gender = gender
            break
    if size := _SIZE.search(text):
        found.size = size.group(1).upper()
    lowered = text.lower()
    colours = sorted({v.color for p in products for v in p.variants}, key=len, reverse=True)
    found.color = next((c for c in colours if re.search(rf"\b{re.escape(c.lower())}\b", lowered)), None)
    return found


def matching_variants(product: Product, wanted: Constraints) -> list[Variant]:
    """In-stock variants with the asked size and colour."""
    return [
        v
        for v in product.in_stock
        if (wanted.size is None or (v.size or "").upper() == wanted.size)
        and (wanted.color is None or v.color.lower() == wanted.color.lower())
    ]


def _fits(product: Product, wanted: Constraints) -> bool:
    if wanted.kinds and not (_is_kind(product, wanted.kinds) or (_category_words(product) & set(wanted.kinds))):
        return False
    if wanted.max_price is not None and product.price > wanted.max_price:
        return False
    if wanted.min_price is not None and product.price < wanted.min_price:
        return False
    if wanted.gender and product.gender not in (wanted.gender, "unisex"):
        return False
    return bool(matching_variants(product, wanted))


def _reason(product: Product, query: str) -> str:
    """The catalogue line that says most about what was asked; the first feature otherwise."""
    asked = {w for w in re.findall(r"[a-z]{4,}", query.lower())}
    lines = product.features or [re.split(r"(?<=[.!?])\s", product.description.strip(), maxsplit=1)[0]]
    best = max(lines, key=lambda line: len(asked & set(re.findall(r"[a-z]{4,}", line.lower()))))
    return best.rstrip(".")


def recommend(
    products: Sequence[Product], wanted: Constraints, score: Callable[[Product], float], query: str, limit: int = 3
) -> list[Pick]:
    """Up to ``limit`` products that satisfy every constraint, best match first, never out of stock."""
    if wanted.kinds and any(_is_kind(p, wanted.kinds) for p in products):
        products = [p for p in products if _is_kind(p, wanted.kinds)]  # "tent": tents, not mats of that category
    fitting = [p for p in products if _fits(p, wanted)]
    asked = set(re.findall(r"[a-z]{4,}", query.lower()))
    named = {p.sku: len(asked & set(re.findall(r"[a-z]{4,}", p.name.lower()))) for p in fitting}
    fitting.sort(key=lambda p: score(p) + 0.2 * named[p.sku], reverse=True)  # "winter": the Winter bag first
    return [Pick(product=p, reason=_reason(p, query), variants=matching_variants(p, wanted)) for p in fitting[:limit]]


def recommendation_text(picks: Sequence[Pick], wanted: Constraints, wording: CatalogueWording) -> str:
    """The reply: each pick with price, the variants in stock that fit, and its reason."""
    lines = [wording.say("suggestions", said=wanted.describe(wording))]
    for pick in picks:
        stock = ", ".join(v.label for v in pick.variants[:4]) if wanted.size or wanted.color else ""
        p = pick.product
        lines.append(wording.say("pick", product=p.name, price=p.price_text, stock=stock, reason=pick.reason))
    return "\n".join(lines)
