"""Promised dates count the working days of the Chinese calendar: 春节 and 国庆 are days off, the make-up workdays
(调休上班, sometimes a Saturday or Sunday) are working days — as the State Council's yearly notices say:

- 2025 春节 1.28-2.4 off, make-up 1.26 (Sun) and 2.8 (Sat); 国庆/中秋 10.1-10.8 off, make-up 9.28 (Sun), 10.11 (Sat)
- 2026 春节 2.15-2.23 off, make-up 2.14 (Sat) and 2.28 (Sat); 国庆 10.1-10.7 off, make-up 9.20 (Sun), 10.10 (Sat)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from actions.filings import FilingStore, ValidationData
from actions.filings.dates import add_working_days, covered, is_working_day
from tests.actions.conftest import FakeClock


@pytest.mark.parametrize("day,working", [
    (date(2025, 1, 26), True),  # Sunday, make-up workday before 春节
    (date(2025, 1, 28), False), (date(2025, 2, 4), False),  # 春节 weekdays
    (date(2025, 2, 8), True),  # Saturday, make-up workday after 春节
    (date(2025, 9, 28), True), (date(2025, 10, 8), False), (date(2025, 10, 11), True),
    (date(2026, 2, 14), True), (date(2026, 2, 16), False), (date(2026, 2, 23), False), (date(2026, 2, 28), True),
    (date(2026, 9, 20), True), (date(2026, 10, 1), False), (date(2026, 10, 7), False), (date(2026, 10, 10), True),
    (date(2026, 10, 8), True), (date(2026, 10, 11), False),  # an ordinary Thursday and Sunday
])
def test_working_days_follow_the_state_councils_notice(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize("start,days,due", [
    (date(2025, 1, 24), 1, date(2025, 1, 26)),  # the next working day is a Sunday
    (date(2025, 1, 27), 1, date(2025, 2, 5)),  # over the whole holiday
    (date(2025, 1, 24), 10, date(2025, 2, 13)),  # Mon-Fri alone would say 2025-02-07
    (date(2025, 9, 26), 10, date(2025, 10, 16)),  # Mon-Fri alone would say 2025-10-10
    (date(2026, 2, 13), 10, date(2026, 3, 5)),  # Mon-Fri alone would say 2026-02-27
    (date(2026, 9, 30), 10, date(2026, 10, 20)),  # Mon-Fri alone would say 2026-10-14
    (date(2026, 11, 20), 10, date(2026, 12, 4)),  # no holiday: as Mon-Fri
])
def test_add_working_days_around_the_holidays(start: date, days: int, due: date) -> None:
    assert add_working_days(start, days) == due


def test_days_the_center_is_closed_count_too() -> None:
    assert add_working_days(date(2026, 11, 20), 1, frozenset({date(2026, 11, 23)})) == date(2026, 11, 24)


def test_a_year_without_a_notice_falls_back_to_weekdays_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    year = 2099
    assert not covered(year) and covered(2026)
    with caplog.at_level(logging.WARNING, logger="actions.filings.dates"):
        assert add_working_days(date(year, 1, 2), 1) == date(year, 1, 5)  # Friday → Monday
    assert "no holiday calendar for 2099" in caplog.text


@pytest.mark.parametrize("submitted,due", [(datetime(2025, 9, 26, 2, tzinfo=UTC), date(2025, 10, 16)),
                                           (datetime(2026, 2, 13, 2, tzinfo=UTC), date(2026, 3, 5))])
def test_a_validation_submitted_before_the_holiday_is_promised_the_right_day(
        filing_db_url: str, make_validation: Callable[..., ValidationData], submitted: datetime, due: date) -> None:
    store = FilingStore(filing_db_url, clock=FakeClock(submitted))
    store.migrate()
    try:
        view = store.submit_validation(make_validation(), "before-the-holiday")
        assert view.due_date == due
    finally:
        store.close()
