"""Values of form fields found in a reply: for the field asked, and for the other fields a reply may answer
at the same time (a USCC, a phone, a license type or number, items, a date said with 到期/遗失, a self-introduced
name). Values keep the user's own characters (full-width "，" stays "，"); the actions' checks canonicalise them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nlu import references
from nlu.dates import Prefer, read_dates
from nlu.entities import EntityExtractor, VocabEntry
from nlu.form_cues import FormCues, cues
from nlu.form_fields import FieldCue, FieldKind, FormContext
from nlu.form_items import ItemsReading, read_items
from nlu.normalize import fold, normalize
from nlu.uscc import candidates as uscc_candidates

_WIDE_ALNUM = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")  # full-width letters and digits
_CLAUSE = re.compile(r"[^,，。.;；!！?？、\s]+")
_ORG_TAIL = re.compile(r"^(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|分公司|分店|集团)+")
_ENDS = "。.，,；;！!？?、~～ "
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_REGISTRATION = re.compile(r"(?<![0-9A-Za-z])(?=[0-9A-Za-z -]*\d[0-9A-Za-z -]*\d)[0-9A-Za-z][0-9A-Za-z -]{8,34}[0-9A-Za-z](?![0-9A-Za-z])")
_NOT_IN_NAMES = re.compile(r"[了吗吧呢啊么呀哦嗯的是在着过]")  # particles no given name is made of
_ORG_NOISE = ("没有", "不是", "什么", "怎么", "咋", "哪", "吗", "你们", "我们")
_DIGIT_KINDS = frozenset({FieldKind.USCC, FieldKind.PHONE, FieldKind.LICENSE_NUMBER, FieldKind.REGISTRATION,
                          FieldKind.FILING_ID, FieldKind.LAST4, FieldKind.PAST_DATE, FieldKind.FUTURE_DATE})
DATE_CUES = {FieldKind.FUTURE_DATE: ("到期", "有效期", "截止", "过期", "期满"), FieldKind.PAST_DATE: ("丢", "遗失", "弄没")}


def tidy(text: str) -> str:
    """A value as the user wrote it: white space folded, punctuation trimmed at the ends, full-width letters and
    digits made ASCII — and every other character (the Chinese "，" and "（）") kept."""
    text = _WIDE_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    return re.sub(r"\s+", " ", text).strip().strip(_ENDS).strip()


def has(text: str, words: Sequence[str]) -> bool:
    """Any of the words in the (folded) text."""
    return any(w in text for w in words)


@dataclass(frozen=True)
class NameReading:
    """What a message says about who is writing."""

    full: str | None = None  # 王建国
    partial: str | None = None  # 王 (姓王) / 小徐: not a full name
    intro: bool = False  # 我叫 / 我是 / 我姓 ...
    span: tuple[int, int] = (0, 0)


def _surname(word: str, c: FormCues) -> int:
    """Length of the surname `word` starts with (0: none)."""
    if word[:2] in c.compound_surnames:
        return 2
    return 1 if word[:1] in c.surnames else 0


def read_name(text: str) -> NameReading:
    """A person's name in a reply: "我姓王，王建国", "我是办公室的李娜", "王建国，电话…", or only "姓赵" / "小徐"."""
    c = cues()
    folded = fold(text)
    intro = has(folded, c.intro_lead)
    full: str | None = None
    partial: str | None = None
    span = (0, 0)
    for m in _CLAUSE.finditer(text):
        clause = m.group(0)
        sur = re.search(r"姓([\u4e00-\u9fff]{1,2})", clause)
        if sur and "姓名" not in clause and _surname(sur.group(1), c):
            partial = sur.group(1)[: _surname(sur.group(1), c)]
            continue
        word = clause
        changed = True
        while changed:
            changed = False
            for lead in c.name_lead:
                if word.startswith(lead) and len(word) > len(lead):
                    word, changed = word[len(lead):], True
        word = word.rsplit("的", 1)[-1].rstrip("吧啊呀了哈")
        for role in c.roles:  # 店长张伟 → 张伟
            if word.startswith(role) and len(word) > len(role):
                word = word[len(role):]
                break
        if not _HAN.match(word) or any(r in word for r in c.roles) or word in c.not_names or _NOT_IN_NAMES.search(word):
            continue
        if 2 <= len(word) <= 4 and (n := _surname(word, c)) and len(word) > n:
            full, span = word, (m.start() + clause.rfind(word), m.start() + clause.rfind(word) + len(word))
        elif len(word) in (2, 3) and word[0] in c.nickname_prefix and _surname(word[1:], c):
            partial = word
    if full and partial and not full.startswith(partial) and partial[0] not in c.nickname_prefix:
        partial = None
    return NameReading(full, None if full else partial, intro, span)


@dataclass
class Found:
    """Values found for the fields of a form, in the order found; spans of the text they came from."""

    values: dict[str, Any] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)
    recognised: set[str] = field(default_factory=set)  # slots whose value is a value of its kind (not left-over text)
    items: ItemsReading | None = None
    name: NameReading = field(default_factory=NameReading)
    uncertain: bool = False  # a value was said with 好像 / 记不全 (not taken for codes and numbers)

    def put(self, slot: str, value: Any, span: tuple[int, int] | None = None) -> None:
        if slot in self.values:
            return
        self.values[slot] = value
        if span and span[1] > span[0]:
            self.spans.append(span)
            self.recognised.add(slot)


class ValueFinder:
    """Finds field values in a reply with the knowledge base's vocabularies (license types, validation items)."""

    def __init__(self, extractor: EntityExtractor, license_types: Sequence[VocabEntry], items: Sequence[VocabEntry]):
        self.extractor = extractor
        self.license_types = tuple(license_types)
        self.items = tuple(items)

    def find(self, text: str, ctx: FormContext, today: dt.date, asked: FieldCue | None,
             only: FieldCue | None = None) -> Found:
        """Values of the asked field and of the strong fields still empty (or just `only`'s)."""
        found = Found()
        norm = normalize(text)
        ents = self.extractor.extract(norm, today)
        # also taken unasked: dates said with 到期 / 遗失, registration numbers after 登记号
        named = (FieldKind.PAST_DATE, FieldKind.FUTURE_DATE, FieldKind.REGISTRATION, FieldKind.PERSON)
        targets = [only] if only else [f for f in ctx.fields if f is asked
                                       or ((f.strong or f.kind in named) and not ctx.filled.get(f.slot))]
        found.name = read_name(text)
        found.uncertain = has(norm.text, cues().memory)
        for f in targets:
            self._strong(f, f is asked or f is only, text, norm.text, ents, ctx, today, found)
        person = next((f for f in ctx.fields if f.kind is FieldKind.PERSON), None)
        if person and not only and found.name.full and found.name.intro and person.slot not in found.values \
                and (person is asked or not ctx.filled.get(person.slot)):
            found.put(person.slot, found.name.full, found.name.span)
        if asked is not None and asked.slot not in found.values:
            rest = self._rest(text, found.spans, asked)
            if rest:
                found.put(asked.slot, rest)
        return found

    def recognised(self, text: str, ctx: FormContext, today: dt.date, f: FieldCue) -> Any:
        """A value of field `f` of its own kind in `text` (not left-over text), or None."""
        found = self.find(text, ctx, today, f, only=f)
        return found.values.get(f.slot) if f.slot in found.recognised else None

    # ---- one field ----------------------------------------------------------------------------
    def _strong(self, f: FieldCue, asked: bool, text: str, folded: str, ents: Sequence[Any], ctx: FormContext,
                today: dt.date, found: Found) -> None:
        kind = f.kind
        def ent(name: str) -> list[Any]:
            return [e for e in ents if e.entity == name and not _overlaps((e.start, e.end), found.spans)]

        if kind is FieldKind.USCC:
            norm = normalize(text)
            for start, end, code in uscc_candidates(norm.text):
                found.put(f.slot, code, norm.span_to_original(start, end))
                return
        elif kind is FieldKind.PHONE:
            for e in ent("phone"):
                found.put(f.slot, e.value, (e.start, e.end))
                return
        elif kind is FieldKind.LICENSE_TYPE:
            for e in ent("license_type"):
                found.put(f.slot, e.value, (e.start, e.end))
                return
            if asked:  # a shortened or roundabout name (游泳池的那个高危险性体育项目的证)
                named = read_items(text, self.license_types, min_stem=3).add
                if len(named) == 1:
                    found.put(f.slot, named[0])
                    found.recognised.add(f.slot)
        elif kind is FieldKind.LICENSE_NUMBER:
            for e in ent("license_number"):
                found.put(f.slot, e.value, (e.start, e.end))
                return
        elif kind is FieldKind.FILING_ID:
            for e in ent("filing_id"):
                found.put(f.slot, e.value, (e.start, e.end))
                return
        elif kind is FieldKind.ITEMS:
            reading = read_items(text, self.items)
            if asked or reading.add:
                found.items = reading
                if not reading.empty:
                    current = ctx.filled.get(f.slot) or []
                    chosen = reading.apply(current if isinstance(current, list) else [], [e.canonical for e in self.items])
                    found.put(f.slot, chosen)
                    found.recognised.add(f.slot)
        elif kind in (FieldKind.PAST_DATE, FieldKind.FUTURE_DATE):
            if asked or has(folded, DATE_CUES[kind]):
                prefer: Prefer = "past" if kind is FieldKind.PAST_DATE else "future"
                for r in read_dates(text, today, prefer, bare=asked):
                    if not _overlaps((r.start, r.end), found.spans):
                        found.put(f.slot, text[r.start:r.end], (r.start, r.end))
                        return
        elif kind is FieldKind.ORG and asked:
            for e in ent("org_name"):
                if not has(fold(text[e.start:e.end]), _ORG_NOISE):
                    found.put(f.slot, whole_org_name(text, text[e.start:e.end]), (e.start, e.end))
                    return
        elif kind is FieldKind.REGISTRATION:
            m = _REGISTRATION.search(text, _after_keyword(text, f) if not asked else 0)
            if m and (asked or _after_keyword(text, f)):
                found.put(f.slot, m.group(0), m.span())
        elif kind is FieldKind.PERSON and asked and found.name.full:
            found.put(f.slot, found.name.full, found.name.span)
        elif kind is FieldKind.PERSON and not asked:  # "…，联系人王刚"
            at = _after_keyword(text, f)
            name = read_name(text[at:]).full if at else None
            if name and text[at:].startswith(name):
                found.put(f.slot, name, (at, at + len(name)))
        elif kind is FieldKind.LAST4 and (asked or has(folded, f.keywords) or references.IN_TEXT.search(text)):
            # asked, named (尾号…), or four digits beside a filing reference ("LN20261120-QUBYEM 5678")
            m = re.search(r"(?<!\d)(\d{4})(?!\d)", references.IN_TEXT.sub(lambda m: " " * len(m.group(0)), text))
            if m:
                found.put(f.slot, m.group(1), m.span(1))
            else:
                for e in ent("phone"):
                    found.put(f.slot, e.value, (e.start, e.end))
                    return

    def _rest(self, text: str, spans: Sequence[tuple[int, int]], asked: FieldCue) -> str:
        """The text without the values of other fields ("张三 13912345678" answers the name with 张三)."""
        chars = list(text)
        for start, end in spans:
            chars[start:end] = " " * (end - start)
        rest = tidy("".join(chars))
        if asked.kind is FieldKind.ORG:
            rest = _strip_leads(rest, cues().org_lead)
        elif asked.kind in (FieldKind.REGISTRATION, FieldKind.LICENSE_NUMBER, FieldKind.USCC, FieldKind.PHONE):
            rest = _strip_leads(rest, (*asked.keywords, "是", ":", "："))
        if spans and len(rest) < 2:
            return ""
        return rest


def no_value_chars(text: str) -> bool:
    """No letters or digits (Chinese numerals count): nothing a code, number, phone or date could be read from."""
    return not re.search(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a零〇一二两三四五六七八九十]", text)


def digit_kind(kind: FieldKind) -> bool:
    """A field whose values are codes, numbers or dates."""
    return kind in _DIGIT_KINDS


def _after_keyword(text: str, f: FieldCue) -> int:
    """Where a value named by one of the field's keywords starts ("登记号PDY…": after 登记号), or 0."""
    for kw in sorted(f.keywords, key=len, reverse=True):
        at = text.find(kw)
        if at >= 0:
            end = at + len(kw)
            while end < len(text) and text[end] in "是为:： ":
                end += 1
            return end
    return 0


def _strip_leads(text: str, leads: Sequence[str]) -> str:
    changed = True
    while changed:
        changed = False
        for lead in sorted(leads, key=len, reverse=True):
            if lead and text.startswith(lead) and len(text) > len(lead):
                text, changed = tidy(text[len(lead):]), True
    return text


def whole_org_name(text: str, found: str) -> str:
    """The NLU may stop a name at an inner suffix (青岛海韵书店|有限公司): take the whole name."""
    at = text.find(found)
    if at < 0:
        return found
    tail = _ORG_TAIL.match(text[at + len(found):])
    return found + (tail.group(0) if tail else "")


def _overlaps(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)
