"""Opening hours read from a knowledge item's text: open or closed at a moment, the next opening, holidays
through a pluggable working-day calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.clock import BEIJING
from knowledge.hours import OfficeHours, hall_status, opening_phrase, weekdays_only
from knowledge.loader import load_knowledge

HALL = "周一至周五 9:00-12:00、13:30-17:00（法定节假日除外）"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BEIJING)  # 2026-11-20 is a Friday


def test_the_halls_own_hours_are_read() -> None:
    hall = load_knowledge().items["service-hall"]
    hours = OfficeHours.parse(hall.hours)
    assert hours is not None and hours.closed_on_holidays
    assert hours.rules[0].days == frozenset(range(5))
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in hours.rules[0].spans] == [("09:00", "12:00"),
                                                                                            ("13:30", "17:00")]


@pytest.mark.parametrize(("moment", "is_open", "opens"), [
    (at(20, 9), True, at(20, 9)),
    (at(20, 8, 59), False, at(20, 9)),
    (at(20, 12, 30), False, at(20, 13, 30)),  # lunch break
    (at(20, 16, 59), True, at(20, 16, 59)),
    (at(20, 17), False, at(23, 9)),  # Friday evening: Monday
    (at(21, 10), False, at(23, 9)),  # Saturday
])
def test_open_or_closed_and_the_next_opening(moment: dt.datetime, is_open: bool, opens: dt.datetime) -> None:
    hours = OfficeHours.parse(HALL)
    assert hours is not None
    assert hours.is_open(moment) is is_open
    assert hours.next_opening(moment) == opens


def test_a_holiday_calendar_plugs_in() -> None:
    hours = OfficeHours.parse(HALL)
    assert hours is not None
    holiday, worked_saturday = dt.date(2026, 10, 1), dt.date(2026, 9, 26)  # 国庆, and a 调休 Saturday

    def calendar(day: dt.date) -> bool:
        return day == worked_saturday or (weekdays_only(day) and day != holiday)

    assert hours.is_open(at(1, 10, month=10)) and not hours.is_open(at(1, 10, month=10), calendar)
    assert hours.next_opening(at(1, 10, month=10), calendar) == at(2, 9, month=10)
    assert not hours.is_open(at(26, 10, month=9)) and hours.is_open(at(26, 10, month=9), calendar)


def test_other_shapes_of_hours() -> None:
    two = OfficeHours.parse("周一至周五 9:00-17:00，周六 9：00—12：00")
    assert two is not None
    assert two.is_open(at(21, 11)) and not two.is_open(at(21, 13)) and not two.is_open(at(22, 11))
    daily = OfficeHours.parse("每天 8:30-20:00（节假日照常）")
    assert daily is not None and not daily.closed_on_holidays and daily.is_open(at(22, 19))
    assert OfficeHours.parse("以窗口公示为准") is None and OfficeHours.parse("") is None
    assert hall_status("以窗口公示为准", at(20, 10)).open is None  # unknown: nobody is told "closed"


def test_when_it_opens_as_people_say_it() -> None:
    assert opening_phrase(at(20, 13, 30), at(20, 12, 10)) == "今天13:30"
    assert opening_phrase(at(21, 9), at(20, 18)) == "明天（周六）9:00"
    assert opening_phrase(at(23, 9), at(20, 18)) == "11月23日（周一）9:00"
    status = hall_status(HALL, at(20, 19).astimezone(dt.UTC))
    assert status.open is False and status.opens(at(20, 19)) == "11月23日（周一）9:00"
