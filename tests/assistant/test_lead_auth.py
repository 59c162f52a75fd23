import stat
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.lead_auth import HASH_FILE, OLD_PLAIN_FILE, lead_credentials
from assistant.settings import Settings

STRONG = "quiet-harbour-lamps-9-fennel"


def test_a_password_is_generated_once_shown_once_and_only_its_hash_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = lead_credentials(settings)
    assert first.generated and first.shown_once and len(first.shown_once) >= 16 and first.user == "lead"
    path = tmp_path / HASH_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.shown_once not in path.read_text() and path.read_text().startswith("$argon2id$")
    again = lead_credentials(settings)
    assert not again.generated and again.shown_once is None
    assert again.check("lead", first.shown_once) and not again.check("lead", first.shown_once + "x")
    assert not again.check("Lead", first.shown_once)


def test_an_old_plain_text_password_file_is_hashed_and_removed(tmp_path: Path) -> None:
    (tmp_path / OLD_PLAIN_FILE).write_text("the-old-generated-one\n")
    got = lead_credentials(Settings(data_dir=tmp_path))
    assert not got.generated and got.check("lead", "the-old-generated-one")
    assert not (tmp_path / OLD_PLAIN_FILE).exists() and (tmp_path / HASH_FILE).is_file()


def test_the_password_from_settings_or_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_LEAD_PASSWORD", STRONG)
    got = lead_credentials(Settings(data_dir=tmp_path))
    assert got.check("lead", STRONG) and got.source == "settings" and not got.generated
    assert not (tmp_path / HASH_FILE).exists()
    assert STRONG not in repr(Settings(data_dir=tmp_path)) and STRONG not in got.model_dump_json()


@pytest.mark.parametrize(
    ("weak", "why"),
    [("short", "at least 16"), ("abcdefgh", "at least 16"), ("password12345678", "easy to guess")],
)
def test_a_weak_password_is_refused_in_one_line(tmp_path: Path, weak: str, why: str) -> None:
    with pytest.raises(AssistantError, match=f"SHOP_LEAD_PASSWORD is refused: .*{why}") as err:
        lead_credentials(Settings(data_dir=tmp_path, lead_password=weak))  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
