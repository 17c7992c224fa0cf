"""The app factory: `create_app(settings)` wires routes; the engine loads at start-up, not at import."""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant.container import Engine
from assistant.errors import install_error_handlers
from assistant.settings import Settings

log = logging.getLogger(__name__)

EngineFactory = Callable[[Settings], Engine]


def default_engine(settings: Settings) -> Engine:
    """Load the live knowledge base (the knowledge store's published versions, seeded from the YAML folder
    when empty) and the NLU pipeline from disk (building what is missing)."""
    from assistant.engine import build_pipeline
    from assistant.staff.live import GENERATION_KEY
    from assistant.staff.services import load_live_kb

    kb, generation = load_live_kb(settings)
    engine = Engine(settings=settings, kb=kb, nlu=build_pipeline(settings, kb))
    engine.extras[GENERATION_KEY] = generation
    return engine


def create_app(settings: Settings | None = None, engine_factory: EngineFactory | None = None) -> FastAPI:
    """A new app for `settings`; `engine_factory` lets tests inject a fast engine."""
    settings = settings or Settings()
    factory = engine_factory or default_engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = factory(settings)
        app.state.engine = engine
        for hook in app.state.startup_hooks:
            done = hook(app, engine)
            if inspect.isawaitable(done):  # async hooks (assistant.ops.web) run in the app's event loop
                await done
        if settings.announce:
            print(f"灵灵 ready: http://{settings.host}:{settings.port}", file=sys.stderr, flush=True)
        yield
        for hook in app.state.shutdown_hooks:
            done = hook(app, engine)
            if inspect.isawaitable(done):
                await done

    app = FastAPI(title="灵灵 Lingling", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    install_error_handlers(app)
    from assistant.routes import health, nlu

    app.include_router(health.router)
    app.include_router(nlu.router)
    _extend(app, settings)
    from assistant.ops.web import register as register_ops  # last: its start-up hook needs the dialogue

    register_ops(app, settings)
    _harden(app, settings)
    return app


def _harden(app: FastAPI, settings: Settings) -> None:
    """Middlewares around every door: rate limits, body size, CORS, request logs/metrics, security headers."""
    from assistant import observability, security

    security.install(app, settings)
    observability.install(app, settings)
    security.install_headers(app, settings)


def _extend(app: FastAPI, settings: Settings) -> None:
    """Routes of later parts (dialogue, action server, pages) register here."""
    try:
        from assistant.routes.more import register
    except ImportError:
        return
    register(app, settings)
