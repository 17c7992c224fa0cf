"""The one clock of 灵灵: instants in UTC, calendar days in Beijing time (Asia/Shanghai).

Every part asks this module, or a `Clock` handed to it, what time and what day it is: relative dates
(昨天, 上周三), knowledge effective dates, filing ids, promised dates, reminders and retention all count
days on the Beijing calendar, whatever the host's time zone. A component that needs "now" takes a `Clock`
argument (default `system_clock`); the app builds one clock at start-up and hands it to every service, and
tests hand in a `FixedClock`.

It lives in the lowest layer (knowledge) so that every other package may import it.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

# China has kept UTC+8 without daylight saving since 1991: a fixed offset needs no tz database.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    """Returns the current instant as a timezone-aware datetime."""

    def __call__(self) -> dt.datetime: ...


def system_clock() -> dt.datetime:
    """The machine's clock, as aware UTC."""
    return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock for tests: starts at `moment`, gains one microsecond per reading (strictly increasing, like a
    real clock) and jumps with `advance(days=1)`."""

    def __init__(self, moment: dt.datetime):
        self.now = as_utc(moment)
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            self.now += dt.timedelta(microseconds=1)
            return self.now

    def advance(self, **delta: float) -> None:
        """Move forward by `datetime.timedelta(**delta)`."""
        with self._lock:
            self.now += dt.timedelta(**delta)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC; a naive one (as SQLite hands back) is read as UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def beijing(moment: dt.datetime) -> dt.datetime:
    """The same instant in Beijing time (naive values are read as UTC)."""
    return as_utc(moment).astimezone(BEIJING)


def beijing_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Beijing at `moment`."""
    return beijing(moment).date()


def now(clock: Clock = system_clock) -> dt.datetime:
    """The current instant (aware UTC) of `clock`."""
    return as_utc(clock())


def today(clock: Clock = system_clock) -> dt.date:
    """Today's date in Beijing by `clock` (never the host's local date)."""
    return beijing_date(clock())
