import sqlite3
import threading
from pathlib import Path

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
