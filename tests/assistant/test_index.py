"""Real Chroma in a temp folder with the packaged MiniLM as embedding function."""

from pathlib import Path

import pytest

from assistant.index import KnowledgeIndex
from assistant.knowledge import Passage

pytestmark = pytest.mark.integration


def _p(pid: str, text: str, doc_type: str = "faq") -> Passage:
    return Passage(id=pid, doc_type=doc_type, title=pid, text=text, source=f"{pid}.md", topic="returns")  # type: ignore[arg-type]


def test_sync_is_incremental_and_persistent(tmp_path: Path) -> None:
    passages = [
        _p("faq:returns", "You can return items within 30 days of delivery."),
        _p("faq:shipping", "Shipping to Germany costs 4.95 euros and takes 1-3 days."),
        _p("product:FP-X-001", "Fjell Hardshell Jacket, waterproof shell, 249 euros.", "product"),
    ]
    index = KnowledgeIndex(tmp_path / "chroma")
    first = index.sync(passages)
    assert sorted(first.added) == sorted(p.id for p in passages) and first.unchanged == 0
    changed = [
        passages[0],
        _p("faq:shipping", "Shipping to Germany costs 5.95 euros."),
        _p("faq:new", "Gift cards last 3 years."),
    ]
    again = KnowledgeIndex(tmp_path / "chroma").sync(changed)  # a new client on the same folder
    assert again.added == ["faq:new"] and again.changed == ["faq:shipping"]
    assert again.removed == ["product:FP-X-001"] and again.unchanged == 1
    assert KnowledgeIndex(tmp_path / "chroma").sync(changed).total_embedded == 0


def test_query_filters_by_doc_type(tmp_path: Path) -> None:
    index = KnowledgeIndex(tmp_path / "chroma")
    index.sync(
        [
            _p("faq:returns", "How do I return an item? Use the returns portal within 30 days."),
            _p("product:FP-X-001", "Return trip backpack, 30 litres.", "product"),
        ]
    )
    hits = index.query("how can I send something back", k=2)
    assert hits[0].id == "faq:returns" and 0 < hits[0].score <= 1
    only_products = index.query("how can I send something back", k=2, doc_types=["product"])
    assert [h.id for h in only_products] == ["product:FP-X-001"]
    assert index.get(["product:FP-X-001"])[0].score == 1.0
