"""The gaps report on the real knowledge index and MiniLM."""

from pathlib import Path

import pytest

from assistant.gaps import gaps_report
from assistant.index import KnowledgeIndex
from assistant.settings import Settings
from assistant.turnlog import TurnLog, TurnRecord

pytestmark = pytest.mark.integration

BIKES = ["Do you sell bicycles?", "are bikes available in your shop", "do you have any bikes for sale"]
LOYALTY = ["is there a loyalty programme", "do you have a loyalty program for regular customers"]
ANSWERED = ["How long do I have to return an item?", "how long do i have to return an item", "student discount?"]


def _log(path: Path, messages: list[tuple[str, str]]) -> TurnLog:
    log = TurnLog(path)
    for i, (text, route) in enumerate(messages):
        log.append(TurnRecord(id=f"t{i}", session_id=f"s{i % 4}", user_text=text, reply="…", route=route))
    return log


def test_weak_questions_are_grouped_by_meaning(prepared: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=prepared)
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    messages = [(t, "knowledge") for t in BIKES + BIKES[:1] + LOYALTY + ANSWERED] + [("hi", "greeting")]
    report = gaps_report(_log(tmp_path / "t.sqlite", messages), index, threshold=0.5)
    assert report.messages == len(messages) - 1  # small talk is not a question
    assert report.weak == 6
    sizes = {frozenset(g.examples): g.size for g in report.gaps}
    assert sizes == {frozenset(BIKES): 4, frozenset(LOYALTY): 2}
    first = report.gaps[0]
    assert first.representative in BIKES and first.best_score < 0.5 and first.closest_entry
    assert first.intents == {"(none)": 4} and first.sessions == 4


def test_a_gap_closes_when_the_threshold_says_it_is_answered(prepared: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=prepared)
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    log = _log(tmp_path / "t.sqlite", [(t, "knowledge") for t in BIKES])
    assert gaps_report(log, index, threshold=0.3).gaps == []
    assert gaps_report(TurnLog(tmp_path / "empty.sqlite"), index).messages == 0
