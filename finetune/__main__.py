"""Command line: ``python -m finetune intents``."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from assistant.errors import AssistantError
from assistant.offline import enforce_offline
from assistant.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Train and evaluate the assistant's models.")


@app.callback()
def _root() -> None:
    """Train and evaluate the assistant's models."""


@app.command("intents")
def intents_cmd(
    train: Annotated[Path | None, typer.Option(help="YAML folder or JSONL of {text, intent}.")] = None,
    test: Annotated[Path | None, typer.Option(help="Held-out JSONL scored after training.")] = None,
    epochs: float = 8,
    learning_rate: float = 1.5e-4,
    batch_size: int = 16,
    max_length: int = 64,
    seed: int = 13,
    dev_fraction: float = 0.1,
    patience: int = 2,
    class_weighting: bool = True,
    typo_share: float = 0.0,
    spelling: Annotated[bool, typer.Option(help="Spelling-normalise messages towards the shop vocabulary.")] = True,
    group_by_length: Annotated[bool, typer.Option(help="Batch examples of similar length (faster).")] = True,
    max_steps: int = -1,
    activate: bool = True,
    from_log: Annotated[bool, typer.Option(help="Add the intents support leads set on logged turns.")] = False,
    extra_repeat: Annotated[int, typer.Option(help="Repeat each curated example this often.")] = 1,
    warm_start: Annotated[bool, typer.Option(help="Continue from the active classifier, not from MiniLM.")] = False,
) -> None:
    """Fine-tune the packaged MiniLM into the intent classifier and register it."""
    from assistant.registry import ModelRegistry
    from finetune.intent_data import Example
    from finetune.intents import IntentTrainArgs, train_intents

    settings = Settings()
    extra: list[Example] = []
    if from_log:
        from assistant.supervision import curated_records
        from assistant.turnlog import TurnLog

        extra = [
            Example(text=r.text, intent=r.intent, tags=["curated"])
            for r in curated_records(TurnLog(settings.log_path))
            if r.intent
        ]
        typer.echo(f"{len(extra)} curated intent labels from {settings.log_path}")
    args = IntentTrainArgs(
        train=train,
        test=test,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_length=max_length,
        seed=seed,
        dev_fraction=dev_fraction,
        patience=patience,
        class_weighting=class_weighting,
        typo_share=typo_share,
        spelling=spelling,
        group_by_length=group_by_length,
        max_steps=max_steps,
        activate=activate,
        threshold=settings.intent_threshold,
        extra_examples=extra,
        extra_repeat=extra_repeat,
        base_model=ModelRegistry(settings.models_dir / "intents").active() if warm_start else None,
    )
    _report_trained(lambda: train_intents(args, settings), "model", activate)


@app.command("evaluate-intents")
def evaluate_intents_cmd(
    model: Annotated[Path | None, typer.Option(help="Model folder; default: the active classifier.")] = None,
    test: Annotated[Path | None, typer.Option(help="Held-out JSONL of {text, intent, tags}.")] = None,
    train: Annotated[Path | None, typer.Option(help="Training data for the TF-IDF baseline.")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Confidence threshold; default from settings.")] = None,
    baseline: Annotated[bool, typer.Option(help="Also train and score the TF-IDF baseline.")] = True,
) -> None:
    """Per-intent and per-variation scores, confusion matrix, threshold sweep, TF-IDF baseline."""
    from finetune.evaluate_intents import evaluate_intents, summary

    folder = _or_exit(lambda: evaluate_intents(Settings(), model, test, train, out, threshold, baseline))
    typer.echo(summary(json.loads((folder / "report.json").read_text())))
    typer.echo(f"report: {folder}")


@app.command("conversations")
def conversations_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder of YAML conversation files.")] = Path("tests/conversations"),
    shop: Annotated[
        Path | None,
        typer.Option(
            help="The shop database every conversation starts from: a .sqlite file, or a shop export folder to "
            "import. Default: the demo shop generated from the knowledge folder."
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            help="The order desk's clock, ISO 8601 (the demo shop is generated relative to it). "
            "Default: the fixed moment the tests' conversations are written for."
        ),
    ] = None,
) -> None:
    """Run conversation tests through the assistant, each on a fresh copy of the shop; exit 1 on any failure.

    The knowledge folder is the settings' (``SHOP_KNOWLEDGE_DIR``), so another shop runs its own conversations.
    """
    import tempfile

    from assistant.dialogue import Assistant
    from finetune.conversations import DEMO_MOMENT, ConversationRunner, StartingShop, load_conversations

    try:
        now = datetime.fromisoformat(at) if at else DEMO_MOMENT
    except ValueError:
        typer.secho(f"error: --at {at!r} is not an ISO 8601 time (like {DEMO_MOMENT.isoformat()})", fg="red", err=True)
        raise typer.Exit(2) from None
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="conversations-") as work:
        try:
            conversations = load_conversations(folder)
            starting = StartingShop.prepare(shop, settings.knowledge_dir, Path(work), now)
            bot = Assistant.load(settings)
        except AssistantError as err:
            typer.secho(f"error: {err}", fg="red", err=True)
            raise typer.Exit(1) from None
        runner = ConversationRunner(bot, starting, Path(work))
        turns = failed = 0
        for key, conversation in conversations.items():
            result = runner.run(key, conversation)
            typer.echo("\n".join(result.report()))
            turns += len(result.turns)
            failed += result.failed
    typer.echo(f"{len(conversations) - failed} of {len(conversations)} conversations passed ({turns} turns)")
    raise typer.Exit(1 if failed else 0)


@app.command("replies")
def replies_cmd(
    extra: Annotated[list[Path] | None, typer.Option(help="JSONL of curated reply examples to add.")] = None,
    epochs: float = 1.0,
    learning_rate: float = 4e-4,
    batch_size: int = 8,
    max_length: int = 768,
    rank: int = 8,
    seed: int = 13,
    max_steps: int = -1,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run on the same data.")] = False,
    activate: bool = True,
    from_log: Annotated[bool, typer.Option(help="Add the replies support leads wrote or approved.")] = False,
) -> None:
    """Train a LoRA adapter for the reply model on the seed set (and curated examples); register it."""
    from finetune.replies import ReplyTrainArgs, train_replies
    from finetune.reply_data import ReplyExample

    settings = Settings()
    curated: list[ReplyExample] = []
    if from_log:
        from assistant.knowledge import load_knowledge
        from assistant.supervision import curated_records
        from assistant.turnlog import TurnLog
        from finetune.reply_data import curated_examples

        records = curated_records(TurnLog(settings.log_path))
        curated = curated_examples(records, load_knowledge(settings.knowledge_dir))
        typer.echo(f"{len(curated)} curated replies from {settings.log_path}")

    args = ReplyTrainArgs(
        extra=list(extra or []),
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_length=max_length,
        rank=rank,
        seed=seed,
        max_steps=max_steps,
        resume=resume,
        activate=activate,
        extra_examples=curated,
    )
    _report_trained(lambda: train_replies(args, settings), "adapter", activate)


@app.command("evaluate-replies")
def evaluate_replies_cmd(
    adapter: Annotated[
        list[Path] | None, typer.Option(help="Adapter folder(s) to score; default: the active adapter.")
    ] = None,
    base: Annotated[bool, typer.Option(help="Also score the base model.")] = True,
    mode: Annotated[list[str] | None, typer.Option(help="lm (generation alone) and/or assistant (whole).")] = None,
    eval_file: Annotated[Path | None, typer.Option(help="Held-out questions (JSONL).")] = None,
    limit: Annotated[int | None, typer.Option(help="Score only the first N questions.")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder.")] = None,
) -> None:
    """Fact recall, unsupported facts, ROUGE-L and don't-know/handoff rate: base model and adapter side by side."""
    from assistant.registry import ModelRegistry
    from finetune.evaluate_replies import evaluate_replies, summary

    settings = Settings()
    models: dict[str, Path | None] = {"base": None} if base else {}
    chosen = adapter or [a for a in [ModelRegistry(settings.models_dir / "replies").active()] if a]
    for folder in chosen:
        models[folder.name] = folder
    report = _or_exit(lambda: evaluate_replies(settings, models, eval_file, out, mode or ["lm", "assistant"], limit))
    typer.echo(summary(json.loads((report / "report.json").read_text())))
    typer.echo(f"report: {report}")


@app.command("seed-replies")
def seed_replies_cmd(
    out: Annotated[Path, typer.Option(help="Where to write the seed set (JSONL).")] = Path(".data/replies-seed.jsonl"),
) -> None:
    """Write the reply seed set built from the knowledge folder, to read or curate."""
    from collections import Counter

    from finetune.replies import seed_examples
    from finetune.reply_data import write_jsonl

    examples = seed_examples(Settings())
    write_jsonl(examples, out)
    typer.echo(f"{len(examples)} examples -> {out}: {dict(Counter(e.kind for e in examples))}")


@app.command("sentiment")
def sentiment_cmd(
    data: Annotated[Path | None, typer.Option(help="Labelled examples (JSONL: text, label).")] = None,
    activate: Annotated[bool, typer.Option(help="Make the new model the active one.")] = True,
) -> None:
    """Train the per-turn sentiment model (seconds); prints its cross-validated figures."""
    from finetune.sentiment import describe, train_sentiment

    def work() -> Path:
        settings = Settings()
        try:
            return train_sentiment(settings, data or settings.sentiment_data, activate=activate)
        except (OSError, ValueError) as err:
            raise AssistantError(str(err).splitlines()[0]) from err

    typer.echo(describe(_or_exit(work)))


_KINDS = {"intents": "intents", "replies": "replies", "sentiment": "sentiment"}


@app.command("models")
def models_cmd(kind: Annotated[str, typer.Argument(help="intents or replies")]) -> None:
    """List the trained versions of a model kind; the active one is marked."""
    from assistant.registry import ModelRegistry

    registry = ModelRegistry(Settings().models_dir / _kind(kind))
    active = registry.active_version()
    for version in registry.versions():
        typer.echo(f"{'*' if version == active else ' '} {version}")


@app.command("activate")
def activate_cmd(
    kind: Annotated[str, typer.Argument(help="intents or replies")],
    version: Annotated[str, typer.Argument(help="A version listed by: python -m finetune models KIND")],
) -> None:
    """Make a trained version the one the assistant uses (restart the app to load it)."""
    from assistant.registry import ModelRegistry

    try:
        ModelRegistry(Settings().models_dir / _kind(kind)).activate(version)
    except AssistantError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"active {kind}: {version}")


@app.command("rollback")
def rollback_cmd(kind: Annotated[str, typer.Argument(help="intents or replies")]) -> None:
    """Go back to the version that was active before the current one."""
    from assistant.registry import ModelRegistry

    try:
        version = ModelRegistry(Settings().models_dir / _kind(kind)).rollback()
    except AssistantError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"active {kind}: {version}")


def _or_exit(work: Callable[[], Path]) -> Path:
    """Run the work; an error the user can fix is printed in one line and exits 1."""
    try:
        return work()
    except AssistantError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None


def _report_trained(train: Callable[[], Path], what: str, activate: bool) -> None:
    """Run a training, print where the model went and its card's metrics."""
    folder = _or_exit(train)
    card = json.loads((folder / "card.json").read_text())
    typer.echo(f"{what}: {folder}{' (active)' if activate else ''}")
    typer.echo(json.dumps(card["metrics"], indent=2))


def _kind(kind: str) -> str:
    if kind not in _KINDS:
        typer.secho(f"error: unknown model kind '{kind}'; use intents or replies", fg="red", err=True)
        raise typer.Exit(2)
    return _KINDS[kind]


def main() -> None:
    enforce_offline()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()


if __name__ == "__main__":
    main()
