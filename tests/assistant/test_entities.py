import pytest

from assistant.entities import extract, mentioned_products, order_numbers
from assistant.knowledge import load_knowledge
from assistant.settings import Settings

KB = load_knowledge(Settings().knowledge_dir)


def test_order_numbers() -> None:
    assert order_numbers("Where is my order 1234?") == ["1234"]
    assert order_numbers("order #104233 is late") == ["104233"]
    assert order_numbers("it's 104233, placed on 12.03.") == ["104233"]
    assert order_numbers("the jacket costs 249.00") == []


def test_products_named_with_or_without_accents() -> None:
    tromso = next((p for p in KB.products if "ø" in p.name), None)
    assert tromso is not None
    plain = tromso.name.replace("ø", "o").lower()
    assert mentioned_products(f"is the {plain} warm?", KB.products)[0].sku == tromso.sku
    fjell = next(p for p in KB.products if p.name.startswith("Fjell"))
    assert extract("does the fjell jacket come in blue", KB.products).skus[0] == fjell.sku
    assert mentioned_products("what is your return policy", KB.products) == []


def test_phones_amounts_and_emails() -> None:
    e = extract("I'm anna.schmidt@example.com, call +49 151 23456789 about order 104233, I paid €49,90 not 59 euros")
    assert e.emails == ["anna.schmidt@example.com"]
    assert e.phones == ["+49 151 23456789"]
    assert e.order_numbers == ["104233"]
    assert e.amounts == ["49.90", "59"]
    assert extract("ring me on 040 1234 5678").phones == ["040 1234 5678"]
    assert extract("size 42 in black").amounts == [] and extract("size 42 in black").phones == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("How heavy is the Fjelro 2?", "Fjellro 2 Tunnel Tent"),
        ("Which length of the Polar natt bag fits me?", "Polarnatt Winter Down Sleeping Bag"),
        ("Are the Jotunheimn boots waterproof?", "Jotunheimen Leather Hiking Boots"),
    ],
)
def test_a_misspelt_or_split_product_name_still_names_it(text: str, name: str) -> None:
    assert [p.name for p in mentioned_products(text, KB.products)][:1] == [name]


def test_english_words_near_a_product_name_do_not_name_it() -> None:
    assert mentioned_products("I want to return my jacket, is that possible?", KB.products) == []


def test_a_shop_names_the_form_of_its_own_order_numbers() -> None:
    assert order_numbers("it's 310240") == []  # not the demo shop's form: only with "order" before it
    assert order_numbers("it's 310240", bare=r"3\d{5}") == ["310240"]
    assert extract("it's 310240, thanks", bare_order=r"3\d{5}").order_numbers == ["310240"]
    assert order_numbers("order 310240") == ["310240"]
