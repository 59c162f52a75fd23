"""The shop as data: ``knowledge/shop.yaml`` names the shop and holds every policy number the code applies.

    profile = load_profile(Path("knowledge"))
    profile.returns.window_days          # 30
    profile.orders.change_window         # timedelta(hours=1), or None: no changes after ordering
    profile.region_of("AT").carrier      # "DPD"

A second shop ships its own ``shop.yaml`` beside its own policies; nothing in code names a shop, a fee or a
window. A mistake in the file ends in one line, ``knowledge/shop.yaml:12: returns.window_days: ...``.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import AssistantError

PROFILE_FILE = "shop.yaml"
OrderStatus = Literal["pending", "processed", "shipped", "delivered", "cancelled", "returned", "refunded"]


class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday, as ``date.weekday()`` counts."""
        return list(Weekday).index(self)


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"not a regular expression ({err})") from None
    return value


Regex = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]
"""A regular expression, checked when the profile loads."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoursSpan(_Strict):
    """One or more weekdays with the same hours: ``{days: [monday, friday], open: "08:00", close: "18:00"}``."""

    days: list[Weekday] = Field(min_length=1)
    open: time
    close: time

    @model_validator(mode="after")
    def _opens_before_closing(self) -> HoursSpan:
        if self.open >= self.close:
            raise ValueError(f"opens at {self.open:%H:%M}, not before it closes at {self.close:%H:%M}")
        return self


class CustomerService(_Strict):
    """When people answer, and how fast."""

    opening_hours: list[HoursSpan] = Field(min_length=1)
    """Days not named are closed."""
    chat_join_minutes: int = Field(ge=0)
    """A person usually joins a handed-over chat within this many minutes during opening hours."""
    email_reply_hours: int = Field(ge=0)
    """Outside opening hours the team replies by email within this many hours."""
    escalation_business_days: int = Field(ge=0)
    """A team lead reviews an escalated case within this many business days."""

    def hours_by_weekday(self) -> dict[int, tuple[time, time]]:
        """Opening and closing time per weekday (0 = Monday); the first span naming a day wins."""
        days: dict[int, tuple[time, time]] = {}
        for span in self.opening_hours:
            for day in span.days:
                days.setdefault(day.number, (span.open, span.close))
        return days


class OrderRules(_Strict):
    """What may happen to an order after it is placed (the terms of sale)."""

    change_window_minutes: int | None = Field(ge=1)
    """Items, quantities and the delivery address can be changed this long after ordering; null: never."""
    changeable: list[OrderStatus]
    """Statuses in which an order can still be changed (within the window)."""
    cancellable: list[OrderStatus] = Field(min_length=1)
    """The cancellation rule: statuses in which an order can be cancelled free of charge."""
    dispatch_cutoff: time
    """Orders placed and paid by this local time on a business day leave the same day."""
    number_pattern: Regex
    """A regular expression for the shop's order numbers (``1\\d{5}``): a number of this form is read as an order
    number even without the word "order" before it."""

    @property
    def change_window(self) -> timedelta | None:
        return None if self.change_window_minutes is None else timedelta(minutes=self.change_window_minutes)


class Postcodes(_Strict):
    """How the shop's customers write the postcode of an address (asked for to prove who they are)."""

    word: str = Field(min_length=1)
    """What customers call it: "zip code", "postcode"."""
    pattern: Regex
    """A regular expression of one postcode, as customers type it."""


class ReturnRules(_Strict):
    """The returns and refund policy."""

    window_days: int = Field(ge=0)
    """Items can be returned or exchanged this many days after delivery."""
    refund_business_days: int = Field(ge=0)
    """The refund is issued within this many business days after the return arrives."""


class LateParcelRules(_Strict):
    """The shipping policy's promise for a parcel that does not arrive."""

    search_after_business_days: int = Field(ge=0)
    """Business days after the latest expected delivery day before the shop starts a search with the carrier."""
    search_takes_business_days: int = Field(ge=0)
    """Business days the carrier has to find the parcel before the shop replaces or refunds it."""
    look_at: str = Field(min_length=1)
    """Where a customer should look for a parcel that seems late: "the nearest Packstation or post office"."""


class DayRange(_Strict):
    """Business days from dispatch, fastest and slowest."""

    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is more than max {self.max}")
        return self


class Region(_Strict):
    """Countries that share shipping prices, a carrier, delivery times and a return label fee."""

    countries: list[str] = Field(min_length=1)
    """ISO 3166 alpha-2 codes."""
    carrier: str
    """The standard carrier."""
    standard_fee: Decimal = Field(ge=0)
    free_from: Decimal | None = Field(default=None, ge=0)
    """Goods value (after discounts) from which standard shipping is free; null: never free."""
    express_fee: Decimal | None = Field(default=None, ge=0)
    """Null: no express shipping to this region."""
    transit_days: DayRange
    express_transit_days: DayRange | None = None
    return_label_fee: Decimal | None = Field(ge=0)
    """Deducted from the refund (faulty items are returned free); null: no label, the customer sends it."""


class Shipping(_Strict):
    """Shipping by region, as the shipping and returns policies state it."""

    express_carrier: str | None = None
    regions: dict[str, Region] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_country_once(self) -> Shipping:
        seen: dict[str, str] = {}
        for name, region in self.regions.items():
            for code in region.countries:
                if code in seen:
                    raise ValueError(f"country {code} is in both {seen[code]} and {name}")
                seen[code] = name
        if self.express_carrier is None and any(r.express_fee is not None for r in self.regions.values()):
            raise ValueError("express fees are set but no express_carrier")
        return self


class Payments(_Strict):
    """Payment methods the shop takes, and where the restricted ones are offered."""

    methods: list[str] = Field(min_length=1)
    """Method ids as orders store them (``card``, ``paypal``, ...)."""
    only_in: dict[str, list[str]] = {}
    """Method id -> the only countries it is offered in (e.g. Klarna)."""
    bank_transfer_days: int | None = Field(default=None, ge=1)
    """An order paid by bank transfer is cancelled when the money has not arrived within this many days."""


class ShopProfile(_Strict):
    """One shop: its name, where and when it works, and every policy number the code applies."""

    name: str = Field(min_length=1)
    """As customers know it: "Fjord & Pine"."""
    description: str = Field(min_length=1)
    """What the shop sells, as the reply model is told: "an online shop for outdoor clothing ..."."""
    legal_name: str = Field(min_length=1)
    website: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    """ISO 4217 code; every price in the catalogue and the shop database is in it."""
    currency_symbol: str
    languages: list[str] = Field(min_length=1)
    """ISO 639-1 codes; the first is the one the assistant answers in."""
    time_zone: str
    """IANA name, e.g. Europe/Berlin."""
    local_time: str
    """How customers are told the time zone: "German time"."""
    warehouse_city: str
    warehouse_country: str | None = None
    """ISO code of the country parcels leave from."""
    customer_service: CustomerService
    postcodes: Postcodes
    orders: OrderRules
    returns: ReturnRules
    late_parcels: LateParcelRules
    shipping: Shipping
    payments: Payments
    discounts: dict[str, int] = {}
    """Code kind -> percent off (``welcome: 10``)."""
    discount_minimums: dict[str, Decimal] = {}
    """Code kind -> the goods value an order needs for the code (``welcome: 50``)."""

    def region_of(self, country: str) -> Region:
        """The shipping region of a country code.

        Raises:
            AssistantError: the shop does not ship there.
        """
        for region in self.shipping.regions.values():
            if country in region.countries:
                return region
        raise AssistantError(f"{self.name} does not ship to {country!r} (no region in {PROFILE_FILE} lists it)")

    def region_name(self, country: str) -> str:
        for name, region in self.shipping.regions.items():
            if country in region.countries:
                return name
        raise AssistantError(f"{self.name} does not ship to {country!r} (no region in {PROFILE_FILE} lists it)")

    def money(self, amount: Decimal) -> str:
        """``28.95 EUR``: how the desk writes an amount."""
        return f"{amount:.2f} {self.currency}"


def _node_at(node: yaml.Node, loc: tuple[int | str, ...]) -> yaml.Node:
    """The YAML node a validation error points at, as deep as the path goes."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                key = next((k for k, _ in node.value if k.value == part), None)
                return key or node
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node


def parse_profile(text: str, source: str = PROFILE_FILE) -> ShopProfile:
    """Validate the text of a ``shop.yaml``.

    Raises:
        AssistantError: one line, ``source:line: field: problem``.
    """
    try:
        root = yaml.compose(text)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise AssistantError(f"{source}{line}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if root is None or not isinstance(data, dict):
        raise AssistantError(f"{source}:1: expected a mapping of shop settings (name, currency, returns, ...)")
    try:
        return ShopProfile.model_validate(data)
    except ValidationError as err:
        # a misspelt key also makes the right one "missing": name the misspelling, it is the cause
        first = min(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
        loc = tuple(first["loc"])
        node = _node_at(root, loc)
        field = ".".join(str(p) for p in loc) or "(top level)"
        message = "unknown key (misspelt?)" if first["type"] == "extra_forbidden" else first["msg"]
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise AssistantError(f"{source}:{node.start_mark.line + 1}: {field}: {message}{more}") from None


def load_profile(knowledge_dir: Path) -> ShopProfile:
    """Read ``<knowledge_dir>/shop.yaml``.

    Raises:
        AssistantError: the file is missing or wrong, in one line naming the file and line.
    """
    path = Path(knowledge_dir) / PROFILE_FILE
    if not path.is_file():
        raise AssistantError(f"{path}: missing; every knowledge folder needs a {PROFILE_FILE} (see README, 'A shop')")
    return parse_profile(path.read_text(encoding="utf-8"), str(path))
