"""Intent examples with slots for the shop's own words, filled from the catalogue of the shop being trained."""

from pathlib import Path

import pytest
import yaml

from assistant.errors import AssistantError
from assistant.settings import REPO_ROOT, Settings
from finetune.intent_data import load_examples
from finetune.intent_slots import SLOT, ShopSlots, shop_slots, slot_product

SECOND_SHOP = REPO_ROOT / "docs" / "examples" / "hearth-and-home"


def test_a_product_name_gives_its_short_form_and_what_it_is() -> None:
    jacket = slot_product("Fjell Hardshell Jacket")
    assert (jacket.short, jacket.item, jacket.items) == ("Fjell jacket", "jacket", "jackets")
    tin = slot_product("Hollis 2 lb Loaf Tin")  # the size is no part of what it is; "tin" alone says too little
    assert (tin.short, tin.item, tin.items) == ("Hollis loaf tin", "loaf tin", "loaf tins")
    assert slot_product("Bramble Stoneware Pie Dish").items == "pie dishes"
    assert slot_product("Jotunheimen Leather Hiking Boots").items == "boots"


def test_fill_is_deterministic_and_the_item_is_the_named_product() -> None:
    slots = ShopSlots.of("Acme", ["Zork Widget", "Quux Gadget", "Blorp Gizmo"])
    text = "Dear {shop} team, I ordered the {product} and a {item2}; my wife bought the same {item}."
    filled = slots.fill(text)
    assert filled == slots.fill(text) and not SLOT.search(filled) and filled.startswith("Dear Acme team")
    first = next(p for p in slots.products if p.name.split()[0].lower() in filled.lower().split("ordered the ")[1])
    assert filled.endswith(f"the same {first.item}.")
    second = filled.split(" and a ")[1].split(";")[0]
    assert second != first.item and second in {p.item for p in slots.products}
    assert slots.fill("no slot here {not one}") == "no slot here {not one}"


def test_an_example_with_a_slot_needs_a_shop(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text('intent: cancel_order\nexamples:\n  - "cancel the {product} please"\n')
    with pytest.raises(AssistantError, match=r"x.yaml: .*has a slot"):
        load_examples(path)
    with pytest.raises(AssistantError, match="catalogue has none"):
        load_examples(path, ShopSlots.of("Acme", []))
    assert load_examples(path, ShopSlots.of("Acme", ["Zork Widget"]))[0].text in {
        "cancel the Zork Widget please",
        "cancel the Zork widget please",
        "cancel the zork widget please",
    }


def _demo_names() -> set[str]:
    """The demo shop's own words: its name and the first word of every product ("Fjell", "Vidda")."""
    names = {"fjord", "pine"}
    for path in (REPO_ROOT / "knowledge" / "catalogue").glob("*.yaml"):
        names |= {p["name"].split()[0].lower() for p in yaml.safe_load(path.read_text(encoding="utf-8"))["products"]}
    return names - PLACES


# words that name products of the demo shop and also the places customers write about (a trip to Bergen)
PLACES = {"bergen", "tromsø", "lofoten", "troll"}


def test_the_taxonomy_examples_name_no_product_of_the_demo_shop() -> None:
    taxonomy = yaml.safe_load(Settings().taxonomy_file.read_text(encoding="utf-8"))
    names = _demo_names() | {"jacket", "boots", "tent", "socks", "fleece", "hiker", "sleeping"}
    named = [x for spec in taxonomy["intents"].values() for x in spec["examples"] if names & set(x.lower().split())]
    assert named == []


def test_training_sees_an_example_that_names_a_product_with_two_products(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text('intent: cancel_order\nexamples:\n  - "cancel the {product} please"\n  - "cancel my order"\n')
    slots = ShopSlots.of("Acme", ["Zork Widget", "Quux Gadget", "Blorp Gizmo", "Frob Doohickey"])
    once = load_examples(path, slots)
    twice = load_examples(path, slots.model_copy(update={"fills": 2}))
    assert len(once) == 2 and len(twice) == 3 and twice[0].text == once[0].text  # the first copy is the usual fill
    assert twice[1].text != twice[0].text and twice[2].text == "cancel my order"


def test_a_knowledge_folder_supplies_its_name_and_products() -> None:
    slots = shop_slots(SECOND_SHOP)
    assert slots.shop == "Hearth & Home" and len(slots.products) >= 30
    assert "Hollis loaf tin" in {p.short for p in slots.products}
