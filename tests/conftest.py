"""Shared fixtures: offline switches, a prepared installation in a temp folder, network guard."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.offline import OFFLINE_ENV

if TYPE_CHECKING:
    from assistant.settings import Settings

for _key, _value in OFFLINE_ENV.items():
    os.environ[_key] = _value

REPO = Path(__file__).resolve().parent.parent
# Trained test models are cached here by data hash and training defaults, so local reruns skip training;
# a fresh clone (CI) builds them once per run.
CACHE = Path(os.environ.get("SHOP_TEST_CACHE", REPO / ".data" / "test-cache"))


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        local = host.startswith("127.") or host in ("localhost", "::1", "0.0.0.0")
        if not local and sock.family in (socket.AF_INET, socket.AF_INET6):
            raise RuntimeError(f"network access to {host} attempted in a test")
        return real_connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _settings(data_dir: Path, **kw: object):
    from assistant.settings import Settings

    return Settings(data_dir=data_dir, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """A data folder with the converted reply model, a trained intent classifier and sentiment model (cached)."""
    from assistant.models import prepare_lm
    from assistant.registry import ModelCard, ModelRegistry
    from finetune.intent_data import data_hash, dedupe, load_examples
    from finetune.intent_slots import training_slots
    from finetune.intents import IntentTrainArgs, train_intents

    settings = _settings(CACHE)
    prepare_lm(settings.lm_dir)
    registry = ModelRegistry(settings.models_dir / "intents")
    slots = training_slots(settings.knowledge_dir)
    wanted = data_hash(dedupe(load_examples(settings.intent_data_dir / "train", slots)))
    defaults = {k: v for k, v in asdict(IntentTrainArgs()).items() if k not in {"train", "test", "base_model"}}
    defaults.pop("extra_examples")
    active = registry.active()
    card = ModelCard.read(active) if active is not None else None
    if card is None or card.data_hash != wanted or any(card.hyperparameters.get(k) != v for k, v in defaults.items()):
        train_intents(IntentTrainArgs(), settings)  # the same model a fresh install trains
    from assistant.prepare import ensure_sentiment
    from finetune.trainers import InProcessTrainers

    ensure_sentiment(settings, InProcessTrainers())
    return CACHE


@pytest.fixture(scope="session")
def knowledge_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Chroma folder of the shipped knowledge, embedded once (34 s) for the installations that copy it.

    Built by ``python -m assistant kb sync`` in a child process, so that Chroma has written all of it out.
    """
    data = tmp_path_factory.mktemp("index")
    env = {**os.environ, "SHOP_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "assistant", "kb", "sync"], check=True, cwd=REPO, env=env)
    return _settings(data).chroma_dir


@pytest.fixture(scope="session")
def index_copy(knowledge_index: Path) -> Callable[[Settings], None]:
    """Give an installation a copy of the embedded index, then sync it as ``prepare`` does (nothing is left to
    embed when its knowledge is the shipped one)."""

    def copy(settings: Settings) -> None:
        from assistant.prepare import sync_knowledge

        shutil.copytree(knowledge_index, settings.chroma_dir)
        report, _ = sync_knowledge(settings, progress=False)
        assert report.total_embedded == 0, report.summary()

    return copy


@pytest.fixture(scope="session")
def prepared(
    shared_models: Path, index_copy: Callable[[Settings], None], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A fresh data folder (own index and log) that links the shared models."""
    data = tmp_path_factory.mktemp("data")
    (data / "models").symlink_to(shared_models / "models", target_is_directory=True)
    index_copy(_settings(data))
    return data


@pytest.fixture(scope="session")
def bot(prepared: Path) -> Iterator[object]:
    from assistant.dialogue import Assistant

    yield Assistant.load(_settings(prepared))


@pytest.fixture(scope="module")
def server(install: Settings) -> Iterator[object]:
    """The app as ``make run`` serves it (``app.serve``) over the module's own ``install`` fixture."""
    from app import serve

    started = serve(install, block=False)
    started.warmed.wait(60)  # type: ignore[attr-defined]
    yield started
    started.close()


@pytest.fixture(scope="session")
def app_url(bot: object) -> Iterator[str]:
    """The real app (chat, lead area, the HTTP gate) on a uvicorn server on localhost, over the shared ``bot``."""
    from pydantic import SecretStr

    from app import Server, build_app
    from assistant.lead_auth import lead_credentials

    settings = bot.settings  # type: ignore[attr-defined]
    credentials = lead_credentials(settings.model_copy(update={"lead_password": SecretStr("calm-meadow-owl-73-ferns")}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = Server(build_app(bot, credentials), "127.0.0.1", port).start()  # type: ignore[arg-type]
    yield server.url
    server.close()
