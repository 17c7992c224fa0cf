"""Working days (Mon-Fri) and month arithmetic; days are Beijing days (knowledge/clock.py)."""

from __future__ import annotations

import calendar as _cal
from datetime import date, timedelta

PROMISED_WORKING_DAYS = 10


def add_working_days(start: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """The date `days` working days (Mon-Fri, not in `holidays`) after `start`."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current


def add_months(start: date, months: int) -> date:
    """`start` plus whole months, clamped to the month's last day (Nov 30 + 3 months = Feb 28/29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = min(start.day, _cal.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)
