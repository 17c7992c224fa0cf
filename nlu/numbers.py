"""Mobile numbers and 18-character codes (统一社会信用代码, 身份证号) however people type them.

One reader for the form's checks (actions/validators.py) and the masking of personal data
(assistant/privacy/masking.py): a form accepts a mobile number or a code only when this reader finds it, so every
spelling a form accepts is also masked wherever it is written.

- every character is folded on its own with NFKC: full-width １３８, circled ①③⑧, ＋８６ become ASCII;
- between the digits (or the code's characters) any number of separators: spaces, dashes, dots, slashes,
  brackets — and the characters the NLU's normaliser drops (zero-width characters, emoji, marks), which are
  transparent here too: 1-3-8-…, (138)12345678, +86 (138) 1234-5678, 138 1234 5678, 9137 0211 MA3C 1234 XN;
- a mobile number is 1[3-9] + 9 digits, optionally after 86 (+86), and must not run on into more digits without
  a separator (13812345678 inside 2013812345678901 is not a phone number);
- a code is 18 letters or digits in the shape of a resident ID number or of a 统一社会信用代码, not running on
  into more letters or digits without a separator.

Linear in the text: only the stretches between Chinese characters that hold enough digits are read character by
character. Spans are offsets into the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The categories nlu/normalize.py drops (zero-width and format characters, emoji, marks …): transparent here too,
# so that a number the NLU reads through them is found (tests/nlu/test_numbers.py keeps the two in step).
DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "So", "Sk", "Mn", "Me"})
SEPARATORS = frozenset(" \t\r\n\u3000\xa0+-‐‑‒–—―−_.·/\\()[]{}")
ID_CARD = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]")
USCC = re.compile(r"[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}")
MOBILE = re.compile(r"1[3-9]\d{9}")
# Chinese characters and CJK punctuation: none folds to a digit, a Latin letter or a separator, so a number is
# always inside one of the stretches between them.
_REGION = re.compile(r"[^\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Found:
    """A number in a text: [start, end) in the original, and its canonical value (digits, or the code upper-cased)."""

    start: int
    end: int
    value: str
    kind: str  # "mobile" | "id_card" | "uscc"


def _fold(ch: str) -> str:
    """What one character stands for: ASCII from NFKC (１ → 1, ① → 1, ＋ → +, ⑴ → (1)), any script's decimal
    digit as its ASCII digit, " " for a character the normaliser drops, else the character itself."""
    if ch.isascii():
        return ch
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    folded = unicodedata.normalize("NFKC", ch)
    if folded.isascii():
        return folded
    if unicodedata.category(ch) in DROPPED_CATEGORIES or ch in SEPARATORS:
        return " "
    return ch


@dataclass(frozen=True)
class _Run:
    """Letters/digits that only separators keep apart: values (upper-cased), original spans, and gap[k] = a separator
    stands between chars[k-1] and chars[k] (gap[0] is True: the run's start)."""

    chars: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    gap: tuple[bool, ...]


def _runs(text: str, letters: bool) -> list[_Run]:
    """The runs of digits (and Latin letters when `letters`) of `text`; anything else ends a run."""
    runs: list[_Run] = []
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    gap: list[bool] = []
    pending = False

    def close() -> None:
        if chars:
            runs.append(_Run("".join(chars), tuple(starts), tuple(ends), tuple(gap)))
        for part in (chars, starts, ends, gap):
            part.clear()

    for i, ch in enumerate(text):
        for piece in _fold(ch):
            if piece.isascii() and (piece.isdigit() or (letters and piece.isalpha())):
                chars.append(piece.upper())
                starts.append(i)
                ends.append(i + 1)
                gap.append(pending or len(chars) == 1)
                pending = False
            elif piece in SEPARATORS:
                pending = True
            else:
                close()
                pending = False
    close()
    return runs


def _alone(run: _Run, i: int, j: int) -> bool:
    """chars[i:j] has a separator or the run's edge on both sides."""
    return run.gap[i] and (j == len(run.chars) or run.gap[j])


_WIDE_PUNCT = str.maketrans({c: " " for c in "，：；！？、\u3000"})
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def _may_hold(region: str, codes: bool) -> bool:
    """False only when `region` surely holds no number: a plain-ASCII stretch (wide punctuation aside) whose digits
    (letters and digits for codes), taken together, do not even contain the shape. Anything else is read."""
    core = region.translate(_WIDE_PUNCT)
    if not core.isascii():
        return True
    if codes:
        joined = _NOT_ALNUM.sub("", core).upper()
        return bool(USCC.search(joined) or ID_CARD.search(joined))
    return bool(MOBILE.search(_NOT_DIGIT.sub("", core)))


# Characters beyond ASCII that fold to digits or Latin letters (full-width, circled, super/subscript, enclosed …).
_EXOTIC = re.compile("(?![0-9])\\d|[\u00b2\u00b3\u00b9\u2070-\u209f\u2150-\u218f\u2460-\u24ff\u2776-\u2793"
                     "\u3220-\u325f\u3280-\u32bf\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\U0001f100-\U0001f10c]")


def _regions(text: str, codes: bool) -> list[tuple[int, str]]:
    """(offset, stretch) of the stretches between Chinese characters that may hold a number (none at all, found at
    regex speed, when the text's ASCII digits/letters taken together do not contain the shape)."""
    if not _EXOTIC.search(text) and not _may_hold(text.translate(_WIDE_PUNCT).encode("ascii", "ignore").decode(), codes):
        return []
    return [(m.start(), m.group()) for m in _REGION.finditer(text) if _may_hold(m.group(), codes)]


def find_mobiles(text: str) -> list[Found]:
    """Every mobile number in `text` (with its +86 / 86 when written), in order."""
    out: list[Found] = []
    for offset, region in _regions(text, codes=False):
        for run in _runs(region, letters=False):
            s = run.chars
            i = 0
            while i + 11 <= len(s):
                first = -1
                if MOBILE.fullmatch(s, i, i + 11):
                    if i >= 2 and s[i - 2:i] == "86" and _alone(run, i - 2, i + 11):
                        first = i - 2  # 86 13812345678, +86 (138) …
                    elif _alone(run, i, i + 11):
                        first = i
                if first < 0:
                    i += 1
                    continue
                begin = run.starts[first]
                if first != i and begin > 0 and _fold(region[begin - 1]) == "+":
                    begin -= 1
                out.append(Found(offset + begin, offset + run.ends[i + 10], s[i:i + 11], "mobile"))
                i += 11
    return out


def find_codes(text: str) -> list[Found]:
    """Every 18-character ID card number or 统一社会信用代码 in `text` (separators allowed inside), in order."""
    out: list[Found] = []
    for offset, region in _regions(text, codes=True):
        for run in _runs(region, letters=True):
            s = run.chars
            i = 0
            while i + 18 <= len(s):
                window = s[i:i + 18]
                kind = ""
                if _alone(run, i, i + 18):
                    kind = "id_card" if ID_CARD.fullmatch(window) else "uscc" if USCC.fullmatch(window) else ""
                if not kind:
                    i += 1
                    continue
                out.append(Found(offset + run.starts[i], offset + run.ends[i + 17], window, kind))
                i += 18
    return out


def plain(text: str) -> str:
    """The letters and digits of a found span, folded to ASCII (case kept): what a mask is made from."""
    return "".join(piece for ch in text for piece in _fold(ch) if piece.isascii() and piece.isalnum())


def _only_separators(text: str) -> bool:
    return all(piece in SEPARATORS for ch in text for piece in _fold(ch))


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
