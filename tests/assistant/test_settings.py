from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings


def test_misspelled_setting_fails_loudly() -> None:
    with pytest.raises(ValidationError):
        Settings(intent_treshold=0.3)  # type: ignore[call-arg]


def test_environment_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOP_INTENT_THRESHOLD", "0.7")
    s = Settings()
    assert s.data_dir == tmp_path and s.intent_threshold == 0.7
    assert s.log_path == tmp_path / "turns.sqlite"


def test_out_of_range_threshold_rejected() -> None:
    with pytest.raises(ValidationError):
        Settings(intent_threshold=1.5)
