"""Tone-less pinyin typed for the knowledge base's own vocabulary → the base's Chinese words.

"yiliao jigou jiaoyan yao duojiu" → "医疗机构校验要多久": every run of 1–6 Chinese characters in the knowledge
texts (and a few everyday words, nlu/data/pinyin_words.txt) is indexed by its tone-less pinyin (pypinyin reads
each text as a whole, so polyphones get their reading in context); a pinyin message is cut into the fewest such
pieces (dynamic programming over its letters; ties go to the more frequent spellings). A message converts only
when it has no Chinese character and most of its letters are covered by pieces of two characters or more;
words that are not pinyin ("app") stay as typed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

MAX_CHARS = 6  # longest Chinese run indexed
WORDS = Path(__file__).parent / "data" / "pinyin_words.txt"
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z]+")
_PINYIN_MSG = re.compile(r"^[a-z' ,.?!]+$")
_INF = 10**9


def looks_like_pinyin(text: str) -> bool:
    """Letters and spaces only, and more than a short word: worth reading as pinyin (cheap; no index needed)."""
    low = text.lower().strip()
    words = _WORD.findall(low)
    return bool(words) and bool(_PINYIN_MSG.match(low)) and not (len(words) == 1 and len(words[0]) < 5)


class PinyinIndex:
    """Pinyin → the knowledge base's Chinese spellings."""

    def __init__(self, texts: Iterable[str]):
        from pypinyin import lazy_pinyin

        runs: Counter[str] = Counter()
        for text in texts:
            runs.update(_CJK_RUN.findall(text))
        extra = [w.strip() for w in WORDS.read_text(encoding="utf-8").splitlines() if w.strip() and not w.startswith("#")]
        runs.update({w: 5 for w in extra})
        counts: dict[str, Counter[str]] = {}
        for run, times in runs.items():
            syll = lazy_pinyin(run)
            if len(syll) != len(run):
                continue
            for n in range(1, MAX_CHARS + 1):
                for i in range(len(run) - n + 1):
                    counts.setdefault("".join(syll[i:i + n]), Counter())[run[i:i + n]] += times
        self.best: dict[str, tuple[str, float]] = {}
        for key, c in counts.items():
            word, times = c.most_common(1)[0]
            self.best[key] = (word, math.log1p(times))
        self.longest = max((len(k) for k in self.best), default=0)

    def _cut(self, letters: str) -> list[str] | None:
        """The fewest pieces covering `letters` (then the most frequent), or None."""
        n = len(letters)
        cost: list[tuple[int, float]] = [(_INF, 0.0)] * (n + 1)
        step = [0] * (n + 1)
        cost[n] = (0, 0.0)
        for i in range(n - 1, -1, -1):
            for j in range(i + 1, min(n, i + self.longest) + 1):
                entry = self.best.get(letters[i:j])
                if entry is None or cost[j][0] >= _INF:
                    continue
                cand = (cost[j][0] + 1, cost[j][1] - entry[1])
                if cand < cost[i]:
                    cost[i], step[i] = cand, j
        if cost[0][0] >= _INF:
            return None
        out, i = [], 0
        while i < n:
            out.append(self.best[letters[i:step[i]]][0])
            i = step[i]
        return out

    def convert(self, text: str) -> str | None:
        """The Chinese reading of a pinyin message, or None when it is not one."""
        if not looks_like_pinyin(text):
            return None
        words = _WORD.findall(text.lower())
        # Consecutive words that are pinyin on their own are read together ("yiliao jigou" → 医疗机构).
        groups: list[tuple[bool, list[str]]] = []
        for w in words:
            ok = self._cut(w) is not None
            if groups and groups[-1][0] == ok:
                groups[-1][1].append(w)
            else:
                groups.append((ok, [w]))
        out: list[str] = []
        covered = singles = 0
        for ok, ws in groups:
            pieces = self._cut("".join(ws)) if ok else None
            if pieces is None:
                out.append(" " + " ".join(ws) + " ")
                continue
            covered += sum(len(w) for w in ws)
            singles += sum(len(p) == 1 for p in pieces)
            out.append("".join(pieces))
        pieces_total = sum(1 for ok, _ in groups if ok)
        if covered < 0.6 * sum(len(w) for w in words) or singles > max(1, pieces_total):
            return None
        return "".join(out).strip()
