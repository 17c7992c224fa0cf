"""The medical-validation side of the console: the institution registry (import with a preview, then commit),
the reminders (who falls due, every delivery's status, 重新发送), corrections of published results and the
validation figures. Personal data (contacts, phones, addresses) is shown to reviewers only, never logged."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from actions.filings import FilingError
from actions.filings import reminders as records
from actions.filings.figures import validation_figures
from actions.filings.results import OUTCOME_LABELS, OUTCOMES, RESULT_LABELS
from assistant.services import services_of
from assistant.staff.routes.filings import QUEUES
from assistant.staff.web import REVIEWERS, Auth, redirect, render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 10 * 1024 * 1024
UPLOAD = File(...)


def _tabs(auth: Auth) -> dict[str, Any]:
    return {"queues": QUEUES, "kind": "", "status": "", "today": auth.staff.today()}


# ---- the institution registry -------------------------------------------------------------------
@router.get("/admin/institutions")
def institutions(request: Request, auth: Auth = REVIEWERS, q: str = Query(default="", max_length=100)) -> Response:
    services = services_of(request)
    rows, total = services.institutions.search(q.strip(), 1, 100)
    return render(request, "admin/institutions.html", {
        "rows": rows, "total": total, "q": q, "imports": services.institutions.imports(10), **_tabs(auth)}, auth=auth)


@router.post("/admin/institutions/import")
async def import_preview(request: Request, auth: Auth = REVIEWERS, file: UploadFile = UPLOAD) -> Response:
    services = services_of(request)
    data = await file.read(MAX_UPLOAD + 1)
    name = file.filename or ""
    ctx = {"rows": [], "total": 0, "q": "", "imports": services.institutions.imports(10), **_tabs(auth)}
    if len(data) > MAX_UPLOAD:
        return render(request, "admin/institutions.html", {**ctx, "message": "文件超过 10 MB。"}, 413, auth=auth)
    if not name.lower().endswith((".xlsx", ".csv")):
        return render(request, "admin/institutions.html", {**ctx, "message": "请上传 .xlsx 或 .csv 文件。"}, 422, auth=auth)
    try:
        view = await run_in_threadpool(services.institutions.preview_import, name, data, auth.user.username)
    except FilingError as exc:
        return render(request, "admin/institutions.html", {**ctx, "message": exc.message}, exc.status, auth=auth)
    auth.record("institutions_preview", view.id, None, {"file": name, "rows": len(view.rows), "errors": len(view.errors)})
    return redirect(f"/admin/institutions/import/{view.id}")


@router.get("/admin/institutions/import/{import_id}")
def import_page(request: Request, import_id: str, auth: Auth = REVIEWERS) -> Response:
    view = services_of(request).institutions.import_view(import_id)
    if view is None:
        return render(request, "admin/error.html", {"title": "没有这次导入", "message": "导入记录不存在。"}, 404, auth=auth)
    return render(request, "admin/institution_import.html", {"imp": view, **_tabs(auth)}, auth=auth)


@router.post("/admin/institutions/import/{import_id}/{action}")
def import_decide(request: Request, import_id: str, action: str, auth: Auth = REVIEWERS) -> Response:
    registry = services_of(request).institutions
    if action == "commit":
        try:
            done = registry.commit_import(import_id, auth.user.username)
        except FilingError as exc:
            return render(request, "admin/error.html", {"title": "无法提交", "message": exc.message}, exc.status, auth=auth)
        auth.record("institutions_import", import_id, None, done.summary)
        return redirect(f"/admin/institutions/import/{import_id}", "imported")
    if action == "discard":
        registry.discard_import(import_id)
        auth.record("institutions_discard", import_id)
        return redirect("/admin/institutions", "discarded")
    return render(request, "admin/error.html", {"title": "无效操作", "message": "未知的操作。"}, 404, auth=auth)


# ---- reminders ----------------------------------------------------------------------------------
@router.get("/admin/reminders")
def reminders(request: Request, auth: Auth = REVIEWERS, status: str = Query(default="", max_length=16)) -> Response:
    service = services_of(request).reminders
    return render(request, "admin/reminders.html", {
        "rows": service.due(auth.staff.today()), "months": service.cfg.reminder_months,
        "deliveries": service.deliveries(status if status in records.STATUS_LABELS else ""),
        "status_labels": records.STATUS_LABELS, "channel_labels": records.CHANNEL_LABELS, "filter": status,
        "channels": service.cfg.channels(), **_tabs(auth)}, auth=auth)


@router.post("/admin/reminders/deliveries/{delivery_id}/retry")
def retry(request: Request, delivery_id: int, auth: Auth = REVIEWERS) -> Response:
    if services_of(request).reminders.retry(delivery_id):
        auth.record("reminder_retry", str(delivery_id))
    return redirect("/admin/reminders", "filing")


# ---- published results: corrections --------------------------------------------------------------
@router.get("/admin/validation-results/{number}")
def result_page(request: Request, number: str, auth: Auth = REVIEWERS, error: str = "") -> Response:
    v = services_of(request).results.get(number)
    if v is None:
        return render(request, "admin/error.html", {"title": "没有这条公示", "message": f"{number} 不存在。"}, 404, auth=auth)
    return render(request, "admin/validation_result.html", {
        "r": v, "outcomes": OUTCOMES, "outcome_labels": OUTCOME_LABELS, "result_labels": RESULT_LABELS,
        "error": error, **_tabs(auth)}, auth=auth)


@router.post("/admin/validation-results/{number}/correct")
async def correct(request: Request, number: str, auth: Auth = REVIEWERS, reason: str = Form(default="", max_length=500),
                  institution_name: str = Form(default="", max_length=200)) -> Response:
    form = await request.form()
    outcomes = {str(k)[len("outcome:"):]: str(v) for k, v in form.items() if str(k).startswith("outcome:")}
    board = services_of(request).results
    before = board.get(number)
    try:
        after = board.correct(number, auth.user.username, reason, outcomes=outcomes,
                              institution_name=institution_name or None)
    except FilingError as exc:
        return result_page(request, number, auth, exc.message)
    auth.record("validation_result_correct", after.number, before.content() if before else None,
                {**after.content(), "reason": reason.strip()})
    return redirect(f"/admin/validation-results/{after.number}", "filing")


# ---- figures --------------------------------------------------------------------------------------
@router.get("/admin/validation-figures")
def figures(request: Request, auth: Auth = REVIEWERS) -> Response:
    services = services_of(request)
    f = validation_figures(services.filings, auth.staff.today())
    return render(request, "admin/validation_figures.html", {"f": f, **_tabs(auth)}, auth=auth)
