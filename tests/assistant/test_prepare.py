import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.prepare import SHOP_EXPORT_DIR, ensure_shop
from assistant.settings import REPO_ROOT, Settings
from assistant.shop.actions import OrderActions
from assistant.shop.store import ShopDB

BUILT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def test_a_stale_demo_shop_is_rebuilt_unless_changed_in_chat(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert "demo shop built now" in ensure_shop(settings, now=BUILT)
    with ShopDB(settings.shop_db) as shop:
        assert shop.info()["origin"] == "demo"
        assert datetime.fromisoformat(shop.info()["built_at"]) == BUILT
    assert "1100 orders" in ensure_shop(settings, now=BUILT + timedelta(hours=3))  # fresh enough: kept

    later = BUILT + timedelta(days=2)
    assert "demo shop rebuilt" in ensure_shop(settings, now=later)
    with ShopDB(settings.shop_db) as shop:
        pending = shop.order(104250)
        assert pending is not None and pending.status == "pending"
        assert timedelta(0) < later - pending.placed_at < timedelta(hours=1)  # "placed 20 minutes ago" again
        actions = OrderActions(shop, now=lambda: later)
        plan = actions.plan_cancel(104250, reason="ordered twice")
        actions.apply(plan, actor="assistant")  # type: ignore[arg-type]

    message = ensure_shop(settings, now=later + timedelta(days=3))
    assert "changed in chat" in message and "--replace" in message
    with ShopDB(settings.shop_db) as shop:
        cancelled = shop.order(104250)
        assert cancelled is not None and cancelled.status == "cancelled"  # the customer's change is kept


def test_an_imported_shop_is_never_rebuilt(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    ensure_shop(settings, now=BUILT)
    with ShopDB(settings.shop_db) as shop:
        shop.set_info(origin="import")
    assert "1100 orders" in ensure_shop(settings, now=BUILT + timedelta(days=30))


def _knowledge_with_export(tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_ROOT / "knowledge", knowledge)
    shutil.copytree(REPO_ROOT / "docs" / "examples" / "shop-import", knowledge / SHOP_EXPORT_DIR)
    return knowledge


def test_a_knowledge_folder_with_its_own_shop_export_is_loaded_not_generated(tmp_path: Path) -> None:
    knowledge = _knowledge_with_export(tmp_path)
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge)
    message = ensure_shop(settings, now=BUILT)
    assert "shop export" in message and str(knowledge / SHOP_EXPORT_DIR) in message
    with ShopDB(settings.shop_db) as shop:
        assert shop.info()["origin"] == "export" and shop.info()["knowledge"] == str(knowledge.resolve())
        exported = json.loads((knowledge / SHOP_EXPORT_DIR / "orders.json").read_text(encoding="utf-8"))
        assert shop.counts()["orders"] == len(exported)
    assert "orders)" in ensure_shop(settings, now=BUILT + timedelta(days=30))  # never rebuilt as a demo

    demo = Settings(data_dir=tmp_path / "data")  # the same data folder, the demo shop's knowledge: built again
    assert "demo shop rebuilt" in ensure_shop(demo, now=BUILT)
    with ShopDB(demo.shop_db) as shop:
        assert shop.info()["origin"] == "demo" and shop.counts()["orders"] == 1100


def test_an_invalid_shop_export_is_one_line_and_leaves_no_shop(tmp_path: Path) -> None:
    knowledge = _knowledge_with_export(tmp_path)
    orders = knowledge / SHOP_EXPORT_DIR / "orders.json"
    records = json.loads(orders.read_text(encoding="utf-8"))
    records[0]["items"][0]["sku"] = "NO-SUCH-SKU"
    orders.write_text(json.dumps(records), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge)
    with pytest.raises(AssistantError, match=r"shop-export: orders.json record 1 .*NO-SUCH-SKU") as err:
        ensure_shop(settings, now=BUILT)
    assert "\n" not in str(err.value)
    assert not settings.shop_db.exists()
