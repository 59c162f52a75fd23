"""Training as the runtime sees it: handed in by the caller, never imported from the training package.

``prepare`` needs an intent classifier and a sentiment model before the first chat. It takes a
:class:`Trainers`; the command line hands it :class:`TrainingCommands`, which runs the training package's
own commands (``python -m finetune intents``) in a child process, the way the lead area's retraining jobs do.
Tests hand in the training functions themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Protocol

from assistant.errors import AssistantError
from assistant.settings import REPO_ROOT, Settings


class Trainers(Protocol):
    """What ``prepare`` calls when a model is missing or stale; each trains, registers and activates one."""

    def intents(self, settings: Settings) -> None: ...

    def sentiment(self, settings: Settings) -> None: ...


class TrainingCommands:
    """Trainers that run ``python -m finetune <kind>`` for the installation ``settings`` name, output shown."""

    def intents(self, settings: Settings) -> None:
        self._run("intents", settings)

    def sentiment(self, settings: Settings) -> None:
        self._run("sentiment", settings)

    @staticmethod
    def _run(kind: str, settings: Settings) -> None:
        cmd = [sys.executable, "-m", "finetune", kind]
        try:
            code = subprocess.run(cmd, cwd=REPO_ROOT, env={**os.environ, **settings_env(settings)}, check=False)
        except OSError as err:
            raise AssistantError(f"cannot start the training command `python -m finetune {kind}`: {err}") from err
        if code.returncode != 0:
            raise AssistantError(f"training failed: `python -m finetune {kind}` exited with {code.returncode}")


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as ``SHOP_*`` variables, so a child process sees the same installation."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"SHOP_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env
