"""The inbox: questions 灵灵 did not answer or answered poorly, grouped by similarity, for staff to act on.

Read from the dialogue's `turns` table: fallbacks, out_of_scope with a knowledge hit near the threshold,
weak answers, hand-offs and 👎 feedback. Identical normalised texts form one group; groups are clustered
greedily by the cosine of the pipeline's own query vectors. Staff add a question as a variant of an
existing FAQ (to the item's draft), draft a new FAQ, or dismiss it; dismissed questions stay dismissed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import DBAPIError

from assistant.privacy.masking import mask_text
from assistant.staff import forms
from assistant.staff.db import inbox_dismissed_texts, inbox_marks
from knowledge.clock import as_utc, system_clock

if TYPE_CHECKING:
    from assistant.staff.services import Staff

DISMISSED, VARIANT, NEW_FAQ = "dismissed", "variant", "new_faq"
REASON_LABELS = {"downvote": "用户点踩", "fallback": "未能回答", "near": "接近阈值", "weak": "勉强回答", "handoff": "转人工"}
MAX_TURNS = 3000
ASKED = ("question", "request")  # the turns' `handled_as` kinds that are someone asking (assistant/dialogue/runner.py)


@dataclass(frozen=True)
class InboxTurn:
    turn_id: str
    text: str
    normalized: str
    reason: str
    faq_id: str | None
    created_at: dt.datetime


@dataclass
class Cluster:
    """Similar questions, most frequent first."""

    turns: list[InboxTurn] = field(default_factory=list)
    texts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    suggestions: list[tuple[str, str, float]] = field(default_factory=list)  # (faq id, question, score)

    @property
    def count(self) -> int:
        return len(self.turns)

    @property
    def text(self) -> str:
        return self.texts.most_common(1)[0][0]

    @property
    def last_seen(self) -> dt.datetime:
        return max(t.created_at for t in self.turns)

    @property
    def turn_ids(self) -> str:
        return ",".join(t.turn_id for t in self.turns)


def _turns_table() -> Any:
    try:
        from assistant.dialogue.db import turns
    except ImportError:  # no dialogue in this build: nothing to review
        return None
    return turns


def cluster_threshold(encoder_name: str) -> float:
    """Cosine above which two questions are 'the same question' (e5-style encoders sit high)."""
    return 0.92 if "e5" in encoder_name.lower() else 0.8


class Inbox:
    """The console's view of the turns needing attention."""

    def __init__(self, staff: Staff):
        self.staff = staff
        self.db = staff.db
        self.turns = _turns_table()

    def _condition(self, since: dt.datetime) -> Any:
        t = self.turns
        th = self.staff.live.current.nlu.thresholds
        weak = (t.c.intent == "ask_service") & (t.c.faq_score < th.retrieval_min + 0.08)
        near = (t.c.intent == "out_of_scope") & (t.c.faq_score >= th.retrieval_min * 0.8)
        flagged = or_(t.c.fallback.is_(True), t.c.feedback < 0, t.c.handoff.is_(True), weak, near)
        # Questions only: a form's answers (names, phone digits, company names ...) and small talk are never
        # questions staff could add to the knowledge base. Turns recorded before `handled_as` was kept have NULL.
        asked = or_(t.c.handled_as.is_(None), t.c.handled_as.in_(ASKED))
        marked = select(inbox_marks.c.turn_id)
        dismissed = select(inbox_dismissed_texts.c.normalized)
        return (flagged & asked & (t.c.created_at >= since) & (t.c.channel != "hittest") & t.c.turn_id.not_in(marked)
                & t.c.normalized.not_in(dismissed) & (func.length(t.c.user_text) > 1))

    def _reason(self, row: Any) -> str:
        th = self.staff.live.current.nlu.thresholds
        if row.feedback is not None and row.feedback < 0:
            return "downvote"
        if row.handoff:
            return "handoff"
        if row.intent == "out_of_scope" and (row.faq_score or 0) >= th.retrieval_min * 0.8:
            return "near"
        if row.fallback:
            return "fallback"
        return "weak"

    def open_turns(self, days: int = 30) -> list[InboxTurn]:
        if self.turns is None:
            return []
        t = self.turns
        since = system_clock() - dt.timedelta(days=days)
        stmt = select(t).where(self._condition(since)).order_by(t.c.created_at.desc()).limit(MAX_TURNS)
        try:
            with self.db.connect() as conn:
                rows = conn.execute(stmt).all()
        except DBAPIError:  # no turns table yet: no conversation so far
            return []
        # Personal data masked on display (turns recorded before masking at the source may still hold it).
        return [InboxTurn(r.turn_id, mask_text(r.user_text, landlines=True),
                          mask_text(r.normalized or r.user_text, landlines=True), self._reason(r), r.faq_id,
                          as_utc(r.created_at))
                for r in rows if not r.user_text.startswith("/")]

    def count(self, days: int = 30) -> int:
        if self.turns is None:
            return 0
        since = system_clock() - dt.timedelta(days=days)
        try:
            with self.db.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(self.turns).where(self._condition(since))).scalar() or 0)
        except DBAPIError:
            return 0

    def clusters(self, days: int = 30, limit: int = 50) -> list[Cluster]:
        """Open turns grouped by normalised text, then clustered by query-vector cosine; largest first."""
        groups: dict[str, list[InboxTurn]] = {}
        for turn in self.open_turns(days):
            groups.setdefault(turn.normalized, []).append(turn)
        pipe = self.staff.live.current.nlu
        threshold = cluster_threshold(pipe.encoder.name)
        leaders: list[np.ndarray] = []
        out: list[Cluster] = []
        for norm, turns in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            vec = pipe.encoder.encode_query(norm[:256])
            vec = vec / (float(np.linalg.norm(vec)) or 1.0)
            sims = [float(vec @ leader) for leader in leaders]
            best = int(np.argmax(sims)) if sims else -1
            if best >= 0 and sims[best] >= threshold:
                cluster = out[best]
            else:
                cluster = Cluster()
                out.append(cluster)
                leaders.append(vec)
            cluster.turns += turns
            cluster.texts.update(t.text for t in turns)
            cluster.reasons.update(t.reason for t in turns)
        out.sort(key=lambda c: (-c.count, c.text))
        for cluster in out[:limit]:
            parse = pipe.parse(cluster.text)
            cluster.suggestions = [(h.faq_id, h.question, float(h.score)) for h in parse.ranking[:3]]
        return out[:limit]

    # ---- acting on a cluster ---------------------------------------------------------------------------------
    def _mark(self, turn_ids: Iterable[str], action: str, actor: str, note: str = "") -> int:
        ids = sorted({i for i in turn_ids if i})
        if not ids:
            return 0
        now = system_clock()
        with self.db.begin() as conn:
            known = {r[0] for r in conn.execute(select(inbox_marks.c.turn_id).where(inbox_marks.c.turn_id.in_(ids)))}
            rows = [dict(turn_id=i, action=action, actor=actor, at=now, note=note[:200]) for i in ids if i not in known]
            if rows:
                conn.execute(insert(inbox_marks), rows)
        return len(ids)

    def dismiss(self, turn_ids: list[str], actor: str) -> int:
        """Dismiss the turns and their questions (asked again, they stay out of the inbox)."""
        if self.turns is not None and turn_ids:
            with self.db.begin() as conn:
                texts = {r[0] for r in conn.execute(select(self.turns.c.normalized).where(self.turns.c.turn_id.in_(turn_ids)))}
                known = {r[0] for r in conn.execute(select(inbox_dismissed_texts.c.normalized)
                                                    .where(inbox_dismissed_texts.c.normalized.in_(texts)))}
                rows = [dict(normalized=t[:500], actor=actor, at=system_clock()) for t in texts - known if t]
                if rows:
                    conn.execute(insert(inbox_dismissed_texts), rows)
        return self._mark(turn_ids, DISMISSED, actor)

    def add_variant(self, turn_ids: list[str], faq_id: str, text: str, actor: str, ip: str = "") -> str:
        """Add `text` as a variant of the FAQ in its item's draft; returns the item id."""
        item_id = faq_id.split("/", 1)[0]
        text = text.strip()
        if not text:
            raise ValueError("问法不能为空。")
        if self.staff.knowledge.working(item_id) is None:
            raise ValueError(f"没有问答 {faq_id}。")
        added: list[bool] = []
        self.staff.knowledge.edit(item_id, lambda raw: added.append(forms.add_variant(raw, faq_id, text)), actor, ip)
        if not added or not added[0]:
            raise ValueError(f"问答 {faq_id} 不存在，或已经有这个问法。")
        self._mark(turn_ids, VARIANT, actor, faq_id)
        return item_id

    def new_faq(self, turn_ids: list[str], item_id: str, text: str, actor: str, ip: str = "") -> str:
        """Draft a new FAQ in the item with `text` as its question; returns the new FAQ's slug."""
        text = text.strip()
        working = self.staff.knowledge.working(item_id)
        if working is None or not text:
            raise ValueError("请选择事项并填写问题。")
        slug = "q-" + system_clock().strftime("%Y%m%d%H%M%S")
        faq = {"question": text, "variants": text, "answer": "", "topic": "other", "source_kind": "example"}
        self.staff.knowledge.edit(item_id, lambda raw: forms.apply_faq(raw, f"{item_id}/{slug}", faq), actor, ip)
        self._mark(turn_ids, NEW_FAQ, actor, f"{item_id}/{slug}")
        return slug
