"""Conversation tests as data: customer turns, what must come of each, and the shop database afterwards.

A folder of YAML files, each holding ``conversations:``, a list::

    conversations:
      - name: cancel the pending order verified by name and zip     # unique within the folder
        turns:
          - say: Hello, I need to cancel order 104250 please.       # a bare yes/no is read as the word
            intent: cancel_order        # the classifier's label
            route: order                # the route taken
            strategy: order             # how the reply was made (curated, catalogue, generated, order, ...)
            action: ask_identity        # the order desk's action, or ``none`` when the desk must not take the turn
            entities: {order_numbers: ["104250"]}   # entities that must be found (a subset)
            cites: faq:cancel-order     # a source id the reply must cite
            contains: ["Kaffepause"]    # case-insensitive
            absent: ["tracking"]
            handoff: false
        expect:                          # the shop database afterwards, compared with before
          orders: {104250: {status: cancelled}}   # the orders that change, and nothing else
          returns: {104250: 1}           # new return records per order
          audit: [{action: cancel, order_id: 104250, actor: assistant}]   # exactly these audit rows are added

Every key but ``say`` is optional; a misspelt one fails loudly, naming the file, line and conversation.

:class:`ConversationRunner` runs each conversation through the real assistant on a fresh copy of a shop database
(:class:`StartingShop`: the demo shop generated at :data:`DEMO_MOMENT`, a copied SQLite file, or an imported shop
export) with the order desk's clock fixed, then compares the database like a transaction log: the orders that
changed must be exactly the expected ones, with the expected values, and the audit table must hold exactly the
expected rows. ``python -m finetune conversations [FOLDER]`` runs a folder and prints one line per turn; it exits 1
when any expectation fails. Another shop runs its own folder the same way: its knowledge folder from the settings
(``SHOP_KNOWLEDGE_DIR``), its shop database with ``--shop``.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.dialogue import Assistant, Reply, Strategy
from assistant.entities import Entities
from assistant.errors import AssistantError
from assistant.shop.actions import OrderActions
from assistant.shop.desk import OrderDesk
from assistant.shop.desk_state import DeskAction
from assistant.shop.policy import ShopPolicy
from assistant.shop.store import ShopDB
from assistant.shop.wording import WORDING_FILE, OrderWording
from assistant.taxonomy import Route
from finetune.shop_changes import Expect, audit_rows, database_problems, snapshot

DEMO_MOMENT = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
"""The moment the demo shop of the conversation tests is generated at, and the order desk's clock."""


class ConversationError(AssistantError):
    """A conversation file or starting shop that cannot be used; the message names the file."""


# --- the format ---------------------------------------------------------------------------------------------------


class Turn(BaseModel):
    """One customer message and what must come of it."""

    model_config = ConfigDict(extra="forbid")

    say: str
    intent: str | None = None
    route: Route | Literal["clarify", "none"] | None = None
    """The route taken: the intent's route in the taxonomy, or one the assistant chose over it."""
    strategy: Strategy | None = None
    action: DeskAction | Literal["none"] | None = None
    """The order desk's action this turn, or ``none`` when the desk must not take it."""
    entities: dict[str, list[str]] = {}
    """Entities that must be among those found, by kind (``order_numbers``, ``skus``, ...)."""
    cites: str | None = None
    contains: list[str] = []
    absent: list[str] = []
    handoff: bool | None = None

    @field_validator("say", mode="before")
    @classmethod
    def _yaml_yes(cls, value: Any) -> Any:
        """YAML reads a bare yes/no as a boolean; the customer typed the word."""
        return ("yes" if value else "no") if isinstance(value, bool) else value

    @field_validator("entities")
    @classmethod
    def _known_entities(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(Entities.model_fields))
        if unknown:
            raise ValueError(f"unknown entity kind {unknown[0]!r} (known: {', '.join(Entities.model_fields)})")
        return value


class Conversation(BaseModel):
    """One scripted conversation."""

    model_config = ConfigDict(extra="forbid")

    name: str
    turns: list[Turn] = Field(min_length=1)
    expect: Expect = Expect()


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversations: list[dict[str, Any]] = Field(min_length=1)


def load_conversations(folder: Path) -> dict[str, Conversation]:
    """Every conversation of the YAML files in ``folder``, keyed ``file.yaml::name``.

    Raises:
        ConversationError: A file is not valid YAML, breaks the format, or repeats a conversation's name.
    """
    if not folder.is_dir():
        raise ConversationError(f"{folder}: no such folder of conversation files")
    found: dict[str, Conversation] = {}
    where: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        for line, conversation in _read(path):
            if conversation.name in where:
                raise ConversationError(
                    f"{path}:{line}: conversation {conversation.name!r} is also in {where[conversation.name]}"
                )
            where[conversation.name] = f"{path.name}:{line}"
            found[f"{path.name}::{conversation.name}"] = conversation
    if not found:
        raise ConversationError(f"{folder}: no conversation files (*.yaml)")
    return found


def _read(path: Path) -> Iterator[tuple[int, Conversation]]:
    """The conversations of one file, each with the line it starts on."""
    text = path.read_text(encoding="utf-8")
    try:
        data, node = yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as err:
        raise ConversationError(f"{path}: not valid YAML ({err})".replace("\n", " ")) from None
    try:
        items = _File.model_validate(data).conversations
    except ValidationError as err:
        raise ConversationError(f"{path}:1: {_problem(err)}") from None
    starts = [
        item.start_mark.line + 1 for key, value in node.value if key.value == "conversations" for item in value.value
    ]
    for number, (line, item) in enumerate(zip(starts, items, strict=True), 1):
        try:
            yield line, Conversation.model_validate(item)
        except ValidationError as err:
            name = item.get("name", f"number {number}")
            raise ConversationError(f"{path}:{line}: conversation {name!r}: {_problem(err)}") from None


def _problem(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" + (f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else "")


# --- the shop a conversation starts from --------------------------------------------------------------------------


class StartingShop:
    """The shop database every conversation starts from (each gets a fresh copy), and the order desk's clock.

    Args:
        database: The SQLite file copied for each conversation; it is never changed.
        now: The order desk's clock for every conversation.
    """

    def __init__(self, database: Path, now: datetime = DEMO_MOMENT) -> None:
        self.database = database
        self.now = now

    @classmethod
    def prepare(
        cls, source: Path | None, knowledge_dir: Path, folder: Path, now: datetime = DEMO_MOMENT
    ) -> StartingShop:
        """Make the starting shop in ``folder``.

        Args:
            source: A ``.sqlite`` shop database to copy; a shop export folder to import (``docs/shop-import.md``);
                None: the demo shop generated from the catalogue in ``knowledge_dir`` at ``now``.
            knowledge_dir: The knowledge folder of the shop the conversations talk to.
            folder: Where the starting database is written (created when missing).
            now: The order desk's clock (and the demo shop's moment).

        Raises:
            ConversationError: ``source`` does not exist or its export holds invalid records.
        """
        from assistant.shop.demo import build_demo_shop
        from assistant.shop.transfer import import_shop

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "starting-shop.sqlite"
        if source is None:
            build_demo_shop(path, knowledge_dir, now=now, replace=True)
        elif source.is_dir():
            # The shop's catalogue resolves the orders' SKUs when the export has no products of its own; with
            # them, import_shop would also write the knowledge folder's imported.yaml, which a test never does.
            own = any((source / name).is_file() for name in ("products.json", "products.csv"))
            report = import_shop(path, source, None if own else knowledge_dir, strict=True)
            if report.problems:
                raise ConversationError(f"{source}: {report.problems[0]}")
        elif source.is_file():
            _copy(source, path)
        else:
            raise ConversationError(f"{source}: no such shop database or export folder")
        return cls(path, now)

    def copy_to(self, path: Path) -> Path:
        """A fresh copy of the starting database at ``path``."""
        return _copy(self.database, path)


def _copy(source: Path, target: Path) -> Path:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


# --- running and checking -----------------------------------------------------------------------------------------


class TurnResult(BaseModel):
    """One turn as it went."""

    say: str
    reply: str
    problems: list[str] = []


class ConversationResult(BaseModel):
    """One conversation as it went: every turn, and what differs in the database."""

    key: str
    name: str
    turns: list[TurnResult]
    problems: list[str] = []
    """Differences in the shop database and its audit rows."""

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(t.problems for t in self.turns)

    def failures(self) -> list[str]:
        """Every problem, each naming its turn."""
        return [f"{t.say!r}: {p}" for t in self.turns for p in t.problems] + self.problems

    def report(self) -> list[str]:
        """One line per turn (``ok`` or ``FAIL`` and what the customer said), its problems, then the database's."""
        lines = [f"{self.key}"]
        for turn in self.turns:
            lines.append(f"  {'FAIL' if turn.problems else 'ok  '} {turn.say[:70]}")
            lines += [f"         {p}" for p in turn.problems]
        lines += [f"  FAIL database: {p}" for p in self.problems]
        return lines


class ConversationRunner:
    """Run conversations through the real assistant, each on a fresh copy of the starting shop.

    Args:
        bot: The assistant, loaded with the knowledge of the shop the conversations talk to.
        shop: The shop database the conversations start from, and the desk's clock.
        workdir: Where each conversation's copy of the shop database is written.
    """

    def __init__(self, bot: Assistant, shop: StartingShop, workdir: Path) -> None:
        self.bot = bot
        self.shop = shop
        self.workdir = workdir

    def run(self, key: str, conversation: Conversation) -> ConversationResult:
        """Say every turn in one new session, then compare the shop database with its copy from before."""
        run_id = uuid.uuid4().hex[:12]
        path = self.shop.copy_to(self.workdir / f"conversation-{run_id}.sqlite")
        before, audited = snapshot(path), {row["id"] for row in audit_rows(path)}
        session = f"conversation-{run_id}"
        db = ShopDB(path)
        turns = []
        try:
            with _desk_on(self.bot, OrderDesk(self._actions(db))):
                for turn in conversation.turns:
                    reply = self.bot.respond(turn.say, session_id=session)
                    turns.append(TurnResult(say=turn.say, reply=reply.text, problems=check_turn(turn, reply)))
        finally:
            db.close()
        added = [row for row in audit_rows(path) if row["id"] not in audited]
        problems = database_problems(conversation.expect, before, snapshot(path), added, session)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return ConversationResult(key=key, name=conversation.name, turns=turns, problems=problems)

    def _actions(self, db: ShopDB) -> OrderActions:
        """Order actions on ``db`` under the rules and wording of the bot's shop, at the starting shop's clock."""
        profile = self.bot.profile
        wording = OrderWording(self.bot.settings.prompts_dir / WORDING_FILE, profile)
        return OrderActions(db, now=lambda: self.shop.now, policy=ShopPolicy(profile), wording=wording)


@contextmanager
def _desk_on(bot: Assistant, desk: OrderDesk) -> Iterator[None]:
    """The assistant's order desk works on ``desk`` inside the block, and on its own one again after it."""
    saved, bot.desk = bot.desk, desk
    try:
        yield
    finally:
        bot.desk = saved


def check_turn(turn: Turn, reply: Reply) -> list[str]:
    """What differs between the turn's expectations and the reply (empty when it matches)."""
    problems = []
    said = f"({reply.text[:160]!r})"
    for key in ("intent", "route", "strategy", "handoff"):
        wanted, got = getattr(turn, key), getattr(reply, key)
        if wanted is not None and wanted != got:
            problems.append(f"{key}: expected {wanted}, got {got} {said}")
    got_action = reply.order.action if reply.order else "none"
    if turn.action is not None and got_action != turn.action:
        problems.append(f"desk action: expected {turn.action}, got {got_action} {said}")
    for kind, values in turn.entities.items():
        found = getattr(reply.entities, kind)
        missing = [v for v in values if v not in found]
        if missing:
            problems.append(f"entities.{kind}: missing {missing}, got {found}")
    cited = [s.id for s in reply.sources]
    if turn.cites and turn.cites not in cited:
        problems.append(f"cites: expected {turn.cites}, got {cited}")
    problems += [f"reply lacks {text!r} {said}" for text in turn.contains if text.lower() not in reply.text.lower()]
    problems += [f"reply must not say {text!r}" for text in turn.absent if text.lower() in reply.text.lower()]
    return problems
