"""Dates: China Standard Time, working days (Mon-Fri) and month arithmetic."""

from __future__ import annotations

import calendar as _cal
from datetime import UTC, date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "Asia/Shanghai")  # China has no daylight saving time
PROMISED_WORKING_DAYS = 10


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored datetime as aware UTC (SQLite hands back naive UTC values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime) -> datetime:
    """A stored datetime in China Standard Time."""
    return as_utc(value).astimezone(CST)


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
