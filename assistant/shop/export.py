"""Writing the shop database out as an import folder (products.json, customers.json, orders.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.shop.store import ShopDB
from assistant.shop.transfer_files import (
    _stored_catalogue,
    _write_atomic,
)


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
