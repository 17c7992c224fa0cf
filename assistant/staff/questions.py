"""Regression questions staff save: checked before every publish together with the base's own variants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from assistant.staff.db import test_questions
from knowledge.clock import Clock, as_utc, system_clock


@dataclass(frozen=True)
class TestQuestion:
    """A saved question and the FAQ that should answer it (None: just watch it)."""

    __test__ = False  # not a pytest class

    id: int
    text: str
    expected_faq_id: str | None
    author: str
    created_at: dt.datetime


class TestQuestions:
    """The staff_test_questions table."""

    __test__ = False

    def __init__(self, engine: Engine, clock: Clock = system_clock):
        self.engine = engine
        self.clock = clock

    def all(self) -> list[TestQuestion]:
        """Saved questions, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(test_questions).order_by(test_questions.c.id)).all()
        return [TestQuestion(r.id, r.text, r.expected_faq_id, r.author, as_utc(r.created_at)) for r in rows]

    def add(self, text: str, expected_faq_id: str | None, author: str) -> TestQuestion:
        """Save a question (an existing text gets the new expectation)."""
        text = text.strip()[:500]
        with self.engine.begin() as conn:
            found = conn.execute(select(test_questions.c.id).where(test_questions.c.text == text)).first()
            if found is not None:
                conn.execute(update(test_questions).where(test_questions.c.id == found.id).values(expected_faq_id=expected_faq_id))
            else:
                conn.execute(insert(test_questions).values(text=text, expected_faq_id=expected_faq_id, author=author,
                                                           created_at=self.clock()))
        return next(q for q in self.all() if q.text == text)

    def remove(self, question_id: int) -> bool:
        """Delete a saved question; False when unknown."""
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(test_questions).where(test_questions.c.id == question_id)).rowcount)
