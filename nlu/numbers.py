"""Mobile numbers and 18-character codes (统一社会信用代码, 身份证号) however people type them.

One reader for the form's checks (actions/validators.py) and the masking of personal data
(assistant/privacy/masking.py), so that whatever spelling a form accepts is also masked in logs and stored texts:

- every character is folded with NFKC: full-width １３８, circled ①③⑧, ＋８６ all become ASCII;
- digits may be separated by spaces, dashes, dots, slashes or brackets, any number of them: 1-3-8-…,
  (138)12345678, +86 (138) 1234-5678, 138 1234 5678;
- a mobile number is 1[3-9] + 9 digits, optionally after 86 (+86), and must not run on into other digits without
  a separator (13812345678 inside 2013812345678901 is not a phone number) nor touch a Latin letter (JY138…).
- a code is 18 letters or digits (separators allowed between them, as in 9137 0211 MA3C 4X5Y 6Z) of the shape of a
  resident ID number or of a 统一社会信用代码, with the same edges.

Linear in the text. Spans are offsets into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SEPARATORS = frozenset(" \t\r\n\u3000\xa0-‐‑‒–—―−_.·/\\()[]{}")
ID_CARD = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]")
USCC = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}")
MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class Found:
    """A number in a text: [start, end) in the original, and its canonical value (digits, or the code upper-cased)."""

    start: int
    end: int
    value: str
    kind: str  # "mobile" | "id_card" | "uscc"


def _fold_char(ch: str) -> str:
    """NFKC of one character when it gives ASCII (１ → 1, ① → 1, ＋ → +, ⑴ → (1)), else the character."""
    if ch.isascii():
        return ch
    if ch.isdecimal():  # any script's decimal digit (full-width, Arabic-Indic …)
        return str(unicodedata.decimal(ch))
    folded = unicodedata.normalize("NFKC", ch)
    return folded if folded.isascii() else ("-" if ch in "－−" else ch)


@dataclass(frozen=True)
class _Run:
    """Characters (digits, or digits and letters) that only separators keep apart: their values (upper-cased),
    original spans, whether a separator stands before each, and whether a Latin letter touches either end."""

    chars: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    gap: tuple[bool, ...]  # gap[k]: a separator between chars[k-1] and chars[k] (gap[0]: always True)
    letter_before: bool
    letter_after: bool


def _runs(text: str, letters: bool) -> list[_Run]:
    """The runs of `text`: of digits (a letter ends a run and is remembered at its edge), or of letters and digits."""
    runs: list[_Run] = []
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    gap: list[bool] = []
    pending_gap = False
    letter_before = False
    last_was_letter = False

    def close(letter_after: bool) -> None:
        if chars:
            runs.append(_Run("".join(chars), tuple(starts), tuple(ends), tuple(gap), letter_before, letter_after))
        for part in (chars, starts, ends, gap):
            part.clear()

    for i, ch in enumerate(text):
        latin = ch.isascii() or "\uff21" <= ch <= "\uff5a"  # typed Latin letters (ASCII or full-width), not ʷ or ℌ
        for piece in _fold_char(ch):
            is_letter = latin and piece.isascii() and piece.isalpha()
            if (piece.isascii() and piece.isdigit()) or (letters and is_letter):
                if not chars:
                    letter_before = last_was_letter and not pending_gap
                chars.append(piece.upper())
                starts.append(i)
                ends.append(i + 1)
                gap.append(pending_gap or len(chars) == 1)
                pending_gap = False
            elif piece in SEPARATORS or piece == "+":
                pending_gap = True
            else:  # a letter (digit runs), a Chinese character, other punctuation: the run ends
                close(letter_after=is_letter and not pending_gap)
                pending_gap = False
            last_was_letter = is_letter
    close(letter_after=False)
    return runs


def _alone(run: _Run, i: int, j: int, letter_edges: bool) -> bool:
    """chars[i:j] stands alone: a separator or the run's edge on both sides (and no letter glued to that edge)."""
    left = run.gap[i] and (i > 0 or not (letter_edges and run.letter_before))
    right = j == len(run.chars) or run.gap[j]
    if j == len(run.chars) and letter_edges and run.letter_after:
        right = False
    return left and right


def find_mobiles(text: str) -> list[Found]:
    """Every mobile number in `text` (with its +86 / 86 when written), in order."""
    out: list[Found] = []
    for run in _runs(text, letters=False):
        s = run.chars
        i = 0
        while i + 11 <= len(s):
            if MOBILE.fullmatch(s, i, i + 11):
                first = -1
                if i >= 2 and s[i - 2:i] == "86" and _alone(run, i - 2, i + 11, True):
                    first = i - 2  # 86 13812345678, +86 (138) …
                elif _alone(run, i, i + 11, True):
                    first = i
                if first >= 0:
                    begin = run.starts[first]
                    if first != i and begin > 0 and _fold_char(text[begin - 1]) == "+":
                        begin -= 1
                    out.append(Found(begin, run.ends[i + 10], s[i:i + 11], "mobile"))
                    i += 11
                    continue
            i += 1
    return out


def find_codes(text: str) -> list[Found]:
    """Every 18-character ID card number or 统一社会信用代码 in `text` (separators allowed inside), in order."""
    out: list[Found] = []
    for run in _runs(text, letters=True):
        s = run.chars
        i = 0
        while i + 18 <= len(s):
            if _alone(run, i, i + 18, False):
                window = s[i:i + 18]
                kind = "id_card" if ID_CARD.fullmatch(window) else "uscc" if USCC.fullmatch(window) else ""
                if kind:
                    out.append(Found(run.starts[i], run.ends[i + 17], window, kind))
                    i += 18
                    continue
            i += 1
    return out


def plain(text: str) -> str:
    """The letters and digits of a found span, folded to ASCII (case kept): what a mask is made from."""
    return "".join(piece for ch in text for piece in _fold_char(ch) if piece.isascii() and piece.isalnum())


def _only_separators(text: str) -> bool:
    return all(c.isspace() or _fold_char(c) in SEPARATORS or _fold_char(c) == "+" for c in text)


def whole_mobile(text: str) -> str | None:
    """The 11 digits when `text` is one mobile number and nothing else (separators and +86 aside), else None."""
    found = find_mobiles(text)
    if len(found) != 1:
        return None
    return found[0].value if _only_separators(text[:found[0].start] + text[found[0].end:]) else None


def whole_code(text: str) -> str | None:
    """The 18 characters (upper-cased) when `text` is one code and nothing else (separators aside), else None."""
    found = find_codes(text)
    if len(found) != 1:
        return None
    return found[0].value if _only_separators(text[:found[0].start] + text[found[0].end:]) else None
