from decimal import Decimal

from assistant.knowledge import load_knowledge
from assistant.prompts import PromptLibrary
from assistant.recommend import Constraints, parse_constraints, product_kind, recommend, recommendation_text
from assistant.settings import REPO_ROOT

PRODUCTS = load_knowledge(REPO_ROOT / "knowledge").products
WORDING = PromptLibrary(REPO_ROOT / "prompts").catalogue.wording()


def test_reads_kind_price_gender_size_and_colour() -> None:
    wanted = parse_constraints("I need a waterproof jacket for women under €260, size M, ideally in Black", PRODUCTS)
    assert wanted.kinds == ["jacket"] and wanted.max_price == Decimal("260")
    assert (wanted.gender, wanted.size, wanted.color) == ("women", "M", "Black")
    assert parse_constraints("sleeping bags between 100 and 300 euros", PRODUCTS).min_price == Decimal("100")
    assert parse_constraints("hiking boots in size 43", PRODUCTS).kinds == ["boots"]
    assert product_kind(next(p for p in PRODUCTS if p.name.startswith("Kaffepause"))) == "mug"


def test_every_pick_satisfies_every_constraint_and_is_in_stock() -> None:
    for text in [
        "a jacket for women under 260 in size M",
        "hiking boots in size 43",
        "a backpack under 100",
        "a fleece in Black size XL",
        "trousers for men between 80 and 150 euros",
    ]:
        wanted = parse_constraints(text, PRODUCTS)
        picks = recommend(PRODUCTS, wanted, lambda p: float(p.price), text)
        assert 0 < len(picks) <= 3, text
        for pick in picks:
            p = pick.product
            assert wanted.max_price is None or p.price <= wanted.max_price
            assert wanted.min_price is None or p.price >= wanted.min_price
            assert wanted.gender is None or p.gender in (wanted.gender, "unisex")
            assert pick.variants and all(v.stock > 0 for v in pick.variants)
            assert all(wanted.size is None or v.size == wanted.size for v in pick.variants)
            assert wanted.kinds[0] in (product_kind(p), *p.category.split("-")) or wanted.kinds[0] in p.category


def test_out_of_stock_variants_are_never_offered() -> None:
    sula = next(p for p in PRODUCTS if p.name == "Sula Hardshell Jacket")
    empty = next(v for v in sula.variants if v.stock == 0)
    wanted = Constraints(kinds=["jacket"], color=empty.color, size=empty.size)
    picks = recommend([sula], wanted, lambda p: 1.0, "jacket")
    assert picks == []


def test_the_reply_names_price_stock_and_reason() -> None:
    wanted = parse_constraints("a jacket in size M under 300", PRODUCTS)
    picks = recommend(PRODUCTS, wanted, lambda p: 0.0, "a jacket in size M under 300")
    text = recommendation_text(picks, wanted, WORDING)
    assert "up to €300.00" in text and text.count("\n- ") == len(picks)
    assert all(pick.product.price_text in text and pick.reason in text for pick in picks)


def test_follow_ups_keep_the_earlier_constraints_until_another_kind() -> None:
    first = parse_constraints("a jacket for women under 260", PRODUCTS)
    then = parse_constraints("do you have it in size S?", PRODUCTS).merged(first)
    assert then.kinds == ["jacket"] and then.max_price == Decimal("260") and then.size == "S"
    other = parse_constraints("and boots?", PRODUCTS).merged(then)
    assert other.kinds == ["boots"] and other.max_price is None


def test_prices_in_any_currency_and_printed_in_the_shops() -> None:
    assert parse_constraints("a kettle under £40", PRODUCTS).max_price == Decimal("40")
    assert parse_constraints("a kettle under USD 45.50", PRODUCTS).max_price == Decimal("45.50")
    between = parse_constraints("a toaster between 20 and 50 pounds", PRODUCTS)
    assert (between.min_price, between.max_price) == (Decimal("20"), Decimal("50"))
    assert parse_constraints("headphones over 100 dollars", PRODUCTS).min_price == Decimal("100")
    assert parse_constraints("a blender from $30 GBP", PRODUCTS).min_price == Decimal("30")
    assert parse_constraints("a pan in M £", PRODUCTS).size is None  # "M £" is no size
    pound = PromptLibrary(REPO_ROOT / "prompts").catalogue.wording("£")
    wanted = Constraints(gender="women", max_price=Decimal("40"), size="M")
    assert wanted.describe(pound) == "for women, up to £40.00, in stock in M"
    assert wanted.describe(WORDING) == "for women, up to €40.00, in stock in M"
    assert Constraints(min_price=Decimal("20"), max_price=Decimal("50")).describe(pound) == "between £20 and £50"
    assert wanted.narrows and not Constraints(kinds=["kettle"]).narrows
