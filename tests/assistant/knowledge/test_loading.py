from pathlib import Path

from assistant.knowledge import load_knowledge
from assistant.settings import Settings

GOOD_FAQ = """---
id: ok-entry
title: A fine entry
type: faq
topic: returns
---
Returns are accepted within 30 days of delivery.
"""


def test_shipped_knowledge_loads_cleanly() -> None:
    kb = load_knowledge(Settings().knowledge_dir)
    assert kb.problems == []
    assert len(kb.products) >= 60
    assert len(kb.articles) >= 40
    assert {a.topic for a in kb.articles} >= {"shipping", "returns", "refunds", "payment", "warranty", "contact"}
    product = kb.products[0]
    assert product.variants and product.materials and product.care and product.price > 0


def test_every_passage_has_unique_id_and_metadata() -> None:
    passages = load_knowledge(Settings().knowledge_dir).passages()
    ids = [p.id for p in passages]
    assert len(ids) == len(set(ids))
    assert {p.doc_type for p in passages} == {"product", "faq", "policy"}
    assert all(p.sku for p in passages if p.doc_type == "product")


def _make(tmp_path: Path) -> Path:
    (tmp_path / "faq").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "faq" / "ok-entry.md").write_text(GOOD_FAQ)
    return tmp_path


def test_broken_yaml_names_file_and_line_and_rest_loads(tmp_path: Path) -> None:
    root = _make(tmp_path)
    (root / "catalogue" / "hats.yaml").write_text(
        "category: hats\nproducts:\n  - sku: FP-HAT-001\n    name: [unclosed\n"
    )
    kb = load_knowledge(root)
    assert [a.id for a in kb.articles] == ["ok-entry"]
    (problem,) = kb.problems
    assert problem.file == "catalogue/hats.yaml" and problem.line is not None and problem.line >= 4
    assert "invalid YAML" in str(problem)


def test_invalid_field_names_field_and_line(tmp_path: Path) -> None:
    root = _make(tmp_path)
    good = Settings().knowledge_dir / "catalogue"
    text = next(good.glob("*.yaml")).read_text()
    bad = text.replace("price:", "price: -5 #", 1)
    (root / "catalogue" / "jackets.yaml").write_text(bad)
    kb = load_knowledge(root)
    (problem,) = kb.problems
    assert "price" in problem.message and problem.line is not None
    assert text.splitlines()[problem.line - 1].strip().startswith("price:")
    assert len(kb.products) >= 6  # the other products of the file still load


def test_faq_without_front_matter_and_binary_file(tmp_path: Path) -> None:
    root = _make(tmp_path)
    (root / "faq" / "plain.md").write_text("Just text, no front matter\n")
    (root / "faq" / "blob.md").write_bytes(b"\x89PNG\x00\x00\x01binary")
    (root / "policies" / "bad-topic.md").write_text(
        GOOD_FAQ.replace("id: ok-entry", "id: bad-topic")
        .replace("topic: returns", "topic: astrology")
        .replace("type: faq", "type: policy")
    )
    kb = load_knowledge(root)
    messages = {p.file: p.message for p in kb.problems}
    assert "front matter" in messages["faq/plain.md"]
    assert "binary" in messages["faq/blob.md"]
    assert "topic" in messages["policies/bad-topic.md"]
    assert [a.id for a in kb.articles] == ["ok-entry"]


def test_policy_split_into_sections(tmp_path: Path) -> None:
    root = _make(tmp_path)
    (root / "policies" / "p.md").write_text(
        "---\nid: p\ntitle: Shipping policy\ntype: policy\ntopic: shipping\n---\n"
        "## Germany\nDHL, 2 days.\n## UK\nDHL, 5 days.\n"
    )
    passages = [p for p in load_knowledge(root).passages() if p.doc_type == "policy" and not p.parent]
    assert [p.title for p in passages] == ["Shipping policy: Germany", "Shipping policy: UK"]
    assert "5 days" in passages[1].text and "2 days" not in passages[1].text


def test_customer_wordings_point_to_their_entry_or_section(tmp_path: Path) -> None:
    root = _make(tmp_path)
    (root / "policies" / "p.md").write_text(
        "---\nid: p\ntitle: Shipping policy\ntype: policy\ntopic: shipping\n"
        "also_asked:\n  UK:\n    - how long to london\n---\n"
        "## Germany\nDHL, 2 days.\n## UK\nDHL, 5 days.\n"
    )
    (root / "policies" / "q.md").write_text(
        "---\nid: q\ntitle: Returns policy\ntype: policy\ntopic: returns\n"
        "also_asked:\n  Spain:\n    - devolver\n---\n## Germany\nFree returns.\n"
    )
    kb = load_knowledge(root)
    asked = {p.text: p.parent for p in kb.passages() if p.parent}
    assert asked["how long to london"] == "policy:p#1" and asked["Shipping policy"] == "policy:p#0"
    assert any("policies/q.md" in str(problem) and "'Spain'" in str(problem) for problem in kb.problems)
