"""Screening before retrieval: requests to refuse (insults, prompt injection, other people's personal data, help
with forged documents and fraud) and
other regions named in a question. Both are term lists kept as data (nlu/data/refusals.yml, regions.yml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
REFUSAL_KINDS = ("injection", "personal_data", "illegal", "insult")  # checked in this order
_BARE = re.compile(r"[\s,.!?~'\"，。！？、…]+")


@dataclass(frozen=True)
class TermList:
    """Words anywhere, whole messages and regular expressions of one kind."""

    contains: tuple[str, ...]
    whole: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    def hit(self, text: str) -> str | None:
        """The term or pattern found in the (normalised, lower-case) text, or None."""
        bare = _BARE.sub("", text)
        if bare in self.whole:
            return bare
        found = next((t for t in self.contains if t in text), None)
        if found:
            return found
        m = next((p.search(text) for p in self.patterns if p.search(text)), None)
        return m.group(0) if m else None


@dataclass(frozen=True)
class Screen:
    """The screening lists, loaded once per pipeline."""

    refusals: dict[str, TermList]
    home: tuple[str, ...]
    regions: tuple[str, ...]  # other regions, longest first

    @classmethod
    def load(cls, folder: Path = DATA) -> Screen:
        """Read refusals.yml and regions.yml."""
        ref = yaml.safe_load((folder / "refusals.yml").read_text(encoding="utf-8"))
        reg = yaml.safe_load((folder / "regions.yml").read_text(encoding="utf-8"))
        refusals = {
            kind: TermList(tuple(str(t).lower() for t in ref[kind].get("contains") or []),
                           frozenset(str(t).lower() for t in ref[kind].get("whole") or []),
                           tuple(re.compile(p) for p in ref[kind].get("patterns") or []))
            for kind in REFUSAL_KINDS
        }
        others = [str(x) for x in [*(reg.get("qingdao") or []), *(reg.get("elsewhere") or [])]]
        return cls(refusals, tuple(str(x) for x in reg.get("home") or []),
                   tuple(sorted(set(others), key=len, reverse=True)))

    def refusal(self, text: str) -> tuple[str, str] | None:
        """(kind, the term found) when the message is to be refused."""
        for kind in REFUSAL_KINDS:
            term = self.refusals[kind].hit(text)
            if term:
                return kind, term
        return None

    def other_region(self, text: str) -> str | None:
        """The first other region named in the text (our own district's names masked first)."""
        masked = text
        for name in sorted(self.home, key=len, reverse=True):
            masked = masked.replace(name, "□" * len(name))
        return next((r for r in self.regions if r in masked), None)


@lru_cache(maxsize=1)
def default_screen() -> Screen:
    """The screening lists shipped with the package (read on first use)."""
    return Screen.load()
