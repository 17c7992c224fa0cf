"""The inbox of unanswered and poorly answered questions."""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from assistant.staff.inbox import REASON_LABELS, Inbox
from assistant.staff.web import EDITORS, Auth, redirect, render

router = APIRouter(include_in_schema=False)


def _ids(turn_ids: str) -> list[str]:
    return [t for t in (x.strip() for x in turn_ids.split(",")) if t and len(t) <= 64][:5000]


async def _page(request: Request, auth: Auth, days: int, message: str = "", status: int = 200) -> Response:
    inbox = Inbox(auth.staff)
    clusters = await run_in_threadpool(inbox.clusters, days)
    kb = auth.staff.live.current.kb
    ctx = {"clusters": clusters, "days": days, "reasons": REASON_LABELS, "message": message,
           "faq_ids": [f.id for _, f in kb.faqs], "items": sorted(((i.id, i.name) for i in kb.items.values()), key=lambda x: x[1])}
    return render(request, "admin/inbox.html", ctx, status, auth=auth)


@router.get("/admin/inbox")
async def inbox(request: Request, auth: Auth = EDITORS, days: int = Query(default=30, ge=1, le=365)) -> Response:
    return await _page(request, auth, days)


@router.post("/admin/inbox/dismiss")
def dismiss(auth: Auth = EDITORS, turn_ids: str = Form(default=""), text: str = Form(default="", max_length=500)) -> Response:
    n = Inbox(auth.staff).dismiss(_ids(turn_ids), auth.user.username)
    auth.record("inbox_dismiss", text, None, {"turns": n})
    return redirect("/admin/inbox", "dismissed")


@router.post("/admin/inbox/variant")
async def variant(request: Request, auth: Auth = EDITORS, turn_ids: str = Form(default=""),
                  faq_id: str = Form(default="", max_length=200), text: str = Form(default="", max_length=500)) -> Response:
    try:
        item_id = await run_in_threadpool(Inbox(auth.staff).add_variant, _ids(turn_ids), faq_id.strip(), text,
                                          auth.user.username, auth.ip)
    except ValueError as exc:
        return await _page(request, auth, 30, str(exc), 422)
    auth.record("inbox_variant", faq_id, None, {"text": text.strip()})
    return redirect(f"/admin/knowledge/{item_id}", "variant")


@router.post("/admin/inbox/new-faq")
async def new_faq(request: Request, auth: Auth = EDITORS, turn_ids: str = Form(default=""),
                  item_id: str = Form(default="", max_length=100), text: str = Form(default="", max_length=500)) -> Response:
    try:
        slug = await run_in_threadpool(Inbox(auth.staff).new_faq, _ids(turn_ids), item_id.strip(), text,
                                       auth.user.username, auth.ip)
    except ValueError as exc:
        return await _page(request, auth, 30, str(exc), 422)
    auth.record("inbox_new_faq", f"{item_id}/{slug}", None, {"text": text.strip()})
    return redirect(f"/admin/knowledge/{item_id.strip()}/faq/{slug}", "new_faq")
