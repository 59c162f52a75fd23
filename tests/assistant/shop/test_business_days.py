from datetime import date

from assistant.shop.business_days import add_business_days, business_days_between, is_business_day

FRIDAY = date(2026, 11, 20)


def test_weekends_are_skipped() -> None:
    assert is_business_day(FRIDAY) and not is_business_day(date(2026, 11, 21))
    assert add_business_days(FRIDAY, 1) == date(2026, 11, 23)  # Monday
    assert add_business_days(FRIDAY, 5) == date(2026, 11, 27)
    assert add_business_days(FRIDAY, 0) == FRIDAY


def test_days_between_count_business_days_after_the_start() -> None:
    assert business_days_between(FRIDAY, FRIDAY) == 0
    assert business_days_between(FRIDAY, date(2026, 11, 22)) == 0  # Saturday and Sunday
    assert business_days_between(FRIDAY, date(2026, 11, 23)) == 1
    assert business_days_between(FRIDAY, add_business_days(FRIDAY, 7)) == 7
    assert business_days_between(date(2026, 11, 23), FRIDAY) == 0
