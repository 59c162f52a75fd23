"""Checking a shop export's records one by one: each invalid one becomes one :class:`ImportProblem` line."""

from __future__ import annotations

import csv
import io
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.knowledge import Product
from assistant.shop.reads import customer_emails, customer_ids, product_variants
from assistant.shop.records import Customer, Order
from assistant.shop.transfer_files import (
    _CSV_REQUIRED,
    _EXTRA,
    _LIST_SEPARATOR,
    CSV_COLUMNS,
    ImportProblem,
    ImportReport,
    ShopImportError,
    _Catalogue,
    _describe,
    _json_records,
    _key,
)


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
