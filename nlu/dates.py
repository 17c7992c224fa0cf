"""Dates as applicants say them in a form: full dates (nlu.entities), and the colloquial ones — 明年二月底,
下个月中旬, 年底, 3.15 — plus partial ones (2027年6月, 明年) that name no day, resolved against a Beijing `today`.

A form field says which way an implied year goes: a loss lies in the past (12月5号 said in November is last
December), a validity end usually lies ahead (3月31日 said in November is next March).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from nlu.entities import _NUM, _cn_int, extract_date
from nlu.normalize import Normalized, normalize

Prefer = Literal["past", "future"] | None

_YEAR_WORD = {"前年": -2, "去年": -1, "今年": 0, "明年": 1, "后年": 2}
_PART_DAY = {"初": 1, "上旬": 5, "中旬": 15, "中": 15, "下旬": 25}  # approximate days; 底/末 = the last day
_MONTH = re.compile(
    r"(?:(\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*|(前年|去年|今年|明年|后年)\s*)?"
    r"(" + _NUM + r")\s*月\s*份?\s*(底|末|初|上旬|中旬|下旬|中)?"
)
_REL_MONTH = re.compile(r"(上个?月|这个?月|本月|下个?月)\s*月?(底|末|初|上旬|中旬|下旬)")
_YEAR_PART = re.compile(r"(前年|去年|今年|明年|后年)?\s*(年底|年末|年初)")
_YEAR_ONLY = re.compile(r"(?:(\d{4})\s*年|(前年|去年|明年|后年))")
_BARE_MD = re.compile(r"(?<![\d.])(\d{1,2})\s*[./]\s*(\d{1,2})(?![\d.])")


@dataclass(frozen=True)
class DateReading:
    """One date in a message: a day, or only a year (and month) when no day was said."""

    start: int  # span in the original text
    end: int
    day: dt.date | None
    year: int
    month: int | None = None
    approximate: bool = False  # a day chosen for 上旬/中旬/下旬/月初/年初

    @property
    def partial(self) -> bool:
        """No day was said (2027年6月, 明年)."""
        return self.day is None

    def describe(self) -> str:
        """The partial date in words: 2027年6月 / 2027年."""
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"


def _implied_year(month: int, day: int, today: dt.date, prefer: Prefer) -> int:
    """The year of a month/day said without one."""
    if prefer == "past" and (month, day) > (today.month, today.day):
        return today.year - 1
    if prefer == "future" and (month, day) < (today.month, today.day):
        return today.year + 1
    return today.year


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_part(year: int, month: int, part: str) -> tuple[dt.date, bool]:
    if part in ("底", "末"):
        return dt.date(year, month, _last_day(year, month)), False
    return dt.date(year, month, _PART_DAY[part]), True


def _free(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(start < e and s < end for s, e in spans)


def _add(out: list[DateReading], spans: list[tuple[int, int]], norm: Normalized, m: re.Match[str],
         day: dt.date | None, year: int, month: int | None = None, approximate: bool = False) -> None:
    spans.append((m.start(), m.end()))
    s, e = norm.span_to_original(m.start(), m.end())
    out.append(DateReading(s, e, day, year, month, approximate))


def read_dates(text: str, today: dt.date, prefer: Prefer = None, bare: bool = False) -> list[DateReading]:
    """Every date of `text`, in text order. `bare` also reads 3.15 / 3/15 as month.day (a date field was asked)."""
    norm = normalize(text)
    out: list[DateReading] = []
    spans: list[tuple[int, int]] = []
    for ent in extract_date(norm, today):
        day = dt.date.fromisoformat(ent.value)
        if ent.extractor == "date_md":
            year = _implied_year(day.month, day.day, today, prefer)
            day = day.replace(year=year) if not (day.month == 2 and day.day == 29) else day
        start = next(i for i, o in enumerate(norm.index_map) if o >= ent.start)
        end = max(i for i, o in enumerate(norm.index_map) if o < ent.end) + 1
        spans.append((start, end))
        out.append(DateReading(ent.start, ent.end, day, day.year, day.month))
    t = norm.text
    for m in _MONTH.finditer(t):
        if not _free(spans, m.start(), m.end()):
            continue
        month = _cn_int(m.group(3))
        if not 1 <= month <= 12:
            continue
        if m.group(1):
            year = _cn_int(m.group(1))
        elif m.group(2):
            year = today.year + _YEAR_WORD[m.group(2)]
        else:
            year = _implied_year(month, 1 if prefer == "future" else _last_day(today.year, month), today, prefer)
        if m.group(4):
            day, approx = _month_part(year, month, m.group(4))
            _add(out, spans, norm, m, day, year, month, approx)
        else:
            _add(out, spans, norm, m, None, year, month)
    for m in _REL_MONTH.finditer(t):
        if not _free(spans, m.start(), m.end()):
            continue
        first = today.replace(day=1)
        if m.group(1).startswith("上"):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        elif m.group(1).startswith("下"):
            first = (first + dt.timedelta(days=32)).replace(day=1)
        day, approx = _month_part(first.year, first.month, m.group(2))
        _add(out, spans, norm, m, day, first.year, first.month, approx)
    for m in _YEAR_PART.finditer(t):
        if not _free(spans, m.start(), m.end()):
            continue
        year = today.year + _YEAR_WORD.get(m.group(1) or "今年", 0)
        day = dt.date(year, 12, 31) if m.group(2) in ("年底", "年末") else dt.date(year, 1, 1)
        _add(out, spans, norm, m, day, year, day.month, approximate=m.group(2) == "年初")
    for m in _YEAR_ONLY.finditer(t):
        if _free(spans, m.start(), m.end()):
            year = int(m.group(1)) if m.group(1) else today.year + _YEAR_WORD[m.group(2)]
            _add(out, spans, norm, m, None, year)
    if bare:
        for m in _BARE_MD.finditer(t):
            month, dom = int(m.group(1)), int(m.group(2))
            if _free(spans, m.start(), m.end()) and 1 <= month <= 12 and 1 <= dom <= _last_day(2024, month):
                year = _implied_year(month, dom, today, prefer)
                if month == 2 and dom == 29 and not calendar.isleap(year):
                    continue
                _add(out, spans, norm, m, dt.date(year, month, dom), year, month)
    return sorted(out, key=lambda r: r.start)


def first_day(text: str, today: dt.date, prefer: Prefer = None) -> DateReading | None:
    """The first date of a reply to a date field (3.15 counts), or None."""
    found = read_dates(text, today, prefer, bare=True)
    return found[0] if found else None
