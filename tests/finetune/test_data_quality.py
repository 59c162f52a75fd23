"""Data quality before training: each check drops what it should and says why."""

from __future__ import annotations

from finetune.data_quality import clean_examples
from finetune.intent_data import Example


def ex(text: str, intent: str = "track_order") -> Example:
    return Example(text=text, intent=intent)


def test_each_check_reports_its_reason() -> None:
    examples = [
        ex("where is my parcel"),
        ex("Where is my parcel?"),  # the same text again
        ex("where is my parcel pls"),  # nearly the same, same intent
        ex("refund status", "track_refund"),
        ex("refund status", "get_refund"),  # one text, two labels
        ex(" "),
        ex("x" * 1200),
        ex("Wo ist meine Bestellung, ich warte schon seit Tagen"),
        ex("my email is k.larsen@example.org, where is order 104233"),
    ]
    kept, report = clean_examples(examples, near=90)
    assert report.by_reason == {
        "duplicate": 1,
        "near_duplicate": 1,
        "conflict": 2,
        "empty": 1,
        "too_long": 1,
        "not_english": 1,
    }
    assert [e.text for e in kept] == ["where is my parcel", "my email is [email], where is order 104233"]
    assert report.redacted == {"email": 1} and report.n_in == 9 and report.n_out == 2
    assert "9 examples in, 2 kept" in report.summary()


def test_typos_and_shorthand_are_still_english() -> None:
    kept, report = clean_examples([ex("cna you chekc the staus of my order pls")])
    assert len(kept) == 1 and not report.dropped
