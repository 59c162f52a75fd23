"""Loading the knowledge folder as support leads edit it: catalogue YAML, FAQ and policy Markdown.

``load_knowledge`` reads every file it can and reports each bad file in one line
naming the file and the line or field, so one broken entry never hides the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from assistant.knowledge.entries import Article, KnowledgeBase, LoadProblem, Product


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
