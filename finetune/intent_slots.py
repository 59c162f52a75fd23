"""Shop-supplied words in intent examples: ``{product}``, ``{item}``, ``{shop}`` filled from the shop's own files.

The examples describe how customers ask (cancel, return, track); what they ask
about belongs to the shop. So an example names no product of any one shop: it
says "Can you cancel the {product} I ordered?" and training fills the slot from
the catalogue of the knowledge folder it prepares (a tent for an outdoor shop,
a cake tin for a kitchen shop). The fill is deterministic per example and per
catalogue, so a data hash changes only when the examples or the product names do.

Slots:
    ``{product}``, ``{product2}``  a product's name, as a customer writes it (full or short)
    ``{item}``, ``{item2}``        what that product is ("cake tin", "jacket")
    ``{items}``, ``{items2}``      the same, plural
    ``{shop}``                     the shop's name from ``shop.yaml``
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

from pydantic import BaseModel

from assistant.errors import AssistantError

TRAIN_FILLS = 1
"""Copies per example with a product slot in training. Two were measured (2026-12-02): no better than one."""
SLOT = re.compile(r"\{(product|item|items)(2?)\}|\{shop\}")
_UNIT = re.compile(r"^(?:\d.*|ml|l|lb|kg|g|cm|mm|oz)$", re.I)
# a last word that says too little alone: the word before it goes with it ("sleeping bag", "cake tin")
_WEAK_HEAD = {
    "bag",
    "board",
    "cover",
    "dish",
    "layer",
    "mat",
    "pack",
    "pan",
    "pot",
    "set",
    "shoes",
    "system",
    "tee",
    "tin",
    "top",
    "tray",
    "vest",
}


class SlotProduct(BaseModel):
    """One product as the slots use it."""

    name: str
    short: str
    item: str
    items: str


class ShopSlots(BaseModel):
    """The words a shop supplies to its intent examples."""

    shop: str
    products: list[SlotProduct]
    fills: int = 1
    """How many copies of an example with a product slot, each with other products (training: ``TRAIN_FILLS``)."""

    @classmethod
    def of(cls, shop: str, product_names: list[str]) -> ShopSlots:
        return cls(shop=shop, products=[slot_product(name) for name in product_names])

    def copies(self, text: str) -> list[str]:
        """Every copy of ``text`` that training sees: one, or ``fills`` where it names a product or an item."""
        n = self.fills if SLOT.search(text.replace("{shop}", "")) else 1
        return list(dict.fromkeys(self.fill(text, copy) for copy in range(n)))

    def fill(self, text: str, copy: int = 0) -> str:
        """``text`` with every slot filled; the same text (and copy) always gets the same words."""
        if "{" not in text or not SLOT.search(text):
            return text
        if not self.products and SLOT.search(text.replace("{shop}", "")):
            raise AssistantError(f"{text!r}: names a product, and the shop's catalogue has none to fill it with")
        seed = text if copy == 0 else f"{text}#{copy}"
        rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16))
        first = rng.choice(self.products) if self.products else _NONE
        others = [p for p in self.products if p.name != first.name] or [first]
        chosen = {"": first, "2": rng.choice(others)}
        named = {key: _as_written(p, rng) for key, p in chosen.items()}

        def word(m: re.Match[str]) -> str:
            if m.group(0) == "{shop}":
                return self.shop
            kind, which = m.group(1), m.group(2)
            p = chosen[which]
            return named[which] if kind == "product" else getattr(p, kind)

        return SLOT.sub(word, text)


_NONE = SlotProduct(name="", short="", item="", items="")


def _as_written(p: SlotProduct, rng: random.Random) -> str:
    return rng.choice([p.name, p.short, p.short.lower()])


def _plural(noun: str) -> str:
    if noun.endswith("s"):
        return noun
    if noun.endswith(("sh", "ch", "x")):
        return noun + "es"
    return noun + "s"


def slot_product(name: str) -> SlotProduct:
    """A product name's slot words: "Kjølen Trekking Trousers" -> short "Kjølen trousers", item "trousers"."""
    words = name.split()
    rest = [w for w in words[1:] if not _UNIT.match(w)] or words
    head = rest[-1].lower()
    item = " ".join(rest[-2:]).lower() if (head in _WEAK_HEAD or len(head) <= 3) and len(rest) > 1 else head
    short = f"{words[0]} {item}" if len(words) > 1 else name
    return SlotProduct(name=name, short=short, item=item, items=_plural(item))


def shop_slots(knowledge_dir: Path, fills: int = 1) -> ShopSlots:
    """The slots of the shop whose knowledge folder this is (its ``shop.yaml`` and catalogue).

    Raises:
        AssistantError: the folder has no readable ``shop.yaml``.
    """
    from assistant.knowledge.loading import load_knowledge
    from assistant.shop.profile import load_profile

    profile = load_profile(knowledge_dir)
    products = load_knowledge(knowledge_dir).products
    return ShopSlots.of(profile.name, [p.name for p in products]).model_copy(update={"fills": fills})


def training_slots(knowledge_dir: Path) -> ShopSlots:
    """The slots as training fills them: ``TRAIN_FILLS`` copies of an example that names a product."""
    return shop_slots(knowledge_dir, TRAIN_FILLS)
