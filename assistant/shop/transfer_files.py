"""A shop export's files and the import's report: reading JSON records with their lines, writing catalogue YAML."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from assistant.errors import AssistantError
from assistant.knowledge import Product, load_knowledge
from assistant.shop.reads import stored_products
from assistant.shop.records import ProductRow, VariantRow

IMPORTED_CATALOGUE = "imported.yaml"
"""File name of the imported products inside ``<knowledge_dir>/catalogue``."""

CSV_COLUMNS = (
    "sku",
    "name",
    "category",
    "price",
    "currency",
    "gender",
    "materials",
    "care",
    "weight_g",
    "features",
    "description",
    "color",
    "size",
    "stock",
)
"""Columns of ``products.csv``: one row per variant; product columns may be left empty after a SKU's first row."""
_CSV_REQUIRED = ("sku", "color", "stock")
_LIST_SEPARATOR = "|"
_EXTRA = "\x00extra"  # where csv puts the cells of a row that is longer than the header
_DETAILS = ("gender", "materials", "care", "weight_g", "features", "description")


class ShopImportError(AssistantError):
    """The source cannot be imported at all (missing folder, unreadable file, invalid JSON, wrong CSV header)."""


class ImportProblem(BaseModel):
    """One invalid record: where it is and what is wrong."""

    file: str
    record: int | None = None
    """Position in the file, counted from 1 (JSON files)."""
    key: str | None = None
    """The record's id or SKU, as ``id 200031`` or ``sku FP-X-1``."""
    line: int | None = None
    message: str

    def __str__(self) -> str:
        where = f"{self.file} record {self.record}" if self.record is not None else f"{self.file} line {self.line}"
        extra = [p for p in (self.key, f"line {self.line}" if self.record is not None and self.line else None) if p]
        if extra:
            where += " (" + ", ".join(extra) + ")"
        return f"{where}: {self.message}"


class ImportReport(BaseModel):
    """What an import loaded, what it skipped and why."""

    source: str
    strict: bool = False
    products: int = 0
    customers: int = 0
    orders: int = 0
    problems: list[ImportProblem] = []
    warnings: list[str] = []
    written: bool = False
    """False when nothing was written (``strict`` and at least one problem)."""
    catalogue_file: str | None = None
    """The catalogue YAML written for the assistant, if any."""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: what loaded, how many records were skipped, how long it took."""
        if not self.written:
            return f"nothing imported: {len(self.problems)} invalid records (strict mode)"
        skipped = f", {len(self.problems)} invalid records skipped" if self.problems else ""
        return (
            f"imported {self.products} products, {self.customers} customers, {self.orders} orders"
            f"{skipped} in {self.seconds:.1f} s"
        )


# --- reading files ----------------------------------------------------------------


def _json_records(path: Path) -> list[tuple[int, int, Any]]:
    """The elements of a top-level JSON array as (record number from 1, line, value)."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ShopImportError(f"{name}: cannot read as UTF-8 text: {err}") from err
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    pos, line, counted = 0, 1, 0

    def skip(i: int) -> int:
        while i < len(text) and text[i] in ws:
            i += 1
        return i

    def at(i: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, i)
        counted = i
        return line

    pos = skip(pos)
    if pos >= len(text) or text[pos] != "[":
        raise ShopImportError(f"{name} line {at(pos)}: expected a JSON array of records, starting with '['")
    pos = skip(pos + 1)
    out: list[tuple[int, int, Any]] = []
    if pos < len(text) and text[pos] == "]":
        pos += 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                raise ShopImportError(f"{name} line {err.lineno} column {err.colno}: invalid JSON: {err.msg}") from err
            out.append((len(out) + 1, at(pos), value))
            pos = skip(end)
            if pos < len(text) and text[pos] == ",":
                pos = skip(pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                pos += 1
                break
            raise ShopImportError(f"{name} line {at(min(pos, len(text)))}: invalid JSON: expected ',' or ']'")
    if skip(pos) != len(text):
        raise ShopImportError(f"{name} line {at(skip(pos))}: invalid JSON: text after the closing ']'")
    return out


def _key(field: str, raw: Any) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get(field), str | int) and not isinstance(raw.get(field), bool):
        return f"{field} {raw[field]}"
    return None


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "record"


def _describe(err: ValidationError, csv_columns: bool = False) -> str:
    """The first validation error as ``field value: problem`` (and how many more there are)."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    if csv_columns:  # products.csv: name the column, not the position in the product's variant list
        loc = tuple(p for p in loc if not isinstance(p, int))
        loc = loc[1:] if loc and loc[0] == "variants" else loc
    field = _path(loc)
    msg = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    if first["type"] == "missing":
        return f"{field} is missing{more}"
    if first["type"] == "extra_forbidden":
        return f"{field} is not a known field{more}"
    value = first.get("input")
    shown = (
        f" {_short(value)}" if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool) else ""
    )
    return f"{field}{shown}: {msg}{more}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


# --- writing ----------------------------------------------------------------------


def _rows(product: Product, source: Literal["catalogue", "import"]) -> tuple[ProductRow, list[VariantRow]]:
    details = product.model_dump(mode="json", include=set(_DETAILS))
    row = ProductRow(
        sku=product.sku,
        name=product.name,
        category=product.category,
        price=product.price,
        currency=product.currency,
        source=source,
        details=details,
    )
    return row, [VariantRow(sku=product.sku, color=v.color, size=v.size, stock=v.stock) for v in product.variants]


def _catalogue_product(row: sqlite3.Row, variants: list[dict[str, Any]]) -> dict[str, Any]:
    """A stored product in the catalogue YAML schema (as in ``knowledge/catalogue/*.yaml``)."""
    details = json.loads(row["details"])
    data: dict[str, Any] = {
        "sku": row["sku"],
        "name": row["name"],
        "category": row["category"],
        "price": float(Decimal(row["price_cents"]) / 100),
        "currency": row["currency"],
    }
    for key in _DETAILS:
        if details.get(key) not in (None, []):
            data[key] = details[key]
    data["variants"] = variants
    return data


def _stored_catalogue(db: sqlite3.Connection, imported_only: bool = False) -> list[dict[str, Any]]:
    out = []
    for row, variant_rows in stored_products(db, imported_only):
        variants: list[dict[str, Any]] = []
        for v in variant_rows:
            entry: dict[str, Any] = _FlowMap(color=v["color"])
            if v["size"]:
                entry["size"] = v["size"]
            entry["stock"] = v["stock"]
            variants.append(entry)
        out.append(_catalogue_product(row, variants))
    return out


class _FlowMap(dict[str, Any]):
    """A mapping written on one line, like the variants in the hand-written catalogue files."""


class _CatalogueDumper(yaml.SafeDumper):
    pass


_CatalogueDumper.add_representer(
    _FlowMap, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _catalogue_yaml(db: sqlite3.Connection, catalogue: _Catalogue) -> str | None:
    products = [p for p in _stored_catalogue(db, imported_only=True) if p["sku"] not in catalogue.files]
    if not products:
        return None
    head = (
        "# Written by `python -m assistant shop import`: the imported products of the shop database.\n"
        "# Edit the shop's export and import it again rather than this file.\n"
    )
    body = yaml.dump(
        {"category": "imported", "products": products},
        Dumper=_CatalogueDumper,
        sort_keys=False,
        allow_unicode=True,
        width=110,
    )
    return head + body


def _check_catalogue_yaml(text: str) -> None:
    """Load the YAML as the assistant will; any problem aborts the import."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "catalogue").mkdir()
        (folder / "catalogue" / IMPORTED_CATALOGUE).write_text(text, encoding="utf-8")
        problems = load_knowledge(folder).problems
    if problems:
        raise ShopImportError(f"the imported catalogue would not load: {problems[0]}")


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


class _Catalogue:
    """The knowledge folder's products: every loaded one, and which file defines each SKU (not imported.yaml)."""

    def __init__(self, products: dict[str, Product], files: dict[str, str]) -> None:
        self.products = products
        self.files = files

    @classmethod
    def load(cls, knowledge_dir: Path | None) -> _Catalogue:
        if knowledge_dir is None:
            return cls({}, {})
        kb = load_knowledge(knowledge_dir)
        files: dict[str, str] = {}
        for path in sorted((knowledge_dir / "catalogue").glob("*.y*ml")):
            if path.name == IMPORTED_CATALOGUE:
                continue
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # load_knowledge reports it; `kb check` shows the problem
            for raw in (data or {}).get("products", []) if isinstance(data, dict) else []:
                if isinstance(raw, dict) and isinstance(raw.get("sku"), str):
                    files.setdefault(raw["sku"], f"catalogue/{path.name}")
        return cls({p.sku: p for p in kb.products}, files)
