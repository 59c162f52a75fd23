"""Command line: ``python -m assistant <command>``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from assistant.errors import AssistantError
from assistant.offline import enforce_offline
from assistant.settings import Settings

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="The shop assistant (the shop itself is knowledge/shop.yaml)."
)
kb_app = typer.Typer(no_args_is_help=True, help="The knowledge folder and its index.")
logs_app = typer.Typer(no_args_is_help=True, help="The turn log.")
app.add_typer(kb_app, name="kb")
app.add_typer(logs_app, name="logs")
shop_app = typer.Typer(no_args_is_help=True, help="The shop database: products, customers, orders, returns.")
app.add_typer(shop_app, name="shop")


def _fail(err: Exception) -> None:
    typer.secho(f"error: {err}", fg="red", err=True)
    raise typer.Exit(1)


@app.command("prepare")
def prepare_cmd() -> None:
    """Convert the reply model, sync the knowledge index, train the classifier if missing."""
    from assistant.prepare import prepare
    from assistant.training import TrainingCommands

    try:
        report = prepare(Settings(), TrainingCommands())
    except AssistantError as err:
        _fail(err)
    for problem in report.problems:
        typer.secho(f"warning: {problem}", fg="yellow", err=True)
    typer.echo(f"knowledge index: {report.sync.summary()}")
    typer.echo(f"intent classifier: {report.classifier}{' (trained now)' if report.trained_classifier else ''}")
    typer.echo(f"shop database: {report.shop}")
    typer.echo(f"ready in {report.seconds:.1f} s")


@app.command("serve")
def serve_cmd(
    skip_prepare: Annotated[bool, typer.Option(help="Start without checking models and index.")] = False,
) -> None:
    """Prepare what is missing, then start the chat UI."""
    from assistant.prepare import prepare
    from assistant.training import TrainingCommands

    settings = Settings()
    try:
        if not skip_prepare:
            report = prepare(settings, TrainingCommands())
            for problem in report.problems:
                typer.secho(f"warning: {problem}", fg="yellow", err=True)
            typer.echo(f"knowledge index: {report.sync.summary()}; prepared in {report.seconds:.1f} s")
        from app import serve

        serve(settings)
    except AssistantError as err:
        _fail(err)


@app.command("ask")
def ask_cmd(message: str, session: str = "cli") -> None:
    """Answer one message and print the reply as JSON."""
    from assistant.dialogue import Assistant

    try:
        reply = Assistant.load(Settings()).respond(message, session_id=session)
    except AssistantError as err:
        _fail(err)
    typer.echo(reply.model_dump_json(indent=2))


@kb_app.command("check")
def kb_check() -> None:
    """Validate the knowledge folder and check the index against it; exit 1 on a bad file or a damaged index."""
    from assistant.index import KnowledgeIndex
    from assistant.knowledge import load_knowledge

    settings = Settings()
    kb = load_knowledge(settings.knowledge_dir)
    for problem in kb.problems:
        typer.secho(str(problem), fg="red", err=True)
    typer.echo(f"{len(kb.products)} products, {len(kb.articles)} articles, {len(kb.problems)} problems")
    failed = bool(kb.problems)
    if settings.chroma_dir.is_dir():
        try:
            health = KnowledgeIndex(settings.chroma_dir, settings.collection).check(kb.passages())
        except AssistantError as err:
            _fail(err)
        typer.echo(f"knowledge index {settings.chroma_dir}: {health.summary()}")
        if health.damaged:
            typer.secho("the index is damaged; rebuild it: python -m assistant kb sync --rebuild", fg="red", err=True)
        elif not health.ok:
            typer.secho("the index is out of date; run: python -m assistant kb sync", fg="yellow", err=True)
        failed = failed or bool(health.damaged)
    else:
        typer.echo(f"knowledge index {settings.chroma_dir}: not built yet (python -m assistant kb sync)")
    raise typer.Exit(1 if failed else 0)


@kb_app.command("sync")
def kb_sync(
    rebuild: Annotated[bool, typer.Option(help="Drop the index and embed every entry again.")] = False,
) -> None:
    """Embed added and changed entries into the index and delete removed ones; a damaged index is rebuilt."""
    from assistant.prepare import sync_knowledge

    try:
        report, problems = sync_knowledge(Settings(), rebuild=rebuild)
    except AssistantError as err:
        _fail(err)
    for problem in problems:
        typer.secho(f"warning: {problem}", fg="yellow", err=True)
    typer.echo(report.summary())
    for pid in report.added:
        typer.echo(f"  + {pid}")
    for pid in report.changed:
        typer.echo(f"  ~ {pid}")
    for pid in report.removed:
        typer.echo(f"  - {pid}")


@logs_app.command("path")
def logs_path() -> None:
    """Print where the turn log is."""
    typer.echo(str(Settings().log_path))


@logs_app.command("list")
def logs_list(limit: int = 20, session: str | None = None) -> None:
    """Print the latest turns, newest first, one JSON object per line."""
    from assistant.turnlog import TurnLog

    for record in TurnLog(Settings().log_path).recent(limit=limit, session_id=session):
        typer.echo(record.model_dump_json())


@logs_app.command("export")
def logs_export(
    out: Annotated[Path, typer.Option(help="JSONL file to write.")],
    redact_pii: Annotated[bool, typer.Option("--redact/--no-redact", help="Replace personal data.")] = True,
    limit: int = 1_000_000,
) -> None:
    """Write logged turns as JSONL (personal data redacted unless --no-redact)."""
    from assistant.redact import redact
    from assistant.turnlog import TurnLog

    records = TurnLog(Settings().log_path).recent(limit=limit)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for r in reversed(records):
            if redact_pii:
                r = r.model_copy(update={"user_text": redact(r.user_text).text, "reply": redact(r.reply).text})
            fh.write(r.model_dump_json() + "\n")
    typer.echo(f"{len(records)} turns -> {out}")


@logs_app.command("curate")
def logs_curate(
    turn_id: str,
    intent: Annotated[str | None, typer.Option(help="The intent the message should have had.")] = None,
    reply: Annotated[str | None, typer.Option(help="The reply it should have had.")] = None,
    approve: Annotated[bool, typer.Option(help="The logged reply is good as it is.")] = False,
    note: str | None = None,
    author: str = "lead",
) -> None:
    """Correct or approve a logged turn; the correction is stored beside it."""
    from assistant.taxonomy import load_taxonomy
    from assistant.turnlog import Curation, TurnLog

    settings = Settings()
    if intent is not None and intent not in load_taxonomy(settings.taxonomy_file).intents:
        _fail(AssistantError(f"unknown intent '{intent}'; see {settings.taxonomy_file}"))
    try:
        saved = TurnLog(settings.log_path).curate(
            Curation(turn_id=turn_id, intent=intent, reply=reply, approved=approve, note=note, author=author)
        )
    except AssistantError as err:
        _fail(err)
    typer.echo(saved.model_dump_json())


@logs_app.command("curated")
def logs_curated(out: Annotated[Path, typer.Option(help="JSONL file to write.")]) -> None:
    """Export curated supervision (latest correction per turn) as JSONL, personal data redacted."""
    from assistant.supervision import curated_records
    from assistant.turnlog import TurnLog

    rows = curated_records(TurnLog(Settings().log_path))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row.model_dump_json() + "\n")
    typer.echo(f"{len(rows)} curated turns -> {out}")


@shop_app.command("demo")
def shop_demo(
    replace: Annotated[bool, typer.Option(help="Delete an existing shop database first.")] = False,
    customers: Annotated[int, typer.Option(help="How many customers.")] = 220,
    orders: Annotated[int, typer.Option(help="How many orders, the well-known demo orders included.")] = 1100,
    seed: Annotated[int, typer.Option(help="Seed of the generator: the same seed gives the same shop.")] = 7,
) -> None:
    """Fill the shop database with demo customers and orders from the catalogue."""
    from assistant.shop.demo import DEMO_FIXTURES, build_demo_shop

    settings = Settings()
    try:
        counts = build_demo_shop(
            settings.shop_db, settings.knowledge_dir, customers=customers, orders=orders, seed=seed, replace=replace
        )
    except AssistantError as err:
        _fail(err)
    typer.echo(f"{settings.shop_db}: " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    typer.echo("well-known demo orders:")
    for number, description in DEMO_FIXTURES.items():
        typer.echo(f"  {number}  {description}")


@shop_app.command("import")
def shop_import(
    folder: Annotated[Path, typer.Argument(help="Folder with products.json or .csv, customers.json, orders.json.")],
    strict: Annotated[bool, typer.Option(help="Abort without writing anything if any record is invalid.")] = False,
) -> None:
    """Load a shop's products, customers and orders (format: docs/shop-import.md); exit 1 on invalid records."""
    from assistant.shop.transfer import import_shop

    settings = Settings()
    try:
        report = import_shop(settings.shop_db, folder, settings.knowledge_dir, strict=strict)
    except AssistantError as err:
        _fail(err)
    for problem in report.problems:
        typer.secho(str(problem), fg="red", err=True)
    for warning in report.warnings:
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    typer.echo(report.summary())
    if report.catalogue_file:
        typer.echo(f"catalogue: {report.catalogue_file} (run `python -m assistant kb sync` to index it)")
    raise typer.Exit(1 if report.problems else 0)


@shop_app.command("export")
def shop_export(folder: Annotated[Path, typer.Argument(help="Folder to write the JSON files into.")]) -> None:
    """Write the shop database as an import folder (products.json, customers.json, orders.json)."""
    from assistant.shop.export import export_shop

    path = Settings().shop_db
    if not path.exists():
        _fail(AssistantError(f"no shop database at {path}; run: python -m assistant shop demo"))
    try:
        counts = export_shop(path, folder)
    except AssistantError as err:
        _fail(err)
    typer.echo(f"{counts['products']} products, {counts['customers']} customers, {counts['orders']} orders -> {folder}")


def main() -> None:
    enforce_offline()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "chromadb", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app()


if __name__ == "__main__":
    main()
