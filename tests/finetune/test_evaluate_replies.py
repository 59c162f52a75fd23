"""Reply metrics: pure scoring logic."""

from __future__ import annotations

import pytest

from finetune.evaluate_replies import EvalItem, Scored, declines, fact_recall, rouge_l, score, summarise


def test_fact_recall_ignores_case_spacing_and_dash_style() -> None:
    assert fact_recall("Returns are free within 30  days.", ["30 days", "free"]) == 1.0
    assert fact_recall("Mon–Fri 8:00-18:00", ["8:00–18:00", "Saturday"]) == 0.5
    assert fact_recall("anything", []) is None


def test_rouge_l() -> None:
    assert rouge_l("the cat sat", "the cat sat") == 1.0
    assert rouge_l("", "x") == 0.0
    assert rouge_l("the cat sat on the mat", "the cat on a mat") == pytest.approx(
        2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5)
    )


def test_declines_and_handoff() -> None:
    assert declines("I'm sorry, I don't know that. Shall I pass you to a colleague?")
    assert not declines("The jacket costs €249.00.")


def test_score_flags_invented_numbers_and_wrong_refusals() -> None:
    item = EvalItem(
        id="1", question="How long do I have to return?", expect="answer", facts=["30 days"], reference="30 days."
    )
    good = score(item, "You have 30 days to return items.", "Returns are accepted within 30 days.")
    bad = score(item, "You have 45 days.", "Returns are accepted within 30 days.")
    refused = score(item, "I don't know, shall I pass you to a colleague?", "Returns are accepted within 30 days.")
    assert good.supported and good.fact_recall == 1.0 and good.handled
    assert not bad.supported and bad.fact_recall == 0.0
    assert not refused.handled
    rows = [good, bad, refused]
    s = summarise(rows)
    assert s["unsupported_rate"] == pytest.approx(1 / 3, abs=1e-3) and s["answer_wrongly_declined"] == pytest.approx(
        1 / 3, abs=1e-3
    )


def test_handoff_needs_an_offer_of_a_person() -> None:
    item = EvalItem(id="2", question="I want a human", expect="handoff")
    assert score(item, "I'm passing you to a colleague from our customer service team.", "").handled
    assert not score(item, "Our jackets are waterproof.", "").handled
    assert isinstance(score(item, "x", ""), Scored)


def test_the_assistant_meets_the_reply_targets_on_the_held_out_questions(prepared, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The replies issue's quality bar, on the whole assistant as a fresh install runs it (shipped adapter)."""
    import json

    from assistant.settings import Settings
    from finetune.evaluate_replies import evaluate_replies

    settings = Settings(data_dir=prepared)
    out = evaluate_replies(
        settings, {"shipped": settings.shipped_adapter}, out=tmp_path / "r", modes=["assistant"], progress=False
    )
    figures = json.loads((out / "report.json").read_text())["assistant"]["shipped"]
    assert figures["n"] == 175
    assert figures["fact_recall"] >= 0.9, figures
    assert figures["unsupported_rate"] <= 0.01, figures
    assert figures["dont_know_handoff_correct"] >= 0.9, figures
