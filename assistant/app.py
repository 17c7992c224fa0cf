"""The app factory: `create_app(settings)` wires the doors; the services start in the lifespan, not at import.

Every door is listed here, in matching order; the services they use are built by `running_services`
(assistant/services.py) when the app starts and reached with `services_of(request)`.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from actions import server as action_server
from assistant import observability, security
from assistant.channels import rest, socketio
from assistant.http_errors import install_error_handlers
from assistant.loading import load_snapshot
from assistant.ops import web as ops_web
from assistant.ops.config import is_postgres
from assistant.privacy import routes as privacy
from assistant.routes import chat, health, nlu, notices, pages, results
from assistant.services import KnowledgeFactory, running_services
from assistant.settings import Settings
from assistant.staff import routes as staff
from assistant.staff.web import install_handlers as install_staff_handlers
from knowledge.clock import Clock, system_clock

ROUTERS: tuple[APIRouter, ...] = (
    health.router,  # GET /health
    nlu.router,  # POST /model/parse
    action_server.router,  # POST /webhook, GET /actions (rasa-sdk action server)
    rest.router,  # POST /webhooks/rest/webhook
    notices.router,  # GET /notices, /notices/{number}, PDF
    results.router,  # GET /validation-results (一网公示), /validation-results/{number}, verify
    chat.router,  # portal chat API (/api/chat, feedback, history ...)
    pages.router,  # /, /widget.js, /kiosk, /print/materials
    socketio.router,  # GET /webhooks/socketio/ (the channel itself is mounted at /socket.io)
    *staff.ROUTERS,  # /admin (staff console)
    privacy.router,  # /admin/privacy (a person's conversation: export, delete)
    ops_web.router,  # GET /health/ready
)


def create_app(settings: Settings | None = None, knowledge_factory: KnowledgeFactory = load_snapshot,
               clock: Clock = system_clock) -> FastAPI:
    """A new app for `settings`; `knowledge_factory` and `clock` let tests inject a fast pipeline and a fixed time."""
    settings = settings or Settings()
    settings.check_serving()  # no app with the published default secret outside development

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_services(settings, knowledge_factory, clock) as services:
            app.state.services = services
            if settings.announce:
                print(f"灵灵 ready: http://{settings.host}:{settings.port}", file=sys.stderr, flush=True)
            try:
                async with app.state.socketio.pushing(services.handoff):  # staff replies to socket.io sessions
                    yield
            finally:
                app.state.services = None

    docs = settings.serves_api_docs  # /docs, /redoc and /openapi.json: not in production unless LINGLING_API_DOCS
    app = FastAPI(title="灵灵 Lingling", version="0.1.0", lifespan=lifespan, docs_url="/docs" if docs else None,
                  redoc_url="/redoc" if docs else None, openapi_url="/openapi.json" if docs else None)
    app.state.settings = settings
    app.state.services = None  # assistant.services.Services once started
    install_error_handlers(app, postgres=is_postgres(settings.db_url))
    install_staff_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    channel = socketio.mount(app, settings)
    # Middlewares, innermost first: worker header, rate limits ... security headers outermost (assistant/security).
    app.add_middleware(ops_web.WorkerHeader)  # type: ignore[arg-type]
    limiter = security.install(app, settings, channel)
    observability.install(app, settings, limiter)
    security.install_headers(app, settings)
    return app
