"""Masking of mobile numbers, 统一社会信用代码 and 18-digit ID card numbers."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.privacy.masking import has_personal_data, id_check_ok, mask_text, mask_value

ID = "370211199001011234"  # region 370211, born 1990-01-01
ID_X = "11010519491231002X"  # the GB 11643 example (check character X)


@pytest.mark.parametrize("text,masked", [
    ("13812345678", "138****5678"),
    ("电话13812345678谢谢", "电话138****5678谢谢"),
    ("+86 138-1234-5678", "138****5678"),
    ("8613812345678", "138****5678"),
    ("手机：１３８１２３４５６７８", "手机：138****5678"),  # full-width digits
    ("91370211MA3C1234XN", "9137**********34XN"),
    ("代码 91370211ma3c1234xn 对吗", "代码 9137**********34xn 对吗"),
    (ID, "3702**********1234"),
    (ID_X.lower(), "1101**********002x"),
    ("身份证370211199001011234，手机13912345678", "身份证3702**********1234，手机139****5678"),
])
def test_masks(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert has_personal_data(text)


@pytest.mark.parametrize("text", [
    "0532-88888888",  # the hall's landline stays readable
    "JY13702110012345",  # a food licence number
    "LN20250618001",  # a filing number
    "XHA-YS-2025-0001",  # a notice number
    "123456789012",  # 12 digits: not a phone
    "138123456789",  # 12 digits starting like a phone
    "请问食品经营许可证怎么办理",
    "",
])
def test_leaves_other_text_alone(text: str) -> None:
    assert mask_text(text) == text
    assert not has_personal_data(text)


@pytest.mark.parametrize("text,masked", [
    ("0532-86887766", "0532-****7766"),
    ("座机 0532 8688 7766 找李工", "座机 0532-****7766 找李工"),
    ("010-12345678", "010-****5678"),
    ("053286887766", "0532-****7766"),
])
def test_landlines_in_what_people_typed(text: str, masked: str) -> None:
    assert mask_text(text, landlines=True) == masked
    assert mask_text(text) == text  # 灵灵's answers keep the hall's numbers readable
    for other in ("JY13702110012345", "LN20250618001", "XHA-YS-2025-0001", "2345", "2026-11-02"):
        assert mask_text(other, landlines=True) == other


def test_id_check_digit() -> None:
    assert id_check_ok(ID_X) and id_check_ok(ID_X.lower())
    assert not id_check_ok("110105194912310021")


def test_mask_value_walks_nested_data() -> None:
    data = {"text": "13812345678", "buttons": [{"title": "91370211MA3C1234XN", "n": 3}], "t": ("13912345678",), "none": None}
    assert mask_value(data) == {"text": "138****5678", "buttons": [{"title": "9137**********34XN", "n": 3}],
                                "t": ("139****5678",), "none": None}


PHONE = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
FILLER = st.text(st.characters(codec="utf-8", exclude_categories=("Nd", "Lu", "Ll")), max_size=20)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(before=FILLER, phone=PHONE, after=FILLER)
def test_no_phone_survives(before: str, phone: str, after: str) -> None:
    masked = mask_text(before + phone + after)
    assert phone not in masked
    assert masked == before + phone[:3] + "****" + phone[-4:] + after
    assert mask_text(masked) == masked  # idempotent


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(text=st.text(max_size=200))
def test_masking_is_safe_on_any_text(text: str) -> None:
    masked = mask_text(text)
    assert mask_text(masked) == masked
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", masked)
