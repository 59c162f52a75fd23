"""Reading a customer's order details from what they type: email, name, zip code, address, item changes, a yes.

Pure functions on text (and the order it is about); the order desk (:mod:`assistant.shop.desk`) decides what to do
with what they find.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.shop.plans import ItemChange
from assistant.shop.records import Address, Order
from assistant.shop.store import ShopDB

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|y|sure|ok|okay|correct|confirm(ed)?|go ahead|please do|do it|ja)\b[\s,.!]*"
    r"(please)?[\s,]*(go ahead|do it|do that|(cancel|change|return|exchange|send|swap) it|confirm(ed)?|thanks?( you)?|"
    r"that'?s (right|correct|fine))?[\s.!]*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_ZIP = re.compile(r"(?<![\d-])(\d{4}\s?[A-Z]{2}\b|\d{4,5})(?![\d])")
_NAME = re.compile(
    r"(?i:my name is|name is|name:|i am|i'm|this is)\s+([A-ZÄÖÜÅÆØ][\w'-]+(?:\s+[A-ZÄÖÜÅÆØ][\w'-]+){1,2})"
)
_CAPITAL_NAME = re.compile(
    r"^\s*([A-ZÄÖÜÅÆØ][\w'-]+(?:\s+(?:van|de|der|von)?\s*[A-ZÄÖÜÅÆØ][\w'-]+){1,2})\s*(?:[,;]|(?=\d))"
)
_ADDRESS = re.compile(
    r"(?P<street>[A-ZÄÖÜÅÆØa-zäöüß][\wäöüßÄÖÜ.'\- ]*?\s\d+\s?[a-zA-Z]?)\s*,\s*"
    r"(?P<zip>\d{4}\s?[A-Z]{2}\b|\d{4,5})\s+(?P<city>[A-ZÄÖÜÅÆØ][\wäöüß\- ]*?)"
    r"(?:\s*,\s*(?P<country>[A-Za-z ]+?))?(?:\s+(?:instead|please|pls|thanks|thank you))*\s*[.!]?\s*$"
)
_COUNTRIES = {
    "germany": "DE",
    "deutschland": "DE",
    "austria": "AT",
    "switzerland": "CH",
    "netherlands": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "denmark": "DK",
    "sweden": "SE",
    "norway": "NO",
    "finland": "FI",
    "france": "FR",
    "italy": "IT",
    "spain": "ES",
    "poland": "PL",
    "luxembourg": "LU",
}
_SIZES = re.compile(r"\b(?:size\s+)?(XXS|XS|S|M|L|XL|XXL|3XL|\d{2}(?:[.,]5)?)\b(?!\s*(?:%|eur|€|days))")
_QUANTITY = re.compile(
    r"\b(?:quantity|qty|only|just)\s*(?:to|of)?\s*(\d{1,2})\b|\b(\d{1,2})\s*(?:x|pieces|pairs|of them)\b"
)
_REMOVE = re.compile(r"\b(remove|delete|take out|drop)\b", re.IGNORECASE)
_EXCHANGE = re.compile(r"\b(exchange|swap|replace|different size|other size|bigger|smaller)\b", re.IGNORECASE)


def is_yes(message: str) -> bool:
    """An explicit yes ("yes", "yes please", "ok, go ahead"); "yes but…" or anything else is not."""
    return bool(_YES.match(message))


def parse_address(text: str, home: str | None) -> Address | None:
    """'Lindenallee 7, 20259 Hamburg' (optionally ', Germany') as an address; None when it is not one.

    Args:
        text: What the customer wrote.
        home: The country code of an address that names none (the shop's own country); None: one must be named.
    """
    text = re.sub(r"^.*?\b(?:to|is|address:?)\s+(?=[A-ZÄÖÜ])", "", text.strip())
    found = _ADDRESS.search(text)
    if not found:
        return None
    country = (found.group("country") or "").strip().lower()
    code = _COUNTRIES.get(country, country.upper() if len(country) == 2 else None) if country else home
    if code is None:
        return None
    try:
        return Address(
            street=found.group("street").strip(), zip=found.group("zip"), city=found.group("city").strip(), country=code
        )
    except ValueError:
        return None


def parse_change(message: str, order: Order, db: ShopDB, before: ItemChange | None) -> ItemChange | None:
    """The item (line) and its new colour, size or quantity the message asks for, merged with what was said before."""
    line = mentioned_line(message, order) or (before.line if before else None)
    if line is None and len(order.items) == 1:
        line = order.items[0].line
    if line is None:
        return None
    item = next(i for i in order.items if i.line == line)
    change = before.model_copy() if before and before.line == line else ItemChange(line=line)
    lowered = message.lower()
    for variant in db.variants(item.sku):
        if variant.color.lower() in lowered and variant.color.lower() != item.color.lower():
            change.color = variant.color
    sizes = [m.group(1) for m in _SIZES.finditer(message)]
    known = {(v.size or "").upper() for v in db.variants(item.sku)}
    sizes = [s for s in sizes if s.upper() in known and s.upper() != (item.size or "").upper()]
    if sizes:
        change.size = sizes[-1].upper()
    if _REMOVE.search(message):
        change.quantity = 0
    elif quantity := _QUANTITY.search(message):
        change.quantity = int(quantity.group(1) or quantity.group(2))
    return change


def is_complete(change: ItemChange) -> bool:
    return change.color is not None or change.size is not None or change.quantity is not None


def mentioned_line(message: str, order: Order) -> int | None:
    lowered = message.lower()
    for item in order.items:
        words = [w for w in re.findall(r"[a-zäöüß]+", item.name.lower()) if len(w) > 3]
        if item.sku.lower() in lowered or (words and any(w in lowered for w in words)):
            return item.line
    if found := re.search(r"\b(?:item|line)\s*(\d)\b", lowered):
        number = int(found.group(1))
        return number if any(i.line == number for i in order.items) else None
    return None


def reason_given(messages: list[str]) -> str:
    """The customer's reason ("… because I found it cheaper"), from the first message of the task that gives one."""
    for message in messages:
        found = re.search(r"\b(?:because|as|since|reason:?)\s+(.{3,120})$", message, re.IGNORECASE)
        if found:
            return found.group(1).strip(" .!")
    return ""


_ASKS_FOR_PERSON = re.compile(r"\b(person|human|agent|someone|somebody|colleague|staff|manager|real)\b", re.I)


def asks_for_person(message: str) -> bool:
    """The message asks for a person ("a real human please")."""
    return bool(_ASKS_FOR_PERSON.search(message))


def asks_for_exchange(message: str) -> bool:
    """The return the message asks for is an exchange ("swap it for a bigger size")."""
    return bool(_EXCHANGE.search(message))


def find_email(text: str) -> str | None:
    found = _EMAIL.search(text)
    return found.group(0).lower() if found else None


def without_emails(text: str) -> str:
    return _EMAIL.sub(" ", text)


def find_name(text: str) -> str | None:
    """ "My name is Lena Hoffmann", or a capitalised name before a comma or a number ("Lena Hoffmann, 20259")."""
    found = _NAME.search(text) or _CAPITAL_NAME.search(text)
    return found.group(1) if found else None


def find_zip(text: str, pattern: str | None = None) -> str | None:
    """The postcode in ``text``: of the shop's form (``shop.yaml``: ``postcodes.pattern``) when given."""
    found = (_postcode(pattern) if pattern else _ZIP).search(text)
    return found.group(1) if found else None


@lru_cache(maxsize=8)
def _postcode(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\d-])({pattern})(?![\d])")
