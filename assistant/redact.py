"""Personal data out of exported and training text: emails, phone numbers, card numbers, street addresses.

Each kind is replaced by a placeholder (``[email]``, ``[phone]``, ``[card]``, ``[address]``)
so a sentence keeps its shape for training while the customer's data stays in the
turn log only. Order numbers (six digits), prices and SKUs are not personal and stay.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d{1,3}[\s/-]?(?:\(0\))?\d{2,5}(?:[\s/-]?\d{2,8}){1,3}\b"  # +49 151 23456789
    r"|(?<![\w+])0\d{2,5}[\s/-]?\d{3,8}(?:[\s-]?\d{2,6})?\b"  # 040 1234 5678, 015123456789
)
_STREET_WORDS = (
    r"stra(?:ss|ß)e|str\.|weg|gasse|allee|platz|ring|damm|ufer|"
    r"street|st\.|road|rd\.|avenue|ave\.|lane|drive|way|gate|gata|gatan|vej|veien|vegen"
)
# names are capitalised; the street word may be either case ("Karl Johans gate", "Baker Street")
_ADDRESS = re.compile(
    rf"\b[A-ZÄÖÜÆØÅ][\wäöüßæøå-]*(?i:{_STREET_WORDS})\s+\d+\s?[a-zA-Z]?\b"  # Birkenweg 5, Hauptstraße 12a
    rf"|\b[A-ZÄÖÜÆØÅ][\wäöüßæøå-]+\s+(?i:{_STREET_WORDS})\s+\d+\s?[a-zA-Z]?\b"  # Karl Johans gate 22
    rf"|\b\d+[a-zA-Z]?\s+(?:[A-Z][\w-]+\s+){{1,3}}(?i:{_STREET_WORDS})\b"  # 221B Baker Street
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class Redaction(BaseModel):
    text: str
    found: dict[str, int] = {}


def redact(text: str) -> Redaction:
    """The text with personal data replaced, and how many of each kind were found."""
    found: dict[str, int] = {}

    def sub(kind: str, pattern: re.Pattern[str], value: str, check: object = None) -> str:
        def repl(m: re.Match[str]) -> str:
            if callable(check) and not check(m.group(0)):
                return m.group(0)
            found[kind] = found.get(kind, 0) + 1
            return f"[{kind}]"

        return pattern.sub(repl, value)

    text = sub("email", _EMAIL, text)
    text = sub("card", _CARD, text, lambda s: _luhn(re.sub(r"\D", "", s)))
    text = sub("phone", _PHONE, text)
    text = sub("address", _ADDRESS, text)
    return Redaction(text=text, found=found)
