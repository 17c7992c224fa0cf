"""Values in form replies: colloquial dates (nlu/dates.py), typed item lists (nlu/form_items.py), USCCs typed in
groups (nlu/uscc.py), names (nlu/form_values.py) and text kept as typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nlu.dates import read_dates
from nlu.entities import extract_uscc
from nlu.form_items import read_items
from nlu.form_values import read_name, tidy
from nlu.normalize import normalize
from nlu.pipeline import vocab
from nlu.uscc import candidates

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize("text,prefer,day", [
    ("明年二月底到期", "future", "2027-02-28"),
    ("后年3月5号", "future", "2028-03-05"),
    ("下个月5号", "future", "2026-12-05"),
    ("下个月底", "future", "2026-12-31"),
    ("上个月中旬", "past", "2026-10-15"),
    ("上个月月初", "past", "2026-10-01"),
    ("年底", "future", "2026-12-31"),
    ("12月5号", "past", "2025-12-05"),  # said in November, a loss: last December
    ("3月31日", "future", "2027-03-31"),  # a validity end: next March
    ("3.15", "past", "2026-03-15"),
    ("上周三", "past", "2026-11-11"),
])
def test_colloquial_dates(text: str, prefer: Any, day: str) -> None:
    (r,) = read_dates(text, TODAY, prefer, bare=True)
    assert r.day is not None and r.day.isoformat() == day
    assert text[r.start:r.end] in text


def test_partial_and_approximate_dates() -> None:
    (r,) = read_dates("明年六月到期", TODAY, "future")
    assert r.partial and r.describe() == "2027年6月"
    first, second = read_dates("执业许可证2026年到期，放射的是2027年", TODAY, "future")
    assert (first.describe(), second.describe()) == ("2026年", "2027年")
    (r,) = read_dates("大概上个月中旬", TODAY, "past")
    assert r.approximate and not read_dates("明年二月底", TODAY)[0].approximate
    assert read_dates("3.15", TODAY) == []  # a bare month.day only when a date field was asked


@pytest.fixture(scope="module")
def items(demo_kb: Any) -> list[Any]:
    return vocab(demo_kb.validation_items())


@pytest.mark.parametrize("text,add,remove,everything,unknown", [
    ("执业许可证、放射诊疗、母婴保健技术服务、母婴考核证、放射人员证、印鉴卡",
     ["医疗机构执业许可证", "放射诊疗许可证", "母婴保健技术服务执业许可证", "母婴保健技术考核合格证书", "放射工作人员证",
      "麻醉药品和第一类精神药品购用印鉴卡"], [], False, []),
    ("六项全部都要", [], [], True, []),
    ("除了母婴保健的，其他都选上", [], ["母婴保健技术服务执业许可证"], True, []),
    ("除了执业许可证，还要校验放射的", ["医疗机构执业许可证", "放射诊疗许可证"], [], False, []),
    ("我们没有放射科，放射那个不用", [], ["放射诊疗许可证"], False, []),
    ("去掉放射工作人员证", [], ["放射工作人员证"], False, []),
    ("麻精卡", ["麻醉药品和第一类精神药品购用印鉴卡"], [], False, []),
    ("营业执照", [], [], False, ["营业执照"]),
])
def test_item_lists(items: list[Any], text: str, add: list[str], remove: list[str], everything: bool,
                    unknown: list[str]) -> None:
    r = read_items(text, items)
    assert (list(r.add), list(r.remove), r.everything, list(r.unknown)) == (add, remove, everything, unknown)


def test_items_apply_to_the_current_choice(items: list[Any]) -> None:
    every = [e.canonical for e in items]
    assert read_items("去掉放射工作人员证", items).apply(["医疗机构执业许可证", "放射工作人员证"], every) == ["医疗机构执业许可证"]
    assert read_items("除了印鉴卡其他都要", items).apply([], every) == every[:5]
    assert read_items("再加上印鉴卡", items).apply(["医疗机构执业许可证"], every) == ["医疗机构执业许可证", every[5]]


def test_license_types_need_a_longer_stem(demo_kb: Any) -> None:
    types = vocab(demo_kb.license_types())
    assert list(read_items("卖烟的那个证", types, min_stem=3).add) == ["烟草专卖零售许可证"]
    assert read_items("营业执照", types, min_stem=3).add == ()  # not 营业性演出许可证


@pytest.mark.parametrize("text,code", [
    ("信用代码是9137 0211 MA3T G7LB 9W", "91370211MA3TG7LB9W"),
    ("91370211 MA1N ADP339", "91370211MA1NADP339"),
    ("923702 11maxe dcw82d", "92370211MAXEDCW82D"),
    ("91370211ma3r0dw57t", "91370211MA3R0DW57T"),
    ("代码9137-0211-MA3C-4PUH-64，电话13812345678", "91370211MA3C4PUH64"),
])
def test_uscc_in_groups(text: str, code: str) -> None:
    (e,) = extract_uscc(normalize(text))
    assert e.value == code
    assert normalize(text[e.start:e.end]).text.replace(" ", "").replace("-", "").upper() == code


def test_uscc_candidates_keep_wrong_check_digits_and_skip_numbers_side_by_side() -> None:
    assert [c for _, _, c in candidates("91370211ma3n8k2q7d")] == ["91370211MA3N8K2Q7D"]  # wrong check digit: kept
    assert candidates("13806421199 1234567") == []  # a phone and a number are no code
    assert candidates("jy 1370 2110 0987 65") == []


def test_uscc_scan_stays_linear_on_long_runs_of_groups() -> None:
    """Each starting group looks at most 18 groups ahead, so a long run of groups costs one pass (no timing here:
    the figures are in docs/benchmarks.md); what it finds are 18-character codes that do not overlap."""
    assert candidates("1 " * 60_000) == []  # one-character groups are no code
    text = "a1 " * 30_000 + "9137 0211 MA3C 4PUH 64"
    found = candidates(text)
    assert found and found[-1][2] == "91370211MA3C4PUH64"
    assert all(len(code) == 18 for _, _, code in found)
    assert all(a[1] <= b[0] for a, b in zip(found, found[1:], strict=False))


def test_names() -> None:
    assert read_name("我姓王，王建国").full == "王建国"
    assert read_name("我是老马家水饺的老板娘，马秀英").full == "马秀英"
    assert read_name("欧阳娜娜").full == "欧阳娜娜"
    r = read_name("我就是负责人，姓赵")
    assert (r.full, r.partial, r.intro) == (None, "赵", True)
    assert read_name("写院长的名字还是写我的").full is None


def test_tidy_keeps_the_users_punctuation() -> None:
    assert tidy("  搬家时，正本和副本都丢了（副本在分店）。 ") == "搬家时，正本和副本都丢了（副本在分店）"
    assert tidy("ＪＹ１３７０２") == "JY13702"
