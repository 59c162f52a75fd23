"""A demo shop database: customers, orders, parcels, returns and refunds that follow the shop's policies.

``build_demo_shop`` fills a :class:`~assistant.shop.store.ShopDB` deterministically (seeded ``random.Random``): the
same seed, catalogue and ``now`` give the same data. Products and variants come from the catalogue in the
knowledge folder; every order line is a real SKU, colour and size at the catalogue price. Who orders, from where,
with which names, addresses and habits is data (``demo_data.yaml`` beside this module); every rule the orders
follow comes from the shop profile (``knowledge/shop.yaml``): shipping costs and free-shipping thresholds by
region, the carriers, dispatch the same business day when placed by the cut-off (bank transfers once the money
arrives), delivery times in business days by region, payment methods only where offered, the discount codes,
returns within the return window with the region's label fee, refunds to the original payment method. Times
spread over the last ~120 days before ``now``, and every order status is present:

* ``pending``: placed within the last hour;
* ``processed``: in the warehouse, not dispatched yet;
* ``shipped``: a parcel with carrier, tracking number, expected delivery and tracking events so far;
* ``delivered``: some inside the return window, most outside it;
* ``cancelled``: before dispatch, with a reason (PayPal and gift-card payments refunded);
* ``returned``: a return registered (or received) whose refund is not issued yet;
* ``refunded``: return received and refund issued.

Well-known records (:data:`DEMO_FIXTURES`, listed in ``demo_data.yaml``) have fixed numbers and timings relative to
``now``, whatever the seed; customer :data:`FIXTURE_CUSTOMER` owns three of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import AssistantError
from assistant.knowledge import Product, load_knowledge
from assistant.shop.demo_data import DEMO_FIXTURES, FIXTURE_CUSTOMER
from assistant.shop.demo_fixtures import fixture_orders
from assistant.shop.demo_orders import _Generator
from assistant.shop.demo_people import People
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import load_profile
from assistant.shop.records import (
    ProductRow,
    VariantRow,
    iso,
)
from assistant.shop.store import ShopDB
from assistant.shop.writes import save_customers, save_orders, save_products

__all__ = ["DEMO_FIXTURES", "FIXTURE_CUSTOMER", "build_demo_shop"]


def build_demo_shop(
    db_path: Path,
    knowledge_dir: Path,
    customers: int = 220,
    orders: int = 1100,
    seed: int = 7,
    now: datetime | None = None,
    replace: bool = False,
) -> dict[str, int]:
    """Create the demo shop database from the catalogue in ``knowledge_dir``.

    Args:
        db_path: SQLite file to create (``<data_dir>/shop.sqlite`` by default in the CLI).
        knowledge_dir: The knowledge folder whose catalogue supplies products, variants and prices.
        customers: How many customers (at least 12).
        orders: How many orders, the fixtures included (at least 50).
        seed: Seed of the random generator; the same seed, catalogue and ``now`` give the same data.
        now: The moment the data is relative to (default: now); naive times count as UTC.
        replace: Delete an existing database file first; without it an existing shop with orders is an error.

    Returns:
        Rows per table, as :meth:`ShopDB.counts` reports them.

    Raises:
        AssistantError: The catalogue has no products, the arguments are too small, or the database already
            holds orders and ``replace`` is False.
    """
    if customers < 12 or orders < 50:
        raise AssistantError(f"a demo shop needs at least 12 customers and 50 orders, not {customers} and {orders}")
    kb = load_knowledge(knowledge_dir)
    if not kb.products:
        raise AssistantError(f"no products in the catalogue under {knowledge_dir}; run `python -m assistant kb check`")
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if replace:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with ShopDB(db_path) as shop:
        existing = shop.counts()["orders"]
        if existing:
            raise AssistantError(f"{db_path} already holds {existing} orders; rebuild it with --replace")
        gen = _Generator(kb.products, seed, moment, ShopPolicy(load_profile(knowledge_dir)))
        people = People(gen.crng, moment).customers(customers)
        made = gen.orders(people, orders, fixture_orders(gen, people))
        with shop.transaction() as db:
            save_products(db, [_product_row(p) for p in kb.products])
            save_customers(db, people)
            save_orders(db, made)
        shop.set_info(origin="demo", built_at=iso(moment) or "")
        return shop.counts()


def _product_row(p: Product) -> tuple[ProductRow, list[VariantRow]]:
    details = p.model_dump(mode="json", include={"gender", "materials", "care", "weight_g", "features", "description"})
    row = ProductRow(sku=p.sku, name=p.name, category=p.category, price=p.price, currency=p.currency, details=details)
    return row, [VariantRow(sku=p.sku, color=v.color, size=v.size, stock=v.stock) for v in p.variants]
