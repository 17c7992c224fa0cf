"""Knowledge publishes reach every worker process within moments (PostgreSQL LISTEN/NOTIFY).

A trigger on `kb_versions` (the knowledge store's table) calls `pg_notify('lingling_kb', '<schema>:<id>')`
for every published or retired version, whoever wrote it (a worker's staff console, `lingling` commands,
another machine). Each worker keeps one psycopg async connection LISTENing in a background task; on a
notification it runs the live knowledge's `LiveKnowledge.sync()` (nlu/live.py) in a thread, which reads the
versions newer than the worker's generation from the store and swaps in a new knowledge snapshot (requests in
flight go on with the snapshot they started with).

Without PostgreSQL (SQLite, several workers) the live knowledge's own generation polling (1 s, started by the
start-up, assistant/services.py) does the same job; it also runs on PostgreSQL as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text

from assistant.ops.config import libpq_conninfo

log = logging.getLogger(__name__)
CHANNEL = "lingling_kb"

TRIGGER_SQL = (
    """
    CREATE OR REPLACE FUNCTION lingling_kb_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.number > 0 THEN
        PERFORM pg_notify('lingling_kb', current_schema() || ':' || NEW.id::text);
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE TRIGGER kb_versions_notify AFTER INSERT ON kb_versions
      FOR EACH ROW EXECUTE FUNCTION lingling_kb_notify()
    """,
)


def install_trigger(db_url: str) -> str:
    """Create the notify trigger on kb_versions (idempotent; the knowledge store's tables are upgraded first).
    Returns the schema it lives in (notifications carry it: one database may hold several schemas)."""
    from knowledge.schema import upgrade
    from knowledge.store import SCHEMA

    engine = create_engine(db_url, pool_pre_ping=True)
    try:
        upgrade(engine, [SCHEMA])
        with engine.begin() as conn:
            # Workers start together: one at a time replaces the function and the trigger.
            conn.execute(text("SELECT pg_advisory_xact_lock(1279872583, 1)"))
            for sql in TRIGGER_SQL:
                conn.execute(text(sql))
            return str(conn.execute(text("SELECT current_schema()")).scalar())
    finally:
        engine.dispose()


class KnowledgeListener:
    """LISTENs on one connection (reconnecting with back-off) and calls `sync` after each notification.

    `sync` is a blocking function (run in a thread); notifications arriving while it runs are merged
    into one more call. It also runs after every (re)connect, to catch up with what was missed."""

    def __init__(self, db_url: str, schema: str, sync: Callable[[], Any], connect_timeout: int = 5):
        self.conninfo = libpq_conninfo(db_url)
        self.schema = schema
        self.sync = sync
        self.connect_timeout = connect_timeout
        self.connected = asyncio.Event()
        self.notifications = 0  # seen for our schema (tests and /health/ready read it)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="knowledge-listen"),
                       asyncio.create_task(self._apply(), name="knowledge-apply")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
        self._tasks = []

    async def _listen(self) -> None:
        import psycopg

        backoff = 0.5
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True,
                                                             connect_timeout=self.connect_timeout)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    self._wake.set()  # catch up with publishes made while we were away
                    backoff = 0.5
                    while True:
                        got = False
                        async for note in conn.notifies(timeout=30):
                            got = True
                            if note.payload.split(":", 1)[0] == self.schema:
                                self.notifications += 1
                                self._wake.set()
                        if not got:  # quiet for 30 s: make sure the connection is still there
                            await asyncio.wait_for(conn.execute("SELECT 1"), 10)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database restarted or unreachable: retry
                self.connected.clear()
                log.warning("knowledge listener: %s; retrying in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _apply(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await asyncio.to_thread(self.sync)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly unavailable; the next notice retries
                log.exception("knowledge sync after notification failed")
