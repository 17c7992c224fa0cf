"""`lingling actions`: the action server alone (no web app, no NLU), for a real Rasa server to call."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from actions.registry import build_registry
from actions.server import EXECUTOR_KEY, router

if TYPE_CHECKING:
    from actions.filings import FilingStore
    from assistant.settings import Settings
    from knowledge.loader import KnowledgeBase


def create_action_app(settings: Settings, kb: KnowledgeBase | None = None, filings: FilingStore | None = None) -> FastAPI:
    """A FastAPI app with POST /webhook, GET /actions and GET /health; loads what it needs at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from actions.filings import FilingStore
        from actions.live import KnowledgeFollower

        follower = None
        if kb is None:  # the live knowledge base of the database, following staff publishes
            follower = KnowledgeFollower(settings.db_url, settings.knowledge_dir)
            follower.start()
        app.state.knowledge_follower = follower
        base = kb if kb is not None else follower.kb  # type: ignore[union-attr]
        store = filings
        if store is None:
            store = FilingStore(settings.db_url)
            store.migrate()
        setattr(app.state, EXECUTOR_KEY, build_registry(base, store).executor())
        yield
        if filings is None:
            store.close()
        if follower is not None:
            follower.close()

    app = FastAPI(title="灵灵 action server", version="0.1.0", lifespan=lifespan)
    app.include_router(router)

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, Any]:
        """200 with {"status": "ok"} once the actions are registered."""
        ready = getattr(app.state, EXECUTOR_KEY, None) is not None
        return {"status": "ok" if ready else "starting"}

    return app


def cmd_actions(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.cli import settings_from_args

    settings = settings_from_args(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_action_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `lingling actions --host 127.0.0.1 --port 5055`."""
    s = sub.add_parser("actions", help="serve only the rasa-sdk action server (POST /webhook)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=5055)
    s.set_defaults(func=cmd_actions)
