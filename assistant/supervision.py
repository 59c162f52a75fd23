"""Curated turns as supervision records: what the lead corrected or approved, with personal data redacted."""

from __future__ import annotations

from pydantic import BaseModel

from assistant.redact import redact
from assistant.turnlog import TurnLog


class CuratedRecord(BaseModel):
    """One message with the intent and reply a support lead stands behind."""

    turn_id: str
    text: str
    intent: str | None
    reply: str | None
    retrieved: list[str] = []
    """Ids of the passages the assistant retrieved for the turn (the reply's context)."""
    curated_at: str
    author: str


def curated_records(log: TurnLog) -> list[CuratedRecord]:
    """The latest curation of every curated turn, redacted; turns with neither intent nor reply are skipped."""
    out = []
    for c in log.curated():
        if c.intent is None and c.reply is None:
            continue
        out.append(
            CuratedRecord(
                turn_id=c.turn.id,
                text=redact(c.turn.user_text).text,
                intent=c.intent,
                reply=redact(c.reply).text if c.reply else None,
                retrieved=[str(r.get("id")) for r in c.turn.retrieved if r.get("id")],
                curated_at=c.curation.created_at,
                author=c.curation.author,
            )
        )
    return out
