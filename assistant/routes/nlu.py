"""POST /model/parse — Rasa's NLU door, plus `retrieval`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from assistant.container import Engine
from assistant.errors import TooLarge

router = APIRouter()


class ParseRequest(BaseModel):
    """Rasa's parse request."""

    text: str = Field(description="the user's message")
    message_id: str | None = Field(default=None, description="ignored; accepted for Rasa compatibility")


@router.post("/model/parse", tags=["nlu"])
def model_parse(body: ParseRequest, request: Request) -> dict[str, Any]:
    """Intent, entities and the knowledge entries that answer the message."""
    engine: Engine = request.app.state.engine
    limit = engine.settings.max_message_chars * 50
    if len(body.text) > limit:
        raise TooLarge("消息太长了，请精简后再发送。", f"text has {len(body.text)} characters, limit {limit}")
    return engine.nlu.parse(body.text).to_wire()
