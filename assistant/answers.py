"""Replies built straight from the shop's data: catalogue facts and curated answers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.knowledge import KnowledgeBase, Passage, Product
from assistant.money import NAMED
from assistant.prompts import CatalogueWording

_COLOUR_WORD = re.compile(
    r"\b(black|blue|green|red|grey|gray|white|navy|olive|orange|yellow|brown|beige|purple|pink)\b", re.I
)
_ASPECTS: dict[str, re.Pattern[str]] = {
    "price": re.compile(rf"\b(price|prices|cost|costs|how much|expensive|cheap|{NAMED})", re.I),
    "stock": re.compile(r"\b(stock|available|availability|in store|sold out|left|have it|do you have)", re.I),
    # a lone letter counts as a size ("in M"), not the "s" of "what's" or the "m" of "I'm"
    "size": re.compile(r"\b(size|sizes|fit|fits|small|medium|large|eu \d\d)\b|(?<![\w'’])(xs|s|m|l|xl|xxl)\b", re.I),
    "colour": re.compile(
        r"\b(colou?rs?|black|blue|green|red|grey|gray|white|navy|olive|orange|yellow|brown|beige|purple|pink)\b", re.I
    ),
    "material": re.compile(
        r"\b(material|made of|fabric|wool|merino|cotton|polyester|polyamide|nylon|down|leather|breathable|recycled)",
        re.I,
    ),
    "care": re.compile(r"\b(wash|washing|care|clean|dry|iron|tumble)", re.I),
    "weight": re.compile(r"\b(weigh|weight|heavy|light|grams?)\b", re.I),
    "features": re.compile(r"\b(feature|features|pocket|hood|zip|laptop|waterproof|rating|warm|temperature)", re.I),
}


def asked_aspects(question: str) -> list[str]:
    return [name for name, pattern in _ASPECTS.items() if pattern.search(question)]


def without_name(question: str, product: Product) -> str:
    """The question with the product's name words taken out ("Lofoten Down Jacket" does not ask about down)."""
    words = {w.lower() for w in re.findall(r"\w+", product.name)}
    return " ".join(w for w in re.findall(r"[\w'’€£$.-]+", question) if w.lower() not in words)


def _colour_mentioned(colour: str, question: str) -> bool:
    """ "blue" names "Fjord Blue"; so does "fjord blue"."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    parts = re.findall(r"[a-z]+", colour.lower())
    return bool(parts) and (all(p in words for p in parts) or parts[-1] in words)


def _size_mentioned(size: str, question: str) -> bool:
    """Sizes count when written as sizes ("size m", "in XL", "42"), not inside words like "I'm"."""
    if re.search(rf"\b(size|eu|in)\s+{re.escape(size.lower())}(?![\w])", question.lower()):
        return True
    token = rf"(?<![\w'.,€£$]){re.escape(size)}(?![\w'.,])"
    if size.isalpha() and len(size) == 1:
        return re.search(token, question) is not None  # a lone capital: "M", "L"
    return re.search(token, question, flags=re.I) is not None


def _variant_answer(product: Product, question: str, wording: CatalogueWording) -> str | None:
    """Stock of the colour and/or size the question names, or None when it names neither."""
    colours = [c for c in dict.fromkeys(v.color for v in product.variants) if _colour_mentioned(c, question)]
    sizes = [s for s in dict.fromkeys(v.size for v in product.variants if v.size) if _size_mentioned(s, question)]
    named = _COLOUR_WORD.search(question)
    if not colours and named:
        made_in = wording.join(sorted({v.color for v in product.variants}))
        return wording.say("no_colour", product=product.name, colour=named.group(1).lower(), colours=made_in)
    if not colours and not sizes:
        return None
    matching = [v for v in product.variants if (not colours or v.color in colours) and (not sizes or v.size in sizes)]
    wanted = " ".join([*colours, *(wording.say("variant_size", size=s) for s in sizes)])
    in_stock = [v for v in matching if v.stock > 0]
    if not matching:
        return wording.say("not_made_in", product=product.name, wanted=wanted)
    if not in_stock:
        others = list(dict.fromkeys(v.color for v in product.in_stock if not colours or v.color not in colours))
        return wording.say("variant_sold_out", product=product.name, wanted=wanted, others=wording.join(others))
    listing = wording.join([wording.say("variant_count", label=v.label, stock=v.stock) for v in in_stock])
    sold_out = wording.join([v.label for v in matching if v.stock == 0])
    return wording.say("variant_available", product=product.name, wanted=wanted, listing=listing, sold_out=sold_out)


def catalogue_answer(product: Product, question: str, wording: CatalogueWording, details: Sequence[str] = ()) -> str:
    """Answer a product question from the catalogue fields, exactly as they are written.

    Args:
        product: the product the question is about.
        question: the customer's message.
        wording: the sentences to say it in (``prompts/catalogue.yaml``).
        details: the fact lines that answer what else the question asks (``assistant.facts``).
    """
    aspects = asked_aspects(without_name(question, product))
    variant = _variant_answer(product, question, wording)
    parts: list[str] = [variant] if variant else []
    general = not aspects and not details
    if "price" in aspects or general:
        parts.append(wording.say("price", product=product.name, price=product.price_text))
    if not variant and ({"stock", "size", "colour"} & set(aspects) or general):
        available = product.in_stock
        if not available:
            parts.append(wording.say("all_sold_out"))
        else:
            colours = list(dict.fromkeys(v.color for v in available))
            sizes = list(dict.fromkeys(v.size for v in available if v.size))
            parts.append(wording.say("in_stock", colours=wording.join(colours), sizes=wording.join(sizes)))
            sold_out = [v.label for v in product.variants if v.stock == 0]
            if sold_out and len(sold_out) <= 6:
                parts.append(wording.say("sold_out", labels=wording.join(sold_out)))
    if "material" in aspects:
        parts.append(wording.say("materials", materials="; ".join(product.materials)))
    if "features" in aspects and product.features and not details:
        parts.append(wording.say("features", features="; ".join(product.features)))
    if "care" in aspects:
        parts.append(wording.say("care", care=product.care))
    if "weight" in aspects and product.weight_g:
        parts.append(wording.say("weight", grams=f"{product.weight_g:,}"))
    if details:
        said = " ".join(parts)
        material = {wording.say("materials", materials=m): m for m in product.materials}  # a line says its material
        lines = [d for d in details if material.get(d, d).rstrip(".") not in said]
        if lines:
            parts.append(wording.say("details", product=product.name, lines=" ".join(lines)))
    if general:
        first = re.split(r"(?<=[.!?])\s", product.description.strip(), maxsplit=1)[0]
        parts.insert(0, first)
    return " ".join(parts)


def curated_answer(passage: Passage, kb: KnowledgeBase) -> str:
    """The text a support lead wrote for this passage (FAQ answer or policy section)."""
    kind, _, rest = passage.id.partition(":")
    article_id, _, section = rest.partition("#")
    article = kb.article(article_id)
    if article is None:
        return passage.text
    if kind == "faq" or not section:
        return article.body.strip()
    lines = passage.text.split("\n", 1)
    return lines[1].strip() if len(lines) > 1 else passage.text
