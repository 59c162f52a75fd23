"""The turn log: every turn as a row of supervision data, in SQLite.

The schema grows by small named migrations (``m001_...``) recorded in the
``_migrations`` table. The database runs in WAL mode and every write is one
transaction, so concurrent chats never block each other for long and an
acknowledged turn survives a crash.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from assistant.sqlite_store import apply_migrations, open_database, write_transaction

MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = []


def migration(fn: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_turns(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE turns (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            user_text TEXT NOT NULL,
            intent TEXT,
            confidence REAL,
            route TEXT,
            retrieved TEXT NOT NULL DEFAULT '[]',
            prompt TEXT,
            base_model TEXT,
            adapter TEXT,
            classifier TEXT,
            reply TEXT NOT NULL,
            strategy TEXT,
            handoff INTEGER NOT NULL DEFAULT 0,
            timings TEXT NOT NULL DEFAULT '{}',
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            faithful INTEGER,
            unsupported TEXT,
            feedback INTEGER,
            feedback_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX turns_session ON turns(session_id, created_at)")
    db.execute("CREATE INDEX turns_created ON turns(created_at)")


@migration
def m002_curations(db: sqlite3.Connection) -> None:
    """A support lead's corrections, beside the turn they correct (the turn itself never changes)."""
    db.execute(
        """
        CREATE TABLE curations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            turn_id TEXT NOT NULL REFERENCES turns(id),
            created_at TEXT NOT NULL,
            author TEXT NOT NULL,
            intent TEXT,
            reply TEXT,
            approved INTEGER NOT NULL DEFAULT 0,
            note TEXT
        )
        """
    )
    db.execute("CREATE INDEX curations_turn ON curations(turn_id, id)")


@migration
def m003_sentiment(db: sqlite3.Connection) -> None:
    """The customer's sentiment per turn: score from -1 (angry) to 1 (happy) and the likeliest class."""
    db.execute("ALTER TABLE turns ADD COLUMN sentiment REAL")
    db.execute("ALTER TABLE turns ADD COLUMN sentiment_label TEXT")


@migration
def m004_tickets(db: sqlite3.Connection) -> None:
    """Handoff tickets: the queue a person works through, each with a summary so the customer need not repeat."""
    db.execute(
        """
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            session_id TEXT NOT NULL,
            turn_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            intent TEXT,
            order_id TEXT,
            sentiment TEXT,
            summary TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            closed_at TEXT,
            closed_by TEXT
        )
        """
    )
    db.execute("CREATE INDEX tickets_status ON tickets(status, created_at)")


class Ticket(BaseModel):
    """A conversation handed to a person, with what they need to pick it up."""

    id: int | None = None
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    session_id: str
    turn_id: str
    reason: str
    """Why: asked for a person, complaint, frustration, failed identity checks, not understood twice."""
    intent: str | None = None
    order_id: str | None = None
    sentiment: str | None = None
    summary: str
    """Intent, order and what was tried, turn by turn."""
    status: str = "open"
    closed_at: str | None = None
    closed_by: str | None = None


class TurnRecord(BaseModel):
    """One logged turn: everything needed to learn from it later."""

    id: str
    session_id: str
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    user_text: str
    intent: str | None = None
    confidence: float | None = None
    route: str | None = None
    retrieved: list[dict[str, Any]] = []
    prompt: str | None = None
    base_model: str | None = None
    adapter: str | None = None
    classifier: str | None = None
    reply: str
    strategy: str | None = None
    handoff: bool = False
    timings: dict[str, float] = {}
    prompt_tokens: int = 0
    completion_tokens: int = 0
    faithful: bool | None = None
    unsupported: list[str] | None = None
    feedback: int | None = None
    feedback_at: str | None = None
    sentiment: float | None = None
    sentiment_label: str | None = None

    def row(self) -> dict[str, Any]:
        data = self.model_dump()
        for key in ("retrieved", "timings", "unsupported"):
            data[key] = json.dumps(data[key]) if data[key] is not None else None
        return data

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> TurnRecord:
        data = dict(row)
        for key in ("retrieved", "timings", "unsupported"):
            if data.get(key) is not None:
                data[key] = json.loads(data[key])
        return cls.model_validate(data)


class Curation(BaseModel):
    """A lead's verdict on a turn: the right intent, a better or approved reply."""

    id: int | None = None
    turn_id: str
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    author: str = "lead"
    intent: str | None = None
    """The intent the message should have had (None: the logged one was right or was not reviewed)."""
    reply: str | None = None
    """The reply it should have had (None: not edited)."""
    approved: bool = False
    """The logged reply (or ``reply`` when given) is good supervision as it stands."""
    note: str | None = None


class CuratedTurn(BaseModel):
    """A turn with its latest curation applied: what training reads."""

    turn: TurnRecord
    curation: Curation

    @property
    def intent(self) -> str | None:
        return self.curation.intent or (self.turn.intent if self.curation.approved else None)

    @property
    def reply(self) -> str | None:
        return self.curation.reply or (self.turn.reply if self.curation.approved else None)


class TurnLog:
    """Append turns, record feedback, read them back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._ready = False
        self._init_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_database(
                self.path,
                "the turn log",
                "move the file aside (a new log is started) or restore it from a backup",
            )
            self._local.conn = conn
        return conn

    def warm_up(self) -> None:
        with self._init_lock:
            if not self._ready:
                self.migrate()
                self._ready = True

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._connect(), f"turn log {self.path}")

    def migrate(self) -> list[str]:
        """Apply the migrations not applied yet; returns their names."""
        return apply_migrations(self._connect(), MIGRATIONS, f"turn log {self.path}")

    def applied(self) -> list[str]:
        self.warm_up()
        return [r[0] for r in self._connect().execute("SELECT name FROM _migrations ORDER BY name")]

    def append(self, record: TurnRecord) -> None:
        self.warm_up()
        row = record.row()
        cols = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        with self._tx() as db:
            db.execute(f"INSERT INTO turns ({cols}) VALUES ({marks})", row)

    def open_ticket(self, ticket: Ticket) -> Ticket:
        """Put a handoff in the queue; an open ticket of the same session is updated instead of doubled."""
        self.warm_up()
        with self._tx() as db:
            found = db.execute(
                "SELECT id FROM tickets WHERE session_id = ? AND status = 'open'", (ticket.session_id,)
            ).fetchone()
            data = ticket.model_dump(exclude={"id"})
            if found:
                db.execute(
                    "UPDATE tickets SET turn_id = :turn_id, reason = :reason, intent = :intent, order_id = :order_id, "
                    "sentiment = :sentiment, summary = :summary WHERE id = :id",
                    {**data, "id": found[0]},
                )
                return ticket.model_copy(update={"id": found[0]})
            cur = db.execute(
                f"INSERT INTO tickets ({', '.join(data)}) VALUES ({', '.join(':' + k for k in data)})", data
            )
            return ticket.model_copy(update={"id": cur.lastrowid})

    def tickets(self, status: str | None = "open", limit: int = 200) -> list[Ticket]:
        """The handoff queue, oldest first (or every ticket, newest first, with ``status=None``)."""
        self.warm_up()
        if status is None:
            rows = self._connect().execute("SELECT * FROM tickets ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self._connect().execute(
                "SELECT * FROM tickets WHERE status = ? ORDER BY id LIMIT ?", (status, limit)
            )
        return [Ticket.model_validate(dict(r)) for r in rows]

    def close_ticket(self, ticket_id: int, by: str) -> bool:
        """Mark a ticket done; False when there is no open ticket with that number."""
        self.warm_up()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE tickets SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'",
                (datetime.now(UTC).isoformat(timespec="seconds"), by, ticket_id),
            )
            return cur.rowcount == 1

    def set_feedback(self, turn_id: str, value: int) -> bool:
        """Store thumbs up (1) or down (-1) for a turn; False if the turn is unknown."""
        self.warm_up()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE turns SET feedback = ?, feedback_at = ? WHERE id = ?",
                (value, datetime.now(UTC).isoformat(timespec="seconds"), turn_id),
            )
        return cur.rowcount == 1

    def get(self, turn_id: str) -> TurnRecord | None:
        self.warm_up()
        row = self._connect().execute("SELECT * FROM turns WHERE id = ?", (turn_id,)).fetchone()
        return TurnRecord.from_row(row) if row else None

    def recent(self, limit: int = 50, session_id: str | None = None) -> list[TurnRecord]:
        self.warm_up()
        if session_id:
            rows = self._connect().execute(
                "SELECT * FROM turns WHERE session_id = ? ORDER BY created_at DESC LIMIT ?", (session_id, limit)
            )
        else:
            rows = self._connect().execute("SELECT * FROM turns ORDER BY created_at DESC LIMIT ?", (limit,))
        return [TurnRecord.from_row(r) for r in rows]

    def select(self, sql: str, params: dict[str, Any] | None = None) -> list[sqlite3.Row]:
        """Rows of a read-only query (reports, the lead's views); writes go through the methods above."""
        self.warm_up()
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            raise ValueError("select() runs read queries only")
        return self._connect().execute(sql, params or {}).fetchall()

    def count(self) -> int:
        self.warm_up()
        return int(self._connect().execute("SELECT COUNT(*) FROM turns").fetchone()[0])

    def curate(self, curation: Curation) -> Curation:
        """Store a correction of a turn; the turn is left as it was logged."""
        self.warm_up()
        row = curation.model_dump(exclude={"id"})
        with self._tx() as db:
            if db.execute("SELECT 1 FROM turns WHERE id = ?", (curation.turn_id,)).fetchone() is None:
                raise AssistantError(f"no turn {curation.turn_id} in the turn log")
            cur = db.execute(
                "INSERT INTO curations (turn_id, created_at, author, intent, reply, approved, note) "
                "VALUES (:turn_id, :created_at, :author, :intent, :reply, :approved, :note)",
                row,
            )
        return curation.model_copy(update={"id": cur.lastrowid})

    def curations(self, turn_id: str) -> list[Curation]:
        """Every correction of a turn, oldest first."""
        self.warm_up()
        rows = self._connect().execute("SELECT * FROM curations WHERE turn_id = ? ORDER BY id", (turn_id,))
        return [Curation.model_validate(dict(r)) for r in rows]

    def curated(self) -> list[CuratedTurn]:
        """Each curated turn once, with its latest curation, oldest curation first."""
        self.warm_up()
        conn = self._connect()
        latest = conn.execute("SELECT * FROM curations WHERE id IN (SELECT MAX(id) FROM curations GROUP BY turn_id)")
        out = []
        for row in latest.fetchall():
            curation = Curation.model_validate(dict(row))
            turn = conn.execute("SELECT * FROM turns WHERE id = ?", (curation.turn_id,)).fetchone()
            out.append(CuratedTurn(turn=TurnRecord.from_row(turn), curation=curation))
        return sorted(out, key=lambda c: c.curation.id or 0)
