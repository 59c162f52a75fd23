from pathlib import Path

import pytest

from assistant.errors import ModelMissingError
from assistant.registry import ModelCard, ModelRegistry


def _build(reg: ModelRegistry, fail: bool = False) -> str:
    with reg.build("m") as (version, folder):
        ModelCard(kind="k", base_model="b", data_hash="h", version=version).write(folder)
        if fail:
            raise RuntimeError("killed mid-write")
    return version


def test_half_written_model_is_never_listed(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    with pytest.raises(RuntimeError):
        _build(reg, fail=True)
    assert reg.versions() == [] and reg.active() is None


def test_activate_and_rollback(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path)
    a = _build(reg)
    reg.activate(a)
    b = _build(reg)
    reg.activate(b)
    assert reg.active_version() == b
    assert reg.rollback() == a and reg.active_version() == a
    assert ModelCard.read(reg.path(a)).version == a
    with pytest.raises(ModelMissingError):
        reg.activate("nope")
