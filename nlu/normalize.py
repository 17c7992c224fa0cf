"""Chinese text normalisation that remembers where every character came from.

Full-width → half-width, traditional → simplified (OpenCC), lower case, punctuation unified,
control characters, zero-width characters and emoji dropped, white space folded. `index_map[i]`
is the offset in the original text of normalised character i, so entity spans found in the
normalised text map back to the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_PUNCT = str.maketrans(
    {
        "。": ".", "、": ",", "「": '"', "」": '"', "『": '"', "』": '"', "“": '"', "”": '"',
        "‘": "'", "’": "'", "【": "[", "】": "]", "《": "<", "》": ">", "〈": "<", "〉": ">",
        "—": "-", "–": "-", "―": "-", "～": "~", "·": " ", "…": ".", "﹖": "?", "﹗": "!",
    }
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_DROP_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "So", "Sk", "Mn", "Me"}


@dataclass(frozen=True)
class Normalized:
    """A normalised text and the map back to the original."""

    original: str  # what the user typed
    text: str  # the normalised text
    index_map: tuple[int, ...]  # original offset of each normalised character

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original text."""
        if not self.index_map or start >= end:
            return (0, 0)
        return (self.index_map[start], self.index_map[end - 1] + 1)


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    import opencc

    try:
        return opencc.OpenCC("t2s")
    except Exception:  # older bindings want the file name
        return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese with OpenCC."""
    return str(_converter().convert(text)) if text else text


def _char_pieces(ch: str) -> str:
    if ch in "\n\t\r\u3000\xa0":
        return " "
    cat = unicodedata.category(ch)
    if cat in _DROP_CATEGORIES or ch in "\ufe0f\u200d":
        return ""
    out = unicodedata.normalize("NFKC", ch) if not _CJK.match(ch) else ch
    return out.translate(_PUNCT).lower()


def normalize(text: str) -> Normalized:
    """Normalise `text`, keeping the offset map."""
    chars: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        for piece in _char_pieces(ch):
            chars.append(piece)
            idx.append(i)
    # Traditional → simplified: whole-string conversion keeps phrase context; fall back to
    # per-character conversion when the length changes so that offsets stay exact.
    joined = "".join(chars)
    simp = to_simplified(joined)
    if len(simp) == len(joined):
        chars = list(simp)
    else:
        chars = [s if len(s := to_simplified(c)) == 1 else c for c in chars]
    # Fold white space: runs become one space; none at the ends or between two CJK characters. The next
    # non-space character of every position is found in one pass from the right (linear time).
    n = len(chars)
    following = [""] * (n + 1)
    for k in range(n - 1, -1, -1):
        following[k] = following[k + 1] if chars[k].isspace() else chars[k]
    out_c: list[str] = []
    out_i: list[int] = []
    for k, ch in enumerate(chars):
        if ch.isspace():
            if not out_c or out_c[-1] == " ":
                continue
            nxt = following[k + 1]
            if not nxt or (_CJK.match(out_c[-1]) and _CJK.match(nxt)):
                continue
            out_c.append(" ")
            out_i.append(idx[k])
        else:
            out_c.append(ch)
            out_i.append(idx[k])
    return Normalized(original=text, text="".join(out_c), index_map=tuple(out_i))


def fold(text: str) -> str:
    """Just the normalised text (for keys and dictionaries)."""
    return normalize(text).text
