"""The shop's knowledge as support leads edit it: catalogue YAML, FAQ and policy Markdown.

``load_knowledge`` reads every file it can and reports each bad file in one line
naming the file and the line or field, so one broken entry never hides the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


# --- loading -----------------------------------------------------------------


def load_knowledge(folder: Path) -> KnowledgeBase:
    """Load the catalogue, FAQ and policies under ``folder``; bad entries become problems."""
    kb = KnowledgeBase()
    if not folder.is_dir():
        kb.problems.append(LoadProblem(file=str(folder), message="knowledge folder not found"))
        return kb
    for path in sorted((folder / "catalogue").glob("*.y*ml")):
        _load_catalogue(path, folder, kb)
    for sub, kind in (("faq", "faq"), ("policies", "policy")):
        for path in sorted((folder / sub).glob("*.md")):
            _load_article(path, folder, kind, kb)
    _check_unique(kb)
    return kb


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _read_text(path: Path, name: str, kb: KnowledgeBase) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError as err:
        kb.problems.append(LoadProblem(file=name, message=f"cannot read: {err.strerror}"))
        return None
    if b"\x00" in raw:
        kb.problems.append(LoadProblem(file=name, message="binary file, expected UTF-8 text"))
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        kb.problems.append(LoadProblem(file=name, line=line, message="not valid UTF-8 text"))
        return None


def _parse_yaml(text: str, name: str, kb: KnowledgeBase, line_offset: int = 0) -> tuple[Any, Any]:
    """Parse YAML; returns (data, node) or (None, None) after reporting the problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 + line_offset if mark else None
        kb.problems.append(LoadProblem(file=name, line=line, message=f"invalid YAML: {err.problem}"))
        return None, None
    except yaml.YAMLError as err:
        kb.problems.append(LoadProblem(file=name, message=f"invalid YAML: {err}"))
        return None, None
    return data, node


def _node_line(node: Any, loc: Iterable[Any], offset: int = 0) -> int | None:
    """Line of the YAML node at a pydantic error location (best effort)."""
    line = node.start_mark.line + 1 + offset if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1 + offset
    return line


def _describe(err: ValidationError) -> tuple[tuple[Any, ...], str]:
    first = err.errors()[0]
    loc = tuple(first["loc"])
    field = ".".join(str(p) for p in loc) or "entry"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return loc, f"{field}: {first['msg']}{more}"


def _load_catalogue(path: Path, root: Path, kb: KnowledgeBase) -> None:
    name = _rel(path, root)
    text = _read_text(path, name, kb)
    if text is None:
        return
    data, node = _parse_yaml(text, name, kb)
    if data is None and node is None:
        if text.strip() == "":
            kb.problems.append(LoadProblem(file=name, message="empty file"))
        return
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        kb.problems.append(LoadProblem(file=name, line=1, message="expected 'category:' and a 'products:' list"))
        return
    category = str(data.get("category") or path.stem)
    products_node = _node_line(node, ["products"])
    for i, raw in enumerate(data["products"]):
        if not isinstance(raw, dict):
            kb.problems.append(
                LoadProblem(file=name, line=_node_line(node, ["products", i]), message="entry is not a mapping")
            )
            continue
        try:
            kb.products.append(Product.model_validate({"category": category, **raw}))
        except ValidationError as err:
            loc, message = _describe(err)
            line = _node_line(node, ["products", i, *loc]) or products_node
            sku = raw.get("sku", f"#{i + 1}")
            kb.problems.append(LoadProblem(file=name, line=line, message=f"product {sku}: {message}"))


_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)\Z", re.S)


def _load_article(path: Path, root: Path, kind: str, kb: KnowledgeBase) -> None:
    name = _rel(path, root)
    text = _read_text(path, name, kb)
    if text is None:
        return
    match = _FRONT.match(text)
    if not match:
        kb.problems.append(LoadProblem(file=name, line=1, message="missing YAML front matter between '---' lines"))
        return
    data, node = _parse_yaml(match.group(1), name, kb, line_offset=1)
    if data is None and node is None:
        return
    if not isinstance(data, dict):
        kb.problems.append(LoadProblem(file=name, line=2, message="front matter must be a mapping"))
        return
    data.setdefault("id", path.stem)
    data.setdefault("type", kind)
    try:
        article = Article.model_validate({**data, "body": match.group(2)})
    except ValidationError as err:
        loc, message = _describe(err)
        line = _node_line(node, loc, offset=1) if loc and loc[0] != "body" else None
        kb.problems.append(LoadProblem(file=name, line=line, message=message))
        return
    if article.type != kind:
        kb.problems.append(
            LoadProblem(file=name, message=f"type is '{article.type}' but the folder holds {kind} files")
        )
        return
    kb.articles.append(article)


def _check_unique(kb: KnowledgeBase) -> None:
    seen: dict[str, Product] = {}
    unique: list[Product] = []
    for p in kb.products:
        if p.sku in seen:
            kb.problems.append(
                LoadProblem(file=f"catalogue/{p.category}.yaml", message=f"duplicate sku {p.sku}, skipped")
            )
            continue
        seen[p.sku] = p
        unique.append(p)
    kb.products = unique
    ids: set[str] = set()
    articles: list[Article] = []
    for a in kb.articles:
        if a.id in ids:
            kb.problems.append(LoadProblem(file=f"{a.type}/{a.id}.md", message=f"duplicate id {a.id}, skipped"))
            continue
        ids.add(a.id)
        articles.append(a)
    kb.articles = articles
