"""The support-lead area's password: from settings or the environment, else generated once; stored hashed.

A generated password is shown once, on the start that made it; only its Argon2 hash is
written, to ``<data_dir>/lead-password.argon2`` (``.data`` is not in git), readable only by
its owner. A password from ``SHOP_LEAD_PASSWORD`` must be as strong as a generated one, or
start-up refuses it. A plain-text ``lead-password`` file left by an older version is hashed
and removed on the next start.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from pydantic import BaseModel

from assistant.errors import AssistantError
from assistant.security.passwords import generate, hash_password, verify_password, weakness
from assistant.settings import Settings

log = logging.getLogger(__name__)
HASH_FILE = "lead-password.argon2"
OLD_PLAIN_FILE = "lead-password"


class LeadCredentials(BaseModel):
    user: str
    password_hash: str
    shown_once: str | None = None
    """The password this call generated (print it now: it is stored nowhere); None otherwise."""
    source: str
    """Where the password comes from: 'settings' or the file its hash is stored in."""

    @property
    def generated(self) -> bool:
        return self.shown_once is not None

    def check(self, user: str, password: str) -> bool:
        """Whether the pair is the lead's (both compared in constant time)."""
        right_user = secrets.compare_digest(user.encode("utf-8"), self.user.encode("utf-8"))
        return verify_password(self.password_hash, password) and right_user


def lead_credentials(settings: Settings) -> LeadCredentials:
    """The lead's user name and password hash.

    Raises:
        AssistantError: The password in settings is too weak, or the hash cannot be stored.
    """
    if settings.lead_password is not None:
        password = settings.lead_password.get_secret_value()
        if problem := weakness(password, (settings.lead_user,)):
            raise AssistantError(
                f"SHOP_LEAD_PASSWORD is refused: {problem}; choose a longer one, or unset it to have one generated"
            )
        return LeadCredentials(user=settings.lead_user, password_hash=hash_password(password), source="settings")
    path = settings.data_dir / HASH_FILE
    try:
        if path.is_file() and (stored := path.read_text(encoding="utf-8").strip()):
            return LeadCredentials(user=settings.lead_user, password_hash=stored, source=str(path))
        plain = settings.data_dir / OLD_PLAIN_FILE
        if plain.is_file() and (old := plain.read_text(encoding="utf-8").strip()):
            _write_private(path, hash_password(old))
            plain.unlink()
            log.warning("the support-lead password in %s is now stored hashed in %s", plain, path)
            return LeadCredentials(user=settings.lead_user, password_hash=path.read_text().strip(), source=str(path))
        password = generate()
        _write_private(path, hash_password(password))
    except OSError as err:
        raise AssistantError(f"cannot store the support-lead password in {path}: {err.strerror}") from err
    return LeadCredentials(
        user=settings.lead_user, password_hash=path.read_text().strip(), shown_once=password, source=str(path)
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
