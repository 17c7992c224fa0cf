"""The regression check run before a publish: which questions would get a different answer.

Questions: every question and variant of the knowledge base (the live one and the candidate) and the
questions staff saved. For each, the answer with the live index ("before", cached until the next publish)
is compared with the answer with a private copy of the index that has the candidate change applied
("after"). An answer-only change cannot move any question, so it is reported at once without parsing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.staff.candidate import Answer, Judge, Prepared, batched
from assistant.staff.questions import TestQuestions
from knowledge.clock import beijing_date
from knowledge.loader import KnowledgeBase
from knowledge.models import ServiceItem
from nlu.live import LiveKnowledge
from nlu.retrieval import faq_changes

BETTER, WORSE, CHANGED = "better", "worse", "changed"
VERDICT_LABELS = {BETTER: "改善", WORSE: "变差", CHANGED: "变化"}


@dataclass(frozen=True)
class Question:
    """One regression question and the FAQ that should answer it (None: just watch it)."""

    text: str
    expected: str | None
    source: str  # "variant" (from the knowledge base) or "saved" (a staff test question)


@dataclass(frozen=True)
class Change:
    """A question whose answer would change."""

    question: Question
    before: Answer
    after: Answer

    @property
    def verdict(self) -> str:
        exp = self.question.expected
        if exp is None:
            return CHANGED
        ok_before, ok_after = self.before.answers_faq == exp, self.after.answers_faq == exp
        return BETTER if ok_after and not ok_before else WORSE if ok_before and not ok_after else CHANGED


@dataclass(frozen=True)
class Report:
    """The result of a check."""

    checked: int  # questions compared
    changes: list[Change]  # those whose answer changes, worst first
    index_touched: bool  # False: the change cannot move any answer (nothing the ranking reads changed)
    seconds: float

    def counts(self) -> dict[str, int]:
        out = {BETTER: 0, WORSE: 0, CHANGED: 0}
        for c in self.changes:
            out[c.verdict] += 1
        return out


def _questions(kbs: list[KnowledgeBase], saved: TestQuestions) -> list[Question]:
    seen: dict[str, Question] = {}
    for q in saved.all():
        seen.setdefault(q.text, Question(q.text, q.expected_faq_id, "saved"))
    for kb in kbs:
        for _, faq in kb.faqs:
            for text in (faq.question, *faq.variants):
                seen.setdefault(text, Question(text, faq.id, "variant"))
    return list(seen.values())


class RegressionChecker:
    """Compares the live answers with those of a candidate change."""

    def __init__(self, live: LiveKnowledge, saved: TestQuestions):
        self.live = live
        self.saved = saved
        self.judge = Judge(live.current.nlu)  # encoder, classifier and thresholds: shared by every snapshot
        self._before: dict[str, Answer] = {}
        self._before_rev = -1
        self._before_lock = threading.Lock()
        self._warming: threading.Thread | None = None

    def _live_answers(self, prepared: list[Prepared]) -> tuple[dict[str, Answer], int]:
        """The live answers of the prepared questions (cached until the next publish) and their revision."""
        with self._before_lock:
            snap = self.live.current
            if snap.revision != self._before_rev:
                self._before, self._before_rev = {}, snap.revision
            missing = [p for p in prepared if p.text not in self._before]
            if missing:
                live_index = batched(snap.nlu.retriever, missing)
                for p in missing:
                    self._before[p.text] = self.judge.answer(live_index, p)
            return dict(self._before), snap.revision

    def warm(self) -> None:
        """Compute the live answers in the background (the entry page calls this when a check is likely)."""
        if self._before_rev == self.live.current.revision or (self._warming is not None and self._warming.is_alive()):
            return

        def run() -> None:
            kb = self.live.current.kb
            self._live_answers(self.judge.prepare([q.text for q in _questions([kb], self.saved)]))

        self._warming = threading.Thread(target=run, name="regression-warm", daemon=True)
        self._warming.start()

    def check(self, candidates: Mapping[str, ServiceItem | None]) -> Report:
        """Compare the live base with the live base plus `candidates` (item id -> new item, None = retire)."""
        t0 = time.perf_counter()
        today = beijing_date(self.live.clock())
        for _ in range(3):  # a publish by someone else in between: start again
            snap = self.live.current  # consistent: a snapshot never changes
            items = snap.kb.items
            plan = []
            for item_id, new in candidates.items():
                new = new if new is not None and new.is_effective(today) else None
                plan.append((item_id, new, faq_changes(items.get(item_id), new)))
            touched = any(ch.touches_ranking for _, _, ch in plan)
            cand_items = dict(items)
            for item_id, new, _ in plan:
                if new is None:
                    cand_items.pop(item_id, None)
                else:
                    cand_items[item_id] = new
            cand_kb = KnowledgeBase(items=cand_items)
            questions = _questions([cand_kb, KnowledgeBase(items=items)], self.saved)
            if not touched:
                return Report(len(questions), [], False, time.perf_counter() - t0)
            twin = snap.nlu.retriever.updated(cand_kb, [(new, ch) for _, new, ch in plan])
            prepared = self.judge.prepare([q.text for q in questions])
            before, before_rev = self._live_answers(prepared)
            if before_rev == snap.revision:
                break
        twin = batched(twin, prepared)
        by_text = {q.text: q for q in questions}
        changes = []
        for p in prepared:
            after = self.judge.answer(twin, p)
            if before[p.text].key != after.key:
                changes.append(Change(by_text[p.text], before[p.text], after))
        order = {WORSE: 0, CHANGED: 1, BETTER: 2}
        changes.sort(key=lambda c: (order[c.verdict], c.question.text))
        return Report(len(prepared), changes, True, time.perf_counter() - t0)
