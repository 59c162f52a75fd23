"""Prompt templates from ``prompts/``: loaded, validated, rendered.

A support lead edits the YAML files; a template that does not parse, uses a
variable the code does not provide, or lacks a required entry fails at load time
with one line naming the file and entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, meta
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import PromptError

SHOP_NAME = "Fjord & Pine"
"""The demo shop's name, rendered into prompts and canned responses as ``shop_name``."""

_ENV = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)

REPLY_VARS = {"shop_name", "question", "passages", "history", "order_number"}
RESPONSE_VARS = {
    "greeting": {"shop_name"},
    "thanks": {"shop_name"},
    "goodbye": {"shop_name"},
    "clarify": {"shop_name", "options"},
    "fallback": {"shop_name"},
    "ask_order_number": {"shop_name"},
    "offer_order_check": {"shop_name"},
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
    "no_match": {"shop_name", "kinds", "constraints"},
}


class _ReplyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: int
    system: str
    user: str


class _ResponsesFile(BaseModel):
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


class ReplyPrompt:
    """The chat prompt for generated replies."""

    def __init__(self, path: Path) -> None:
        spec = _validated(_ReplyFile, path)
        self.name, self.version = spec.name, spec.version
        self._system = _compile(path, "system", spec.system, REPLY_VARS)
        self._user = _compile(path, "user", spec.user, REPLY_VARS)

    @property
    def tag(self) -> str:
        return f"{self.name}@v{self.version}"

    def messages(self, **values: Any) -> list[dict[str, str]]:
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
        spec = _validated(_ResponsesFile, path)
        self.name, self.version = spec.name, spec.version
        missing = sorted(set(RESPONSE_VARS) - set(spec.templates))
        if missing:
            raise PromptError(f"{path}: missing entries {', '.join(missing)}")
        extra = sorted(set(spec.templates) - set(RESPONSE_VARS))
        if extra:
            raise PromptError(f"{path}: unknown entries {', '.join(extra)}")
        self._templates = {k: _compile(path, k, v, RESPONSE_VARS[k]) for k, v in spec.templates.items()}

    def render(self, key: str, **values: Any) -> str:
        return str(self._templates[key].render(**values)).strip()


class PromptLibrary:
    """All prompt files of one installation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.reply = ReplyPrompt(folder / "reply.yaml")
        self.responses = Responses(folder / "responses.yaml")

    @property
    def tag(self) -> str:
        return f"{self.reply.tag}+{self.responses.name}@v{self.responses.version}"
