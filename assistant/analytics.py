"""What the support lead reads from the turn log: filtered turn lists and dashboard figures.

Everything here is a read over SQLite; nothing changes a turn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.turnlog import TurnLog, TurnRecord

Flag = Literal["low_confidence", "fallback", "thumbs_down", "handoff", "unfaithful", "uncurated"]
FALLBACK_STRATEGIES = ("fallback", "clarify", "dont_know")

_FLAG_SQL: dict[str, str] = {
    "low_confidence": "(t.confidence IS NOT NULL AND t.confidence < :low)",
    "fallback": "t.strategy IN (" + ", ".join(f"'{s}'" for s in FALLBACK_STRATEGIES) + ")",
    "thumbs_down": "t.feedback = -1",
    "handoff": "t.handoff = 1",
    "unfaithful": "t.faithful = 0",
}


class TurnQuery(BaseModel):
    """Which turns to list: any of ``flags`` (or all turns when empty), and every other filter."""

    flags: list[Flag] = []
    intent: str | None = None
    since: date | None = None
    until: date | None = None
    """Inclusive: turns of that whole day are listed."""
    text: str | None = None
    """Substring of the customer's message or the reply."""
    uncurated: bool = False
    """Only turns no lead has corrected or approved yet."""
    low_confidence: float = Field(0.6, ge=0.0, le=1.0)
    limit: int = Field(200, ge=1, le=5000)


class TurnRow(BaseModel):
    """A turn as the conversation browser lists it."""

    turn: TurnRecord
    curations: int = 0

    @property
    def flags(self) -> list[str]:
        t = self.turn
        out = []
        if t.strategy in FALLBACK_STRATEGIES:
            out.append(t.strategy or "")
        if t.handoff:
            out.append("handoff")
        if t.faithful is False:
            out.append("unfaithful")
        if t.feedback == -1:
            out.append("disliked")
        elif t.feedback == 1:
            out.append("liked")
        if self.curations:
            out.append("curated")
        return out


def list_turns(log: TurnLog, query: TurnQuery) -> list[TurnRow]:
    """Turns matching the query, newest first."""
    where: list[str] = []
    params: dict[str, Any] = {"low": query.low_confidence, "limit": query.limit}
    flags = [f for f in query.flags if f in _FLAG_SQL]
    if flags:
        where.append("(" + " OR ".join(_FLAG_SQL[f] for f in flags) + ")")
    if query.uncurated or "uncurated" in query.flags:
        where.append("c.n IS NULL")
    if query.intent:
        where.append("t.intent = :intent")
        params["intent"] = query.intent
    if query.since:
        where.append("t.created_at >= :since")
        params["since"] = query.since.isoformat()
    if query.until:
        where.append("t.created_at < :until")
        params["until"] = (query.until + timedelta(days=1)).isoformat()
    if query.text:
        where.append("(t.user_text LIKE :text ESCAPE '\\' OR t.reply LIKE :text ESCAPE '\\')")
        escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["text"] = f"%{escaped}%"
    sql = (
        "SELECT t.*, c.n AS n_curations FROM turns t "
        "LEFT JOIN (SELECT turn_id, COUNT(*) AS n FROM curations GROUP BY turn_id) c ON c.turn_id = t.id "
        + ("WHERE " + " AND ".join(where) + " " if where else "")
        + "ORDER BY t.created_at DESC LIMIT :limit"
    )
    rows = []
    for row in log.select(sql, params):
        data = dict(row)
        n = data.pop("n_curations") or 0
        rows.append(TurnRow(turn=TurnRecord.from_row(data), curations=n))
    return rows


class Figures(BaseModel):
    fallback_rate: float
    handoff_rate: float
    thumbs_up_share: float | None
    """Thumbs up among the turns that got a thumb; None when none did."""
    unfaithful: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


class DayFigures(Figures):
    day: str
    turns: int


class Dashboard(Figures):
    """Figures over a window of days, per day and in total."""

    days: list[DayFigures]
    intents: dict[str, int]
    total_turns: int


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo), 1)


class _Tally:
    def __init__(self) -> None:
        self.turns = self.fallback = self.handoff = self.up = self.down = self.unfaithful = 0
        self.latency: list[float] = []

    def add(self, strategy: str | None, handoff: int, feedback: int | None, faithful: int | None, total: Any) -> None:
        self.turns += 1
        self.fallback += strategy in FALLBACK_STRATEGIES
        self.handoff += bool(handoff)
        self.up += feedback == 1
        self.down += feedback == -1
        self.unfaithful += faithful == 0
        if isinstance(total, int | float):
            self.latency.append(float(total))

    def figures(self) -> dict[str, Any]:
        n = max(self.turns, 1)
        thumbs = self.up + self.down
        return {
            "fallback_rate": round(self.fallback / n, 4),
            "handoff_rate": round(self.handoff / n, 4),
            "thumbs_up_share": round(self.up / thumbs, 4) if thumbs else None,
            "unfaithful": self.unfaithful,
            "latency_p50_ms": _quantile(self.latency, 0.5),
            "latency_p95_ms": _quantile(self.latency, 0.95),
        }


def dashboard(log: TurnLog, days: int = 30, today: date | None = None) -> Dashboard:
    """Turns per day, intent distribution, fallback, handoff, thumbs-up share, faithfulness failures, latency."""
    today = today or date.today()
    since = (today - timedelta(days=days - 1)).isoformat()
    per_day: dict[str, _Tally] = defaultdict(_Tally)
    total = _Tally()
    intents: Counter[str] = Counter()
    rows = log.select(
        "SELECT substr(created_at, 1, 10) AS day, intent, strategy, handoff, feedback, faithful, "
        "json_extract(timings, '$.total') AS total FROM turns WHERE created_at >= :since",
        {"since": since},
    )
    for day, intent, strategy, handoff, feedback, faithful, latency in rows:
        per_day[day].add(strategy, handoff, feedback, faithful, latency)
        total.add(strategy, handoff, feedback, faithful, latency)
        intents[intent or "(none)"] += 1
    return Dashboard(
        days=[DayFigures(day=d, turns=per_day[d].turns, **per_day[d].figures()) for d in sorted(per_day)],
        intents=dict(intents.most_common()),
        total_turns=total.turns,
        **total.figures(),
    )
