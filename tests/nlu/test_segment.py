"""nlu/segment.py: a message asking several things is split into its questions (at most three), in order;
one question with context, a list, politeness or the fields of a form stays one."""

from __future__ import annotations

import pytest

from nlu.normalize import normalize
from nlu.segment import split_questions


def parts(text: str) -> list[str]:
    return [s.text for s in split_questions(normalize(text))]


@pytest.mark.parametrize(("text", "want"), [
    ("补发要多久？要交钱吗？", ["补发要多久", "要交钱吗"]),
    ("劳务派遣证在哪办，要什么材料，几天能批", ["劳务派遣证在哪办", "要什么材料", "几天能批"]),
    ("校验怎么申请；网上可以办吗", ["校验怎么申请", "网上可以办吗"]),
    ("出版物许可证要多久 收费吗", ["出版物许可证要多久", "收费吗"]),  # a space between two questions
    ("托管地址怎么申请需要什么材料", ["托管地址怎么申请", "需要什么材料"]),  # run together
    ("要登报吗补证带什么", ["要登报吗", "补证带什么"]),  # a closing 吗, then the next question
    ("遗失公告多久能发出来还有能不能手机上办", ["遗失公告多久能发出来", "能不能手机上办"]),
    ("开公司要几天，另外视频办收费吗", ["开公司要几天", "视频办收费吗"]),  # the connective is not part of it
    ("诊所校验要多久顺便问一下在哪交", ["诊所校验要多久", "在哪交"]),
    ("這個要多久？收費嗎？", ["這個要多久", "收費嗎"]),  # traditional characters, full-width marks
])
def test_several_questions_in_order(text: str, want: list[str]) -> None:
    assert parts(text) == want


@pytest.mark.parametrize("text", [
    "食品经营许可证丢了怎么补办",
    "食品经营许可证、出版物经营许可证、劳务派遣经营许可证丢了都能补吗",  # a list inside one question
    "上周搬家把副本弄丢了，就放在纸箱里找不到了，现在怎么补",  # a story, then one question
    "您好，麻烦问下，联合体投标保证金谁交",  # politeness
    "青岛明远餐饮有限公司，信用代码91370211MA3C1234XN",  # several fields of a form
    "张海，13812345678",
    "什么情况下需要现场核查",  # a question word opening a clause does not end a question
    "多久能拿到证",
    "还有没有别的办法",
    "费用是1.5元吗",
    "",
    "？？？",
])
def test_one_question_stays_whole(text: str) -> None:
    segments = split_questions(normalize(text))
    assert len(segments) == 1 and segments[0].text == text


def test_at_most_three_the_rest_joins_the_third() -> None:
    segs = split_questions(normalize("多久？收费吗？在哪办？网上能办吗？"))
    assert [s.text for s in segs] == ["多久", "收费吗", "在哪办？网上能办吗"]


def test_offsets_point_into_the_original_text() -> None:
    text = "  醫療機構校驗要多久？　在哪個窗口辦？"
    for seg in split_questions(normalize(text)):
        assert text[seg.start:seg.end] == seg.text
    assert [s.text for s in split_questions(normalize(text))] == ["醫療機構校驗要多久", "在哪個窗口辦"]


def test_context_goes_with_the_question_after_it() -> None:
    assert parts("证丢了。要登报吗？补证要带什么？") == ["证丢了。要登报吗", "补证要带什么"]
    assert parts("要登报吗？补证要带什么？急用") == ["要登报吗", "补证要带什么？急用"]
