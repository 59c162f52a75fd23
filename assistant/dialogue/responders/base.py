"""What every responder is handed, and the one method it offers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass
from typing import Protocol

from assistant.dialogue.evidence import Evidence
from assistant.dialogue.router import Decision
from assistant.dialogue.turn import Draft, Session
from assistant.dialogue.understand import Understanding


@dataclass(frozen=True)
class Ask:
    """One turn as a responder sees it: the decision and everything it was made from."""

    decision: Decision
    understanding: Understanding
    session: Session
    """Read, never changed, by responders (the order desk alone changes its own part, ``session.desk``)."""
    evidence: Evidence
    turn_id: str
    log_id: str
    """The session's id in the logs."""
    client: str | None = None
    """The customer's network address, for the limits on identity checks."""


class Responder(Protocol):
    def stream(self, ask: Ask) -> Generator[str, None, Draft]:
        """Yield the reply's text as it grows (a responder that does not stream yields it once); return the draft."""
        ...


class Immediate(ABC):
    """A responder whose reply is ready at once: it implements :meth:`run`, and streams the text in one piece."""

    @abstractmethod
    def run(self, ask: Ask) -> Draft: ...

    def stream(self, ask: Ask) -> Generator[str, None, Draft]:
        draft = self.run(ask)
        if draft.text:
            yield draft.text
        return draft
