"""Entity extractors, one by one and together, with offsets into the original text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from knowledge import clock
from nlu import references
from nlu.entities import (
    DictionaryExtractor,
    EntityExtractor,
    VocabEntry,
    extract_date,
    extract_filing_id,
    extract_license_number,
    extract_org_name,
    extract_phone,
    extract_uscc,
)
from nlu.evaluate import resolve_placeholder
from nlu.normalize import normalize
from nlu.pipeline import vocab
from nlu.types import Entity

TODAY = dt.date(2025, 6, 18)  # a Wednesday


@pytest.fixture(scope="module")
def extractor(demo_kb) -> EntityExtractor:  # type: ignore[no-untyped-def]
    return EntityExtractor(vocab(demo_kb.license_types()), vocab(demo_kb.validation_items()))


def _surface(text: str, e: Entity) -> str:
    assert 0 <= e.start < e.end <= len(text), e
    return text[e.start : e.end]


def _pairs(text: str, ents: list[Entity]) -> list[tuple[str, str, str]]:
    return [(e.entity, e.value, _surface(text, e)) for e in ents]


# ---- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value,surface",
    [
        ("我的手机号是13812345678", "13812345678", "13812345678"),
        ("电话：138 1234 5678", "13812345678", "138 1234 5678"),
        ("电话：138-1234-5678", "13812345678", "138-1234-5678"),
        ("手机１３９１２３４５６７８", "13912345678", "１３９１２３４５６７８"),
        ("联系电话 0532-86981234", "0532-86981234", "0532-86981234"),
        ("座机053286981234", "053286981234", "053286981234"),
        ("区号010-12345678", "010-12345678", "010-12345678"),
    ],
)
def test_phone(text: str, value: str, surface: str) -> None:
    assert _pairs(text, extract_phone(normalize(text))) == [("phone", value, surface)]


@pytest.mark.parametrize("text", ["1381234567", "138123456789", "12812345678", "编号2025060100712345", "价格 100 元"])
def test_not_a_phone(text: str) -> None:
    assert extract_phone(normalize(text)) == []


# ---- filing id -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [("查一下LN20250601007", "LN20250601007"), ("ln20250601007进度", "LN20250601007"), ("MV20250612003 审到哪了", "MV20250612003"),
     ("ＬＮ２０２５０６０１００７", "LN20250601007"),
     # the random references (nlu/references.py), as typed or dictated: any case, dash, space or nothing
     ("查一下LN20250618-7K3QX9", "LN20250618-7K3QX9"), ("mv20250618 7k3qx9进度", "MV20250618-7K3QX9"),
     ("编号LN202506187K3QX9", "LN20250618-7K3QX9"), ("ＬＮ２０２５０６１８－７Ｋ３ＱＸ９", "LN20250618-7K3QX9")],
)
def test_filing_id(text: str, value: str) -> None:
    (e,) = extract_filing_id(normalize(text))
    assert e.value == value
    assert references.canonical(normalize(_surface(text, e)).text) == value


@pytest.mark.parametrize("text", ["LN2025060100", "LN202506010071", "XLN20250601007", "AB20250601007",
                                  "LN20250618-7K3QX0", "LN20250618-7K3QI9", "LN20250618-7K3QX9A"])
def test_not_a_filing_id(text: str) -> None:
    assert extract_filing_id(normalize(text)) == []


# ---- license number ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value",
    [
        ("许可证编号JY13702110012345丢了", "JY13702110012345"),
        ("证号:jy13702110012345", "JY13702110012345"),
        ("ＪＹ１３７０２１１００１２３４５", "JY13702110012345"),
        ("编号123456789012345", "123456789012345"),  # long digits after a cue
        ("许可证号 123456789012", "123456789012"),
    ],
)
def test_license_number(text: str, value: str) -> None:
    (e,) = extract_license_number(normalize(text), taken=())
    assert e.value == value
    assert normalize(_surface(text, e)).text.upper() == value


def test_long_digits_without_cue_are_not_a_license_number() -> None:
    assert extract_license_number(normalize("我打了123456789012345次电话"), taken=()) == []


def test_license_number_skips_taken_spans() -> None:
    n = normalize("JY13702110012345")
    assert extract_license_number(n, taken=[(0, 16)]) == []


# ---- uscc ----------------------------------------------------------------------------------


def test_uscc_in_text_and_lowercase() -> None:
    text = "統一社會信用代碼：91370211ma3c4puh64。"
    (e,) = extract_uscc(normalize(text))
    assert e.value == "91370211MA3C4PUH64" and _surface(text, e) == "91370211ma3c4puh64"


def test_uscc_with_bad_check_digit_is_dropped() -> None:
    assert extract_uscc(normalize("信用代码 91370211MA3C4PUH6W")) == []


# ---- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value,surface",
    [
        ("证是昨天丢的", "2025-06-17", "昨天"),
        ("前天丢的", "2025-06-16", "前天"),
        ("大前天", "2025-06-15", "大前天"),
        ("今天", "2025-06-18", "今天"),
        ("上周三丢的", "2025-06-11", "上周三"),
        ("上星期天", "2025-06-15", "上星期天"),
        ("上上周一", "2025-06-02", "上上周一"),
        ("这周五", "2025-06-20", "这周五"),
        ("3月5号丢的", "2025-03-05", "3月5号"),
        ("三月五日", "2025-03-05", "三月五日"),
        ("十二月三十一日", "2025-12-31", "十二月三十一日"),
        ("2025年3月5日", "2025-03-05", "2025年3月5日"),
        ("二〇二五年三月五日", "2025-03-05", "二〇二五年三月五日"),
        ("二零二四年十月十日", "2024-10-10", "二零二四年十月十日"),
        ("２０２５年３月５日", "2025-03-05", "２０２５年３月５日"),
        ("2025-03-05", "2025-03-05", "2025-03-05"),
        ("2025/3/5", "2025-03-05", "2025/3/5"),
        ("去年12月3日", "2024-12-03", "去年12月3日"),
        ("上个月5号", "2025-05-05", "上个月5号"),
        ("3天前", "2025-06-15", "3天前"),
        ("两天前", "2025-06-16", "两天前"),
        ("2024年2月29日", "2024-02-29", "2024年2月29日"),
    ],
)
def test_dates(text: str, value: str, surface: str) -> None:
    assert _pairs(text, extract_date(normalize(text), TODAY)) == [("date", value, surface)]


@pytest.mark.parametrize("text", ["3月32号", "2025年2月29日", "13月1号", "几天前", "星期三", "第3天"])
def test_not_a_date(text: str) -> None:
    assert extract_date(normalize(text), TODAY) == []


def test_relative_dates_cross_year_boundaries() -> None:
    jan = dt.date(2025, 1, 10)
    assert [e.value for e in extract_date(normalize("上个月5号"), jan)] == ["2024-12-05"]
    assert [e.value for e in extract_date(normalize("前天"), dt.date(2025, 1, 1))] == ["2024-12-30"]
    assert [e.value for e in extract_date(normalize("上周一"), jan)] == ["2024-12-30"]


def test_two_dates_in_order() -> None:
    text = "2025年3月5日丢的，昨天才发现"
    assert [e.value for e in extract_date(normalize(text), TODAY)] == ["2025-03-05", "2025-06-17"]


# ---- org name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,name",
    [
        ("青岛海鲜餐饮有限公司的食经证丢了", "青岛海鲜餐饮有限公司"),
        ("我是西海岸新区人民医院的", "西海岸新区人民医院"),
        ("青岛市黄岛区明华诊所要校验", "青岛市黄岛区明华诊所"),
        ("我们的青岛小蜜蜂书店许可证丢了", "青岛小蜜蜂书店"),
        ("单位是青岛蓝海劳务派遣有限公司", "青岛蓝海劳务派遣有限公司"),
        ("青岛ABC科技有限公司", "青岛ABC科技有限公司"),
    ],
)
def test_org_name(text: str, name: str) -> None:
    assert [_surface(text, e) for e in extract_org_name(normalize(text))] == [name]


@pytest.mark.parametrize(
    "text",
    ["开公司怎么办", "怎么开诊所", "请问开一家公司需要什么材料", "注册公司流程", "这家医院", "一家诊所", "新开的诊所",
     "医院的许可证怎么校验", "诊所校验要多久", "公司营业执照丢了", "个体工商户怎么注册", "政务服务中心几点开门"],
)
def test_not_an_org_name(text: str) -> None:
    assert extract_org_name(normalize(text)) == []


@pytest.mark.parametrize("text", ["我想开个饭店", "我要开诊所", "我想开一家公司", "想注册一个公司", "成立有限公司要多少钱",
                                  "你们中心电话多少", "一个公司", "我在黄岛开了个烧烤店"])
def test_not_an_org_name_lead_ins_and_bare_suffixes(text: str) -> None:
    assert extract_org_name(normalize(text)) == []


def test_org_name_after_bang_wo_cha_yixia() -> None:
    text = "帮我查一下青岛明月餐饮有限公司的公告"
    assert [_surface(text, e) for e in extract_org_name(normalize(text))] == ["青岛明月餐饮有限公司"]


def test_org_name_blocked_by_a_dictionary_name() -> None:
    assert extract_org_name(normalize("青岛海鲜餐饮有限公司"), blocked=["海鲜餐饮"]) == []


# ---- dictionaries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,value,surface",
    [
        ("食经证丢了", "食品经营许可证", "食经证"),
        ("食品經營許可證丟了", "食品经营许可证", "食品經營許可證"),
        ("劳务派遣证丢了", "劳务派遣经营许可证", "劳务派遣证"),
        ("游泳馆许可证丢了", "高危险性体育项目经营许可证", "游泳馆许可证"),
        ("我们的食品经营许可证丢了", "食品经营许可证", "食品经营许可证"),  # longest match, not 食品经营许可
    ],
)
def test_license_type_via_aliases(extractor: EntityExtractor, text: str, value: str, surface: str) -> None:
    ents = [e for e in extractor.extract(normalize(text), TODAY) if e.entity == "license_type"]
    assert _pairs(text, ents) == [("license_type", value, surface)]


def test_validation_item_lists(extractor: EntityExtractor) -> None:
    text = "要校验执业许可证、放射诊疗许可证和印鉴卡"
    ents = extractor.extract(normalize(text), TODAY)
    assert [(e.entity, e.value) for e in ents] == [
        ("validation_item", "医疗机构执业许可证"),
        ("validation_item", "放射诊疗许可证"),
        ("validation_item", "麻醉药品和第一类精神药品购用印鉴卡"),
    ]
    assert [_surface(text, e) for e in ents] == ["执业许可证", "放射诊疗许可证", "印鉴卡"]


def test_validation_cue_prefers_validation_items(extractor: EntityExtractor) -> None:
    # 放射诊疗许可证 is both a license type and a validation item: the cue decides.
    val = extractor.extract(normalize("放射诊疗许可证要校验"), TODAY)
    lost = extractor.extract(normalize("放射诊疗许可证丢了"), TODAY)
    assert [e.entity for e in val] == ["validation_item"]
    assert [e.entity for e in lost] == ["license_type"]


def test_dictionary_derived_forms() -> None:
    ex = DictionaryExtractor("license_type", [VocabEntry("示例经营许可证", ("示例证件",))])
    for text in ("示例经营许可证", "示例经营许可", "示例经营证", "示例证件"):
        (e,) = ex.extract(normalize(f"我的{text}"))
        assert e.value == "示例经营许可证" and (e.start, e.end) == (2, 2 + len(text))
    assert DictionaryExtractor("x", []).extract(normalize("任何文字")) == []


# ---- everything together -------------------------------------------------------------------


def test_strong_patterns_win_overlaps(extractor: EntityExtractor) -> None:
    text = "统一社会信用代码91370211MA3C4PUH64，电话13812345678，编号JY13702110012345"
    assert _pairs(text, extractor.extract(normalize(text), TODAY)) == [
        ("uscc", "91370211MA3C4PUH64", "91370211MA3C4PUH64"),
        ("phone", "13812345678", "13812345678"),
        ("license_number", "JY13702110012345", "JY13702110012345"),
    ]


def test_full_sentence(extractor: EntityExtractor) -> None:
    text = "  青岛海鲜餐饮有限公司的食經證（編號ＪＹ１３７０２１１００１２３４５）上週三丟了，電話13812345678😀"
    got = {(e.entity, e.value): _surface(text, e) for e in extractor.extract(normalize(text), TODAY)}
    assert got == {
        ("org_name", "青岛海鲜餐饮有限公司"): "青岛海鲜餐饮有限公司",
        ("license_type", "食品经营许可证"): "食經證",
        ("license_number", "JY13702110012345"): "ＪＹ１３７０２１１００１２３４５",
        ("date", "2025-06-11"): "上週三",
        ("phone", "13812345678"): "13812345678",
    }


def test_entities_sorted_and_today_defaults_to_today_in_beijing(extractor: EntityExtractor) -> None:
    ents = extractor.extract(normalize("昨天丢了食经证"))
    assert [e.entity for e in ents] == ["date", "license_type"]
    assert ents[0].value == (clock.today() - dt.timedelta(days=1)).isoformat()  # the Beijing date, not the host's


# ---- the contract's development set ----------------------------------------------------------

DEV = Path(__file__).resolve().parents[1] / "contract" / "dev_entities.jsonl"


def _dev_cases() -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", _dev_cases(), ids=lambda c: c["text"])
@pytest.mark.parametrize("today", [TODAY, dt.date.today()], ids=["fixed", "real"])
def test_dev_entities(extractor: EntityExtractor, case: dict, today: dt.date) -> None:  # type: ignore[type-arg]
    want = {
        (k, resolve_placeholder(str(x), today))
        for k, v in case["entities"].items()
        for x in (v if isinstance(v, list) else [v])
    }
    ents = extractor.extract(normalize(case["text"]), today)
    assert {(e.entity, e.value) for e in ents} == want
    for e in ents:
        assert _surface(case["text"], e)
