from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.dialogue.parts import opening_hours
from assistant.dialogue.responders.handoff import Escalation
from assistant.errors import AssistantError
from assistant.hours import OpeningHours
from assistant.knowledge import load_knowledge
from assistant.prompts import PromptLibrary
from assistant.settings import REPO_ROOT
from assistant.shop.profile import load_profile
from assistant.turnlog import TurnLog

PROFILE = load_profile(REPO_ROOT / "knowledge")
HOURS = opening_hours(PROFILE)


def test_parses_day_ranges_and_single_days() -> None:
    assert sorted(HOURS.days) == [0, 1, 2, 3, 4, 5]
    assert HOURS.days[5][0].hour == 9 and HOURS.days[4][1].hour == 18
    written = OpeningHours.from_text("open Monday to Friday 8:00–18:00 and Saturday 9:00–14:00", PROFILE.time_zone)
    assert written == HOURS


def test_open_and_closed_in_german_time() -> None:
    assert HOURS.is_open(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Monday 10:00 in Hamburg
    assert not HOURS.is_open(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # 18:30 in Hamburg
    assert not HOURS.is_open(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))  # Sunday


def test_the_customer_is_told_when_a_person_answers(tmp_path: Path) -> None:
    prompts = PromptLibrary(REPO_ROOT / "prompts", PROFILE)
    escalation = Escalation(TurnLog(tmp_path / "turns.sqlite"), prompts.responses, PROFILE, lambda: HOURS)
    assert "within 5 minutes" in escalation.when(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    saturday_evening = escalation.when(datetime(2026, 11, 28, 18, 0, tzinfo=UTC))
    assert "on Monday at 08:00 German time" in saturday_evening and "within 24 hours" in saturday_evening
    assert "tomorrow at 08:00" in escalation.when(datetime(2026, 11, 24, 20, 0, tzinfo=UTC))


def test_the_shop_policy_states_its_hours() -> None:
    article = load_knowledge(REPO_ROOT / "knowledge").article("customer-service")
    assert article is not None
    assert OpeningHours.from_text(article.body, PROFILE.time_zone).days == HOURS.days


def test_text_without_hours_is_one_clear_error() -> None:
    with pytest.raises(AssistantError, match="no opening hours"):
        OpeningHours.from_text("We are always happy to help.", PROFILE.time_zone)
