"""Versioned model folders with cards, an active pointer, promotion and rollback.

Each trained model lives in ``<root>/<version>/`` with a ``card.json``. A version
is built in a hidden temporary folder and renamed into place when complete, so a
half-written model is never picked up. ``ACTIVE`` names the version in use and
``history.jsonl`` records every activation, which is what rollback walks back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.errors import ModelMissingError

CARD = "card.json"


class ModelCard(BaseModel):
    """What a trained model is: base, data, hyperparameters and measured quality."""

    kind: str
    version: str = ""
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    base_model: str
    data_hash: str
    data_files: list[str] = []
    hyperparameters: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    labels: list[str] = []
    extra: dict[str, Any] = {}

    @classmethod
    def read(cls, folder: Path) -> ModelCard:
        path = folder / CARD
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise ModelMissingError(f"{path}: model card missing ({err.strerror})") from err
        except ValueError as err:
            raise ModelMissingError(f"{path}: model card is corrupt") from err

    def write(self, folder: Path) -> None:
        (folder / CARD).write_text(self.model_dump_json(indent=2), encoding="utf-8")


def file_hash(path: Path) -> str:
    """The data hash a model card records for a training file (what tells that a model is stale)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class ModelRegistry:
    """Trained versions of one kind of model (intent classifier, reply adapter)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / CARD).is_file()
        )

    def path(self, version: str) -> Path:
        folder = self.root / version
        if not (folder / CARD).is_file():
            raise ModelMissingError(f"no model version '{version}' in {self.root}")
        return folder

    def active_version(self) -> str | None:
        pointer = self.root / "ACTIVE"
        if not pointer.is_file():
            return None
        version = pointer.read_text(encoding="utf-8").strip()
        return version if (self.root / version / CARD).is_file() else None

    def active(self) -> Path | None:
        version = self.active_version()
        return self.root / version if version else None

    @contextlib.contextmanager
    def build(self, prefix: str, version: str | None = None) -> Iterator[tuple[str, Path]]:
        """A temporary folder to write a new version into; renamed into place on success."""
        self.root.mkdir(parents=True, exist_ok=True)
        version = version or f"{prefix}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self.root))
        try:
            yield version, tmp
            os.replace(tmp, self.root / version)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    def activate(self, version: str) -> None:
        self.path(version)
        _atomic_write(self.root / "ACTIVE", version + "\n")
        with open(self.root / "history.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"version": version, "at": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")

    def history(self) -> list[str]:
        path = self.root / "history.jsonl"
        if not path.is_file():
            return []
        return [json.loads(line)["version"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def rollback(self) -> str:
        """Activate the version that was active before the current one."""
        current = self.active_version()
        for version in reversed(self.history()):
            if version != current and (self.root / version / CARD).is_file():
                self.activate(version)
                return version
        raise ModelMissingError(f"nothing to roll back to in {self.root}")
