"""Staff routes for personal-data requests (admins only, every step in the audit log).

GET  /admin/privacy                         page: find a conversation, export it, delete it
GET  /admin/privacy/conversations           JSON: {"matches": [...]} for ?sender= / ?filing= / ?phone=
GET  /admin/privacy/export?sender=...       the conversation as a JSON download
POST /admin/privacy/delete                  delete it (form field or JSON key `sender`; CSRF token required)
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from assistant.privacy import subject
from assistant.privacy.masking import mask_text
from assistant.staff import web
from assistant.staff.web import ADMINS, Auth, redirect, render

router = APIRouter(include_in_schema=False)
SENDER = Query(default="", max_length=128)
NOT_FOUND = "没有找到这个对话（可能已被删除或已超过保存期限）。"


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or "x-csrf-token" in request.headers


def _lookup(auth: Auth, sender: str, filing: str, phone: str) -> list[subject.Match]:
    matches = subject.find(auth.staff.db, sender, filing, phone)
    # The audit log keeps what was asked for, the phone number masked.
    auth.record("privacy_lookup", sender or filing or mask_text(phone), None,
                {"filing": filing, "phone": mask_text(phone), "found": [m.sender_id for m in matches]})
    return matches


@router.get("/admin/privacy")
async def page(request: Request, auth: Auth = ADMINS, sender: str = SENDER, filing: str = Query(default="", max_length=32),
               phone: str = Query(default="", max_length=32)) -> Response:
    asked = bool(sender.strip() or filing.strip() or phone.strip())
    matches = await run_in_threadpool(_lookup, auth, sender, filing, phone) if asked else []
    return render(request, "admin/privacy.html", {"matches": matches, "asked": asked, "sender": sender, "filing": filing,
                                                  "phone": phone, "retention_days": auth.staff.settings.retention_days},
                  auth=auth)


@router.get("/admin/privacy/conversations")
async def conversations(auth: Auth = ADMINS, sender: str = SENDER, filing: str = Query(default="", max_length=32),
                        phone: str = Query(default="", max_length=32)) -> Response:
    if not (sender.strip() or filing.strip() or phone.strip()):
        return web.secure_headers(JSONResponse({"error": "bad_request", "message": "请填写对话编号、受理编号或手机号。"},
                                               status_code=422))
    matches = await run_in_threadpool(_lookup, auth, sender, filing, phone)
    return web.secure_headers(JSONResponse({"matches": [m.to_json() for m in matches]}))


@router.get("/admin/privacy/export")
async def export(auth: Auth = ADMINS, sender: str = Query(min_length=1, max_length=128)) -> Response:
    data = await run_in_threadpool(subject.export, auth.staff.db, sender)
    if data is None:
        return web.secure_headers(JSONResponse({"error": "not_found", "message": NOT_FOUND}, status_code=404))
    auth.record("privacy_export", sender, None, {"turns": len(data["turns"]), "filings": data["filings"]})
    body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in sender)[:64]
    return web.secure_headers(Response(body, media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="lingling-conversation-{safe}.json"'}))


@router.post("/admin/privacy/delete")
async def delete(request: Request, auth: Auth = ADMINS) -> Response:
    sender = await _sender_of(request)
    if not sender or len(sender) > 128:
        if _wants_json(request):
            return web.secure_headers(JSONResponse({"error": "bad_request", "message": "请填写要删除的对话编号。"}, status_code=422))
        return redirect("/admin/privacy")
    counts = await run_in_threadpool(subject.delete_conversation, auth.staff.db, sender)
    auth.record("privacy_delete", sender, None, counts)
    if _wants_json(request):
        return web.secure_headers(JSONResponse({"ok": True, "sender_id": sender, "deleted": counts}))
    return redirect("/admin/privacy", "removed")


async def _sender_of(request: Request) -> str:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return ""
        value = body.get("sender") if isinstance(body, dict) else None
        return value.strip() if isinstance(value, str) else ""
    form = await request.form()
    return str(form.get("sender") or "").strip()
