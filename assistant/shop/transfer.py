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

import time
from datetime import UTC, datetime
from pathlib import Path

from assistant.knowledge import Product, load_knowledge
from assistant.shop.reads import stored_skus
from assistant.shop.records import iso
from assistant.shop.store import ShopDB
from assistant.shop.transfer_check import _Run
from assistant.shop.transfer_files import (
    IMPORTED_CATALOGUE,
    ImportProblem,
    ImportReport,
    ShopImportError,
    _Catalogue,
    _catalogue_yaml,
    _check_catalogue_yaml,
    _json_records,
    _rows,
    _write_atomic,
)
from assistant.shop.writes import save_customers, save_orders, save_products

__all__ = ["IMPORTED_CATALOGUE", "ImportProblem", "ImportReport", "ShopImportError", "import_shop"]


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
