"""The operations part of the web app: the worker header and GET /health/ready (the database outage answers
are in assistant/http_errors.py; the worker's lock and listener in assistant/ops/runtime.py)."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.http_errors import DB_DOWN
from assistant.ops.runtime import probe_database
from assistant.services import Services

WORKER_HEADER = b"x-lingling-worker"

router = APIRouter(tags=["ops"])


class WorkerHeader:
    """Adds `X-Lingling-Worker: <pid>` to every HTTP answer (which worker process served it)."""

    def __init__(self, app: ASGIApp):
        self.app = app

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


@router.get("/health/ready")
def ready(request: Request) -> JSONResponse:
    """200 when the services are up and the database answers and can be written within a short timeout
    (assistant/ops/runtime.py `probe_database`); 503 (Chinese message) otherwise. A thread of its own, never the
    database pool the dialogue uses, so a locked database gives a quick 503 here, not a wait."""
    services: Services | None = request.app.state.services
    worker = os.getpid()
    if services is None:
        return JSONResponse({"status": "starting", "message": "灵灵正在启动，请稍后再试。", "worker": worker}, status_code=503)
    ops = services.ops
    try:
        probe_database(ops.db)
    except Exception as exc:  # any driver error means: not ready
        return JSONResponse({"status": "unavailable", "message": DB_DOWN, "worker": worker,
                             "detail": exc.__class__.__name__}, status_code=503)
    body: dict[str, Any] = {"status": "ok", "worker": worker, "database": "ok",
                            "sender_lock": ops.lock_kind, "knowledge_listener": ops.listening()}
    return JSONResponse(body)
