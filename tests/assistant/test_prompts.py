import ast
import re
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest

from assistant.errors import PromptError
from assistant.prompts import CATALOGUE_VARS, CatalogueEntry, PromptLibrary
from assistant.settings import REPO_ROOT, Settings
from assistant.shop.profile import load_profile


def test_shipped_prompts_render() -> None:
    lib = PromptLibrary(Settings().prompts_dir)
    msgs = lib.reply.messages(
        shop_name="X", shop_description="a shop", question="Q?", passages=[{"title": "T", "text": "fact 30 days"}]
    )
    assert msgs[0]["role"] == "system" and "fact 30 days" in msgs[-1]["content"] and "Q?" in msgs[-1]["content"]
    assert "order" in lib.responses.render("ask_order_number", shop_name="X")
    assert lib.tag.startswith("reply@v")
    shop = PromptLibrary(Settings().prompts_dir, load_profile(Settings().knowledge_dir))
    system = shop.reply.messages(question="Q?", passages=[])[0]["content"]
    assert "Fjord & Pine, an online shop for outdoor clothing" in system  # the name and description from shop.yaml


def _copy(tmp_path: Path) -> Path:
    for f in Settings().prompts_dir.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    return tmp_path


def test_unknown_variable_is_reported(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "reply.yaml"
    path.write_text(path.read_text().replace("{{ question }}", "{{ questoin }}"))
    with pytest.raises(PromptError, match="questoin"):
        PromptLibrary(folder)


def test_missing_entry_and_bad_syntax(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "responses.yaml"
    text = path.read_text()
    path.write_text("\n".join(line for line in text.splitlines() if not line.strip().startswith("greeting:")))
    with pytest.raises(PromptError, match="greeting"):
        PromptLibrary(folder)
    path.write_text(text.replace("{{ shop_name }}", "{{ shop_name ", 1))
    with pytest.raises(PromptError, match="line"):
        PromptLibrary(folder)


def test_the_catalogue_wording_loads_and_prints_the_shops_currency() -> None:
    lib = PromptLibrary(Settings().prompts_dir)
    euro, pound = lib.catalogue.wording(), lib.catalogue.wording("£")
    assert euro.say("price", product="Kilde Bottle", price="€24.00") == "The Kilde Bottle costs €24.00."
    assert euro.join(["Black", "Navy", "Olive"]) == "Black, Navy and Olive" and euro.join(["Black"]) == "Black"
    assert euro.money(Decimal("260")) == "€260.00" and pound.money(Decimal("260"), places=0) == "£260"
    assert lib.tag.startswith("reply@v")
    shop = PromptLibrary(Settings().prompts_dir, load_profile(Settings().knowledge_dir))
    system = shop.reply.messages(question="Q?", passages=[])[0]["content"]
    assert "Fjord & Pine, an online shop for outdoor clothing" in system  # the name and description from shop.yaml


def test_a_misspelt_catalogue_variable_names_the_file_and_entry(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "catalogue.yaml"
    text = path.read_text()
    path.write_text(text.replace("{{ grams }}", "{{ gramms }}"))
    with pytest.raises(PromptError, match=r"catalogue\.yaml: entry 'weight' uses unknown variable\(s\) gramms"):
        PromptLibrary(folder)
    path.write_text("\n".join(line for line in text.splitlines() if not line.strip().startswith("price_from:")))
    with pytest.raises(PromptError, match=r"catalogue\.yaml: missing entries price_from"):
        PromptLibrary(folder)
    path.write_text(text.replace("  care:", "  caer:"))
    with pytest.raises(PromptError, match=r"catalogue\.yaml: missing entries care"):
        PromptLibrary(folder)


def test_every_catalogue_entry_the_code_may_ask_for_is_checked_at_load() -> None:
    assert set(get_args(CatalogueEntry)) == set(CATALOGUE_VARS)


_REGEX = re.compile(r"\\[bBswdS]|\(\?|\[\^?\\?[\w'’]")
"""A pattern, not a sentence: its words are what a customer may write, not what they read."""
_WORDING = re.compile(r"[A-Za-z][^\w\s{}]*\s|\s[A-Za-z]|[€£$]|[A-Z][a-z']*(?: [\w'’,;:()-]+){3,}[.?!]")
"""A word beside a space (" is available in ", "Sold out: ", "size "), a currency sign, or a whole sentence."""


def _customer_text(source: str) -> list[str]:
    """The string constants and f-string pieces of ``source`` that read as wording; docstrings and regexes aside."""
    tree = ast.parse(source)
    docs = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    docs |= {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}  # seen whole
    found = []
    for node in ast.walk(tree):
        if id(node) in docs:
            continue
        if isinstance(node, ast.JoinedStr):
            pieces = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            pieces = [node.value]
        else:
            continue
        if not any(_REGEX.search(piece) for piece in pieces):
            found += [piece for piece in pieces if _WORDING.search(piece)]
    return found


def test_the_catalogue_answers_write_no_sentence_in_python() -> None:
    sorry = _customer_text('x = f"Sorry, the {p} is currently out of stock."')
    assert sorry == ["Sorry, the ", " is currently out of stock."]
    assert _customer_text('def f():\n    """It weighs nothing."""\n    return f"{w:,}"') == []
    assert _customer_text('x = f"up to €{m:.2f}"; y = "Sold out: "; z = re.compile(r"\\b(in stock|sold out)")') == [
        "up to €",
        "Sold out: ",
    ]
    for module in ("answers.py", "recommend.py", "facts.py"):
        left = _customer_text((REPO_ROOT / "assistant" / module).read_text(encoding="utf-8"))
        assert not left, f"assistant/{module} says {left!r}: move it to prompts/catalogue.yaml"
