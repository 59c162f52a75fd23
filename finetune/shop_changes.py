"""What a conversation changed in a shop database, compared like a transaction log with what it should change.

:func:`snapshot` reads the order tables before and after; :func:`database_problems` says where the changes differ
from an :class:`Expect`: the orders that changed must be exactly the expected ones, with the expected column values,
the expected number of new returns, and exactly the expected audit rows, each naming the conversation's session and
turn.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

Value = str | int | float | bool | None
"""A column value in an expectation."""

_TABLES = {
    "orders": ("SELECT * FROM orders ORDER BY id", ("id",)),
    "order_items": ("SELECT * FROM order_items ORDER BY order_id, line", ("order_id", "line")),
    "returns": ("SELECT * FROM returns ORDER BY id", ("id",)),
    "refunds": ("SELECT * FROM refunds ORDER BY id", ("id",)),
}
"""The order tables compared before and after, with each one's key."""

Row = dict[str, Any]
Snapshot = dict[str, dict[tuple[Any, ...], Row]]
"""Rows per table, by key."""


class Expect(BaseModel):
    """The shop database after the conversation, against the one before."""

    model_config = ConfigDict(extra="forbid")

    orders: dict[int, dict[str, Value]] = {}
    """Orders that change, with column values they must have afterwards; every other order stays as it was."""
    returns: dict[int, int] = {}
    """New return records per order."""
    audit: list[dict[str, Value]] = []
    """The audit rows written, in order (action, order_id, and any other column)."""


def snapshot(path: Path) -> Snapshot:
    """The order tables' rows of a shop database, by key."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        out = {}
        for table, (query, key) in _TABLES.items():
            out[table] = {tuple(row[k] for k in key): dict(row) for row in db.execute(query)}
        return out
    finally:
        db.close()


def audit_rows(path: Path) -> list[Row]:
    """The audit table of a shop database, oldest first."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in db.execute("SELECT * FROM audit ORDER BY id")]
    finally:
        db.close()


def touched_orders(before: Snapshot, after: Snapshot) -> set[int]:
    """Orders with any row added, removed or changed."""
    orders: set[int] = set()
    for table in _TABLES:
        old, new = before[table], after[table]
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                row = new.get(key) or old[key]
                orders.add(row["id"] if table == "orders" else row["order_id"])
    return orders


def database_problems(expect: Expect, before: Snapshot, after: Snapshot, audit: list[Row], session: str) -> list[str]:
    """What differs between the expected changes and the database's (empty when they match).

    Args:
        expect: The conversation's expectations.
        before: The order tables before the conversation.
        after: The order tables after it.
        audit: The audit rows the conversation added.
        session: The conversation's session; every audit row must name it and a turn.
    """
    problems = []
    touched, expected = touched_orders(before, after), set(expect.orders) | set(expect.returns)
    if touched != expected:
        problems.append(f"orders changed: {sorted(touched)}, expected {sorted(expected)}")
    for order_id, values in expect.orders.items():
        row = after["orders"].get((order_id,), {})
        for column, value in values.items():
            if row and column not in row:
                problems.append(f"order {order_id}: no column {column!r} in the orders table")
            elif row.get(column) != value:
                problems.append(f"order {order_id}: {column} is {row.get(column)!r}, expected {value!r}")
    for order_id, count in expect.returns.items():
        new = [r for k, r in after["returns"].items() if k not in before["returns"] and r["order_id"] == order_id]
        if len(new) != count:
            problems.append(f"order {order_id}: {len(new)} new returns, expected {count}")
    if len(audit) != len(expect.audit):
        problems.append(f"audit rows: {[(a['action'], a['order_id']) for a in audit]}, expected {expect.audit}")
    for row, wanted in zip(audit, expect.audit, strict=False):
        for column, value in wanted.items():
            if column not in row:
                problems.append(f"audit {row['id']}: no column {column!r} in the audit table")
            elif row[column] != value:
                problems.append(f"audit {row['id']}: {column} is {row[column]!r}, expected {value!r}")
        if row["turn_id"] is None or row["session_id"] != session:
            problems.append(f"audit {row['id']}: no turn or session recorded")
    return problems
