"""The chat API of our own pages (portal chat, widget, hall kiosk).

POST /api/chat, /api/feedback, /api/reset, /api/continue; GET /api/history, /api/continued, /api/chat/updates, /api/suggestions, /api/qr.
The dialogue itself is the dialogue manager's (`services_of(request).dialogue`), the same one the Rasa REST
channel talks to. This module adds what the web faces need around it: the conversation so far (from the
dialogue's turn log, so a reloaded page or a phone that scanned the kiosk's QR code can show it),
suggested questions from the knowledge base and the QR code itself, and what staff answered to a handoff
ticket (GET /api/chat/updates, polled while a ticket is open; /api/history shows it again after a reload).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.errors import AppError, BadInput, TooLarge
from assistant.handoff.desk import HandoffDesk
from assistant.handoff.model import Reply
from assistant.security.asgi import client_ip, client_tag
from assistant.services import Services, services_of
from assistant.settings import Settings
from knowledge.loader import KnowledgeBase
from knowledge.models import Faq, FaqTopic, ServiceItem

# A sender id of our pages is a random, unguessable token made by the browser (128 bits, hex or base64url).
SENDER_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
KIOSK_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"  # a hall kiosk's id (/kiosk?id=3), told to staff called to it
# Control characters (NUL, escapes ...) are dropped from messages; line breaks and tabs stay.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The dialogue's channel name per page; the kiosk's own name lets /api/reset see a hand-over to a phone.
CHANNELS = {"portal": "web", "kiosk": "kiosk"}
# How a bare payload reads in the history when no button of the previous turn names it.
PAYLOAD_TITLES = {
    "/affirm": "确认提交",
    "/deny": "取消",
    "/correct": "修改",
    "/start_lost_notice": "开始办理遗失公告登记",
    "/start_medical_validation": "开始办理医疗机构校验",
    "/human_handoff": "转人工",
    "/check_status": "查进度",
    "/search_notice": "查遗失公告",
}


class NotFoundHere(AppError):
    """The thing asked about does not exist (for this sender)."""

    status = 404
    code = "not_found"


# --------------------------------------------------------------------------- knowledge helpers


@dataclass(frozen=True)
class PopularService:
    """A service shown as a tile or suggestion, with the question that opens it."""

    service_id: str
    name: str
    summary: str
    faq_id: str
    question: str


def overview_faq(item: ServiceItem) -> Faq:
    """The FAQ answering about the service as a whole (its first overview FAQ, else its first FAQ)."""
    return next((f for f in item.faqs if f.topic is FaqTopic.OVERVIEW), item.faqs[0])


def popular_services(kb: KnowledgeBase, limit: int = 8) -> list[PopularService]:
    """The most asked services: those applicants can file here first, then by how many ways people ask."""

    def weight(item: ServiceItem) -> tuple[int, int, str]:
        return (0 if item.filing else 1, -sum(len(f.variants) for f in item.faqs), item.id)

    out = []
    for item in sorted(kb.items.values(), key=weight)[:limit]:
        faq = overview_faq(item)
        short = item.summary.strip().split("。", 1)[0]
        out.append(PopularService(item.id, item.name, short[:60], faq.id, faq.question))
    return out


# --------------------------------------------------------------------------- history


def _payload_title(text: str, previous: list[dict[str, Any]], kb: KnowledgeBase) -> str:
    """What the page showed for a payload the user sent by a button or a multi-select."""
    for msg in previous:
        for button in msg.get("buttons") or []:
            if isinstance(button, dict) and button.get("payload") == text and button.get("title"):
                return str(button["title"])
    name, _, raw = text.partition("{")
    try:
        values = json.loads("{" + raw) if raw else {}
    except (ValueError, RecursionError):
        values = {}
    if isinstance(values, dict):
        if name == "/ask_faq" and isinstance(values.get("faq_id"), str):
            found = kb.faq(values["faq_id"])
            if found is not None:
                return found[1].question
        for msg in previous:
            custom = msg.get("custom") or {}
            key = next((k for k in (custom.get("entity"), custom.get("slot")) if k in values), None) \
                if isinstance(custom, dict) and custom.get("type") == "multi_select" else None
            if key is not None:
                titles = {str(o.get("value")): str(o.get("title")) for o in custom.get("options") or [] if isinstance(o, dict)}
                chosen = values[key]
                chosen = chosen if isinstance(chosen, list) else [chosen]
                return "、".join(titles.get(str(v), str(v)) for v in chosen)
        shown = [str(v) if not isinstance(v, list) else "、".join(map(str, v)) for v in values.values()]
        if shown:
            return "、".join(shown)
    return PAYLOAD_TITLES.get(name, text)


def history_entries(export: dict[str, Any], kb: KnowledgeBase, replies: list[Reply] | tuple[Reply, ...] = ()
                    ) -> list[dict[str, Any]]:
    """The dialogue's turn log as the entries the page renders: user text, then the bot's turn; what staff
    answered to a handoff ticket (`replies`) in its place in time."""
    entries: list[dict[str, Any]] = []
    previous: list[dict[str, Any]] = []
    waiting = sorted(replies, key=lambda r: r.id)
    for turn in export.get("turns") or []:
        created = _moment(turn.get("created_at"))
        while waiting and created is not None and waiting[0].created_at < created:
            entries.append(staff_entry(waiting.pop(0)))
        text = str(turn.get("user_text") or "")
        messages = [m for m in turn.get("messages") or [] if isinstance(m, dict)]
        shown = _payload_title(text, previous, kb) if text.startswith("/") else text
        entries.append({"role": "user", "text": shown})
        entry: dict[str, Any] = {"role": "bot", "turn_id": str(turn.get("turn_id") or ""), "messages": messages}
        if turn.get("feedback") in (1, -1):
            entry["rating"] = turn["feedback"]
        entries.append(entry)
        previous = messages
    entries += [staff_entry(r) for r in waiting]
    return entries


def _moment(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def staff_entry(reply: Reply) -> dict[str, Any]:
    """What staff told the applicant, as a bot entry of the page (no feedback buttons: `kind` staff)."""
    return {"role": "bot", "kind": "staff", "reply_id": reply.id, "messages": [reply.to_wire()]}


# --------------------------------------------------------------------------- request models


class ChatRequest(BaseModel):
    """One user message from our pages."""

    sender: str = Field(pattern=SENDER_PATTERN, description="the page's random conversation token")
    message: str = Field(min_length=1, description="the text typed, or a button payload")
    face: Literal["portal", "kiosk"] = Field(default="portal", description="which page sends it")
    kiosk: str | None = Field(default=None, pattern=KIOSK_PATTERN, description="the hall kiosk's id (kiosk page)")


class FeedbackRequest(BaseModel):
    """👍 (1) or 👎 (-1) on one bot turn."""

    sender: str = Field(pattern=SENDER_PATTERN)
    turn_id: str = Field(min_length=1, max_length=128)
    rating: Literal[1, -1]


class ResetRequest(BaseModel):
    """Wipe one conversation."""

    sender: str = Field(pattern=SENDER_PATTERN)
    face: Literal["portal", "kiosk"] = Field(default="portal", description="which page asks")


# --------------------------------------------------------------------------- routes

router = APIRouter(prefix="/api", tags=["web chat"])


def _too_long(settings: Settings) -> str:
    return f"消息太长了，灵灵一次最多能读 {settings.max_message_chars} 个字。请精简后再发送，或分几次发送。"


def _check_size(request: Request, settings: Settings) -> None:
    """Refuse bodies far beyond any allowed message before parsing them."""
    length = request.headers.get("content-length", "")
    # Up to 6 bytes per character (a JSON \\u escape), plus room for the other fields.
    if length.isdigit() and int(length) > settings.max_message_chars * 6 + 4096:
        raise TooLarge(_too_long(settings), f"body has {length} bytes")


@router.post("/chat")
async def chat(body: ChatRequest, request: Request) -> dict[str, Any]:
    """Send one message; answer {"turn_id", "messages": [Rasa REST wire dicts]}."""
    services = services_of(request)
    settings = services.settings
    _check_size(request, settings)
    text = CONTROL_CHARS.sub("", body.message).strip()
    if not text:
        raise BadInput("请输入您想咨询的内容。", "message is blank")
    if len(text) > settings.max_message_chars:
        raise TooLarge(_too_long(settings), f"message has {len(text)} characters, limit {settings.max_message_chars}")
    client = client_tag(settings.secret_key, client_ip(request.scope))  # per-client limits (actions/status.py)
    metadata: dict[str, Any] = {"face": body.face, "client": client}
    if body.face == "kiosk" and body.kiosk:
        metadata["kiosk"] = body.kiosk
    result = await services.dialogue.handle(body.sender, text, channel=CHANNELS[body.face], metadata=metadata)
    return {"turn_id": str(result.turn_id), "messages": [m.to_wire(body.sender) for m in result.messages]}


@router.post("/feedback")
async def feedback(body: FeedbackRequest, request: Request) -> dict[str, Any]:
    """Record 👍/👎 on a bot turn of this sender."""
    dm = services_of(request).dialogue
    ok = await dm.blocking(dm.record_feedback, body.sender, body.turn_id, body.rating)
    if not ok:
        raise NotFoundHere("没有找到这条回答，可能对话已被清空。", f"turn {body.turn_id} unknown for this sender")
    return {"ok": True, "turn_id": body.turn_id, "rating": body.rating}


@router.post("/reset")
async def reset(body: ResetRequest, request: Request) -> dict[str, Any]:
    """Wipe the sender's conversation on the server (dialogue state and every stored turn).

    One exception: a kiosk wiping its screen leaves alone a conversation the applicant has since continued
    on their phone (scanned the QR code; the latest turn came from the portal page) — it is theirs now.
    """
    dm = services_of(request).dialogue
    if body.face == "kiosk":
        turns = (await dm.blocking(dm.export, body.sender)).get("turns") or []
        continued = await dm.blocking(dm.continued_elsewhere, body.sender)
        if continued or (turns and turns[-1].get("channel") == CHANNELS["portal"]):
            return {"ok": True, "kept": "continued_on_phone"}
    await dm.blocking(dm.reset, body.sender)
    return {"ok": True}


class ContinueRequest(BaseModel):
    """A phone opened the kiosk's QR link: it takes the conversation over."""

    sender: str = Field(pattern=SENDER_PATTERN)


@router.post("/continue")
async def continue_on_phone(body: ContinueRequest, request: Request) -> dict[str, Any]:
    """The phone that scanned a kiosk's QR code tells the server; the kiosk (polling /api/continued) then clears
    its screen within seconds, and its wipe leaves the conversation to the phone."""
    taken = await services_of(request).dialogue.continue_elsewhere(body.sender)
    return {"ok": True, "continued": taken}


@router.get("/continued")
def continued(request: Request, sender: str = Query(pattern=SENDER_PATTERN)) -> dict[str, Any]:
    """Has a phone taken this (kiosk) conversation over? The kiosk polls this while someone uses it."""
    return {"sender": sender, "continued": services_of(request).dialogue.continued_elsewhere(sender)}


@router.get("/history")
async def history(request: Request, sender: str = Query(pattern=SENDER_PATTERN)) -> dict[str, Any]:
    """The conversation so far, as the page shows it (empty once reset or unknown); `waiting` while a handoff
    ticket of it is open (the page then polls /api/chat/updates)."""
    services = services_of(request)
    return await services.dialogue.blocking(_history, services, sender)


def _history(services: Services, sender: str) -> dict[str, Any]:
    replies = services.handoff.updates(sender, limit=500)
    entries = history_entries(services.dialogue.export(sender), services.knowledge.current.kb, replies)
    return {"sender": sender, "entries": entries, "waiting": services.handoff.waiting(sender)}


@router.get("/chat/updates")
async def updates(request: Request, sender: str = Query(pattern=SENDER_PATTERN),
                  since: int = Query(default=0, ge=0, le=2**62, description="the last reply_id the page has"),
                  ) -> dict[str, Any]:
    """What staff said since `since` (entries like /api/history's), the new cursor, and whether a handoff ticket
    of this conversation is still open (keep polling while `waiting`)."""
    services = services_of(request)
    return await services.dialogue.blocking(_updates, services.handoff, sender, since)


def _updates(desk: HandoffDesk, sender: str, since: int) -> dict[str, Any]:
    replies = desk.updates(sender, since)
    return {"entries": [staff_entry(r) for r in replies], "cursor": max((r.id for r in replies), default=since),
            "waiting": desk.waiting(sender)}


@router.get("/suggestions")
def suggestions(request: Request, limit: int = Query(default=6, ge=1, le=20)) -> dict[str, Any]:
    """Suggested questions (overview FAQs of the most asked services) and the services themselves."""
    services = popular_services(services_of(request).knowledge.current.kb, limit)
    return {
        "suggestions": [{"text": s.question, "faq_id": s.faq_id, "service_id": s.service_id} for s in services],
        "services": [
            {"service_id": s.service_id, "name": s.name, "summary": s.summary, "faq_id": s.faq_id, "question": s.question}
            for s in services
        ],
    }


def public_base(request: Request) -> str:
    """Where citizens reach us: LINGLING_PUBLIC_BASE_URL, else the address this request came to (no trailing /)."""
    return services_of(request).settings.public_base or str(request.base_url).rstrip("/")


def continue_url(request: Request, sender: str) -> str:
    """The URL that continues this conversation on another device."""
    return f"{public_base(request)}/?sender={sender}"


def qr_svg(data: str, title: str = "手机扫码继续对话") -> bytes:
    """An SVG QR code of `data` (medium error correction)."""
    import segno

    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=8, border=2, dark="#111111", light="#ffffff",
                                     xmldecl=False, title=title)
    return buf.getvalue()


@router.get("/qr", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
def qr(request: Request, sender: str = Query(pattern=SENDER_PATTERN)) -> Response:
    """SVG QR code with the URL that continues this conversation on a phone."""
    return Response(qr_svg(continue_url(request, sender)), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})
