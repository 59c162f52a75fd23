"""The parts of an assistant, built from the settings: models, the order desk, the opening hours."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from assistant.errors import AssistantError
from assistant.generation import ReplyGenerator
from assistant.hours import OpeningHours
from assistant.intents import IntentClassifier
from assistant.knowledge import KnowledgeBase
from assistant.settings import Settings
from assistant.shop.desk import OrderDesk
from assistant.shop.desk_state import IdentityLimits

log = logging.getLogger(__name__)


def classifier(settings: Settings, folder: Path, knowledge: KnowledgeBase) -> IntentClassifier:
    return IntentClassifier(
        folder,
        threads=settings.threads,
        known_words=[p.name for p in knowledge.products] + [v.color for p in knowledge.products for v in p.variants],
    )


def generator(settings: Settings, adapter: Path | None) -> ReplyGenerator:
    return ReplyGenerator(
        settings.lm_dir,
        adapter_dir=adapter,
        device=settings.device,
        dtype=settings.lm_dtype,
        static_cache=settings.static_cache,
        lean=settings.lean_decoding,
        max_new_tokens=settings.max_new_tokens,
        threads=settings.threads,
    )


def desk(settings: Settings) -> OrderDesk | None:
    """The order desk on the shop database; None (order questions get general answers) when there is none."""
    if not settings.shop_db.exists():
        log.warning("no shop database at %s: order lookups are off; run: python -m assistant prepare", settings.shop_db)
        return None
    from assistant.shop.actions import OrderActions
    from assistant.shop.store import ShopDB

    limits = IdentityLimits(
        per_session=settings.identity_failures_session,
        per_order=settings.identity_failures_order,
        per_client=settings.identity_failures_client,
        window=timedelta(minutes=settings.identity_lock_minutes),
        verified_for=timedelta(minutes=settings.verified_minutes),
    )
    return OrderDesk(OrderActions(ShopDB(settings.shop_db)), limits)


def opening_hours(knowledge: KnowledgeBase) -> OpeningHours | None:
    """Customer-service hours from the contact policy; None (handoffs promise no time) when it states none."""
    article = knowledge.article("customer-service")
    if article is None:
        return None
    try:
        return OpeningHours.from_text(article.body)
    except AssistantError as err:
        log.warning("knowledge customer-service: %s", err)
        return None
