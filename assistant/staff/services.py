"""The staff console's objects for one app, built once by the start-up (assistant/services.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine as SqlEngine

from actions.filings import FilingStore
from assistant.dialogue.manager import DialogueManager
from assistant.settings import Settings
from assistant.staff.audit import AuditLog
from assistant.staff.editing import KnowledgeService
from assistant.staff.lockout import LoginGuard
from assistant.staff.questions import TestQuestions
from assistant.staff.regression import RegressionChecker
from assistant.staff.sessions import SessionManager
from assistant.staff.users import UserStore
from knowledge.clock import Clock, beijing_date
from knowledge.store import SqlKnowledgeStore
from nlu.live import LiveKnowledge


@dataclass(frozen=True)
class Staff:
    """Everything the console's routes use."""

    settings: Settings
    clock: Clock
    db: SqlEngine  # the console's tables and the knowledge store
    store: SqlKnowledgeStore
    live: LiveKnowledge  # the knowledge in force (applies publishes)
    filings: FilingStore
    dialogue: DialogueManager  # the hit test asks it what chat would answer
    users: UserStore
    guard: LoginGuard
    sessions: SessionManager
    audit: AuditLog
    knowledge: KnowledgeService
    regression: RegressionChecker
    questions: TestQuestions

    def today(self) -> dt.date:
        """Today in Beijing."""
        return beijing_date(self.clock())


def build_staff(settings: Settings, clock: Clock, db: SqlEngine, store: SqlKnowledgeStore, live: LiveKnowledge,
                filings: FilingStore, dialogue: DialogueManager) -> Staff:
    """The console's objects on `db` (whose tables the start-up has upgraded)."""
    audit = AuditLog(db, clock)
    questions = TestQuestions(db, clock)
    return Staff(
        settings=settings, clock=clock, db=db, store=store, live=live, filings=filings, dialogue=dialogue,
        users=UserStore(db, clock),
        guard=LoginGuard(db, clock), sessions=SessionManager(db, settings.secret_key, clock), audit=audit,
        knowledge=KnowledgeService(store, live, audit, clock), regression=RegressionChecker(live, questions),
        questions=questions,
    )
