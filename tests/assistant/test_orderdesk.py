import pytest

from assistant.orderdesk import is_yes, parse_address


@pytest.mark.parametrize("text", ["yes", "Yes please", "ok, go ahead", "yes, do it!", "sure", "confirm"])
def test_explicit_yes(text: str) -> None:
    assert is_yes(text)


@pytest.mark.parametrize("text", ["no", "yes but change the size first", "hmm", "maybe", "why?", "yesterday", ""])
def test_anything_else_is_not_a_yes(text: str) -> None:
    assert not is_yes(text)


def test_reads_an_address_with_and_without_country() -> None:
    home = parse_address("please send it to Lindenallee 7, 20259 Hamburg")
    assert home is not None and (home.street, home.zip, home.city, home.country) == (
        "Lindenallee 7",
        "20259",
        "Hamburg",
        "DE",
    )
    vienna = parse_address("The new address is Lindengasse 51, 1110 Wien, Austria")
    assert vienna is not None and vienna.country == "AT" and vienna.zip == "1110"
    utrecht = parse_address("Julianalaan 107, 3571 ML Utrecht, Netherlands")
    assert utrecht is not None and utrecht.zip == "3571 ML"


def test_not_an_address() -> None:
    assert parse_address("my order is late") is None
    assert parse_address("Lindenallee 7, 20259 Hamburg, Atlantis") is None
