"""统一社会信用代码 (GB 32100-2015): character set and check digit."""

from __future__ import annotations

import re

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



_RUN = re.compile(r"[0-9a-z]+(?:[ -][0-9a-z]+)*", re.I)  # letters and digits, in groups split by one space or -
_GROUP = re.compile(r"[0-9a-z]+", re.I)
_FIRST = frozenset("123456789ANY")  # registration authorities (GB 32100-2015)
_SECOND = frozenset("12359")  # organisation categories


def _grouped_ok(code: str, groups: list[tuple[int, int]]) -> bool:
    """A code typed in groups: starts as real ones do, in groups of two or more; digits only when its check
    digit is right (a phone number beside another number is no code)."""
    if code[0] not in _FIRST or code[1] not in _SECOND or any(e - s < 2 for s, e in groups):
        return False
    return is_valid(code) or not code.isdigit()


def candidates(text: str) -> list[tuple[int, int, str]]:
    """(start, end, CODE) of every 18-character code in `text`, check digit right or wrong: written whole
    ("91370211MA3C4PUH64") or in groups ("9137 0211 MA3T G7LB 9W", "91370211 ma1n adp339"). Codes with a right
    check digit win over overlapping ones without. Each starting group looks at most 18 groups ahead: linear."""
    found: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(text):  # groups separated by one space or "-"
        groups = [(m.start(), m.end()) for m in _GROUP.finditer(text, run.start(), run.end())]
        for i, (start, _) in enumerate(groups):
            length, j = 0, i
            while j < len(groups) and j < i + 18:
                length += groups[j][1] - groups[j][0]
                if length >= 18:
                    break
                j += 1
            if length != 18:
                continue
            end = groups[j][1]
            code = text[start:end].replace(" ", "").replace("-", "").upper()
            if shape_ok(code) and (j == i or _grouped_ok(code, groups[i:j + 1])):
                found.append((start, end, code))
    return _apart([c for c in found if is_valid(c[2])], [c for c in found if not is_valid(c[2])])


def _apart(first: list[tuple[int, int, str]], then: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping codes (both lists in text order): all it can of `first`, then of `then` in the gaps."""
    chosen: list[tuple[int, int, str]] = []
    for c in first:
        if not chosen or chosen[-1][1] <= c[0]:
            chosen.append(c)
    out: list[tuple[int, int, str]] = []
    k = 0
    for c in then:
        while k < len(chosen) and chosen[k][1] <= c[0]:
            k += 1
        clash = k < len(chosen) and chosen[k][0] < c[1]
        if not clash and (not out or out[-1][1] <= c[0]):
            out.append(c)
    return sorted(chosen + out)
