"""人工咨询: the live queue of handoff tickets (留言, 呼叫导服), one ticket with the conversation so far, and
claiming, answering and closing it. Front-desk staff (role agent) and admins; every change is in the audit log
(HandoffDesk writes it), and so is every look at a call-back number.

GET  /admin/handoff                  the queue (refreshed by static/admin/handoff.js from the JSON below)
GET  /admin/api/handoff/queue        JSON: the tickets not closed, the hall's status
GET  /admin/handoff/{id}             one ticket
POST /admin/handoff/{id}/claim       I handle it
POST /admin/handoff/{id}/reply       text → the applicant's conversation
POST /admin/handoff/{id}/close       outcome (+ message to the applicant, + internal note)
POST /admin/handoff/{id}/phone       show the full call-back number (audited)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from assistant.handoff.desk import HandoffDesk
from assistant.handoff.model import MAX_REPLY_CHARS, OUTCOME_LABELS, HandoffError, Ticket
from assistant.services import services_of
from assistant.staff.web import AGENTS, Auth, local_time, redirect, render, secure_headers

router = APIRouter(include_in_schema=False)
TICKET_ID = Path(ge=1, le=2**31 - 1)
FLASH = {"claimed": "已接手，请尽快处理。", "replied": "回复已发送到群众的对话中。", "closed": "已结案。"}


def _desk(request: Request) -> HandoffDesk:
    return services_of(request).handoff


def _row(t: Ticket, now: Any) -> dict[str, Any]:
    return {"id": t.id, "number": t.number, "kind": t.kind, "kind_label": t.kind_label, "where": t.where,
            "question": t.question, "phone": t.masked_phone, "status": t.status, "status_label": t.status_label,
            "claimed_by": t.claimed_by, "off_hours": t.off_hours, "created_at": local_time(t.created_at),
            "waiting": t.waiting_label(now), "waiting_seconds": int(t.waiting(now).total_seconds())}


def _queue(desk: HandoffDesk) -> dict[str, Any]:
    now = desk.clock()
    status = desk.status(now)
    return {"tickets": [_row(t, now) for t in desk.queue()], "open": status.open, "hours": status.hours,
            "opens": status.opens(now), "now": local_time(now, "%H:%M:%S")}


@router.get("/admin/handoff")
async def queue_page(request: Request, auth: Auth = AGENTS) -> Response:
    desk = _desk(request)
    data = await run_in_threadpool(_queue, desk)
    closed = await run_in_threadpool(desk.closed, 20)
    return render(request, "admin/handoff.html", {**data, "closed": closed, "outcomes": OUTCOME_LABELS}, auth=auth)


@router.get("/admin/api/handoff/queue")
async def queue_json(request: Request, auth: Auth = AGENTS) -> Response:
    return secure_headers(JSONResponse(await run_in_threadpool(_queue, _desk(request))))


def _detail(request: Request, auth: Auth, ticket_id: int, error: str = "", status: int = 200,
            phone: str = "") -> Response:
    desk = _desk(request)
    try:
        ticket = desk.get(ticket_id)
    except HandoffError as exc:
        return render(request, "admin/error.html", {"title": "没有这条记录", "message": exc.message}, exc.status, auth=auth)
    done = request.query_params.get("done", "")
    ctx = {"t": ticket, "replies": desk.replies_of(ticket_id), "outcomes": OUTCOME_LABELS, "error": error,
           "now": desk.clock(), "phone": phone, "max_chars": MAX_REPLY_CHARS, "done": FLASH.get(done, "")}
    return render(request, "admin/handoff_ticket.html", ctx, status, auth=auth)


@router.get("/admin/handoff/{ticket_id}")
def detail(request: Request, ticket_id: int = TICKET_ID, auth: Auth = AGENTS) -> Response:
    return _detail(request, auth, ticket_id)


@router.post("/admin/handoff/{ticket_id}/claim")
def claim(request: Request, ticket_id: int = TICKET_ID, auth: Auth = AGENTS) -> Response:
    try:
        _desk(request).claim(ticket_id, auth.user.username, auth.ip)
    except HandoffError as exc:
        return _detail(request, auth, ticket_id, exc.message, exc.status)
    return redirect(f"/admin/handoff/{ticket_id}", "claimed")


@router.post("/admin/handoff/{ticket_id}/reply")
def reply(request: Request, ticket_id: int = TICKET_ID, auth: Auth = AGENTS,
          text: str = Form(default="", max_length=4 * MAX_REPLY_CHARS)) -> Response:
    try:
        _desk(request).reply(ticket_id, auth.user.username, text, auth.ip)
    except HandoffError as exc:
        return _detail(request, auth, ticket_id, exc.message, exc.status)
    return redirect(f"/admin/handoff/{ticket_id}", "replied")


@router.post("/admin/handoff/{ticket_id}/close")
def close(request: Request, ticket_id: int = TICKET_ID, auth: Auth = AGENTS,
          outcome: str = Form(default="", max_length=32), text: str = Form(default="", max_length=4 * MAX_REPLY_CHARS),
          note: str = Form(default="", max_length=2000)) -> Response:
    try:
        _desk(request).close(ticket_id, auth.user.username, outcome, text, note, auth.ip)
    except HandoffError as exc:
        return _detail(request, auth, ticket_id, exc.message, exc.status)
    return redirect(f"/admin/handoff/{ticket_id}", "closed")


@router.post("/admin/handoff/{ticket_id}/phone")
def phone(request: Request, ticket_id: int = TICKET_ID, auth: Auth = AGENTS) -> Response:
    """The full call-back number, shown on the page once and written to the audit log."""
    try:
        ticket = _desk(request).get(ticket_id)
    except HandoffError as exc:
        return _detail(request, auth, ticket_id, exc.message, exc.status)
    auth.record("handoff_phone", f"#{ticket_id}", None, {"phone": ticket.masked_phone})
    return _detail(request, auth, ticket_id, phone=ticket.callback_phone or "（未留电话）")
