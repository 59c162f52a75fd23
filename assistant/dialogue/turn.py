"""What one turn is made of: the reply and its parts, the session it belongs to, and the words for them.

Routes, strategies and notices are typed here (Literals and an enum) so that no decision travels as a
string in a list.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.entities import Entities
from assistant.generation import Generation
from assistant.index import Hit
from assistant.intents import IntentPrediction
from assistant.recommend import Constraints
from assistant.sentiment import Sentiment
from assistant.shop.desk_state import DeskReply, DeskState
from assistant.taxonomy import Route

RouteName = Route | Literal["clarify", "none"]
"""The route a turn took: the intent's route in the taxonomy, or one the router chose over it
(``clarify`` for an unsure classifier, ``fallback`` and ``handoff`` for guarded or upset messages,
``none`` for a message with nothing to read)."""

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
"""How the reply's text was made."""


class Notice(StrEnum):
    """Something about the turn besides its answer."""

    TRUNCATED = "truncated"
    """The message was longer than the limit and was cut."""
    UNREADABLE = "unreadable"
    """Nothing printable was left of the message."""
    INJECTION = "injection"
    """The message tried to rewrite the assistant's rules."""
    UNSOLVED = "unsolved"
    """The second turn in a row the assistant could not answer: a person takes over."""
    NOT_LOGGED = "not_logged"
    """The turn log could not be written; the turn is kept in memory to retry."""


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
    route: RouteName
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
    notices: list[Notice] = []
    sentiment: Sentiment | None = None
    ticket: str | None = None
    """The line about the handoff ticket (number, when a person answers), when the turn opened or updated one."""
    order: DeskReply | None = None
    """What the order desk did this turn (asked, verified, confirmed, changed, refused), when it took the turn."""


class Draft(BaseModel):
    """What a responder made of the turn: the text, how, from what, and what the session should remember."""

    model_config = ConfigDict(frozen=True)

    text: str
    strategy: Strategy
    used: list[Hit] = []
    """The passages the reply is built from (its sources)."""
    retrieved: list[Hit] | None = None
    """FAQ and policy hits the responder retrieved itself, for the log (None: those the router looked up)."""
    handoff: bool = False
    handoff_reason: str | None = None
    generation: Generation | None = None
    faithful: bool | None = None
    unsupported: list[str] | None = None
    retried: bool = False
    desk: DeskReply | None = None
    timings: dict[str, float] = {}
    skus: list[str] | None = None
    """The products the reply is about, for follow-ups (None: unchanged)."""
    wanted: Constraints | None = None
    """What a recommendation had to satisfy, for follow-ups (None: unchanged)."""
    awaits_order: bool = False
    """The reply asked for (or offered to check) the order number: the next number answers this question."""


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
    """The order being looked up or changed: its details, proof of identity, the change awaiting a yes.
    Only the order desk changes it."""
    wanted: Constraints | None = None
    """What the customer asked a recommendation to satisfy (kind, price, size, colour), for follow-ups."""
    misses: int = 0
    """Turns in a row the assistant could not answer; the second hands over to a person."""
    strategies: deque[str] = field(default_factory=lambda: deque(maxlen=20))
    """How each turn of ``history`` was answered, for the summary of a handoff ticket."""

    def heard(self, entities: Entities) -> None:
        """Remember the order number and email given; a number answers the question that waited for it."""
        if entities.order_numbers:
            self.order_number = entities.order_numbers[-1]
            self.waiting_for_order = None
        if entities.emails:
            self.email = entities.emails[-1]

    def remember(self, draft: Draft, prediction: IntentPrediction, query: str) -> None:
        """What a reply leaves the conversation with: the products discussed, the wishes, a question waiting."""
        if draft.skus is not None:
            self.skus = draft.skus
        if draft.wanted is not None:
            self.wanted = draft.wanted
        if draft.awaits_order:
            self.waiting_for_order, self.waiting_query = prediction, query
        if draft.desk is not None:
            self.waiting_for_order = None


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a ``time.perf_counter()``), as the turn's timings record them."""
    return round((time.perf_counter() - start) * 1000, 1)
