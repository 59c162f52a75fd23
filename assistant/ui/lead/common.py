"""What the lead area's tabs share: the error wrapper, reading the lead's input, and the first-view contract."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import gradio as gr
import pandas as pd

from assistant.errors import AssistantError

log = logging.getLogger("assistant.ui.lead")


@dataclass(frozen=True)
class Opening:
    """A tab's part of the page's first view: what it reads, what it fills, and how (one request for the page)."""

    inputs: list[Any]
    outputs: list[Any]
    fill: Callable[..., tuple[Any, ...]]


def safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a handler; a user-caused error shows as one line on the page, anything else is logged too."""

    def wrapped(*args: Any) -> Any:
        try:
            return fn(*args)
        except AssistantError as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:
            log.exception("lead area: %s failed", fn.__name__)
            raise gr.Error(f"that did not work ({type(err).__name__}); the server log has the details") from None

    wrapped.__name__ = fn.__name__
    return wrapped


def parse_date(text: str, field: str) -> date | None:
    """A date the lead typed (empty: none)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AssistantError(f"{field}: '{text}' is not a date like 2026-11-23") from None


def parse_order_number(text: str | int | None) -> int | None:
    """An order number the lead typed, with or without ``#`` (empty: none)."""
    text = str(text if text is not None else "").strip().lstrip("#")
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 6):
        raise AssistantError(f"order: '{text}' is not an order number like 104233")
    return int(text)


def short(text: str | None, n: int = 90) -> str:
    """One line of at most ``n`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def selected_row(table: pd.DataFrame, evt: gr.SelectData, what: str) -> list[Any]:
    """The row a lead clicked in a table."""
    row = evt.row_value or (table.iloc[evt.index[0]].tolist() if evt.index else None)
    if not row:
        raise AssistantError(f"pick {what} in the list")
    return list(row)
