"""What the pages say (``prompts/pages.yaml``): filled with the shop's name, and a bad file named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import PromptError
from assistant.settings import Settings
from assistant.ui.wording import PAGES_FILE, load_page_wording


def _copy(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    text = (Settings().prompts_dir / PAGES_FILE).read_text(encoding="utf-8")
    if edit is not None:
        assert edit[0] in text
        text = text.replace(*edit)
    (tmp_path / PAGES_FILE).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_shipped_wording_names_the_shop() -> None:
    words = load_page_wording(Settings().prompts_dir, shop_name="Kettle & Co")
    assert words.chat_title == "Kettle & Co customer service" and words.lead_title == "Support lead · Kettle & Co"
    assert words.placeholder == "Type your message…" and "something went wrong" in words.sorry
    assert "{{" not in "".join(str(v) for v in words.model_dump().values())


def test_a_misspelt_entry_names_the_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, ("\nsend:", "\nsned:"))
    line = next(i for i, t in enumerate((folder / PAGES_FILE).read_text().splitlines(), 1) if t.startswith("sned:"))
    with pytest.raises(PromptError, match=rf"pages\.yaml:{line}: sned: Extra inputs are not permitted"):
        load_page_wording(folder, "Fjord & Pine")


def test_a_missing_entry_an_unknown_variable_and_a_missing_file_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"pages\.yaml: send: Field required"):
        load_page_wording(_copy(tmp_path, ('\nsend: "Send"', "")), "Fjord & Pine")
    with pytest.raises(PromptError, match=r"pages\.yaml:\d+: lead_title: 'shop' is undefined"):
        load_page_wording(_copy(tmp_path, ("· {{ shop_name }}", "· {{ shop }}")), "Fjord & Pine")
    with pytest.raises(PromptError, match="cannot read page wording"):
        load_page_wording(tmp_path / "nowhere", "Fjord & Pine")
