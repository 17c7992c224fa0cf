"""Knowledge entries: the list, an entry's page, publish / discard / retire, history, diff, rollback, check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from assistant.staff.editing import STATUS_LABELS, EditError, Working, validate
from assistant.staff.forms import TOPIC_LABELS, field_errors
from assistant.staff.regression import VERDICT_LABELS, Report
from assistant.staff.web import EDITORS, Auth, redirect, render, secure_headers
from knowledge.errors import LoadProblem
from knowledge.provenance import pending_content
from knowledge.store import StaleVersion
from knowledge.versions import load_raw

router = APIRouter(include_in_schema=False)
ITEM_ID = Path(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")


@dataclass(frozen=True)
class Row:
    """One line of the knowledge list."""

    item_id: str
    name: str
    status: str
    version: int
    has_draft: bool
    faqs: int
    author: str
    updated: Any


def _rows(auth: Auth, q: str, status: str) -> list[Row]:
    st = auth.staff
    latest, drafts, live = st.store.latest_all(), st.store.drafts(), st.live.current.kb.items
    rows = []
    for item_id in sorted(set(latest) | set(drafts)):
        v, d = latest.get(item_id), drafts.get(item_id)
        item = live.get(item_id)
        raw = {} if item is not None else load_raw((d or v).text)  # type: ignore[union-attr]
        name = item.name if item else str(raw.get("name") or item_id)
        texts = [item_id, name]
        if item is not None:
            texts += [*item.aliases, *(f.question for f in item.faqs)]
        if q and not any(q.lower() in t.lower() for t in texts):
            continue
        state = v.status if v else "new"
        if status == "draft" and d is None or status in ("published", "retired") and state != status:
            continue
        newest = d or v
        assert newest is not None
        faqs = len(item.faqs) if item else len(raw.get("faqs") or [])
        rows.append(Row(item_id, name, state, v.number if v else 0, d is not None, faqs, newest.author, newest.created_at))
    return rows


@router.get("/admin/knowledge")
def knowledge_list(request: Request, auth: Auth = EDITORS, q: str = Query(default="", max_length=100),
                   status: str = Query(default="", max_length=20)) -> Response:
    rows = _rows(auth, q.strip(), status)
    return render(request, "admin/knowledge_list.html", {"rows": rows, "q": q, "status": status,
                                                         "labels": STATUS_LABELS}, auth=auth)


@router.get("/admin/placeholders")
def placeholders(request: Request, auth: Auth = EDITORS) -> Response:
    """What still needs real content: the fact groups and FAQs marked `example` of the knowledge in force
    (citizens are told these details are being confirmed, never shown them as fact)."""
    kb = auth.staff.live.current.kb
    rows = []
    for p in pending_content(kb):
        item = kb.items[p.item_id]
        faqs = [(f.id.split("/", 1)[1], f.question) for f in item.faqs if f.id in p.faqs]
        rows.append({"p": p, "faqs": faqs, "total": len(item.faqs)})
    return render(request, "admin/placeholders.html", {"rows": rows}, auth=auth)


@router.post("/admin/knowledge/new")
def create(request: Request, auth: Auth = EDITORS, item_id: str = Form(default="", max_length=100),
           name: str = Form(default="", max_length=100)) -> Response:
    try:
        auth.staff.knowledge.create(item_id, name, auth.user.username, auth.ip)
    except EditError as exc:
        rows = _rows(auth, "", "")
        return render(request, "admin/knowledge_list.html", {"rows": rows, "q": "", "status": "", "labels": STATUS_LABELS,
                                                             "create_error": exc.message, "new_id": item_id, "new_name": name},
                      422, auth=auth)
    return redirect(f"/admin/knowledge/{item_id.strip()}/item", "created")


def entry_context(auth: Auth, working: Working, problems: list[LoadProblem] | None = None) -> dict[str, Any]:
    """What the entry page shows: the working text's FAQs, its problems and the live state."""
    raw = load_raw(working.text)
    item, found = validate(working.item_id, working.text)
    problems = found if problems is None else problems
    faqs = [f for f in raw.get("faqs") or [] if isinstance(f, dict)]
    live = auth.staff.live.current.kb.items.get(working.item_id)
    return {"w": working, "raw": raw, "faqs": faqs, "problems": problems, "errors": field_errors(problems),
            "valid": item is not None, "live": live, "topics": TOPIC_LABELS}


@router.get("/admin/knowledge/{item_id}")
def entry(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    working = auth.staff.knowledge.working(item_id)
    if working is None:
        return render(request, "admin/error.html", {"title": "没有这个事项", "message": f"事项 {item_id} 不存在。"}, 404, auth=auth)
    ctx = entry_context(auth, working)
    if working.is_draft and ctx["valid"]:
        auth.staff.regression.warm()  # the live answers, ready for the check
    return render(request, "admin/entry.html", ctx, auth=auth)


@router.post("/admin/knowledge/{item_id}/publish")
def publish(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    try:
        auth.staff.knowledge.publish(item_id, auth.user.username, auth.ip)
    except EditError as exc:
        working = auth.staff.knowledge.working(item_id)
        if working is None:
            return redirect("/admin/knowledge")
        ctx = entry_context(auth, working, exc.problems or None)
        ctx["publish_error"] = exc.message
        return render(request, "admin/entry.html", ctx, 422, auth=auth)
    return redirect(f"/admin/knowledge/{item_id}", "published")


@router.post("/admin/knowledge/{item_id}/discard")
def discard(item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    auth.staff.knowledge.discard(item_id, auth.user.username, auth.ip)
    exists = auth.staff.store.latest(item_id) is not None
    return redirect(f"/admin/knowledge/{item_id}" if exists else "/admin/knowledge", "discarded")


@router.post("/admin/knowledge/{item_id}/retire")
def retire(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    try:
        auth.staff.knowledge.retire(item_id, auth.user.username, auth.ip)
    except EditError as exc:
        return render(request, "admin/error.html", {"title": "不能停用", "message": exc.message}, 409, auth=auth)
    return redirect(f"/admin/knowledge/{item_id}", "retired")


@router.get("/admin/knowledge/{item_id}/history")
def history(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    working = auth.staff.knowledge.working(item_id)
    if working is None:
        return redirect("/admin/knowledge")
    versions = auth.staff.store.history(item_id)
    return render(request, "admin/history.html", {"w": working, "versions": versions, "labels": STATUS_LABELS}, auth=auth)


@router.get("/admin/knowledge/{item_id}/diff")
def diff(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS, a: int = Query(ge=0), b: int = Query(ge=0),
         raw: int = Query(default=0, ge=0, le=1)) -> Response:
    working = auth.staff.knowledge.working(item_id)
    try:
        lines = auth.staff.knowledge.diff(item_id, a, b, raw=bool(raw))
    except EditError as exc:
        return render(request, "admin/error.html", {"title": "没有这个版本", "message": exc.message}, 404, auth=auth)
    return render(request, "admin/diff.html", {"w": working, "lines": lines, "a": a, "b": b, "raw": raw}, auth=auth)


@router.post("/admin/knowledge/{item_id}/rollback")
def rollback(request: Request, item_id: str = ITEM_ID, auth: Auth = EDITORS, number: int = Form(ge=1),
             expected: int = Form(ge=0)) -> Response:
    try:
        auth.staff.knowledge.rollback(item_id, number, auth.user.username, auth.ip, expected=expected)
    except StaleVersion:
        return render(request, "admin/error.html", {"title": "版本已变化",
                                                    "message": "有人刚刚发布了新版本，请刷新历史页后再回滚。"}, 409, auth=auth)
    except EditError as exc:
        return render(request, "admin/error.html", {"title": "不能回滚", "message": exc.message}, 422, auth=auth)
    return redirect(f"/admin/knowledge/{item_id}/history", "rolled_back")


def report_json(report: Report) -> dict[str, Any]:
    def answer(a: Any) -> dict[str, Any]:
        return {"intent": a.intent, "faq_id": a.answers_faq, "question": a.question if a.answers_faq else "",
                "score": round(a.score, 3)}

    return {
        "checked": report.checked, "index_touched": report.index_touched, "seconds": round(report.seconds, 2),
        "counts": report.counts(), "labels": VERDICT_LABELS,
        "changes": [{"text": c.question.text, "expected": c.question.expected, "source": c.question.source,
                     "verdict": c.verdict, "before": answer(c.before), "after": answer(c.after)} for c in report.changes[:500]],
    }


@router.post("/admin/api/knowledge/{item_id}/check")
async def check(item_id: str = ITEM_ID, auth: Auth = EDITORS) -> Response:
    """The regression check of the item's draft: which questions would be answered differently."""
    working = auth.staff.knowledge.working(item_id)
    if working is None:
        return secure_headers(JSONResponse({"error": "not_found", "message": "没有这个事项。"}, status_code=404))
    item, problems = validate(item_id, working.text)
    if item is None:
        return secure_headers(JSONResponse({"error": "invalid", "message": "草稿有错误，改正后才能检查。",
                                            "problems": len(problems)}, status_code=422))
    report = await run_in_threadpool(auth.staff.regression.check, {item_id: item})
    return secure_headers(JSONResponse(report_json(report)))
