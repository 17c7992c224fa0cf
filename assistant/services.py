"""The one start-up of the web app: every service of one app instance, built in order from the settings by
`running_services` (the app's lifespan) and closed in reverse order when it ends.

Routes reach them through `services_of(request)` — typed fields, no string keys. A new service is a field
here and a few lines in `running_services` (build it after what it needs; `stack.callback(close)` right after
it is made); docs/architecture.md says more.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from fastapi import Request
from rasa_sdk.executor import ActionExecutor

from actions.client import ActionClient, HttpActionClient, InProcessActionClient
from actions.filings import FilingStore
from actions.filings.institutions import InstitutionRegistry
from actions.filings.pdfcache import NoticePdfs
from actions.filings.results import ResultBoard
from actions.offload import Offload
from actions.registry import build_registry
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from assistant.dialogue.factory import build_manager, hall_hours
from assistant.dialogue.manager import DialogueManager
from assistant.errors import Unavailable
from assistant.handoff.desk import HandoffDesk
from assistant.loading import load_snapshot, seed_texts
from assistant.observability import metrics
from assistant.ops.migrate import upgrade_all
from assistant.ops.runtime import Ops, start_ops
from assistant.ops.scheduler import ReminderScheduler, start_scheduler
from assistant.privacy.retention import purge
from assistant.settings import Settings
from assistant.staff.audit import AuditLog
from assistant.staff.services import Staff, build_staff
from knowledge.clock import Clock, system_clock
from knowledge.store import SqlKnowledgeStore, make_engine
from nlu.gate import ParseGate
from nlu.live import KnowledgeSnapshot, LiveKnowledge

KnowledgeFactory = Callable[[Settings], KnowledgeSnapshot]  # tests inject one with a fast encoder


@dataclass(frozen=True)
class Services:
    """Every service of one app instance."""

    settings: Settings
    clock: Clock  # the one clock (knowledge/clock.py): Beijing days everywhere
    knowledge: LiveKnowledge  # the knowledge base + NLU pipeline in force; a publish swaps in a new snapshot
    filings: FilingStore
    institutions: InstitutionRegistry  # the district's medical institutions (imports, applications, identification)
    results: ResultBoard  # published validation results (一网公示) and their corrections
    reminders: ReminderService  # validation expiry reminders: the outbox, its channels, the chat's
    actions: ActionExecutor  # the rasa-sdk actions in this process (POST /webhook; the dialogue's by default)
    dialogue: DialogueManager
    handoff: HandoffDesk  # tickets for staff (留言, 呼叫导服): opened by the dialogue, answered in the console
    staff: Staff
    ops: Ops  # readiness database, cross-worker sender lock, knowledge listener
    parsing: ParseGate  # every parse of the process: off the event loop, a few at a time (nlu/gate.py)
    blocking: Offload  # threads for database work and actions, never the event loop (actions/offload.py)
    pdfs: NoticePdfs  # notice PDFs, rendered once (cached on disk), one at a time (actions/filings/pdfcache.py)
    scheduler: ReminderScheduler | None  # the in-process daily reminder job (LINGLING_REMINDER_SCHEDULE), else None


@asynccontextmanager
async def running_services(settings: Settings, knowledge_factory: KnowledgeFactory = load_snapshot,
                           clock: Clock = system_clock) -> AsyncIterator[Services]:
    """Build every service in order; on exit close them in reverse order."""
    async with AsyncExitStack() as stack:
        stack.callback(metrics.mark_process_dead)  # last of all
        parsing = ParseGate()
        stack.callback(parsing.close)
        blocking = Offload()
        stack.callback(blocking.close)
        await asyncio.to_thread(upgrade_all, settings.db_url)
        snapshot = knowledge_factory(settings)
        follow_store = snapshot.generation >= 0  # loaded from the knowledge store: follow other workers' publishes
        db = make_engine(settings.db_url)  # the knowledge store's and the staff console's
        stack.callback(db.dispose)
        store = SqlKnowledgeStore(engine=db)
        knowledge = LiveKnowledge(snapshot, store, clock)
        await asyncio.to_thread(_align_with_store, knowledge, store, settings)
        if follow_store:
            knowledge.start_polling()
            stack.callback(knowledge.stop)

        filings = FilingStore(settings.db_url, settings.public_base, clock=clock)
        stack.callback(filings.close)
        institutions, results = InstitutionRegistry(filings), ResultBoard(filings)
        reminders = ReminderService(filings, ReminderSettings(), clock=clock)
        stack.callback(reminders.close)
        actions = build_registry(knowledge.kb, filings, clock, institutions=institutions,
                                 reminders=reminders, understand=knowledge.service_ranking).executor(blocking)
        client: ActionClient = (HttpActionClient(settings.action_endpoint_url, token=settings.action_token)
                                if settings.action_endpoint_url else InProcessActionClient(actions))
        handoff = HandoffDesk(db, clock, audit=AuditLog(db, clock), hall_hours=lambda: hall_hours(knowledge))
        dialogue = build_manager(settings, knowledge, filings, clock=clock, actions=client, parsing=parsing,
                                 blocking=blocking, handoff=handoff)
        stack.callback(dialogue.close)
        dialogue.turns.listeners.append(metrics.observe_turn)
        if settings.purge_on_start:
            report = await asyncio.to_thread(purge, dialogue.turns.engine, settings.retention_days, clock())
            if report.tickets:
                AuditLog(db, clock).record("system", "handoff_purge", "", None,
                                           {"tickets": report.tickets, "cutoff": report.cutoff.isoformat()})

        staff = build_staff(settings, clock, db, store, knowledge, filings, dialogue)
        ops = await start_ops(settings, dialogue, knowledge, follow_store)
        stack.push_async_callback(ops.aclose)
        pdfs = NoticePdfs(settings.data_dir / "cache" / "notices", blocking)
        scheduler = start_scheduler(settings, reminders)
        if scheduler is not None:
            stack.push_async_callback(scheduler.aclose)
        yield Services(settings, clock, knowledge, filings, institutions, results, reminders, actions, dialogue, handoff,
                       staff, ops, parsing, blocking, pdfs, scheduler)


def _align_with_store(knowledge: LiveKnowledge, store: SqlKnowledgeStore, settings: Settings) -> None:
    """An empty knowledge store is seeded with the snapshot's base; a snapshot not read from the store (an
    injected one) takes in what the store has."""
    if store.is_empty():
        store.seed(seed_texts(knowledge.current.kb, settings), author="seed")
        knowledge.adopt_generation(store.generation())
    elif knowledge.current.generation < 0:
        knowledge.sync()


def services_of(request: Request) -> Services:
    """The app's services; 503 while the app is still starting."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise Unavailable("灵灵正在启动，请稍后再试。", "services not started yet")
    return services
