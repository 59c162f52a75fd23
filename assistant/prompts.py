"""Prompt templates from ``prompts/``: loaded, validated, rendered.

A support lead edits the YAML files; a template that does not parse, uses a
variable the code does not provide, or lacks a required entry fails at load time
with one line naming the file and entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, meta
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import PromptError

if TYPE_CHECKING:
    from assistant.shop.profile import ShopProfile


_ENV = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)

REPLY_VARS = {"shop_name", "shop_description", "question", "passages", "history", "order_number"}
RESPONSE_VARS = {
    "greeting": {"shop_name"},
    "thanks": {"shop_name"},
    "goodbye": {"shop_name"},
    "clarify": {"shop_name", "options"},
    "fallback": {"shop_name"},
    "ask_order_number": {"shop_name"},
    "offer_order_check": {"shop_name"},
    "which_product": {"shop_name"},
    "about_order": {"order_number", "answer"},
    "product_unknown": {"shop_name", "product", "term", "said"},
    "handoff": {"shop_name", "contact", "answer"},
    "complaint": {"shop_name", "contact", "answer"},
    "dont_know": {"shop_name"},
    "empty": set(),
    "unreadable": set(),
    "truncated": {"limit"},
    "offer_human": {"shop_name"},
    "unsolved": {"shop_name"},
    "ticket": {"ticket", "when"},
    "person_answers": {"open", "join_minutes", "day", "at", "local_time", "reply_hours"},
    "no_match": {"shop_name", "kinds", "constraints"},
}
CatalogueEntry = Literal[
    "list",
    "money",
    "variant_size",
    "no_colour",
    "not_made_in",
    "variant_sold_out",
    "variant_count",
    "variant_available",
    "price",
    "all_sold_out",
    "in_stock",
    "sold_out",
    "materials",
    "features",
    "care",
    "weight",
    "details",
    "suggestions",
    "pick",
    "for_gender",
    "price_between",
    "price_up_to",
    "price_from",
    "in_stock_in",
]
"""An entry of ``prompts/catalogue.yaml``: the wording of answers built from the catalogue."""
CATALOGUE_VARS: dict[str, set[str]] = {
    "list": {"items"},
    "money": {"symbol", "amount"},
    "variant_size": {"size"},
    "no_colour": {"product", "colour", "colours"},
    "not_made_in": {"product", "wanted"},
    "variant_sold_out": {"product", "wanted", "others"},
    "variant_count": {"label", "stock"},
    "variant_available": {"product", "wanted", "listing", "sold_out"},
    "price": {"product", "price"},
    "all_sold_out": set(),
    "in_stock": {"colours", "sizes"},
    "sold_out": {"labels"},
    "materials": {"materials"},
    "features": {"features"},
    "care": {"care"},
    "weight": {"grams"},
    "details": {"product", "lines"},
    "suggestions": {"said"},
    "pick": {"product", "price", "stock", "reason"},
    "for_gender": {"gender"},
    "price_between": {"low", "high"},
    "price_up_to": {"high"},
    "price_from": {"low"},
    "in_stock_in": {"variant"},
}


class _ReplyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: int
    system: str
    user: str


class _TemplatesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: int
    templates: dict[str, str]


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PromptError(f"{path}: cannot read prompt file ({err.strerror})") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise PromptError(f"{path}{f':{mark.line + 1}' if mark else ''}: invalid YAML") from err


def _compile(path: Path, key: str, source: str, allowed: set[str]) -> Any:
    try:
        ast = _ENV.parse(source)
    except TemplateSyntaxError as err:
        raise PromptError(f"{path}: entry '{key}' line {err.lineno}: {err.message}") from err
    unknown = meta.find_undeclared_variables(ast) - allowed
    if unknown:
        raise PromptError(f"{path}: entry '{key}' uses unknown variable(s) {', '.join(sorted(unknown))}")
    return _ENV.from_string(source)


def _validated(model: type[BaseModel], path: Path) -> Any:
    try:
        return model.model_validate(_read(path))
    except ValidationError as err:
        first = err.errors()[0]
        raise PromptError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from err


def _entries(path: Path, templates: dict[str, str], allowed: dict[str, set[str]]) -> dict[str, Any]:
    """Every entry ``allowed`` names, compiled; a missing or unknown entry fails naming the file and entry."""
    missing = sorted(set(allowed) - set(templates))
    if missing:
        raise PromptError(f"{path}: missing entries {', '.join(missing)}")
    extra = sorted(set(templates) - set(allowed))
    if extra:
        raise PromptError(f"{path}: unknown entries {', '.join(extra)}")
    return {k: _compile(path, k, v, allowed[k]) for k, v in templates.items()}


class ReplyPrompt:
    """The chat prompt for generated replies."""

    def __init__(self, path: Path, shop: dict[str, str] | None = None) -> None:
        spec = _validated(_ReplyFile, path)
        self.name, self.version = spec.name, spec.version
        self._shop = shop or {}
        self._system = _compile(path, "system", spec.system, REPLY_VARS)
        self._user = _compile(path, "user", spec.user, REPLY_VARS)

    @property
    def tag(self) -> str:
        return f"{self.name}@v{self.version}"

    def messages(self, **values: Any) -> list[dict[str, str]]:
        """The chat for ``values`` (the question, passages, history, order number); the shop's name and description
        come from the library's shop unless given."""
        values = {**self._shop, **values}
        values.setdefault("history", [])
        values.setdefault("order_number", "")
        out = [{"role": "system", "content": self._system.render(**values).strip()}]
        for turn in values["history"]:
            out.append({"role": turn["role"], "content": turn["content"]})
        out.append({"role": "user", "content": self._user.render(**values).strip()})
        return out


class Responses:
    """Fixed replies (greeting, clarifying question, handoff...)."""

    def __init__(self, path: Path) -> None:
        spec = _validated(_TemplatesFile, path)
        self.name, self.version = spec.name, spec.version
        self._templates = _entries(path, spec.templates, RESPONSE_VARS)

    def render(self, key: str, **values: Any) -> str:
        return str(self._templates[key].render(**values)).strip()


class CatalogueWording:
    """The wording of catalogue answers, with prices in one currency; handed to the code that builds them.

    Args:
        templates: the compiled entries of ``prompts/catalogue.yaml``.
        currency: the symbol printed before prices the answer states itself (a budget: "up to €300.00").
    """

    def __init__(self, templates: dict[str, Any], currency: str) -> None:
        self._templates = templates
        self.currency = currency

    def say(self, entry: CatalogueEntry, **values: Any) -> str:
        """One entry rendered; whitespace around it is kept as the template writes it (answers join parts)."""
        return str(self._templates[entry].render(**values))

    def join(self, items: Sequence[str]) -> str:
        """Items as one phrase: "Black, Navy and Olive"."""
        return self.say("list", items=list(items))

    def money(self, amount: Decimal, places: int = 2) -> str:
        """An amount in the shop's currency: "€300.00" (``places=0``: "€300")."""
        return self.say("money", symbol=self.currency, amount=f"{amount:.{places}f}")


class Catalogue:
    """The sentences of answers built from the catalogue (``prompts/catalogue.yaml``)."""

    def __init__(self, path: Path) -> None:
        spec = _validated(_TemplatesFile, path)
        self.name, self.version = spec.name, spec.version
        self._templates = _entries(path, spec.templates, CATALOGUE_VARS)

    def wording(self, currency: str = "€") -> CatalogueWording:
        """The wording with prices in ``currency`` (the shop's symbol; the demo shop's euro until a caller says)."""
        return CatalogueWording(self._templates, currency)


class PromptLibrary:
    """All prompt files of one installation.

    Args:
        folder: ``prompts/``.
        shop: the shop's profile (``knowledge/shop.yaml``): its name and description fill the reply prompt.
    """

    def __init__(self, folder: Path, shop: ShopProfile | None = None) -> None:
        self.folder = folder
        self.shop = shop
        values = {"shop_name": shop.name, "shop_description": shop.description} if shop else {}
        self.reply = ReplyPrompt(folder / "reply.yaml", values)
        self.responses = Responses(folder / "responses.yaml")
        self.catalogue = Catalogue(folder / "catalogue.yaml")

    @property
    def tag(self) -> str:
        return f"{self.reply.tag}+{self.responses.name}@v{self.responses.version}"
