"""The staff console's objects for one app, built on first use (or at start-up when the engine was loaded
from the knowledge store), and the live knowledge base for `assistant.app.default_engine`."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine as SqlEngine

from assistant.container import Engine
from assistant.settings import Settings
from assistant.staff import db as staff_db
from assistant.staff.audit import AuditLog
from assistant.staff.editing import KnowledgeService
from assistant.staff.live import GENERATION_KEY, LiveKnowledge
from assistant.staff.questions import TestQuestions
from assistant.staff.regression import RegressionChecker
from assistant.staff.sessions import SessionManager
from assistant.staff.users import LoginGuard, UserStore
from knowledge.errors import KnowledgeValidationError
from knowledge.loader import KnowledgeBase
from knowledge.store import PUBLISHED, SqlKnowledgeStore, make_engine
from knowledge.versions import build_kb, dump_model, normalise_text, parse_folder, read_folder

log = logging.getLogger(__name__)
STATE_KEY = "staff"  # engine.extras key of the Staff object


@dataclass
class Staff:
    """Everything the console's routes use."""

    settings: Settings
    engine: Engine
    db: SqlEngine
    store: SqlKnowledgeStore
    users: UserStore
    guard: LoginGuard
    sessions: SessionManager
    audit: AuditLog
    live: LiveKnowledge
    knowledge: KnowledgeService
    regression: RegressionChecker
    questions: TestQuestions

    def close(self) -> None:
        self.live.stop()
        self.db.dispose()


def open_store(settings: Settings) -> SqlKnowledgeStore:
    """The knowledge store on the app's database, migrated and seeded from the YAML folder when empty."""
    store = SqlKnowledgeStore(settings.db_url)
    store.migrate()
    if store.is_empty():
        n = store.seed(read_folder(settings.knowledge_dir), author="seed")
        log.info("knowledge store seeded with %d items from %s", n, settings.knowledge_dir or "the demo base")
    else:
        sync_from_folder(store, settings)
    return store


YAML_SYNC = "yaml-sync"
FILE_AUTHORS = ("seed", YAML_SYNC)  # versions that came from the YAML folder, not from a staff member


def sync_from_folder(store: SqlKnowledgeStore, settings: Settings) -> list[str]:
    """Publish YAML files changed since they were last imported, unless staff have edited the item since.

    The database is the live base once seeded; this keeps a developer's edits to knowledge/data/*.yml
    flowing in, while an item a staff member changed in /admin is never overwritten from a file.
    """
    try:
        files = read_folder(settings.knowledge_dir)
    except (KnowledgeValidationError, OSError) as exc:
        log.warning("knowledge folder not synced: %s", exc)
        return []
    latest = store.latest_all()
    changed = []
    for item_id, text in sorted(files.items()):
        current = latest.get(item_id)
        if current is not None and normalise_text(text) == current.text:
            continue
        if current is not None and current.author not in FILE_AUTHORS:
            log.info("knowledge item %s edited by staff (%s); its YAML file is not re-imported", item_id, current.author)
            continue
        store.add_version(item_id, text, PUBLISHED, author=YAML_SYNC, note="YAML 文件更新")
        changed.append(item_id)
    if changed:
        log.info("knowledge items re-imported from their YAML files: %s", ", ".join(changed))
    return changed


YAML_SYNC = "yaml-sync"


def load_live_kb(settings: Settings) -> tuple[KnowledgeBase, int]:
    """The live knowledge base (the store's published versions) and the store generation it reflects."""
    store = open_store(settings)
    try:
        generation = store.generation()
        return build_kb(store.live_texts()), generation
    finally:
        store.close()


def _seed_from(kb: KnowledgeBase, settings: Settings) -> dict[str, str]:
    """Texts for the engine's base: the YAML files where they say the same, else the items dumped."""
    try:
        files = parse_folder(settings.knowledge_dir)
    except (KnowledgeValidationError, OSError):
        files = {}
    texts: dict[str, str] = {}
    for item_id, item in kb.items.items():
        text, parsed = files.get(item_id, ("", None))
        texts[item_id] = text if parsed == item else dump_model(item)
    for item_id in kb.skipped:
        if item_id in files:
            texts[item_id] = files[item_id][0]
    return texts


def build_staff(engine: Engine) -> Staff:
    """The console's objects; seeds an empty store from the engine's base, else aligns the engine with it."""
    settings = engine.settings
    db = make_engine(settings.db_url)
    staff_db.migrate(db)
    store = SqlKnowledgeStore(engine=db)
    store.migrate()
    live = LiveKnowledge(engine, store)
    if store.is_empty():
        store.seed(_seed_from(engine.kb, settings), author="seed")
        live.generation = store.generation()
    elif live.generation < 0:
        live.sync()  # the store is authoritative
    audit = AuditLog(db)
    questions = TestQuestions(db)
    return Staff(
        settings=settings, engine=engine, db=db, store=store, users=UserStore(db), guard=LoginGuard(db),
        sessions=SessionManager(db, settings.secret_key), audit=audit, live=live,
        knowledge=KnowledgeService(store, live, audit), regression=RegressionChecker(live, questions), questions=questions,
    )


_lock = threading.Lock()


def staff_of(engine: Engine) -> Staff:
    """The engine's Staff object, built on first use."""
    staff: Staff | None = engine.extras.get(STATE_KEY)
    if staff is None:
        with _lock:
            staff = engine.extras.get(STATE_KEY)
            if staff is None:
                staff = build_staff(engine)
                engine.extras[STATE_KEY] = staff
    return staff


def start(app: Any, engine: Engine) -> None:
    """Start-up hook: with an engine loaded from the store, follow other workers' publishes."""
    if GENERATION_KEY in engine.extras:
        staff_of(engine).live.start_polling()


def stop(app: Any, engine: Engine) -> None:
    """Shutdown hook."""
    staff: Staff | None = engine.extras.pop(STATE_KEY, None)
    if staff is not None:
        staff.close()
