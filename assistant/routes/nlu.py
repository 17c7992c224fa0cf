"""POST /model/parse — Rasa's NLU door, plus `retrieval`.

A text may be as long as a chat message (`LINGLING_MAX_MESSAGE_CHARS`, 2000 characters; 413 beyond). Parsing
runs on the process's parse gate (nlu/gate.py): off the event loop, a few texts at a time, 503 when too many
wait — so parse requests cannot stall the other doors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator

from assistant.errors import TooLarge
from assistant.services import services_of
from knowledge.clock import today
from nlu.pipeline import CONTRACT_INTENTS
from nlu.types import Focus

router = APIRouter()
# Internal payload intents of the dialogue, as the contract names them.
PAYLOAD_INTENTS = {"ask_faq": "ask_service", "inform": "affirm", "correct": "deny", "restart": "greet",
                   "human_handoff": "human_handoff"}


class FocusRequest(BaseModel):
    """The conversation's topic in focus (API.md): a follow-up without its own subject is resolved against it."""

    service_id: str = Field(min_length=1, max_length=200, description="the service the conversation is about")
    faq_id: str | None = Field(default=None, max_length=400, description="the FAQ answered last, if known")


class ParseRequest(BaseModel):
    """Rasa's parse request."""

    text: str = Field(description="the user's message")
    message_id: str | None = Field(default=None, description="ignored; accepted for Rasa compatibility")
    focus: FocusRequest | None = Field(default=None, description="the conversation's topic in focus")

    @field_validator("text")
    @classmethod
    def _no_lone_surrogates(cls, v: str) -> str:
        # JSON may carry "\ud800"; such text cannot be encoded back to UTF-8, so replace it.
        return v.encode("utf-8", "replace").decode("utf-8") if any("\ud800" <= c <= "\udfff" for c in v) else v


@router.post("/model/parse", tags=["nlu"])
async def model_parse(body: ParseRequest, request: Request) -> dict[str, Any]:
    """Intent, entities and the knowledge entries that answer the message."""
    services = services_of(request)
    limit = services.settings.max_message_chars  # the chat doors' limit
    if len(body.text) > limit:
        raise TooLarge(f"消息太长了，灵灵一次最多能读 {limit} 个字，请精简后再发送。",
                       f"text has {len(body.text)} characters, limit {limit}")
    focus = Focus(body.focus.service_id, body.focus.faq_id) if body.focus else None
    result = await services.parsing.parse(services.knowledge.current.nlu, body.text, today(services.clock), focus)
    wire = result.to_wire()
    name = wire["intent"]["name"]
    if name not in CONTRACT_INTENTS:
        # A payload with an intent of our own (/ask_faq, /inform ...): report a contract intent, keep the original.
        wire["intent"] = {"name": PAYLOAD_INTENTS.get(name, "out_of_scope"), "confidence": wire["intent"]["confidence"]}
        wire["intent_ranking"] = [wire["intent"]]
        wire["payload_intent"] = name
        if name == "ask_faq":  # a button naming its FAQ: that entry answers it
            wire["retrieval"]["match"] = "answer"
    return wire
