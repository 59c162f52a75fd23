"""Training handed in: the CLI's trainers run the training package's commands; the runtime never imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.prepare import ensure_sentiment
from assistant.registry import ModelCard, ModelRegistry, file_hash
from assistant.settings import REPO_ROOT, Settings
from assistant.training import TrainingCommands


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_runtime_never_imports_the_training_package() -> None:
    offenders = [
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in sorted((REPO_ROOT / "assistant").rglob("*.py"))
        for name in sorted(_imports(path))
        if name == "finetune" or name.startswith("finetune.")
    ]
    assert offenders == []


def test_the_command_trainer_trains_a_stale_sentiment_model_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = ensure_sentiment(settings, TrainingCommands())
    folder = ModelRegistry(settings.models_dir / "sentiment").active()
    assert folder is not None and folder.name == first
    assert ModelCard.read(folder).data_hash == file_hash(settings.sentiment_data)
    assert ensure_sentiment(settings, TrainingCommands()) == first  # up to date: nothing trained


def test_a_failing_training_command_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"text": "hello", "label": "ecstatic"}\n', encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", sentiment_data=bad)
    with pytest.raises(AssistantError, match=r"^training failed: `python -m finetune sentiment` exited with 1$"):
        ensure_sentiment(settings, TrainingCommands())
