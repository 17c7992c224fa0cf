"""Normaliser: folding rules and the offset map back to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.normalize import fold, normalize, to_simplified


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("ＡＢＣ１２３！？", "abc123!?"),  # full-width → half-width, lower case
        ("營業執照遺失了，怎麼補辦", "营业执照遗失了,怎么补办"),  # traditional → simplified, punctuation
        ("HeLLo World", "hello world"),
        ("  a \t\n  b  ", "a b"),  # runs of white space fold, ends trimmed
        ("食品 经营\u3000许可证", "食品经营许可证"),  # no space between two CJK characters
        ("许可证 ABC 公司", "许可证 abc 公司"),  # kept between CJK and Latin
        ("你好😀\x07\x00啊", "你好啊"),  # emoji and control characters dropped
        ("食\u200b品\u200d经营\ufeff", "食品经营"),  # zero-width characters dropped
        ("👨\u200d👩\u200d👧家庭", "家庭"),  # emoji sequences dropped whole
        ("\u202e反转\u202c", "反转"),  # bidi controls dropped
        ("《食品安全法》“第一条”【注】", '<食品安全法>"第一条"[注]'),
        ("１３８ １２３４ ５６７８", "138 1234 5678"),
        ("", ""),
        (" \t\n\u3000 ", ""),
    ],
)
def test_normalize_rules(raw: str, expected: str) -> None:
    n = normalize(raw)
    assert n.text == expected
    assert fold(raw) == expected
    assert n.original == raw
    assert len(n.index_map) == len(n.text)


def test_offsets_of_a_mixed_text() -> None:
    raw = "  ＪＹ１２３ 食品經營許可證😀丢了"
    n = normalize(raw)
    assert n.text == "jy123 食品经营许可证丢了"
    start = n.text.index("食品经营许可证")
    s, e = n.span_to_original(start, start + len("食品经营许可证"))
    assert raw[s:e] == "食品經營許可證"
    s, e = n.span_to_original(0, 5)
    assert raw[s:e] == "ＪＹ１２３"
    s, e = n.span_to_original(n.text.index("丢"), len(n.text))
    assert raw[s:e] == "丢了"  # the dropped emoji before it is not part of the span


def test_span_to_original_empty_span() -> None:
    n = normalize("abc")
    assert n.span_to_original(2, 2) == (0, 0)
    assert normalize("").span_to_original(0, 1) == (0, 0)


def test_nfkc_expansion_maps_every_piece_to_its_source() -> None:
    n = normalize("ﬁle")  # the ligature becomes two characters
    assert n.text == "file"
    assert n.index_map == (0, 0, 1, 2)
    assert n.span_to_original(0, 2) == (0, 1)


def test_to_simplified() -> None:
    assert to_simplified("醫療機構執業許可證") == "医疗机构执业许可证"
    assert to_simplified("") == ""


def _piece(ch: str) -> str:
    """What one character becomes in a neutral (Latin) context."""
    return normalize("a" + ch + "a").text[1:-1]


def _check_map(raw: str) -> None:
    n = normalize(raw)
    assert len(n.index_map) == len(n.text)
    assert list(n.index_map) == sorted(n.index_map), "offsets must not go backwards"
    assert all(0 <= i < len(raw) for i in n.index_map)
    for k, ch in enumerate(n.text):
        j = n.index_map[k]
        o = raw[j]
        # Phrase-level conversion may keep or change a character by its neighbours.
        context = normalize(raw[max(0, j - 4) : j + 5]).text
        assert ch in _piece(o) or ch == o or ch in context, (raw, k, ch, o)


TRICKY = st.sampled_from(
    list("ＡＢｚ０９！？　\u3000\t\n\r\xa0\u200b\u200d\ufeff\u202e\u200f😀👍🏻❤️🇨🇳營業執照許可證國體劃遺補辦醫療廣東")
    + ["\x00", "\x07", "\x1b", "ﬁ", "㎏", "①", "·", "—", "…", "《", "》", "“", "”", "a", "Z", " ", "食", "品", "的"]
)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_index_map_points_to_a_source_char_that_normalises_to_it(raw: str) -> None:
    _check_map(raw)


@settings(max_examples=200, deadline=None)
@given(st.lists(TRICKY, max_size=30).map("".join))
def test_index_map_on_tricky_alphabet(raw: str) -> None:
    _check_map(raw)
    n = normalize(raw)
    assert "  " not in n.text and n.text == n.text.strip()
    assert not any(c in n.text for c in "\u200b\u200d\ufeff\x00\x07😀")


@settings(max_examples=200, deadline=None)
@given(st.lists(TRICKY | st.characters(max_codepoint=0x7F) | st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                max_size=30).map("".join))
def test_normalize_is_idempotent(raw: str) -> None:
    # (Over all of Unicode it is not: NFKC can produce combining marks, which a second pass drops.)
    once = fold(raw)
    assert fold(once) == once


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=20))
def test_span_to_original_of_the_whole_text(raw: str) -> None:
    n = normalize(raw)
    s, e = n.span_to_original(0, len(n.text))
    assert (s, e) == (0, len(raw))  # CJK characters are never dropped
