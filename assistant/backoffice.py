"""What the support lead's area does with the runtime, as public methods: the one door the lead UI goes through.

The UI (``assistant.ui.lead``) lays out pages and words figures; everything it reads
or changes goes through :class:`Backoffice`: the turn log (turns, corrections,
tickets), the dashboard figures, the knowledge folder and its index, the knowledge
gaps, the shop's audit trail and identity checks, and the training jobs.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from assistant.analytics import Dashboard, Flag, TurnQuery, TurnRow, dashboard, list_turns
from assistant.dialogue import Assistant
from assistant.errors import AssistantError
from assistant.gaps import GapsReport, gaps_report
from assistant.index import SyncReport
from assistant.jobs import INTENT_METRICS, REPLY_METRICS, JobKind, JobStatus, TrainingJobs, better
from assistant.knowledge import LoadProblem, load_knowledge
from assistant.shop.records import AuditEntry, IdentityCheck
from assistant.shop.store import ShopDB
from assistant.turnlog import Curation, Ticket, TurnRecord

MAX_REPLY_CHARS = 4000
"""The longest corrected reply a lead may save."""
LEAD = "support lead"
"""Who closes a ticket from the lead area, as the turn log records it."""


class RetrievedSource(BaseModel):
    """A passage a logged turn retrieved, as the knowledge folder names it now."""

    id: str
    score: float
    title: str | None
    """None when the entry is no longer in the knowledge folder."""
    source: str = ""


class TurnDetail(BaseModel):
    """One logged turn with what a lead needs to judge it."""

    turn: TurnRecord
    sources: list[RetrievedSource]
    earlier: list[TurnRecord]
    """The other turns of its conversation (the latest 12), oldest first."""
    curations: list[Curation]

    @property
    def current_intent(self) -> str | None:
        """The intent after the latest correction (the logged one when none changed it)."""
        latest = self.curations[-1] if self.curations else None
        return (latest.intent if latest and latest.intent else self.turn.intent) or None

    @property
    def current_reply(self) -> str:
        """The reply after the latest correction (the logged one when none changed it)."""
        latest = self.curations[-1] if self.curations else None
        return latest.reply if latest and latest.reply else self.turn.reply


class Correction(BaseModel):
    """A correction as saved, beside the turn it corrects."""

    turn: TurnRecord
    saved: Curation


class KnowledgeCheck(BaseModel):
    """The knowledge folder as loaded, and what a sync did to the index (None: not synced)."""

    products: int
    articles: int
    problems: list[LoadProblem]
    synced: SyncReport | None = None


class MetricComparison(BaseModel):
    """One metric of a finished training, the active model's beside the new one's."""

    metric: str
    active: float | None
    new: float | None
    new_is_better: bool | None
    """None: the same, or not comparable."""


class Backoffice:
    """The support lead's operations on one running assistant and its training jobs.

    Args:
        bot: the running assistant (what the lead changes, the customers' chat uses at once).
        jobs: the background training jobs; promoting a model switches the running assistant to it.
    """

    def __init__(self, bot: Assistant, jobs: TrainingJobs) -> None:
        self._bot = bot
        self._jobs = jobs
        self._shop: ShopDB | None = bot.desk.actions.db if bot.desk is not None else None

    # --- what the installation has --------------------------------------------------

    @property
    def intents(self) -> list[str]:
        """The taxonomy's intents, sorted."""
        return sorted(self._bot.taxonomy.intents)

    @property
    def has_shop(self) -> bool:
        """Whether the assistant runs with a shop database (order actions, identity checks)."""
        return self._shop is not None

    @property
    def gap_threshold(self) -> float:
        """The installation's default score under which a message counts as a knowledge gap."""
        return self._bot.settings.gap_threshold

    # --- dashboard and conversations ------------------------------------------------

    def dashboard(self, days: int) -> Dashboard:
        """The figures of the last ``days`` days."""
        return dashboard(self._bot.turn_log, days=days)

    def turns(
        self,
        flags: list[Flag],
        intent: str | None = None,
        since: date | None = None,
        until: date | None = None,
        text: str | None = None,
    ) -> tuple[list[TurnRow], int]:
        """Logged turns with any of ``flags`` (all turns when empty) and the other filters, newest first;
        with the most that are listed."""
        query = TurnQuery(
            flags=flags,
            intent=intent,
            since=since,
            until=until,
            text=text,
            low_confidence=self._bot.settings.low_confidence,
        )
        return list_turns(self._bot.turn_log, query), query.limit

    def turn(self, turn_id: str) -> TurnDetail:
        """One logged turn with its sources, its conversation and its corrections."""
        log = self._bot.turn_log
        turn = log.get(turn_id) if turn_id else None
        if turn is None:
            raise AssistantError(f"no turn '{turn_id}' in the log" if turn_id else "pick a turn in the list")
        sources = []
        for item in turn.retrieved:
            passage = self._bot.passage(str(item.get("id")))
            sources.append(
                RetrievedSource(
                    id=str(item.get("id")),
                    score=float(item.get("score", 0)),
                    title=passage.title if passage else None,
                    source=passage.source if passage else "",
                )
            )
        earlier = [t for t in reversed(log.recent(limit=12, session_id=turn.session_id)) if t.id != turn.id]
        return TurnDetail(turn=turn, sources=sources, earlier=earlier, curations=log.curations(turn.id))

    def correct(self, turn_id: str, intent: str | None, reply: str, note: str | None, approve: bool) -> Correction:
        """Save a lead's correction (or approval) beside a logged turn; the turn itself stays as logged."""
        turn = self._bot.turn_log.get(turn_id)
        if turn is None:
            raise AssistantError("open a turn first")
        if intent and intent not in self._bot.taxonomy.intents:
            raise AssistantError(f"unknown intent '{intent}'")
        if not approve and not reply:
            raise AssistantError("the corrected reply is empty")
        if len(reply) > MAX_REPLY_CHARS:
            raise AssistantError(f"the corrected reply is longer than {MAX_REPLY_CHARS} characters")
        saved = self._bot.turn_log.curate(
            Curation(
                turn_id=turn.id,
                intent=intent or None,  # the same intent as logged: the lead confirms it (a label too)
                reply=reply if reply and reply != turn.reply else None,
                approved=approve,
                note=note or None,
            )
        )
        return Correction(turn=turn, saved=saved)

    # --- knowledge ------------------------------------------------------------------

    def check_knowledge(self, sync: bool) -> KnowledgeCheck:
        """Load the knowledge folder; with ``sync``, bring the index up to date and answer from it at once."""
        kb = load_knowledge(self._bot.settings.knowledge_dir)
        check = KnowledgeCheck(products=len(kb.products), articles=len(kb.articles), problems=kb.problems)
        if sync:
            check.synced = self._bot.retriever.index.sync(kb.passages())
            self._bot.use_knowledge(kb)
        return check

    def gaps(self, threshold: float, days: int, out_of_scope: bool) -> GapsReport:
        """Recent customer messages that no knowledge entry answers well, grouped by meaning."""
        retriever = self._bot.retriever
        return gaps_report(
            self._bot.turn_log,
            retriever.index,
            threshold=threshold,
            days=days,
            include_out_of_scope=out_of_scope,
            normalize=self._bot.classifier.normalize,
            lexical=retriever.lexical,
            lexical_weight=retriever.lexical_weight,
        )

    # --- handoff queue --------------------------------------------------------------

    def tickets(self, closed_too: bool) -> list[Ticket]:
        """The open tickets, oldest first; with ``closed_too``, every ticket, newest first."""
        return self._bot.turn_log.tickets(None if closed_too else "open")

    def close_ticket(self, ticket_id: int) -> bool:
        """Close an open ticket; False when there is no open ticket with that number."""
        return self._bot.turn_log.close_ticket(ticket_id, by=LEAD)

    # --- order actions --------------------------------------------------------------

    def _shop_db(self) -> ShopDB:
        if self._shop is None:
            raise AssistantError("this installation has no shop database")
        return self._shop

    def audit(self, order_id: int | None, limit: int) -> list[AuditEntry]:
        """The changes made to one order (or to all), newest first."""
        shop = self._shop_db()
        entries = shop.audit(order_id=order_id, limit=limit)
        if order_id is not None and not entries and shop.order(order_id) is None:
            raise AssistantError(f"there is no order {order_id}")
        return entries

    def audit_entry(self, entry_id: int) -> AuditEntry:
        """One entry of the audit trail."""
        entry = self._shop_db().audit_entry(entry_id)
        if entry is None:
            raise AssistantError(f"no entry {entry_id} in the audit trail")
        return entry

    def identity_checks(self, order_id: int | None, limit: int) -> list[IdentityCheck]:
        """Failed and refused identity checks of one order (or of all), newest first."""
        return self._shop_db().identity_checks(order_id=order_id, limit=limit)

    # --- training -------------------------------------------------------------------

    def job(self) -> JobStatus | None:
        """The latest training job since the server started (None: none)."""
        return self._jobs.status()

    def start_training(
        self, kind: JobKind, from_log: bool, warm_start: bool, max_steps: int, extra_repeat: int
    ) -> JobStatus:
        """Start training in the background (refused while another job runs)."""
        return self._jobs.start(
            kind, from_log=from_log, warm_start=warm_start, max_steps=max_steps, extra_repeat=extra_repeat
        )

    def comparison(self) -> list[MetricComparison]:
        """The finished job's metrics beside the active model's (empty until it has them)."""
        job = self._jobs.status()
        if job is None or not job.metrics.get("new"):
            return []
        keys = INTENT_METRICS if job.kind == "intents" else REPLY_METRICS
        new, old = job.metrics.get("new", {}), job.metrics.get("active", {})
        return [
            MetricComparison(
                metric=k, active=old.get(k), new=new.get(k), new_is_better=better(k, new.get(k), old.get(k))
            )
            for k in keys
        ]

    def decide(self, decision: Literal["promote", "discard"]) -> str:
        """Promote the finished model (the assistant uses it from the next message) or discard it; its version."""
        return self._jobs.promote() if decision == "promote" else self._jobs.discard()

    def versions(self, kind: JobKind) -> list[dict[str, object]]:
        """Every trained version of a model with its card's headline figures, newest first."""
        return self._jobs.versions(kind)

    def activate(self, kind: JobKind, version: str) -> None:
        """Switch to a trained version (the running assistant too)."""
        if not version:
            raise AssistantError("pick a version")
        self._jobs.activate(kind, version)

    def rollback(self, kind: JobKind) -> str:
        """Go back to the version active before the current one; its name."""
        return self._jobs.rollback(kind)
