"""The support-lead area's password: from settings or the environment, else generated once.

A generated password is written to ``<data_dir>/lead-password`` (``.data`` is not
in git), readable only by its owner, and shown once, on the start that made it.
"""

from __future__ import annotations

import os
import secrets

from pydantic import BaseModel

from assistant.errors import AssistantError
from assistant.settings import Settings

PASSWORD_FILE = "lead-password"


class LeadCredentials(BaseModel):
    user: str
    password: str
    generated: bool
    """True when this call made the password (print it now; it is not shown again)."""
    source: str
    """Where the password comes from: 'settings' or the file it was stored in."""


def lead_credentials(settings: Settings) -> LeadCredentials:
    if settings.lead_password is not None:
        password = settings.lead_password.get_secret_value()
        if len(password) < 8:
            raise AssistantError("SHOP_LEAD_PASSWORD must have at least 8 characters")
        return LeadCredentials(user=settings.lead_user, password=password, generated=False, source="settings")
    path = settings.data_dir / PASSWORD_FILE
    try:
        if path.is_file():
            stored = path.read_text(encoding="utf-8").strip()
            if stored:
                return LeadCredentials(user=settings.lead_user, password=stored, generated=False, source=str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
    except OSError as err:
        raise AssistantError(f"cannot store the support-lead password in {path}: {err.strerror}") from err
    return LeadCredentials(user=settings.lead_user, password=password, generated=True, source=str(path))
