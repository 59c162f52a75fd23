import json
import random
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.knowledge import load_knowledge
from assistant.shop.demo import build_demo_shop
from assistant.shop.export import export_shop
from assistant.shop.records import Order
from assistant.shop.store import ShopDB
from assistant.shop.transfer import IMPORTED_CATALOGUE, ShopImportError, import_shop

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "docs" / "examples" / "shop-import"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A knowledge folder with the real catalogue (FAQ and policies are not needed here)."""
    folder = tmp_path / "knowledge"
    shutil.copytree(REPO / "knowledge" / "catalogue", folder / "catalogue")
    return folder


def _records(name: str) -> list[dict[str, Any]]:
    return json.loads((EXAMPLE / name).read_text(encoding="utf-8"))


def _write(folder: Path, name: str, records: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    blocks = ",\n".join(json.dumps(r, indent=2, ensure_ascii=False) for r in records)
    (folder / name).write_text(f"[\n{blocks}\n]\n", encoding="utf-8")


def _without_ids(order: Order) -> dict[str, Any]:
    return order.model_dump(
        exclude={
            "fulfilments": {"__all__": {"id"}},
            "refunds": {"__all__": {"id"}},
            "returns": {"__all__": {"id": True, "refund": {"id"}}},
        }
    )


def test_the_documented_example_imports_into_db_and_catalogue(tmp_path: Path, knowledge: Path) -> None:
    report = import_shop(tmp_path / "shop.sqlite", EXAMPLE, knowledge)
    assert report.problems == [] and report.warnings == [] and report.written
    assert (report.products, report.customers, report.orders) == (3, 3, 4)
    assert report.catalogue_file == str(knowledge / "catalogue" / IMPORTED_CATALOGUE)
    kb = load_knowledge(knowledge)
    assert kb.problems == []
    vest = kb.product("EX-VST-003")
    assert vest is not None and vest.category == "jackets" and [v.size for v in vest.variants] == ["S", "M", "L"]
    assert kb.product("FP-JKT-001") is not None  # the shop's own catalogue is still there
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        refunded = shop.order(200004)
        assert refunded is not None and refunded.total == refunded.subtotal - refunded.discount
        assert refunded.all_refunds[0].amount == refunded.refunded and refunded.returns[0].items[0].line == 1
        assert shop.variant_stock("EX-CAP-001", "Sand") == 0
        customer = shop.find_customer_by_email("jakob.pichler@example.org")
        assert customer is not None and len(customer.addresses) == 2
        first = shop.order(200002)
        assert first is not None and first.items[0].name == "Havbris Cotton Cap" and first.updated_at > first.placed_at
    again = import_shop(tmp_path / "shop.sqlite", EXAMPLE, knowledge)
    assert again.problems == [] and again.orders == 4
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        assert shop.counts()["orders"] == 4 and shop.counts()["tracking_events"] == 4
        assert shop.info()["origin"] == "import"  # never rebuilt as a demo shop


def test_products_from_csv_equal_the_json_ones(tmp_path: Path) -> None:
    assert import_shop(tmp_path / "json.sqlite", EXAMPLE).ok
    report = import_shop(tmp_path / "csv.sqlite", EXAMPLE / "csv")
    assert report.problems == [] and report.products == 3
    with ShopDB(tmp_path / "json.sqlite") as a, ShopDB(tmp_path / "csv.sqlite") as b:
        assert a.products() == b.products() and a.variants() == b.variants()


def _bad_folder(folder: Path) -> None:
    customers = _records("customers.json")
    customers[1]["email"] = "jakob.pichler@"
    orders = _records("orders.json")
    del orders[0]["payment_method"]
    orders[2]["items"][0]["sku"] = "XX-1"
    orders.append(orders[3])
    _write(folder, "customers.json", customers)
    _write(folder, "orders.json", orders)
    shutil.copy(EXAMPLE / "products.json", folder / "products.json")


def test_each_invalid_record_is_one_line_and_the_rest_loads(tmp_path: Path) -> None:
    source = tmp_path / "export"
    _bad_folder(source)
    report = import_shop(tmp_path / "shop.sqlite", source)
    lines = [str(p) for p in report.problems]
    expected = [
        r"customers\.json record 2 \(id K-1002, line \d+\): email 'jakob\.pichler@': is not a valid email address",
        r"orders\.json record 1 \(id 200001, line 2\): payment_method is missing",
        r"orders\.json record 2 \(id 200002, line \d+\): customer_id 'K-1002' is not a known customer "
        r"\(skipped: see customers\.json record 2\)",
        r"orders\.json record 3 \(id 200003, line \d+\): items\[0\]\.sku 'XX-1' is not a known product",
        r"orders\.json record 5 \(id 200004, line \d+\): id 200004 appears twice \(first at record 4\)",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), line
    text = (source / "orders.json").read_text().splitlines()
    for problem in report.problems[1:]:  # each line is where its record starts
        assert problem.line is not None and problem.key is not None
        assert (
            text[problem.line - 1] == "{" and f'"id": {problem.key.removeprefix("id ")},' == text[problem.line].strip()
        )
    assert report.written and (report.customers, report.orders) == (2, 1)
    assert "4 invalid records skipped" not in report.summary() and "5 invalid records skipped" in report.summary()
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        assert shop.counts()["orders"] == 1 and shop.order(200004) is not None


def test_strict_aborts_and_writes_nothing(tmp_path: Path, knowledge: Path) -> None:
    source = tmp_path / "export"
    _bad_folder(source)
    report = import_shop(tmp_path / "shop.sqlite", source, knowledge, strict=True)
    assert not report.written and len(report.problems) == 5
    assert report.summary() == "nothing imported: 5 invalid records (strict mode)"
    assert not (knowledge / "catalogue" / IMPORTED_CATALOGUE).exists()
    with ShopDB(tmp_path / "shop.sqlite") as shop:
        assert all(n == 0 for n in shop.counts().values())
        assert shop.info() == {}


def test_more_record_problems(tmp_path: Path) -> None:
    source = tmp_path / "export"
    _write(source, "customers.json", _records("customers.json"))
    shutil.copy(EXAMPLE / "products.json", source / "products.json")
    orders = _records("orders.json")
    orders[0]["items"][0]["size"] = "XXL"
    orders[1]["total"] = 1.0
    orders[2]["colour"] = "Steel"
    orders[3]["status"] = "shipped"
    orders[3]["returns"][0]["items"][0]["line"] = 7
    _write(source, "orders.json", orders)
    lines = [str(p).split(": ", 1)[1] for p in import_shop(tmp_path / "shop.sqlite", source).problems]
    assert lines == [
        "items[0] color 'Black' size 'XXL' is not a variant of EX-VST-003 Lune Down Vest (variants: Black L, Black M, "
        "Black S)",
        "total 1.00 is not subtotal - discount + shipping_cost (90.50 - 0.00 + 7.95 = 98.45)",
        "colour is not a known field",
        "returns[0].items[0].line 7 is not a line of the order",
    ]


def test_a_bad_csv_row_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    rows = (EXAMPLE / "csv" / "products.csv").read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].replace(",Black,M,8", ",Black,M,-2")
    rows[3] = rows[3].replace(",32.50,", ",32.5O,")
    (source / "products.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = import_shop(tmp_path / "shop.sqlite", source)
    assert [str(p) for p in report.problems] == [
        "products.csv line 4 (sku EX-BTL-002): price '32.5O': Input should be a valid decimal",
        "products.csv line 6 (sku EX-VST-003): stock '-2': Input should be greater than or equal to 0",
    ]
    assert report.products == 1
    (source / "products.csv").write_text("sku,colour,stock\nEX-1,Black,1\n", encoding="utf-8")
    with pytest.raises(ShopImportError, match=r"products\.csv line 1: unknown column 'colour'"):
        import_shop(tmp_path / "shop.sqlite", source)


def test_unreadable_files_abort_with_one_line(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    (source / "orders.json").write_text('[\n  {"id": 200001,}\n]\n', encoding="utf-8")
    with pytest.raises(ShopImportError, match=r"^orders\.json line 2 column 17: invalid JSON"):
        import_shop(tmp_path / "shop.sqlite", source)
    (source / "orders.json").write_text('{"orders": []}', encoding="utf-8")
    with pytest.raises(ShopImportError, match="expected a JSON array"):
        import_shop(tmp_path / "shop.sqlite", source)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ShopImportError, match="no products.json"):
        import_shop(tmp_path / "shop.sqlite", tmp_path / "empty")


def test_export_then_import_gives_the_same_shop(tmp_path: Path) -> None:
    now = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)
    build_demo_shop(tmp_path / "demo.sqlite", REPO / "knowledge", customers=40, orders=150, now=now)
    assert export_shop(tmp_path / "demo.sqlite", tmp_path / "export") == {
        "products": 72,
        "customers": 40,
        "orders": 150,
    }
    report = import_shop(tmp_path / "copy.sqlite", tmp_path / "export")
    assert report.problems == []
    with ShopDB(tmp_path / "demo.sqlite") as a, ShopDB(tmp_path / "copy.sqlite") as b:
        assert a.counts() == b.counts()
        assert [_without_ids(o) for o in a.orders()] == [_without_ids(o) for o in b.orders()]
        assert a.customers() == b.customers() and a.variants() == b.variants()
        assert [p.model_copy(update={"source": "import"}) for p in a.products()] == b.products()


def _synthetic_set(folder: Path, products: int, customers: int, orders: int, seed: int = 1) -> None:
    """A shop export of the documented format: sized products, customers, orders in every state of delivery."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    catalogue: list[dict[str, Any]] = [
        {
            "sku": f"SY-{i:04d}",
            "name": f"Synthetic Product {i}",
            "category": rng.choice(["jackets", "footwear", "accessories"]),
            "price": f"{rng.randint(15, 300)}.{rng.choice(['00', '50', '95'])}",
            "currency": "EUR",
            "materials": ["Recycled polyester"],
            "care": "Machine wash at 30 °C.",
            "description": f"Synthetic product number {i} for the import speed test.",
            "variants": [
                {"color": color, "size": size, "stock": rng.randint(0, 40)}
                for color in ("Black", "Moss Green")
                for size in ("S", "M", "L")
            ],
        }
        for i in range(products)
    ]
    people = [
        {
            "id": f"S{i:05d}",
            "first_name": "Kim",
            "last_name": f"Tester{i}",
            "email": f"kim.tester{i}@example.com",
            "created_at": (start - timedelta(days=rng.randint(1, 900))).isoformat(),
            "addresses": [
                {"street": f"Teststraße {i % 90 + 1}", "zip": f"{20000 + i}", "city": "Hamburg", "country": "DE"}
            ],
        }
        for i in range(customers)
    ]
    records = []
    for n in range(orders):
        placed = start + timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        items = []
        for line, product in enumerate(rng.sample(catalogue, rng.randint(1, 4)), start=1):
            variant = rng.choice(product["variants"])
            items.append(
                {
                    "line": line,
                    "sku": product["sku"],
                    "color": variant["color"],
                    "size": variant["size"],
                    "quantity": rng.randint(1, 3),
                    "unit_price": product["price"],
                }
            )
        delivered = placed + timedelta(days=2)
        record: dict[str, Any] = {
            "id": 300000 + n,
            "customer_id": rng.choice(people)["id"],
            "status": "delivered" if n % 5 else "processed",
            "placed_at": placed.isoformat(),
            "payment_method": rng.choice(["card", "paypal", "klarna_pay_later"]),
            "shipping_cost": "4.95",
            "delivery_address": {"street": "Teststraße 1", "zip": "20095", "city": "Hamburg", "country": "DE"},
            "items": items,
        }
        if n % 5:
            shipped = placed + timedelta(hours=6)
            record["delivered_at"] = delivered.isoformat()
            record["fulfilments"] = [
                {
                    "carrier": "DHL",
                    "tracking_number": f"00340434{n:012d}",
                    "shipped_at": shipped.isoformat(),
                    "delivered_at": delivered.isoformat(),
                    "events": [
                        {"at": shipped.isoformat(), "status": "picked_up", "location": "Hamburg, DE"},
                        {"at": delivered.isoformat(), "status": "delivered", "location": "Hamburg, DE"},
                    ],
                }
            ]
        records.append(record)
    for name, data in (("products.json", catalogue), ("customers.json", people), ("orders.json", records)):
        _write(folder, name, data)


def test_a_mid_sized_shop_imports_well_under_a_minute(tmp_path: Path, knowledge: Path) -> None:
    _synthetic_set(tmp_path / "export", products=50, customers=500, orders=1000)
    started = time.perf_counter()
    report = import_shop(tmp_path / "shop.sqlite", tmp_path / "export", knowledge)
    seconds = time.perf_counter() - started
    print(f"imported 50 products, 500 customers, 1,000 orders in {seconds:.2f} s")
    assert report.problems == [] and (report.products, report.customers, report.orders) == (50, 500, 1000)
    assert seconds < 60
    kb = load_knowledge(knowledge)
    assert kb.problems == [] and sum(p.sku.startswith("SY-") for p in kb.products) == 50
