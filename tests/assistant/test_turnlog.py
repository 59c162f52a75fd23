import sqlite3
import threading
from pathlib import Path

import pytest

from assistant.turnlog import MIGRATIONS, TurnLog, TurnRecord


def _record(i: int, session: str = "s") -> TurnRecord:
    return TurnRecord(
        id=f"t{i}",
        session_id=session,
        user_text=f"question {i}",
        reply=f"answer {i}",
        intent="greeting",
        confidence=0.9,
        retrieved=[{"id": "faq:x", "score": 0.5}],
        timings={"total": 1.0},
    )


def test_migrations_recorded_once(tmp_path: Path) -> None:
    log = TurnLog(tmp_path / "t.sqlite")
    assert log.applied() == [name for name, _ in MIGRATIONS]
    assert TurnLog(tmp_path / "t.sqlite").migrate() == []
    mode = sqlite3.connect(tmp_path / "t.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_append_read_and_feedback(tmp_path: Path) -> None:
    log = TurnLog(tmp_path / "t.sqlite")
    log.append(_record(1))
    assert log.set_feedback("t1", -1)
    assert not log.set_feedback("missing", 1)
    got = log.get("t1")
    assert got is not None and got.feedback == -1 and got.retrieved == [{"id": "faq:x", "score": 0.5}]
    assert got.timings == {"total": 1.0}


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"

    def writer(n: int) -> None:
        log = TurnLog(path)
        for i in range(25):
            log.append(_record(n * 100 + i, session=f"s{n}"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert TurnLog(path).count() == 150


def test_curations_sit_beside_the_turn_which_never_changes(tmp_path: Path) -> None:
    from assistant.errors import AssistantError
    from assistant.turnlog import Curation

    log = TurnLog(tmp_path / "t.sqlite")
    log.append(TurnRecord(id="t1", session_id="s", user_text="refund status", intent="get_refund", reply="..."))
    log.append(TurnRecord(id="t2", session_id="s", user_text="hi", intent="greeting", reply="Hello!"))
    before = log.get("t1")
    log.curate(Curation(turn_id="t1", intent="track_refund"))
    log.curate(Curation(turn_id="t1", intent="track_refund", reply="Refunds take 5-10 days.", note="wording"))
    log.curate(Curation(turn_id="t2", approved=True))
    assert log.get("t1") == before  # the logged turn is untouched
    assert [c.note for c in log.curations("t1")] == [None, "wording"]
    curated = {c.turn.id: c for c in log.curated()}
    assert curated["t1"].intent == "track_refund" and curated["t1"].reply == "Refunds take 5-10 days."
    assert curated["t2"].intent == "greeting" and curated["t2"].reply == "Hello!"  # approved as logged
    assert "m002_curations" in log.applied()
    with pytest.raises(AssistantError, match="no turn"):
        log.curate(Curation(turn_id="nope", approved=True))
