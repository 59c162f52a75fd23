"""Get an installation ready to chat: models converted, index synced, classifier trained.

Everything is reused when already done, so a second start takes seconds.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel

from assistant.errors import AssistantError
from assistant.index import KnowledgeIndex, SyncReport
from assistant.knowledge import LoadProblem, load_knowledge
from assistant.models import prepare_lm
from assistant.registry import ModelCard, ModelRegistry, file_hash
from assistant.settings import Settings
from assistant.training import Trainers

DEMO_MAX_AGE = timedelta(hours=12)
"""A demo shop older than this, unchanged in chat, is rebuilt at start-up so that its timeline stays current."""

log = logging.getLogger(__name__)


class PrepareReport(BaseModel):
    lm_ready_s: float
    adapter: str = ""
    sentiment: str = ""
    shop: str = ""
    sync: SyncReport
    problems: list[LoadProblem]
    classifier: str
    trained_classifier: bool
    seconds: float


def sync_knowledge(
    settings: Settings, progress: bool = True, rebuild: bool = False
) -> tuple[SyncReport, list[LoadProblem]]:
    """Load ``knowledge/`` and make the Chroma index match it; a damaged index (or ``rebuild``) is built anew.

    The index is checked after the sync (:meth:`KnowledgeIndex.check`); when its files are damaged, it is
    dropped and every entry embedded again, with a log line and a progress bar.
    """
    kb = load_knowledge(settings.knowledge_dir)
    passages = kb.passages()
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    if rebuild:
        return index.rebuild(passages, progress=progress), kb.problems
    try:
        report = index.sync(passages, progress=progress)
        health = index.check(passages)
        problem = health.damaged[0] if health.damaged else None
    except AssistantError:
        raise
    except Exception as err:  # chroma raises many types on damaged files
        problem = str(err)
    if problem is None:
        return report, kb.problems
    log.warning("the knowledge index at %s is damaged (%s): rebuilding it", settings.chroma_dir, problem)
    return index.rebuild(passages, progress=progress), kb.problems


def install_shipped_adapter(settings: Settings) -> str:
    """Register and activate the reply adapter shipped in the repository, unless one is active already."""
    registry = ModelRegistry(settings.models_dir / "replies")
    active = registry.active_version()
    shipped = settings.shipped_adapter
    if active is not None or not (shipped / "adapter_config.json").is_file():
        return active or ""
    version = ModelCard.read(shipped).version or shipped.name
    if version not in registry.versions():
        with registry.build("replies", version) as (_, folder):
            for item in shipped.iterdir():
                if item.is_file():
                    shutil.copy2(item, folder / item.name)
    registry.activate(version)
    return version


def ensure_sentiment(settings: Settings, trainers: Trainers) -> str:
    """Train the sentiment model (seconds) when none is active or its examples changed."""
    registry = ModelRegistry(settings.models_dir / "sentiment")
    active = registry.active()
    if active is None or ModelCard.read(active).data_hash != file_hash(settings.sentiment_data):
        log.info("training the sentiment model")
        trainers.sentiment(settings)
    return registry.active_version() or ""


SHOP_EXPORT_DIR = "shop-export"
"""A knowledge folder's own customers and orders (``<knowledge_dir>/shop-export/``, the format of
``python -m assistant shop import``, docs/shop-import.md); without it the demo generator builds the shop."""


def ensure_shop(settings: Settings, now: datetime | None = None) -> str:
    """The shop database: the knowledge folder's own shop export when it has one, else the demo shop.

    The demo shop's orders are timed relative to the moment it was built (an order "placed 20 minutes ago",
    a parcel "expected in 2 days"), so a demo shop older than :data:`DEMO_MAX_AGE` that nobody changed in
    chat is built again. A shop built for another knowledge folder (``SHOP_KNOWLEDGE_DIR`` changed) is built
    again for this one; a shop loaded with ``shop import`` is never touched.
    """
    from assistant.shop.store import ShopDB

    now = now or datetime.now(UTC)
    knowledge = str(settings.knowledge_dir.resolve())
    if not settings.shop_db.exists():
        return _build_shop(settings, now, knowledge, "built now")
    with ShopDB(settings.shop_db) as db:
        counts, info = db.counts(), db.info()
        changed = len(db.audit(limit=1)) > 0
    origin = info.get("origin")
    if origin in ("demo", "export") and info.get("knowledge", knowledge) != knowledge:
        return _build_shop(settings, now, knowledge, f"rebuilt: the last one was for {info['knowledge']}")
    built = datetime.fromisoformat(info["built_at"]) if info.get("built_at") else None
    if origin == "demo" and built is not None and now - built > DEMO_MAX_AGE:
        age = f"{(now - built).total_seconds() / 86400:.1f} days"
        if changed:
            return (
                f"{settings.shop_db} (demo shop built {age} ago, changed in chat since; its timeline is dated: "
                "`python -m assistant shop demo --replace` rebuilds it)"
            )
        return _build_shop(settings, now, knowledge, f"rebuilt: the last one was {age} old")
    return f"{settings.shop_db} ({counts['customers']} customers, {counts['orders']} orders)"


def _build_shop(settings: Settings, now: datetime, knowledge: str, why: str) -> str:
    """Build the shop database afresh: from ``<knowledge_dir>/shop-export/`` when there is one, else the demo.

    Raises:
        AssistantError: The export has invalid records (nothing is kept; the first problem is named).
    """
    from assistant.shop.demo import build_demo_shop
    from assistant.shop.store import ShopDB
    from assistant.shop.transfer import import_shop

    for suffix in ("", "-wal", "-shm"):
        Path(f"{settings.shop_db}{suffix}").unlink(missing_ok=True)
    export = settings.knowledge_dir / SHOP_EXPORT_DIR
    if not export.is_dir():
        build_demo_shop(settings.shop_db, settings.knowledge_dir, now=now)
        with ShopDB(settings.shop_db) as db:
            db.set_info(knowledge=knowledge)
        return f"{settings.shop_db} (demo shop {why})"
    report = import_shop(settings.shop_db, export, settings.knowledge_dir, strict=True)
    if report.problems:
        settings.shop_db.unlink(missing_ok=True)
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        raise AssistantError(f"{export}: {report.problems[0]}{more}")
    with ShopDB(settings.shop_db) as db:
        db.set_info(origin="export", knowledge=knowledge)
    return f"{settings.shop_db} (shop export {export} loaded, {why}: {report.summary()})"


def prepare(settings: Settings, trainers: Trainers, progress: bool = True) -> PrepareReport:
    """Make the installation ready; ``trainers`` train the models that are missing (the CLI: finetune's commands)."""
    start = time.perf_counter()
    prepare_lm(settings.lm_dir)
    lm_s = time.perf_counter() - start
    adapter = install_shipped_adapter(settings)
    sync, problems = sync_knowledge(settings, progress=progress)
    sentiment = ensure_sentiment(settings, trainers)
    shop = ensure_shop(settings)
    registry = ModelRegistry(settings.models_dir / "intents")
    trained = False
    if registry.active() is None:
        log.info("no intent classifier yet: training one (a few minutes on CPU)")
        trainers.intents(settings)
        trained = True
    return PrepareReport(
        lm_ready_s=round(lm_s, 1),
        adapter=adapter,
        sentiment=sentiment,
        shop=shop,
        sync=sync,
        problems=problems,
        classifier=registry.active_version() or "",
        trained_classifier=trained,
        seconds=round(time.perf_counter() - start, 1),
    )
