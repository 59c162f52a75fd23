"""Retraining started from the support-lead area: one background job at a time.

A job runs ``python -m finetune intents|replies --no-activate`` in a child process
(so a crash or the memory of training never touches the chat), follows its
progress bar and log, then scores the new model and the active one on the same
held-out set with ``python -m finetune evaluate-intents|evaluate-replies``. The
lead reads both side by side and promotes the new model or discards it; any
earlier version can be activated again (rollback).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.errors import AssistantError
from assistant.metrics import INTENT_METRICS, LOWER_IS_BETTER, REPLY_METRICS
from assistant.registry import ModelCard, ModelRegistry
from assistant.settings import REPO_ROOT, Settings
from assistant.training import settings_env

log = logging.getLogger(__name__)

JobKind = Literal["intents", "replies"]
JobState = Literal["training", "evaluating", "ready", "failed", "promoted", "discarded"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PROGRESS = re.compile(r"(?:(?P<desc>[^:|\r\n]{1,40}):\s*)?\s*\d+%\|[^|]*\|\s*(?P<step>\d+)/(?P<total>\d+)")


class JobStatus(BaseModel):
    """What the lead's training page shows."""

    id: str
    kind: JobKind
    state: JobState = "training"
    phase: str = "starting"
    step: int = 0
    total: int = 0
    started: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    finished: str | None = None
    options: dict[str, Any] = {}
    version: str | None = None
    """The model this job trained."""
    baseline: str | None = None
    """The version that was active when the job started: what the new one is compared with."""
    metrics: dict[str, dict[str, float | None]] = {}
    """``{"new": {...}, "active": {...}}`` on the same held-out set."""
    error: str | None = None
    log: list[str] = []

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 0.0

    @property
    def running(self) -> bool:
        return self.state in ("training", "evaluating")


class TrainingJobs:
    """Start, follow, promote, discard and roll back model trainings of one installation."""

    def __init__(self, settings: Settings, on_activate: Callable[[str, Path], None] | None = None) -> None:
        self.settings = settings
        self.on_activate = on_activate
        self._job: JobStatus | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: deque[str] = deque(maxlen=400)

    def registry(self, kind: str) -> ModelRegistry:
        if kind not in ("intents", "replies"):
            raise AssistantError(f"unknown model kind '{kind}'; use intents or replies")
        return ModelRegistry(self.settings.models_dir / kind)

    # --- the job ------------------------------------------------------------------

    def start(
        self,
        kind: JobKind,
        from_log: bool = True,
        warm_start: bool = False,
        max_steps: int = -1,
        extra_repeat: int = 1,
    ) -> JobStatus:
        """Start training in the background; refused while another job runs.

        Args:
            extra_repeat: how often each curated intent example is repeated (the weight of the lead's corrections).
        """
        registry = self.registry(kind)
        with self._lock:
            if self._job is not None and self._job.running:
                raise AssistantError(f"a {self._job.kind} training is already running (started {self._job.started})")
            job = JobStatus(
                id=datetime.now(UTC).strftime("%Y%m%d-%H%M%S"),
                kind=kind,
                options={
                    "from_log": from_log,
                    "warm_start": warm_start,
                    "max_steps": max_steps,
                    "extra_repeat": extra_repeat,
                },
                baseline=registry.active_version(),
            )
            self._job = job
            self._lines.clear()
            self._thread = threading.Thread(target=self._run, args=(job,), name=f"train-{kind}", daemon=True)
            self._thread.start()
        return self.status() or job

    def status(self) -> JobStatus | None:
        with self._lock:
            if self._job is None:
                return None
            return self._job.model_copy(update={"log": list(self._lines)[-120:]})

    def wait(self, timeout: float | None = None) -> JobStatus | None:
        """Block until the running job is ready or failed (tests, scripts)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def cancel(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def _run(self, job: JobStatus) -> None:
        registry = self.registry(job.kind)
        before = set(registry.versions())
        try:
            self._child(self._train_command(job), job, "training")
            new = sorted(set(registry.versions()) - before)
            if not new:
                raise AssistantError("training finished but registered no model")
            with self._lock:
                job.version = new[-1]
                job.state = "evaluating"
            job.metrics = self._evaluate(job, registry)
            with self._lock:
                job.state, job.phase = "ready", "done: promote or discard"
        except AssistantError as err:
            with self._lock:
                job.state, job.error = "failed", str(err)
        except Exception as err:  # the page shows one line; the server log keeps the traceback
            log.exception("training job failed")
            with self._lock:
                job.state, job.error = "failed", f"{type(err).__name__}: {err}"
        finally:
            job.finished = datetime.now(UTC).isoformat(timespec="seconds")

    def _train_command(self, job: JobStatus) -> list[str]:
        cmd = [sys.executable, "-m", "finetune", job.kind, "--no-activate"]
        if job.options.get("from_log"):
            cmd.append("--from-log")
        if job.kind == "intents":
            if job.options.get("warm_start"):
                cmd.append("--warm-start")
            cmd += ["--extra-repeat", str(max(1, int(job.options.get("extra_repeat", 1))))]
        if int(job.options.get("max_steps", -1)) > 0:
            cmd += ["--max-steps", str(job.options["max_steps"])]
        return cmd

    def _evaluate(self, job: JobStatus, registry: ModelRegistry) -> dict[str, dict[str, float | None]]:
        assert job.version is not None
        (self.settings.data_dir / "reports").mkdir(parents=True, exist_ok=True)
        out = Path(tempfile.mkdtemp(prefix=f"eval-{job.kind}-", dir=self.settings.data_dir / "reports"))
        new = registry.path(job.version)
        old = registry.path(job.baseline) if job.baseline in registry.versions() else None
        if job.kind == "intents":
            metrics = {}
            for name, folder in (("new", new), ("active", old)):
                if folder is None:
                    continue
                self._child(
                    [
                        sys.executable,
                        "-m",
                        "finetune",
                        "evaluate-intents",
                        "--model",
                        str(folder),
                        "--out",
                        str(out / name),
                        "--no-baseline",  # the comparison needs the classifiers' figures only (13 s less each)
                    ],
                    job,
                    f"evaluating the {name} classifier",
                )
                report = json.loads((out / name / "report.json").read_text())["classifier"]
                metrics[name] = {k: report.get(k) for k in INTENT_METRICS}
            return metrics
        cmd = [sys.executable, "-m", "finetune", "evaluate-replies", "--adapter", str(new), "--mode", "lm"]
        cmd += ["--adapter", str(old), "--no-base"] if old is not None else ["--base"]
        cmd += ["--limit", str(self.settings.lead_eval_limit), "--out", str(out)]
        self._child(cmd, job, "evaluating new and active reply model")
        report = json.loads((out / "report.json").read_text())["lm"]
        pairs = (("new", new.name), ("active", old.name if old is not None else "base"))
        return {name: {k: report[key].get(k) for k in REPLY_METRICS} for name, key in pairs}

    def _child(self, cmd: list[str], job: JobStatus, phase: str) -> None:
        """Run one command, following its output; raise with its last line when it fails."""
        with self._lock:
            job.phase, job.step, job.total = phase, 0, 0
            self._lines.append(f"$ {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))}")
        env = {**os.environ, **settings_env(self.settings), "PYTHONUNBUFFERED": "1", "TQDM_MININTERVAL": "1"}
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                preexec_fn=_lower_priority if hasattr(os, "nice") else None,  # noqa: PLW1509 - no threads in the child yet
            )
        except OSError as err:
            raise AssistantError(f"cannot start {cmd[2:4]}: {err.strerror}") from err
        self._proc = proc
        assert proc.stdout is not None
        buffer = b""
        while chunk := os.read(proc.stdout.fileno(), 4096):
            buffer += chunk
            *parts, buffer = re.split(rb"[\r\n]", buffer)
            for raw in parts:
                self._line(raw.decode("utf-8", "replace"), job)
        if buffer:
            self._line(buffer.decode("utf-8", "replace"), job)
        code = proc.wait()
        self._proc = None
        if code != 0:
            last = next((line for line in reversed(self._lines) if line.strip()), "")
            raise AssistantError(f"{phase} failed (exit {code}): {last.strip()[:300]}")

    def _line(self, line: str, job: JobStatus) -> None:
        line = _ANSI.sub("", line)
        if not line.strip():
            return
        match = _PROGRESS.search(line)
        with self._lock:
            if match:
                job.step, job.total = int(match["step"]), int(match["total"])
                if self._lines and _PROGRESS.search(self._lines[-1]):
                    self._lines[-1] = line.strip()
                    return
            self._lines.append(line.rstrip())

    # --- decisions ----------------------------------------------------------------

    def promote(self) -> str:
        """Make the finished job's model the active one, and load it into the running assistant."""
        job = self._job
        if job is None or job.state != "ready" or job.version is None:
            raise AssistantError("no finished training to promote")
        self.activate(job.kind, job.version)
        with self._lock:
            job.state = "promoted"
        return job.version

    def discard(self) -> str:
        """Delete the finished job's model; the active one stays."""
        job = self._job
        if job is None or job.state != "ready" or job.version is None:
            raise AssistantError("no finished training to discard")
        registry = self.registry(job.kind)
        if registry.active_version() == job.version:
            raise AssistantError(f"{job.version} is active; activate another version first")
        shutil.rmtree(registry.path(job.version))
        with self._lock:
            job.state = "discarded"
        return job.version

    def activate(self, kind: str, version: str) -> None:
        registry = self.registry(kind)
        registry.activate(version)
        if self.on_activate is not None:
            self.on_activate(kind, registry.path(version))

    def rollback(self, kind: str) -> str:
        registry = self.registry(kind)
        version = registry.rollback()
        if self.on_activate is not None:
            self.on_activate(kind, registry.path(version))
        return version

    def versions(self, kind: str) -> list[dict[str, Any]]:
        """Every trained version with its card's headline figures, newest first."""
        registry = self.registry(kind)
        active = registry.active_version()
        rows = []
        for version in reversed(registry.versions()):
            try:
                card = ModelCard.read(registry.path(version))
            except AssistantError:
                continue
            figures = card.metrics.get("test", {}) if kind == "intents" else card.metrics
            keys = INTENT_METRICS if kind == "intents" else ("train_loss", "dev_loss")
            rows.append(
                {
                    "version": version,
                    "active": "yes" if version == active else "",
                    "created": card.created,
                    **{k: figures.get(k) for k in keys},
                }
            )
        return rows


def _lower_priority() -> None:
    os.nice(10)


def better(metric: str, new: float | None, old: float | None) -> bool | None:
    """Whether ``new`` beats ``old`` on ``metric`` (None when either is missing or they are equal)."""
    if new is None or old is None or new == old:
        return None
    return new < old if metric in LOWER_IS_BETTER else new > old
