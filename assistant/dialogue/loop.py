"""The dialogue loop: one customer message in, one grounded reply out, every turn logged.

    bot = Assistant.load()
    reply = bot.respond("Where is my order 104233?", session_id="s1")

A turn runs through small stages: the message is cleaned and understood (:mod:`.understand`), the router
decides who answers (:mod:`.router`, looking up the shop's entries only when a rule needs them:
:mod:`.evidence`), one responder makes the reply (:mod:`.responders`), the escalation hands over to a person
when the assistant could not help, and the turn is logged.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from assistant.dialogue import parts
from assistant.dialogue.evidence import Evidence, Lookup
from assistant.dialogue.record import TurnRecorder
from assistant.dialogue.responders.base import Ask, Responder
from assistant.dialogue.responders.catalogue import CatalogueAnswers, Recommender
from assistant.dialogue.responders.curated import CuratedAnswers
from assistant.dialogue.responders.desk import DeskResponder
from assistant.dialogue.responders.fixed import FixedReplies
from assistant.dialogue.responders.generate import GroundedGeneration
from assistant.dialogue.responders.handoff import Escalation, Handoff
from assistant.dialogue.router import Responder as Who
from assistant.dialogue.router import Router
from assistant.dialogue.turn import Draft, Notice, Reply, Session, Source, Usage, elapsed_ms
from assistant.dialogue.understand import Understander, clean_message
from assistant.errors import ModelMissingError
from assistant.facts import FactPicker
from assistant.generation import ReplyGenerator
from assistant.index import KnowledgeIndex
from assistant.intents import IntentClassifier
from assistant.knowledge import KnowledgeBase, Passage, load_knowledge
from assistant.prompts import PromptLibrary
from assistant.registry import ModelRegistry
from assistant.retrieval import Retriever
from assistant.sentiment import SentimentModel
from assistant.sessions import SessionStore
from assistant.settings import Settings
from assistant.shop.desk import OrderDesk
from assistant.shop.profile import ShopProfile, load_profile
from assistant.taxonomy import Taxonomy, load_taxonomy
from assistant.turnlog import TurnLog

log = logging.getLogger(__name__)


class Assistant:
    """The shop assistant: the stages of a turn wired together, with the sessions and the turn log."""

    def __init__(
        self,
        settings: Settings,
        classifier: IntentClassifier,
        retriever: Retriever,
        generator: ReplyGenerator,
        prompts: PromptLibrary,
        turn_log: TurnLog,
        knowledge: KnowledgeBase,
        taxonomy: Taxonomy,
        sentiment: SentimentModel,
        desk: OrderDesk | None = None,
    ) -> None:
        self.settings = settings
        self.prompts = prompts
        self.turn_log = turn_log
        self.taxonomy = taxonomy
        self.sentiment = sentiment
        self.lookup = Lookup(settings, retriever, taxonomy, knowledge)
        if prompts.shop is None:
            raise ValueError("the assistant's prompts need the shop's profile: PromptLibrary(folder, profile)")
        self.profile: ShopProfile = prompts.shop
        self.hours = parts.opening_hours(self.profile)
        wording = prompts.catalogue.wording(self.profile.currency_symbol)
        self.facts = FactPicker(
            retriever.index.embedder, wording, threshold=settings.fact_threshold, vocabulary=self.lookup.vocabulary
        )
        self.understander = Understander(
            classifier,
            sentiment,
            taxonomy,
            lambda: self.lookup.knowledge.products,
            settings.escalation_threshold,
            self.profile.orders.number_pattern,
        )
        self.router = Router(settings, desk)
        responses, shop = prompts.responses, self.profile.name
        self._desk = DeskResponder(desk)
        self._generation = GroundedGeneration(self.lookup, generator, prompts, settings, shop)
        fixed, curated = FixedReplies(responses, taxonomy, shop), CuratedAnswers(self.lookup, responses, shop)
        self._responders: dict[Who, Responder] = {
            Who.FIXED: fixed,
            Who.FALLBACK: fixed,
            Who.ASK_ORDER: fixed,
            Who.CLARIFY: fixed,
            Who.DONT_KNOW: fixed,
            Who.HANDOFF: Handoff(self.lookup, responses, shop, settings.curated_threshold),
            Who.ORDER_DESK: self._desk,
            Who.RECOMMEND: Recommender(self.lookup, responses, wording, shop, settings.min_relevance),
            Who.CATALOGUE: CatalogueAnswers(self.lookup, self.facts, responses, wording, shop),
            Who.CURATED: curated,
            Who.ORDER_ENTRY: curated,
            Who.GENERATE: self._generation,
        }
        self.escalation = Escalation(turn_log, responses, self.profile, lambda: self.hours)
        self.sessions: SessionStore[Session] = SessionStore(
            Session, limit=settings.session_limit, idle_s=settings.session_idle_minutes * 60
        )
        self.recorder = TurnRecorder(turn_log)

    @classmethod
    def load(cls, settings: Settings | None = None, warm: bool = True) -> Assistant:
        """Build the assistant from an installation prepared by ``python -m assistant prepare``."""
        settings = settings or Settings()
        intents, feelings = parts.active(settings, "intents"), parts.active(settings, "sentiment")
        adapter = settings.adapter or ModelRegistry(settings.models_dir / "replies").active()
        profile = load_profile(settings.knowledge_dir)
        knowledge = load_knowledge(settings.knowledge_dir)
        for problem in knowledge.problems:
            log.warning("knowledge: %s", problem)
        index = KnowledgeIndex(settings.chroma_dir, settings.collection)
        retriever = Retriever(
            index, top_k=settings.top_k, min_relevance=settings.min_relevance, lexical_weight=settings.lexical_weight
        )
        bot = cls(
            settings=settings,
            classifier=parts.classifier(settings, intents, knowledge),
            retriever=retriever,
            generator=parts.generator(settings, adapter),
            prompts=PromptLibrary(settings.prompts_dir, profile),
            turn_log=TurnLog(settings.log_path),
            knowledge=knowledge,
            taxonomy=load_taxonomy(settings.taxonomy_file),
            sentiment=SentimentModel(feelings, index.embedder),
            desk=parts.desk(settings, profile),
        )
        if warm:
            bot.warm_up()
        return bot

    # --- the parts, as callers see them --------------------------------------------

    @property
    def knowledge(self) -> KnowledgeBase:
        return self.lookup.knowledge

    @property
    def retriever(self) -> Retriever:
        return self.lookup.retriever

    @property
    def classifier(self) -> IntentClassifier:
        return self.understander.classifier

    @property
    def generator(self) -> ReplyGenerator:
        return self._generation.generator

    @property
    def desk(self) -> OrderDesk | None:
        return self.router.desk

    @desk.setter
    def desk(self, desk: OrderDesk | None) -> None:
        """Another order desk (another shop database) for the turns that follow."""
        self.router.desk = self._desk.desk = desk

    def use_model(self, kind: str, folder: Path) -> None:
        """Load another intent classifier or reply adapter and switch to it; turns in flight finish on the old one."""
        if kind == "intents":
            classifier = parts.classifier(self.settings, folder, self.knowledge)
            classifier.warm_up()
            self.understander.classifier = classifier
        elif kind == "replies":
            generator = parts.generator(self.settings, folder)
            generator.warm_up()
            self._generation.generator = generator
        else:
            raise ValueError(f"unknown model kind {kind!r}")
        log.info("now using %s model %s", kind, folder.name)

    def use_knowledge(self, knowledge: KnowledgeBase) -> None:
        """Switch to a reloaded knowledge folder (after the index was synced with it)."""
        self.lookup.use(knowledge)
        self.facts.vocabulary = self.lookup.vocabulary

    def passage(self, passage_id: str) -> Passage | None:
        """A knowledge passage by id (what a reply's sources name)."""
        return self.lookup.passage(passage_id)

    def warm_up(self) -> None:
        """Open the stores (a damaged one is named in a second, before any model loads), then load the models."""
        self.recorder.warm_up()
        if self.desk is not None:
            self.desk.actions.db.connect()
        self.understander.classifier.warm_up()
        self.lookup.warm_up()
        index, passages = self.retriever.index, list(self.lookup.passages.values())
        if index.count() == 0:
            raise ModelMissingError(
                f"the knowledge index at {self.settings.chroma_dir} is empty; run: python -m assistant kb sync"
            )
        health = index.check(passages)
        if health.damaged:
            raise ModelMissingError(
                f"the knowledge index at {self.settings.chroma_dir} is damaged ({health.damaged[0]}); "
                "rebuild it: python -m assistant kb sync --rebuild"
            )
        self.understander.sentiment.warm_up()
        self._generation.warm_up()

    # --- sessions -------------------------------------------------------------

    def open_session(self, token: str | None = None) -> str:
        """The token of a live session the server issued: ``token`` itself when it is one, else a new session's.

        What the HTTP layer calls with whatever a client sent; an unknown or expired token never joins a session.
        """
        token = self.sessions.resume(token)
        self.sessions.get(token)  # touched, so it cannot expire before the turn that follows
        return token

    def session(self, session_id: str) -> tuple[Session, str]:
        """A live session and its log id; an in-process caller's own name makes a session of that name."""
        return self.sessions.get(session_id) or self.sessions.named(session_id)

    # --- the turn ---------------------------------------------------------------

    def respond(self, text: str, session_id: str | None = None, client: str | None = None) -> Reply:
        """Answer one customer message; the turn is logged.

        Args:
            text: What the customer wrote.
            session_id: The session's token (from :meth:`open_session`) or an in-process caller's own name;
                None starts a new session.
            client: The customer's network address, for the limits on identity checks.
        """
        final = None
        for item in self.respond_stream(text, session_id, client):
            if isinstance(item, Reply):
                final = item
        assert final is not None
        return final

    def respond_stream(
        self, text: str, session_id: str | None = None, client: str | None = None
    ) -> Iterator[str | Reply]:
        """Yield the reply text as it grows, then the finished ``Reply`` (arguments as for :meth:`respond`)."""
        start = time.perf_counter()
        message, notices = clean_message(text, self.settings.max_message_chars)
        session, log_id = self.session(session_id or self.sessions.issue())
        turn_id = uuid.uuid4().hex
        if not message:
            key = "unreadable" if Notice.UNREADABLE in notices else "empty"
            reply = Reply(
                turn_id=turn_id,
                session_id=log_id,
                text=self.prompts.responses.render(key),
                intent=None,
                confidence=0.0,
                route="none",
                strategy="empty",
                notices=notices,
            )
            yield reply.text
            yield reply
            return

        u = self.understander.run(message, session, notices)
        session.heard(u.entities)
        evidence = Evidence(self.lookup, u, session)
        decision = self.router.run(u, session, evidence)
        ask = Ask(decision, u, session, evidence, turn_id, log_id, client)
        stream = self._responders[decision.responder].stream(ask)
        shown = ""
        while True:
            try:
                shown += next(stream)
            except StopIteration as done:
                draft: Draft = done.value
                break
            yield shown
        session.remember(draft, u.prediction, u.query)
        escalated = self.escalation.run(draft, ask)
        draft = escalated.draft
        if escalated.ticket:
            yield draft.text
        if escalated.unsolved:
            notices.append(Notice.UNSOLVED)
        text = draft.text
        if Notice.TRUNCATED in notices:
            text += "\n\n_" + self.prompts.responses.render("truncated", limit=self.settings.max_message_chars) + "_"
        timings = {**u.timings, **draft.timings, **evidence.timings, "total": elapsed_ms(start)}
        if "retrieve" in draft.timings and "retrieve" in evidence.timings:
            timings["retrieve"] = draft.timings["retrieve"] + evidence.timings["retrieve"]
        gen = draft.generation
        reply = Reply(
            turn_id=turn_id,
            session_id=log_id,
            text=text,
            intent=u.prediction.label,
            confidence=u.prediction.confidence,
            route=decision.route,
            strategy=draft.strategy,
            sources=[Source(id=h.id, title=h.title, score=h.score, source=h.source) for h in draft.used],
            handoff=draft.handoff,
            entities=u.entities,
            timings_ms=timings,
            usage=Usage(
                prompt_tokens=gen.prompt_tokens if gen else 0, completion_tokens=gen.completion_tokens if gen else 0
            ),
            faithful=draft.faithful,
            regenerated=draft.retried,
            sentiment=u.sentiment,
            order=draft.desk,
            ticket=escalated.ticket or None,
            prompt=self.prompts.tag if gen else None,
            notices=notices,
        )
        session.history.append((message, draft.text))
        session.strategies.append(f"order:{draft.desk.action}" if draft.desk else draft.strategy)
        retrieved = (
            draft.retrieved if draft.retrieved is not None else evidence.found.hits if evidence.looked_up else []
        )
        models = {
            "prompt": self.prompts.tag,
            "base_model": self.generator.base_model,
            "adapter": self.generator.adapter,
            "classifier": self.classifier.card.version if self.classifier.card else None,
        }
        self.recorder.run(reply, message, draft, retrieved, models)
        yield reply

    def feedback(self, turn_id: str, liked: bool, session_id: str | None = None) -> bool:
        """Record a thumbs up or down; False if the turn is not in the log.

        With ``session_id`` (what the HTTP layer always passes), only a turn of that live session is accepted.
        """
        if session_id is not None:
            found = self.sessions.get(session_id)
            turn = self.turn_log.get(turn_id) if found else None
            if found is None or turn is None or turn.session_id != found[1]:
                return False
        return self.turn_log.set_feedback(turn_id, 1 if liked else -1)
