"""The database comparison of the conversation tests reports every change that differs from the expected ones."""

from __future__ import annotations

from finetune.shop_changes import Expect, Snapshot, database_problems

_ORDER = {"id": 104250, "status": "pending", "ship_zip": "60357"}
_BEFORE: Snapshot = {
    "orders": {(104250,): _ORDER, (104251,): {**_ORDER, "id": 104251}},
    "order_items": {},
    "returns": {},
    "refunds": {},
}
_AUDIT = {"id": 1, "action": "cancel", "order_id": 104250, "actor": "assistant", "turn_id": "t1", "session_id": "s"}


def _after(changes: dict[int, dict[str, object]]) -> Snapshot:
    orders = {key: {**row, **changes.get(row["id"], {})} for key, row in _BEFORE["orders"].items()}
    return {**_BEFORE, "orders": orders}


def test_the_expected_change_and_audit_row_pass() -> None:
    expect = Expect(orders={104250: {"status": "cancelled"}}, audit=[{"action": "cancel", "order_id": 104250}])
    assert database_problems(expect, _BEFORE, _after({104250: {"status": "cancelled"}}), [_AUDIT], "s") == []


def test_an_unexpected_change_a_wrong_value_and_a_missing_audit_row_are_reported() -> None:
    expect = Expect(orders={104250: {"status": "cancelled", "stauts": "x"}}, audit=[{"action": "cancel"}])
    after = _after({104250: {"status": "processed"}, 104251: {"status": "cancelled"}})
    problems = database_problems(expect, _BEFORE, after, [], "s")
    assert problems == [
        "orders changed: [104250, 104251], expected [104250]",
        "order 104250: status is 'processed', expected 'cancelled'",
        "order 104250: no column 'stauts' in the orders table",
        "audit rows: [], expected [{'action': 'cancel'}]",
    ]


def test_an_audit_row_of_another_session_or_without_a_turn_is_reported() -> None:
    expect = Expect(orders={104250: {"status": "cancelled"}}, audit=[{"action": "cancel", "actor": "assistant"}])
    after = _after({104250: {"status": "cancelled"}})
    assert database_problems(expect, _BEFORE, after, [{**_AUDIT, "turn_id": None}], "s") == [
        "audit 1: no turn or session recorded"
    ]
    assert database_problems(expect, _BEFORE, after, [{**_AUDIT, "actor": "lead"}], "other") == [
        "audit 1: actor is 'lead', expected 'assistant'",
        "audit 1: no turn or session recorded",
    ]
