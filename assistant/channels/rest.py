"""Rasa's REST channel: POST /webhooks/rest/webhook {"sender", "message"} → a list of bot messages.

A request without `sender` gets a conversation of its own (a fresh random id, returned as `recipient_id`), not
Rasa's shared "default" one: two clients that leave it out must not read each other's conversation."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from assistant.errors import Unavailable
from assistant.security.asgi import client_ip, client_tag
from assistant.services import services_of

router = APIRouter(tags=["rasa channels"])


class RestMessage(BaseModel):
    """Rasa's REST channel request."""

    sender: str | None = Field(default=None, min_length=1, max_length=128,
                               description="the conversation's id; without one, a new conversation for this message")
    message: str | None = None
    metadata: dict[str, Any] | None = None


@router.get("/webhooks/rest/")
def rest_health() -> dict[str, str]:
    """Rasa's channel health answer."""
    return {"status": "ok"}


@router.post("/webhooks/rest/webhook")
async def rest_webhook(body: RestMessage, request: Request) -> list[dict[str, Any]]:
    """Handle one message; the reply is Rasa's list of {recipient_id, text, buttons?, image?, custom?}."""
    services = services_of(request)
    dm = services.dialogue
    # the client's pseudonym for per-client limits (actions/status.py), set here, never taken from the body
    metadata = {**(body.metadata or {}), "client": client_tag(services.settings.secret_key, client_ip(request.scope))}
    try:
        sender = body.sender or f"anonymous-{uuid.uuid4().hex}"
        result = await dm.handle(sender, body.message or "", channel="rest", metadata=metadata)
    except SQLAlchemyError as exc:
        raise Unavailable("系统繁忙，请稍后再试，或拨打大厅咨询电话。", f"database: {exc.__class__.__name__}") from exc
    return [m.to_wire(sender) for m in result.messages]
