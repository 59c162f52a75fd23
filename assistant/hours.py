"""The customer-service opening hours, read from the contact policy in ``knowledge/``.

The policy says it in words ("Monday to Friday 8:00–18:00 and Saturday 9:00–14:00 German
time"); a support lead who changes the hours there changes what the assistant promises a
customer it hands over.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from assistant.errors import AssistantError

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_SPAN = re.compile(
    r"(?P<first>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:\s+(?:to|-|–)\s+(?P<last>monday|tuesday|wednesday|thursday|friday|saturday|sunday))?"
    r"\s+(?P<open>\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*(?P<close>\d{1,2}[:.]\d{2})",
    re.IGNORECASE,
)


def _time(text: str) -> time:
    hour, minute = re.split(r"[:.]", text)
    return time(int(hour), int(minute))


class OpeningHours(BaseModel):
    """Hours per weekday (0 = Monday) in the shop's time zone; a day without hours is closed."""

    days: dict[int, tuple[time, time]]
    zone: str = "Europe/Berlin"

    @classmethod
    def from_text(cls, text: str, zone: str = "Europe/Berlin") -> OpeningHours:
        """Parse "Monday to Friday 8:00–18:00 and Saturday 9:00–14:00"."""
        days: dict[int, tuple[time, time]] = {}
        for span in _SPAN.finditer(text):
            first = DAYS.index(span["first"].lower())
            last = DAYS.index(span["last"].lower()) if span["last"] else first
            for day in range(first, last + 1):
                days.setdefault(day, (_time(span["open"]), _time(span["close"])))
        if not days:
            raise AssistantError("no opening hours found (expected e.g. 'Monday to Friday 8:00–18:00')")
        return cls(days=days, zone=zone)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.zone))
        hours = self.days.get(local.weekday())
        return hours is not None and hours[0] <= local.time() < hours[1]

    def next_opening(self, moment: datetime) -> datetime:
        """The next moment customer service opens (``moment`` itself when it is open)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(ZoneInfo(self.zone))
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            hours = self.days.get(day.weekday())
            if hours is None:
                continue
            opening = datetime.combine(day, hours[0], tzinfo=ZoneInfo(self.zone))
            if opening > local:
                return opening
        raise AssistantError("the opening hours never open")

    def when(self, moment: datetime) -> str:
        """What a customer handed over is told about when a person answers."""
        if self.is_open(moment):
            return "A colleague usually joins this chat within 5 minutes."
        opening = self.next_opening(moment)
        local = moment.astimezone(ZoneInfo(self.zone))
        day = "tomorrow" if opening.date() == (local + timedelta(days=1)).date() else f"on {opening:%A}"
        return (
            f"Our team is not in right now; they open {day} at {opening:%H:%M} German time and reply to you "
            "by email then, within 24 hours."
        )
