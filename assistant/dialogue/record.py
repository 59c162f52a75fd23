"""Every turn into the turn log, as new supervision data; a turn the log cannot take is kept and written later."""

from __future__ import annotations

import logging

from assistant.dialogue.turn import Draft, Notice, Reply
from assistant.errors import AssistantError
from assistant.index import Hit
from assistant.turnlog import TurnLog, TurnRecord

log = logging.getLogger(__name__)


class TurnRecorder:
    """Write a turn with what it was made from: the models, the prompt, the passages, the verdicts, the timings."""

    def __init__(self, turn_log: TurnLog) -> None:
        self.turn_log = turn_log
        self._unsaved: list[TurnRecord] = []

    def warm_up(self) -> None:
        self.turn_log.warm_up()

    def run(
        self, reply: Reply, message: str, draft: Draft, retrieved: list[Hit], models: dict[str, str | None]
    ) -> None:
        """Log the turn (and any kept back before it); when the log fails, ``reply`` gets the notice ``not_logged``.

        Args:
            models: ``prompt``, ``base_model``, ``adapter`` and ``classifier``: what made the reply.
        """
        gen = draft.generation
        record = TurnRecord(
            id=reply.turn_id,
            session_id=reply.session_id,
            user_text=message,
            intent=reply.intent,
            confidence=reply.confidence,
            route=reply.route,
            retrieved=[{"id": h.id, "score": h.score} for h in retrieved],
            reply=reply.text,
            strategy=reply.strategy,
            handoff=reply.handoff,
            timings=reply.timings_ms,
            prompt_tokens=gen.prompt_tokens if gen else 0,
            completion_tokens=gen.completion_tokens if gen else 0,
            faithful=draft.faithful,
            unsupported=draft.unsupported,
            sentiment=reply.sentiment.score if reply.sentiment else None,
            sentiment_label=reply.sentiment.label if reply.sentiment else None,
            **models,
        )
        pending = [*self._unsaved, record]
        self._unsaved = []
        for i, rec in enumerate(pending):
            try:
                self.turn_log.append(rec)
            except AssistantError as err:
                log.error("turn not logged, kept in memory to retry: %s", err)
                self._unsaved = pending[i:]
                reply.notices.append(Notice.NOT_LOGGED)
                return
