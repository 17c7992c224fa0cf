"""统一社会信用代码: alphabet, shape and check digit (GB 32100-2015)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.uscc import ALPHABET, check_char, is_valid, shape_ok

VALID_FILE = Path(__file__).resolve().parents[1] / "reference" / "uscc" / "valid_uscc.txt"
VALID = [line.strip() for line in VALID_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_reference_file_has_200_codes() -> None:
    assert len(VALID) == 200
    assert len(set(VALID)) == 200


def test_all_reference_codes_are_valid() -> None:
    bad = [c for c in VALID if not is_valid(c)]
    assert not bad


def test_lowercase_accepted() -> None:
    assert all(is_valid(c.lower()) for c in VALID)


def test_alphabet() -> None:
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize(
    "code",
    [
        "91370211MA3C4PUH6W",  # wrong check digit (API contract example)
        "91370211MA3C4PUH6",  # 17 characters
        "91370211MA3C4PUH644",  # 19 characters
        "9137O211MA3C4PUH64",  # letter O in the region code
        "91370211MA3C4PUI64",  # I is not in the alphabet
        "",
        "９１３７０２１１ＭＡ３Ｃ４ＰＵＨ６４",  # full-width (the normaliser folds these first)
    ],
)
def test_invalid_codes(code: str) -> None:
    assert not is_valid(code)


def test_check_char_matches_last_char() -> None:
    for code in VALID[:50]:
        assert check_char(code[:17]) == code[17]
        assert shape_ok(code)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(VALID),
    st.integers(min_value=0, max_value=17),
    st.sampled_from(ALPHABET),
)
def test_changing_any_one_char_makes_it_invalid(code: str, pos: int, new: str) -> None:
    if code[pos] == new:
        new = ALPHABET[(ALPHABET.index(new) + 1) % len(ALPHABET)]
    changed = code[:pos] + new + code[pos + 1 :]
    assert changed != code
    assert not is_valid(changed), (code, pos, new)
    assert not is_valid(changed.lower())


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.sampled_from(ALPHABET), min_size=2, max_size=2),
    st.text(st.sampled_from("0123456789"), min_size=6, max_size=6),
    st.text(st.sampled_from(ALPHABET), min_size=9, max_size=9),
)
def test_check_char_always_makes_a_valid_code(head: str, region: str, tail: str) -> None:
    first17 = head + region + tail
    assert is_valid(first17 + check_char(first17))
