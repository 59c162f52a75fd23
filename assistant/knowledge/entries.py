"""The shop's knowledge as the runtime reads it: products, FAQ entries and policies, and their passages.

Each FAQ entry is one passage; a policy is one passage per ``##`` section; every way of asking (``questions:``
and ``also_asked:``) is a passage of its own that stands for its entry.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DocType = Literal["product", "faq", "policy"]
TOPICS = [
    "shipping",
    "returns",
    "refunds",
    "exchanges",
    "payment",
    "invoices",
    "account",
    "orders",
    "cancellation",
    "warranty",
    "discounts",
    "newsletter",
    "contact",
    "products",
    "privacy",
    "sustainability",
]


class Variant(BaseModel):
    """One purchasable colour/size combination."""

    model_config = ConfigDict(extra="forbid")

    color: str = Field(min_length=1)
    size: str | None = None
    stock: int = Field(ge=0)

    @field_validator("size", mode="before")
    @classmethod
    def _size_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @property
    def label(self) -> str:
        return f"{self.color} {self.size}" if self.size else self.color


class Product(BaseModel):
    """A catalogue entry."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,40}$")
    name: str = Field(min_length=2)
    category: str
    price: Decimal = Field(gt=0, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    gender: Literal["men", "women", "unisex", "kids"] = "unisex"
    materials: list[str] = Field(min_length=1)
    care: str
    weight_g: int | None = Field(None, gt=0)
    features: list[str] = []
    description: str = Field(min_length=20)
    variants: list[Variant] = Field(min_length=1)

    @property
    def in_stock(self) -> list[Variant]:
        return [v for v in self.variants if v.stock > 0]

    @property
    def price_text(self) -> str:
        symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(self.currency)
        amount = f"{self.price:.2f}"
        return f"{symbol}{amount}" if symbol else f"{amount} {self.currency}"

    def facts(self) -> str:
        """The product as plain text: every field a customer may ask about."""
        colours = sorted({v.color for v in self.variants})
        sizes = list(dict.fromkeys(v.size for v in self.variants if v.size))
        stock = ", ".join(f"{v.label}: {v.stock}" for v in self.variants)
        out_of_stock = [v.label for v in self.variants if v.stock == 0]
        lines = [
            f"{self.name} (SKU {self.sku}), {self.category}, for {self.gender}.",
            f"Price: {self.price_text}.",
            f"Colours: {', '.join(colours)}.",
        ]
        if sizes:
            lines.append(f"Sizes: {', '.join(sizes)}.")
        lines.append(f"Stock by variant: {stock}.")
        if out_of_stock:
            lines.append(f"Out of stock: {', '.join(out_of_stock)}.")
        lines.append(f"Materials: {'; '.join(self.materials)}.")
        if self.weight_g:
            lines.append(f"Weight: {self.weight_g} g.")
        if self.features:
            lines.append(f"Features: {'; '.join(self.features)}.")
        lines.append(f"Care: {self.care}")
        lines.append(self.description.strip())
        return "\n".join(lines)


class Article(BaseModel):
    """An FAQ entry or a policy, from Markdown with YAML front matter."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    type: Literal["faq", "policy"]
    topic: Literal[tuple(TOPICS)]  # type: ignore[valid-type]
    questions: list[str] = []
    also_asked: list[str] | dict[str, list[str]] = []
    """Customers' own wordings, for retrieval: a list for an FAQ entry; for a policy, lists by section heading."""
    body: str = Field(min_length=10)

    @model_validator(mode="after")
    def _sections_exist(self) -> Article:
        if isinstance(self.also_asked, dict):
            headings = self.headings()
            unknown = [h for h in self.also_asked if h not in headings]
            if unknown:
                raise ValueError(f"also_asked names no section {unknown[0]!r}; sections: {', '.join(headings)}")
        return self

    def headings(self) -> list[str]:
        """Section headings of the body ("" for text before the first ``## `` heading)."""
        return [h for h, _ in _split_sections(self.body)]

    def asked(self, heading: str = "") -> list[str]:
        """The customer wordings that belong to one section (or to the whole entry)."""
        if isinstance(self.also_asked, dict):
            return list(self.also_asked.get(heading, []))
        return list(self.also_asked)


class Passage(BaseModel):
    """A unit of retrieval: one product, one FAQ answer or one policy section."""

    id: str
    doc_type: DocType
    title: str
    text: str
    source: str
    topic: str = ""
    sku: str = ""
    category: str = ""
    parent: str = ""
    """For an alternative question: the id of the passage that answers it."""

    @property
    def content_hash(self) -> str:
        payload = json.dumps(self.model_dump(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]

    def metadata(self) -> dict[str, str]:
        return {
            "doc_type": self.doc_type,
            "title": self.title,
            "source": self.source,
            "topic": self.topic,
            "sku": self.sku,
            "category": self.category,
            "parent": self.parent,
            "hash": self.content_hash,
        }


class LoadProblem(BaseModel):
    """One bad file or entry: where it is and what is wrong, in one line."""

    file: str
    line: int | None = None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class KnowledgeBase(BaseModel):
    """Everything that loaded from the knowledge folder, and what did not."""

    products: list[Product] = []
    articles: list[Article] = []
    problems: list[LoadProblem] = []

    def passages(self) -> list[Passage]:
        out: list[Passage] = []
        for p in self.products:
            out.append(
                Passage(
                    id=f"product:{p.sku}",
                    doc_type="product",
                    title=p.name,
                    text=p.facts(),
                    source=f"catalogue/{p.category}.yaml",
                    topic="products",
                    sku=p.sku,
                    category=p.category,
                )
            )
        for a in self.articles:
            out.extend(_article_passages(a))
        return out

    def product(self, sku: str) -> Product | None:
        return next((p for p in self.products if p.sku == sku), None)

    def article(self, article_id: str) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)


def _article_passages(a: Article) -> list[Passage]:
    folder = "faq" if a.type == "faq" else "policies"
    source = f"{folder}/{a.id}.md"
    sections = _split_sections(a.body)
    if a.type == "faq" or len(sections) == 1:
        main = Passage(
            id=f"{a.type}:{a.id}",
            doc_type=a.type,
            title=a.title,
            text=f"{a.title}\n{a.body.strip()}",
            source=source,
            topic=a.topic,
        )
        return [main, *_alternatives(main, [a.title, *a.questions, *a.asked(sections[0][0])])]
    out: list[Passage] = []
    for i, (heading, text) in enumerate(sections):
        section = Passage(
            id=f"{a.type}:{a.id}#{i}",
            doc_type=a.type,
            title=f"{a.title}: {heading}" if heading else a.title,
            text=f"{a.title}: {heading}\n{text}" if heading else f"{a.title}\n{text}",
            source=source,
            topic=a.topic,
        )
        # The policy's own questions ask about it as a whole: the first section stands for it.
        general = [a.title, *a.questions] if i == 0 else []
        out += [section, *_alternatives(section, [*general, *a.asked(heading)])]
    return out


def _alternatives(main: Passage, questions: list[str]) -> list[Passage]:
    """Each way of asking embedded on its own, so a short question meets its match; a hit stands for ``main``."""
    return [
        main.model_copy(update={"id": f"{main.id}?q{i}", "text": q, "parent": main.id})
        for i, q in enumerate(dict.fromkeys(questions))
    ]


def _split_sections(body: str) -> list[tuple[str, str]]:
    """Split Markdown at ``## `` headings; text before the first heading is its own section."""
    sections: list[tuple[str, str]] = []
    heading, lines = "", list[str]()
    for line in body.splitlines():
        if line.startswith("## "):
            if "".join(lines).strip():
                sections.append((heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        elif not line.startswith("# "):
            lines.append(line)
    if "".join(lines).strip():
        sections.append((heading, "\n".join(lines).strip()))
    return sections or [("", body.strip())]
