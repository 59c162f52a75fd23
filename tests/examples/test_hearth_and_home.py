"""The second example shop (docs/examples/hearth-and-home) runs with no code change: its own knowledge, shop.yaml,
export and conversations, through the same assistant and the same conversation runner as the demo shop."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT, Settings
from assistant.shop.profile import load_profile
from finetune.conversations import ConversationRunner, StartingShop, load_conversations

SHOP = REPO_ROOT / "docs" / "examples" / "hearth-and-home"
CONVERSATIONS = load_conversations(SHOP / "conversations")


def test_the_example_is_another_kind_of_shop() -> None:
    demo, other = load_profile(REPO_ROOT / "knowledge"), load_profile(SHOP)
    assert (other.currency, other.returns.window_days, other.orders.change_window) == ("GBP", 14, None)
    assert other.currency != demo.currency and other.returns.window_days != demo.returns.window_days
    carriers = {r.carrier for r in other.shipping.regions.values()}
    assert carriers.isdisjoint({r.carrier for r in demo.shipping.regions.values()})
    assert len(CONVERSATIONS) >= 15


@pytest.fixture(scope="module")
def runner(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConversationRunner]:
    """An installation of the example shop: the shared models, its own index, its own shop export."""
    from assistant.dialogue import Assistant

    data = tmp_path_factory.mktemp("hearth-and-home")
    (data / "models").symlink_to(shared_models / "models", target_is_directory=True)
    env = {**os.environ, "SHOP_DATA_DIR": str(data), "SHOP_KNOWLEDGE_DIR": str(SHOP)}
    subprocess.run([sys.executable, "-m", "assistant", "kb", "sync"], check=True, cwd=REPO_ROOT, env=env)
    bot = Assistant.load(Settings(data_dir=data, knowledge_dir=SHOP))
    assert bot.profile.name == "Hearth & Home"
    shop = StartingShop.prepare(SHOP / "shop-export", SHOP, data / "shop")
    yield ConversationRunner(bot, shop, data / "shop")


@pytest.mark.integration
@pytest.mark.parametrize("key", sorted(CONVERSATIONS))
def test_conversation(runner: ConversationRunner, key: str) -> None:
    result = runner.run(key, CONVERSATIONS[key])
    assert not result.failed, "\n".join(result.failures())
