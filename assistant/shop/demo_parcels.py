"""Demo parcels: tracking numbers in each carrier's format and the carrier's scans up to ``now``."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Protocol

from assistant.shop.demo_data import _ALPHABETS, _TRACKING, DATA, _Plan
from assistant.shop.profile import ShopProfile
from assistant.shop.records import (
    Address,
    TrackingEvent,
)


class _Draws(Protocol):
    """What drawing a parcel needs of the order generator."""

    rng: random.Random
    tracking: set[str]
    profile: ShopProfile

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime: ...

    def _local(self, moment: datetime) -> datetime: ...


def tracking_number(gen: _Draws, carrier: str) -> str:
    """A new number in the carrier's format (:attr:`DemoData.tracking_numbers`)."""
    formats = DATA.tracking_numbers
    runs = _TRACKING.findall(formats.get(carrier, formats["default"]))
    while True:
        number = "".join(text or "".join(gen.rng.choices(_ALPHABETS[kind], k=int(count))) for text, kind, count in runs)
        if number not in gen.tracking:
            gen.tracking.add(number)
            return number


def parcel_events(gen: _Draws, carrier: str, plan: _Plan, address: Address, now: datetime) -> list[TrackingEvent]:
    """The carrier's scans up to ``now``: label, pick-up, parcel centre, border, depot, delivery."""
    assert plan.shipped is not None
    rng = gen.rng
    shipped = plan.shipped
    home = ", ".join(p for p in (gen.profile.warehouse_city, gen.profile.warehouse_country) if p)
    there = f"{address.city}, {address.country}"
    events = [
        TrackingEvent(
            at=shipped - timedelta(minutes=rng.randint(60, 240)),
            status="label_created",
            location=home,
            description=f"Shipment information sent to {carrier} electronically",
        ),
        TrackingEvent(at=shipped, status="picked_up", location=home, description=f"Parcel handed over to {carrier}"),
        TrackingEvent(
            at=shipped + timedelta(minutes=rng.randint(120, 300)),
            status="in_transit",
            location=home,
            description=f"Processed at the {carrier} parcel centre",
        ),
    ]
    if address.country != "DE":
        events.append(
            TrackingEvent(
                at=shipped + timedelta(hours=rng.randint(14, 30)),
                status="in_transit",
                location=address.country,
                description="Arrived in the destination country",
            )
        )
    if plan.delivered is not None:
        day = gen._local(plan.delivered).date()
        if rng.random() < 0.05 and plan.delivered - shipped > timedelta(days=2):
            before = gen._at(day - timedelta(days=1 if day.weekday() else 3), 11) + timedelta(
                minutes=rng.randint(0, 300)
            )
            events.append(
                TrackingEvent(
                    at=before,
                    status="delivery_attempted",
                    location=there,
                    description="Recipient not at home; next attempt on the next business day",
                )
            )
        events += [
            TrackingEvent(
                at=gen._at(day, 5) + timedelta(minutes=rng.randint(0, 90)),
                status="in_transit",
                location=there,
                description="Arrived at the delivery depot",
            ),
            TrackingEvent(
                at=gen._at(day, 7, 30) + timedelta(minutes=rng.randint(0, 50)),
                status="out_for_delivery",
                location=there,
                description="Out for delivery",
            ),
            TrackingEvent(
                at=plan.delivered,
                status="delivered",
                location=there,
                description=rng.choices(
                    [
                        "Delivered to the recipient",
                        "Delivered to a neighbour",
                        "Left at the agreed safe place",
                        "Delivered to a parcel locker",
                    ],
                    [70, 15, 10, 5],
                )[0],
            ),
        ]
    events.sort(key=lambda e: e.at)
    return [e for e in events if e.at <= now]
