"""`lingling actions`: the action server alone (no web app, no NLU), for a real Rasa server to call.

Its start-up is `running_action_services`: the knowledge store's and the filings' tables upgraded, the live
knowledge base followed, the filing store opened, the actions registered — closed in reverse order.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from rasa_sdk.executor import ActionExecutor

from actions.common import Understand
from actions.door import ActionGuard
from actions.filings import FilingStore
from actions.filings.institutions import InstitutionRegistry
from actions.filings.tables import SCHEMA as FILINGS
from actions.live import KnowledgeFollower
from actions.offload import Offload
from actions.registry import build_registry
from actions.reminders.config import ReminderSettings
from actions.reminders.service import ReminderService
from actions.server import router
from actions.settings import StateSettings
from knowledge.clock import Clock, system_clock
from knowledge.loader import KnowledgeBase
from knowledge.schema import upgrade_database
from knowledge.store import SCHEMA as KNOWLEDGE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionServices:
    """What the standalone action server runs on."""

    settings: StateSettings
    knowledge: Callable[[], KnowledgeBase]  # the knowledge base in force
    filings: FilingStore
    actions: ActionExecutor  # read by POST /webhook (actions/server.py)


def remote_understand(nlu_url: str, timeout: float = 10.0) -> Understand:
    """`Understand` over HTTP: POST {nlu_url}/model/parse of a 灵灵 server; [] when it fails or reads no service
    question (the action then says it did not understand, never guesses)."""
    import httpx

    url = nlu_url.rstrip("/") + "/model/parse"

    def understand(text: str) -> list[dict[str, Any]]:
        try:
            reply = httpx.post(url, json={"text": text}, timeout=timeout)
            reply.raise_for_status()
            parsed = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("NLU server %s failed: %s", url, exc)
            return []
        if (parsed.get("intent") or {}).get("name") != "ask_service":
            return []
        return list((parsed.get("retrieval") or {}).get("ranking") or [])

    return understand


@asynccontextmanager
async def running_action_services(settings: StateSettings, kb: KnowledgeBase | None = None,
                                  filings: FilingStore | None = None,
                                  clock: Clock = system_clock) -> AsyncIterator[ActionServices]:
    """Build the services in order; close them in reverse order on exit. `kb` / `filings` replace the live
    knowledge base / the store of `settings` (tests)."""
    async with AsyncExitStack() as stack:
        await asyncio.to_thread(upgrade_database, settings.db_url, (KNOWLEDGE, FILINGS))
        if kb is None:  # the live knowledge base of the database, following staff publishes
            follower = KnowledgeFollower(settings.db_url, settings.knowledge_dir)
            stack.callback(follower.close)
            follower.start()
            knowledge: Callable[[], KnowledgeBase] = follower.kb
        else:
            fixed = kb
            knowledge = lambda: fixed  # noqa: E731
        if filings is None:
            filings = FilingStore(settings.db_url, settings.public_base, clock=clock)
            stack.callback(filings.close)
        offload = Offload()
        stack.callback(offload.close)
        # the chat channel only: the action server tells identified institutions, the app's job sends the rest
        reminders = ReminderService(filings, ReminderSettings(), channels={}, clock=clock)
        understand = remote_understand(settings.nlu_url) if settings.nlu_url else None
        executor = build_registry(knowledge, filings, clock, institutions=InstitutionRegistry(filings),
                                  reminders=reminders, understand=understand).executor(offload)  # actions off the event loop
        yield ActionServices(settings, knowledge, filings, executor)


def create_action_app(settings: StateSettings, kb: KnowledgeBase | None = None, filings: FilingStore | None = None,
                      clock: Clock = system_clock) -> FastAPI:
    """A FastAPI app with POST /webhook, GET /actions and GET /health; its services start in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_action_services(settings, kb, filings, clock) as services:
            app.state.services = services
            yield
            app.state.services = None

    app = FastAPI(title="灵灵 action server", version="0.1.0", lifespan=lifespan)
    app.state.services = None
    app.include_router(router)
    app.add_middleware(ActionGuard, token=settings.action_token, max_body=settings.action_body_bytes)  # type: ignore[arg-type]  # actions/door.py

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, Any]:
        """200 with {"status": "ok"} once the actions are registered."""
        return {"status": "ok" if app.state.services is not None else "starting"}

    return app


def cmd_actions(args: argparse.Namespace) -> int:
    import uvicorn

    settings = StateSettings.from_args(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_action_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `lingling actions --host 127.0.0.1 --port 5055`."""
    s = sub.add_parser("actions", help="serve only the rasa-sdk action server (POST /webhook)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=5055)
    s.set_defaults(func=cmd_actions)
