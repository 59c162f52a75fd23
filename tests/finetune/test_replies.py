"""LoRA training of the reply model on real parts: a couple of steps, then the adapter is used and installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.generation import ReplyGenerator
from assistant.prepare import install_shipped_adapter
from assistant.registry import ModelCard, ModelRegistry
from assistant.settings import Settings
from finetune.replies import ReplyTrainArgs, train_replies


@pytest.fixture(scope="module")
def trained(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    data = tmp_path_factory.mktemp("replies")
    (data / "models").mkdir()
    (data / "models" / "smollm2-135m-instruct").symlink_to(shared_models / "models" / "smollm2-135m-instruct")
    settings = Settings(data_dir=data)
    folder = train_replies(ReplyTrainArgs(max_steps=1, batch_size=2, dev_fraction=0.01, max_length=512), settings)
    return settings, folder


@pytest.mark.integration
def test_training_registers_an_adapter_with_its_card(trained: tuple[Settings, Path]) -> None:
    settings, folder = trained
    assert ModelRegistry(settings.models_dir / "replies").active() == folder
    card = ModelCard.read(folder)
    assert card.kind == "reply-adapter" and card.base_model and card.data_hash
    assert card.extra["n_seed"] >= 800 and card.hyperparameters["rank"] == 8 and "train_loss" in card.metrics
    weights = folder / "adapter_model.safetensors"
    assert weights.is_file() and weights.stat().st_size < 10_000_000  # small enough to ship in git
    assert "python -m finetune replies" in (folder / "README.md").read_text()


@pytest.mark.integration
def test_the_adapter_is_merged_and_generates(trained: tuple[Settings, Path]) -> None:
    settings, folder = trained
    gen = ReplyGenerator(settings.lm_dir, adapter_dir=folder, max_new_tokens=8)
    out = gen.run([{"role": "user", "content": "Hello"}])
    assert out.completion_tokens > 0 and gen.adapter == folder.name


@pytest.mark.integration
def test_shipped_adapter_is_installed_once_and_kept(trained: tuple[Settings, Path], tmp_path: Path) -> None:
    _, folder = trained
    shipped = tmp_path / "shipped"
    shutil.copytree(folder, shipped)
    settings = Settings(data_dir=tmp_path / "data", shipped_adapter=shipped)
    version = install_shipped_adapter(settings)
    registry = ModelRegistry(settings.models_dir / "replies")
    assert version == ModelCard.read(folder).version and registry.active_version() == version
    assert (registry.active() / "adapter_model.safetensors").is_file()  # type: ignore[operator]
    assert install_shipped_adapter(settings) == version  # a second prepare changes nothing
    assert install_shipped_adapter(Settings(data_dir=tmp_path / "other", shipped_adapter=tmp_path / "none")) == ""


@pytest.mark.integration
def test_a_fresh_install_replies_with_the_shipped_adapter(shared_models: Path, tmp_path: Path) -> None:
    """The adapter in finetune/adapters/replies is installed by prepare and answers a grounded question."""
    from assistant.knowledge import load_knowledge
    from assistant.prompts import PromptLibrary
    from assistant.settings import REPO_ROOT
    from assistant.shop.profile import load_profile

    shipped = REPO_ROOT / "finetune" / "adapters" / "replies"
    card = ModelCard.read(shipped)
    assert card.kind == "reply-adapter" and card.metrics["evaluate_replies_lm"]
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "smollm2-135m-instruct").symlink_to(shared_models / "models" / "smollm2-135m-instruct")
    settings = Settings(data_dir=tmp_path)
    assert install_shipped_adapter(settings) == card.version
    active = ModelRegistry(settings.models_dir / "replies").active()
    assert active is not None
    gen = ReplyGenerator(settings.lm_dir, adapter_dir=active, max_new_tokens=48)
    passage = {p.id: p for p in load_knowledge(settings.knowledge_dir).passages()}["faq:shipping-costs"]
    messages = PromptLibrary(settings.prompts_dir, load_profile(settings.knowledge_dir)).reply.messages(
        question="How much is shipping to Austria?", passages=[passage]
    )
    reply = gen.run(messages)
    assert gen.adapter == card.version and "€7.95" in reply.text, reply.text  # Austria: other EU countries
