"""The demo shop's people and habits, from ``demo_data.yaml`` beside this module (policy numbers: shop.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import AssistantError

DATA_FILE = Path(__file__).with_name("demo_data.yaml")


class _City(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    first_zip: int
    last_zip: int
    step: int = Field(ge=1)
    weight: float = Field(gt=0)


class _Country(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    weight: float = Field(gt=0)
    names: str
    """Which :attr:`DemoData.names` pool most of its customers' names come from."""
    cities: list[_City] = Field(min_length=1)
    streets: list[str] = Field(min_length=1)


class _Names(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    first: list[str] = Field(min_length=1)
    last: list[str] = Field(min_length=1)


class DemoData(BaseModel):
    """The demo shop's people and habits (``demo_data.yaml``); the policy numbers come from the shop profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fixture_customer: str
    fixtures: dict[int, str]
    """Order number -> what it is; these exist in every demo shop with the promised status and timing."""
    countries: list[_Country] = Field(min_length=1)
    names: dict[str, _Names]
    email_domains: list[str] = Field(min_length=1)
    payment_weights: dict[str, float]
    status_weights: dict[str, float]
    """About ten orders a day: a few open ones, most delivered long ago."""
    cancel_reasons: dict[str, float]
    sized_categories: list[str]
    return_reasons: dict[str, float]
    tracking_numbers: dict[str, str]
    """Carrier (or ``default``) -> its number format: literal text and ``{digits:12}`` or ``{alnum:6}`` runs."""


def load_demo_data(path: Path = DATA_FILE) -> DemoData:
    """Read the demo data file.

    Raises:
        AssistantError: It is missing or does not match :class:`DemoData`, in one line.
    """
    try:
        return DemoData.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as err:
        raise AssistantError(f"{path}: cannot read the demo data ({err})") from None
    except ValidationError as err:
        first = err.errors()[0]
        raise AssistantError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


DATA = load_demo_data()
DEMO_FIXTURES: dict[int, str] = DATA.fixtures
FIXTURE_CUSTOMER = DATA.fixture_customer
"""Lena Hoffmann (lena.hoffmann@example.com): owns 104233, 104156 and 103750."""
_BY_CODE = {c.code: c for c in DATA.countries}
_TRACKING = re.compile(r"([^{]+)|\{(digits|alnum):(\d+)\}")
_ALPHABETS = {"digits": "0123456789", "alnum": "0123456789ABCDEFGHJKLMNPRSTVWXYZ"}

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "æ": "ae"})


@dataclass
class _Plan:
    """When things happen to one order (UTC); times after ``now`` have not happened yet."""

    status: str
    placed: datetime
    shipped: datetime | None = None
    expected: date | None = None
    delivered: datetime | None = None
    cancelled: datetime | None = None
    cancel_reason: str | None = None
    registered: datetime | None = None
    received: datetime | None = None
    refunded: datetime | None = None
    return_reason: str | None = None
    whole_return: bool = True
