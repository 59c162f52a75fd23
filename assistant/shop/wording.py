"""What the order desk and the order actions say, from ``prompts/orders.yaml``, with the shop's values filled in.

    wording = OrderWording(Path("prompts/orders.yaml"), profile)
    wording.say("ask_zip")                                  # "Thanks. And the zip code of the delivery address?"
    wording.say("no_refund", order=104233)

Every entry may use the shop's values (``shop_name``, ``return_days``, ``change_window``, ``refund_days``,
``search_takes_days``, ``local_time``) and the variables :data:`ORDER_VARS` lists for it; a template that uses
another, or a missing or unknown entry, fails at load time with one line naming the file and entry.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from assistant.errors import PromptError
from assistant.prompts import _compile, _validated
from assistant.shop.profile import ShopProfile, load_profile

WORDING_FILE = "orders.yaml"
SHOP_VARS = {
    "shop_name",
    "return_days",
    "change_window",
    "refund_days",
    "search_takes_days",
    "local_time",
    "postcode",
    "look_at",
}
ORDER_VARS: dict[str, set[str]] = {
    "status_header": {"order", "placed", "items", "total"},
    "status_pending": set(),
    "status_processed": set(),
    "status_shipped": {"shipped", "carrier", "tracking", "expected", "days_late", "last", "last_at"},
    "late_outcome": set(),
    "late_search_now": {"outcome"},
    "late_wait": {"search_from", "outcome"},
    "status_delivered": {"delivered", "deadline"},
    "status_cancelled": {"cancelled"},
    "status_closed": {"status", "refunds"},
    "refund_issued": {"amount", "paid_to", "issued"},
    "return_arrived": {"received", "paid_to"},
    "return_on_its_way": {"registered", "paid_to"},
    "no_refund": {"order"},
    "plan_cancel": {"order", "items", "total", "paid_to"},
    "plan_change_address": {"order", "old", "new"},
    "plan_remove_item": {"item", "order", "amount"},
    "plan_change_item": {"item", "order", "new"},
    "plan_exchange": {"what", "order", "product", "variant"},
    "plan_return": {"what", "order", "amount", "paid_to"},
    "cannot_cancel": {"order", "status"},
    "cannot_change": {"what", "order", "status"},
    "cannot_return": {"order", "status"},
    "return_window_closed": {"order", "delivered", "deadline"},
    "no_such_item": {"order", "line"},
    "only_item": {"order"},
    "bad_quantity": {"low", "high"},
    "no_such_variant": {"product", "variant"},
    "low_stock": {"product", "variant", "stock"},
    "item_returned": {"item", "order"},
    "all_returned": {"order"},
    "cannot_exchange": {"product", "variant", "sold_out"},
    "cancelled": {"order", "total", "paid_to"},
    "address_changed": {"order", "address"},
    "item_removed": {"item", "order", "total"},
    "item_changed": {"order", "new", "total"},
    "return_registered": {"what", "order", "return_id"},
    "ask_order": set(),
    "ask_identity": {"order"},
    "ask_zip": set(),
    "identity_failed": {"order"},
    "identity_handoff": {"order"},
    "order_locked": {"order"},
    "identity_locked": {"order"},
    "ask_new_address": {"order", "address"},
    "which_item": {"order", "items", "question"},
    "ask_item_change": set(),
    "ask_exchange": set(),
    "confirm": {"summary"},
    "declined": {"order"},
    "not_changed": {"reason"},
}


class _OrdersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: int
    payment_names: dict[str, str]
    templates: dict[str, str]


class OrderWording:
    """The order desk's and the order actions' sentences for one shop.

    Args:
        path: ``prompts/orders.yaml``.
        profile: The shop whose name and numbers are filled in.
    """

    def __init__(self, path: Path, profile: ShopProfile) -> None:
        spec = _validated(_OrdersFile, path)
        self.name, self.version = spec.name, spec.version
        missing = sorted(set(ORDER_VARS) - set(spec.templates))
        if missing:
            raise PromptError(f"{path}: missing entries {', '.join(missing)}")
        extra = sorted(set(spec.templates) - set(ORDER_VARS))
        if extra:
            raise PromptError(f"{path}: unknown entries {', '.join(extra)}")
        unnamed = sorted(set(profile.payments.methods) - set(spec.payment_names))
        if unnamed:
            raise PromptError(f"{path}: payment_names lacks {', '.join(unnamed)} (payments.methods in shop.yaml)")
        self.payment_names = spec.payment_names
        self._templates = {k: _compile(path, k, v, ORDER_VARS[k] | SHOP_VARS) for k, v in spec.templates.items()}
        window = profile.orders.change_window_minutes
        self._shop: dict[str, Any] = {
            "shop_name": profile.name,
            "return_days": profile.returns.window_days,
            "change_window": _duration(window) if window is not None else "",
            "refund_days": profile.returns.refund_business_days,
            "search_takes_days": profile.late_parcels.search_takes_business_days,
            "local_time": profile.local_time,
            "postcode": profile.postcodes.word,
            "look_at": profile.late_parcels.look_at,
        }

    @classmethod
    def installed(cls) -> OrderWording:
        """The wording of the installation the settings point at (``SHOP_PROMPTS_DIR``, ``SHOP_KNOWLEDGE_DIR``)."""
        from assistant.settings import Settings

        settings = Settings()
        return _wording(settings.prompts_dir.resolve(), settings.knowledge_dir.resolve())

    def say(self, key: str, **values: Any) -> str:
        """The entry ``key`` rendered with the shop's values and ``values``."""
        return str(self._templates[key].render(**self._shop, **values)).strip()

    def paid_to(self, method: str) -> str:
        """Where a refund goes: "PayPal", "your card"."""
        return self.payment_names.get(method, method)


def money(amount: Decimal, currency: str) -> str:
    """An amount as order texts state it: "1,249.00 EUR"."""
    return f"{amount:,.2f} {currency}"


def variant_label(color: str, size: str | None) -> str:
    return f"{color}{f' {size}' if size else ''}"


def _duration(minutes: int) -> str:
    """60 -> "1 hour", 90 -> "90 minutes", 120 -> "2 hours"."""
    if minutes % 60:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    hours = minutes // 60
    return f"{hours} hour{'s' * (hours != 1)}"


@lru_cache(maxsize=8)
def _wording(prompts_dir: Path, knowledge_dir: Path) -> OrderWording:
    return OrderWording(prompts_dir / WORDING_FILE, load_profile(knowledge_dir))
