"""统一社会信用代码 (GB 32100-2015): character set and check digit."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def shape_ok(code: str) -> bool:
    """18 characters from the code's alphabet, the 3rd-8th (region code) digits."""
    return len(code) == 18 and all(c in _VALUE for c in code) and code[2:8].isdigit()


def is_valid(code: str) -> bool:
    """True when `code` is a well-formed code with a correct check digit."""
    code = code.upper()
    return shape_ok(code) and check_char(code[:17]) == code[17]
