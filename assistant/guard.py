"""Recognise prompt-injection attempts before any other stage sees them.

A second line of defence beside the classifier's out_of_scope class: messages that
try to override the assistant's instructions ("ignore your rules and ...") get the
out-of-scope reply even when the rest of the message looks like a shop request.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(ignore|disregard|forget|override|bypass)\b[^.?!]{0,40}\b(rules|instructions|guidelines|policy|policies|prompt|restrictions|programming)\b",
    r"\b(system|developer|hidden|initial)\s+(prompt|message|instructions)\b",
    r"\byou\s+are\s+now\s+(a|an|my|the|in|dan|no\s+longer|free|unrestricted)\b",
    r"\b(jailbreak|developer\s+mode|do\s+anything\s+now)\b",
    r"\bpretend\s+(to\s+be|you\s*(are|'re))\b",
    r"\bact\s+as\s+(an?\s+)?(unrestricted|unfiltered|evil|different)\b",
    r"</?\s*(system|assistant|user|instructions?)\s*>",
    r"\bnew\s+(rule|policy|instructions?)\s*:",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I)


def is_injection(text: str) -> bool:
    """True when the message tries to change the assistant's instructions."""
    return _INJECTION.search(text) is not None
