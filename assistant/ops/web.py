"""The operations part of the web app: cross-worker sender locks, knowledge notifications, the worker
header, database-outage answers (503) and GET /health/ready.

`register(app, settings)` is called by `assistant.app.create_app` after the other modules, so its
start-up hook runs after the dialogue manager exists.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.container import Engine
from assistant.ops.config import OpsSettings, is_postgres, libpq_conninfo
from assistant.ops.locks import FileSenderLock, PgSenderLock
from assistant.settings import Settings

log = logging.getLogger(__name__)
WORKER_HEADER = b"x-lingling-worker"
STATE_KEY = "ops"  # engine.extras
DB_DOWN = "系统正在维护或数据库暂时不可用，请稍后再试；急事请拨打大厅咨询电话。"

router = APIRouter(tags=["ops"])


class WorkerHeader:
    """Adds `X-Lingling-Worker: <pid>` to every HTTP answer (which worker process served it)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pid = str(os.getpid()).encode()  # read per request: uvicorn forks workers after the app is built

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (WORKER_HEADER, pid)]
            await send(message)

        await self.app(scope, receive, send_with_header)


def _db_down(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc.__class__.__name__)
    return JSONResponse({"error": "unavailable", "message": DB_DOWN, "detail": f"database: {exc.__class__.__name__}"},
                        status_code=503, headers={"Retry-After": "5"})


@router.get("/health/ready")
def ready(request: Request) -> JSONResponse:
    """200 when the engine is loaded and the database answers; 503 (Chinese message) otherwise."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    worker = os.getpid()
    if engine is None:
        return JSONResponse({"status": "starting", "message": "灵灵正在启动，请稍后再试。", "worker": worker}, status_code=503)
    ops: Ops | None = engine.extras.get(STATE_KEY)
    db = ops.db if ops is not None else None
    if db is not None:
        try:
            with db.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means: not ready
            return JSONResponse({"status": "unavailable", "message": DB_DOWN, "worker": worker,
                                 "detail": exc.__class__.__name__}, status_code=503)
    body: dict[str, Any] = {"status": "ok", "worker": worker, "database": "ok"}
    if ops is not None:
        body.update(sender_lock=ops.lock_kind, knowledge_listener=ops.listening())
    return JSONResponse(body)


class Ops:
    """What the start-up hook made; closed by the shutdown hook."""

    def __init__(self, settings: Settings, opts: OpsSettings):
        from sqlalchemy import create_engine

        self.settings = settings
        self.opts = opts
        self.db = create_engine(settings.db_url, pool_pre_ping=True, pool_size=1, max_overflow=1)
        self.lock: Any = None
        self.lock_kind = "local"
        self.listener: Any = None

    def listening(self) -> bool | None:
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


async def start(app: FastAPI, engine: Engine) -> None:
    """Give the dialogue manager its cross-worker lock; start the knowledge listener (PostgreSQL)."""
    from assistant.staff.live import GENERATION_KEY

    settings = engine.settings
    opts = OpsSettings()
    ops = Ops(settings, opts)
    engine.extras[STATE_KEY] = ops
    ops.lock_kind, ops.lock = choose_lock(settings, opts)
    dm = engine.extras.get("dialogue")
    if dm is not None and ops.lock is not None:
        dm.sender_lock = ops.lock
    if is_postgres(settings.db_url) and opts.knowledge_notify and GENERATION_KEY in engine.extras:
        import asyncio

        from assistant.ops.sync import KnowledgeListener, install_trigger
        from assistant.staff.services import staff_of

        schema = await asyncio.to_thread(install_trigger, settings.db_url)
        ops.listener = KnowledgeListener(settings.db_url, schema, lambda: staff_of(engine).live.sync(),
                                         opts.db_connect_timeout)
        ops.listener.start()
    log.info("worker %d: sender lock %s, knowledge listener %s", os.getpid(), ops.lock_kind, ops.listener is not None)


async def stop(app: FastAPI, engine: Engine) -> None:
    ops: Ops | None = engine.extras.pop(STATE_KEY, None)
    if ops is not None:
        await ops.aclose()


def register(app: FastAPI, settings: Settings) -> None:
    """Add the worker header, the outage answers, /health/ready and the (async) start-up/shutdown hooks."""
    app.add_middleware(WorkerHeader)
    for exc_class in (OperationalError, InterfaceError, PoolTimeout, sqlite3.OperationalError):
        app.add_exception_handler(exc_class, _db_down)
    if is_postgres(settings.db_url):  # only a PostgreSQL app talks to psycopg directly (importing it takes ~0.1 s)
        try:
            import psycopg

            app.add_exception_handler(psycopg.OperationalError, _db_down)
        except ImportError:  # pragma: no cover - psycopg is a dependency
            pass
    app.include_router(router)
    app.state.startup_hooks.append(start)  # awaited by the lifespan (assistant/app.py)
    app.state.shutdown_hooks.insert(0, stop)
