"""Word-overlap scoring of knowledge entries: pure logic on small passages."""

from __future__ import annotations

from assistant.knowledge import Passage
from assistant.lexical import LexicalScorer


def _p(pid: str, text: str, parent: str = "") -> Passage:
    return Passage(id=pid, doc_type="faq", title=pid, text=text, source="faq/x.md", parent=parent)


def test_rare_exact_words_score_and_alternative_questions_count_for_their_entry() -> None:
    scorer = LexicalScorer().fit(
        [
            _p("faq:mat", "Sleeping mats are rated by insulation."),
            _p("faq:mat?q0", "What is the R-value of a mat?", parent="faq:mat"),
            _p("faq:ship", "Standard shipping costs 4.95 to Germany."),
        ]
    )
    mat, ship, unknown = scorer.scores("what r-value does it have", ["faq:mat", "faq:ship", "faq:nope"])
    assert mat > 0.2 and ship == 0.0 and unknown == 0.0


def test_an_empty_scorer_scores_zero() -> None:
    assert LexicalScorer().fit([]).scores("anything", ["a"]) == [0.0]
