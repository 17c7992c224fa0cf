"""Rasa's REST channel: POST /webhooks/rest/webhook {"sender", "message"} → a list of bot messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from assistant.container import Engine
from assistant.errors import Unavailable
from assistant.settings import Settings

DIALOGUE_KEY = "dialogue"

router = APIRouter(tags=["rasa channels"])


class RestMessage(BaseModel):
    """Rasa's REST channel request."""

    sender: str = Field(default="default", min_length=1, max_length=128)
    message: str | None = None
    metadata: dict[str, Any] | None = None


@router.get("/webhooks/rest/")
def rest_health() -> dict[str, str]:
    """Rasa's channel health answer."""
    return {"status": "ok"}


@router.post("/webhooks/rest/webhook")
async def rest_webhook(body: RestMessage, request: Request) -> list[dict[str, Any]]:
    """Handle one message; the reply is Rasa's list of {recipient_id, text, buttons?, image?, custom?}."""
    engine = getattr(request.app.state, "engine", None)
    dm = engine.extras.get(DIALOGUE_KEY) if engine is not None else None
    if dm is None:
        raise Unavailable("灵灵正在启动，请稍后再试。", "no dialogue manager in engine.extras")
    try:
        result = await dm.handle(body.sender, body.message or "", channel="rest", metadata=body.metadata)
    except SQLAlchemyError as exc:
        raise Unavailable("系统繁忙，请稍后再试，或拨打大厅咨询电话。", f"database: {exc.__class__.__name__}") from exc
    return [m.to_wire(body.sender) for m in result.messages]


def start_dialogue(app: FastAPI, engine: Engine) -> None:
    """Start-up hook: the DialogueManager into engine.extras["dialogue"] (and a FilingStore if absent)."""
    from actions.client import InProcessActionClient
    from actions.server import EXECUTOR_KEY, ensure_filings
    from assistant.dialogue.factory import build_manager

    filings, created = ensure_filings(engine.extras, engine.settings.db_url)
    if created:
        app.state.filings_owned = True
    executor = engine.extras.get(EXECUTOR_KEY)
    client = InProcessActionClient(executor) if executor is not None and not engine.settings.action_endpoint_url else None
    engine.extras[DIALOGUE_KEY] = build_manager(engine.settings, engine.nlu, engine.kb, filings, actions=client)


def stop_dialogue(app: FastAPI, engine: Engine) -> None:
    """Shutdown hook: release the dialogue's database connections."""
    dm = engine.extras.get(DIALOGUE_KEY)
    if dm is not None:
        dm.close()
    filings = engine.extras.get("filings")
    if getattr(app.state, "filings_owned", False) and filings is not None:
        filings.close()


def register(app: FastAPI, settings: Settings) -> None:
    """Add the REST channel and the dialogue's start-up hook."""
    app.include_router(router)
    app.state.startup_hooks.append(start_dialogue)
    app.state.shutdown_hooks.append(stop_dialogue)
