"""Opening hours read from a knowledge item's `hours` text ("周一至周五 9:00-12:00、13:30-17:00（法定节假日除外）"):
is the hall open at a moment, and when does it open next.

Days are Beijing days (knowledge/clock.py). Which days are working days is pluggable (`WorkingDay`): the default
knows only Monday to Friday; a holiday calendar (statutory holidays, and the weekends worked instead, 调休)
makes the answer right around the holidays. A text this module cannot read gives `None` from `OfficeHours.parse`:
callers then say nothing about being open or closed rather than guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from knowledge.clock import BEIJING, beijing

WorkingDay = Callable[[dt.date], bool]  # True on a working day (Mon-Fri, minus holidays, plus 调休 weekends)
WEEK = frozenset(range(7))
MON_FRI = frozenset(range(5))
_DAY_NAMES = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 6}
_WEEKDAY_LABELS = "一二三四五六日"
_DAY = r"(?:周|星期|礼拜)([一二三四五六日天])"
_DAY_RANGE = re.compile(_DAY + r"\s*(?:至|到|~|～|-|—|–)\s*" + _DAY)
_DAY_ONE = re.compile(_DAY)
_DAY_WORDS = re.compile(r"工作日|每天|每日|全天|全年无休|周末|双休日")
_SPAN = re.compile(r"(\d{1,2})\s*[:：]\s*(\d{2})\s*(?:-|—|–|~|～|至|到)\s*(\d{1,2})\s*[:：]\s*(\d{2})")
_HOLIDAYS_OPEN = re.compile(r"节假日(?:照常|正常|不休)")
LOOK_AHEAD_DAYS = 40  # the longest closure (Spring Festival plus weekends) is far shorter


def weekdays_only(day: dt.date) -> bool:
    """The default working-day calendar: Monday to Friday (no holidays known)."""
    return day.weekday() < 5


@dataclass(frozen=True)
class Rule:
    """Days of the week and the time spans of those days."""

    days: frozenset[int]
    spans: tuple[tuple[dt.time, dt.time], ...]


@dataclass(frozen=True)
class OfficeHours:
    """Parsed opening hours; `closed_on_holidays` unless the text says holidays are worked as usual."""

    rules: tuple[Rule, ...]
    closed_on_holidays: bool = True

    @classmethod
    def parse(cls, text: str | None) -> OfficeHours | None:
        """The hours in `text`, or None when no time span can be read from it."""
        if not text:
            return None
        marks: list[tuple[int, frozenset[int]]] = []  # (position, days) of every day expression
        taken: list[tuple[int, int]] = []
        for m in _DAY_RANGE.finditer(text):
            a, b = _DAY_NAMES[m.group(1)], _DAY_NAMES[m.group(2)]
            days = frozenset(range(a, b + 1)) if a <= b else frozenset([*range(a, 7), *range(0, b + 1)])
            marks.append((m.start(), days))
            taken.append(m.span())
        for m in _DAY_ONE.finditer(text):
            if not any(s <= m.start() < e for s, e in taken):
                marks.append((m.start(), frozenset([_DAY_NAMES[m.group(1)]])))
        for m in _DAY_WORDS.finditer(text):
            word = m.group(0)
            days = MON_FRI if word == "工作日" else frozenset({5, 6}) if word in ("周末", "双休日") else WEEK
            marks.append((m.start(), days))
        marks.sort(key=lambda x: x[0])
        rules: dict[frozenset[int], list[tuple[dt.time, dt.time]]] = {}
        for m in _SPAN.finditer(text):
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60):
                continue
            start, end = dt.time(h1, m1), dt.time(23, 59, 59) if h2 == 24 else dt.time(h2, m2)
            if end <= start:
                continue
            before = [days for pos, days in marks if pos < m.start()]
            # A span belongs to the day expression before it ("周一至周五 9:00-17:00，周六 9:00-12:00").
            days = before[-1] if before else MON_FRI
            rules.setdefault(days, []).append((start, end))
        if not rules:
            return None
        built = tuple(Rule(days, tuple(sorted(spans))) for days, spans in rules.items())
        return cls(built, closed_on_holidays=not _HOLIDAYS_OPEN.search(text))

    # ---- questions ---------------------------------------------------------------------------
    def spans_on(self, day: dt.date, working_day: WorkingDay = weekdays_only) -> list[tuple[dt.time, dt.time]]:
        """The opening spans of one Beijing day (none on a holiday or a day the hall is closed)."""
        weekday = day.weekday()
        working = working_day(day)
        spans: list[tuple[dt.time, dt.time]] = []
        for rule in self.rules:
            if weekday < 5 and not working and self.closed_on_holidays:
                continue  # a statutory holiday on a weekday
            if weekday in rule.days or (weekday >= 5 and working and MON_FRI <= rule.days):
                spans += rule.spans  # a weekend worked instead of a holiday (调休) keeps working-day hours
        return sorted(set(spans))

    def is_open(self, moment: dt.datetime, working_day: WorkingDay = weekdays_only) -> bool:
        """True when `moment` (aware) falls in an opening span of its Beijing day."""
        local = beijing(moment)
        now = local.time()
        return any(start <= now < end for start, end in self.spans_on(local.date(), working_day))

    def next_opening(self, moment: dt.datetime, working_day: WorkingDay = weekdays_only) -> dt.datetime | None:
        """`moment` itself when open, else the next opening (Beijing time); None when none within 40 days."""
        local = beijing(moment)
        for offset in range(LOOK_AHEAD_DAYS + 1):
            day = local.date() + dt.timedelta(days=offset)
            for start, end in self.spans_on(day, working_day):
                opens = dt.datetime.combine(day, start, tzinfo=BEIJING)
                closes = dt.datetime.combine(day, end, tzinfo=BEIJING)
                if local < closes:
                    return local if opens <= local else opens
        return None


def opening_phrase(opening: dt.datetime, now: dt.datetime) -> str:
    """When the hall opens, as people say it: 今天13:30 / 明天（周六）9:00 / 11月23日（周一）9:00."""
    when, today = beijing(opening), beijing(now).date()
    clock = f"{when.hour}:{when.minute:02d}"
    weekday = f"周{_WEEKDAY_LABELS[when.weekday()]}"
    days = (when.date() - today).days
    if days == 0:
        return f"今天{clock}"
    if days == 1:
        return f"明天（{weekday}）{clock}"
    if days == 2:
        return f"后天（{weekday}）{clock}"
    return f"{when.month}月{when.day}日（{weekday}）{clock}"


@dataclass(frozen=True)
class HallStatus:
    """Whether the hall is open now (None: its hours could not be read) and when it opens next."""

    open: bool | None
    next_opening: dt.datetime | None
    hours: str

    def opens(self, now: dt.datetime) -> str:
        """When it opens next, as people say it ('' when unknown)."""
        return opening_phrase(self.next_opening, now) if self.next_opening else ""


def hall_status(hours: str | None, now: dt.datetime, working_day: WorkingDay = weekdays_only) -> HallStatus:
    """The status of a hall whose `hours` text is given, at `now`."""
    parsed = OfficeHours.parse(hours)
    if parsed is None:
        return HallStatus(None, None, hours or "")
    return HallStatus(parsed.is_open(now, working_day), parsed.next_opening(now, working_day), hours or "")
