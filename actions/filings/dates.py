"""Working days of the Chinese calendar and month arithmetic; days are Beijing days (knowledge/clock.py).

A working day is what the State Council's yearly notice on public holidays (国务院办公厅关于节假日安排的通知) makes
it: 春节, 国庆 and the other holidays are days off even on weekdays, and the make-up workdays (调休上班) are working
days even on a Saturday or Sunday. The notices come from the maintained `chinesecalendar` package, which covers the
years up to the one its release published (1.11: 2004-2026; the next year's notice appears each November: upgrade
the package then). For a year it does not cover yet, working days fall back to Monday-Friday and a warning is
logged once per year. `add_working_days(..., holidays=)` takes further days the center is closed.
"""

from __future__ import annotations

import calendar as _cal
import logging
from collections.abc import Iterable
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)

PROMISED_WORKING_DAYS = 10
_WARNED: set[int] = set()


def covered(year: int) -> bool:
    """True when the package has the State Council's notice for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date, closed: Iterable[date] = ()) -> bool:
    """A working day of the Chinese calendar (holidays off, make-up workdays on), not one of the `closed` days."""
    if day in closed:
        return False
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _WARNED:
            _WARNED.add(day.year)
            log.warning("no holiday calendar for %s (chinesecalendar %s): counting Monday-Friday; upgrade the "
                        "package once the State Council has published the year's notice", day.year,
                        getattr(chinese_calendar, "__version__", "?"))
        return day.weekday() < 5


def add_working_days(start: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """The date `days` working days after `start` (the day of submission itself does not count); `holidays` are
    further days the center is closed."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current, holidays):
            left -= 1
    return current


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, clamped to the month's last day (Nov 30 + 3 months = Feb 28/29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, _cal.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)
