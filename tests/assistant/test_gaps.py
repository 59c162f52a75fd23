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


def _ranked() -> dict[str, object]:
    """Score messages as the assistant ranks them: embedding plus weighted word overlap."""
    from assistant.knowledge import load_knowledge
    from assistant.lexical import LexicalScorer

    settings = Settings()
    scorer = LexicalScorer().fit(load_knowledge(settings.knowledge_dir).passages())
    return {"lexical": scorer, "lexical_weight": settings.lexical_weight, "threshold": settings.gap_threshold}


def _log(path: Path, messages: list[tuple[str, str]]) -> TurnLog:
    log = TurnLog(path)
    for i, (text, route) in enumerate(messages):
        log.append(TurnRecord(id=f"t{i}", session_id=f"s{i % 4}", user_text=text, reply="…", route=route))
    return log


def test_weak_questions_are_grouped_by_meaning(prepared: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=prepared)
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    messages = [(t, "knowledge") for t in BIKES + BIKES[:1] + LOYALTY + ANSWERED] + [("hi", "greeting")]
    messages += [("write me a poem about tents", "fallback"), ("I want a person", "handoff")]
    report = gaps_report(_log(tmp_path / "t.sqlite", messages), index, **_ranked())  # type: ignore[arg-type]
    assert report.messages == len(messages) - 3  # small talk, asking for a person, out of scope: not gaps
    assert report.weak == 6
    sizes = {frozenset(g.examples): g.size for g in report.gaps}
    assert sizes == {frozenset(BIKES): 4, frozenset(LOYALTY): 2}
    first = report.gaps[0]
    assert first.representative in BIKES and first.best_score < 0.6 and first.closest_entry
    assert first.intents == {"(none)": 4} and first.sessions == 4


def test_a_gap_closes_when_the_threshold_says_it_is_answered(prepared: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=prepared)
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    log = _log(tmp_path / "t.sqlite", [(t, "knowledge") for t in BIKES])
    assert gaps_report(log, index, threshold=0.3).gaps == []
    assert gaps_report(TurnLog(tmp_path / "empty.sqlite"), index).messages == 0


def test_out_of_scope_messages_only_on_request(prepared: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=prepared)
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    log = _log(tmp_path / "t.sqlite", [("Do you sell bicycles?", "fallback")])
    assert gaps_report(log, index).messages == 0
    with_oos = gaps_report(log, index, include_out_of_scope=True)
    assert [g.representative for g in with_oos.gaps] == ["Do you sell bicycles?"]


def test_typos_the_assistant_reads_past_are_not_gaps(prepared: Path, tmp_path: Path) -> None:
    from assistant.intents import IntentClassifier
    from assistant.registry import ModelRegistry

    settings = Settings(data_dir=prepared)
    index = KnowledgeIndex(settings.chroma_dir, settings.collection)
    classifier = IntentClassifier(ModelRegistry(settings.models_dir / "intents").active())  # type: ignore[arg-type]
    log = _log(tmp_path / "t.sqlite", [("how lnog do refnds normaly take", "knowledge")])
    assert gaps_report(log, index).weak == 1
    assert gaps_report(log, index, normalize=classifier.normalize).weak == 0
