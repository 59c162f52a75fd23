"""SQLite plumbing shared by the turn log and the shop database: WAL mode, write transactions, named migrations."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import AssistantError

Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def switch_to_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """WAL mode; SQLite answers "locked" at once, without its busy handler, while another connection creates
    the file or switches its mode, so wait and try again."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def open_database(path: Path, label: str, fix: str, foreign_keys: bool = False) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with the project's pragmas, its schema readable.

    Args:
        path: The SQLite file; created with its folder when missing.
        label: What the file is, for the message ("the turn log").
        fix: What the user can do when it cannot be opened, for the message.

    Raises:
        AssistantError: One line naming the file, what is wrong and the fix (a damaged header, not a database,
            no permission, a full disk).
    """
    conn: sqlite3.Connection | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        switch_to_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives power loss too
        conn.execute("PRAGMA busy_timeout=30000")
        if foreign_keys:
            conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except (OSError, sqlite3.Error) as err:
        if conn is not None:
            conn.close()
        raise AssistantError(f"cannot open {label} at {path}: {err}; {fix}") from err
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection, label: str) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, ``ROLLBACK`` on any error; joins a transaction already open on ``conn``.

    Raises:
        AssistantError: The database stays locked for too long, the disk is full or similar, named by ``label``.
    """
    if conn.in_transaction:
        yield conn
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    except sqlite3.OperationalError as err:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if "full" in str(err).lower():
            raise AssistantError(f"{label}: the disk is full") from err
        raise AssistantError(f"{label}: {err}") from err
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def apply_migrations(conn: sqlite3.Connection, migrations: list[Migration], label: str) -> list[str]:
    """Apply the migrations not recorded in ``_migrations`` yet, in one transaction; returns their names.

    Raises:
        AssistantError: The file is damaged ("database disk image is malformed") or cannot be written.
    """
    applied_now = []
    try:
        with write_transaction(conn, label) as db:
            db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r[0] for r in db.execute("SELECT name FROM _migrations")}
            for name, fn in migrations:
                if name not in done:
                    fn(db)
                    db.execute(
                        "INSERT INTO _migrations VALUES (?, ?)",
                        (name, datetime.now(UTC).isoformat(timespec="seconds")),
                    )
                    applied_now.append(name)
    except sqlite3.DatabaseError as err:
        raise AssistantError(f"{label}: {err}") from err
    return applied_now
