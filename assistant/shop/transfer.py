"""Load a real shop's products, customers and orders into the shop database; write them back out.

The source is a folder with ``products.json`` or ``products.csv``, ``customers.json`` and ``orders.json`` (each
optional; the formats are in ``docs/shop-import.md``). Every record is validated; an invalid one becomes one line
naming the file, the record (counted from 1), its id, the line and the field, e.g.::

    orders.json record 17 (id 200031, line 345): items[0].sku 'XX-1' is not a known product

The import is one transaction. By default invalid records are reported and skipped and the valid ones load;
with ``strict`` any problem aborts it and nothing is written. Records whose id (order number, customer id, SKU)
is already in the database replace the stored ones, so the same folder can be imported again.

Imported products also go into the assistant's catalogue: ``<knowledge_dir>/catalogue/imported.yaml`` holds every
imported product of the database (except SKUs another catalogue file already defines), in the catalogue schema.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from assistant.errors import AssistantError
from assistant.knowledge import Product, load_knowledge
from assistant.shop.records import Customer, Order, ProductRow, VariantRow, iso
from assistant.shop.store import (
    ShopDB,
    customer_emails,
    customer_ids,
    product_variants,
    stored_products,
    stored_skus,
)
from assistant.shop.writes import save_customers, save_orders, save_products

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


def import_shop(db_path: Path, source: Path, knowledge_dir: Path | None = None, strict: bool = False) -> ImportReport:
    """Validate and load a shop export folder into the shop database, in one transaction.

    Args:
        db_path: The shop database (created and migrated when missing).
        source: Folder with ``products.json`` or ``products.csv``, ``customers.json``, ``orders.json``.
        knowledge_dir: The assistant's knowledge folder: its catalogue also resolves SKUs, and imported products are
            written to ``catalogue/imported.yaml`` there. None: the database only.
        strict: Write nothing if any record is invalid (all of them are still reported).

    Returns:
        The report: counts loaded, one problem per invalid record, warnings.

    Raises:
        ShopImportError: The folder or a file cannot be read at all.
    """
    started = time.perf_counter()
    if not source.is_dir():
        raise ShopImportError(f"{source}: not a folder")
    has = {
        name: (source / name).is_file() for name in ("products.json", "products.csv", "customers.json", "orders.json")
    }
    if not any(has.values()):
        raise ShopImportError(f"{source}: no products.json, products.csv, customers.json or orders.json")
    if has["products.json"] and has["products.csv"]:
        raise ShopImportError(f"{source}: both products.json and products.csv; keep one")
    report = ImportReport(source=str(source), strict=strict)
    catalogue = _Catalogue.load(knowledge_dir)
    run = _Run(report, catalogue)
    products: list[Product] = []
    if has["products.json"]:
        products = run.products_json(source / "products.json")
    elif has["products.csv"]:
        products = run.products_csv(source / "products.csv")
    customer_records = _json_records(source / "customers.json") if has["customers.json"] else []
    order_records = _json_records(source / "orders.json") if has["orders.json"] else []
    with ShopDB(db_path) as shop, shop.transaction() as db:
        customers = run.customers(customer_records, db)
        orders = run.orders(order_records, products, customers, db)
        if strict and report.problems:
            report.seconds = time.perf_counter() - started
            return report
        wanted = {it.sku for o in orders for it in o.items}
        stored = stored_skus(db)
        missing = wanted - stored - {p.sku for p in products}
        from_catalogue = [p for sku, p in catalogue.products.items() if sku in missing]
        save_products(db, [_rows(p, "catalogue") for p in from_catalogue])
        report.products = save_products(db, [_rows(p, "import") for p in products])
        report.customers = save_customers(db, customers)
        report.orders = save_orders(db, orders)
        if report.products or report.customers or report.orders:  # the shop's own data: never rebuilt as a demo
            shop.set_info(origin="import", built_at=iso(datetime.now(UTC)) or "")
        yaml_text = _catalogue_yaml(db, catalogue) if knowledge_dir is not None and products else None
        if yaml_text is not None:
            _check_catalogue_yaml(yaml_text)  # a problem here rolls the whole import back
    report.written = True
    if yaml_text is not None and knowledge_dir is not None:
        target = knowledge_dir / "catalogue" / IMPORTED_CATALOGUE
        _write_atomic(target, yaml_text)
        report.catalogue_file = str(target)
        for problem in load_knowledge(knowledge_dir).problems:
            if IMPORTED_CATALOGUE in problem.file:
                report.warnings.append(str(problem))
    report.seconds = time.perf_counter() - started
    return report


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


class _Run:
    """The validation of one import: collects problems, knows what has been accepted so far."""

    def __init__(self, report: ImportReport, catalogue: _Catalogue) -> None:
        self.report = report
        self.catalogue = catalogue
        self.skipped_skus: dict[str, str] = {}
        self.skipped_customers: dict[str, str] = {}

    def problem(
        self, file: str, message: str, record: int | None = None, key: str | None = None, line: int | None = None
    ) -> None:
        self.report.problems.append(ImportProblem(file=file, record=record, key=key, line=line, message=message))

    # --- products ---

    def products_json(self, path: Path) -> list[Product]:
        out: dict[str, Product] = {}
        first: dict[str, int] = {}
        for n, line, raw in _json_records(path):
            key = _key("sku", raw)
            if not isinstance(raw, dict):
                self.problem(path.name, "record is not a JSON object", n, key, line)
                continue
            try:
                product = Product.model_validate(raw)
            except ValidationError as err:
                self.problem(path.name, _describe(err), n, key, line)
                self._skip_sku(raw.get("sku"), f"{path.name} record {n}")
                continue
            if product.sku in first:
                self.problem(
                    path.name, f"sku {product.sku} appears twice (first at record {first[product.sku]})", n, key, line
                )
                continue
            first[product.sku] = n
            out[product.sku] = product
            self._note_catalogue_clash(product, f"{path.name} record {n}")
        return list(out.values())

    def products_csv(self, path: Path) -> list[Product]:
        name = path.name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise ShopImportError(f"{name}: cannot read as UTF-8 text: {err}") from err
        header = text.split("\n", 1)[0]
        delimiter = ";" if header.count(";") > header.count(",") else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, restkey=_EXTRA)
        columns = [c.strip() for c in reader.fieldnames or []]
        unknown = [c for c in columns if c not in CSV_COLUMNS]
        missing = [c for c in _CSV_REQUIRED if c not in columns]
        if unknown or missing:
            what = f"unknown column '{unknown[0]}'" if unknown else f"missing column '{missing[0]}'"
            raise ShopImportError(f"{name} line 1: {what}; columns are: {', '.join(CSV_COLUMNS)}")
        reader.fieldnames = columns
        groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for row in reader:
            line = reader.line_num
            if _EXTRA in row:
                self.problem(name, f"{len(row[_EXTRA])} more fields than the header has columns", line=line)
                continue
            cells = {k: (v or "").strip() for k, v in row.items()}
            if not cells["sku"]:
                self.problem(name, "sku is missing", line=line)
                continue
            groups.setdefault(cells["sku"], []).append((line, cells))
        out = []
        for sku, rows in groups.items():
            product = self._csv_product(name, sku, rows)
            if product is not None:
                out.append(product)
                self._note_catalogue_clash(product, f"{name} line {rows[0][0]}")
        return out

    def _csv_product(self, name: str, sku: str, rows: list[tuple[int, dict[str, str]]]) -> Product | None:
        key = f"sku {sku}"
        first_line, first = rows[0]
        for line, cells in rows[1:]:
            for col in CSV_COLUMNS[:11]:
                if cells[col] and cells[col] != first[col]:
                    self.problem(
                        name,
                        f"{col} {cells[col]!r} differs from line {first_line} for the same sku",
                        line=line,
                        key=key,
                    )
                    self._skip_sku(sku, f"{name} line {line}")
                    return None
        data: dict[str, Any] = {
            c: first[c] for c in ("sku", "name", "category", "price", "currency", "care", "description")
        }
        data = {k: v for k, v in data.items() if v}
        for col in ("materials", "features"):
            if first[col]:
                data[col] = [part.strip() for part in first[col].split(_LIST_SEPARATOR) if part.strip()]
        for col in ("gender", "weight_g"):
            if first[col]:
                data[col] = first[col]
        data["variants"] = [{"color": c["color"], "size": c["size"] or None, "stock": c["stock"]} for _, c in rows]
        try:
            return Product.model_validate(data)
        except ValidationError as err:
            loc = tuple(err.errors()[0]["loc"])
            line = rows[loc[1]][0] if len(loc) > 1 and loc[0] == "variants" and isinstance(loc[1], int) else first_line
            self.problem(name, _describe(err, csv_columns=True), line=line, key=key)
            self._skip_sku(sku, f"{name} line {line}")
            return None

    def _skip_sku(self, sku: Any, where: str) -> None:
        if isinstance(sku, str):
            self.skipped_skus.setdefault(sku, where)

    def _note_catalogue_clash(self, product: Product, where: str) -> None:
        defined = self.catalogue.files.get(product.sku)
        if defined:
            self.report.warnings.append(
                f"{where} (sku {product.sku}): also in {defined}; the shop database takes the imported product, "
                "the assistant's catalogue keeps that file's"
            )

    # --- customers ---

    def customers(self, records: list[tuple[int, int, Any]], db: sqlite3.Connection) -> list[Customer]:
        file = "customers.json"
        owners = customer_emails(db)
        out: list[Customer] = []
        first: dict[str, int] = {}
        emails: dict[str, int] = {}
        for n, line, raw in records:
            key = _key("id", raw)
            if not isinstance(raw, dict):
                self.problem(file, "record is not a JSON object", n, key, line)
                continue
            try:
                customer = Customer.model_validate(raw)
            except ValidationError as err:
                self.problem(file, _describe(err), n, key, line)
                if isinstance(raw.get("id"), str):
                    self.skipped_customers.setdefault(raw["id"], f"{file} record {n}")
                continue
            if customer.id in first:
                self.problem(
                    file, f"id {customer.id} appears twice (first at record {first[customer.id]})", n, key, line
                )
                continue
            if customer.email in emails:
                self.problem(
                    file, f"email {customer.email!r} is also used by record {emails[customer.email]}", n, key, line
                )
                self.skipped_customers.setdefault(customer.id, f"{file} record {n}")
                continue
            owner = owners.get(customer.email)
            if owner is not None and owner != customer.id:
                self.problem(
                    file, f"email {customer.email!r} belongs to customer {owner} in the database", n, key, line
                )
                self.skipped_customers.setdefault(customer.id, f"{file} record {n}")
                continue
            first[customer.id] = n
            emails[customer.email] = n
            out.append(customer)
        return out

    # --- orders ---

    def orders(
        self,
        records: list[tuple[int, int, Any]],
        products: list[Product],
        customers: list[Customer],
        db: sqlite3.Connection,
    ) -> list[Order]:
        file = "orders.json"
        known_customers = customer_ids(db) | {c.id for c in customers}
        variants: dict[str, tuple[str, set[tuple[str, str]]]] = {}
        for sku, pname, color, size in product_variants(db):
            known = variants.setdefault(sku, (pname, set()))[1]
            if color is not None:
                known.add((color, size or ""))
        for p in [*self.catalogue.products.values(), *products]:  # later sources win
            variants[p.sku] = (p.name, {(v.color, v.size or "") for v in p.variants})
        out: list[Order] = []
        first: dict[int, int] = {}
        for n, line, raw in records:
            key = _key("id", raw)
            if not isinstance(raw, dict):
                self.problem(file, "record is not a JSON object", n, key, line)
                continue
            try:
                order = Order.model_validate(raw)
            except ValidationError as err:
                self.problem(file, _describe(err), n, key, line)
                continue
            if order.id in first:
                self.problem(file, f"id {order.id} appears twice (first at record {first[order.id]})", n, key, line)
                continue
            message = self._order_problem(order, raw, known_customers, variants)
            if message:
                self.problem(file, message, n, key, line)
                continue
            first[order.id] = n
            items = [it if it.name else it.model_copy(update={"name": variants[it.sku][0]}) for it in order.items]
            out.append(order.model_copy(update={"items": items}))
        return out

    def _order_problem(
        self,
        order: Order,
        raw: dict[str, Any],
        customers: set[str],
        variants: dict[str, tuple[str, set[tuple[str, str]]]],
    ) -> str | None:
        """The first thing wrong with a well-formed order: references, sums, what its status needs."""
        if order.customer_id not in customers:
            skipped = self.skipped_customers.get(order.customer_id)
            why = f" (skipped: see {skipped})" if skipped else ""
            return f"customer_id {order.customer_id!r} is not a known customer{why}"
        for i, it in enumerate(order.items):
            if it.sku not in variants:
                skipped = self.skipped_skus.get(it.sku)
                why = f" (skipped: see {skipped})" if skipped else ""
                return f"items[{i}].sku {it.sku!r} is not a known product{why}"
            name, known = variants[it.sku]
            if (it.color, it.size or "") not in known:
                listed = sorted(f"{c} {s}".strip() for c, s in known)
                more = ", ..." if len(listed) > 8 else ""
                size = f" size {it.size!r}" if it.size else " without size"
                return (
                    f"items[{i}] color {it.color!r}{size} is not a variant of {it.sku} {name} "
                    f"(variants: {', '.join(listed[:8])}{more})"
                )
        lines = [it.line for it in order.items]
        if len(set(lines)) != len(lines):
            return "items: two items have the same line number"
        items_sum = sum((it.total for it in order.items), Decimal("0.00"))
        if raw.get("subtotal") is not None and order.subtotal != items_sum:
            return f"subtotal {order.subtotal} is not the sum of the items ({items_sum})"
        expected_total = order.subtotal - order.discount + order.shipping_cost
        if order.total != expected_total:
            return (
                f"total {order.total} is not subtotal - discount + shipping_cost "
                f"({order.subtotal} - {order.discount} + {order.shipping_cost} = {expected_total})"
            )
        by_line = {it.line: it for it in order.items}
        for r_i, ret in enumerate(order.returns):
            for i_i, back in enumerate(ret.items):
                if back.line not in by_line:
                    return f"returns[{r_i}].items[{i_i}].line {back.line} is not a line of the order"
                if back.quantity > by_line[back.line].quantity:
                    return (
                        f"returns[{r_i}].items[{i_i}].quantity {back.quantity} is more than the "
                        f"{by_line[back.line].quantity} ordered"
                    )
        return _status_problem(order)


def _status_problem(order: Order) -> str | None:
    """What the status requires and the record lacks (or has but cannot have)."""
    status = order.status
    shipped = status in ("shipped", "delivered", "returned", "refunded")
    if shipped and not order.fulfilments:
        return f"status '{status}' needs at least one fulfilment"
    if not shipped and order.fulfilments:
        return f"status '{status}' cannot have fulfilments (the order has not shipped)"
    if status in ("delivered", "returned", "refunded") and order.delivered_at is None:
        return f"status '{status}' needs delivered_at"
    if status == "cancelled" and order.cancelled_at is None:
        return "status 'cancelled' needs cancelled_at"
    if status in ("returned", "refunded") and not order.returns:
        return f"status '{status}' needs at least one return"
    if status == "refunded" and not order.all_refunds:
        return "status 'refunded' needs a refund (in a return or in refunds)"
    return None


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


def export_shop(db_path: Path, folder: Path) -> dict[str, int]:
    """Write the shop database as an import folder (``products.json``, ``customers.json``, ``orders.json``).

    Importing the folder into an empty database gives the same products, customers and orders back.

    Args:
        db_path: The shop database to read.
        folder: Where to write the three files (created when missing).

    Returns:
        How many products, customers and orders were written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    no_ids = {"__all__": {"id"}}
    with ShopDB(db_path) as shop:
        products = _stored_catalogue(shop.connect())
        customers = [c.model_dump(mode="json", exclude_none=True) for c in shop.customers()]
        orders = [
            o.model_dump(
                mode="json",
                exclude_none=True,
                exclude={
                    "fulfilments": no_ids,
                    "refunds": no_ids,
                    "returns": {"__all__": {"id": True, "refund": {"id"}}},
                },
            )
            for o in sorted(shop.orders(), key=lambda o: o.id)
        ]
    for name, records in (("products.json", products), ("customers.json", customers), ("orders.json", orders)):
        _write_atomic(folder / name, _dump_records(records))
    return {"products": len(products), "customers": len(customers), "orders": len(orders)}


def _dump_records(records: list[dict[str, Any]]) -> str:
    """A JSON array with one record per block: diff-friendly and each record's line is easy to find."""
    if not records:
        return "[]\n"
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False, indent=2) for r in records) + "\n]\n"
