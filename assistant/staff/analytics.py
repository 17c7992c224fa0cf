"""Figures of the analytics page: conversations and questions per day, answer and fallback rates, top
services and FAQs, satisfaction (👍/👎) from the turns table, and filings per state.

A question is a message someone asked (a question or a request such as 查进度): a form's answers, small talk
and button presses are not, so they count neither for nor against the answer rate."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from assistant.dialogue.db import turns
from knowledge.clock import BEIJING, beijing_date
from knowledge.clock import today as beijing_today
from knowledge.loader import KnowledgeBase

MAX_ROWS = 500_000
ASKED = ("question", "request")  # the turns' `handled_as` kinds counted as questions (assistant/dialogue/runner.py)


@dataclass
class Day:
    date: dt.date
    senders: set[str] = field(default_factory=set)
    questions: int = 0
    answered: int = 0
    fallback: int = 0

    @property
    def conversations(self) -> int:
        return len(self.senders)


@dataclass
class Figures:
    days: list[Day]
    questions: int
    answered: int
    fallback: int
    up: int
    down: int
    top_faqs: list[tuple[str, str, int]]  # (faq id, question, count)
    top_services: list[tuple[str, str, int]]  # (service id, name, count)
    filings: list[tuple[str, str, int]]  # (kind, status, count)
    not_questions: int = 0  # messages that were form answers, small talk or empty (not counted as questions)

    @property
    def conversations(self) -> int:
        return len(set().union(*(d.senders for d in self.days))) if self.days else 0

    @property
    def answer_rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0

    @property
    def fallback_rate(self) -> float:
        return self.fallback / self.questions if self.questions else 0.0

    @property
    def satisfaction(self) -> float | None:
        return self.up / (self.up + self.down) if self.up + self.down else None


def _filings(db: Engine) -> list[tuple[str, str, int]]:
    try:
        from actions.filings.tables import Filing
    except ImportError:
        return []
    stmt = select(Filing.kind, Filing.status, func.count()).group_by(Filing.kind, Filing.status)
    try:
        with db.connect() as conn:
            return sorted((str(k), str(s), int(n)) for k, s, n in conn.execute(stmt))
    except Exception:  # no filings table yet
        return []


def figures(db: Engine, kb: KnowledgeBase, days: int = 30, today: dt.date | None = None) -> Figures:
    """The analytics of the last `days` days (local dates, Qingdao)."""
    today = today or beijing_today()
    first = today - dt.timedelta(days=days - 1)
    by_day = {first + dt.timedelta(days=i): Day(first + dt.timedelta(days=i)) for i in range(days)}
    faqs: Counter[str] = Counter()
    up = down = 0
    t = turns
    since = dt.datetime.combine(first, dt.time(), BEIJING).astimezone(dt.UTC)
    stmt = (select(t.c.sender_id, t.c.user_text, t.c.intent, t.c.fallback, t.c.faq_id, t.c.feedback, t.c.created_at,
                   t.c.handled_as)
            .where(t.c.created_at >= since, t.c.channel != "hittest").limit(MAX_ROWS))
    not_questions = 0
    try:
        with db.connect() as conn:
            rows: Any = conn.execute(stmt).all()
    except Exception:  # no turns table yet (no conversation so far)
        rows = []
    for r in rows:
        day = by_day.get(beijing_date(r.created_at))
        if day is None:
            continue
        day.senders.add(r.sender_id)
        if r.feedback == 1:
            up += 1
        elif r.feedback == -1:
            down += 1
        if (r.user_text or "").startswith("/"):
            continue  # a button press, not a question
        if r.handled_as is not None and r.handled_as not in ASKED:
            not_questions += 1  # a form's answer (a name, phone digits ...), small talk: nobody asked anything
            continue
        day.questions += 1
        if r.fallback:
            day.fallback += 1
        elif r.intent == "ask_service" and r.faq_id:
            day.answered += 1
            faqs[r.faq_id] += 1
        elif r.intent not in (None, "out_of_scope"):
            day.answered += 1
    services: Counter[str] = Counter()
    for faq_id, n in faqs.items():
        services[faq_id.split("/", 1)[0]] += n
    names = {i.id: i.name for i in kb.items.values()}
    questions = {f.id: f.question for _, f in kb.faqs}
    ordered = [by_day[d] for d in sorted(by_day)]
    return Figures(
        days=ordered, questions=sum(d.questions for d in ordered), answered=sum(d.answered for d in ordered),
        fallback=sum(d.fallback for d in ordered), up=up, down=down,
        top_faqs=[(f, questions.get(f, f), n) for f, n in faqs.most_common(10)],
        top_services=[(s, names.get(s, s), n) for s, n in services.most_common(10)],
        filings=_filings(db), not_questions=not_questions,
    )
