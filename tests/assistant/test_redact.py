"""Personal data is redacted from exports and training sets: one test per kind, and what must stay."""

from __future__ import annotations

import pytest

from assistant.redact import redact


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my email is k.larsen@example.org, thanks", "email"),
        ("write to anna-maria+shop@mail.example.co.uk", "email"),
        ("call me on +49 151 23456789 please", "phone"),
        ("my number is 040 1234 5678", "phone"),
        ("0049 30 1234567", "phone"),
        ("card 4111 1111 1111 1111 was charged twice", "card"),
        ("my card 5555-5555-5555-4444 got declined", "card"),
        ("send it to Birkenweg 5, 80331 Munich", "address"),
        ("I moved to Hauptstraße 12a", "address"),
        ("deliver to 221B Baker Street, London", "address"),
        ("new address: Karl Johans gate 22, Oslo", "address"),
    ],
)
def test_each_kind_is_replaced(text: str, kind: str) -> None:
    result = redact(text)
    assert result.found.get(kind) == 1, result
    assert f"[{kind}]" in result.text


@pytest.mark.parametrize(
    "text",
    [
        "where is order 104233?",  # order numbers are not personal
        "the jacket costs €249.00 and shipping 7.95",
        "is FP-JKT-001 in stock in size 42",
        "I have 30 days to return it, right?",
        "1234 5678 9012 3456 is not a valid card number",  # fails the Luhn check
        "I walked 5 km down the road yesterday",
    ],
)
def test_what_is_not_personal_stays(text: str) -> None:
    assert redact(text).text == text


def test_several_kinds_in_one_message() -> None:
    result = redact("I'm j.doe@example.com, +44 20 7946 0958, Birkenweg 5")
    assert result.found == {"email": 1, "phone": 1, "address": 1}
    assert result.text == "I'm [email], [phone], [address]"
