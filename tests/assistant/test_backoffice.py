"""The lead area's door into the runtime (``assistant.backoffice``), on the shared assistant and a small demo shop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.backoffice import Backoffice
from assistant.dialogue import Assistant
from assistant.errors import AssistantError
from assistant.jobs import TrainingJobs
from assistant.knowledge import load_knowledge
from assistant.shop.actions import OrderActions
from assistant.shop.demo import build_demo_shop
from assistant.shop.desk import OrderDesk
from assistant.shop.store import ShopDB

pytestmark = pytest.mark.integration


@pytest.fixture
def office(bot: Assistant, tmp_path: Path) -> Iterator[Backoffice]:
    """A back office over the shared assistant, with a demo shop of its own."""
    shop = tmp_path / "shop.sqlite"
    build_demo_shop(shop, bot.settings.knowledge_dir, customers=12, orders=50, now=datetime(2026, 11, 20, tzinfo=UTC))
    saved = bot.desk
    bot.desk = OrderDesk(OrderActions(ShopDB(shop)))
    try:
        yield Backoffice(bot, TrainingJobs(bot.settings))
    finally:
        bot.desk = saved


def test_it_offers_the_installations_intents_and_shop(office: Backoffice, bot: Assistant) -> None:
    assert office.intents == sorted(bot.taxonomy.intents) and office.has_shop
    assert office.gap_threshold == bot.settings.gap_threshold
    saved = bot.desk
    try:
        bot.desk = None
        bare = Backoffice(bot, TrainingJobs(bot.settings))
        assert not bare.has_shop
        with pytest.raises(AssistantError, match="this installation has no shop database"):
            bare.audit(None, limit=10)
    finally:
        bot.desk = saved


def test_knowledge_is_checked_as_the_folder_loads(office: Backoffice, bot: Assistant) -> None:
    kb = load_knowledge(bot.settings.knowledge_dir)
    check = office.check_knowledge(sync=False)
    assert (check.products, check.articles) == (len(kb.products), len(kb.articles)) and check.synced is None


def test_mistakes_a_lead_can_make_are_one_line(office: Backoffice) -> None:
    with pytest.raises(AssistantError, match="no turn 'nope' in the log"):
        office.turn("nope")
    with pytest.raises(AssistantError, match="pick a turn in the list"):
        office.turn("")
    with pytest.raises(AssistantError, match="open a turn first"):
        office.correct("nope", None, "a reply", None, approve=False)
    with pytest.raises(AssistantError, match="there is no order 999999"):
        office.audit(999999, limit=10)
    with pytest.raises(AssistantError, match="no entry 424242 in the audit trail"):
        office.audit_entry(424242)
    with pytest.raises(AssistantError, match="pick a version"):
        office.activate("intents", "")
    with pytest.raises(AssistantError, match="no finished training to promote"):
        office.decide("promote")


def test_a_fresh_shop_has_no_order_actions_and_no_training_to_compare(office: Backoffice) -> None:
    assert office.audit(None, limit=10) == [] and office.identity_checks(None, limit=10) == []
    assert office.job() is None and office.comparison() == []
