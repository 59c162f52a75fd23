"""Command line: ``python -m finetune intents``."""

from __future__ import annotations

import json
import logging
import sys
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
    group_by_length: bool = False,
    max_steps: int = -1,
    activate: bool = True,
) -> None:
    """Fine-tune the packaged MiniLM into the intent classifier and register it."""
    from finetune.intents import IntentTrainArgs, train_intents

    settings = Settings()
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
        group_by_length=group_by_length,
        max_steps=max_steps,
        activate=activate,
        threshold=settings.intent_threshold,
    )
    try:
        folder = train_intents(args, settings)
    except AssistantError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None
    card = json.loads((folder / "card.json").read_text())
    typer.echo(f"model: {folder}{' (active)' if activate else ''}")
    typer.echo(json.dumps(card["metrics"], indent=2))


@app.command("evaluate-intents")
def evaluate_intents_cmd(
    model: Annotated[Path | None, typer.Option(help="Model folder; default: the active classifier.")] = None,
    test: Annotated[Path | None, typer.Option(help="Held-out JSONL of {text, intent, tags}.")] = None,
    train: Annotated[Path | None, typer.Option(help="Training data for the TF-IDF baseline.")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Confidence threshold; default from settings.")] = None,
) -> None:
    """Per-intent and per-variation scores, confusion matrix, threshold sweep, TF-IDF baseline."""
    from finetune.evaluate_intents import evaluate_intents, summary

    try:
        folder = evaluate_intents(Settings(), model, test, train, out, threshold)
    except AssistantError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary(json.loads((folder / "report.json").read_text())))
    typer.echo(f"report: {folder}")


@app.command("conversations")
def conversations_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder of YAML conversation scripts.")] = Path("tests/conversations"),
) -> None:
    """Run conversation scripts through the assistant; exit 1 on any wrong prediction."""
    from assistant.dialogue import Assistant
    from finetune.conversations import load_scripts, run_script

    try:
        bot = Assistant.load(Settings())
    except AssistantError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None
    failed = total = 0
    for name, script in load_scripts(folder).items():
        typer.echo(f"{name}: {script.name}")
        for user, problems in run_script(bot, name, script):
            total += 1
            failed += bool(problems)
            mark = "FAIL" if problems else "ok  "
            typer.echo(f"  {mark} {user[:70]}" + "".join(f"\n         {p}" for p in problems))
    typer.echo(f"{total - failed} passed, {failed} failed")
    raise typer.Exit(1 if failed else 0)


def main() -> None:
    enforce_offline()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()


if __name__ == "__main__":
    main()
