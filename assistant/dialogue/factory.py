"""Builds a DialogueManager from the settings and the engine's objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from actions.client import ActionClient, HttpActionClient, InProcessActionClient
from actions.registry import build_registry
from assistant.dialogue.db import make_engine, migrate
from assistant.dialogue.domain import build_domain
from assistant.dialogue.manager import Clock, DialogueManager, local_date, utcnow
from assistant.dialogue.responses import Chooser, Responses, choose_random
from assistant.dialogue.store import SqlStateStore
from assistant.dialogue.turns import TurnLog
from assistant.settings import Settings
from knowledge.loader import KnowledgeBase
from nlu.pipeline import NluPipeline

if TYPE_CHECKING:
    from actions.filings import FilingStore


def build_manager(
    settings: Settings,
    nlu: NluPipeline,
    kb: KnowledgeBase,
    filings: FilingStore | None,
    clock: Clock = utcnow,
    choose: Chooser = choose_random,
    actions: ActionClient | None = None,
    today: Callable[[], dt.date] | None = None,
) -> DialogueManager:
    """A DialogueManager on settings.db_url; actions in process unless settings.action_endpoint_url is set."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    responses = Responses.load(choose=choose)
    domain = build_domain(responses.table, settings.session_idle_minutes)
    if actions is None:
        if settings.action_endpoint_url:
            actions = HttpActionClient(settings.action_endpoint_url)
        else:
            registry = build_registry(kb, filings, today=today or (lambda: local_date(clock())))
            actions = InProcessActionClient(registry.executor())
    return DialogueManager(
        nlu, SqlStateStore(engine), TurnLog(engine), actions, domain, responses,
        idle_minutes=settings.session_idle_minutes, max_chars=settings.max_message_chars, clock=clock,
        on_close=engine.dispose,
    )
