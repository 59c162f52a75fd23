from pathlib import Path

import pytest

from assistant.errors import PromptError
from assistant.prompts import PromptLibrary
from assistant.settings import Settings


def test_shipped_prompts_render() -> None:
    lib = PromptLibrary(Settings().prompts_dir)
    msgs = lib.reply.messages(shop_name="X", question="Q?", passages=[{"title": "T", "text": "fact 30 days"}])
    assert msgs[0]["role"] == "system" and "fact 30 days" in msgs[-1]["content"] and "Q?" in msgs[-1]["content"]
    assert "order" in lib.responses.render("ask_order_number", shop_name="X")
    assert lib.tag.startswith("reply@v")


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
