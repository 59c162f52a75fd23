"""The support lead's loop on real parts: chat through the API, thumbs down, correct the intent,
retrain on seed plus curated data, the new model has learnt it, promote, roll back."""

from __future__ import annotations

import json
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from assistant.dialogue import Assistant
from assistant.intents import IntentClassifier
from assistant.registry import ModelRegistry
from assistant.settings import Settings
from assistant.supervision import curated_records
from assistant.turnlog import Curation, TurnLog

pytestmark = pytest.mark.integration

MESSAGE = "my parcel came but the box was crushed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def install(
    shared_models: Path, index_copy: Callable[[Settings], None], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """An installation of its own: a copy of the trained classifier (it gets retrained), the shared other models."""
    data = tmp_path_factory.mktemp("lead")
    shared = ModelRegistry(shared_models / "models" / "intents")
    active = shared.active()
    assert active is not None
    registry = ModelRegistry(data / "models" / "intents")
    registry.root.mkdir(parents=True)
    shutil.copytree(active, registry.root / active.name)
    registry.activate(active.name)
    for shared_kind in ("smollm2-135m-instruct", "sentiment"):
        (data / "models" / shared_kind).symlink_to(shared_models / "models" / shared_kind)
    settings = Settings(data_dir=data)
    index_copy(settings)
    return settings


@pytest.fixture(scope="module")
def url(install: Settings) -> Iterator[str]:
    from assistant.ui.chat import build_chat_ui

    demo = build_chat_ui(Assistant.load(install))
    demo.queue()
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_correct_retrain_promote_roll_back(install: Settings, url: str) -> None:
    from gradio_client import Client

    from finetune.intent_data import Example
    from finetune.intents import IntentTrainArgs, train_intents

    client = Client(url, verbose=False)
    reply = client.predict(MESSAGE, "lead-1", api_name="/ask")
    assert client.predict(reply["turn_id"], False, reply["session_id"], api_name="/feedback") is True
    log = TurnLog(install.log_path)
    assert log.get(reply["turn_id"]).feedback == -1  # type: ignore[union-attr]

    # The lead relabels the turn with an intent the model did not give it.
    registry = ModelRegistry(install.models_dir / "intents")
    old = registry.active_version()
    before = IntentClassifier(registry.active()).run(MESSAGE)  # type: ignore[arg-type]
    wanted = next(label for label, _ in before.ranking if label != before.label)
    log.curate(Curation(turn_id=reply["turn_id"], intent=wanted, note="damaged delivery"))
    curated = [Example(text=r.text, intent=r.intent, tags=["curated"]) for r in curated_records(log) if r.intent]
    assert [e.text for e in curated] == [MESSAGE] and curated[0].intent == wanted

    # Retrain on seed plus curated data: a warm start from the active model, a few steps, not activated yet.
    folder = train_intents(
        IntentTrainArgs(
            base_model=registry.active(),
            extra_examples=curated,
            extra_repeat=400,
            max_steps=8,
            test=install.data_dir / "no-test.jsonl",
            activate=False,
        ),
        install,
    )
    assert registry.active_version() == old  # a candidate is not used before it is promoted
    assert IntentClassifier(folder).run(MESSAGE).label == wanted
    quality = json.loads((folder / "data_quality.json").read_text())
    assert quality["n_in"] == quality["n_out"] == 1 and quality["seed"] > 3000

    registry.activate(folder.name)  # promote
    assert registry.active_version() == folder.name
    assert registry.rollback() == old  # and back
    assert registry.active_version() == old
    assert IntentClassifier(registry.active()).run(MESSAGE).label == before.label  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served(install: Settings) -> Iterator[object]:
    """The whole app as ``make run`` starts it: chat at /, lead area at /lead."""
    from app import serve

    settings = install.model_copy(update={"port": _free_port(), "lead_password": SecretStr("lead-loop-password")})
    server = serve(settings, block=False)
    yield server
    server.close()


def test_the_loop_from_the_lead_area(install: Settings, served: object) -> None:
    """Thumbs down in the chat; in the lead area: correct the intent, retrain in the background, compare,
    promote (the running chat uses the new model at once), roll back (and the old one again)."""
    from gradio_client import Client

    url = served.url  # type: ignore[attr-defined]
    chat = Client(url, verbose=False)
    lead = Client(f"{url}lead/", auth=("lead", "lead-loop-password"), verbose=False)
    message = "the zip on my new jacket broke after one week"
    reply = chat.predict(message, "lead-2", api_name="/ask")
    assert chat.predict(reply["turn_id"], False, reply["session_id"], api_name="/feedback") is True
    old_label, old_version = reply["intent"], ModelRegistry(install.models_dir / "intents").active_version()
    wanted = "return_exchange" if old_label != "return_exchange" else "complaint"

    table, _ = lead.predict(["thumbs down"], "(all)", "", "", "zip on my new jacket", api_name="/lead_turns")
    assert [row[-1] for row in table["data"]] == [reply["turn_id"]]
    saved = lead.predict(reply["turn_id"], wanted, reply["text"], "", api_name="/lead_correct")
    assert f"→ {wanted}" in saved

    progress, *_ = lead.predict("intents", True, True, 8, 400, api_name="/lead_train")
    assert "intents: training" in progress
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        progress, job_log, comparison, _ = lead.predict(api_name="/lead_job")
        if "ready" in progress or "failed" in progress:
            break
        time.sleep(2)
    assert "ready" in progress, job_log[-2000:]
    metrics = {row[0]: row for row in comparison["data"]}
    assert set(metrics) == {"macro_f1", "accuracy", "oos_recall", "in_scope_rejection"}
    assert all(isinstance(row[1], float) and isinstance(row[2], float) for row in metrics.values())
    assert "finetune intents --no-activate --from-log --warm-start --extra-repeat 400" in job_log
    assert job_log.count("--no-baseline") == 2  # new and active classifier scored without the TF-IDF baseline

    assert "Promoted" in lead.predict(api_name="/lead_promote")
    assert ModelRegistry(install.models_dir / "intents").active_version() != old_version
    assert chat.predict(message, "lead-3", api_name="/ask")["intent"] == wanted  # the running chat learnt it

    assert old_version in lead.predict("intents", api_name="/lead_rollback")
    assert ModelRegistry(install.models_dir / "intents").active_version() == old_version
    assert chat.predict(message, "lead-4", api_name="/ask")["intent"] == old_label
