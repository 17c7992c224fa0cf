"""Builds a DialogueManager from the settings and the live knowledge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.client import ActionClient, HttpActionClient, InProcessActionClient
from actions.common import HALL_ID
from actions.filings.institutions import InstitutionRegistry
from actions.offload import Offload
from actions.registry import build_registry
from actions.reminders.service import ReminderService
from assistant.dialogue.db import make_engine
from assistant.dialogue.domain import build_domain
from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.responses import Chooser, Responses, choose_random
from assistant.dialogue.store import SqlStateStore
from assistant.dialogue.turns import TurnLog
from assistant.handoff.desk import HandoffDesk
from assistant.settings import Settings
from knowledge.clock import Clock, system_clock
from nlu.gate import ParseGate
from nlu.live import LiveKnowledge

if TYPE_CHECKING:
    from actions.filings import FilingStore


def build_manager(
    settings: Settings,
    knowledge: LiveKnowledge,
    filings: FilingStore | None,
    clock: Clock = system_clock,
    choose: Chooser = choose_random,
    actions: ActionClient | None = None,
    parsing: ParseGate | None = None,
    blocking: Offload | None = None,
    handoff: HandoffDesk | None = None,
) -> DialogueManager:
    """A DialogueManager on settings.db_url (its tables upgraded already: assistant/ops/migrate.py); actions in
    process unless `actions` or settings.action_endpoint_url says otherwise. `parsing` and `blocking` are the
    process's parse gate and thread pool for database work (the manager makes its own when not given). Without a
    `handoff` desk (the app gives it one) a desk of its own on the same database, the hall's hours from the live
    knowledge base."""
    engine = make_engine(settings.db_url)
    responses = Responses.load(choose=choose)
    domain = build_domain(responses.table, settings.session_idle_minutes)
    if actions is None:
        if settings.action_endpoint_url:
            actions = HttpActionClient(settings.action_endpoint_url, token=settings.action_token)
        else:
            actions = InProcessActionClient(build_registry(
                knowledge.kb, filings, clock, institutions=InstitutionRegistry(filings) if filings else None,
                reminders=ReminderService(filings, channels={}, clock=clock) if filings else None,
                understand=knowledge.service_ranking).executor())
    if handoff is None:
        handoff = HandoffDesk(engine, clock, hall_hours=lambda: hall_hours(knowledge))
    return DialogueManager(
        knowledge, SqlStateStore(engine, clock), TurnLog(engine), actions, domain, responses,
        idle_minutes=settings.session_idle_minutes, max_chars=settings.max_message_chars, clock=clock,
        on_close=engine.dispose, parsing=parsing, blocking=blocking, handoff=handoff,
    )


def hall_hours(knowledge: LiveKnowledge) -> str | None:
    """The service hall's opening hours in the knowledge base in force."""
    hall = knowledge.current.kb.items.get(HALL_ID)
    return hall.hours if hall else None
