"""Splitting a message that asks several things into its questions (at most three), in order.

"丢了要登报吗？补办要带啥材料" → "丢了要登报吗" | "补办要带啥材料". Clauses end at sentence punctuation
(。？！；，、 and spaces between words), before 还有 / 另外 / 顺便问一下 when both sides are questions, after a
closing 吗/呢 when a question follows, and between two questions run together ("住所托管怎么申请需要什么材料").
A clause that is not a question — a story ("就是上个月搬家时弄丢的"), a greeting, a list of licenses, a
field of a form ("公司叫X，信用代码Y") — is context for the question after it (or before it, at the end), so it
never becomes a question of its own: a message with one question is one part. Works on the normalised text
(nlu/normalize.py: traditional characters, full-width punctuation) and reports offsets into the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.focus import looks_like_question
from nlu.normalize import Normalized

MAX_QUESTIONS = 3
_CLAUSE_END = re.compile(r"[?!;,.。、\n]+|(?<=[\u3400-\u9fff?]) +(?=[\u3400-\u9fff])")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CONNECTIVE = re.compile(
    r"(?:顺便(?:再)?问(?:一下|下)?|再问(?:一下|下)|还想问(?:一下|下)?|另外(?:问(?:一下|下)?)?|还有)"
    r"(?!没有|吗|什么|啥|别的|其他|哪些)"
)
_PARTICLE_END = re.compile(r"吗|呢|(?<![怎什那这多要])么|(?<!干)嘛")  # a question closed; another may follow without punctuation
_OPENER = re.compile(r"需要|要|得|能|可以|可不可以|有没有|在哪|去哪|多久|多长时间|多少钱|收费|收不收|费用|是否|还要|还能|还需")
_FINAL_QW = re.compile(r"(?:多久|多长时间|多少钱|多少|在哪里?|去哪里?|哪里|哪儿|几天|怎么办|咋办|什么|啥|吗|呢|么|嘛)$")
_ADVERB_QW = re.compile(r"(?:怎么|怎样|如何|咋|在哪|去哪|哪里).")
_DETERMINER_QW = re.compile(r".(?:什么|啥|哪些|哪个|哪种).")
_STRONG_QW = re.compile(r"[?吗呢嘛谁]|怎么|咋|如何|什么|啥|哪|多少|多久|几|是否|为啥|为什么|([\u3400-\u9fff])[不没]\1")


@dataclass(frozen=True)
class Segment:
    """One question: its offsets into the original text and the original text itself."""

    start: int
    end: int
    text: str


def _clauses(norm: Normalized) -> list[tuple[int, int]]:
    """[start, end) spans of the normalised text between clause ends (the ends themselves left out)."""
    text = norm.text
    ends = []
    for m in _CLAUSE_END.finditer(text):
        if m.group(0) == "." and 0 < m.start() < len(text) - 1 and text[m.start() - 1].isdigit() \
                and text[m.end()].isdigit():
            continue  # 1.5
        ends.append((m.start(), m.end()))
    # Normalisation drops the spaces between Chinese words ("要多久 收费吗"); the original still has them.
    for i in range(1, len(text)):
        gap = norm.original[norm.index_map[i - 1] + 1:norm.index_map[i]]
        if gap and not gap.strip() and _CJK.match(text[i - 1]) and _CJK.match(text[i]):
            ends.append((i, i))
    spans, pos = [], 0
    for a, b in sorted(ends):
        spans.append((pos, a))
        pos = b
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _complete(piece: str) -> bool:
    """A question that could stand on its own ("住所托管怎么申请", "要多久"), not a question word starting one."""
    return bool(_FINAL_QW.search(piece) or _ADVERB_QW.search(piece) or _DETERMINER_QW.search(piece))


def _run_together(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Split a clause where one question ends and the next begins without punctuation."""
    out = []
    lead = _CONNECTIVE.match(text, a, b)
    if lead is not None and b - lead.end() >= 2:
        a = lead.end()  # "另外医疗机构校验要多久" after a comma: the question starts after 另外
    while True:
        cut = _first_cut(text, a, b)
        if cut is None:
            out.append((a, b))
            return out
        start, resume = cut
        out.append((a, start))
        a = resume


def _first_cut(text: str, a: int, b: int) -> tuple[int, int] | None:
    """(end of the first question, start of the next) inside text[a:b], or None."""
    clause = text[a:b]
    for m in _CONNECTIVE.finditer(clause):
        left, right = clause[: m.start()], clause[m.end():]
        if left.strip() and looks_like_question(left) and len(right) >= 2 and _STRONG_QW.search(right):
            return a + m.start(), a + m.end()
    for m in _PARTICLE_END.finditer(clause):
        right = clause[m.end():]
        if m.start() >= 2 and len(right) >= 2 and _STRONG_QW.search(right):
            return a + m.end(), a + m.end()
    for m in _OPENER.finditer(clause):
        left, right = clause[: m.start()], clause[m.start():]
        if len(left) >= 2 and len(right) >= 3 and _complete(left) and _STRONG_QW.search(right[len(m.group(0)):]):
            return a + m.start(), a + m.start()
    return None


def split_questions(norm: Normalized, limit: int = MAX_QUESTIONS) -> list[Segment]:
    """The message's questions in order; one segment (the whole message) when it asks one thing or none."""
    text = norm.text
    pieces = [p for a, b in _clauses(norm) for p in _run_together(text, a, b) if text[p[0]:p[1]].strip()]
    groups: list[list[tuple[int, int]]] = []  # each: context clauses ... then one question clause
    pending: list[tuple[int, int]] = []
    for a, b in pieces:
        pending.append((a, b))
        if _STRONG_QW.search(text[a:b]):
            groups.append(pending)
            pending = []
    if len(groups) < 2:
        return [Segment(0, len(norm.original), norm.original)]
    if pending:
        groups[-1] += pending  # trailing context belongs to the last question
    if len(groups) > limit:
        groups[limit - 1:] = [[span for g in groups[limit - 1:] for span in g]]
    out = []
    for group in groups:
        first, last = group[0], group[-1]
        start, end = norm.span_to_original(first[0], last[1])
        out.append(Segment(start, end, norm.original[start:end]))
    return out
