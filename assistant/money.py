"""How customers write an amount of money, in any currency a shop may sell in ("€50", "50 euros", "£40", "USD 30").

Patterns to build price rules with (case-insensitive): :data:`BEFORE` is the optional sign or code written before the
number, :data:`AFTER` the sign, code or word written after it, :data:`NAMED` any word that means money was named.
"""

from __future__ import annotations

SYMBOL = r"[€£$]"
CODE = r"(?:eur|gbp|usd)"
WORD = r"(?:euros?|pounds?|dollars?)"
BEFORE = rf"(?:{SYMBOL}|{CODE}\s*)?"
AFTER = rf"(?:{SYMBOL}|{CODE}|{WORD})"
NAMED = rf"{SYMBOL}|eur|euro|(?:gbp|usd|pounds?|dollars?)\b"
