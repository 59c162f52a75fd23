from assistant.answers import catalogue_answer
from assistant.knowledge import load_knowledge
from assistant.prompts import PromptLibrary
from assistant.settings import Settings

KB = load_knowledge(Settings().knowledge_dir)
WORDING = PromptLibrary(Settings().prompts_dir).catalogue.wording()


def test_price_question_uses_catalogue_price() -> None:
    p = KB.products[0]
    assert p.price_text in catalogue_answer(p, "how much is it?", WORDING)


def test_variant_stock_exact() -> None:
    p = next(p for p in KB.products if any(v.stock == 0 and v.size for v in p.variants))
    sold_out = next(v for v in p.variants if v.stock == 0 and v.size)
    answer = catalogue_answer(p, f"do you have it in {sold_out.color} size {sold_out.size}?", WORDING)
    assert "out of stock" in answer
    in_stock = next(v for v in p.variants if v.stock > 0 and v.size)
    answer = catalogue_answer(p, f"is {in_stock.color} in size {in_stock.size} available?", WORDING)
    assert f"{in_stock.stock} in stock" in answer


def test_care_and_materials() -> None:
    p = KB.products[3]
    answer = catalogue_answer(p, "what is it made of and how do I wash it?", WORDING)
    assert p.materials[0] in answer and p.care in answer
