"""The shop is data: no policy number, no shop-table SQL outside the store, no customer sentence in the shop's code."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.shop.profile import ShopProfile, load_profile

REPO = Path(__file__).resolve().parents[3]
PYTHON = sorted([*(REPO / "assistant").rglob("*.py"), REPO / "app.py"])
LEFT_FOR_THE_MERGE: dict[str, str] = {}
"""Files another engineer is rewriting in the same step; each is named here with why, and leaves with the merge."""
SHOP_TABLES = (
    "products|variants|customers|addresses|orders|order_items|fulfilments|tracking_events|returns|return_items|"
    "refunds|audit|identity_checks|shop_info"
)
STORE_MODULES = {
    "assistant/shop/schema.py",
    "assistant/shop/store.py",
    "assistant/shop/reads.py",
    "assistant/shop/writes.py",
}


@pytest.fixture(scope="module")
def profile() -> ShopProfile:
    return load_profile(REPO / "knowledge")


def _money(amount: Decimal) -> str:
    return rf"(?<![\d.]){re.escape(f'{amount:.2f}')}(?!\d)"


def _policy_patterns(profile: ShopProfile) -> dict[str, str]:
    """What a policy number looks like in text, for each number shop.yaml holds."""
    days = profile.returns.window_days
    patterns = {
        "return window": rf"\b{days} days\b|\b{days}-day\b",
        "refund days": rf"\b{profile.returns.refund_business_days} business days\b",
        "late-parcel search": rf"\b{profile.late_parcels.search_after_business_days} business days\b",
        "carrier search": rf"\b{profile.late_parcels.search_takes_business_days} business days\b",
        "escalation": rf"\b{profile.customer_service.escalation_business_days} business days\b",
        "dispatch cut-off": rf"\bby {profile.orders.dispatch_cutoff:%H:%M}\b",
        "chat join": rf"\bwithin {profile.customer_service.chat_join_minutes} minutes\b",
        "email reply": rf"\bwithin {profile.customer_service.email_reply_hours} hours\b",
        "old constants": r"\b(CHANGE_WINDOW|RETURN_DAYS|SEARCH_(AFTER|TAKES)_DAYS|LABEL_FEE|KLARNA_COUNTRIES)\b",
    }
    minutes = profile.orders.change_window_minutes
    if minutes:
        hours = f"{minutes // 60} hours?" if minutes % 60 == 0 else f"{minutes} minutes"
        patterns["change window"] = rf"\bwithin {hours}\b|\b{hours} of (placing|ordering)\b"
    fees = {
        fee
        for region in profile.shipping.regions.values()
        for fee in (region.standard_fee, region.express_fee, region.free_from, region.return_label_fee)
        if fee
    }
    patterns["fees"] = "|".join(_money(fee) for fee in sorted(fees) if fee != fee.to_integral())
    return patterns


def test_no_policy_number_is_written_in_python(profile: ShopProfile) -> None:
    patterns = _policy_patterns(profile)
    found = []
    for path in PYTHON:
        name = path.relative_to(REPO).as_posix()
        if name in LEFT_FOR_THE_MERGE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for what, pattern in patterns.items():
                if re.search(pattern, line):
                    found.append(f"{name}:{number}: {what}: {line.strip()}")
    assert not found, "policy numbers belong in knowledge/shop.yaml:\n" + "\n".join(found)


def test_the_check_finds_a_policy_number(profile: ShopProfile) -> None:
    patterns = _policy_patterns(profile)
    for text in ("returns within 30 days", "the 30-day window", "CHANGE_WINDOW = 1", "costs 5.95", "by 14:00"):
        assert any(re.search(p, text) for p in patterns.values()), text
    assert not any(re.search(p, "latency_p95 = 0.95") for p in patterns.values())


def test_no_carrier_is_named_in_python(profile: ShopProfile) -> None:
    carriers = {r.carrier for r in profile.shipping.regions.values()} | {profile.shipping.express_carrier}
    found = []
    for path in PYTHON:
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.string.strip("\"'") in carriers:
                found.append(f"{path.relative_to(REPO)}:{token.start[0]}: {token.string}")
    assert not found, found


def test_shop_tables_are_only_queried_by_the_store() -> None:
    statement = re.compile(rf"\b(SELECT\b.*\bFROM|INSERT INTO|UPDATE|DELETE FROM)\s+.*?\b({SHOP_TABLES})\b", re.S)
    found = []
    for path in PYTHON:
        name = path.relative_to(REPO).as_posix()
        if name in STORE_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and statement.search(node.value):
                found.append(f"{name}:{node.lineno}: {node.value[:60]}")
    assert not found, "SQL on the shop tables belongs in assistant/shop/reads.py, store.py or writes.py:\n" + "\n".join(
        found
    )


def _strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings, with their lines (f-strings' literal parts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    docstrings |= {  # attribute docstrings: a string expression after an assignment
        id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


SENTENCE = re.compile(r"[A-Z][a-z']*(?: [\w'’,;:()-]+){3,}[.?!]")
SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE)\b")


CUSTOMER_FACING = [
    *(
        f"shop/{m}.py"
        for m in ("actions", "desk", "desk_state", "policy", "plans", "parsing", "reads", "writes", "store")
    ),
    *(p.relative_to(REPO / "assistant").as_posix() for p in sorted((REPO / "assistant" / "dialogue").rglob("*.py"))),
    "hours.py",
    "answers.py",
    "recommend.py",
    "facts.py",
]
"""The modules whose strings can reach a customer: the shop wing's, the dialogue's, the catalogue answers'."""


@pytest.mark.parametrize("module", CUSTOMER_FACING)
def test_no_customer_sentence_in_the_shop_code(module: str) -> None:
    path = REPO / "assistant" / module
    sentences = [
        f"{path.name}:{line}: {text!r}"
        for line, text in _strings(path)
        if SENTENCE.search(text) and not SQL.match(text)
    ]
    assert not sentences, "customer-facing sentences belong in prompts/orders.yaml:\n" + "\n".join(sentences)


def test_the_sentence_check_finds_one() -> None:
    assert SENTENCE.search("It is being prepared in our warehouse.")
    assert SENTENCE.search("Shall I go ahead with it?")
    assert not SENTENCE.search("there is no order 104233")
