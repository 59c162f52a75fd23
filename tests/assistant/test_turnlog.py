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


WRITER = """
import sys
from assistant.turnlog import TurnLog, TurnRecord
log = TurnLog(__import__("pathlib").Path(sys.argv[1]))
i = 0
while True:
    log.append(TurnRecord(id=f"k{i}", session_id="kill", user_text="x" * 2000, reply="y" * 2000))
    print(f"k{i}", flush=True)  # acknowledged: the transaction has committed
    i += 1
"""


def test_a_killed_writer_loses_no_acknowledged_turn(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    path = tmp_path / "t.sqlite"
    TurnLog(path).warm_up()
    repo = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], cwd=repo, stdout=subprocess.PIPE, text=True, env=os.environ
    )
    assert child.stdout is not None
    acked = []
    for line in child.stdout:
        acked.append(line.strip())
        if len(acked) == 60:
            child.send_signal(signal.SIGKILL)  # mid-stream: the next write is under way
            break
    child.wait(10)
    acked += [line.strip() for line in child.stdout if line.strip()]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in db.execute("SELECT id FROM turns")}
    assert set(acked) <= stored and len(acked) >= 60
    log = TurnLog(path)  # the log keeps working after the crash
    log.append(_record(999))
    assert log.get("t999") is not None


def test_lead_edits_while_customers_chat(tmp_path: Path) -> None:
    from assistant.turnlog import Curation

    log = TurnLog(tmp_path / "t.sqlite")
    for i in range(20):
        log.append(_record(i))
    errors: list[BaseException] = []

    def chat(worker: int) -> None:
        try:
            for i in range(50):
                TurnLog(tmp_path / "t.sqlite").append(_record(1000 * (worker + 1) + i, session=f"w{worker}"))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    def curate() -> None:
        try:
            lead = TurnLog(tmp_path / "t.sqlite")
            for i in range(20):
                lead.curate(Curation(turn_id=f"t{i}", intent="thanks", note=str(i)))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=chat, args=(w,)) for w in range(4)] + [threading.Thread(target=curate)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert log.count() == 20 + 4 * 50
    assert len(log.curated()) == 20 and all(c.turn.intent == "greeting" for c in log.curated())


def test_handoff_tickets_queue_one_per_session_and_close(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.turnlog import Ticket

    log = TurnLog(tmp_path / "t.sqlite")
    first = log.open_ticket(Ticket(session_id="s1", turn_id="a", reason="complaint", summary="one"))
    again = log.open_ticket(Ticket(session_id="s1", turn_id="b", reason="asked for a person", summary="two"))
    other = log.open_ticket(Ticket(session_id="s2", turn_id="c", reason="complaint", summary="three"))
    assert first.id == again.id != other.id
    assert [(t.id, t.summary) for t in log.tickets()] == [(first.id, "two"), (other.id, "three")]
    assert log.close_ticket(first.id, by="lead") and not log.close_ticket(first.id, by="lead")
    assert [t.id for t in log.tickets()] == [other.id]
    assert log.tickets(status=None)[-1].closed_by == "lead"
