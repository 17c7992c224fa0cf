"""Masking of personal data in free text: mobile and landline numbers, 统一社会信用代码 and 18-digit 身份证号.

Used wherever text leaves the conversation it was typed in: the turn log (at the source), log lines, the
staff inbox and exports. Masking is deliberately generous: anything shaped like one of these numbers is masked,
whether or not its check digit is right (a mistyped ID card number is still personal data). The numbers are found
by nlu/numbers.py, the reader the form's checks use too: every spelling a form accepts (1-3-8-…, (138)12345678,
full-width, ①③⑧…, +86 (138) 1234-5678, a code written in groups) is masked.

    138****5678            mobile (keeps the first 3 and last 4 digits; +86 and separators are dropped)
    0532-****7766          landline with its area code, in what people typed (`landlines=True`): bot texts keep
                           the hall's own numbers readable
    9137**********4XN9     18-character code (USCC or ID card number: keeps the first 4 and last 4)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nlu import numbers

# Landlines with their area code (0 + 2-3 digits), separators optional: 0532-86887766, 0532 8688 7766, 053286887766.
# \d matches full-width digits too (Python's str patterns are Unicode-aware).
LANDLINE = re.compile(r"(?<![0-9A-Za-z])(0[1-9]\d{1,2})[ -]?(\d{3,4})[ -]?(\d{4})(?![0-9A-Za-z])")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_ok(number: str) -> bool:
    """True when the 18-digit ID card number's last character is its GB 11643 check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17].upper()


def mask_mobile(number: str) -> str:
    """138****5678 (separators and country code dropped)."""
    digits = re.sub(r"\D", "", number)[-11:]
    return f"{digits[:3]}****{digits[-4:]}"


def mask_landline(number: str) -> str:
    """0532-****7766 (the area code and the last four digits)."""
    m = LANDLINE.fullmatch(number)
    if m is None:
        return number
    return f"{m.group(1)}-****{m.group(3)}"


def mask_code(code: str) -> str:
    """First 4 and last 4 characters of an 18-character code, the rest as '*'."""
    return f"{code[:4]}{'*' * (len(code) - 8)}{code[-4:]}"


# Full-width digits and dashes fold to ASCII one for one, so positions stay the same (for the landline pattern).
_FOLD = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FOLD[0xFF0D] = ord("-")


def mask_text(text: str, landlines: bool = False) -> str:
    """`text` with every mobile number, ID card number and USCC masked (and landlines, with `landlines`: for
    what a person typed, not for 灵灵's answers, which give the hall's numbers); other text unchanged."""
    if not text or not any(c.isdigit() for c in text):
        return text
    spans: list[tuple[int, int, str]] = [(f.start, f.end, mask_code(numbers.plain(text[f.start:f.end])))
                                         for f in numbers.find_codes(text)]
    for f in numbers.find_mobiles(text):
        if not any(f.start < e and s < f.end for s, e, _ in spans):
            spans.append((f.start, f.end, mask_mobile(f.value)))
    if landlines:
        for m in LANDLINE.finditer(text.translate(_FOLD)):
            start, end = m.span()
            if not any(start < e and s < end for s, e, _ in spans):
                spans.append((start, end, mask_landline(m.group(0))))
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end, masked in sorted(spans):
        out += [text[pos:start], masked]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def mask_value(value: Any) -> Any:
    """Strings masked inside nested dicts, lists and tuples (keys are kept as they are)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value


def has_personal_data(text: str) -> bool:
    """True when `text` holds something `mask_text` would mask."""
    return mask_text(text) != text
