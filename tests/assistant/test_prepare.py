from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.prepare import ensure_shop
from assistant.settings import Settings
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
