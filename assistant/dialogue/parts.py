"""The parts of an assistant, built from the settings: models, the order desk, the opening hours."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Literal

from assistant.errors import ModelMissingError
from assistant.generation import ReplyGenerator
from assistant.hours import OpeningHours
from assistant.intents import IntentClassifier
from assistant.knowledge import KnowledgeBase
from assistant.registry import ModelRegistry
from assistant.settings import Settings
from assistant.shop.actions import OrderActions
from assistant.shop.desk import OrderDesk
from assistant.shop.desk_state import IdentityLimits
from assistant.shop.policy import ShopPolicy
from assistant.shop.profile import ShopProfile
from assistant.shop.store import ShopDB
from assistant.shop.wording import WORDING_FILE, OrderWording

log = logging.getLogger(__name__)


def active(settings: Settings, kind: Literal["intents", "sentiment"]) -> Path:
    """The active model of a kind, or a one-line error naming the command that trains one."""
    folder = ModelRegistry(settings.models_dir / kind).active()
    if folder is None:
        what = "trained intent classifier" if kind == "intents" else "sentiment model"
        raise ModelMissingError(f"no {what} in {settings.models_dir / kind}; run: python -m finetune {kind}")
    return folder


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


def desk(settings: Settings, profile: ShopProfile) -> OrderDesk | None:
    """The order desk on the shop database; None (order questions get general answers) when there is none."""
    if not settings.shop_db.exists():
        log.warning("no shop database at %s: order lookups are off; run: python -m assistant prepare", settings.shop_db)
        return None
    limits = IdentityLimits(
        per_session=settings.identity_failures_session,
        per_order=settings.identity_failures_order,
        per_client=settings.identity_failures_client,
        window=timedelta(minutes=settings.identity_lock_minutes),
        verified_for=timedelta(minutes=settings.verified_minutes),
    )
    policy, wording = ShopPolicy(profile), OrderWording(settings.prompts_dir / WORDING_FILE, profile)
    return OrderDesk(OrderActions(ShopDB(settings.shop_db), policy=policy, wording=wording), limits)


def opening_hours(profile: ShopProfile) -> OpeningHours:
    """Customer-service hours, as ``shop.yaml`` states them (the contact policy says the same: a test checks)."""
    return OpeningHours(days=profile.customer_service.hours_by_weekday(), zone=profile.time_zone)
