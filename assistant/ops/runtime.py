"""What a worker process runs beside its requests: a database connection for the readiness check, the
cross-worker sender lock of the dialogue and, on PostgreSQL, the listener for knowledge publishes.

`start_ops` is called by the start-up (assistant/services.py) once the dialogue and the live knowledge exist;
`Ops.aclose` is its counterpart.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from sqlalchemy import Engine, create_engine, text

from assistant.dialogue.manager import DialogueManager
from assistant.ops.config import OpsSettings, is_postgres, libpq_conninfo
from assistant.ops.locks import FileSenderLock, PgSenderLock
from assistant.ops.sync import KnowledgeListener, install_trigger
from assistant.settings import Settings
from nlu.live import LiveKnowledge

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 2  # /health/ready: the database must answer (and let itself be locked) within this


def readiness_engine(db_url: str) -> Engine:
    """A small engine for the readiness probe, whose waits are short (SQLite busy timeout, PostgreSQL connect
    timeout): a database that cannot be reached or locked within READY_TIMEOUT_S means "not ready"."""
    if is_postgres(db_url):
        return create_engine(db_url, pool_pre_ping=True, pool_size=1, max_overflow=1, pool_timeout=READY_TIMEOUT_S,
                             connect_args={"connect_timeout": READY_TIMEOUT_S})
    return create_engine(db_url, pool_size=1, max_overflow=1, pool_timeout=READY_TIMEOUT_S,
                         connect_args={"timeout": READY_TIMEOUT_S, "check_same_thread": False})


def probe_database(engine: Engine) -> None:
    """Raise unless the database answers and can be written now: SQLite takes (and drops) the write lock the
    dialogue and the filings need (`BEGIN IMMEDIATE`), so a file locked by someone else is "not ready" — a
    `SELECT 1` needs no lock and said 200 while every message waited; PostgreSQL answers a query within the
    timeout."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            driver.isolation_level = None  # autocommit: our own BEGIN and ROLLBACK
            driver.execute("BEGIN IMMEDIATE")
            driver.execute("ROLLBACK")
        finally:
            raw.close()
        return
    with engine.begin() as conn:
        conn.execute(text(f"SET LOCAL statement_timeout = {READY_TIMEOUT_S * 1000}"))
        conn.execute(text("SELECT 1"))


class Ops:
    """The worker's operations objects."""

    def __init__(self, db: Engine, lock_kind: str, lock: Any, listener: KnowledgeListener | None):
        self.db = db  # a small pool for /health/ready (short timeouts: readiness_engine)
        self.lock_kind = lock_kind  # postgres | file | local
        self.lock = lock
        self.listener = listener

    def listening(self) -> bool | None:
        """None without a listener, else whether it is connected."""
        return None if self.listener is None else self.listener.connected.is_set()

    async def aclose(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        if isinstance(self.lock, PgSenderLock):
            await self.lock.aclose()
        self.db.dispose()


def choose_lock(settings: Settings, opts: OpsSettings) -> tuple[str, Any]:
    """The sender lock for these settings: ("postgres" | "file" | "local", lock or None)."""
    kind = opts.sender_lock
    pg = is_postgres(settings.db_url)
    if kind == "auto":
        kind = "postgres" if pg else "file" if opts.workers > 1 else "local"
    if kind == "postgres":
        if not pg:
            raise ValueError("LINGLING_SENDER_LOCK=postgres needs a PostgreSQL LINGLING_DATABASE_URL")
        return kind, PgSenderLock(libpq_conninfo(settings.db_url), opts.sender_lock_pool, opts.sender_lock_timeout,
                                  opts.db_connect_timeout)
    if kind == "file":
        return kind, FileSenderLock(settings.data_dir / "locks", opts.sender_lock_timeout)
    return "local", None


async def start_ops(settings: Settings, dialogue: DialogueManager, live: LiveKnowledge, follow_store: bool) -> Ops:
    """Give the dialogue its cross-worker lock; on PostgreSQL, when the knowledge follows the store
    (`follow_store`), LISTEN for publishes and apply them at once (the knowledge store's polling is the
    safety net)."""
    opts = OpsSettings()
    db = readiness_engine(settings.db_url)
    lock_kind, lock = choose_lock(settings, opts)
    if lock is not None:
        dialogue.sender_lock = lock
    listener = None
    if follow_store and is_postgres(settings.db_url) and opts.knowledge_notify:
        schema = await asyncio.to_thread(install_trigger, settings.db_url)
        listener = KnowledgeListener(settings.db_url, schema, live.sync, opts.db_connect_timeout)
        listener.start()
    log.info("worker %d: sender lock %s, knowledge listener %s", os.getpid(), lock_kind, listener is not None)
    return Ops(db, lock_kind, lock, listener)
