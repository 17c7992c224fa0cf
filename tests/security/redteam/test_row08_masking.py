"""Red team, row 8: personal data in the turn log and the staff inbox, however it is spelled.

Found: 7 of 9 phone spellings the form accepts (1-3-8-…, (138)12345678, full-width, ①③⑧…, +86 (138) 1234-5678 …)
and spaced 统一社会信用代码 were stored unmasked in `turns.user_text` and shown in the staff inbox. Now the masking
and the form's checks read numbers with one reader (nlu/numbers.py); a property test generates spellings: every
one the form accepts is masked, inside any sentence.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions import validators as v
from assistant.privacy.masking import mask_text
from tests.security.flows import cheap_hashing, login, say, staff_user

PHONE = "13812345678"
USCC = "91370211MA3C1234XN"
SPELLINGS = ["1-3-8-1-2-3-4-5-6-7-8", "(138)12345678", "１３８１２３４５６７８", "①③⑧①②③④⑤⑥⑦⑧",
             "+86 (138) 1234-5678", "138 1234 5678", "+8613812345678", "（１３８）１２３４－５６７８", "86-138-1234-5678"]
CODES = ["9137 0211 MA3C 1234 XN", "9137-0211-MA3C-1234-XN", "９１３７０２１１ＭＡ３Ｃ１２３４ＸＮ", "91370211 ma3c1234xn"]


def digits_left(text: str) -> str:
    return re.sub(r"\D", "", "".join(unicodedata.normalize("NFKC", c) for c in text))


def alnum_left(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", text).upper())


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_phone_spelling_the_form_accepts_is_masked(spelling: str) -> None:
    assert v.check_phone(spelling).value == PHONE
    masked = mask_text(f"我的手机是{spelling}，请联系我")
    assert PHONE not in digits_left(masked) and "1234" not in digits_left(masked), masked
    assert "138****5678" in masked


@pytest.mark.parametrize("spelling", CODES)
def test_every_code_spelling_the_form_accepts_is_masked(spelling: str) -> None:
    assert v.check_uscc(spelling).value == USCC
    masked = mask_text(f"代码：{spelling}。")
    assert USCC not in alnum_left(masked) and "MA3C" not in alnum_left(masked), masked


def _digit(style: str, d: int) -> str:
    if style == "full":
        return chr(0xFF10 + d)
    if style == "circled":
        return "⓪" if d == 0 else chr(0x2460 + d - 1)
    return str(d)


@st.composite
def phone_spellings(draw: Any) -> tuple[str, str]:
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    style = draw(st.sampled_from(["ascii", "full", "circled"]))
    seps = st.sampled_from(["", "", "", " ", "-", "－", "  ", " - "])
    groups = [number[:3], number[3:7], number[7:]]
    parts = ["".join(_digit(style, int(c)) + (draw(seps) if k < len(g) - 1 and draw(st.booleans()) else "")
                     for k, c in enumerate(g)) for g in groups]
    if draw(st.booleans()):
        parts[0] = draw(st.sampled_from(["({})", "（{}）"])).format(parts[0])
    text = draw(seps).join(parts[:2]) + draw(seps) + parts[2]
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "86", "86 ", "＋８６ ", "+86-"]))
    return prefix + text, number


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(spelled=phone_spellings(), before=st.sampled_from(["", "电话", "我的手机号是", "联系方式："]),
       after=st.sampled_from(["", "，谢谢", "。", " 张先生"]))
def test_generated_spellings_accepted_by_the_form_are_masked(spelled: tuple[str, str], before: str, after: str) -> None:
    spelling, number = spelled
    assert v.check_phone(spelling).value == number, spelling  # the form takes every generated spelling
    masked = mask_text(before + spelling + after)
    assert number not in digits_left(masked), (spelling, masked)
    assert mask_text(masked) == masked


def test_the_turn_log_and_the_inbox_hold_no_spelled_number(make_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.dialogue.turns import TurnLog

    client = make_client(rate_limit=False)
    for n, spelling in enumerate(SPELLINGS + CODES):
        say(client, f"spell-{n}", f"我的号码{spelling}怎么查")
    services = client.app.state.services
    log = TurnLog(services.staff.db)
    stored = " ".join(t.user_text + " " + t.normalized for n in range(len(SPELLINGS) + len(CODES))
                      for t in log.for_sender(f"spell-{n}"))
    assert PHONE not in digits_left(stored) and USCC not in alnum_left(stored), stored[:500]
    assert "138****5678" in stored
    cheap_hashing(monkeypatch)
    login(client, staff_user(client, "editor"))
    page = client.get("/admin/inbox")
    assert page.status_code == 200
    assert PHONE not in digits_left(page.text) and USCC not in alnum_left(page.text)


GLUE = st.sampled_from(["", " ", "-", "\u200b", "\u200d", "😀", "\ufe0f", "tel", "号", "：", "(", "）", "·", "\u3000"])
DROPPED = st.sampled_from(["", "", "", "", "\u200b", "\u200d", "😀", "\ufe0f", "\u0301"])  # the normaliser drops these


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(number=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), cuts=st.lists(DROPPED, min_size=10, max_size=10),
       before=GLUE, after=GLUE)
def test_whatever_the_nlu_reads_as_a_phone_is_masked(number: str, cuts: list[str], before: str, after: str) -> None:
    """The NLU reads through what its normaliser drops (zero-width characters, emoji): the masking does too."""
    from nlu.entities import extract_phone
    from nlu.normalize import normalize

    text = before + "".join(d + c for d, c in zip(number, [*cuts, ""], strict=True)) + after
    phones = [e.value for e in extract_phone(normalize(text)) if len(e.value) == 11]
    if before in ("", " ", "号", "：", "(", "）", "·", "\u3000") and after in ("", " ", "号", "：", "(", "）", "·", "\u3000"):
        assert phones == [number], text  # the NLU reads it: so must the masking
    masked = mask_text(text)
    for phone in phones:
        assert phone not in digits_left(masked), (text, masked)


def test_the_reader_skips_what_the_normaliser_drops() -> None:
    from nlu import normalize, numbers

    assert numbers.DROPPED_CATEGORIES == normalize._DROP_CATEGORIES
