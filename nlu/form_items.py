"""A list of items typed in words: names, aliases, abbreviations and prefixes (放射诊疗, 母婴的, 印鉴卡),
"全部 / 六项都要 / 其他都选上", and leaving some out ("除了母婴保健的", "去掉放射工作人员证", "放射那个不用").

`read_items(text, vocabulary)` says what was named to add, what to leave out, whether everything was meant and
which names were not understood; `ItemsReading.apply(current, every)` turns that into the chosen list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from nlu.entities import VocabEntry
from nlu.form_cues import cues
from nlu.normalize import fold

_CLAUSES = re.compile(r"[,，.。;；!！?？\n]+")
_PIECES = re.compile(r"[、/和与及跟加还有以及另外并且,\s]+")
_MIN_STEM = 2


@dataclass(frozen=True)
class ItemsReading:
    """Items named in a message."""

    add: tuple[str, ...] = ()  # canonical names to include, in text order
    remove: tuple[str, ...] = ()  # canonical names to leave out
    everything: bool = False  # 全部 / 都要 / 其他都选上
    unknown: tuple[str, ...] = ()  # words that look like an item's name but name none

    @property
    def empty(self) -> bool:
        """Nothing was named or chosen."""
        return not (self.add or self.remove or self.everything)

    def apply(self, current: Sequence[str], every: Sequence[str]) -> list[str]:
        """The chosen list: everything or the current choice, plus the added, minus the removed (in `every`'s
        order when everything was meant, else in the order of choosing)."""
        base = list(every) if self.everything else [c for c in current if c in every]
        chosen = base + [a for a in self.add if a not in base]
        return [c for c in chosen if c not in self.remove]


@dataclass(frozen=True)
class _Term:
    key: str  # folded surface form
    name: str  # canonical name
    rank: int  # the item's position in the vocabulary (ambiguous prefixes go to the first)


@lru_cache(maxsize=8)
def _terms(vocabulary: tuple[VocabEntry, ...]) -> tuple[_Term, ...]:
    terms = {(fold(form), e.canonical, rank) for rank, e in enumerate(vocabulary) for form in (e.canonical, *e.forms)}
    return tuple(sorted((_Term(k, n, r) for k, n, r in terms if k), key=lambda t: (-len(t.key), t.rank)))


def _exact(text: str, terms: Sequence[_Term]) -> tuple[list[tuple[int, str]], str]:
    """Whole names and aliases in the text (longest first); the text with them blanked out."""
    found: list[tuple[int, str]] = []
    chars = list(text)
    for term in terms:
        start = "".join(chars).find(term.key)
        while start >= 0:
            found.append((start, term.name))
            chars[start:start + len(term.key)] = " " * len(term.key)
            start = "".join(chars).find(term.key, start + len(term.key))
    return found, "".join(chars)


def _strip(piece: str) -> str:
    c = cues()
    for filler in (*c.item_exclude, *c.item_all, *c.item_all_weak, *c.item_several, *c.item_fillers):
        piece = piece.replace(filler, "")
    return piece.strip()


def _by_prefix(piece: str, terms: Sequence[_Term], min_stem: int) -> list[str]:
    """The items a shortened name means: a name or alias holding the piece's characters in order from its first
    (放射诊疗, 母婴考核证), the longest shared beginning first; else the longest beginning of the piece that starts
    names (放射科 → 放射…). Several items when the beginning is shared (母婴 → both 母婴保健 items), the
    vocabulary's order first."""
    def shared(key: str) -> int:
        n = 0
        while n < min(len(key), len(piece)) and key[n] == piece[n]:
            n += 1
        return n

    hits = [t for t in terms if t.key[0] == piece[0] and _in_order(piece, t.key)]
    if hits:
        best = max(shared(t.key) for t in hits)
        return _names(t for t in hits if shared(t.key) == best)
    for size in range(len(piece), min_stem - 1, -1):
        prefixed = [t for t in terms if t.key.startswith(piece[:size])]
        if prefixed:
            return _names(prefixed)
    return []


def _names(terms: Iterable[_Term]) -> list[str]:
    """Canonical names, each once, in the vocabulary's order."""
    return list(dict.fromkeys(t.name for t in sorted(terms, key=lambda t: t.rank)))


def _in_order(small: str, big: str) -> bool:
    it = iter(big)
    return all(ch in it for ch in small)


def read_items(text: str, vocabulary: Sequence[VocabEntry], min_stem: int = _MIN_STEM) -> ItemsReading:
    """What the message says about the items of `vocabulary` (its order decides ambiguous short names); a
    shortened name must keep at least `min_stem` characters of a name's beginning."""
    c = cues()
    terms = _terms(tuple(vocabulary))
    add: list[str] = []
    remove: list[str] = []
    unknown: list[str] = []
    everything = False
    clauses = [x for x in _CLAUSES.split(fold(text)) if x.strip()]
    # 除了X，其他都要 leaves X out; 除了X，还要Y means both
    besides_all = any(cue in x for x in clauses for cue in (*c.item_all, *c.item_all_weak))
    for clause in clauses:
        leave_out = any(cue in clause for cue in c.item_exclude if cue != "除了" or besides_all)
        if any(cue in clause for cue in c.item_all):
            everything = True
            if not leave_out:
                continue
        found, rest = _exact(clause, terms)
        names = [name for _, name in sorted(found)]
        several = any(cue in clause for cue in c.item_several)
        for piece in _PIECES.split(rest):
            piece = _strip(piece)
            if len(piece) < _MIN_STEM:
                continue
            meant = _by_prefix(piece, terms, min_stem)
            if meant:
                names.extend(meant if several else meant[:1])
            elif piece.endswith(c.item_nouns):
                unknown.append(piece)
        if not names and any(cue in clause for cue in c.item_all_weak):
            everything = True
            continue
        target = remove if leave_out else add
        target.extend(n for n in names if n not in target)
    add = [a for a in add if a not in remove]
    return ItemsReading(tuple(add), tuple(remove), everything, tuple(dict.fromkeys(unknown)))
