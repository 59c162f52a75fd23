"""What the web pages say, from ``prompts/pages.yaml``, with the shop's name filled in.

The one place the UI reads the shop's name. A file that does not parse, lacks an
entry, has one the pages do not use, or uses a variable other than ``shop_name``
fails at start with one line naming the file, line and entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, TemplateError
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import PromptError

PAGES_FILE = "pages.yaml"
_ENV = Environment(undefined=StrictUndefined, autoescape=False)


class PageWording(BaseModel):
    """The sentences and labels of the chat page and the lead area (``prompts/pages.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int
    chat_title: str
    """The chat's page title and heading."""
    chat_intro: str
    """The line under the chat's heading."""
    chat_label: str
    placeholder: str
    """The message box's placeholder."""
    send: str
    sorry: str
    """Shown in place of a reply when answering failed on our side."""
    feedback_not_saved: str
    lead_title: str
    """The lead area's page title."""


def _line(path: Path, text: str, key: str) -> str:
    """``file:line`` of a top-level key (just ``file`` when the key is not there)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        node = None
    for k, _ in getattr(node, "value", []) if isinstance(node, yaml.MappingNode) else []:
        if k.value == key:
            return f"{path}:{k.start_mark.line + 1}"
    return str(path)


def load_page_wording(prompts_dir: Path, shop_name: str) -> PageWording:
    """Read ``pages.yaml`` from a prompts folder and fill in the shop's name."""
    path = prompts_dir / PAGES_FILE
    try:
        text = path.read_text(encoding="utf-8")
        data: Any = yaml.safe_load(text)
    except OSError as err:
        raise PromptError(f"{path}: cannot read page wording ({err.strerror})") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise PromptError(f"{path}{f':{mark.line + 1}' if mark else ''}: invalid YAML") from err
    try:
        spec = PageWording.model_validate(data)
    except ValidationError as err:
        # a misspelt entry is also a missing one: name the misspelling, which is where the fix goes
        first = min(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
        key = str(first["loc"][0]) if first["loc"] else ""
        raise PromptError(f"{_line(path, text, key)}: {key or 'file'}: {first['msg']}") from err
    filled: dict[str, Any] = {}
    for key, value in spec.model_dump().items():
        if not isinstance(value, str):
            filled[key] = value
            continue
        try:
            filled[key] = _ENV.from_string(value).render(shop_name=shop_name)
        except TemplateError as err:
            raise PromptError(f"{_line(path, text, key)}: {key}: {err}") from err
    return PageWording.model_validate(filled)
