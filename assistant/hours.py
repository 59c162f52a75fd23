"""The customer-service opening hours (``knowledge/shop.yaml``), and when a person answers.

The contact policy says the same hours in words ("Monday to Friday 8:00–18:00 and Saturday 9:00–14:00");
:meth:`OpeningHours.from_text` reads them there, so a test can hold the policy to the profile. What a customer
is told is worded in ``prompts/responses.yaml`` (``person_answers``).
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
    zone: str
    """The shop's IANA time zone."""

    @classmethod
    def from_text(cls, text: str, zone: str) -> OpeningHours:
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

    def when(self, moment: datetime) -> Availability:
        """When a person answers a customer handed over at ``moment``."""
        if self.is_open(moment):
            return Availability(open_now=True)
        opening = self.next_opening(moment)
        local = moment.astimezone(ZoneInfo(self.zone))
        tomorrow = opening.date() == (local + timedelta(days=1)).date()
        return Availability(open_now=False, day="tomorrow" if tomorrow else f"{opening:%A}", at=f"{opening:%H:%M}")


class Availability(BaseModel):
    """Whether customer service is in now, and if not, when it opens (the day and the local time)."""

    open_now: bool
    day: str = ""
    """"tomorrow" or a weekday's name."""
    at: str = ""
    """The opening time, ``08:00``."""
