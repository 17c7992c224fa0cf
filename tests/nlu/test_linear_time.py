"""Normalisation and entity extraction cost time linear in the text length (issue 15, row 1).

No clock is read: the cost of a call is counted — every Python line executed in nlu/normalize.py and
nlu/entities.py (generator expressions included, so a loop over the entities found so far shows) plus every
character handed to a regular expression or to OpenCC by them (so a search over the whole text before each
match shows too). Linear code costs about 4× for a 4× longer text; the quadratic code this replaced cost
14–30× on these texts. The bound, 6×, leaves room for constant overheads and still fails quadratic code.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nlu.entities
import nlu.normalize
from nlu.entities import EntityExtractor
from nlu.normalize import normalize
from nlu.pipeline import vocab

MODULES = (nlu.entities, nlu.normalize)
FILES = {m.__file__ for m in MODULES}
SHORT, LONG = 1000, 4000  # characters; LONG = 4 × SHORT
MAX_RATIO = 6.0
TODAY = dt.date(2025, 6, 18)


class CountingPattern:
    """A compiled pattern that adds the length of every text it is given to a counter."""

    def __init__(self, pattern: re.Pattern[str], counter: list[int]):
        self._p = pattern
        self._n = counter

    def _count(self, text: str, pos: int = 0, endpos: int | None = None) -> None:
        self._n[0] += max(1, (len(text) if endpos is None else min(endpos, len(text))) - pos)

    def finditer(self, text: str, *args: Any) -> Iterator[re.Match[str]]:
        self._count(text, *args)
        return self._p.finditer(text, *args)

    def search(self, text: str, *args: Any) -> re.Match[str] | None:
        self._count(text, *args)
        return self._p.search(text, *args)

    def match(self, text: str, *args: Any) -> re.Match[str] | None:
        self._count(text, *args)
        return self._p.match(text, *args)

    def fullmatch(self, text: str, *args: Any) -> re.Match[str] | None:
        self._count(text, *args)
        return self._p.fullmatch(text, *args)

    def sub(self, repl: Any, text: str, *args: Any) -> str:
        self._count(text)
        return self._p.sub(repl, text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._p, name)


def _wrap(value: Any, counter: list[int]) -> Any:
    if isinstance(value, re.Pattern):
        return CountingPattern(value, counter)
    if isinstance(value, tuple) and any(isinstance(v, (re.Pattern, tuple)) for v in value):
        return tuple(_wrap(v, counter) for v in value)
    return value


@contextmanager
def counted(extractor: EntityExtractor) -> Iterator[list[int]]:
    """Count the cost of what runs inside: [lines executed + characters handed to regexes and OpenCC]."""
    counter = [0]
    monkeypatch = pytest.MonkeyPatch()  # its own: undone at the end, leaving the test's patches alone
    module: ModuleType
    for module in MODULES:
        for name, value in vars(module).copy().items():
            wrapped = _wrap(value, counter)
            if wrapped is not value:
                monkeypatch.setattr(module, name, wrapped)
    for dictionary in (extractor.licenses, extractor.validation):
        monkeypatch.setattr(dictionary, "_re", _wrap(dictionary._re, counter))
    simplify = nlu.normalize.to_simplified

    def counting_simplify(text: str) -> str:
        counter[0] += max(1, len(text))
        return simplify(text)

    monkeypatch.setattr(nlu.normalize, "to_simplified", counting_simplify)

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            counter[0] += 1
        return local

    def global_trace(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename in FILES else None

    old = sys.gettrace()
    sys.settrace(global_trace)
    try:
        yield counter
    finally:
        sys.settrace(old)
        monkeypatch.undo()


@pytest.fixture(scope="module")
def extractor(demo_kb: Any) -> EntityExtractor:
    return EntityExtractor(vocab(demo_kb.license_types()), vocab(demo_kb.validation_items()))


def cost(extractor: EntityExtractor, text: str) -> int:
    extractor.extract(normalize(text), TODAY)  # warm caches (OpenCC, lru caches) outside the count
    with counted(extractor) as counter:
        extractor.extract(normalize(text), TODAY)
    return counter[0]


def repeat(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def ratio(extractor: EntityExtractor, unit: str) -> float:
    return cost(extractor, repeat(unit, LONG)) / cost(extractor, repeat(unit, SHORT))


# What an attacker sends (the 2025年1月1日), and what makes each former quadratic spot work hardest.
WORST = [
    "2025年1月1日",  # date extraction compared each date with every earlier one
    "a ",  # normalisation copied the rest of the text at every space
    "编号 123456789012345 ",  # a cue search over the whole text before every long number
    "上周三3天前昨天",  # dates of three patterns
    "食品经营许可证青岛明远餐饮有限公司",  # names, blocked against every license name found
    "13812345678 JY13702110012345 ",  # phones and license numbers against the taken spans
    "許可證 營業執照 ",  # traditional characters, spaces between CJK
]


@pytest.mark.parametrize("unit", WORST)
def test_worst_cases_cost_linear_time(extractor: EntityExtractor, unit: str) -> None:
    assert ratio(extractor, unit) < MAX_RATIO


def test_a_long_run_of_white_space_costs_linear_time(extractor: EntityExtractor) -> None:
    # Normalisation looked for the next non-space character from every space of the run again.
    def text(n: int) -> str:
        return "a" + " " * (n - 1)

    assert cost(extractor, text(LONG)) / cost(extractor, text(SHORT)) < MAX_RATIO


FRAGMENTS = st.sampled_from([
    "2025年1月1日", "3月5号", "上周三", "前天", "5天前", "2024-12-30", "编号", "123456789012345", "JY1370211001", " ",
    "  ", "\n", "许可证", "許可證", "食品经营许可证", "有限公司", "青岛明远", "诊所", "13812345678", "0532-88886666",
    "91370211MA3C4XYZ5K", "LN20250618001", "😀", "\u200b", "。", "，", "的", "a", "1",
])


@settings(max_examples=12, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(parts=st.lists(FRAGMENTS, min_size=1, max_size=8))
def test_any_repeated_text_costs_linear_time(extractor: EntityExtractor, parts: list[str]) -> None:
    unit = "".join(parts)
    assert ratio(extractor, unit) < MAX_RATIO, unit


def test_the_counter_sees_quadratic_work(monkeypatch: pytest.MonkeyPatch, extractor: EntityExtractor) -> None:
    """The measure itself can fail: a loop over everything found so far, run per match, shows as quadratic."""
    original = nlu.entities.extract_date

    def quadratic_dates(norm: Any, today: dt.date) -> list[Any]:
        found = original(norm, today)
        return [e for e in found if not any(e.start < o.end and o.start < e.end for o in found if o is not e)]

    monkeypatch.setattr(nlu.entities, "extract_date", quadratic_dates)
    monkeypatch.setitem(globals(), "FILES", FILES | {__file__})  # count the lines of the stand-in too
    assert ratio(extractor, "2025年1月1日") > MAX_RATIO
