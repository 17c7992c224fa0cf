"""The topic in focus: resolving a follow-up without its own subject ("要多久", "在哪办", "那个体户呢")
against the service (and FAQ) the conversation is about.

A message is a follow-up when it names no service of its own — no service name or alias, no piece of one
that names a single service, no cue word, no license or validation item of another service — and is shaped
like a question (a question word, an aspect word such as 材料/收费/窗口, or an elliptical "X呢"). A follow-up
is then ranked within the focused service: its FAQs scored against the message alone (the same vector and
BM25 channels as every search, no second encoding), with a small bonus for the focused FAQ's topic when the
message brings no aspect of its own ("放射诊疗那项呢" after a materials answer asks about materials). A
message that names another service replaces the focus — except the elliptical "出版物的呢", which asks the
focused question about the newly named service.

Thresholds are chosen on tests/data/tune_conversations.jsonl (docs/benchmarks.md, follow-ups).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from knowledge.loader import KnowledgeBase
from knowledge.models import FaqTopic
from nlu.normalize import fold
from nlu.retrieval import Retriever, faq_texts
from nlu.types import Entity, Focus, FocusUse, Hit, IntentScore

# Words that ask about one aspect of a service, per FAQ topic. A follow-up with one of them asks that aspect
# of the focused service; one without any ("正本呢") borrows the focused FAQ's topic.
ASPECTS: dict[FaqTopic, str] = {
    FaqTopic.MATERIALS: r"材料|资料|证明|带什么|带啥|带哪些|准备什么|准备啥|准备哪些|交什么|交啥|上传|复印件|原件|表格|登记表",
    FaqTopic.TIME_LIMIT: r"多久|多长时间|几天|几个工作日|时限|多快|多会|啥时候|什么时候|快多少|当天|当场|批下来|下证|拿证",
    FaqTopic.FEES: r"收费|费用|(?<![省赚挣])多少钱|要钱|交钱|花钱|免费|收钱|(?<![省赚挣])钱吗|要费|工本费",
    FaqTopic.WHERE: r"在哪|去哪|哪里|哪儿|哪个窗口|窗口|地址|几楼|哪个区|位置|怎么走",
    FaqTopic.ONLINE: r"网上|线上|网站|手机上|app|小程序|系统|不用跑|不见面|下载|打印",
    FaqTopic.CONDITIONS: r"条件|资格|能不能办|可以办|谁能|谁可以|能申请|可以申请|个人能|需要满足|符合",
    FaqTopic.STEPS: r"流程|步骤|怎么办|咋办|怎么弄|咋弄|怎么申请|如何申请|怎么操作|程序|手续|现场|核查|检查|审核",
    FaqTopic.POLICY: r"罚款|处罚|罚|违法|规定|效力|政策|为什么",
    FaqTopic.RESULT: r"结果|公示|通过|没通过|进度|出证|拿到",
}
# The words that ask for an aspect ("去哪交材料" asks where, not what): when one is present, they decide.
ASKING: dict[FaqTopic, str] = {
    FaqTopic.WHERE: r"在哪|去哪|哪里|哪儿|哪个窗口|几楼",
    FaqTopic.TIME_LIMIT: r"多久|多长时间|几天|几个工作日|什么时候|啥时候",
    FaqTopic.FEES: r"(?<![省赚挣])多少钱|收费吗|收不收|要钱吗|交钱吗|花钱吗|要不要钱|免费吗",
    FaqTopic.MATERIALS: r"带什么|带啥|带哪些|准备什么|准备啥|准备哪些|(?:什么|啥|哪些)(?:材料|资料)|交什么|交啥",
}
_ASKING_RE = {topic: re.compile(words) for topic, words in ASKING.items()}
# Opening hours: asked as "周末能办吗"; every service's `where` FAQ states its hours (knowledge/data).
HOURS = r"周末|周六|周日|星期六|星期天|星期日|节假日|几点|上班|下班|工作时间|办公时间|开门|关门"
_ASPECT_RE = {topic: re.compile(words) for topic, words in ASPECTS.items()}
_HOURS_RE = re.compile(HOURS)
_QUESTION_WORD_ALTS = r"怎么|咋|如何|什么|啥|哪|吗|嘛|么|呢|多少|多久|几|是否"  # question words (both patterns below)
_QUESTION = re.compile(
    r"[?？]|" + _QUESTION_WORD_ALTS + r"|为啥|为什么|还是|谁|([\u3400-\u9fff])[不没]\1"
)
_ELLIPSIS = re.compile(r"呢[?？!！。.~～]*$")  # "那个体户呢", "副本呢", "放射诊疗那项呢"
_FILLER = re.compile(r"[那这个的呢吗啊呀吧么项种类部分些\s?？!！。.,，~～]")  # what is left of "那食品许可证的呢"
# Doing something with a license ("新办", "变更") is its own service's business, not a question about a loss notice.
_ACTION = re.compile(r"新办|新申请|申请|办理|办证|变更|延续|换证|注销|续期")
# Pieces of names and aliases that say nothing about which service is meant.
_GENERIC = re.compile(
    r"怎么办|怎么|什么|如何|哪些|哪里|在哪|需要|办理|申请|[要的和与及或在这那个了吗呢我你他它是也都就还能可会去来到给把被让]"
)
_CJK = re.compile(r"[\u3400-\u9fff]")
# A pronoun for the license just discussed ("它丢了呢", "这个证过期了").
_ANAPHOR = re.compile(r"它|这个证|那个证|这证|该证|这张证|那张证|这本证")
MIN_PIECE, MAX_PIECE = 2, 6


@dataclass(frozen=True)
class FocusConfig:
    """Bars of the resolution, chosen on the tune conversations (tests/data/tune_conversations.jsonl)."""

    min_evidence: float = 0.40  # the focused service's best FAQ must be at least this close (else: not about it)
    switch_margin: float = 0.45  # a subject-less message goes elsewhere only when another service is this much closer
    sure_out_of_scope: float = 0.90  # the classifier this sure of out_of_scope: not a follow-up ("今天股市咋样")
    asking_bonus: float = 0.20  # follow-up asking for an aspect ("去哪交材料"): bonus for the FAQs of that topic.
    # The tune conversations score the same from 0.15 to 0.30 (resolved 0.896, FAQ 0.667, 2026-12-05); 0.20 is the
    # smallest that keeps "去哪交材料" on `where` once the materials FAQs gained variants naming 交材料.
    aspect_bonus: float = 0.05  # ... or only naming one ("材料的事"): a smaller bonus
    hours_bonus: float = 0.15  # follow-up about opening hours ("周末能办吗"): bonus for the `where` FAQs
    topic_bonus: float = 0.12  # elliptical follow-up ("正本呢"): bonus for FAQs of the focused FAQ's topic
    # (0.08 → 0.12 when the lexical channel stopped clipping its scores at 1, which widened the gaps between one
    # service's entries: 0.10–0.15 keep every golden follow-up and the tune conversations at 44 of 48; 0.08 lost two)
    same_faq_bonus: float = 0.04  # ... and for the focused FAQ itself
    max_chars: int = 30  # longer messages are not taken as follow-ups


@dataclass(frozen=True)
class Resolution:
    """What the focus did to one message's ranking."""

    use: FocusUse
    hits: tuple[Hit, ...]  # the ranking to use (the message's own when the focus was not applied)
    evidence: float = 0.0  # the best resolved hit's evidence (thresholds read it)


class SubjectIndex:
    """Which services a message names, from the knowledge base's own vocabulary.

    A service is named by its name, an alias or a cue word — unless the word is common to several services'
    questions ("大厅" is in the hall's aliases but asked about everywhere) — or by a piece of a name or alias
    that the knowledge base's questions use for that service alone ("出版物", "母婴", "正本"). License and
    validation-item names name the service whose own names contain them (食品经营许可证 → the food license).
    """

    def __init__(self, kb: KnowledgeBase, piece_share: float = 0.8, piece_count: int = 8, alias_share: float = 0.6):
        whole: dict[str, set[str]] = defaultdict(set)
        pieces: dict[str, set[str]] = defaultdict(set)
        for item in kb.items.values():
            for term in (item.name, *item.aliases):
                t = fold(term)
                whole[t].add(item.id)
                for chunk in _GENERIC.split(t):
                    for n in range(MIN_PIECE, min(MAX_PIECE, len(chunk)) + 1):
                        for i in range(len(chunk) - n + 1):
                            pieces[chunk[i:i + n]].add(item.id)
            for cue in item.cues:
                whole[fold(cue)].add(item.id)
        texts = [(item.id, t) for item, faq in kb.faqs for t in faq_texts(item, faq)]

        def usage(term: str) -> tuple[int, float, str]:  # (texts using it, the top service's share, that service)
            counts = Counter(sid for sid, t in texts if term in t)
            if not counts:
                return 0, 0.0, ""
            sid, top = counts.most_common(1)[0]
            return sum(counts.values()), top / sum(counts.values()), sid

        terms: dict[str, frozenset[str]] = {}
        for t, owners in pieces.items():
            if len(owners) == 1 and _CJK.search(t) and t[0] not in "不没" and t[-1] not in "不没" \
                    and not any(p.search(t) for p in _ASPECT_RE.values()):
                n, share, sid = usage(t)
                if n >= piece_count and share >= piece_share and sid in owners:
                    terms[t] = frozenset(owners)
        for t, owners in whole.items():
            n, share, _ = usage(t)
            if t and (n < 3 or share >= alias_share):
                terms[t] = frozenset(owners)
        self.terms = terms
        self._re = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))) if terms else None
        # License and validation-item names: a service whose own names contain one is named by it; the service
        # that lists it (the loss notice lists every license it accepts) covers it.
        self.owner: dict[str, str | None] = {}
        self.covers: dict[str, set[str]] = defaultdict(set)
        names = {item.id: " ".join(fold(t) for t in (item.name, *item.aliases)) for item in kb.items.values()}
        for item in kb.items.values():
            for kind in item.validation_items:
                self.owner[kind.name] = item.id
                self.covers[item.id].add(kind.name)
            for kind in item.license_types:
                forms = [fold(f) for f in (kind.name, *kind.aliases)]
                named = [sid for sid, text in names.items() if sid != item.id and any(f in text for f in forms)]
                self.owner.setdefault(kind.name, named[0] if len(named) == 1 else None)
                self.covers[item.id].add(kind.name)
        self.forms = {item.id: " ".join(fold(f) for k in (*item.license_types, *item.validation_items)
                                        for f in (k.name, *k.aliases)) for item in kb.items.values()}
        forms = [f for text in self.forms.values() for f in text.split(" ")]
        self._names_re = re.compile("|".join(re.escape(f) for f in sorted(set(forms), key=len, reverse=True) if f)
                                    or r"(?!)")

    def services(self, text: str, entities: Iterable[Entity] = ()) -> tuple[frozenset[str], bool]:
        """(services the text names, whether it names a license or item that has no service of its own)."""
        found: set[str] = set()
        if self._re is not None:
            pos = 0
            while (m := self._re.search(text, pos)) is not None:
                found |= self.terms[m.group(0)]
                pos = m.end()
        other = False
        for e in entities:
            if e.entity in ("license_type", "validation_item"):
                sid = self.owner.get(str(e.value))
                if sid is None:
                    other = True
                else:
                    found.add(sid)
        return frozenset(found), other

    def covered(self, service_id: str, text: str, entities: Iterable[Entity]) -> bool:
        """The message names licenses or validation items the service handles, and nothing else: "劳务派遣的算不算"
        asked of the loss notice, which accepts that license (but not "医疗机构校验…", another service)."""
        handled = self.covers.get(service_id, set())
        names = {str(e.value) for e in entities if e.entity in ("license_type", "validation_item")}
        terms = [m.group(0) for m in self._re.finditer(text)] if self._re is not None else []
        forms = self.forms.get(service_id, "")
        return bool(names or terms) and names <= handled and all(t in forms for t in terms)

    def takes_license_of(self, service_id: str, owner_id: str) -> bool:
        """The service handles a license that the other service issues (the loss notice takes the food license)."""
        return any(self.owner.get(kind) == owner_id for kind in self.covers.get(service_id, ()))

    def bare(self, text: str) -> bool:
        """Nothing but a subject ("那食品许可证呢", "出版物的呢"): the rest of the question is the one before."""
        rest = self._names_re.sub("", text)
        rest = self._re.sub("", rest) if self._re is not None else rest
        return not _FILLER.sub("", rest)


def asked_for(text: str) -> frozenset[FaqTopic]:
    """The aspects a message asks for with a question word ("去哪", "多久", "带什么")."""
    return frozenset(t for t, pattern in _ASKING_RE.items() if pattern.search(text))


def aspects(text: str) -> frozenset[FaqTopic]:
    """The aspects a message asks about: those asked for, else those named (opening hours count as `where`:
    that FAQ states them)."""
    found = set(asked_for(text)) or {t for t, pattern in _ASPECT_RE.items() if pattern.search(text)}
    return frozenset(found | ({FaqTopic.WHERE} if _HOURS_RE.search(text) else set()))


_YES_NO = re.compile(r"吗|么|[?？]|能不能|可不可以|行不行|可以不|能否|是否|([\u3400-\u9fff])[不没]\1")


def asks_whether(text: str) -> bool:
    """A yes/no question about an aspect of a service ("网上能申请吗", "要收费吗"): it asks for information,
    it does not ask to start the filing (a request names no aspect: "能帮我申请吗")."""
    return bool(_YES_NO.search(text)) and bool(aspects(text))


_ASPECT_WORDS = re.compile("|".join([*ASPECTS.values(), *ASKING.values(), HOURS]))
_QUESTION_WORDS = re.compile(_QUESTION_WORD_ALTS + r"|要|能|可以|需要|办|还|得|请问|你好|您好")  # …and asking words


def bare_aspect(text: str) -> bool:
    """Only an aspect asked, of nothing named ("多少钱", "要多久？", "几点下班"): a question about some service, the
    subject missing — not a request outside the service guide."""
    if not aspects(text):
        return False
    rest = _QUESTION_WORDS.sub("", _ASPECT_WORDS.sub("", text))
    return not _CJK.search(_FILLER.sub("", rest))


def looks_like_question(text: str) -> bool:
    """A question word, an aspect word or an elliptical 呢."""
    return bool(_QUESTION.search(text)) or bool(aspects(text))


class FocusResolver:
    """Decides whether a message follows up on the focus, and ranks it there if so."""

    def __init__(self, kb: KnowledgeBase, cfg: FocusConfig | None = None):
        self.kb = kb
        self.cfg = cfg or FocusConfig()
        self.subjects = SubjectIndex(kb)

    def resolve(self, text: str, entities: Sequence[Entity], qvec: np.ndarray, hits: Sequence[Hit],
                retriever: Retriever, focus: Focus, out_of_scope: float = 0.0) -> Resolution:
        """The message's ranking with the focus applied (or its own, with the reason why not);
        `out_of_scope` is the classifier's probability that the message is not a service question at all."""
        cfg = self.cfg
        own = tuple(hits)

        def keep(reason: str) -> Resolution:
            return Resolution(FocusUse(focus, False, reason), own)

        if focus.service_id not in self.kb.items:
            return keep("unknown service")
        if len(text) > cfg.max_chars:
            return keep("long message")
        if not looks_like_question(text):
            return keep("not a question")
        if out_of_scope >= cfg.sure_out_of_scope and not bare_aspect(text):  # "要多久" is the follow-up itself
            return keep("out of scope")
        named, other = self.subjects.services(text, entities)
        elliptical = bool(_ELLIPSIS.search(text)) and not aspects(text)
        target, reason = focus.service_id, "follow-up"
        others = named - {focus.service_id}
        if (other or others) and not aspects(text) and not _ACTION.search(text) \
                and self.subjects.covered(focus.service_id, text, entities):
            reason = "handled by the focused service"  # "那食品许可证呢" asked of the loss notice, which takes it
        elif len(others) == 1 and not other and _ANAPHOR.search(text) \
                and self.subjects.takes_license_of(next(iter(others)), focus.service_id):
            # "它丢了呢" after a license's answer: the focused service's license, in the loss notice that takes it
            target, reason = next(iter(others)), "its license, handled by the named service"
        elif other or others:
            if not (len(named) == 1 and not other and focus.faq_id and self.subjects.bare(text)):
                return keep("names its own subject")
            # "出版物的呢": the focused question, about the newly named service
            target, reason = next(iter(named)), "same question, new subject"
        ranked = self._rank_within(text, qvec, retriever, target, focus, elliptical)
        if not ranked:
            return keep("no entries")
        best = max(h.evidence for h in ranked)  # how close the service is at all (bonuses only reorder it)
        if best < cfg.min_evidence:
            return keep("not about the focused service")
        top_other = next((h for h in own if h.service_id != target), None)
        vague = not named and not elliptical and not aspects(text)  # "有人帮吗": no subject, no aspect either
        if vague and top_other is not None and top_other.evidence - best > cfg.switch_margin:
            return keep("closer to another service")
        # The ranking is the service's own entries, best first: given the focus, they are the best answers.
        return Resolution(FocusUse(focus, True, reason, target), tuple(ranked[: max(len(own), 3)]), best)

    def _rank_within(self, text: str, qvec: np.ndarray, retriever: Retriever, service_id: str, focus: Focus,
                     elliptical: bool) -> list[Hit]:
        cfg = self.cfg
        hits = retriever.search_service(text, qvec, service_id)
        focused = self.kb.faq(focus.faq_id) if focus.faq_id else None
        asked = aspects(text)
        if elliptical and focused is not None:
            topics, bonus, same = frozenset({focused[1].topic}), cfg.topic_bonus, cfg.same_faq_bonus
        elif asked:
            bonus = cfg.hours_bonus if _HOURS_RE.search(text) else cfg.asking_bonus if asked_for(text) else cfg.aspect_bonus
            topics, same = asked, 0.0
        else:
            return hits
        item = self.kb.items[service_id]
        topic_of = {f.id: f.topic for f in item.faqs}
        out = []
        for h in hits:
            extra = (bonus if topic_of.get(h.faq_id) in topics else 0.0) + (same if h.faq_id == focus.faq_id else 0.0)
            out.append(replace(h, score=min(1.0, h.score + extra)) if extra else h)
        out.sort(key=Hit.rank_key)
        return out


def followup_intent(text: str, ranking: Sequence[IntentScore], evidence: float, fallback: float) -> IntentScore | None:
    """A resolved follow-up is a service question unless the classifier is sure of a dialogue intent (a greeting,
    a filing start, a status check ...). 好吗 / 可以吗 / 是吗 stay a yes or no; 正本呢 / 收费吗 become questions.
    None keeps the usual decision."""
    top = ranking[0]
    shaped = bool(aspects(text) or _ELLIPSIS.search(text))
    if top.name in ("ask_service", "out_of_scope") or (top.name in ("affirm", "deny") and shaped) \
            or top.confidence < fallback:
        probs = {r.name: r.confidence for r in ranking}
        return IntentScore("ask_service", max(probs.get("ask_service", 0.0), evidence))
    return None
