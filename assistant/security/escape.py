"""Text a customer wrote, made safe to show inside Markdown: it reads as the same characters, and does nothing.

Gradio renders Markdown with HTML allowed (``<img src=...>`` would be fetched by the lead's browser) and
turns ``[text](url)``, ``![](url)`` and bare ``http://`` or ``www.`` addresses into live links and images.
:func:`literal` escapes HTML, the Markdown characters that format or link, and the two autolink patterns.
"""

from __future__ import annotations

import html
import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
_AUTOLINK = re.compile(r"(?i):(?=//)|(?<=\bwww)\.")


def literal(text: object) -> str:
    """``text`` as Markdown that shows exactly those characters, on one line, with no markup, link or image."""
    flat = " ".join(str(text if text is not None else "").split())
    escaped = _MARKDOWN.sub(r"\\\1", html.escape(flat, quote=True))
    return _AUTOLINK.sub(lambda m: "\\" + m.group(0), escaped)
