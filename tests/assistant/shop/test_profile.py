"""knowledge/shop.yaml: validated strictly, and saying the same numbers as the policies customers read."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.hours import OpeningHours
from assistant.knowledge import load_knowledge
from assistant.shop.profile import ShopProfile, load_profile, parse_profile

REPO = Path(__file__).resolve().parents[3]
KNOWLEDGE = REPO / "knowledge"


@pytest.fixture(scope="module")
def profile() -> ShopProfile:
    return load_profile(KNOWLEDGE)


@pytest.fixture(scope="module")
def policies() -> dict[str, str]:
    kb = load_knowledge(KNOWLEDGE)
    out: dict[str, str] = {}
    for name in ("returns-policy", "terms-of-sale", "shipping-policy", "refund-policy", "customer-service"):
        article = kb.article(name)
        assert article is not None, name
        out[name] = " ".join(article.body.split())
    return out


def _euro(profile: ShopProfile, amount: Decimal) -> str:
    text = f"{amount:.2f}"
    return f"{profile.currency_symbol}{text.removesuffix('.00')}"


def test_the_demo_profile_loads(profile: ShopProfile) -> None:
    assert profile.name == "Fjord & Pine"
    assert profile.currency == "EUR"
    assert profile.region_of("AT").carrier == "DPD"
    assert profile.region_of("NO").carrier == "DHL"  # a bare NO would be YAML's false
    with pytest.raises(AssistantError, match="does not ship to 'XX'"):
        profile.region_of("XX")


def test_the_policies_state_the_return_window(profile: ShopProfile, policies: dict[str, str]) -> None:
    days = profile.returns.window_days
    assert f"return items within {days} days of the delivery date" in policies["returns-policy"]
    assert f"voluntary {days}-day return period" in policies["terms-of-sale"]


def test_the_policies_state_the_change_window_and_cancellation_rule(
    profile: ShopProfile, policies: dict[str, str]
) -> None:
    minutes = profile.orders.change_window_minutes
    assert minutes is not None and minutes % 60 == 0
    hours = minutes // 60
    said = f"{hours} hour" if hours == 1 else f"{hours} hours"
    assert f"within {said} of placing it" in policies["terms-of-sale"]
    assert profile.orders.cancellable == ["pending", "processed"]
    assert "cancelled free of charge until dispatch" in policies["terms-of-sale"]


def test_the_policies_state_the_late_parcel_and_refund_days(profile: ShopProfile, policies: dict[str, str]) -> None:
    late = profile.late_parcels
    shipping = policies["shipping-policy"]
    assert f"not arrived {late.search_after_business_days} business days after the latest delivery" in shipping
    assert f"not found within {late.search_takes_business_days} business days" in shipping
    days = profile.returns.refund_business_days
    assert f"refund within {days} business days after the return arrives" in policies["refund-policy"]
    cutoff = f"{profile.orders.dispatch_cutoff:%H:%M}"
    assert f"placed and paid by {cutoff} {profile.local_time}" in shipping


def test_the_policies_state_every_fee_and_carrier(profile: ShopProfile, policies: dict[str, str]) -> None:
    shipping, returns = policies["shipping-policy"], policies["returns-policy"]
    for name, region in profile.shipping.regions.items():
        assert f"with {region.carrier} for {_euro(profile, region.standard_fee)}" in shipping, name
        if region.free_from is not None:
            assert f"(free from {_euro(profile, region.free_from)})" in shipping, name
        if region.express_fee is not None:
            assert _euro(profile, region.express_fee) in shipping, name
        assert f"{region.transit_days.min}–{region.transit_days.max}" in shipping or region.transit_days.min == 1
        if region.return_label_fee:
            assert _euro(profile, region.return_label_fee) in returns, name
    assert f"express parcels are shipped with {profile.shipping.express_carrier}" in shipping


def test_the_policy_states_the_opening_hours(profile: ShopProfile, policies: dict[str, str]) -> None:
    said = OpeningHours.from_text(policies["customer-service"], zone=profile.time_zone)
    assert said.days == profile.customer_service.hours_by_weekday()
    service = policies["customer-service"]
    assert f"usually within {profile.customer_service.chat_join_minutes} minutes" in service
    assert f"within {profile.customer_service.escalation_business_days} business days" in service


def test_a_misspelt_key_names_file_line_and_field() -> None:
    text = (KNOWLEDGE / "shop.yaml").read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "window_days:" in row)
    with pytest.raises(AssistantError, match=rf"^shop.yaml:{line}: returns.window_dayz: unknown key"):
        parse_profile(text.replace("window_days:", "window_dayz:"))


def test_a_wrong_value_names_its_line() -> None:
    text = (KNOWLEDGE / "shop.yaml").read_text(encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("currency:"))
    with pytest.raises(AssistantError, match=rf"^shop.yaml:{line}: currency: "):
        parse_profile(text.replace("currency: EUR", "currency: euro"))
    with pytest.raises(AssistantError, match=r"^shop.yaml:\d+: not valid YAML"):
        parse_profile("name: [Fjord\n")


def test_a_missing_profile_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match=r"shop.yaml: missing"):
        load_profile(tmp_path)


def test_no_change_window_is_allowed() -> None:
    text = (KNOWLEDGE / "shop.yaml").read_text(encoding="utf-8")
    profile = parse_profile(re.sub(r"change_window_minutes: \d+", "change_window_minutes: null", text))
    assert profile.orders.change_window is None
