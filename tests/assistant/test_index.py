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


def test_a_damaged_index_is_found_refused_and_rebuilt(knowledge_index: Path, tmp_path: Path) -> None:
    """A vector file cut to a third of its size: ``kb check`` says so, ``prepare``'s sync rebuilds it."""
    import shutil

    from typer.testing import CliRunner

    from assistant.cli import app
    from assistant.knowledge import load_knowledge
    from assistant.prepare import sync_knowledge
    from assistant.settings import REPO_ROOT, Settings

    settings = Settings(data_dir=tmp_path)
    shutil.copytree(knowledge_index, settings.chroma_dir)
    passages = load_knowledge(REPO_ROOT / "knowledge").passages()
    # no check before the cut: Chroma keeps an index it has read in memory for the rest of the process
    vectors = max(settings.chroma_dir.glob("*/data_level0.bin"), key=lambda f: f.stat().st_size)
    vectors.write_bytes(vectors.read_bytes()[: vectors.stat().st_size // 3])

    health = KnowledgeIndex(settings.chroma_dir).check(passages)
    assert health.damaged and not health.ok
    checked = CliRunner().invoke(app, ["kb", "check"], env={"SHOP_DATA_DIR": str(tmp_path)})
    assert checked.exit_code == 1 and "kb sync --rebuild" in checked.output and "Traceback" not in checked.output

    report, _ = sync_knowledge(settings, progress=False)  # what prepare (make run) does at start-up
    assert len(report.added) == len(passages)
    again = KnowledgeIndex(settings.chroma_dir)
    assert again.check(passages).ok
    assert again.query("How long do I have to return an item?", k=1)[0].topic == "returns"
