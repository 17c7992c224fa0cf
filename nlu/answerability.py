"""The answerability decision: does one knowledge entry answer the message (`answer`), are two or three entries
close enough to ask which (`clarify`), or does none answer it (`none`: refer the person honestly)?

Evidence: the ranking (fused similarity without cue boosts, the margin between the first entries, whether they
agree on the service), the classifier's out_of_scope probability, and subject terms the base lacks — a matter of
the referral directory (身份证, 社保 …) or another region named in the message that the best entry's own texts
never mention. Thresholds are calibrated on the tune set only (`lingling calibrate`, nlu/data/calibration.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from knowledge.models import ReferralDirectory
from nlu.documents import DocumentCheck
from nlu.screen import Screen
from nlu.types import Hit, IntentScore, Match

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
CALIBRATION = Path(__file__).parent / "data" / "calibration.json"
LOST_NOTICE = "start_lost_notice"


@dataclass(frozen=True)
class MatchThresholds:
    """Bars of the decision; `lingling calibrate` chooses them on tests/data/tune_queries.jsonl."""

    answer_min: float = 0.70  # the first entry's evidence (fused similarity, no cue boost) to answer outright
    clarify_min: float = 0.55  # below this, nothing is answered nor offered (competing services are asked from here)
    sure: float = 0.70  # evidence above which the first entry answers whatever the margin
    margin: float = 0.015  # closer than this (ranking score) to the best entry of ANOTHER service: the services
    # compete, ask which (unless `sure`). Neighbouring FAQs of one service never make a clarification: the first
    # is answered and the card offers the next ones as 相关问题.
    oos_max: float = 0.60  # classifier out_of_scope probability above which nothing is answered
    unknown_max: float = 0.50  # share of the message's character pairs its best service never uses: above, none
    stray_evidence: float = 0.70  # a `none` below this evidence, naming no directory matter, whose out_of_scope
    stray_oos: float = 0.30  # probability is at least this, is out of scope (a general-assistant request), not a
    # question for a department (both chosen on the tune set: 11 of 23 such out-of-scope questions, 2 of 46
    # uncovered ones, no uncovered aspect; stray_oos re-chosen after the 177 out-of-scope examples of 2026-12-05
    # raised the classifier's probabilities: 0.20 referral 0.828, 0.30 0.836, 0.40 general topics kept 0.952 → 0.945)
    about_min: float = 0.60  # a `none` whose first entry is at least this close, with no other service competing,
    # is still about that service: the conversation keeps it in focus for the follow-up (tune conversations)

    @classmethod
    def load(cls, path: Path = CALIBRATION, encoder: str | None = None) -> MatchThresholds:
        """The values calibrated for `encoder` (the defaults when the file is absent). Similarities differ from
        encoder to encoder: for one the file was not calibrated with, only the subject terms decide (`OPEN`)."""
        if not path.exists():
            return cls()
        saved = json.loads(path.read_text(encoding="utf-8"))
        if encoder is not None and saved.get("encoder") not in (None, encoder):
            return OPEN
        chosen = saved.get("chosen", {})
        return cls(**{k: float(v) for k, v in chosen.items() if k in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


OPEN = MatchThresholds(answer_min=0.0, clarify_min=0.0, sure=0.0, margin=0.0, oos_max=1.01, unknown_max=1.01,
                       stray_evidence=0.0, stray_oos=1.01)


@dataclass(frozen=True)
class Evidence:
    """What the decision looks at (also the calibration's features)."""

    top: float  # evidence of the first entry
    margin: float  # ranking score of the first entry minus that of the second
    same_service: bool  # the first two entries belong to the same service
    oos: float  # classifier out_of_scope probability
    matter: str | None  # a directory matter named that the first entry's texts do not mention
    region: str | None  # another region named that the first entry's service never mentions
    documents: tuple[str, ...]  # personal documents named (matters marked `document`, else a word: nlu/documents.py)
    named: tuple[str, ...] = ()  # every directory matter named
    unknown: float = 0.0  # share of the message's CJK character pairs absent from the best service's texts
    service_margin: float = 1.0  # ranking score of the first entry minus that of the best entry of another service
    names_service: bool = False  # the message names the first entry's service ("…能在网上发遗失公告吗")


class Answerability:
    """Decides answer / clarify / none for one parse; the directory and screens are data."""

    def __init__(self, directory: ReferralDirectory, screen: Screen, texts_of: Callable[[str], list[str]],
                 faqs_of: Callable[[str], list[str]], th: MatchThresholds | None = None, encoder: str | None = None,
                 documents: DocumentCheck | None = None, subjects: Callable[[str], frozenset[str]] | None = None):
        self.directory = directory
        self.subjects = subjects or (lambda text: frozenset())  # the services a text names (nlu/focus.py SubjectIndex)
        self.document_check = documents or DocumentCheck(())  # documents the loss notice does not accept
        self.screen = screen
        self.texts_of = texts_of  # FAQ id -> its indexed texts (the retriever's)
        self.faqs_of = faqs_of  # service id -> its FAQ ids
        self.th = th or MatchThresholds.load(encoder=encoder)
        self._terms = sorted(((t, m.id) for m in directory.matters for t in m.terms), key=lambda x: -len(x[0]))
        self._documents = {m.id for m in directory.matters if m.document}
        self._pairs: dict[str, frozenset[str]] = {}  # service id -> the character pairs of its indexed texts

    # ---- evidence ----------------------------------------------------------------------------
    def matters_named(self, text: str) -> list[str]:
        """Directory matters whose terms occur in the text (longest terms first, each matter once)."""
        out: list[str] = []
        for term, mid in self._terms:
            if term in text and mid not in out:
                out.append(mid)
        return out

    def unknown_share(self, text: str, service_id: str) -> float:
        """The share of the text's CJK character pairs that the service's indexed texts never use."""
        pairs = self._pairs.get(service_id)
        if pairs is None:
            pairs = frozenset(p for f in self.faqs_of(service_id) for t in self.texts_of(f) for p in _pairs(t))
            self._pairs[service_id] = pairs
        mine = _pairs(text)
        return sum(p not in pairs for p in mine) / len(mine) if mine else 0.0

    def _documents_named(self, text: str, named: Sequence[str]) -> tuple[str, ...]:
        """Personal documents of the directory named, else a document the loss notice does not accept (its word)."""
        known = tuple(m for m in named if m in self._documents)
        if known:
            return known
        foreign = self.document_check.foreign(text)
        return (foreign,) if foreign else ()

    def _mentioned(self, mid: str, texts: Sequence[str]) -> bool:
        matter = self.directory.matter(mid)
        return matter is not None and any(t in x for t in matter.terms for x in texts)

    def evidence(self, text: str, ranking: Sequence[IntentScore], hits: Sequence[Hit]) -> Evidence:
        """The features of one message."""
        top = hits[0] if hits else None
        second = next((h for h in hits[1:] if top and h.faq_id != top.faq_id), None)
        named_services = self.subjects(text) if top else frozenset()
        # Another service competes unless the message names the first entry's service and not that one
        # ("食品经营许可证快到期了咋续": the publication license's renewal is close, but not what was asked).
        rival = next((h for h in hits[1:] if top and h.service_id != top.service_id
                      and (top.service_id not in named_services or h.service_id in named_services)), None)
        faq_texts = self.texts_of(top.faq_id) if top else []
        named = self.matters_named(text)
        matter = next((m for m in named if not self._mentioned(m, faq_texts)), None)
        region = self.screen.other_region(text)
        if region and top is not None:
            if any(region in t for f in self.faqs_of(top.service_id) for t in self.texts_of(f)):
                region = None  # e.g. the cross-region service names its partner areas
        probs = {r.name: r.confidence for r in ranking}
        return Evidence(
            top=top.evidence if top else 0.0,
            margin=(top.score - second.score) if top and second else 1.0,
            same_service=bool(top and second and top.service_id == second.service_id),
            oos=float(probs.get("out_of_scope", 0.0)),
            matter=matter, region=region,
            documents=self._documents_named(text, named),
            named=tuple(named),
            unknown=self.unknown_share(text, top.service_id) if top else 1.0,
            service_margin=(top.score - rival.score) if top and rival else 1.0,
            names_service=bool(top and top.service_id in named_services),
        )

    def prefer_entry_naming_document(self, text: str, hits: Sequence[Hit],
                                     license_types: Sequence[str]) -> tuple[Hit, ...]:
        """The ranking with the entry that names the personal document the message names moved first, when the
        first entry does not name it and that one is close enough to answer ("营业执照丢了也能在网上发遗失公告吗":
        the loss notice's entry about 营业执照, not its `online` entry). Only a document the base's own entries ask
        about, by the entry's question itself: a matter of the referral directory (身份证 …) is referred, and an
        entry merely listing 身份证件 among its materials does not answer its loss."""
        hits = tuple(hits)
        if len(hits) < 2 or license_types:
            return hits
        named = self.matters_named(text)
        docs = [d for d in self._documents_named(text, named) if d not in self._documents]
        if not docs:
            return hits

        def names(hit: Hit) -> bool:
            return any(d in hit.question for d in docs)

        if names(hits[0]):
            return hits
        better = next((h for h in hits[1:3] if h.service_id == hits[0].service_id
                       and h.evidence >= self.th.answer_min and names(h)), None)
        if better is None:
            return hits
        # First, at the first entry's score: the ranking stays best first, scores never rising (API.md).
        return (replace(better, score=hits[0].score), *(h for h in hits if h is not better))

    # ---- decision ----------------------------------------------------------------------------
    def decide(self, text: str, intent: IntentScore, ranking: Sequence[IntentScore],
               hits: Sequence[Hit], license_types: Sequence[str]) -> tuple[IntentScore, Match | None]:
        """The (possibly changed) intent and the match of a parsed message."""
        refusal = self.screen.refusal(text)
        if refusal:
            kind, term = refusal
            oos = IntentScore("out_of_scope", max(intent.confidence if intent.name == "out_of_scope" else 0.0, 0.9))
            return oos, Match("none", f"refused ({kind}: “{term}”)", refusal=kind)
        ev = self.evidence(text, ranking, hits)
        if intent.name == LOST_NOTICE and ev.documents and not license_types:
            # "我的身份证丢了帮我登记遗失": the notice service does not accept that document.
            doc = ev.documents[0]
            return IntentScore("ask_service", intent.confidence), Match(
                "none", f"the loss notice does not accept “{doc}”: refer", referral=doc, documents=ev.documents)
        if intent.name == "out_of_scope" and ev.named:
            # "俺的身份证让人偷了，咋整": not the base's, but a matter a department handles — the dialogue refers
            # the person there (never a 您是想问 list); the intent stays out of scope.
            named = ev.matter or ev.named[0]
            return intent, Match("none", f"out of scope (p={intent.confidence:.2f}) but names {named}: refer",
                                 referral=named, documents=ev.documents)
        if intent.name == "out_of_scope":
            # Close entries are worth offering ("您是想问") only when they would be worth clarifying.
            near = tuple(dict.fromkeys(h.faq_id for h in hits))[:3] if ev.top >= self.th.clarify_min else ()
            return intent, Match("none", f"out of scope (p={intent.confidence:.2f}, evidence {ev.top:.2f})",
                                 candidates=near, documents=ev.documents)
        if intent.name == "human_handoff" and hits and self._about(ev):
            # "我想投诉一个窗口工作人员": a person is asked for, about one service — its follow-ups still are about it.
            return intent, Match("none", f"asks for a person about {hits[0].service_id} (evidence {ev.top:.2f})",
                                 about=hits[0].service_id)
        if intent.name != "ask_service":
            return intent, None
        if ev.region:
            return IntentScore("out_of_scope", max(intent.confidence, 0.8)), Match(
                "none", f"about another region ({ev.region})", region=ev.region)
        found = self.match(ev, hits)
        doc = ev.documents[0] if ev.documents and not license_types else ""
        if found.decision != "none" and doc and doc not in self._documents and hits \
                and not any(doc in t for t in self.texts_of(hits[0].faq_id)):
            # "采矿许可证丢了怎么补": a document the loss notice does not accept and the best entry never names.
            return intent, Match("none", f"names “{doc}”, which the loss notice does not accept and the best entry "
                                 "does not cover", documents=ev.documents)
        if found.decision == "none" and not ev.named and ev.top < self.th.stray_evidence and ev.oos >= self.th.stray_oos:
            return IntentScore("out_of_scope", max(ev.oos, 1 - intent.confidence)), replace(
                found, why=f"{found.why}; nothing of ours is close and it leans out of scope (p={ev.oos:.2f})",
                stray=True)
        if found.decision == "none" and hits and self._about(ev) \
                and not (found.referral or (found.documents and not ev.names_service)):
            # "校验要上传啥" unanswered, but about the validation; "营业执照丢了也能发遗失公告吗" names the loss notice
            # (a document alone — "身份证丢了" — is about no service of ours)
            found = replace(found, about=hits[0].service_id)
        return intent, found

    def _about(self, ev: Evidence) -> bool:
        """The message is about one service: its first entry is close, no other service competes, no matter of a
        department is named."""
        return ev.top >= self.th.about_min and ev.service_margin >= self.th.margin and not ev.matter

    def match(self, ev: Evidence, hits: Sequence[Hit]) -> Match:
        """answer / clarify / none from the evidence of an ask_service message."""
        found = self._match(ev, hits)
        if found.decision == "none" and found.referral is None and ev.named:
            return replace(found, referral=ev.named[0])  # refer to the department of the matter named
        return found

    def _match(self, ev: Evidence, hits: Sequence[Hit]) -> Match:
        th = self.th
        if ev.matter:
            return Match("none", f"names {ev.matter}, which the best entry does not cover", referral=ev.matter,
                         documents=ev.documents)
        if not hits or ev.top < min(th.clarify_min, th.answer_min):
            return Match("none", f"best evidence {ev.top:.2f} < {th.clarify_min:.2f}", documents=ev.documents)
        if ev.unknown > th.unknown_max:
            return Match("none", f"{ev.unknown:.0%} of the message is foreign to the best service", documents=ev.documents)
        if ev.oos > th.oos_max:
            return Match("none", f"out_of_scope probability {ev.oos:.2f} > {th.oos_max:.2f}", documents=ev.documents)
        compete = ev.top < th.sure and ev.service_margin < th.margin
        if compete:
            # Services compete: ask which, one entry per service (the best of each), best first.
            close = [h for h in hits if hits[0].score - h.score < th.margin]
            per_service = {h.service_id: h.faq_id for h in reversed(close)}
            candidates = tuple(dict.fromkeys(h.faq_id for h in close if per_service.get(h.service_id) == h.faq_id))[:3]
            if len(candidates) >= 2:
                return Match("clarify", f"{len(candidates)} services within {th.margin:.3f} (evidence {ev.top:.2f})",
                             candidates=candidates, documents=ev.documents)
        if ev.top < th.answer_min:
            # One service, but no entry close enough to answer: the honest referral (never a list of its FAQs).
            return Match("none", f"evidence {ev.top:.2f} < {th.answer_min:.2f}", documents=ev.documents)
        return Match("answer", f"evidence {ev.top:.2f}, margin to another service {min(ev.service_margin, 1.0):.3f}",
                     documents=ev.documents)


def _pairs(text: str) -> list[str]:
    return [run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]
