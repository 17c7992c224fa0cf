"""What a reply to a form's question is, before anything fills a field: an answer (of one field or several), a
correction of an earlier field, a question, hesitation, a switch to another matter, a cancel, a
self-introduction or small talk — with the values it gives.

`FormReader.read(text, parse, ctx, today)` decides; the dialogue acts on the kind (assistant/dialogue). Cue
words are data (nlu/data/form_cues.yml); values are found by nlu/form_values.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from nlu.entities import EntityExtractor, VocabEntry
from nlu.form_cues import FormCues, cues
from nlu.form_fields import FieldCue, FieldKind, FormContext
from nlu.form_items import read_items
from nlu.form_values import Found, ValueFinder, digit_kind, has, no_value_chars, tidy
from nlu.normalize import fold, normalize
from nlu.types import ParseResult

_CLAUSES = re.compile(r"[,，.。;；!！?？~～\s]+")
_BARE = re.compile(r"[\s,，.。!！?？~～、;；:：\"'“”]+")
SMALL_TALK_INTENTS = ("greet", "thanks", "goodbye", "bot_identity", "affirm", "deny")
SHORT = 14  # characters: a reply this short may be small talk or hesitation as a whole
FREE_KINDS = (FieldKind.TEXT, FieldKind.QUERY)


class ReplyKind(StrEnum):
    """What a reply to a form's question is."""

    ANSWER = "answer"
    MULTI_FIELD = "multi_field"
    CORRECTION = "correction"
    QUESTION = "question"
    HESITATION = "hesitation"
    SWITCH = "switch"
    CANCEL = "cancel"
    SELF_INTRO = "self_intro"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class FormReply:
    """A reply, understood."""

    kind: ReplyKind
    fields: dict[str, Any] = field(default_factory=dict)  # slot → value given (the user's text or a code/list)
    target: str | None = None  # CORRECTION: the field corrected (its new value in `fields` when given)
    about_field: bool = False  # QUESTION: how to fill the asked field in (the field's help answers it)
    wants_summary: bool = False  # HESITATION: wants to look over what was filled in
    partial_name: str | None = None  # SELF_INTRO: only a surname or nickname (姓赵, 小徐)
    unknown_items: tuple[str, ...] = ()  # item names not understood (never dropped silently)
    removed_items: tuple[str, ...] = ()  # items named to leave out
    topic: str = ""  # SWITCH: what the applicant means instead

    @property
    def gives_values(self) -> bool:
        """The reply fills fields (an answer, several, a self-introduction with a name, a correction with X)."""
        return bool(self.fields)


class FormReader:
    """Reads replies to the forms' questions with the knowledge base's vocabularies."""

    def __init__(self, extractor: EntityExtractor, license_types: Sequence[VocabEntry], items: Sequence[VocabEntry],
                 small_talk_confidence: float = 0.9):
        self.values = ValueFinder(extractor, license_types, items)
        self.small_talk_confidence = small_talk_confidence

    def read(self, text: str, parse: ParseResult | None, ctx: FormContext, today: dt.date) -> FormReply:
        """Classify one reply to the field `ctx.asked` (None at the read-back) and collect its values."""
        c = cues()
        folded = fold(text)
        bare = _BARE.sub("", folded)
        asked = ctx.cue(ctx.asked)
        if _is_cancel(folded, c):
            return FormReply(ReplyKind.CANCEL)
        found = self.values.find(text, ctx, today, asked)
        asked_value = asked is not None and asked.slot in found.values and _real(asked, found, text)
        free = asked is not None and asked.kind in FREE_KINDS
        if any(bare.startswith(w) for w in c.wait_opening) and not asked_value:
            return FormReply(ReplyKind.HESITATION, wants_summary=has(folded, c.summary))
        correction = self._correction(text, folded, ctx, today, found, asked, asked_value, c)
        if correction is not None:
            return correction
        if has(folded, c.switch) or has(folded, c.switch_plain) or (
                any(folded.startswith(d) for d in c.denial_start) and not asked_value):
            topic = _after_denial(text, folded, c) or _tidy_value(text)
            plain = has(folded, c.switch_plain) and not (asked is not None and has(fold(topic), asked.keywords))
            if topic and (plain or has(fold(topic), c.matter_nouns)) and not self._values_of_form(topic, ctx, today):
                return FormReply(ReplyKind.SWITCH, topic=topic)
        if has(folded, c.leave) and not found.recognised and not (found.items and not found.items.empty) \
                and not _is_question(folded, True, c):
            return FormReply(ReplyKind.CANCEL)
        if self._hesitates(folded, bare, asked, asked_value, found, free, c):
            return FormReply(ReplyKind.HESITATION, wants_summary=has(folded, c.summary))
        vocab = asked is not None and asked.kind in (FieldKind.ITEMS, FieldKind.LICENSE_TYPE)
        if _is_question(folded, free, c) and (not asked_value or free or vocab):
            about = has(folded, c.field_question) or (asked is not None and has(folded, asked.keywords))
            return FormReply(ReplyKind.QUESTION, about_field=about)
        if found.name.intro and (found.name.full or found.name.partial):
            return FormReply(ReplyKind.SELF_INTRO, _ordered(found, ctx, recognised=True), partial_name=found.name.partial,
                             unknown_items=_unknown(found))
        if self._small_talk(folded, bare, parse, asked, asked_value, found, free, c):
            return FormReply(ReplyKind.SMALLTALK)
        values = _ordered(found, ctx)
        kind = ReplyKind.MULTI_FIELD if len(values) > 1 else ReplyKind.ANSWER
        removed = found.items.remove if found.items else ()
        return FormReply(kind, values, unknown_items=_unknown(found), removed_items=tuple(removed))

    # ---- corrections --------------------------------------------------------------------------
    def _correction(self, text: str, folded: str, ctx: FormContext, today: dt.date, found: Found,
                    asked: FieldCue | None, asked_value: bool, c: FormCues) -> FormReply | None:
        items_field = next((f for f in ctx.fields if f.kind is FieldKind.ITEMS), None)
        current = ctx.filled.get(items_field.slot) if items_field else None
        if items_field and current and asked is not items_field:  # "去掉放射工作人员证" / "再加上印鉴卡"
            items = read_items(text, self.values.items)
            if items.remove or (items.add and has(folded, c.item_more)):
                every = [e.canonical for e in self.values.items]
                return FormReply(ReplyKind.CORRECTION, {items_field.slot: items.apply(list(current), every)},
                                 target=items_field.slot, removed_items=items.remove, unknown_items=items.unknown)
        for w in c.not_correction:  # blanked, not removed: offsets still map to the text
            folded = folded.replace(w, "#" * len(w))
        instead = re.search(r"不是.{1,20}?[,，]?是", folded)  # "日期不是昨天，是前天"
        if not has(folded, c.correction) and not instead:
            return None
        cues_at = [(folded.find(w), w) for w in c.correction if w in folded]
        start, cue = min(cues_at) if cues_at else (instead.start(), "不是") if instead else (0, "")
        at = start + len(cue)
        target = _named_field(folded, ctx)
        if instead and not cues_at and target is None:
            return None
        after = text[_original_offset(text, folded, at):]
        if target is None:
            filled = [f for f in ctx.fields if ctx.filled.get(f.slot) and f is not asked]
            hits = [f for f in filled if self.values.recognised(after, ctx, today, f) is not None]
            if len(hits) == 1:
                target = hits[0]
        if target is None and has(folded, c.back_reference):
            before = [f for f in ctx.fields if ctx.filled.get(f.slot) and f is not asked]
            target = before[-1] if before else None
        if target is None:
            pure = not has(folded, c.value_lead) and not asked_value
            return FormReply(ReplyKind.CORRECTION) if pure else None
        lead = _first_lead(folded, start, c.value_lead)
        value_at = max(at, lead) if lead is not None else at
        value_text = text[_original_offset(text, folded, value_at):]
        if "不是" in value_text:  # "是李娜不是李纳"
            value_text = value_text[: value_text.index("不是")]
        new = self.values.recognised(value_text, ctx, today, target)
        if new is None and _is_question(folded, target.kind in FREE_KINDS, c):
            return None  # "这个日期填错了会怎么样": a question about the field
        if new is None and target.kind in FREE_KINDS + (FieldKind.ORG, FieldKind.PERSON, FieldKind.REGISTRATION):
            new = _tidy_value(value_text)
        fields = {target.slot: new} if new not in (None, "", []) else {}
        return FormReply(ReplyKind.CORRECTION, fields, target=target.slot)

    def _values_of_form(self, text: str, ctx: FormContext, today: dt.date) -> bool:
        """The text gives a value of one of the form's vocabulary or code fields (then it is no switch)."""
        for f in ctx.fields:
            if f.kind in (FieldKind.LICENSE_TYPE, FieldKind.ITEMS, FieldKind.USCC, FieldKind.PHONE,
                          FieldKind.LICENSE_NUMBER) and self.values.recognised(text, ctx, today, f) is not None:
                return True
        return False

    # ---- hesitation and small talk ------------------------------------------------------------
    @staticmethod
    def _hesitates(folded: str, bare: str, asked: FieldCue | None, asked_value: bool, found: Found, free: bool,
                   c: FormCues) -> bool:
        if free:
            return any(bare.startswith(w) for w in c.wait_opening) and len(bare) <= SHORT + 6
        if has(folded, c.wait) and (not asked_value or has(folded, c.memory)):
            return True
        if has(folded, c.memory):
            dated = asked is not None and asked.kind in (FieldKind.PAST_DATE, FieldKind.FUTURE_DATE)
            return not (dated and asked_value)
        return has(folded, c.dont_know) and not asked_value and not _is_question(folded, False, c, dont_know=True)

    def _small_talk(self, folded: str, bare: str, parse: ParseResult | None, asked: FieldCue | None,
                    asked_value: bool, found: Found, free: bool, c: FormCues) -> bool:
        others = [s for s in found.values if asked is None or s != asked.slot]
        if others:
            return False
        if parse is not None and parse.intent.name in SMALL_TALK_INTENTS \
                and parse.intent.confidence >= self.small_talk_confidence and (not asked_value or free):
            vocab_answer = asked is not None and asked.kind in (FieldKind.LICENSE_TYPE, FieldKind.ITEMS) and asked_value
            if not vocab_answer:
                return True
        chatty = has(folded, c.smalltalk_bot) or has(folded, c.smalltalk_continue)
        loose = asked is not None and asked.kind in (FieldKind.ORG, FieldKind.PERSON)
        if chatty and len(bare) <= SHORT and (free or not asked_value or loose):
            return True
        if asked is not None and not free and not asked_value and has(folded, c.smalltalk_chat):
            return True
        return asked is not None and digit_kind(asked.kind) and no_value_chars(folded) and not asked_value


def _is_cancel(folded: str, c: FormCues) -> bool:
    """Every clause is a cancel, a put-off or filler, and one at least a cancel or put-off."""
    clauses = [x for x in _CLAUSES.split(folded) if x]
    if not clauses or sum(map(len, clauses)) > 30:
        return False
    strong = False
    for clause in clauses:
        rest = clause
        for w in c.not_postpone:
            if w in rest:
                return False
        for w in (*c.cancel, *c.postpone):
            if w in rest:
                strong = True
                rest = rest.replace(w, "")
        for w in c.cancel_filler:
            rest = rest.replace(w, "")
        if rest:
            return False
    return strong


def _is_question(folded: str, free: bool, c: FormCues, dont_know: bool = False) -> bool:
    """Asked as a question: a question mark, a final 吗/呢/么, or question words (fewer in free text)."""
    if "?" in folded:
        return True
    for clause in _CLAUSES.split(folded):
        clause = clause.rstrip("啊呀哈啦")
        if clause and clause[-1] in "吗么呢" and not clause.endswith(("什么", "怎么")):
            return True
        if re.search(r"(可以|行|能|好|对|是|要|用)不$|(有|对|行|好|可以|能).{0,6}没$", clause):
            return True
    words = c.text_question_words if free or dont_know else c.question_words
    if has(folded, words) or re.search(r"不会.{1,12}吧$", folded):
        return True
    return not free and bool(re.search(r".还是.+", folded)) and not re.search(r"(那|我|还)还是|还是(接着|继续|算了)", folded)


def _real(asked: FieldCue, found: Found, text: str) -> bool:
    """The asked field's value is a value of its kind, not just the rest of the text."""
    value = found.values.get(asked.slot)
    if asked.kind in FREE_KINDS:
        return bool(value)
    if asked.kind is FieldKind.LICENSE_NUMBER and asked.slot not in found.recognised:
        return bool(value) and len(re.findall(r"\d", str(value))) >= 3  # 新出发鲁字第0123号
    return asked.slot in found.recognised


def _ordered(found: Found, ctx: FormContext, recognised: bool = False) -> dict[str, Any]:
    return {f.slot: found.values[f.slot] for f in ctx.fields
            if f.slot in found.values and (not recognised or f.slot in found.recognised)}


def _unknown(found: Found) -> tuple[str, ...]:
    return found.items.unknown if found.items else ()


def _first_lead(folded: str, start: int, leads: Sequence[str]) -> int | None:
    """Where the new value starts: after the first lead word from `start` on ("应该是", "改成", "是" — not the 是
    of 不是)."""
    best: tuple[int, int] | None = None
    for w in leads:
        i = folded.find(w, start)
        while i >= 0 and w == "是" and folded[i - 1:i] == "不":
            i = folded.find(w, i + 1)
        if i >= 0 and (best is None or (i, -len(w)) < best):
            best = (i, -len(w))
    return best[0] - best[1] if best else None


def _named_field(folded: str, ctx: FormContext) -> FieldCue | None:
    """The field a correction names by one of its keywords (the longest keyword wins)."""
    best: tuple[int, FieldCue] | None = None
    for f in ctx.fields:
        for kw in f.keywords:
            if fold(kw) in folded and (best is None or len(kw) > best[0]):
                best = (len(kw), f)
    return best[1] if best else None


def _original_offset(text: str, folded: str, at: int) -> int:
    """An offset of the folded text in the original (folding keeps length except for dropped characters)."""
    if len(text) == len(folded):
        return at
    norm = normalize(text)
    return norm.index_map[at] if at < len(norm.index_map) else len(text)


def _after_denial(text: str, folded: str, c: FormCues) -> str:
    """What is meant instead: the text after 不是 / 我说的是 ..."""
    at = 0
    for w in (*c.switch, *c.switch_plain, *c.denial_start):
        i = folded.find(w)
        if i >= 0:
            at = max(at, i + len(w))
    return _tidy_value(text[_original_offset(text, folded, at):])


def _tidy_value(text: str) -> str:
    return tidy(text)
