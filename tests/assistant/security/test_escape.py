import re

from assistant.security.escape import literal


def test_html_markdown_and_autolinks_lose_their_power() -> None:
    shown = literal('<img src="http://127.0.0.1:8999/x.png"> ![a](http://h/i.png) [b](http://h/l) www.h.example **c**')
    assert "<" not in shown and ">" not in shown
    assert not re.search(r"(?<!\\)[\[\]()!*]", shown)  # every bracket, bang and star escaped
    assert "http\\://" in shown and "www\\." in shown


def test_plain_text_reads_the_same() -> None:
    assert literal("Where is order 104233? It costs 49.90 EUR, reason: too small") == (
        "Where is order 104233? It costs 49.90 EUR, reason: too small"
    )
    assert literal("two\nlines") == "two lines" and literal(None) == ""
