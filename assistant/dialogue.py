"""The dialogue loop: one customer message in, one grounded reply out, every turn logged.

    bot = Assistant.load()
    reply = bot.respond("Where is my order 104233?", session_id="s1")

Routing follows the intent's route in the taxonomy. Replies come, in order of
preference, from the shop's own data (fixed texts, catalogue fields, curated FAQ
and policy answers), then from the language model grounded on retrieved passages
and checked for invented facts, and when nothing relevant is known, from an
honest "I don't know" with the offer of a human.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from assistant import faithfulness
from assistant.answers import asked_aspects, catalogue_answer, curated_answer, without_name
from assistant.entities import Entities, extract
from assistant.errors import AssistantError, ModelMissingError
from assistant.facts import FactPicker
from assistant.generation import Generation, ReplyGenerator
from assistant.guard import is_injection
from assistant.hours import OpeningHours
from assistant.index import Hit, KnowledgeIndex
from assistant.intents import IntentClassifier, IntentPrediction
from assistant.knowledge import KnowledgeBase, Passage, Product, load_knowledge
from assistant.prompts import SHOP_NAME, PromptLibrary
from assistant.recommend import Constraints, parse_constraints, recommend, recommendation_text
from assistant.registry import ModelRegistry
from assistant.retrieval import Retrieved, Retriever
from assistant.sentiment import Sentiment, SentimentModel
from assistant.sessions import SessionStore
from assistant.settings import Settings
from assistant.shop.desk import DeskAsk, DeskReply, DeskState, IdentityLimits, OrderDesk
from assistant.spelling import english_words
from assistant.taxonomy import OUT_OF_SCOPE, Taxonomy, load_taxonomy
from assistant.turnlog import Ticket, TurnLog, TurnRecord

log = logging.getLogger(__name__)

Strategy = Literal[
    "fixed",
    "clarify",
    "fallback",
    "handoff",
    "ask",
    "curated",
    "catalogue",
    "generated",
    "extractive",
    "dont_know",
    "empty",
    "order",
]
_CATALOGUE_ASPECTS = {"care", "material", "weight"}
"""Asked about a named product, these are answered from its catalogue entry, not from a general FAQ."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff]")


class Source(BaseModel):
    """A passage a reply was built from."""

    id: str
    title: str
    score: float
    source: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Reply(BaseModel):
    """What the assistant answered, why, and what it cost."""

    turn_id: str
    session_id: str
    text: str
    intent: str | None
    confidence: float
    route: str
    strategy: Strategy
    sources: list[Source] = []
    handoff: bool = False
    entities: Entities = Entities()
    timings_ms: dict[str, float] = {}
    usage: Usage = Usage()
    faithful: bool | None = None
    """The faithfulness check's verdict on a generated reply (None when nothing was generated)."""
    regenerated: bool = False
    """The first generation failed the check and was retried with stricter decoding."""
    prompt: str | None = None
    notices: list[str] = []
    sentiment: Sentiment | None = None
    ticket: str | None = None
    """The line about the handoff ticket (number, when a person answers), when the turn opened or updated one."""
    order: DeskReply | None = None
    """What the order desk did this turn (asked, verified, confirmed, changed, refused), when it took the turn."""


@dataclass
class Session:
    """What the assistant remembers of one conversation."""

    history: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=20))
    order_number: str | None = None
    email: str | None = None
    skus: list[str] = field(default_factory=list)
    waiting_for_order: IntentPrediction | None = None
    """The order question asked before the customer gave the order number."""
    waiting_query: str = ""
    """Its words, to retrieve the answer with once the number comes."""
    desk: DeskState = field(default_factory=DeskState)
    """The order being looked up or changed: its details, proof of identity, the change awaiting a yes."""
    wanted: Constraints | None = None
    """What the customer asked a recommendation to satisfy (kind, price, size, colour), for follow-ups."""
    misses: int = 0
    """Turns in a row the assistant could not answer; the second hands over to a person."""
    strategies: deque[str] = field(default_factory=lambda: deque(maxlen=20))
    """How each turn of ``history`` was answered, for the summary of a handoff ticket."""


@dataclass
class _Draft:
    text: str = ""
    strategy: Strategy = "fixed"
    hits: list[Hit] = field(default_factory=list)
    used: list[Hit] = field(default_factory=list)
    handoff: bool = False
    handoff_reason: str | None = None
    generation: Generation | None = None
    faithful: bool | None = None
    unsupported: list[str] | None = None
    retried: bool = False
    products: list[Hit] = field(default_factory=list)
    """Catalogue hits for the message (kept apart from the FAQ and policy hits)."""
    upset: bool = False
    """The sentiment model says the customer is escalating."""
    query: str = ""
    """The message for retrieval: spelling-normalised when the classifier corrected words."""


def clean_message(text: str, limit: int) -> tuple[str, list[str]]:
    """Printable text of at most ``limit`` characters, plus notices about what was changed.

    Every reader of a message gets it from here: lone UTF-16 surrogates and other code points that are not
    characters become U+FFFD, control bytes go, whitespace is collapsed, and the question itself is kept.
    A message with nothing left is "unreadable".
    """
    notices = []
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = str(text or "")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # a lone surrogate -> U+FFFD
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    if text.strip() and not cleaned:
        return "", ["unreadable"]
    if len(cleaned) > limit:
        cleaned = cleaned[:limit]
        notices.append("truncated")
    return cleaned, notices


class Assistant:
    """The shop assistant: classifier, retriever, generator, prompts and turn log wired together."""

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
        self.desk = desk
        self.classifier = classifier
        self.retriever = retriever
        self.generator = generator
        self.prompts = prompts
        self.turn_log = turn_log
        self.knowledge = knowledge
        self.taxonomy = taxonomy
        self.sentiment = sentiment
        self.hours = _opening_hours(knowledge)
        self._passages: dict[str, Passage] = {p.id: p for p in knowledge.passages()}
        self.retriever.use_passages(list(self._passages.values()))
        self.facts = FactPicker(
            retriever.index.embedder, threshold=settings.fact_threshold, vocabulary=_vocabulary(self._passages)
        )
        self.sessions: SessionStore[Session] = SessionStore(
            Session, limit=settings.session_limit, idle_s=settings.session_idle_minutes * 60
        )
        self._unsaved: list[TurnRecord] = []

    @classmethod
    def load(cls, settings: Settings | None = None, warm: bool = True) -> Assistant:
        """Build the assistant from an installation prepared by ``python -m assistant prepare``."""
        settings = settings or Settings()
        intents = ModelRegistry(settings.models_dir / "intents").active()
        if intents is None:
            raise ModelMissingError(
                f"no trained intent classifier in {settings.models_dir / 'intents'}; run: python -m finetune intents"
            )
        adapter = settings.adapter or ModelRegistry(settings.models_dir / "replies").active()
        feelings = ModelRegistry(settings.models_dir / "sentiment").active()
        if feelings is None:
            raise ModelMissingError(
                f"no sentiment model in {settings.models_dir / 'sentiment'}; run: python -m finetune sentiment"
            )
        knowledge = load_knowledge(settings.knowledge_dir)
        for problem in knowledge.problems:
            log.warning("knowledge: %s", problem)
        index = KnowledgeIndex(settings.chroma_dir, settings.collection)
        sentiment = SentimentModel(feelings, index.embedder)
        bot = cls(
            settings=settings,
            classifier=_classifier(settings, intents, knowledge),
            retriever=Retriever(
                index,
                top_k=settings.top_k,
                min_relevance=settings.min_relevance,
                lexical_weight=settings.lexical_weight,
            ),
            generator=_generator(settings, adapter),
            prompts=PromptLibrary(settings.prompts_dir),
            turn_log=TurnLog(settings.log_path),
            knowledge=knowledge,
            taxonomy=load_taxonomy(settings.taxonomy_file),
            sentiment=sentiment,
            desk=_desk(settings),
        )
        if warm:
            bot.warm_up()
        return bot

    def use_model(self, kind: str, folder: Path) -> None:
        """Load another intent classifier or reply adapter and switch to it; turns in flight finish on the old one."""
        if kind == "intents":
            classifier = _classifier(self.settings, folder, self.knowledge)
            classifier.warm_up()
            self.classifier = classifier
        elif kind == "replies":
            generator = _generator(self.settings, folder)
            generator.warm_up()
            self.generator = generator
        else:
            raise ValueError(f"unknown model kind {kind!r}")
        log.info("now using %s model %s", kind, folder.name)

    def use_knowledge(self, knowledge: KnowledgeBase) -> None:
        """Switch to a reloaded knowledge folder (after the index was synced with it)."""
        self._passages = {p.id: p for p in knowledge.passages()}
        self.retriever.use_passages(list(self._passages.values()))
        self.facts.vocabulary = _vocabulary(self._passages)
        self.knowledge = knowledge
        self.hours = _opening_hours(knowledge)

    def passage(self, passage_id: str) -> Passage | None:
        """A knowledge passage by id (what a reply's sources name)."""
        return self._passages.get(passage_id)

    def warm_up(self) -> None:
        """Open the stores (a damaged one is named in a second, before any model loads), then load the models."""
        self.turn_log.warm_up()
        if self.desk is not None:
            self.desk.actions.db.connect()
        self.classifier.warm_up()
        self.retriever.warm_up()
        if self.retriever.index.count() == 0:
            raise ModelMissingError(
                f"the knowledge index at {self.settings.chroma_dir} is empty; run: python -m assistant kb sync"
            )
        health = self.retriever.index.check(list(self._passages.values()))
        if health.damaged:
            raise ModelMissingError(
                f"the knowledge index at {self.settings.chroma_dir} is damaged ({health.damaged[0]}); "
                "rebuild it: python -m assistant kb sync --rebuild"
            )
        self.sentiment.warm_up()
        self.generator.warm_up()

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
        timings: dict[str, float] = {}
        message, notices = clean_message(text, self.settings.max_message_chars)
        responses = self.prompts.responses
        sess, session_id = self.session(session_id or self.sessions.issue())
        turn_id = uuid.uuid4().hex

        if not message:
            key = "unreadable" if "unreadable" in notices else "empty"
            reply = Reply(
                turn_id=turn_id,
                session_id=session_id,
                text=responses.render(key),
                intent=None,
                confidence=0.0,
                route="none",
                strategy="empty",
                notices=notices,
            )
            yield reply.text
            yield reply
            return

        t = time.perf_counter()
        prediction = self.classifier.run(message)
        timings["classify"] = _ms(t)
        query = prediction.read or message  # retrieval reads the misspelt words corrected, like the classifier
        entities = extract(message, self.knowledge.products)
        if not entities.skus and query != message:  # "Fjelro 2" read as "Fjellro 2"
            entities.skus = extract(query, self.knowledge.products).skus
        if entities.order_numbers:
            sess.order_number = entities.order_numbers[-1]
            waiting, sess.waiting_for_order = sess.waiting_for_order, None
            if waiting is not None and (self.taxonomy.route(prediction.label) != "order" or len(message.split()) <= 6):
                prediction = waiting  # "it's 104233" answers the question we asked
            if waiting is not None and len(message.split()) <= 6:
                query = sess.waiting_query or query  # the number alone: retrieve for the question it answers
        if entities.emails:
            sess.email = entities.emails[-1]
        t = time.perf_counter()
        feeling = self.sentiment.run(message)
        timings["sentiment"] = _ms(t)
        route = self.taxonomy.route(prediction.label)
        upset = feeling.escalation >= self.settings.escalation_threshold and route not in ("greeting", "thanks")
        if is_injection(message):
            route_name = "fallback"  # no route, no retrieval, no generation for attempts to rewrite the rules
            notices.append("injection")
        elif upset:
            route_name = "handoff"  # anger, threats, fraud, "this bot is useless": a person takes over
        elif prediction.confidence < self.settings.intent_threshold and prediction.gibberish:
            route_name = "fallback"  # no topic to offer back: say what the assistant can help with
        elif prediction.confidence < self.settings.intent_threshold and prediction.label != OUT_OF_SCOPE:
            route_name = "clarify"
        else:
            route_name = route

        draft = _Draft(query=query, upset=upset)
        rescue = "injection" not in notices
        desk_reply = None
        if self._desk_takes(sess, message, prediction, entities, route_name, "injection" in notices):
            assert self.desk is not None
            t = time.perf_counter()
            desk_reply = self.desk.run(
                sess.desk,
                message,
                prediction.label,
                entities.order_numbers,
                turn_id=turn_id,
                session_id=session_id,
                client=client,
            )
            timings["order"] = _ms(t)
            sess.waiting_for_order = None
            draft.text, draft.strategy, draft.handoff = desk_reply.text, "order", desk_reply.handoff
            draft.handoff_reason = desk_reply.reason
            stream: Iterator[str] = iter([draft.text])
        else:
            stream = self._answer(route_name, prediction, message, sess, entities, draft, timings, rescue)
        shown = ""
        for piece in stream:
            shown += piece
            yield shown
        sess.misses = sess.misses + 1 if draft.strategy in ("dont_know", "clarify") else 0
        if sess.misses >= 2 and not draft.handoff:
            draft.text, draft.handoff = f"{draft.text}\n\n{responses.render('unsolved')}", True
            notices.append("unsolved")
        ticket_text = ""
        if draft.handoff:
            sess.misses = 0
            ticket_text = self._ticket(sess, session_id, turn_id, message, prediction, draft, feeling, notices)
            if ticket_text:
                draft.text = f"{draft.text}\n\n{ticket_text}"
                yield draft.text
        if "truncated" in notices:
            draft.text = f"{draft.text}\n\n_{responses.render('truncated', limit=self.settings.max_message_chars)}_"
        timings["total"] = _ms(start)
        gen = draft.generation
        reply = Reply(
            turn_id=turn_id,
            session_id=session_id,
            text=draft.text,
            intent=prediction.label,
            confidence=prediction.confidence,
            route=route_name,
            strategy=draft.strategy,
            sources=[Source(id=h.id, title=h.title, score=h.score, source=h.source) for h in draft.used],
            handoff=draft.handoff,
            entities=entities,
            timings_ms=timings,
            usage=Usage(
                prompt_tokens=gen.prompt_tokens if gen else 0, completion_tokens=gen.completion_tokens if gen else 0
            ),
            faithful=draft.faithful,
            regenerated=draft.retried,
            sentiment=feeling,
            order=desk_reply,
            ticket=ticket_text or None,
            prompt=self.prompts.tag if gen else None,
            notices=notices,
        )
        sess.history.append((message, draft.text))
        sess.strategies.append(draft.strategy if not desk_reply else f"order:{desk_reply.action}")
        self._log(reply, message, draft, timings)
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

    # --- routes -----------------------------------------------------------------

    def _desk_takes(
        self, sess: Session, message: str, prediction: IntentPrediction, entities: Entities, route: str, injection: bool
    ) -> bool:
        """Whether the order desk answers this turn (the desk decides, and drops a task it cannot continue)."""
        return self.desk is not None and self.desk.claims(
            sess.desk,
            DeskAsk(
                message=message,
                intent=prediction.label,
                intent_route=self.taxonomy.route(prediction.label),
                route=route,
                order_numbers=entities.order_numbers,
                waiting_for_order=sess.waiting_for_order is not None,
                injection=injection,
            ),
        )

    def _answer(
        self,
        route: str,
        prediction: IntentPrediction,
        message: str,
        sess: Session,
        entities: Entities,
        draft: _Draft,
        timings: dict[str, float],
        rescue: bool = True,
    ) -> Iterator[str]:
        """Pick the reply's source: fixed text, catalogue, curated entry, generation, or an honest "don't know".

        The intent decides the route; retrieval decides the entry, and may overrule a
        route whose entry it cannot find (an "out of scope" or unsure message that one
        entry answers closely is answered from it).
        """
        responses = self.prompts.responses
        if route in ("greeting", "thanks", "goodbye"):
            draft.text = responses.render(route, shop_name=SHOP_NAME)
        elif route == "handoff":
            self._handoff(message, prediction.label, draft, timings)
        elif not rescue:
            draft.text, draft.strategy = responses.render("fallback", shop_name=SHOP_NAME), "fallback"
        else:
            t = time.perf_counter()
            found = self.retriever.run(draft.query, doc_types=["faq", "policy"])
            draft.hits = found.hits
            article = self._article(prediction, found)
            product, product_match = self._product(route, sess, entities, draft)
            timings["retrieve"] = _ms(t)
            margin = self.settings.product_margin
            a = article.match if article else 0.0
            if (
                route == "recommend"
                and len(entities.skus) != 1  # one product named: a question about it, not a request for ideas
                and not (a >= self.settings.curated_threshold and a > product_match + margin)
            ):
                self._recommend(draft, sess)
            elif product is not None and (
                bool(entities.skus)
                and bool(_CATALOGUE_ASPECTS & set(asked_aspects(draft.query)))
                or route == "product"
                and not (a >= self.settings.curated_threshold and a > product_match + margin)
                or route in ("product", "recommend")
                and len(entities.skus) == 1
                and not (a >= self.settings.curated_threshold and a > product_match + margin)
                or route == "order"
                and not sess.order_number
                and bool(entities.skus)
                and a < self.settings.curated_threshold
                or route in ("clarify", "fallback", "knowledge")
                and bool(entities.skus)
                and product_match >= a
            ):
                self._catalogue(product, draft, sess)
            elif article is not None and a >= self._threshold(route):
                draft.text = curated_answer(self._passages[article.id], self.knowledge)
                draft.strategy, draft.used = "curated", [article]
                if route == "order":
                    if sess.order_number:
                        draft.text = f"About order {sess.order_number}: {draft.text}"
                    else:
                        draft.text += "\n\n" + responses.render("offer_order_check", shop_name=SHOP_NAME)
                        sess.waiting_for_order, sess.waiting_query = prediction, draft.query
            elif route == "order" and sess.order_number and (own := self._intent_entry(prediction, draft)):
                draft.text = f"About order {sess.order_number}: " + curated_answer(
                    self._passages[own.id], self.knowledge
                )
                draft.strategy, draft.used = "curated", [own]
            elif route == "order" and not sess.order_number:
                draft.text, draft.strategy = responses.render("ask_order_number", shop_name=SHOP_NAME), "ask"
                sess.waiting_for_order, sess.waiting_query = prediction, draft.query
            elif route == "clarify":
                options = [self._topic(label) for label, _ in prediction.ranking[:2] if label != OUT_OF_SCOPE]
                options = options or ["our products", "an order"]
                draft.text = responses.render("clarify", shop_name=SHOP_NAME, options=options)
                draft.strategy = "clarify"
            elif route == "fallback":
                draft.text, draft.strategy = responses.render("fallback", shop_name=SHOP_NAME), "fallback"
            elif article is not None and a >= self.settings.generate_threshold:
                yield from self._generate(message, sess, found, draft, timings, route == "order")
            else:
                draft.text, draft.strategy = responses.render("dont_know", shop_name=SHOP_NAME), "dont_know"
        if draft.text and draft.strategy != "generated":
            yield draft.text

    def _threshold(self, route: str) -> float:
        """How close an entry must be for its curated answer: stricter when the classifier said "out of scope"."""
        return self.settings.rescue_threshold if route == "fallback" else self.settings.curated_threshold

    def _topic(self, label: str) -> str:
        words = label.replace("_", " ")
        return {"product info": "a product", "human agent": "talking to a person"}.get(words, words)

    def _handoff(self, message: str, intent: str, draft: _Draft, timings: dict[str, float]) -> None:
        """Pass the customer to a person: how and when they hear back, plus the entry that answers them, if one does."""
        t = time.perf_counter()
        complaint = intent == "complaint" or draft.upset
        own = intent if intent in ("complaint", "human_agent") else ("complaint" if complaint else "human_agent")
        contact_id = self.taxonomy.answer(own)
        contact_hit = self._scored(draft.query, contact_id) if contact_id in self._passages else None
        contact = curated_answer(self._passages[contact_hit.id], self.knowledge) if contact_hit else ""
        found = self.retriever.run(draft.query, doc_types=["faq", "policy"])
        draft.hits = found.hits
        best = found.best
        answer = ""
        if (
            best is not None
            and best.match >= self.settings.curated_threshold
            and best.id in self._passages
            and best.id != contact_id
        ):
            answer = curated_answer(self._passages[best.id], self.knowledge)
        draft.used = [h for h in (contact_hit, best if answer else None) if h is not None]
        timings["retrieve"] = _ms(t)
        key = "complaint" if complaint else "handoff"
        draft.text = self.prompts.responses.render(key, shop_name=SHOP_NAME, contact=contact, answer=answer)
        draft.strategy, draft.handoff = "handoff", True

    def _intent_entry(self, prediction: IntentPrediction, draft: _Draft) -> Hit | None:
        """The entry the taxonomy names for a confident intent, scored against the message."""
        answer_id = self.taxonomy.answer(prediction.label)
        if answer_id not in self._passages or prediction.confidence < self.settings.intent_threshold:
            return None
        return self._scored(draft.query, answer_id)

    def _article(self, prediction: IntentPrediction, found: Retrieved) -> Hit | None:
        """The FAQ entry or policy section that best matches, the intent's own entry favoured a little."""
        answer_id = self.taxonomy.answer(prediction.label)
        confident = prediction.confidence >= self.settings.intent_threshold
        best: Hit | None = None
        for hit in found.hits:
            if hit.id not in self._passages:
                continue
            if confident and hit.id == answer_id:
                hit = hit.model_copy(update={"match": round(hit.match + self.settings.intent_bonus, 4)})
            if best is None or hit.match > best.match:
                best = hit
        return best

    def _product(self, route: str, sess: Session, entities: Entities, draft: _Draft) -> tuple[Product | None, float]:
        """The product the message is about, and how well it matches: one it names, else the best retrieved."""
        named = entities.skus
        if route == "product" and not named and sess.skus:
            named = sess.skus[:1]  # a follow-up about the product discussed before
        found = self.retriever.run(draft.query, doc_types=["product"])
        draft.products = found.hits
        if named:
            product = self.knowledge.product(named[0])
            hit = next((h for h in found.hits if h.sku == named[0]), None)
            match = hit.match if hit else self.retriever.index.score(draft.query, f"product:{named[0]}")
            return product, max(match, self.settings.named_product_match)
        best = found.best
        if best is None or best.match < self.settings.product_threshold:
            return None, best.match if best else 0.0
        return self.knowledge.product(best.sku), best.match

    def _catalogue(self, product: Product, draft: _Draft, sess: Session) -> None:
        picked = self.facts.run(product, draft.query)
        hit = next((h for h in draft.products if h.sku == product.sku), None)
        hit = hit or next(iter(self.retriever.index.get([f"product:{product.sku}"])), None)
        sess.skus = [product.sku]
        draft.used = [hit] if hit else []
        unknown = picked.unknown and not asked_aspects(without_name(draft.query, product))
        if unknown or picked.unnamed:  # "is the sole Vibram?": the closest lines are said, not passed off as a yes
            draft.text = self.prompts.responses.render(
                "product_unknown",
                shop_name=SHOP_NAME,
                product=product.name,
                term=" or ".join(picked.unnamed),
                said=" ".join(picked.lines),
            )
            draft.strategy = "dont_know"
            return
        draft.text, draft.strategy = catalogue_answer(product, draft.query, picked.lines), "catalogue"

    def _recommend(self, draft: _Draft, sess: Session) -> None:
        """Up to three in-stock products under the stated constraints (and the conversation's earlier ones)."""
        products = self.knowledge.products
        wanted = parse_constraints(draft.query, products).merged(sess.wanted)
        sess.wanted = wanted
        hits = self.retriever.index.query(draft.query, k=4 * len(products), doc_types=["product"])
        lexical = self.retriever.lexical.scores(draft.query, [h.id for h in hits])
        scores = {h.sku: h.score + self.settings.lexical_weight * lx for h, lx in zip(hits, lexical, strict=True)}
        picks = recommend(products, wanted, lambda p: scores.get(p.sku, -1.0), draft.query)
        if not wanted.kinds and not wanted.describe():  # nothing to filter by: only what the message is about
            picks = [pick for pick in picks if scores.get(pick.product.sku, -1.0) >= self.settings.min_relevance]
        if not picks:
            said = wanted.describe()
            draft.text = self.prompts.responses.render(
                "no_match", shop_name=SHOP_NAME, kinds=wanted.kinds, constraints=said
            )
            draft.strategy = "dont_know"
            return
        sess.skus = [pick.product.sku for pick in picks]
        used = {h.sku: h for h in hits}
        draft.used = [used[sku] for sku in sess.skus if sku in used]
        draft.text, draft.strategy = recommendation_text(picks, wanted), "catalogue"

    def _generate(
        self, message: str, sess: Session, found: Retrieved, draft: _Draft, timings: dict[str, float], order: bool
    ) -> Iterator[str]:
        """A grounded, checked generation from the retrieved passages; invented facts fall back to the curated text."""
        responses = self.prompts.responses
        prefix = f"About order {sess.order_number}: " if order and sess.order_number else ""
        best = found.hits[0]
        passages = [h for h in found.hits if h.score >= self.settings.min_relevance][:3]
        history = [
            m
            for user, bot in list(sess.history)[-self.settings.history_turns :]
            for m in ({"role": "user", "content": user}, {"role": "assistant", "content": bot})
        ]
        messages = self.prompts.reply.messages(
            shop_name=SHOP_NAME,
            question=message,
            passages=passages,
            history=history,
            order_number=sess.order_number or "",
        )
        t = time.perf_counter()
        generation: Generation | None = None
        for piece in self.generator.stream(messages):
            if isinstance(piece, Generation):
                generation = piece
            else:
                yield piece
        timings["generate"] = _ms(t)
        assert generation is not None
        context = "\n".join(p.text for p in passages) + "\n" + message + "\n" + (sess.order_number or "")
        verdict = faithfulness.check(generation.text, context)
        if not verdict.supported:  # one retry with stricter decoding before giving up on generation
            t = time.perf_counter()
            retry = self.generator.run(messages, strict=True)
            timings["generate"] += _ms(t)
            retry_verdict = faithfulness.check(retry.text, context)
            draft.retried = True
            if retry_verdict.supported:
                generation, verdict = retry, retry_verdict
        draft.generation, draft.used = generation, passages
        draft.faithful, draft.unsupported = verdict.supported, verdict.unsupported
        if verdict.supported and generation.text:
            draft.text, draft.strategy = generation.text, "generated"
            return
        # Invented facts: fall back to what the shop wrote, and offer a person.
        draft.text = (
            prefix
            + curated_answer(self._passages.get(best.id, _as_passage(best)), self.knowledge)
            + "\n\n"
            + responses.render("offer_human", shop_name=SHOP_NAME)
        )
        draft.strategy, draft.used = "extractive", [best]

    def _scored(self, message: str, passage_id: str | None) -> Hit | None:
        """A passage named by id, with its real similarity to the message."""
        got = self.retriever.index.get([passage_id]) if passage_id else []
        if not got:
            return None
        return got[0].model_copy(update={"score": self.retriever.index.score(message, got[0].id)})

    def _ticket(
        self,
        sess: Session,
        session_id: str,
        turn_id: str,
        message: str,
        prediction: IntentPrediction,
        draft: _Draft,
        feeling: Sentiment,
        notices: list[str],
    ) -> str:
        """Queue the conversation for a person (one open ticket per session); what the customer is told about it."""
        if "unsolved" in notices:
            reason = "not answered twice"
        elif draft.handoff_reason:
            reason = draft.handoff_reason
        elif prediction.label == "human_agent":
            reason = "asked for a person"
        elif prediction.label == "complaint":
            reason = "complaint"
        else:
            reason = "frustration" if draft.upset else "asked for a person"
        order = sess.desk.order_id or sess.order_number
        proven = " (identity confirmed)" if sess.desk.order_id in sess.desk.verified else ""
        tried = [
            f"- customer: {_short(said)} -> {strategy}: {_short(answered)}"
            for (said, answered), strategy in zip(list(sess.history)[-5:], list(sess.strategies)[-5:], strict=False)
        ]
        summary = "\n".join(
            [
                f"Reason: {reason}. Intent: {prediction.label} ({prediction.confidence:.2f}). "
                f"Order: {order or 'none given'}{proven}. "
                f"Sentiment: {feeling.label} ({feeling.score:+.2f}).",
                "Tried:",
                *tried,
                f"- customer: {_short(message)} -> handed over",
            ]
        )
        try:
            ticket = self.turn_log.open_ticket(
                Ticket(
                    session_id=session_id,
                    turn_id=turn_id,
                    reason=reason,
                    intent=prediction.label,
                    order_id=str(order) if order else None,
                    sentiment=feeling.label,
                    summary=summary,
                )
            )
        except AssistantError as err:
            log.error("handoff ticket not saved: %s", err)
            return ""
        when = self.hours.when(datetime.now(UTC)) if self.hours else ""
        return self.prompts.responses.render("ticket", ticket=ticket.id, when=when)

    # --- logging ----------------------------------------------------------------

    def _log(self, reply: Reply, message: str, draft: _Draft, timings: dict[str, float]) -> None:
        gen = draft.generation
        record = TurnRecord(
            id=reply.turn_id,
            session_id=reply.session_id,
            user_text=message,
            intent=reply.intent,
            confidence=reply.confidence,
            route=reply.route,
            retrieved=[{"id": h.id, "score": h.score} for h in draft.hits],
            prompt=self.prompts.tag,
            base_model=self.generator.base_model,
            adapter=self.generator.adapter,
            classifier=self.classifier.card.version if self.classifier.card else None,
            reply=reply.text,
            strategy=reply.strategy,
            handoff=reply.handoff,
            timings=timings,
            prompt_tokens=gen.prompt_tokens if gen else 0,
            completion_tokens=gen.completion_tokens if gen else 0,
            faithful=draft.faithful,
            unsupported=draft.unsupported,
            sentiment=reply.sentiment.score if reply.sentiment else None,
            sentiment_label=reply.sentiment.label if reply.sentiment else None,
        )
        pending = [*self._unsaved, record]
        self._unsaved = []
        for i, rec in enumerate(pending):
            try:
                self.turn_log.append(rec)
            except AssistantError as err:
                log.error("turn not logged, kept in memory to retry: %s", err)
                self._unsaved = pending[i:]
                reply.notices.append("not_logged")
                return


def _classifier(settings: Settings, folder: Path, knowledge: KnowledgeBase) -> IntentClassifier:
    return IntentClassifier(
        folder,
        threads=settings.threads,
        known_words=[p.name for p in knowledge.products] + [v.color for p in knowledge.products for v in p.variants],
    )


def _generator(settings: Settings, adapter: Path | None) -> ReplyGenerator:
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


def _desk(settings: Settings) -> OrderDesk | None:
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


def _opening_hours(knowledge: KnowledgeBase) -> OpeningHours | None:
    """Customer-service hours from the contact policy; None (handoffs promise no time) when it states none."""
    article = knowledge.article("customer-service")
    if article is None:
        return None
    try:
        return OpeningHours.from_text(article.body)
    except AssistantError as err:
        log.warning("knowledge customer-service: %s", err)
        return None


def _vocabulary(passages: dict[str, Passage]) -> frozenset[str]:
    """English words and every word of the knowledge: a name outside them is one the shop's data never uses."""
    words = {w.lower() for p in passages.values() for w in re.findall(r"[\w-]+", f"{p.title} {p.text}")}
    return english_words() | words


def _short(text: str, n: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _as_passage(hit: Hit) -> Passage:
    return Passage(id=hit.id, doc_type=hit.doc_type, title=hit.title, text=hit.text, source=hit.source)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
