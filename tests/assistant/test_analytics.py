from datetime import date
from pathlib import Path

import pytest

from assistant.analytics import TurnQuery, dashboard, list_turns
from assistant.turnlog import Curation, TurnLog, TurnRecord


def _turn(i: int, day: str, **kw: object) -> TurnRecord:
    base = {
        "id": f"t{i}",
        "session_id": f"s{i // 3}",
        "created_at": f"{day}T10:{i % 60:02d}:00.000+00:00",
        "user_text": f"question {i}",
        "reply": f"answer {i}",
        "intent": "return_exchange",
        "confidence": 0.95,
        "route": "knowledge",
        "strategy": "curated",
        "timings": {"total": float(10 * (i + 1))},
    }
    return TurnRecord.model_validate({**base, **kw})


@pytest.fixture
def log(tmp_path: Path) -> TurnLog:
    log = TurnLog(tmp_path / "t.sqlite")
    rows = [
        _turn(0, "2026-11-20"),
        _turn(1, "2026-11-20", confidence=0.3, strategy="clarify", route="clarify"),
        _turn(2, "2026-11-21", strategy="fallback", route="fallback", intent="out_of_scope"),
        _turn(3, "2026-11-21", handoff=True, strategy="handoff", intent="complaint"),
        _turn(4, "2026-11-22", faithful=False, strategy="extractive", unsupported=["€99"]),
        _turn(5, "2026-11-22", user_text="100% wool_socks?", feedback=-1),
        _turn(6, "2026-11-22", feedback=1),
        _turn(7, "2026-11-22", feedback=1, strategy="dont_know"),
    ]
    for r in rows:
        log.append(r)
    log.curate(Curation(turn_id="t6", approved=True))
    return log


def _ids(log: TurnLog, **kw: object) -> set[str]:
    return {r.turn.id for r in list_turns(log, TurnQuery.model_validate(kw))}


def test_each_filter_selects_what_it_says(log: TurnLog) -> None:
    assert _ids(log) == {f"t{i}" for i in range(8)}
    assert _ids(log, flags=["low_confidence"]) == {"t1"}
    assert _ids(log, flags=["fallback"]) == {"t1", "t2", "t7"}
    assert _ids(log, flags=["thumbs_down"]) == {"t5"}
    assert _ids(log, flags=["handoff"]) == {"t3"}
    assert _ids(log, flags=["unfaithful"]) == {"t4"}
    assert _ids(log, flags=["handoff", "unfaithful"]) == {"t3", "t4"}  # any of the flags
    assert _ids(log, flags=["uncurated"]) == {f"t{i}" for i in range(8)} - {"t6"}
    assert _ids(log, intent="complaint") == {"t3"}
    assert _ids(log, since=date(2026, 11, 21), until=date(2026, 11, 21)) == {"t2", "t3"}
    assert _ids(log, since=date(2026, 11, 22)) == {"t4", "t5", "t6", "t7"}


def test_text_search_takes_wildcards_literally(log: TurnLog) -> None:
    assert _ids(log, text="100%") == {"t5"}
    assert _ids(log, text="wool_") == {"t5"}
    assert _ids(log, text="%") == {"t5"}
    assert _ids(log, text="answer 3") == {"t3"}


def test_rows_are_newest_first_and_flagged(log: TurnLog) -> None:
    rows = list_turns(log, TurnQuery(limit=3))
    assert [r.turn.id for r in rows] == ["t7", "t6", "t5"]
    assert rows[1].flags == ["liked", "curated"] and rows[2].flags == ["disliked"]


def test_dashboard_figures(log: TurnLog) -> None:
    board = dashboard(log, days=30, today=date(2026, 11, 22))
    assert [d.day for d in board.days] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert [d.turns for d in board.days] == [2, 2, 4]
    assert board.total_turns == 8
    assert board.fallback_rate == pytest.approx(3 / 8, abs=1e-4)
    assert board.handoff_rate == pytest.approx(1 / 8, abs=1e-4)
    assert board.thumbs_up_share == pytest.approx(2 / 3, abs=1e-4)
    assert board.unfaithful == 1
    assert board.days[0].thumbs_up_share is None and board.days[2].unfaithful == 1
    assert board.latency_p50_ms == pytest.approx(45.0) and board.latency_p95_ms == pytest.approx(76.5)
    assert board.intents == {"return_exchange": 6, "out_of_scope": 1, "complaint": 1}
    assert dashboard(log, days=1, today=date(2026, 11, 22)).total_turns == 4


def test_dashboard_of_an_empty_log(tmp_path: Path) -> None:
    board = dashboard(TurnLog(tmp_path / "t.sqlite"))
    assert board.total_turns == 0 and board.days == [] and board.latency_p50_ms is None
