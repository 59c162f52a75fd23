"""Check that a generated reply states no fact its context does not contain.

Facts checked: numbers (prices, amounts, percentages, days, hours, order numbers),
SKUs and email addresses. A number counts as supported when the same value
appears anywhere in the context, the catalogue facts or the conversation.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:[.,\s]\d{3})*(?:[.,]\d+)?(?![\w])|\d+")
_SKU = re.compile(r"\b[A-Z]{2}-[A-Z]{2,4}-\d{2,4}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


class Verdict(BaseModel):
    """Whether every checked fact of the reply is supported, and which are not."""

    supported: bool
    unsupported: list[str] = []
    checked: int = 0


def _numbers(text: str) -> set[str]:
    out = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(" ", "").replace(",", ".")
        if value.count(".") > 1:  # 1.234.567 thousands separators
            value = value.replace(".", "")
        try:
            num = float(value)
        except ValueError:
            continue
        out.add(f"{num:g}")
    return out


def check(reply: str, context: str) -> Verdict:
    unsupported: list[str] = []
    checked = 0
    for pattern in (_EMAIL, _SKU):
        known = {m.lower() for m in pattern.findall(context)}
        found = pattern.findall(reply)
        checked += len(found)
        unsupported += [m for m in found if m.lower() not in known]
        reply, context = pattern.sub(" ", reply), pattern.sub(" ", context)
    numbers = _numbers(reply)
    known_numbers = _numbers(context)
    unsupported += sorted(n for n in numbers if n not in known_numbers)
    return Verdict(supported=not unsupported, unsupported=unsupported, checked=checked + len(numbers))
