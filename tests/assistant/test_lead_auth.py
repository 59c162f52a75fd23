import stat
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.lead_auth import PASSWORD_FILE, lead_credentials
from assistant.settings import Settings


def test_a_password_is_generated_once_stored_privately_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = lead_credentials(settings)
    assert first.generated and len(first.password) >= 16 and first.user == "lead"
    path = tmp_path / PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = lead_credentials(settings)
    assert not again.generated and again.password == first.password


def test_the_password_from_settings_or_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_LEAD_PASSWORD", "from-the-environment")
    got = lead_credentials(Settings(data_dir=tmp_path))
    assert got.password == "from-the-environment" and got.source == "settings"
    assert not (tmp_path / PASSWORD_FILE).exists()
    assert "from-the-environment" not in repr(Settings(data_dir=tmp_path))


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match="at least 8"):
        lead_credentials(Settings(data_dir=tmp_path, lead_password="short"))  # type: ignore[arg-type]
