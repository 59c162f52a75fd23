"""Every conversation in tests/conversations passes on the real assistant, and the runner checks what it claims."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT
from finetune.conversations import (
    DEMO_MOMENT,
    Conversation,
    ConversationError,
    ConversationRunner,
    StartingShop,
    load_conversations,
)

FOLDER = REPO_ROOT / "tests" / "conversations"
CONVERSATIONS = load_conversations(FOLDER)
IMPORT_EXAMPLE = REPO_ROOT / "docs" / "examples" / "shop-import"
IMPORTED_CONVERSATIONS = load_conversations(IMPORT_EXAMPLE / "conversations")


def _runner(bot: object, shop: StartingShop, workdir: Path) -> ConversationRunner:
    return ConversationRunner(bot, shop, workdir)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo_runner(bot: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConversationRunner]:
    """The demo shop generated once at the fixed moment; each conversation gets its own copy."""
    folder = tmp_path_factory.mktemp("shop")
    yield _runner(bot, StartingShop.prepare(None, REPO_ROOT / "knowledge", folder), folder)


@pytest.fixture(scope="module")
def imported_runner(bot: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConversationRunner]:
    """A shop database imported from the example shop export (the demo shop's knowledge answers the rest)."""
    folder = tmp_path_factory.mktemp("imported")
    yield _runner(bot, StartingShop.prepare(IMPORT_EXAMPLE, REPO_ROOT / "knowledge", folder), folder)


def test_there_are_enough_order_desk_conversations() -> None:
    assert sum(any(t.action for t in c.turns) for c in CONVERSATIONS.values()) >= 30


@pytest.mark.integration
@pytest.mark.parametrize("key", sorted(CONVERSATIONS))
def test_conversation(demo_runner: ConversationRunner, key: str) -> None:
    result = demo_runner.run(key, CONVERSATIONS[key])
    assert not result.failed, "\n".join(result.failures())


@pytest.mark.integration
@pytest.mark.parametrize("key", sorted(IMPORTED_CONVERSATIONS))
def test_conversation_on_an_imported_shop(imported_runner: ConversationRunner, key: str) -> None:
    result = imported_runner.run(key, IMPORTED_CONVERSATIONS[key])
    assert not result.failed, "\n".join(result.failures())


# --- the format fails loudly ---------------------------------------------------------------------------------------


def _folder(tmp_path: Path, text: str, name: str = "talk.yaml") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_a_misspelt_key_names_file_line_and_conversation(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        "conversations:\n  - name: fine\n    turns: [{say: hi}]\n"
        "  - name: cancel it\n    turns:\n      - say: cancel 104250\n        contians: [cancel]\n",
    )
    with pytest.raises(ConversationError) as err:
        load_conversations(folder)
    assert str(err.value).startswith(f"{folder / 'talk.yaml'}:4: conversation 'cancel it': turns.0.contians")


def test_an_unknown_entity_kind_desk_action_or_route_is_refused(tmp_path: Path) -> None:
    bad = ("{say: hi, entities: {order_number: ['1']}}", "{say: hi, action: cancelled}", "{say: hi, route: orders}")
    for turn in bad:
        with pytest.raises(ConversationError, match="conversation 'x'"):
            load_conversations(_folder(tmp_path, f"conversations:\n  - name: x\n    turns: [{turn}]\n"))


def test_a_name_used_twice_in_the_folder_is_refused(tmp_path: Path) -> None:
    _folder(tmp_path, "conversations:\n  - name: same\n    turns: [{say: hi}]\n", "a.yaml")
    _folder(tmp_path, "conversations:\n  - name: same\n    turns: [{say: hello}]\n", "b.yaml")
    with pytest.raises(ConversationError, match=r"b\.yaml:2: conversation 'same' is also in a\.yaml:2"):
        load_conversations(tmp_path)


def test_a_bare_yes_is_the_word_and_keys_are_file_and_name(tmp_path: Path) -> None:
    found = load_conversations(
        _folder(tmp_path, "conversations:\n  - name: agree\n    turns: [{say: yes}, {say: no}]\n")
    )
    assert list(found) == ["talk.yaml::agree"]
    assert [t.say for t in found["talk.yaml::agree"].turns] == ["yes", "no"]


def test_a_starting_shop_is_imported_once_and_each_copy_is_fresh(tmp_path: Path) -> None:
    import sqlite3

    shop = StartingShop.prepare(IMPORT_EXAMPLE, REPO_ROOT / "knowledge", tmp_path)
    first = shop.copy_to(tmp_path / "first.sqlite")
    with sqlite3.connect(first) as db:
        db.execute("UPDATE orders SET status = 'cancelled' WHERE id = 200001")
    again = StartingShop.prepare(shop.database, REPO_ROOT / "knowledge", tmp_path / "copied").copy_to(tmp_path / "b")
    for path in (shop.database, again):
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT status FROM orders WHERE id = 200001").fetchone() == ("delivered",)
    assert shop.now == DEMO_MOMENT


def test_a_missing_starting_shop_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConversationError, match=r"nowhere: no such shop database or export folder$"):
        StartingShop.prepare(tmp_path / "nowhere", REPO_ROOT / "knowledge", tmp_path)


def test_a_conversation_needs_a_turn() -> None:
    with pytest.raises(ValueError, match="turns"):
        Conversation(name="empty", turns=[])
